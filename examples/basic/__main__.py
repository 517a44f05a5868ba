"""One SIP trunk connection with a fallback gateway.

Config (``pulumi config set KEY VALUE``; ``--secret`` where marked):

==================  ========  ==============================================================
key                 secret    meaning
==================  ========  ==============================================================
mihu:apiToken       yes       Mihu API token (or the MIHU_API_TOKEN environment variable)
mihu:subdomain                account subdomain, https://{subdomain}.mihu.ai (or MIHU_SUBDOMAIN;
                              mihu:baseUrl / MIHU_BASE_URL for a whole base URL)
phoneNumber                   the number the trunk routes calls to, e.g. +15551230000
sipUsername         yes       SIP auth username from your SIP provider
sipPassword         yes       SIP auth password from your SIP provider
gateway                       SIP server host (default sip.telnyx.com)
secondaryGateway              fallback SIP server host (optional)
trunkName                     label shown in Mihu (default "Main line")
==================  ========  ==============================================================

Exports ``uuid`` and ``status`` of the connection.
"""

import pulumi

from pulumi_mihu import SipTrunkConnection

config = pulumi.Config()

trunk = SipTrunkConnection(
    "main-line",
    name=config.get("trunkName") or "Main line",
    phone_number=config.require("phoneNumber"),
    gateway=config.get("gateway") or "sip.telnyx.com",
    secondary_gateway=config.get("secondaryGateway"),
    username=config.require_secret("sipUsername"),
    password=config.require_secret("sipPassword"),
)

pulumi.export("uuid", trunk.uuid)
pulumi.export("status", trunk.status)
