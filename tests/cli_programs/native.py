"""A stack program of the native provider's CLI tests: ``pulumi.CustomResource`` of the
``mihu`` plugin's types, as a generated SDK registers them, with no import of pulumi_mihu
(the plugin ``pulumi-resource-mihu`` on PATH does the work).

``spec`` (JSON, plain): ``trunks``, a list of ``{"resource_name", "options", ...camelCase
inputs}`` (default: one trunk ``trunk-0`` with phone number +15551230000 and gateway
sip.telnyx.com); a trunk's ``options``: ``import`` (an id: the ``import_`` option),
``customTimeouts`` (``{"create": "3s", ...}``), ``provider`` (a key of ``providers``),
``deleteBeforeReplace``. ``sipUsername`` and ``sipPassword`` (secrets) are every trunk's
credentials (a trunk's own ``username`` or ``password`` is made a secret too).
``providers`` (JSON, secret, optional): name -> the inputs of an explicit ``mihu``
provider (``apiToken``, ``baseUrl``, ...), passed as plain values. Exports ``uuids``.
"""

import json

import pulumi

config = pulumi.Config()
spec = json.loads(config.get("spec") or "{}")
described = spec.get("trunks") or [{"phoneNumber": "+15551230000", "gateway": "sip.telnyx.com"}]
# Given as plain values (the provider marks apiToken secret: its CheckConfig).
providers = {name: pulumi.ProviderResource("mihu", name, inputs)
             for name, inputs in json.loads(config.get("providers") or "{}").items()}

trunks = []
for index, item in enumerate(described):
    props = {key: pulumi.Output.secret(value) if key in ("username", "password") else value
             for key, value in item.items() if key not in ("resource_name", "options")}
    props.setdefault("username", config.require_secret("sipUsername"))
    props.setdefault("password", config.require_secret("sipPassword"))
    for output in ("uuid", "status", "createdAt", "updatedAt"):
        props.setdefault(output, None)
    options = item.get("options") or {}
    timeouts = options.get("customTimeouts")
    opts = pulumi.ResourceOptions(
        import_=options.get("import"),
        provider=providers[options["provider"]] if "provider" in options else None,
        custom_timeouts=pulumi.CustomTimeouts(**timeouts) if timeouts else None,
        delete_before_replace=options.get("deleteBeforeReplace"))
    trunks.append(pulumi.CustomResource("mihu:index:SipTrunkConnection",
                                        item.get("resource_name", f"trunk-{index}"), props,
                                        opts))

pulumi.export("uuids", [trunk.id for trunk in trunks])
