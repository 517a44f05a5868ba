"""The harness behaves like the Pulumi engine in failing deployments (issue 9): steps
already running when a resource fails finish and are recorded, and a replaced resource
waiting for deletion is a separate checkpoint entry next to its replacement. The same
scenarios run through the real CLI in test_differential.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_mihu import SipTrunkConnection
from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.harness import DeploymentError, StackHarness


class Trunks:
    """``count`` independent trunks; ``backup`` adds one whose name follows the first
    trunk's uuid (made too long, so that its Check fails, when ``break_backup``)."""

    def __init__(self, count: int, backup: bool = False) -> None:
        self.count = count
        self.backup = backup
        self.break_backup = False
        self.password = "first-password"
        self.options: dict[str, Any] = {}

    def __call__(self) -> None:
        trunks = [
            SipTrunkConnection(f"trunk-{i}", pulumi.ResourceOptions(**self.options),
                               phone_number=f"+1555000{i:04d}", gateway="sip.telnyx.com",
                               username=f"user-{i}", password=self.password)
            for i in range(self.count)
        ]
        if self.backup:
            suffix = "x" * 300 if self.break_backup else ""
            SipTrunkConnection("backup", name=trunks[0].uuid.apply(lambda u: f"of-{u}{suffix}"),
                               phone_number="+15559990000", gateway="sip.telnyx.com",
                               username="backup-user", password="backup-password")
        pulumi.export("uuids", [t.uuid for t in trunks])


def trunk_ids(stack: StackHarness) -> list[str]:
    return sorted(r.id for r in stack.resources_of_type("SipTrunkConnection"))


def test_a_failure_lets_creates_in_flight_finish_and_records_them(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    sim.state.latency = 0.2
    # The first POST fails after the others of its wave succeeded and the next wave started.
    sim.inject(Fault(status=422, method="POST", delay=0.1))
    stack = make_stack(Trunks(8), sim)
    with pytest.raises(DeploymentError, match=r"422|refused|invalid"):
        stack.up()
    assert len(sim.connections) >= 3
    assert trunk_ids(stack) == sorted(sim.connections), "every connection made is in state"
    sim.state.latency = 0.0
    stack.up()
    assert len(sim.connections) == 8 and len(trunk_ids(stack)) == 8
    assert trunk_ids(stack) == sorted(sim.connections)


def test_a_failed_replacement_keeps_the_replaced_one_pending_deletion(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    program = Trunks(1, backup=True)
    stack = make_stack(program, sim)
    stack.up()
    old_main = stack.resources_of_type("SipTrunkConnection")[0].id
    program.password, program.break_backup = "second-password", True
    with pytest.raises(DeploymentError, match="backup"):
        stack.up()
    mains = [r for r in stack.state if r.name == "trunk-0"]
    assert len(mains) == 2, "the replacement and the replaced one, as two entries"
    [pending] = [r for r in mains if r.pending_delete]
    [live] = [r for r in mains if not r.pending_delete]
    assert pending.id == old_main and live.id != old_main
    assert len(sim.connections) == 3

    program.break_backup = False
    result = stack.up()
    main_steps = [s.op for s in result.steps if s.urn == live.urn]
    assert main_steps == ["same", "delete-replaced"], "no second replacement"
    assert sorted(sim.connections) == trunk_ids(stack) and len(sim.connections) == 2
    assert live.id in sim.connections and old_main not in sim.connections
    assert not any(r.pending_delete for r in stack.state)


def test_a_delete_before_replace_whose_create_failed_creates_without_deleting_again(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    program = Trunks(1)
    program.options = {"delete_before_replace": True}
    stack = make_stack(program, sim)
    stack.up()
    program.password = "second-password"
    sim.inject(Fault(status=422, method="POST"))
    with pytest.raises(DeploymentError):
        stack.up()
    assert sim.connections == {}
    [entry] = stack.state
    assert entry.pending_replacement, "kept, marked as already deleted"
    deletes = len(sim.requests_to("DELETE"))
    result = stack.up()
    assert [s.op for s in result.steps] == ["replace", "create-replacement"]
    assert len(sim.requests_to("DELETE")) == deletes, "not deleted twice"
    assert len(sim.connections) == 1 and trunk_ids(stack) == sorted(sim.connections)


def test_unprotecting_and_replacing_in_one_up_is_allowed(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    program = Trunks(1)
    program.options = {"protect": True}
    stack = make_stack(program, sim)
    stack.up()
    program.options, program.password = {}, "second-password"
    assert stack.up().change_summary() == {"replace": 1}
    assert len(sim.connections) == 1


def test_independent_deletes_run_in_parallel(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    def destroy_time(parallel: int) -> float:
        sim.state.latency = 0.0
        stack = make_stack(Trunks(4), sim, parallel=parallel)
        stack.up()
        sim.state.latency = 0.6
        started = time.monotonic()
        stack.destroy()
        assert sim.connections == {}
        return time.monotonic() - started

    # One at a time: 4 x 0.6 s (or more); together, on the host's 4 threads: 0.6 s. The
    # margin (1.8 s expected, 0.5 s asserted) holds on a loaded 2-core machine.
    assert destroy_time(8) < destroy_time(1) - 0.5
