"""Several SIP trunk connections, one per entry of a config list.

Config:

==================  ========  ==============================================================
key                 secret    meaning
==================  ========  ==============================================================
mihu:apiToken       yes       Mihu API token (or MIHU_API_TOKEN)
mihu:subdomain                account subdomain (or MIHU_SUBDOMAIN / mihu:baseUrl)
trunks                        list of {key, name, phone_number, gateway, secondary_gateway?}
sipCredentials      yes       map key -> {username, password}
==================  ========  ==============================================================

Set them from YAML in ``Pulumi.<stack>.yaml``, or on the command line::

    pulumi config set --secret mihu:apiToken <your Mihu API token>
    pulumi config set mihu:subdomain <your subdomain>
    pulumi config set --path 'trunks[0].key' support
    pulumi config set --path 'trunks[0].name' 'Support line'
    pulumi config set --path --type string 'trunks[0].phone_number' '+15551230000'
    pulumi config set --path 'trunks[0].gateway' sip.telnyx.com
    pulumi config set --secret --path 'sipCredentials.support.username' <SIP username>
    pulumi config set --secret --path 'sipCredentials.support.password' <SIP password>

``--type string`` matters: with ``--path`` the CLI stores a value made of digits as a
number, and ``+15551230000`` becomes ``15551230000``, the ``+`` lost (check with
``cat Pulumi.<stack>.yaml``). ``--type`` needs Pulumi CLI 3.148 or newer; with an older
one, write the number quoted in ``Pulumi.<stack>.yaml`` (``phone_number: "+15551230000"``).
The program refuses a number there rather than guess the ``+``. Every value of an entry
is text; a name or gateway made only of digits, or ``true``/``false``, needs
``--type string`` too.

``key`` is the Pulumi resource name: keep it stable, renaming it replaces the connection.
Exports ``uuids`` and ``statuses``, maps of key to the connection's uuid and status.
"""

from typing import Any

import pulumi

from pulumi_mihu import SipTrunkConnection

REQUIRED = ("key", "name", "phone_number", "gateway")

config = pulumi.Config()
trunks: list[dict[str, Any]] = config.require_object("trunks")
credentials = config.require_secret_object("sipCredentials")

if not isinstance(trunks, list):
    raise ValueError("config 'trunks' must be a list of objects")
seen: set[str] = set()
for index, entry in enumerate(trunks):
    missing = [k for k in REQUIRED if not isinstance(entry, dict) or not entry.get(k)]
    if missing:
        raise ValueError(f"config trunks[{index}] lacks {', '.join(missing)}")
    for field in (*REQUIRED, "secondary_gateway"):
        value = entry.get(field)
        if value is not None and not isinstance(value, str):
            # `pulumi config set --path` stores digits as a number and true/false as a
            # bool: +15551230000 arrives as 15551230000, its "+" gone.
            raise ValueError(
                f"config trunks[{index}].{field} is {value!r}, a {type(value).__name__}, "
                f"not text: `pulumi config set --path` stores digits as a number (dropping "
                f"a leading '+'). Set it with `pulumi config set --path --type string "
                f"'trunks[{index}].{field}' VALUE` (Pulumi CLI 3.148+), or quote it in "
                f"Pulumi.<stack>.yaml")
    if entry["key"] in seen:
        raise ValueError(f"config trunks[{index}]: key {entry['key']!r} is used twice")
    seen.add(entry["key"])


def credential(key: str, field: str) -> pulumi.Output[str]:
    def pick(creds: dict[str, Any]) -> str:
        try:
            return str(creds[key][field])
        except (KeyError, TypeError):
            raise ValueError(f"config sipCredentials lacks {key}.{field}") from None

    return credentials.apply(pick)


connections = {
    entry["key"]: SipTrunkConnection(
        entry["key"],
        name=entry["name"],
        phone_number=entry["phone_number"],
        gateway=entry["gateway"],
        secondary_gateway=entry.get("secondary_gateway"),
        username=credential(entry["key"], "username"),
        password=credential(entry["key"], "password"),
    )
    for entry in trunks
}

pulumi.export("uuids", {key: trunk.uuid for key, trunk in connections.items()})
pulumi.export("statuses", {key: trunk.status for key, trunk in connections.items()})
