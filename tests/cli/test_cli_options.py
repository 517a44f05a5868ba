"""Resource options through the real Pulumi CLI: delete_before_replace, retain_on_delete,
protect and ignore_changes, judged by the simulator's account."""

from __future__ import annotations

from pulumi_mihu.testing import MihuSimulator
from support import CLI_PROJECT, ROTATED_PASSWORD, SIP_PASSWORD, MakeCli, program_config

TRUNK = "SipTrunkConnection"


def test_delete_before_replace_deletes_the_old_connection_first(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    options = {"delete_before_replace": True}
    cli = make_cli(sim, {"trunks": [{"name": "main", "options": options}]})
    cli.up()
    old = cli.outputs()["uuid"]
    cli.set_config(program_config(trunks=[{"name": "renamed", "options": options}]))
    [step] = cli.preview_json().resource_steps(TRUNK)
    assert step.op == "replace" and step.replace_reasons == ["name"]
    up = cli.up()
    assert "+-1 replaced" in up.stdout
    new = cli.outputs()["uuid"]
    writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sim.writes()]
    assert writes == [("POST", "connections"), ("DELETE", old), ("POST", "connections")]
    assert list(sim.connections) == [new] and sim.connections[new]["name"] == "renamed"


def test_retain_on_delete_keeps_the_connection_in_the_account(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [{"options": {"retain_on_delete": True}}]})
    cli.up()
    uuid = cli.outputs()["uuid"]
    cli.set_config(program_config(trunks=[]))
    plan = cli.preview_json()
    # The engine plans a "delete" step (retained: the provider's delete is not called).
    assert [s.op for s in plan.resource_steps(TRUNK)] == ["delete"]
    up = cli.up()
    assert "deleted (0.00s)[retain]" in up.stdout or "[retain]" in up.stdout
    assert list(sim.connections) == [uuid], "still in the account"
    assert cli.resources(TRUNK) == [], "but no longer in the stack"
    assert sim.requests_to("DELETE") == []


def test_protect_refuses_replace_and_destroy_until_lifted(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [{"name": "main", "options": {"protect": True}}]})
    cli.up()
    uuid = cli.outputs()["uuid"]
    cli.set_config(program_config(trunks=[{"name": "renamed", "options": {"protect": True}}]))
    refused = cli.up(expect_failure=True)
    assert "protect" in refused.stdout + refused.stderr
    destroy = cli.destroy(expect_failure=True)
    assert "protected" in destroy.stdout + destroy.stderr
    assert list(sim.connections) == [uuid]
    assert sim.connections[uuid]["name"] == "main"
    assert len(sim.writes()) == 1

    cli.set_config(program_config(trunks=[{"name": "main"}]))
    cli.up()
    assert list(sim.connections) == [uuid], "lifting protect replaces nothing"
    cli.destroy()
    assert sim.connections == {}


def test_ignore_changes_keeps_a_password_rotated_outside_pulumi(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, {"trunks": [{"options": {"ignore_changes": ["password"]}}]})
    cli.up()
    uuid = cli.outputs()["uuid"]
    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD},
                   {f"{CLI_PROJECT}:sipPassword"})
    assert cli.preview_json().changes() == {}
    assert "unchanged" in cli.up().stdout
    assert len(sim.writes()) == 1
    assert sim.connections[uuid]["password"] == SIP_PASSWORD
