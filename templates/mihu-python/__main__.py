"""A Mihu SIP trunk connection, as `pulumi new` configured it (see README.md)."""

import pulumi

from pulumi_mihu import SipTrunkConnection

config = pulumi.Config()

trunk = SipTrunkConnection(
    "trunk",
    name=config.require("trunkName"),
    phone_number=config.require("phoneNumber"),
    gateway=config.require("gateway"),
    secondary_gateway=config.get("secondaryGateway"),
    username=config.require_secret("sipUsername"),
    password=config.require_secret("sipPassword"),
)

pulumi.export("uuid", trunk.uuid)
pulumi.export("status", trunk.status)
