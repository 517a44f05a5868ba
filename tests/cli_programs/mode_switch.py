"""The stack program of the mode-switch tests (docs/native.md, "Moving a stack between
modes"): the same trunks and agent assignment declared either as the dynamic resources
(``pulumi_mihu.SipTrunkConnection``, ``AgentSipTrunkAssignment``) or as the native
plugin's types (``pulumi.CustomResource("mihu:index:...")``), as a user's program is
edited when it moves from one mode to the other.

``spec`` (JSON, plain):

- ``mode``: ``"dynamic"`` (default) or ``"native"``;
- ``trunks``: a list of ``{"resource_name", "name", "phone_number", "gateway",
  "secondary_gateway", "adopt_uuid", "import", "retain_on_delete", "alias_type"}``
  (resource names ``trunk-0``, ``trunk-1``..., ``name`` the resource name unless given;
  ``adopt_uuid`` is the input of either mode, ``import`` the ``import_`` option,
  ``alias_type`` a ``pulumi.Alias(type_=...)`` of the old type);
- ``agent``: an agent uuid whose calls go through ``trunk-0`` (resource ``agent-calls``),
  declared in ``agent_mode`` (default: ``mode``) with ``agent_options`` (the options
  above); ``agent_connection``: a uuid written as a literal instead of ``trunk-0``'s id.

``sipUsername`` and ``sipPassword`` (secrets) are every trunk's credentials.
Exports ``uuids``.
"""

import json
from typing import Any

import pulumi

config = pulumi.Config()
spec = json.loads(config.get("spec") or "{}")
native = spec.get("mode", "dynamic") == "native"
username = config.require_secret("sipUsername")
password = config.require_secret("sipPassword")


def options(item: dict[str, Any]) -> pulumi.ResourceOptions:
    """The resource options the runbook's steps add: ``import_``, ``retain_on_delete``,
    an alias of the old type."""
    return pulumi.ResourceOptions(
        import_=item.get("import"), retain_on_delete=item.get("retain_on_delete"),
        aliases=[pulumi.Alias(type_=item["alias_type"])] if item.get("alias_type") else None)


trunks: list[Any] = []  # SipTrunkConnection (dynamic) or CustomResource (native)
for index, item in enumerate(spec.get("trunks") or [{}]):
    resource_name = item.get("resource_name", f"trunk-{index}")
    opts = options(item)
    fields = {"name": item.get("name", resource_name),
              "phone_number": item.get("phone_number", f"+1555123{index:04d}"),
              "gateway": item.get("gateway", "sip.telnyx.com"),
              "secondary_gateway": item.get("secondary_gateway")}
    if native:
        trunks.append(pulumi.CustomResource("mihu:index:SipTrunkConnection", resource_name, {
            "name": fields["name"], "phoneNumber": fields["phone_number"],
            "gateway": fields["gateway"], "secondaryGateway": fields["secondary_gateway"],
            "username": username, "password": password, "adoptUuid": item.get("adopt_uuid"),
            "uuid": None, "status": None}, opts))
    else:
        from pulumi_mihu import SipTrunkConnection

        trunks.append(SipTrunkConnection(resource_name, opts, **fields, username=username,
                                         password=password, adopt_uuid=item.get("adopt_uuid")))

if spec.get("agent"):
    opts = options(spec.get("agent_options") or {})
    # The runbook's way: trunk.uuid of a dynamic trunk, trunk.id of a native one.
    connection = spec.get("agent_connection") or (trunks[0].id if native else trunks[0].uuid)
    if spec.get("agent_mode", spec.get("mode", "dynamic")) == "native":
        pulumi.CustomResource("mihu:index:AgentSipTrunkAssignment", "agent-calls", {
            "agentUuid": spec["agent"], "connectionUuid": connection}, opts)
    else:
        from pulumi_mihu import AgentSipTrunkAssignment

        AgentSipTrunkAssignment("agent-calls", opts, agent_uuid=spec["agent"],
                                connection_uuid=connection)

pulumi.export("uuids", [trunk.id for trunk in trunks])
