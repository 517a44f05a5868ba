"""A stack program of the native provider's CLI tests: ``pulumi.CustomResource`` of the
``mihu`` plugin's types, as a generated SDK registers them, with no import of pulumi_mihu
(the plugin ``pulumi-resource-mihu`` on PATH does the work).

``spec`` (JSON, plain): ``trunks``, a list of ``{"resource_name", ...camelCase inputs}``
(default: one trunk ``trunk-0`` with phone number +15551230000 and gateway
sip.telnyx.com). ``sipUsername`` and ``sipPassword`` (secrets) are every trunk's
credentials (a trunk's own ``username`` or ``password`` is made a secret too). Exports
``uuids``.
"""

import json

import pulumi

config = pulumi.Config()
spec = json.loads(config.get("spec") or "{}")
described = spec.get("trunks") or [{"phoneNumber": "+15551230000", "gateway": "sip.telnyx.com"}]

trunks = []
for index, item in enumerate(described):
    props = {key: pulumi.Output.secret(value) if key in ("username", "password") else value
             for key, value in item.items() if key != "resource_name"}
    props.setdefault("username", config.require_secret("sipUsername"))
    props.setdefault("password", config.require_secret("sipPassword"))
    for output in ("uuid", "status", "createdAt", "updatedAt"):
        props.setdefault(output, None)
    trunks.append(pulumi.CustomResource("mihu:index:SipTrunkConnection",
                                        item.get("resource_name", f"trunk-{index}"), props))

pulumi.export("uuids", [trunk.id for trunk in trunks])
