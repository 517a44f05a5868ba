"""A SIP trunk connection, and an agent whose calls are routed through it.

Config:

==================  ========  ==============================================================
key                 secret    meaning
==================  ========  ==============================================================
mihu:apiToken       yes       Mihu API token (or MIHU_API_TOKEN)
mihu:subdomain                account subdomain (or MIHU_SUBDOMAIN / mihu:baseUrl)
agentUuid                     the agent whose calls use the trunk
phoneNumber                   the number the trunk routes calls to
sipUsername         yes       SIP auth username
sipPassword         yes       SIP auth password
gateway                       SIP server host (default sip.telnyx.com)
shareNumber                   true to let several agents share the number (default false)
==================  ========  ==============================================================

Set them with::

    pulumi config set --secret mihu:apiToken <your Mihu API token>
    pulumi config set mihu:subdomain <your subdomain>
    pulumi config set agentUuid <agent uuid>
    pulumi config set phoneNumber +15551230000
    pulumi config set --secret sipUsername <SIP username>
    pulumi config set --secret sipPassword <SIP password>

Top-level values (no ``--path``) are stored as text: ``+15551230000`` stays a string.

Replacing the trunk (any change of its inputs, the password included) re-assigns the
agent to the new connection. Exports ``trunk_uuid``, ``agent_uuid`` and ``phone_number``.
"""

import pulumi

from pulumi_mihu import AgentSipTrunkAssignment, SipTrunkConnection

config = pulumi.Config()

trunk = SipTrunkConnection(
    "support-line",
    name="Support line",
    phone_number=config.require("phoneNumber"),
    gateway=config.get("gateway") or "sip.telnyx.com",
    username=config.require_secret("sipUsername"),
    password=config.require_secret("sipPassword"),
)

assignment = AgentSipTrunkAssignment(
    "support-agent-calls",
    agent_uuid=config.require("agentUuid"),
    connection_uuid=trunk.uuid,
    force=config.get_bool("shareNumber") or False,
)

pulumi.export("trunk_uuid", trunk.uuid)
pulumi.export("agent_uuid", assignment.agent_uuid)
pulumi.export("phone_number", assignment.phone_number)
