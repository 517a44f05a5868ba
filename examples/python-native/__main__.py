"""A SIP trunk connection and the agent whose calls it routes, through the native provider
``mihu`` and its generated Python SDK ``pulumi_mihu_native`` (not ``pulumi_mihu``, whose
classes of the same names are the dynamic resources). The provider reads its settings from
the mihu:* stack config (mihu:apiToken with --secret, mihu:subdomain); the SIP credentials
are secret config, and stay secret in the state."""

import pulumi
import pulumi_mihu_native as mihu

config = pulumi.Config()

support_line = mihu.SipTrunkConnection(
    "support-line",
    mihu.SipTrunkConnectionArgs(
        name="Support line",
        phone_number="+15551230000",
        gateway=config.get("gateway") or "sip.telnyx.com",
        username=config.require_secret("sipUsername"),
        password=config.require_secret("sipPassword"),
    ),
)

support_agent_calls = mihu.AgentSipTrunkAssignment(
    "support-agent-calls",
    mihu.AgentSipTrunkAssignmentArgs(
        agent_uuid=config.require("agentUuid"),
        connection_uuid=support_line.uuid,
    ),
)

pulumi.export("trunkUuid", support_line.uuid)
pulumi.export("phoneNumber", support_agent_calls.phone_number)
