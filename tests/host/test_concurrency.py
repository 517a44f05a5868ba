"""The provider host runs 4 worker threads on one provider instance: concurrent creates,
with faults injected, must give exactly one connection each, in the dynamic resource's
host and in the native plugin alike (the same provider code behind another servicer)."""

from __future__ import annotations

import pytest

from pulumi_mihu.testing import MihuSimulator
from support import stack_config
from support.faults import FAULT_SETTINGS, MODES, concurrent_creates, fault_mixes


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("mix", sorted(fault_mixes()))
def test_twenty_concurrent_creates_make_exactly_twenty_connections(
        sim: MihuSimulator, mix: str, mode: str) -> None:
    sim.inject(*fault_mixes()[mix])
    ids, _ = concurrent_creates(stack_config(sim, **FAULT_SETTINGS), 20, mode)
    sim.wait_idle()
    assert len(set(ids)) == 20
    assert sorted(ids) == sorted(sim.connections)
    phones = sorted(c["phone_number"] for c in sim.connections.values())
    assert phones == [f"+1555000{i:04d}" for i in range(20)]
    assert all(f.times == 0 for f in sim.state.faults), "every injected fault was hit"
