"""Rows of the deployment ledger's engine table (``pulumi_mihu/_ledger.py``) that no other
CLI test pins: the real engine makes the calls, the simulator's account and the exported
state judge. Both run where the API cannot delete (the documented-only world), where the
ledger's answer is what the user sees: a delete that is a removal, or the old half of a
create-before-delete, warns and goes on; the old half of a delete-before-replace refuses.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_mihu.testing import MihuSimulator
from support import CLI_PROJECT, MakeCli, output_text, requests_since

TRUNK = "SipTrunkConnection"
REFUSAL = "Cannot replace"


def spec(*trunks: dict[str, Any]) -> dict[str, Any]:
    return {"trunks": list(trunks)}


def test_documented_only_default_forced_replace_creates_then_leaves_the_old_one(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    """Row 7, after its create: `pulumi up --replace` in the default order sends Check
    without old inputs and no Diff, then Create, then the old one's Delete. With no list
    route the create cannot see the old connection, so it goes ahead; the Delete that
    follows is the old half of a replacement whose new half exists: warned about, not
    refused (refusing then would fail an `up` whose new connection is already made)."""
    cli = make_cli(bare_sim, spec({"name": "main"}))
    cli.up()
    [old] = list(bare_sim.connections)
    [trunk] = cli.resources(TRUNK)
    mark = len(bare_sim.requests)
    replaced = cli.run("up", "--yes", "--skip-preview", "--stack", cli.stack,
                       "--replace", trunk["urn"])
    out = output_text(replaced)
    assert "NOT deleted" in out and old in out and REFUSAL not in out, out
    [new] = [uuid for uuid in bare_sim.connections if uuid != old]
    assert [m for m in requests_since(bare_sim, mark) if m[0] != "GET"] == [
        ("POST", "connections"), ("DELETE", old)], "create first, then the old one's delete"
    assert [t["id"] for t in cli.resources(TRUNK)] == [new]


def test_documented_only_removing_one_of_two_identical_trunks_warns_and_goes_on(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    """Row 9: the trunk that stays is checked with old inputs that are the removed one's
    too, so its Check alone would look like a `--replace` target's; its Diff (same old
    inputs) shows it is kept, so the other's Delete is a removal: warned about, and the
    `up` goes on, rather than refused as the first half of a delete-before-replace."""
    twin = {"name": "main"}
    cli = make_cli(bare_sim, spec(twin, twin))
    cli.up()
    ids = {t["urn"].rsplit("::", 1)[-1]: t["id"] for t in cli.resources(TRUNK)}
    kept, removed = ids["trunk-0"], ids["trunk-1"]
    cli.set_config({f"{CLI_PROJECT}:spec": json.dumps(spec(twin))})
    up = cli.up()
    out = output_text(up)
    assert "NOT deleted" in out and removed in out and REFUSAL not in out, out
    assert [t["id"] for t in cli.resources(TRUNK)] == [kept]
    assert sorted(bare_sim.connections) == sorted([kept, removed]), "left, as warned"
