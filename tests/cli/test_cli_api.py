"""The two API worlds and API errors, through the real Pulumi CLI: refresh with drift,
an API without the undocumented GET/DELETE routes, SipTrunkConnection.get, import (which
does not work for dynamic resources), and errors
(401, 403, a persistent 503) as the user sees them in the CLI output."""

from __future__ import annotations

from pulumi_mihu.testing import Fault, MihuSimulator
from support import (
    CLI_PROJECT,
    ROTATED_PASSWORD,
    SIP_PASSWORD,
    WRONG_TOKEN,
    MakeCli,
    provider_for,
    requests_since,
    trunk_inputs,
)

TRUNK = "SipTrunkConnection"
#: The ledger's warning for a Delete of a connection another resource of the stack has.
KEPT_WARNING = "another resource of this stack has it"


def test_refresh_picks_up_drift_and_a_deletion(make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [{"name": "main"}]})
    cli.up()
    uuid = cli.outputs()["uuid"]

    sim.connections[uuid]["name"] = "edited in the console"
    sim.connections[uuid]["status"] = "suspended"
    refreshed = cli.refresh()
    assert "~ 1 updated" in refreshed.stdout
    [trunk] = cli.resources(TRUNK)
    assert trunk["outputs"]["name"] == "edited in the console"
    assert trunk["outputs"]["status"] == "suspended"
    [step] = cli.preview_json().resource_steps(TRUNK)
    assert step.op == "replace" and step.replace_reasons == ["name"], "the program wins back"

    del sim.connections[uuid]
    gone = cli.refresh()
    assert "- 1 deleted" in gone.stdout
    assert cli.resources(TRUNK) == []
    cli.up()
    assert len(sim.connections) == 1 and cli.outputs()["uuid"] in sim.connections


def test_without_read_routes_refresh_keeps_state_and_destroy_names_what_is_left(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    cli = make_cli(bare_sim, {"trunks": [{"name": "main", "phone_number": "+15551234567"}]})
    cli.up()
    uuid = cli.outputs()["uuid"]
    before = cli.snapshot(TRUNK)

    refreshed = cli.refresh()
    assert "Could not refresh" in refreshed.stdout and uuid in refreshed.stdout
    assert cli.snapshot(TRUNK) == before

    destroyed = cli.destroy()
    text = destroyed.stdout + destroyed.stderr
    assert "NOT deleted" in text
    assert uuid in text and "'main'" in text and "+15551234567" in text
    assert KEPT_WARNING not in text, "a removal, not a connection another resource has"
    assert cli.resources() == [], "the stack is empty"
    assert list(bare_sim.connections) == [uuid], "the connection is still in the account"
    assert bare_sim.connections[uuid]["password"] == SIP_PASSWORD, "left as it was, as warned"
    # (test_cli_replacement_guard.py's destroy case in the default order, merged here.)
    assert [m for m in requests_since(bare_sim) if m[0] != "GET"] == [
        ("POST", "connections"), ("DELETE", uuid)], "the refresh writes nothing"


def test_get_reads_an_existing_connection(make_cli: MakeCli, sim: MihuSimulator) -> None:
    owner = make_cli(sim, {"trunks": [{"name": "owned", "phone_number": "+15557654321"}]})
    owner.up()
    uuid = owner.outputs()["uuid"]
    reader = make_cli(sim, {"trunks": [], "get": uuid}, stack="reader")
    plan = reader.preview_json()
    assert [s.op for s in plan.resource_steps(TRUNK)] == ["read"]
    reader.up()
    outputs = reader.outputs()
    assert outputs["existing_phone"] == "+15557654321" and outputs["existing_name"] == "owned"
    assert len(sim.writes()) == 1, "get writes nothing"
    reader.destroy()
    assert list(sim.connections) == [uuid], "destroying the reader leaves the connection"


def test_get_fails_clearly_without_a_read_route(make_cli: MakeCli,
                                                bare_sim: MihuSimulator) -> None:
    owner = make_cli(bare_sim)
    owner.up()
    uuid = owner.outputs()["uuid"]
    reader = make_cli(bare_sim, {"trunks": [], "get": uuid}, stack="reader")
    failed = reader.up(expect_failure=True)
    text = failed.stdout + failed.stderr
    assert f"Cannot read SIP trunk connection {uuid}" in text
    assert "documents no read endpoint" in text


def test_import_does_not_work_and_changes_nothing(make_cli: MakeCli,
                                                 sim: MihuSimulator) -> None:
    """README: `ResourceOptions(import_=...)` does not work for dynamic resources (the
    engine's import read carries no provider); adopt_uuid does that job."""
    uuid = provider_for(sim).create(trunk_inputs(name="trunk-0")).id
    sim.state.requests.clear()
    cli = make_cli(sim, {"trunks": [{"options": {"import_": uuid}}]})
    failed = cli.up(expect_failure=True)
    assert "KeyError: '__provider'" in failed.stdout + failed.stderr, "the import read's"
    assert sim.writes() == [] and list(sim.connections) == [uuid]
    assert cli.resources(TRUNK) == []


def test_a_wrong_token_fails_up_with_what_to_check(make_cli: MakeCli,
                                                   sim: MihuSimulator) -> None:
    cli = make_cli(sim, **{"mihu:apiToken": WRONG_TOKEN})
    cli.preview()
    assert sim.requests == [], "the preview does not use the token"
    failed = cli.up(expect_failure=True)
    text = failed.stdout + failed.stderr
    assert "HTTP 401" in text and "INVALID_AUTH_TOKEN" in text
    assert "Check the token (stack config 'mihu:apiToken'" in text
    assert sim.connections == {}
    assert cli.resources(TRUNK) == []


def test_api_errors_as_the_user_sees_them(make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim)
    sim.inject(Fault(status=403, method="POST", path_prefix="/api/v1/channels"))
    forbidden = cli.up(expect_failure=True)
    text = forbidden.stdout + forbidden.stderr
    assert "HTTP 403" in text and "lacks a permission" in text
    assert sim.connections == {}

    cli.up()
    uuid = cli.outputs()["uuid"]
    sim.inject(Fault(status=503, method="GET", path_prefix="/api/v1/channels", times=10))
    unavailable = cli.refresh(expect_failure=True)
    text = unavailable.stdout + unavailable.stderr
    assert "HTTP 503" in text and "SERVICE_UNAVAILABLE" in text
    refreshes = [r for r in sim.requests_to("GET") if r.path.endswith(uuid)]
    assert len(refreshes) == 3, "mihu:maxAttempts tries"
    assert [r["outputs"]["uuid"] for r in cli.resources(TRUNK)] == [uuid]

    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD},
                   {f"{CLI_PROJECT}:sipPassword"})
    sim.state.faults.clear()
    sim.inject(Fault(status=503, method="DELETE", path_prefix="/api/v1/channels", times=10))
    failed_delete = cli.up(expect_failure=True)
    text = failed_delete.stdout + failed_delete.stderr
    assert "HTTP 503" in text
    assert uuid in sim.connections, "the old connection could not be deleted"
    assert len(sim.connections) == 2
    sim.state.faults.clear()
    cli.up()
    assert list(sim.connections) == [cli.outputs()["uuid"]], "the next up finishes the job"
