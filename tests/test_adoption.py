"""Bringing an existing connection under a stack (``adopt_uuid``), through the
engine-protocol harness and the provider host, in both API worlds: no POST, no DELETE,
then the connection behaves as if the stack had created it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_mihu import SipTrunkConnection
from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.harness import DeploymentError, StackHarness
from support import SIP_PASSWORD, SIP_USERNAME, provider_for, trunk_inputs

CONSOLE_PASSWORD = "Console-made-9c2e11"


class Program:
    def __init__(self, adopt_uuid: str | None, **inputs: Any) -> None:
        self.names = ["main"]
        self.inputs = {"name": "main-line", "phone_number": "+15551230000",
                       "gateway": "sip.telnyx.com", "username": SIP_USERNAME,
                       "password": SIP_PASSWORD, "adopt_uuid": adopt_uuid, **inputs}

    def __call__(self) -> None:
        for name in self.names:
            trunk = SipTrunkConnection(name, pulumi.ResourceOptions(), **self.inputs)
            pulumi.export(f"{name}_uuid", trunk.uuid)


def made_in_the_console(sim: MihuSimulator) -> str:
    """A connection that exists before the stack, made with the program's name, number and
    gateways (and a password the program will record)."""
    uuid = provider_for(sim).create(trunk_inputs(password=CONSOLE_PASSWORD)).id
    sim.state.requests.clear()
    return uuid


def test_adoption_makes_no_post_and_then_behaves_as_created(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    uuid = made_in_the_console(sim)
    program = Program(uuid)
    stack = make_stack(program, sim)
    assert stack.preview().changes() == {"create": 1}
    result = stack.up()
    assert result.output("main_uuid") == uuid and sim.writes() == []
    assert any("adopted" in w for w in result.warnings)
    assert stack.up().changes() == {} and sim.writes() == []

    program.inputs["password"] = "Rotated-Passw0rd-1"   # from now on, as if created
    replaced = stack.up()
    assert replaced.changes()["replace"] == 1
    new_uuid = replaced.output("main_uuid")
    assert list(sim.connections) == [new_uuid] and new_uuid != uuid
    assert sim.connections[new_uuid]["password"] == "Rotated-Passw0rd-1"
    stack.destroy()
    assert sim.connections == {}


def test_adoption_refuses_a_connection_that_does_not_match_the_program(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    uuid = made_in_the_console(sim)
    stack = make_stack(Program(uuid, phone_number="+15559990000"), sim)
    with pytest.raises(DeploymentError) as info:
        stack.up()
    message = "\n".join(info.value.result.errors)
    assert "phone_number is '+15551230000' in the account" in message
    assert sim.writes() == [] and stack.state == []


def test_adoption_refuses_a_uuid_the_account_does_not_have(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    made_in_the_console(sim)
    missing = "0b6d3c8e-1f2a-4b5c-9d7e-8f9a0b1c2d3e"
    with pytest.raises(DeploymentError, match="does not have it"):
        make_stack(Program(missing), sim).up()
    assert sim.writes() == []


def test_two_resources_cannot_adopt_one_connection(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    uuid = made_in_the_console(sim)
    program = Program(uuid)
    program.names = ["first", "second"]
    with pytest.raises(DeploymentError) as info:
        make_stack(program, sim).preview()
    message = "\n".join(info.value.result.errors)
    assert uuid in message and "'first'" in message and "second" in message


def test_adoption_without_read_routes_is_unverified_and_says_so(
        bare_sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    uuid = made_in_the_console(bare_sim)
    stack = make_stack(Program(uuid), bare_sim)
    result = stack.up()
    assert result.output("main_uuid") == uuid and bare_sim.writes() == []
    assert any("UNVERIFIED" in w for w in result.warnings)
    assert stack.up().changes() == {}


def test_renaming_an_adopting_resource_keeps_the_connection(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    """The new name adopts it again; the delete of the old name must not remove it."""
    uuid = made_in_the_console(sim)
    program = Program(uuid)
    stack = make_stack(program, sim)
    stack.up()
    program.names = ["renamed"]
    result = stack.up()
    assert result.output("renamed_uuid") == uuid
    assert list(sim.connections) == [uuid] and sim.writes() == []


def test_an_interrupted_create_is_recovered_by_adopting_what_it_left(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    """What an interrupted `pulumi up` leaves: a connection the state does not know. The
    next create refuses to duplicate it and points to adopt_uuid; adopting it ends with
    one managed connection."""
    orphan = provider_for(sim).create(trunk_inputs()).id  # committed, answer never read
    program = Program(None)
    stack = make_stack(program, sim)
    with pytest.raises(DeploymentError, match="adopt_uuid") as info:
        stack.up()
    assert orphan in "\n".join(info.value.result.errors)
    program.inputs["adopt_uuid"] = orphan
    assert stack.up().output("main_uuid") == orphan
    assert list(sim.connections) == [orphan] and len(sim.requests_to("POST")) == 1


def test_adopt_uuid_set_on_an_existing_resource_is_ignored_with_a_warning(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    program = Program(None)
    stack = make_stack(program, sim)
    stack.up()
    [created] = sim.connections
    other = provider_for(sim).create(trunk_inputs(name="other-line")).id
    writes = len(sim.writes())
    program.inputs["adopt_uuid"] = other
    result = stack.up()
    assert result.changes() == {} and len(sim.writes()) == writes
    assert any(f"adopt_uuid {other} is ignored" in w and created in w for w in result.warnings)
