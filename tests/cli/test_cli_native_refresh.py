"""Refresh in native mode through the real CLI (issue 20), in both API worlds, judged as
test_cli_api.py judges the dynamic mode's: by the simulated account (no write request) and
the exported state. The program is tests/cli_programs/native.py (``make_native``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_cli_native import COLLECTION, PLUGIN, PROGRAM, TOKEN, MakeNative, writes

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli, mask_ciphertext
from support import output_text

TRUNK = "SipTrunkConnection"


@pytest.fixture
def make_native(make_cli: Callable[..., PulumiCli]) -> MakeNative:
    """test_cli_native.py's: a stack of the native program against a simulator."""

    def build(server: MihuSimulator) -> PulumiCli:
        assert PLUGIN.exists(), f"{PLUGIN} is missing: reinstall the package (pip install -e .)"
        return make_cli(server, program=PROGRAM)

    return build


def test_native_refresh_picks_up_drift_then_a_deletion(
        make_native: MakeNative, sim: MihuSimulator) -> None:
    """(a) Drift: the account's name and gateway become the state's outputs, the inputs stay
    the program's, and the next plan replaces (both replace, as the schema says); (b) gone:
    the refresh drops the connection from the state, and the next ``up --refresh`` creates
    exactly one. No refresh sends a write."""
    cli = make_native(sim)
    cli.up()
    [uuid] = sim.connections
    [before] = cli.resources(TRUNK)
    since = len(sim.requests)

    sim.connections[uuid]["name"] = "edited in the console"
    sim.connections[uuid]["gateway"] = "sip.other-carrier.com"
    sim.connections[uuid]["status"] = "suspended"
    text = output_text(cli.refresh())
    assert "~ 1 updated" in text, text
    assert writes(sim, since) == [], "a refresh sends no write"
    assert [r.path for r in sim.requests[since:]] == [f"{COLLECTION}/{uuid}"], "one read"
    [trunk] = cli.resources(TRUNK)
    assert trunk["id"] == uuid
    outputs = trunk["outputs"]
    assert (outputs["name"], outputs["gateway"], outputs["status"]) == (
        "edited in the console", "sip.other-carrier.com", "suspended")
    assert mask_ciphertext(trunk["inputs"]) == mask_ciphertext(before["inputs"]), \
        "the inputs stay the program's"
    for key in ("username", "password"):  # still there, still secret
        assert "ciphertext" in outputs[key] and "ciphertext" in trunk["inputs"][key], key
    [step] = cli.preview_json().resource_steps(TRUNK)
    assert step.op == "replace" and sorted(step.replace_reasons) == ["gateway", "name"], step
    assert writes(sim, since) == []

    del sim.connections[uuid]
    text = output_text(cli.refresh())
    assert "- 1 deleted" in text, text
    assert writes(sim, since) == []
    assert cli.resources(TRUNK) == []
    [step] = cli.preview_json().resource_steps(TRUNK)
    assert step.op == "create"

    text = output_text(cli.run("up", "--refresh", "--yes", "--skip-preview", "--stack",
                               cli.stack))
    assert writes(sim, since) == ["POST"], "exactly one new connection"
    [(new, connection)] = sim.connections.items()
    assert new != uuid and (connection["name"], connection["gateway"]) == (
        "trunk-0", "sip.telnyx.com")
    [trunk] = cli.resources(TRUNK)
    assert trunk["id"] == new


def test_native_up_refresh_with_drift_replaces_the_drifted_connection(
        make_native: MakeNative, sim: MihuSimulator) -> None:
    """``pulumi up --refresh`` reads first, then plans against the account: a connection
    renamed in the console is replaced (the program's name is back), not left as drifted."""
    cli = make_native(sim)
    cli.up()
    [uuid] = sim.connections
    sim.connections[uuid]["name"] = "edited in the console"
    since = len(sim.requests)
    cli.run("up", "--refresh", "--yes", "--skip-preview", "--stack", cli.stack)
    assert writes(sim, since) == ["POST", "DELETE"]
    [(new, connection)] = sim.connections.items()
    assert new != uuid and connection["name"] == "trunk-0"
    assert cli.preview_json().changes() == {}


def test_native_refresh_where_the_api_cannot_read_warns_and_keeps_the_state(
        make_native: MakeNative, bare_sim: MihuSimulator) -> None:
    """(c) The documented routes only: the refresh cannot read, says so, and the state is
    what it was; nothing is written, nothing lost, and the next plan has no change."""
    cli = make_native(bare_sim)
    cli.up()
    [uuid] = bare_sim.connections
    account = dict(bare_sim.connections[uuid])
    before = cli.snapshot(TRUNK)
    since = len(bare_sim.requests)

    text = output_text(cli.refresh())
    assert "Could not refresh" in text and uuid in text, text
    assert "Traceback" not in text
    assert cli.snapshot(TRUNK) == before
    assert [r["id"] for r in cli.resources(TRUNK)] == [uuid]
    assert writes(bare_sim, since) == [], "the refresh writes nothing"
    assert bare_sim.connections == {uuid: account}

    text = output_text(cli.run("up", "--refresh", "--yes", "--skip-preview", "--stack",
                               cli.stack))
    assert "Could not refresh" in text, text
    assert writes(bare_sim, since) == []
    assert cli.snapshot(TRUNK) == before
    assert cli.preview_json().changes() == {}
    assert TOKEN in {r["type"] for r in cli.resources()}
