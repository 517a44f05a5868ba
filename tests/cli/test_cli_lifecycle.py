"""The lifecycle through the real Pulumi CLI (file backend, passphrase secrets) against
the simulator: preview, up, no-change runs, replacements, unknowns, bad input, 50 trunks,
refresh and destroy, and the up after a failed one. Judged by the simulator's account and
the stack's state, not only by what the CLI prints. Needs the CLI (./test.sh builds it
with scripts/install-pulumi-cli.sh when CLI tests are selected and it is missing)."""

from __future__ import annotations

import json

import pytest

from pulumi_mihu.testing import DEFAULT_TOKEN, Fault, MihuSimulator
from support import (
    CLI_PROJECT,
    ROTATED_PASSWORD,
    ROTATED_USERNAME,
    SIP_PASSWORD,
    SIP_USERNAME,
    MakeCli,
    assert_no_credentials,
    output_text,
    program_config,
)

TRUNK = "SipTrunkConnection"
#: The ledger's warning for a Delete of a connection another resource of the stack has.
KEPT_WARNING = "another resource of this stack has it"
#: How the engine's JSON shows a value not known until a resource exists.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def credentials(sim: MihuSimulator) -> list[tuple[str, str]]:
    return sorted((c["username"], c["password"]) for c in sim.connections.values())


def test_preview_up_again_refresh_destroy(make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [{"secondary_gateway": "sip2.telnyx.com"}]})

    plan = cli.preview_json()
    assert plan.changes() == {"create": 2}, "the stack and the trunk"
    [step] = plan.resource_steps(TRUNK)
    assert step.op == "create" and step.new_inputs["phone_number"] == "+15551230000"
    assert sim.requests == [], "preview sends nothing to the API"

    up = cli.up()
    assert "+ 2 created" in up.stdout
    [(uuid, record)] = sim.connections.items()
    assert (record["username"], record["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert record["secondary_gateway"] == "sip2.telnyx.com"
    outputs = cli.outputs()
    assert outputs["uuid"] == uuid and outputs["status"] == "active"
    assert len(sim.writes()) == 1

    state_before = cli.snapshot(TRUNK)
    again = cli.up()
    assert "2 unchanged" in again.stdout and "created" not in again.stdout
    assert cli.preview_json().changes() == {}
    assert len(sim.writes()) == 1, "no write request after the first up"
    assert cli.snapshot(TRUNK) == state_before

    refreshed = cli.refresh()
    assert "updated" not in refreshed.stdout
    assert cli.snapshot(TRUNK) == state_before

    # The state on disk: credentials only as ciphertext, the token not at all.
    [trunk] = cli.resources(TRUNK)
    for key in ("username", "password"):
        assert trunk["outputs"][key].keys() >= {"ciphertext"}
        assert trunk["inputs"][key].keys() >= {"ciphertext"}
    files = cli.state_files()
    assert cli.stack_file() in files
    for path in files:
        assert_no_credentials(path.read_bytes().decode(errors="replace"), str(path))
    assert '"ciphertext"' in cli.stack_file().read_text()

    destroyed = cli.destroy()
    assert "- 2 deleted" in destroyed.stdout
    assert sim.connections == {}
    assert cli.resources() == []


@pytest.mark.parametrize("world", ["read routes", "documented POST only"])
def test_each_input_change_previews_and_performs_a_replacement(
        make_cli: MakeCli, sim: MihuSimulator, bare_sim: MihuSimulator, world: str) -> None:
    server = sim if world == "read routes" else bare_sim
    trunk = {"name": "main", "phone_number": "+15551230000", "gateway": "sip.telnyx.com",
             "secondary_gateway": "sip2.telnyx.com"}
    cli = make_cli(server, {"trunks": [trunk]})
    cli.up()
    live = cli.outputs()["uuid"]
    left_behind: list[str] = []
    changes: list[tuple[str, dict[str, str]]] = [
        ("name", {"spec": json.dumps({"trunks": [{**trunk, "name": "renamed"}]})}),
        ("phone_number", {"spec": json.dumps({"trunks": [{**trunk, "name": "renamed",
                                                          "phone_number": "+15559999999"}]})}),
        ("gateway", {"spec": json.dumps({"trunks": [{**trunk, "name": "renamed",
                                                     "phone_number": "+15559999999",
                                                     "gateway": "sip.zadarma.com"}]})}),
        ("secondary_gateway", {"spec": json.dumps({"trunks": [{
            **trunk, "name": "renamed", "phone_number": "+15559999999",
            "gateway": "sip.zadarma.com", "secondary_gateway": None}]})}),
        ("username", {"sipUsername": ROTATED_USERNAME}),
        ("password", {"sipPassword": ROTATED_PASSWORD}),
    ]
    for field, config in changes:
        secret = {f"{CLI_PROJECT}:{k}" for k in config if k.startswith("sip")}
        cli.set_config({f"{CLI_PROJECT}:{k}": v for k, v in config.items()}, secret)
        writes_before = len(server.writes())
        plan = cli.preview_json()
        [step] = plan.resource_steps(TRUNK)
        assert step.op == "replace", field
        assert step.replace_reasons == [field], field
        assert len(server.writes()) == writes_before, "preview writes nothing"

        up = cli.up()
        assert "+-1 replaced" in up.stdout, field
        created = [u for u in server.connections if u not in (live, *left_behind)]
        assert len(created) == 1, field
        new = created[0]
        assert f'"{new}"' in up.stdout, "the stack output shows the new uuid"
        writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in server.writes()[writes_before:]]
        assert writes[0] == ("POST", "connections"), "create before delete"
        if server is sim:
            assert writes == [("POST", "connections"), ("DELETE", live)], field
            assert list(server.connections) == [new], field
        else:
            left_behind.append(live)
            assert "NOT deleted" in up.stdout and live in up.stdout, field
            # Not taken for a twin kept by another resource (the ledger's Delete of a
            # diffed id: tests/cli/test_cli_replacement_guard.py).
            assert KEPT_WARNING not in output_text(up), field
            assert sorted(server.connections) == sorted([*left_behind, new]), field
            assert [w for w in writes if w[0] == "POST"] == [("POST", "connections")], field
            if field == "password":
                # The documented limit: the old connection and the new one, each with its
                # password; the stack follows the new one.
                assert server.connections[live]["password"] == SIP_PASSWORD
                assert server.connections[new]["password"] == ROTATED_PASSWORD
                assert [r["id"] for r in cli.resources(TRUNK)] == [new]
                assert cli.outputs()["uuid"] == new
        live = new

    record = server.connections[live]
    assert (record["name"], record["phone_number"], record["gateway"]) == (
        "renamed", "+15559999999", "sip.zadarma.com")
    assert record["secondary_gateway"] is None
    assert (record["username"], record["password"]) == (ROTATED_USERNAME, ROTATED_PASSWORD)


def test_preview_with_an_input_unknown_until_another_resource_exists(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"chained": True})
    plan = cli.preview_json()
    steps = {s.name: s for s in plan.resource_steps(TRUNK)}
    assert {n: s.op for n, s in steps.items()} == {"trunk-0": "create", "chained": "create"}
    assert steps["chained"].new_inputs["name"] == UNKNOWN, "unknown until trunk-0 exists"
    assert steps["chained"].new_inputs["phone_number"] == "+15559990000"
    assert "name        : [unknown]" in cli.preview().stdout
    assert sim.requests == []
    cli.up()
    first = cli.outputs()["uuid"]
    names = sorted(c["name"] for c in sim.connections.values())
    assert names == [f"backup-of-{first}", "trunk-0"]


def test_bad_input_fails_the_preview_naming_the_field(make_cli: MakeCli,
                                                      sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [{"gateway": "https://sip.telnyx.com"}]},
                   sipPassword="bad\npw")
    result = cli.preview(expect_failure=True)
    text = result.stdout + result.stderr
    # The engine's wording: "property gateway value {...}".
    assert ("error: pulumi-python:dynamic/mihu:SipTrunkConnection resource 'trunk-0': "
            "property gateway value {https://sip.telnyx.com} has a problem: gateway must be "
            "a bare hostname or IP") in text
    assert ("property password value {[secret]} has a problem: password must not contain "
            "control characters") in text
    assert "bad\npw" not in text
    up = cli.up(expect_failure=True)
    assert "gateway" in up.stdout + up.stderr
    assert sim.requests == [], "nothing reaches the API"


def test_a_stack_of_fifty_trunks(make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"count": 50})
    cli.up()
    assert len(sim.connections) == 50
    assert sorted(c["phone_number"] for c in sim.connections.values()) == [
        f"+1555123{i:04d}" for i in range(50)]
    assert sorted(cli.outputs()["uuids"]) == sorted(sim.connections)
    assert len(cli.resources(TRUNK)) == 50
    assert cli.preview_json().changes() == {}
    assert len(sim.writes()) == 50
    cli.destroy()
    assert sim.connections == {}
    assert len(sim.requests_to("DELETE")) == 50


def test_outputs_never_show_credentials(make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim)
    cli.up()
    text = cli.run("stack", "--show-urns", "--stack", cli.stack).stdout
    text += json.dumps(cli.export_state())
    assert_no_credentials(text, "stack listing and export")
    assert DEFAULT_TOKEN not in json.dumps(cli.export_state())


# -- failed deployments, then the next up (what the provider sees of the engine's state) ---


def test_a_failed_create_among_several_in_flight_then_up(make_cli: MakeCli,
                                                         sim: MihuSimulator) -> None:
    """8 creates at 0.2 s latency, one answered 422: the creates in flight when it failed
    finish and are recorded (how many started is a race inside the engine), and the next
    up creates exactly the missing ones: none is refused as a twin, none made twice."""
    cli = make_cli(sim, {"count": 8})
    sim.state.latency = 0.2
    sim.inject(Fault(status=422, method="POST"))
    cli.up(expect_failure=True)
    recorded = sorted(r["id"] for r in cli.resources(TRUNK))
    assert recorded == sorted(sim.connections) and len(recorded) >= 3
    sim.state.latency = 0.0
    cli.up()
    assert sorted(r["id"] for r in cli.resources(TRUNK)) == sorted(sim.connections)
    assert len(sim.connections) == 8
    assert len(sim.requests_to("POST")) == 9, "8 connections and the one refused: no leak"


def test_a_replacement_whose_dependent_fails_is_finished_by_the_next_up(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """trunk-0 is replaced (create first), then its dependent fails its check: the replaced
    trunk-0 stays in the state, marked for deletion, beside its replacement. The next up
    deletes it (a Delete of an id that no Diff saw) and replaces trunk-0 no more."""
    cli = make_cli(sim, {"count": 1, "chained": True})
    cli.up()
    old = cli.outputs()["uuid"]
    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD,
                    **program_config(count=1, chained=True, break_chained=True)},
                   {f"{CLI_PROJECT}:sipPassword"})
    failed = cli.up(expect_failure=True)
    assert "chained" in failed.stdout + failed.stderr
    entries = sorted((r["urn"].rsplit("::", 1)[-1], bool(r.get("delete")))
                     for r in cli.resources(TRUNK))
    assert entries == [("chained", False), ("trunk-0", False), ("trunk-0", True)]
    assert sorted(r["id"] for r in cli.resources(TRUNK)) == sorted(sim.connections)

    cli.set_config(program_config(count=1, chained=True))
    posts, deletes = len(sim.requests_to("POST")), len(sim.requests_to("DELETE"))
    cli.up()
    new = cli.outputs()["uuid"]
    assert new != old and old not in sim.connections
    assert sorted(r["id"] for r in cli.resources(TRUNK)) == sorted(sim.connections)
    assert not any(r.get("delete") for r in cli.resources(TRUNK))
    assert len(sim.connections) == 2 and credentials(sim) == [
        (SIP_USERNAME, ROTATED_PASSWORD)] * 2
    assert len(sim.requests_to("POST")) - posts == 1, "only the dependent is created"
    assert len(sim.requests_to("DELETE")) - deletes == 2, "the old trunk-0 and dependent"


def test_a_delete_before_replace_whose_create_failed_is_finished_by_the_next_up(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """The old connection is deleted, its replacement's create fails: the state keeps the
    entry, marked as already deleted (``pendingReplacement``); the next up creates the
    replacement without deleting again, and nothing is taken for a twin."""
    cli = make_cli(sim, {"trunks": [{"options": {"delete_before_replace": True}}]})
    cli.up()
    old = cli.outputs()["uuid"]
    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD},
                   {f"{CLI_PROJECT}:sipPassword"})
    sim.inject(Fault(status=422, method="POST"))
    cli.up(expect_failure=True)
    assert sim.connections == {}
    [entry] = cli.resources(TRUNK)
    assert entry["id"] == old and entry.get("pendingReplacement")
    cli.up()
    [entry] = cli.resources(TRUNK)
    assert entry["id"] != old and not entry.get("pendingReplacement")
    assert list(sim.connections) == [entry["id"]]
    assert credentials(sim) == [(SIP_USERNAME, ROTATED_PASSWORD)]
    assert len(sim.requests_to("DELETE")) == 1, "the old one is not deleted twice"
