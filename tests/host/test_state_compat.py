"""Stacks written by any release since 0.1.0 are refreshed, diffed and destroyed by this
one: every ``__provider`` string in tests/data/provider_strings.json drives the real
provider host (``python -m pulumi.dynamic``) against the simulator.

Each ``pulumi`` command starts a provider host of its own, and so does each step here:
the resource is created (the ``up`` of the release that wrote the string), then a
``pulumi preview --refresh`` reads it (also as a get does) and diffs it, and a ``pulumi
destroy`` deletes it, the recorded string always in the state. This version's program
sends the string it writes itself in the new inputs: that is no change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_mihu import __version__
from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.host import ProviderHost
from support import (
    PROMISED_PROVIDER_PATHS,
    recorded_provider_strings,
    stack_config,
    trunk_inputs,
)

TRUNK = "pulumi-python:dynamic/mihu:SipTrunkConnection"
ASSIGNMENT = "pulumi-python:dynamic/mihu:AgentSipTrunkAssignment"
RECORDED = recorded_provider_strings()


def cases(typ: str) -> list[Any]:
    path = PROMISED_PROVIDER_PATHS[typ]
    return [pytest.param(provider, id=f"{release}-{n}")
            for release, by_path in RECORDED.items()
            for n, provider in enumerate(by_path[path])]


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:dev::project::{typ}::{name}"


def current_string(typ: str) -> str:
    """What this version's program writes (the first string recorded for it)."""
    return RECORDED[__version__][PROMISED_PROVIDER_PATHS[typ]][0]


class Commands:
    """Provider hosts, one per ``pulumi`` command, against ``sim``; what they wrote to
    stderr (the engine shows it) is kept in ``stderr``."""

    def __init__(self, sim: MihuSimulator) -> None:
        self.sim = sim
        self.stderr = ""

    @contextlib.contextmanager
    def __call__(self) -> Iterator[ProviderHost]:
        host = ProviderHost(stack_config(self.sim), secret_keys={"mihu:apiToken"})
        try:
            yield host
        finally:
            self.stderr += host.close()


@pytest.fixture
def command(sim: MihuSimulator) -> Commands:
    return Commands(sim)


@pytest.mark.parametrize("provider", cases(TRUNK))
def test_a_connection_in_a_stack_of_any_release_is_read_diffed_and_deleted(
        provider: str, sim: MihuSimulator, command: Commands) -> None:
    resource = urn(TRUNK, "main")
    with command() as up:
        inputs, failures = up.check(resource, {}, {**trunk_inputs(), "__provider": provider})
        assert failures == []
        uuid, outputs = up.create(resource, inputs)
    assert uuid in sim.connections and outputs["__provider"] == provider

    sim.connections[uuid]["status"] = "inactive"  # changed in the console
    with command() as preview_refresh:
        read_id, refreshed, _ = preview_refresh.read(resource, uuid, outputs, inputs)
        assert read_id == uuid and refreshed["status"] == "inactive"
        assert refreshed["phone_number"] == sim.connections[uuid]["phone_number"]
        assert refreshed["__provider"] == provider
        got_id, got, _ = preview_refresh.read(resource, uuid, None, {"__provider": provider})
        assert got_id == uuid and got["uuid"] == uuid and got["name"] == "main-line"
        same = preview_refresh.diff(resource, uuid, refreshed,
                            {**inputs, "__provider": current_string(TRUNK)}, inputs, [])
        assert same.changes is False and same.replaces == []
        moved = preview_refresh.diff(resource, uuid, refreshed,
                             {**inputs, "phone_number": "+15559870000"}, inputs, [])
        assert moved.changes is True and moved.replaces == ["phone_number"]
        assert not moved.delete_before_replace

    writes = len(sim.writes())
    with command() as destroy:
        destroy.delete(resource, uuid, refreshed, inputs)
    assert uuid not in sim.connections
    assert [r.method for r in sim.writes()[writes:]] == ["DELETE"]
    assert "warning" not in command.stderr


@pytest.mark.parametrize("provider", cases(ASSIGNMENT))
def test_an_assignment_in_a_stack_of_any_release_is_diffed_and_deleted(
        provider: str, sim: MihuSimulator, command: Commands) -> None:
    [connection, other_connection] = sim.add_connections(2)
    agent = sim.add_agent()
    resource = urn(ASSIGNMENT, "agent")
    news = {"agent_uuid": agent, "connection_uuid": connection, "force": False,
            "__provider": provider}
    with command() as up:
        inputs, failures = up.check(resource, {}, news)
        assert failures == []
        id_, outputs = up.create(resource, inputs)
    assert id_ == f"{agent}/{connection}" and sim.state.assignments[agent] == connection

    with command() as preview_refresh:
        read_id, refreshed, _ = preview_refresh.read(resource, id_, outputs, inputs)
        assert read_id == id_ and refreshed == outputs, "the state is kept"
        same = preview_refresh.diff(resource, id_, refreshed,
                            {**inputs, "__provider": current_string(ASSIGNMENT)}, inputs, [])
        assert same.changes is False and same.replaces == []
        moved = preview_refresh.diff(resource, id_, refreshed,
                             {**inputs, "connection_uuid": other_connection}, inputs, [])
        assert moved.changes is True and moved.replaces == ["connection_uuid"]

    writes = len(sim.writes())
    with command() as destroy:
        destroy.delete(resource, id_, refreshed, inputs)
    # No unassign endpoint: the delete sends nothing, says so, and succeeds.
    assert sim.writes()[writes:] == [] and sim.state.assignments[agent] == connection
    assert f"warning: Agent {agent} keeps routing its calls" in command.stderr
