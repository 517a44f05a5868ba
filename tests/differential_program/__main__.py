"""The program of test_differential.py: the same directory runs under StackHarness and
under the real CLI. Stack config chooses the scenario:

- ``count``: independent trunks ``trunk-0``..``trunk-{count-1}``;
- ``password``: their SIP password (changing it replaces them);
- ``deleteBeforeReplace``: the trunks' ``delete_before_replace`` option;
- ``backup``: one more trunk whose name follows ``trunk-0``'s uuid (a dependent);
- ``breakBackup``: make that name too long, so the dependent fails its check.
"""

import pulumi

from pulumi_mihu import SipTrunkConnection

config = pulumi.Config()
count = config.get_int("count") or 0
password = config.get("password") or "first-password"
options = pulumi.ResourceOptions(
    delete_before_replace=config.get_bool("deleteBeforeReplace") or None)

trunks = [
    SipTrunkConnection(f"trunk-{i}", options, phone_number=f"+1555000{i:04d}",
                       gateway="sip.telnyx.com", username=f"user-{i}", password=password)
    for i in range(count)
]
if trunks and config.get_bool("backup"):
    suffix = "x" * 300 if config.get_bool("breakBackup") else ""
    SipTrunkConnection("backup", name=trunks[0].uuid.apply(lambda u: f"of-{u}{suffix}"),
                       phone_number="+15559990000", gateway="sip.telnyx.com",
                       username="backup-user", password="backup-password")

pulumi.export("uuids", [t.uuid for t in trunks])
pulumi.export("names", [t.name for t in trunks])
