"""AgentSipTrunkAssignment: provider behaviour over HTTP, and the one-assignment-per-agent
check through the real provider host (``deploy``: tests/support/driver.py). The
trunk-plus-assignment lifecycle, the collision that points to ``force`` and the example
run through the real CLI (tests/cli/test_cli_agent.py, tests/cli/test_cli_examples.py)."""

from __future__ import annotations

import pytest

from pulumi_mihu import AgentSipTrunkAssignmentProvider, MihuError
from pulumi_mihu.testing import Fault, MihuSimulator
from support import assignment_provider, new_trunk, outs_of


def test_create_assigns_and_reports_the_phone_number(sim: MihuSimulator) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    result = assignment_provider(sim).create({"agent_uuid": agent, "connection_uuid": trunk})
    assert result.id == f"{agent}/{trunk}"
    assert result.outs == {"agent_uuid": agent, "connection_uuid": trunk, "force": False,
                           "phone_number": "+15551230000"}
    assert sim.state.assignments == {agent: trunk}
    assert sim.requests[-1].body == {"connection_uuid": trunk, "force": False}


def test_check_names_bad_fields() -> None:
    result = AgentSipTrunkAssignmentProvider().check(
        {}, {"agent_uuid": "agent-1", "connection_uuid": 5, "force": "yes"})
    reasons = {f.property: f.reason for f in result.failures}
    assert reasons["agent_uuid"].startswith("agent_uuid must be a UUID")
    assert reasons["connection_uuid"] == "connection_uuid must be a string"
    assert reasons["force"] == "force must be true or false"


def test_a_phone_number_used_by_another_agent_is_refused_with_a_pointer_to_force(
        sim: MihuSimulator) -> None:
    first, second, trunk = sim.add_agent(), sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    provider.create({"agent_uuid": first, "connection_uuid": trunk})
    with pytest.raises(MihuError, match=r"already used by another agent.*force=True"):
        provider.create({"agent_uuid": second, "connection_uuid": trunk})
    shared = provider.create({"agent_uuid": second, "connection_uuid": trunk, "force": True})
    assert outs_of(shared)["force"] is True
    assert sim.state.assignments == {first: trunk, second: trunk}


def test_the_assign_upsert_is_retried_on_server_errors(sim: MihuSimulator) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    sim.inject(Fault(status=503, method="POST", path_prefix="/api/v1/agents/", times=2))
    assignment_provider(sim).create({"agent_uuid": agent, "connection_uuid": trunk})
    assert sim.state.assignments == {agent: trunk}


def test_unknown_agent_is_a_clear_error(sim: MihuSimulator) -> None:
    with pytest.raises(MihuError, match="AGENT_NOT_FOUND"):
        assignment_provider(sim).create({"agent_uuid": "0b7a1f1e-0000-4000-8000-000000000000",
                                         "connection_uuid": new_trunk(sim)})


def test_changing_force_updates_in_place_without_a_request(sim: MihuSimulator) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    outs = outs_of(provider.create({"agent_uuid": agent, "connection_uuid": trunk}))
    news = {"agent_uuid": agent, "connection_uuid": trunk, "force": True}
    diff = provider.diff("id", outs, news)
    assert diff.changes is True and diff.replaces == []
    before = len(sim.requests)
    assert outs_of(provider.update("id", outs, news))["force"] is True
    assert len(sim.requests) == before


def test_changing_the_connection_or_agent_replaces(sim: MihuSimulator) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    outs = outs_of(provider.create({"agent_uuid": agent, "connection_uuid": trunk}))
    other = {"agent_uuid": agent, "connection_uuid": new_trunk(sim, "+15559990000")}
    assert provider.diff("id", outs, other).replaces == ["connection_uuid"]


def test_delete_warns_that_the_agent_keeps_its_routing(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    outs = outs_of(provider.create({"agent_uuid": agent, "connection_uuid": trunk}))
    assignment_provider(sim).delete(f"{agent}/{trunk}", outs)   # another deployment
    warning = capsys.readouterr().err
    assert f"Agent {agent} keeps routing" in warning and trunk in warning
    assert sim.state.assignments == {agent: trunk}


def test_delete_after_reassignment_in_the_same_deployment_is_silent(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    agent, old, new = sim.add_agent(), new_trunk(sim), new_trunk(sim, "+15559990000")
    provider = assignment_provider(sim)
    old_outs = outs_of(provider.create({"agent_uuid": agent, "connection_uuid": old}))
    provider.create({"agent_uuid": agent, "connection_uuid": new})
    provider.delete(f"{agent}/{old}", old_outs)
    assert capsys.readouterr().err == ""


# -- through the provider host ------------------------------------------------------------


def test_the_standalone_simulator_prints_its_token_and_agents_and_takes_more(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A new user running the simulator by hand needs the token and an agent's uuid to
    follow the README's agent example."""
    import threading

    from pulumi_mihu.testing import simulator

    agent = "11111111-2222-3333-4444-555555555555"
    started = threading.Event()
    servers: list[MihuSimulator] = []
    original = MihuSimulator.serve_forever

    def serve(self: MihuSimulator, poll_interval: float = 0.5) -> None:
        servers.append(self)
        started.set()
        original(self, poll_interval)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MihuSimulator, "serve_forever", serve)
        thread = threading.Thread(target=simulator.main, args=(["--port", "0", "--agent", agent],))
        thread.start()
        assert started.wait(10)
        assert agent in servers[0].state.agents
        servers[0].shutdown()
        thread.join(10)
    printed = capsys.readouterr().out
    assert servers[0].state.token in printed and agent in printed
    assert "pulumi config set mihu:baseUrl" in printed
