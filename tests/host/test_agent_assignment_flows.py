"""One assignment per agent, checked through the real provider host sent the engine's calls
(the call-script driver)."""

from __future__ import annotations

from pulumi_mihu.testing import MihuSimulator
from support import Deploy, assignment_provider, attempt, new_trunk
from support.driver import ASSIGNMENT


def test_two_assignments_of_one_agent_fail_the_preview_naming_both(
        sim: MihuSimulator, deploy: Deploy) -> None:
    agent = sim.add_agent()
    first, second = new_trunk(sim), new_trunk(sim, phone="+15559870000")
    writes_before = len(sim.writes())
    with deploy(sim) as run:           # a preview: the Check of each, in the program's order
        run.check("support-calls", {"agent_uuid": agent, "connection_uuid": first},
                  type_=ASSIGNMENT)
        _, error = attempt(run.check, "sales-calls",
                           {"agent_uuid": agent, "connection_uuid": second}, type_=ASSIGNMENT)
    assert error is not None and agent in error and "'support-calls'" in error
    assert len(sim.writes()) == writes_before and sim.state.assignments == {}


def test_one_assignment_per_agent_is_checked_again_without_complaint(
        sim: MihuSimulator, deploy: Deploy) -> None:
    """The same resource checked twice in one provider process (a Check, then the Check
    and Create of its creation) is not a second assignment."""
    agent, trunk = sim.add_agent(), new_trunk(sim)
    provider = assignment_provider(sim)
    news = {"agent_uuid": agent, "connection_uuid": trunk, "__resource_name": "calls"}
    assert provider.check({}, news).failures == []
    assert provider.check({}, news).failures == []
    inputs = {"agent_uuid": agent, "connection_uuid": trunk}
    with deploy(sim) as run:
        run.check("calls", inputs, type_=ASSIGNMENT)
        run.create("calls", inputs, ASSIGNMENT)
    assert sim.state.assignments == {agent: trunk}
