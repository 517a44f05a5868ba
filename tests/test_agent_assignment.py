"""AgentSipTrunkAssignment: provider behaviour over HTTP, and the trunk-plus-assignment
lifecycle through the engine-protocol harness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_mihu import (
    AgentSipTrunkAssignment,
    AgentSipTrunkAssignmentProvider,
    MihuError,
    SipTrunkConnection,
)
from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.harness import DeploymentError, StackHarness
from support import SIP_PASSWORD, SIP_USERNAME, provider_for, settings_for, trunk_inputs

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "agent_assignment"


def assignment_provider(server: MihuSimulator) -> AgentSipTrunkAssignmentProvider:
    provider = AgentSipTrunkAssignmentProvider()
    provider.configure_with(settings_for(server))
    return provider


def new_trunk(server: MihuSimulator, phone: str = "+15551230000") -> str:
    return provider_for(server).create(trunk_inputs(phone_number=phone)).id


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
    assert shared.outs["force"] is True
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
    outs = provider.create({"agent_uuid": agent, "connection_uuid": trunk}).outs
    news = {"agent_uuid": agent, "connection_uuid": trunk, "force": True}
    diff = provider.diff("id", outs, news)
    assert diff.changes is True and diff.replaces == []
    before = len(sim.requests)
    assert provider.update("id", outs, news).outs["force"] is True
    assert len(sim.requests) == before


def test_changing_the_connection_or_agent_replaces(sim: MihuSimulator) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    outs = provider.create({"agent_uuid": agent, "connection_uuid": trunk}).outs
    other = {"agent_uuid": agent, "connection_uuid": new_trunk(sim, "+15559990000")}
    assert provider.diff("id", outs, other).replaces == ["connection_uuid"]


def test_delete_warns_that_the_agent_keeps_its_routing(
        sim: MihuSimulator, capsys: pytest.CaptureFixture) -> None:
    agent, trunk = sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    outs = provider.create({"agent_uuid": agent, "connection_uuid": trunk}).outs
    assignment_provider(sim).delete(f"{agent}/{trunk}", outs)   # another deployment
    warning = capsys.readouterr().err
    assert f"Agent {agent} keeps routing" in warning and trunk in warning
    assert sim.state.assignments == {agent: trunk}


def test_delete_after_reassignment_in_the_same_deployment_is_silent(
        sim: MihuSimulator, capsys: pytest.CaptureFixture) -> None:
    agent, old, new = sim.add_agent(), new_trunk(sim), new_trunk(sim, "+15559990000")
    provider = assignment_provider(sim)
    old_outs = provider.create({"agent_uuid": agent, "connection_uuid": old}).outs
    provider.create({"agent_uuid": agent, "connection_uuid": new})
    provider.delete(f"{agent}/{old}", old_outs)
    assert capsys.readouterr().err == ""


# -- lifecycle --------------------------------------------------------------------------


class Program:
    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.password = SIP_PASSWORD

    def __call__(self) -> None:
        trunk = SipTrunkConnection("line", phone_number="+15551230000",
                                   gateway="sip.telnyx.com", username=SIP_USERNAME,
                                   password=self.password)
        assignment = AgentSipTrunkAssignment("calls", agent_uuid=self.agent,
                                             connection_uuid=trunk.uuid)
        pulumi.export("trunk", trunk.uuid)
        pulumi.export("assigned", assignment.connection_uuid)
        pulumi.export("phone", assignment.phone_number)


def test_trunk_and_assignment_lifecycle(sim: MihuSimulator,
                                        make_stack: Callable[..., StackHarness]) -> None:
    program = Program(sim.add_agent())
    stack = make_stack(program, sim)
    assert stack.preview().changes() == {"create": 2}
    first = stack.up()
    assert first.output("assigned") == first.output("trunk")
    assert first.output("phone") == "+15551230000"
    assert sim.state.assignments == {program.agent: first.output("trunk")}
    assert stack.up().changes() == {}

    program.password = "rotated-password"           # replaces the trunk
    plan = stack.preview()
    assert plan.change_summary() == {"replace": 2}
    second = stack.up()
    new_trunk_uuid = second.output("trunk")
    assert new_trunk_uuid != first.output("trunk")
    assert second.output("assigned") == new_trunk_uuid
    assert sim.state.assignments == {program.agent: new_trunk_uuid}
    assert list(sim.connections) == [new_trunk_uuid]
    assert not any("keeps routing" in w for w in second.warnings), "the agent followed"

    final = stack.destroy()
    assert final.changes() == {"delete": 2}
    assert sim.connections == {}
    assert any("keeps routing" in w for w in final.warnings)


def test_collision_fails_the_deployment_with_a_pointer_to_force(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    first, second = sim.add_agent(), sim.add_agent()

    def program() -> None:
        trunk = SipTrunkConnection("line", phone_number="+15551230000",
                                   gateway="sip.telnyx.com", username="u", password="p")
        for name, agent in (("a", first), ("b", second)):
            AgentSipTrunkAssignment(name, agent_uuid=agent, connection_uuid=trunk.uuid)

    with pytest.raises(DeploymentError, match="force=True"):
        make_stack(program, sim).up()


def test_agent_assignment_example(sim: MihuSimulator,
                                  make_stack: Callable[..., StackHarness]) -> None:
    project = "mihu-agent-assignment"
    agent = sim.add_agent()
    config: dict[str, Any] = {f"{project}:agentUuid": agent,
                              f"{project}:phoneNumber": "+15551230000",
                              f"{project}:sipUsername": SIP_USERNAME,
                              f"{project}:sipPassword": SIP_PASSWORD}
    stack = make_stack(EXAMPLE, sim, project=project, config=config)
    stack.secret_keys |= {f"{project}:sipUsername", f"{project}:sipPassword"}
    result = stack.up()
    assert result.output("agent_uuid") == agent
    assert sim.state.assignments == {agent: result.output("trunk_uuid")}
    stack.destroy()


def test_two_assignments_of_one_agent_fail_the_preview_naming_both(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    agent = sim.add_agent()
    first, second = new_trunk(sim), new_trunk(sim, phone="+15559870000")

    def program() -> None:
        for name, connection in (("support-calls", first), ("sales-calls", second)):
            AgentSipTrunkAssignment(name, agent_uuid=agent, connection_uuid=connection)

    writes_before = len(sim.writes())
    with pytest.raises(DeploymentError) as info:
        make_stack(program, sim).preview()
    message = str(info.value.result.errors)
    assert agent in message and "'support-calls'" in message and "sales-calls" in message
    assert len(sim.writes()) == writes_before and sim.state.assignments == {}


def test_one_assignment_per_agent_is_checked_again_without_complaint(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    """The same resource checked twice in one provider process (preview then update in
    one engine run) is not a second assignment."""
    agent, trunk = sim.add_agent(), new_trunk(sim)

    def program() -> None:
        AgentSipTrunkAssignment("calls", agent_uuid=agent, connection_uuid=trunk)

    provider = assignment_provider(sim)
    news = {"agent_uuid": agent, "connection_uuid": trunk, "__resource_name": "calls"}
    assert provider.check({}, news).failures == []
    assert provider.check({}, news).failures == []
    assert make_stack(program, sim).up().changes() == {"create": 1}


def test_the_standalone_simulator_prints_its_token_and_agents_and_takes_more(
        capsys: pytest.CaptureFixture) -> None:
    """A new user running the simulator by hand needs the token and an agent's uuid to
    follow the README's agent example."""
    import threading

    from pulumi_mihu.testing import simulator

    agent = "11111111-2222-3333-4444-555555555555"
    started = threading.Event()
    servers: list[MihuSimulator] = []
    original = MihuSimulator.serve_forever

    def serve(self: MihuSimulator, *args: Any) -> None:
        servers.append(self)
        started.set()
        original(self, *args)

    MihuSimulator.serve_forever = serve  # type: ignore[method-assign]
    try:
        thread = threading.Thread(target=simulator.main, args=(["--port", "0", "--agent", agent],))
        thread.start()
        assert started.wait(10)
        assert agent in servers[0].state.agents
        servers[0].shutdown()
        thread.join(10)
    finally:
        MihuSimulator.serve_forever = original  # type: ignore[method-assign]
    printed = capsys.readouterr().out
    assert servers[0].state.token in printed and agent in printed
    assert "pulumi config set mihu:baseUrl" in printed
