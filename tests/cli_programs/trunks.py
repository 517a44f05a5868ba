"""The stack program of the CLI tests, driven by its config so that one program file
serves every scenario (``pulumi config set`` between runs changes what it declares).

``spec`` (JSON, plain):

- ``trunks``: a list of trunks, each ``{"name", "phone_number", "gateway",
  "secondary_gateway", "adopt_uuid", "resource_name", "aliases", "options"}`` (all
  optional; ``options`` are ResourceOptions keywords such as ``delete_before_replace``,
  ``protect``, ``retain_on_delete``, ``ignore_changes``; ``aliases`` are old resource
  names, each made a ``pulumi.Alias(name=...)``); resource names ``trunk-0``,
  ``trunk-1``... unless ``resource_name`` is given;
- ``count``: that many trunks with numbers +1555123NNNN (instead of ``trunks``);
- ``chained``: a second trunk whose name waits for the first's uuid (``break_chained``:
  too long a name, so that its Check fails);
- ``get``: a uuid to read with ``SipTrunkConnection.get``;
- ``agent``: an agent uuid whose calls go through ``trunk-0``.

``sipUsername`` and ``sipPassword`` (secrets) are every trunk's credentials.
Exports ``uuid`` (of the first trunk), ``uuids``, ``status``, and what ``get`` and the assignment
read.
"""

import json

import pulumi

from pulumi_mihu import AgentSipTrunkAssignment, SipTrunkConnection

config = pulumi.Config()
spec = json.loads(config.get("spec") or "{}")
username = config.require_secret("sipUsername")
password = config.require_secret("sipPassword")

described = spec.get("trunks")
if described is None:
    described = [{"phone_number": f"+1555123{i:04d}"} for i in range(spec.get("count", 1))]

trunks = []
for index, item in enumerate(described):
    options = pulumi.ResourceOptions(**item.get("options", {}))
    if item.get("aliases"):
        options = pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name=old) for old in item["aliases"]]))
    trunks.append(SipTrunkConnection(
        item.get("resource_name", f"trunk-{index}"),
        options,
        name=item.get("name", f"trunk-{index}"),
        phone_number=item.get("phone_number", "+15551230000"),
        gateway=item.get("gateway", "sip.telnyx.com"),
        secondary_gateway=item.get("secondary_gateway"),
        username=username,
        password=password,
        adopt_uuid=item.get("adopt_uuid"),
    ))

if spec.get("chained") and trunks:
    suffix = "x" * 300 if spec.get("break_chained") else ""
    SipTrunkConnection("chained", name=trunks[0].uuid.apply(lambda u: f"backup-of-{u}{suffix}"),
                       phone_number="+15559990000", gateway="sip.telnyx.com",
                       username=username, password=password)

if spec.get("get"):
    existing = SipTrunkConnection.get("existing", spec["get"])
    pulumi.export("existing_phone", existing.phone_number)
    pulumi.export("existing_name", existing.name)

if spec.get("agent") and trunks:
    assignment = AgentSipTrunkAssignment("agent-calls", agent_uuid=spec["agent"],
                                         connection_uuid=trunks[0].uuid,
                                         force=bool(spec.get("force", False)))
    pulumi.export("assigned_connection", assignment.connection_uuid)

if trunks:
    pulumi.export("uuid", trunks[0].uuid)
    pulumi.export("status", trunks[0].status)
pulumi.export("uuids", [t.uuid for t in trunks])
