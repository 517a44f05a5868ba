"""The provider host runs 4 worker threads on one provider instance: concurrent creates,
with faults injected, must give exactly one connection each."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from pulumi_mihu import SipTrunkConnectionProvider
from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.host import ProviderHost
from support import stack_config

PROVIDER = serialize_provider(SipTrunkConnectionProvider())
TYPE = "pulumi-python:dynamic/mihu:SipTrunkConnection"

FAULT_MIXES = {
    "none": [],
    "rate-limited": [Fault(status=429, method="POST", retry_after="0", times=8)],
    "unavailable": [Fault(status=503, method="POST", times=6),
                    Fault(status=503, method="GET", times=4)],
    "dropped": [Fault(action="drop_after", method="POST", times=5),
                Fault(action="drop_before", method="POST", times=5)],
    "mixed": [Fault(status=429, method="POST", retry_after="0", times=3),
              Fault(status=502, method="POST", times=3),
              Fault(action="drop_after", method="POST", times=3),
              Fault(action="drop_before", method="GET", times=3)],
}


def create_concurrently(sim: MihuSimulator, count: int) -> list[str]:
    with ProviderHost(stack_config(sim), secret_keys={"mihu:apiToken"}) as host:
        def create(index: int) -> str:
            urn = f"urn:pulumi:dev::p::{TYPE}::trunk-{index}"
            news = {"__provider": PROVIDER, "name": f"trunk-{index}",
                    "phone_number": f"+1555000{index:04d}", "gateway": "sip.telnyx.com",
                    "username": rpc.wrap_rpc_secret(f"user-{index}"),
                    "password": rpc.wrap_rpc_secret(f"password-{index}")}
            inputs, failures = host.check(urn, {}, news)
            assert failures == []
            id_, _ = host.create(urn, inputs)
            return id_

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(create, range(count)))


@pytest.mark.parametrize("mix", sorted(FAULT_MIXES))
def test_twenty_concurrent_creates_make_exactly_twenty_connections(
        sim: MihuSimulator, mix: str) -> None:
    sim.inject(*FAULT_MIXES[mix])
    ids = create_concurrently(sim, 20)
    assert len(set(ids)) == 20
    assert sorted(ids) == sorted(sim.connections)
    phones = sorted(c["phone_number"] for c in sim.connections.values())
    assert phones == [f"+1555000{i:04d}" for i in range(20)]
    assert all(f.times == 0 for f in sim.state.faults), "every injected fault was hit"
