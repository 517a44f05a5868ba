"""Native trunks by type token for the tests of one connection per resource
(tests/cli/test_cli_native.py): aliases, a name taken from another trunk's id (so a
replacement of that trunk replaces this one), ``deleteBeforeReplace``, and ``get``s.

``spec`` (JSON, plain): ``trunks``, a list of ``{"resource_name", "options", ...camelCase
inputs}`` with options ``deleteBeforeReplace``, ``aliases`` (old names) and ``nameFrom``
(the resource name of an earlier trunk: the name becomes ``<resource name>-of-<its id's
first 8>``); ``gets``, ``{resource name: the trunk whose id it reads}``.
"""

import json
from collections.abc import Callable

import pulumi

TOKEN = "mihu:index:SipTrunkConnection"
config = pulumi.Config()
spec = json.loads(config.get("spec") or "{}")
trunks: dict[str, pulumi.CustomResource] = {}


def named(prefix: str) -> Callable[[str], str]:
    """The name from an id, its prefix bound now (the id resolves after the loop moves)."""
    return lambda id_: prefix + id_[:8]


for item in spec.get("trunks", []):
    name = item["resource_name"]
    props = {k: v for k, v in item.items() if k not in ("resource_name", "options")}
    options = item.get("options") or {}
    if "nameFrom" in options:
        props["name"] = trunks[options["nameFrom"]].id.apply(named(f"{name}-of-"))
    props.setdefault("username", config.require_secret("sipUsername"))
    props.setdefault("password", config.require_secret("sipPassword"))
    for output in ("uuid", "status", "createdAt", "updatedAt"):
        props.setdefault(output, None)
    opts = pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=a) for a in options.get("aliases", [])] or None,
        delete_before_replace=options.get("deleteBeforeReplace"))
    trunks[name] = pulumi.CustomResource(TOKEN, name, props, opts)
for name, of in (spec.get("gets") or {}).items():
    pulumi.CustomResource(TOKEN, name, {}, pulumi.ResourceOptions(id=trunks[of].id))
pulumi.export("uuids", {k: t.id for k, t in trunks.items()})
