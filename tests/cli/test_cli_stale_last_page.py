"""Through the real CLI: a list whose last_page is one short does not make a second
connection after ``pulumi state delete`` and ``up``."""

from __future__ import annotations

import pytest

from pulumi_mihu.testing import MihuSimulator
from support import MakeCli, stale_last_page


def test_cli_state_delete_then_up_over_a_stale_last_page_makes_no_second_connection(
        make_cli: MakeCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runbook's promise ("a state entry lost never leads to a second connection")
    over an account listed oldest first, whose last_page is one short while the last page
    read says has_more: the stack's connection (the newest, on page 3) is never read, and
    `pulumi up` creates its twin."""
    from test_cli_adoption import TRUNK
    stale_last_page(monkeypatch, "items")
    with MihuSimulator(page_size=15) as sim:
        sim.state.newest_first = False
        sim.add_connections(40)
        cli = make_cli(sim, {"count": 1})
        cli.up()
        [resource] = cli.resources(TRUNK)
        mine = sim.connections[resource["id"]]
        cli.run("state", "delete", resource["urn"], "--yes", "--stack", cli.stack)
        # Refused as a twin, or as a list not read whole; the account says what it did.
        cli.run("up", "--yes", "--skip-preview", "--stack", cli.stack, check=False)
        same = [u for u, c in sim.connections.items()
                if c["phone_number"] == mine["phone_number"]]
        assert same == [resource["id"]], f"{len(same)} connections for one resource"
