"""AgentSipTrunkAssignment through the real Pulumi CLI: the agent follows a trunk
replacement, a number used by another agent points to force, destroy warns."""

from __future__ import annotations

from pulumi_mihu.testing import MihuSimulator
from support import CLI_PROJECT, ROTATED_PASSWORD, MakeCli, program_config


def test_the_agent_follows_a_trunk_replacement(make_cli: MakeCli, sim: MihuSimulator) -> None:
    agent = sim.add_agent()
    cli = make_cli(sim, {"agent": agent})
    plan = cli.preview_json()
    assert {s.name: s.op for s in plan.resource_steps()} == {
        "trunk-0": "create", "agent-calls": "create"}
    assert sim.requests == []
    cli.up()
    old = cli.outputs()["uuid"]
    assert sim.state.assignments == {agent: old}
    assert cli.outputs()["assigned_connection"] == old

    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD},
                   {f"{CLI_PROJECT}:sipPassword"})
    steps = {s.name: s for s in cli.preview_json().resource_steps()}
    assert steps["trunk-0"].op == "replace" and steps["trunk-0"].replace_reasons == ["password"]
    # The new trunk's uuid is unknown in preview, so the assignment's replacement shows
    # as a possible change of connection_uuid.
    assert steps["agent-calls"].op in ("replace", "update"), steps["agent-calls"]
    up = cli.up()
    new = cli.outputs()["uuid"]
    assert new != old and list(sim.connections) == [new]
    assert sim.state.assignments == {agent: new}, "the agent routes through the new trunk"
    assert cli.outputs()["assigned_connection"] == new
    assert "keeps routing its calls" not in up.stdout, "the old assignment was superseded"
    assign_calls = [r for r in sim.requests_to("POST") if r.path.startswith("/api/v1/agents/")]
    assert [r.body["connection_uuid"] for r in assign_calls] == [old, new]
    writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sim.writes()]
    assert writes.index(("DELETE", old)) > writes.index(("POST", "sip-trunk"), 1), (
        "the agent is re-pointed before the old trunk is deleted")

    destroyed = cli.destroy()
    assert "keeps routing its calls through SIP trunk connection" in destroyed.stdout
    assert sim.connections == {}


def test_a_number_used_by_another_agent_points_to_force(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    first, second = sim.add_agent(), sim.add_agent()
    owner = make_cli(sim, {"agent": first})
    owner.up()
    trunk = owner.outputs()["uuid"]
    # A second stack assigns another agent to its own trunk with the same phone number
    # (named otherwise: an identical connection would be refused as a twin).
    rival_trunks = [{"name": "rival-line"}]
    rival = make_cli(sim, {"agent": second, "trunks": rival_trunks}, stack="rival")
    failed = rival.up(expect_failure=True)
    text = failed.stdout + failed.stderr
    assert "already used by another agent" in text and "force=True" in text
    assert sim.state.assignments[first] == trunk and second not in sim.state.assignments
    rival.set_config(program_config(agent=second, force=True, trunks=rival_trunks))
    rival.up()
    assert second in sim.state.assignments
