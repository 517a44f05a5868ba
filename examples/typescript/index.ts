// A SIP trunk connection and the agent whose calls it routes, through the native provider
// `mihu` and its generated Node.js SDK. The provider reads its settings from the mihu:*
// stack config (mihu:apiToken with --secret, mihu:subdomain); the SIP credentials are
// secret config, and stay secret in the state.
import * as pulumi from "@pulumi/pulumi";
import * as mihu from "@mihu-ai/pulumi-mihu";

const config = new pulumi.Config();

const supportLine = new mihu.SipTrunkConnection("support-line", {
    name: "Support line",
    phoneNumber: "+15551230000",
    gateway: config.get("gateway") ?? "sip.telnyx.com",
    username: config.requireSecret("sipUsername"),
    password: config.requireSecret("sipPassword"),
});

const supportAgentCalls = new mihu.AgentSipTrunkAssignment("support-agent-calls", {
    agentUuid: config.require("agentUuid"),
    connectionUuid: supportLine.uuid,
});

export const trunkUuid = supportLine.uuid;
export const phoneNumber = supportAgentCalls.phoneNumber;
