"""Adoption (``adopt_uuid``) and recovery from an interrupted ``pulumi up``, through the
real Pulumi CLI, following the README runbooks "Import an existing connection" and
"After an interrupted deployment" step by step. Judged by the simulator's account and
the exported state.

The interrupted ``up`` is real: the CLI runs as a subprocess in a session of its own, the
simulator commits the POST and holds its answer, and the whole session (the CLI, the
language host, the dynamic provider host, each in a process group of its own) is killed
with SIGKILL while the create is in flight."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli
from pulumi_mihu.testing.simulator import CONNECTIONS, _Handler
from support import (
    CLI_PROJECT,
    ROTATED_PASSWORD,
    MakeCli,
    assert_no_credentials,
    kill_cli_when,
    output_text,
    program_config,
    provider_for,
    requests_since,
    trunk_inputs,
)

TRUNK = "SipTrunkConnection"
#: The connection of every test: what the program declares, and what the console made.
LINE = {"name": "Main line", "phone_number": "+15551230000", "gateway": "sip.telnyx.com"}
MISSING = "0b6d3c8e-1f2a-4b5c-9d7e-8f9a0b1c2d3e"


def made_in_the_console(server: MihuSimulator, **overrides: Any) -> str:
    """A connection that exists before the stack (made by another tool), with the
    program's name, number, gateways and credentials; the request log is then emptied."""
    uuid = provider_for(server).create(trunk_inputs(**{**LINE, **overrides})).id
    server.state.requests.clear()
    return uuid


def assert_credentials_encrypted(cli: PulumiCli, resource: dict[str, Any]) -> None:
    for key in ("username", "password"):
        assert resource["inputs"][key].keys() >= {"ciphertext"}, key
        assert resource["outputs"][key].keys() >= {"ciphertext"}, key
    for path in cli.state_files():
        assert_no_credentials(path.read_bytes().decode(errors="replace"), str(path))


# -- 1. "Import an existing connection", in both API worlds ------------------------------


@pytest.mark.parametrize("world", ["read routes", "documented POST only"])
def test_adopted_connection_is_managed_like_a_created_one(
        make_cli: MakeCli, sim: MihuSimulator, bare_sim: MihuSimulator, world: str) -> None:
    server = sim if world == "read routes" else bare_sim
    uuid = made_in_the_console(server)                                # runbook step 1
    cli = make_cli(server, {"trunks": [{**LINE, "adopt_uuid": uuid}]})  # step 2

    [step] = cli.preview_json().resource_steps(TRUNK)                 # step 3
    assert step.op == "create" and step.new_inputs["adopt_uuid"] == uuid
    assert server.requests == [], "preview sends nothing"

    up = cli.up()                                                     # step 4
    assert "+ 2 created" in up.stdout, "the stack and the trunk"
    assert server.writes() == [], "no POST, no DELETE"
    if server is sim:
        assert requests_since(server) == [("GET", uuid)], "one read of the connection"
        assert f"{uuid} ('+15551230000') is adopted" in output_text(up)
        assert "could not be checked" in output_text(up) and "UNVERIFIED" not in output_text(up)
    else:
        out = output_text(up)
        assert "UNVERIFIED" in out and "Check them in the Mihu console" in out
    [trunk] = cli.resources(TRUNK)
    assert trunk["id"] == uuid and cli.outputs()["uuid"] == uuid
    assert trunk["outputs"]["phone_number"] == "+15551230000"
    assert_credentials_encrypted(cli, trunk)
    assert list(server.connections) == [uuid]

    again = cli.up()                                                  # step 5
    assert "2 unchanged" in again.stdout and "created" not in again.stdout
    assert cli.preview_json().changes() == {}
    if server is bare_sim:
        # "adopt_uuid may stay or go; it is not compared" (it stays in the other world,
        # where the replacement below must then create, not adopt again).
        cli.set_config(program_config(trunks=[LINE]))
        assert cli.preview_json().changes() == {}
    assert server.writes() == []

    # From now on as if the stack had created it: a new password replaces it...
    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD},
                   {f"{CLI_PROJECT}:sipPassword"})
    [step] = cli.preview_json().resource_steps(TRUNK)
    assert step.op == "replace" and step.replace_reasons == ["password"]
    replaced = cli.up()
    assert "+-1 replaced" in replaced.stdout
    [new] = [u for u in server.connections if u != uuid]
    assert cli.outputs()["uuid"] == new
    assert server.connections[new]["password"] == ROTATED_PASSWORD
    assert [c for c in requests_since(server) if c[0] != "GET"] == [
        ("POST", "connections"), ("DELETE", uuid)], "create, then delete the adopted one"
    if server is sim:
        assert list(server.connections) == [new]
    else:
        # README "What happens on change": where the API cannot delete, the old one stays,
        # named in a warning.
        assert "NOT deleted" in output_text(replaced) and uuid in output_text(replaced)
        assert sorted(server.connections) == sorted([uuid, new])

    # ... and destroy deletes it.
    destroyed = cli.destroy()
    assert cli.resources() == []
    assert ("DELETE", new) in requests_since(server)
    if server is sim:
        assert server.connections == {}
    else:
        assert "NOT deleted" in output_text(destroyed) and new in output_text(destroyed)
        assert sorted(server.connections) == sorted([uuid, new])


def test_destroy_deletes_an_adopted_connection(make_cli: MakeCli, sim: MihuSimulator) -> None:
    uuid = made_in_the_console(sim)
    cli = make_cli(sim, {"trunks": [{**LINE, "adopt_uuid": uuid}]})
    cli.up()
    destroyed = cli.destroy()
    assert "- 2 deleted" in destroyed.stdout
    assert [c for c in requests_since(sim) if c[0] != "GET"] == [("DELETE", uuid)]
    assert sim.connections == {} and cli.resources() == []


# -- 2. Refusals: nothing written to the account -----------------------------------------


def test_adoption_refuses_a_uuid_the_account_does_not_have(make_cli: MakeCli,
                                                           sim: MihuSimulator) -> None:
    existing = made_in_the_console(sim)
    cli = make_cli(sim, {"trunks": [{**LINE, "adopt_uuid": MISSING}]})
    refused = cli.up(expect_failure=True)
    assert (f"Cannot adopt SIP trunk connection {MISSING}: the account's list of "
            "connections does not have it") in output_text(refused)
    assert sim.writes() == [] and list(sim.connections) == [existing]
    assert cli.resources(TRUNK) == []


def test_without_read_routes_a_missing_uuid_is_adopted_unverified(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    """The documented limit ("not even that the uuid exists"): said in the warning."""
    cli = make_cli(bare_sim, {"trunks": [{**LINE, "adopt_uuid": MISSING}]})
    up = cli.up()
    assert f"{MISSING} is adopted UNVERIFIED" in output_text(up)
    assert bare_sim.writes() == [] and bare_sim.connections == {}


def test_adoption_refuses_a_connection_with_another_phone_number(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    uuid = made_in_the_console(sim)
    cli = make_cli(sim, {"trunks": [{**LINE, "phone_number": "+15559990000",
                                     "adopt_uuid": uuid}]})
    refused = cli.up(expect_failure=True)
    assert (f"Not adopting SIP trunk connection {uuid}: phone_number is '+15551230000' in "
            "the account but '+15559990000' in the program") in output_text(refused)
    assert sim.writes() == [] and list(sim.connections) == [uuid]
    assert sim.connections[uuid]["phone_number"] == "+15551230000"
    assert cli.resources(TRUNK) == []


def test_two_resources_cannot_adopt_one_uuid(make_cli: MakeCli, sim: MihuSimulator) -> None:
    uuid = made_in_the_console(sim)
    cli = make_cli(sim, {"trunks": [{**LINE, "adopt_uuid": uuid},
                                    {**LINE, "adopt_uuid": uuid}]})
    refused = cli.preview(expect_failure=True)
    # Whichever the engine checks second is the one refused, naming the first.
    refusals = [(second, first) for second, first in (("trunk-1", "trunk-0"),
                                                      ("trunk-0", "trunk-1"))
                if f"resource '{second}': property adopt_uuid value {{{uuid}}} has a "
                   f"problem: {uuid} is already the adopt_uuid of '{first}' in this stack; "
                   "two resources cannot adopt one connection" in output_text(refused)]
    assert len(refusals) == 1, output_text(refused)
    assert sim.requests == []
    cli.up(expect_failure=True)
    assert sim.writes() == [] and list(sim.connections) == [uuid]
    assert [r["id"] for r in cli.resources(TRUNK)] in ([], [uuid]), "never both"


# -- 3. A renamed resource: an alias keeps the connection --------------------------------


def test_a_renamed_resource_keeps_its_connection_only_with_an_alias(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [LINE]})
    cli.up()
    uuid = cli.outputs()["uuid"]

    cli.set_config(program_config(trunks=[{**LINE, "resource_name": "main-line"}]))
    before = len(sim.requests)
    refused = cli.up(expect_failure=True)
    assert ('A renamed resource, `pulumi up --replace`, or a connection made by hand: '
            'README, "Refused as a duplicate"') in output_text(refused)
    assert uuid in output_text(refused)
    assert requests_since(sim, before) == [("GET", "connections")], (
        "the guard's list read, no write")
    assert list(sim.connections) == [uuid], "nothing created, nothing lost"
    assert [(r["urn"].rsplit("::", 1)[-1], r["id"]) for r in cli.resources(TRUNK)] == [
        ("trunk-0", uuid)]

    cli.set_config(program_config(trunks=[{**LINE, "resource_name": "main-line",
                                           "aliases": ["trunk-0"]}]))
    before = len(sim.requests)
    assert cli.preview_json().changes() == {}
    up = cli.up()
    assert "created" not in up.stdout and "deleted" not in up.stdout
    assert sim.requests[before:] == [], "no request at all"
    assert list(sim.connections) == [uuid]
    assert [(r["urn"].rsplit("::", 1)[-1], r["id"]) for r in cli.resources(TRUNK)] == [
        ("main-line", uuid)]


def test_an_adopting_resource_renamed_without_alias_keeps_its_connection(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """With adopt_uuid still set, the new name adopts the connection again and the delete
    of the old name leaves it in the account (one provider process sees both)."""
    uuid = made_in_the_console(sim)
    cli = make_cli(sim, {"trunks": [{**LINE, "adopt_uuid": uuid}]})
    cli.up()
    cli.set_config(program_config(trunks=[{**LINE, "adopt_uuid": uuid,
                                           "resource_name": "main-line"}]))
    up = cli.up()
    assert "is not deleted: another resource of this stack has it" in output_text(up)
    assert sim.writes() == [] and list(sim.connections) == [uuid]
    assert [(r["urn"].rsplit("::", 1)[-1], r["id"]) for r in cli.resources(TRUNK)] == [
        ("main-line", uuid)]


# -- 4. "After an interrupted deployment" ------------------------------------------------


@pytest.fixture
def held_post(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The simulator commits a create, then holds its answer until the event is set (or
    60 s): a create in flight that has already happened."""
    release = threading.Event()
    original = _Handler._route

    def route(handler: _Handler, method: str, path: str, body: Any,
              bad_json: bool) -> tuple[int, Any]:
        answer = original(handler, method, path, body, bad_json)
        if method == "POST" and path == CONNECTIONS:
            release.wait(60)
        return answer

    monkeypatch.setattr(_Handler, "_route", route)
    yield release
    release.set()


def kill_up_during_create(cli: PulumiCli, server: MihuSimulator,
                          release: threading.Event) -> str:
    """Start ``pulumi up``, SIGKILL it (and every process it started) once the simulator
    has committed the create, and return the uuid it committed."""
    kill_cli_when(cli, ["up", "--yes", "--skip-preview"], lambda: bool(server.connections),
                  "up")
    release.set()
    server.wait_idle()
    [orphan] = server.connections
    return orphan


def trunk_urn(cli: PulumiCli) -> str:
    return (f"urn:pulumi:{cli.stack}::{CLI_PROJECT}::pulumi-python:dynamic/mihu:"
            f"{TRUNK}::trunk-0")


def assert_pending_create(cli: PulumiCli) -> None:
    deployment = cli.export_state()["deployment"]
    [pending] = deployment["pending_operations"]
    assert pending["type"] == "creating" and pending["resource"]["urn"] == trunk_urn(cli)
    assert "id" not in pending["resource"] or not pending["resource"]["id"]
    assert cli.resources(TRUNK) == []


def release_the_lock(cli: PulumiCli) -> None:
    """Runbook step 1: the killed run still holds the stack's lock."""
    locked = cli.run("refresh", "--clear-pending-creates", "--yes", "--stack", cli.stack,
                     expect_failure=True)
    out = output_text(locked)
    assert "the stack is currently locked" in out and "pulumi cancel" in out
    cli.run("cancel", "--yes", "--stack", cli.stack)


def drop_the_pending_create(cli: PulumiCli, server: MihuSimulator) -> None:
    """Runbook step 2."""
    before = len(server.requests)
    cli.run("refresh", "--clear-pending-creates", "--yes", "--stack", cli.stack)
    assert server.requests[before:] == []
    deployment = cli.export_state()["deployment"]
    assert not deployment.get("pending_operations")
    assert cli.resources(TRUNK) == []


def adopt_and_check(cli: PulumiCli, server: MihuSimulator, orphan: str,
                    others: int = 0) -> None:
    """Runbook step 4: adopt it; one connection, the stack's, no orphan, no duplicate
    (beside ``others`` connections of nobody's that the account had)."""
    cli.set_config(program_config(trunks=[{**LINE, "adopt_uuid": orphan}]))
    before = len(server.requests)
    up = cli.up()
    assert "+ 1 created" in up.stdout
    assert [c for c in requests_since(server, before) if c[0] != "GET"] == [], "no POST, no DELETE"
    [trunk] = cli.resources(TRUNK)
    assert trunk["id"] == orphan and cli.outputs()["uuid"] == orphan
    assert_credentials_encrypted(cli, trunk)
    assert [uuid for uuid, c in server.connections.items()
            if c["phone_number"] == LINE["phone_number"]] == [orphan], "no orphan, no twin"
    assert len(server.connections) == 1 + others
    assert len(server.requests_to("POST")) == 1, "only the interrupted create ever POSTed"
    assert cli.preview_json().changes() == {}


def test_recovery_after_up_is_killed_during_a_create(
        make_cli: MakeCli, sim: MihuSimulator, held_post: threading.Event) -> None:
    cli = make_cli(sim, {"trunks": [LINE]})
    orphan = kill_up_during_create(cli, sim, held_post)
    assert_pending_create(cli)

    release_the_lock(cli)                                             # step 1
    drop_the_pending_create(cli, sim)                                 # step 2
    before = len(sim.requests)
    refused = cli.up(expect_failure=True)                             # step 3
    assert f'adopt_uuid="{orphan}"' in output_text(refused)
    assert requests_since(sim, before) == [("GET", "connections")], "refused before any POST"
    assert list(sim.connections) == [orphan]
    adopt_and_check(cli, sim, orphan)                                 # step 4


def test_recovery_without_list_route_adopts_what_the_console_shows(
        make_cli: MakeCli, bare_sim: MihuSimulator, held_post: threading.Event) -> None:
    cli = make_cli(bare_sim, {"trunks": [LINE]})
    orphan = kill_up_during_create(cli, bare_sim, held_post)
    assert_pending_create(cli)

    release_the_lock(cli)                                             # step 1
    drop_the_pending_create(cli, bare_sim)                            # step 2
    # No list route: the provider cannot see the leftover. "Look in the Mihu console for
    # a connection with the resource's phone number":
    [found] = [uuid for uuid, record in bare_sim.connections.items()
               if record["phone_number"] == LINE["phone_number"]]
    assert found == orphan
    adopt_and_check(cli, bare_sim, found)                             # step 4, not 3


def test_import_pending_creates_drops_the_pending_create_without_importing_it(
        make_cli: MakeCli, sim: MihuSimulator, held_post: threading.Event) -> None:
    """What `pulumi refresh --import-pending-creates URN ID` does (CLI v3.274.1): it turns
    the pending create into a pending import, which the refresh then drops without any
    Read: the resource is not recorded, so it is no alternative to adopt_uuid. The create
    guard still refuses the duplicate afterwards."""
    cli = make_cli(sim, {"trunks": [LINE]})
    orphan = kill_up_during_create(cli, sim, held_post)
    cli.run("cancel", "--yes", "--stack", cli.stack)

    unpaired = cli.run("refresh", "--import-pending-creates", trunk_urn(cli), orphan,
                       "--yes", "--stack", cli.stack, expect_failure=True)
    assert "accepts 0 arg(s), received 1" in output_text(unpaired), "each value needs the flag"
    before = len(sim.requests)
    cli.run("refresh", "--import-pending-creates", trunk_urn(cli),
            "--import-pending-creates", orphan, "--yes", "--stack", cli.stack)
    assert sim.requests[before:] == [], "no Read reached the provider"
    assert not cli.export_state()["deployment"].get("pending_operations")
    assert cli.resources(TRUNK) == [], "not imported: dropped"

    refused = cli.up(expect_failure=True)
    assert orphan in output_text(refused) and "adopt_uuid" in output_text(refused)
    assert list(sim.connections) == [orphan]
