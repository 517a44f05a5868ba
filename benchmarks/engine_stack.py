"""The stack program of ``benchmarks.engine``: ``count`` trunks, either SipTrunkConnections
(``kind: mihu``) or no-op dynamic resources with the same inputs (``kind: noop``)."""

import pulumi

from benchmarks.noop_provider import NoopTrunk
from pulumi_mihu import SipTrunkConnection

config = pulumi.Config()
kind = config.require("kind")
count = int(config.require("count"))
username = config.require_secret("sipUsername")
password = config.require_secret("sipPassword")

cls = SipTrunkConnection if kind == "mihu" else NoopTrunk
trunks = [cls(f"trunk-{i}", name=f"trunk-{i}", phone_number=f"+1555123{i:04d}",
              gateway="sip.telnyx.com", username=username, password=password)
          for i in range(count)]
pulumi.export("uuids", [t.uuid for t in trunks])
