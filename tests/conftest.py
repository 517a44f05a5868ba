"""Shared fixtures: a simulator on loopback, and stacks run through the engine-protocol
harness."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.harness import StackHarness
from support import stack_config


@pytest.fixture
def sim() -> Iterator[MihuSimulator]:
    """A simulator with the undocumented GET/DELETE routes: the optimistic world."""
    with MihuSimulator() as server:
        yield server


@pytest.fixture
def bare_sim() -> Iterator[MihuSimulator]:
    """A simulator serving only the documented POST: the pessimistic world."""
    with MihuSimulator(read_routes=False) as server:
        yield server


@pytest.fixture
def make_stack() -> Callable[..., StackHarness]:
    """Build a StackHarness for a program against a simulator, with the token secret."""

    def build(program: Any, server: MihuSimulator, **kwargs: Any) -> StackHarness:
        config = stack_config(server, **kwargs.pop("config", {}))
        return StackHarness(program, config=config, secret_keys={"mihu:apiToken"}, **kwargs)

    return build
