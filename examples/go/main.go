// A SIP trunk connection and the agent whose calls it routes, through the native provider
// `mihu` and its generated Go SDK. The provider reads its settings from the mihu:* stack
// config (mihu:apiToken with --secret, mihu:subdomain); the SIP credentials are secret
// config, and stay secret in the state.
package main

import (
	"github.com/mihu-ai/pulumi-mihu/sdk/go/mihu"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		gateway := cfg.Get("gateway")
		if gateway == "" {
			gateway = "sip.telnyx.com"
		}

		supportLine, err := mihu.NewSipTrunkConnection(ctx, "support-line", &mihu.SipTrunkConnectionArgs{
			Name:        pulumi.String("Support line"),
			PhoneNumber: pulumi.String("+15551230000"),
			Gateway:     pulumi.String(gateway),
			Username:    cfg.RequireSecret("sipUsername"),
			Password:    cfg.RequireSecret("sipPassword"),
		})
		if err != nil {
			return err
		}

		supportAgentCalls, err := mihu.NewAgentSipTrunkAssignment(ctx, "support-agent-calls",
			&mihu.AgentSipTrunkAssignmentArgs{
				AgentUuid:      pulumi.String(cfg.Require("agentUuid")),
				ConnectionUuid: supportLine.Uuid,
			})
		if err != nil {
			return err
		}

		ctx.Export("trunkUuid", supportLine.Uuid)
		ctx.Export("phoneNumber", supportAgentCalls.PhoneNumber)
		return nil
	})
}
