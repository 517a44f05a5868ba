"""Every fault of the create fault model (``docs/fault-model.md``), on a fresh
create and on a replacement (password change, with and without delete_before_replace), in
both API worlds, through the real provider host sent the engine's calls of each flow
(``deploy``: tests/support/driver.py; each ``pulumi up`` is a provider process of its own).

Each test judges the account, not the messages: how many connections there are, which
password each holds, and whether the state points at one that exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from pulumi_mihu.testing import Fault, MihuSimulator
from support import Deploy, FaultTarget, Resource, attempt, trunk_inputs

OLD_PASSWORD = "Old-Passw0rd-7d1e4c"
NEW_PASSWORD = "New-Passw0rd-93ab0f"
#: The client gives up after 1 s; a "slow commit" server commits 2.5 s after the request
#: arrived; the guard watches the list for 4 s before taking a create as not processed.
TIMING = {"mihu:requestTimeout": "1", "mihu:createSettleTime": "4"}


def faults() -> dict[str, Fault]:
    """Fresh faults (they count down as they are hit), one per row of the fault model."""
    post: FaultTarget = {"method": "POST", "exact": True,
                         "path_prefix": "/api/v1/channels/sip-trunk/connections"}
    return {
        "cut before processing": Fault(action="drop_before", **post),
        "commit then cut": Fault(action="drop_after", **post),
        "commit then 502": Fault(action="commit_then_status", status=502, **post),
        "503 without commit": Fault(status=503, **post),
        "slow commit after the client gave up": Fault(action="delay", delay=2.5, **post),
        "429": Fault(status=429, retry_after="0", **post),
    }


#: Faults after which the POST may have been processed: without a list route the outcome
#: cannot be told, and the create must fail rather than guess.
AMBIGUOUS = {"cut before processing", "commit then cut", "commit then 502",
             "503 without commit", "slow commit after the client gave up"}


@pytest.fixture(params=["with read routes", "documented only"])
def server(request: pytest.FixtureRequest) -> Iterator[MihuSimulator]:
    with MihuSimulator(read_routes=request.param == "with read routes") as sim:
        yield sim




def passwords(sim: MihuSimulator) -> list[str]:
    return sorted(c["password"] for c in sim.connections.values())


def create(deploy: Deploy, sim: MihuSimulator, password: str = OLD_PASSWORD) -> Resource:
    with deploy(sim, TIMING) as run:
        return run.create("main", trunk_inputs(password=password))


@pytest.mark.parametrize("fault_name", sorted(faults()))
def test_fresh_create_under_fault(fault_name: str, server: MihuSimulator,
                                  deploy: Deploy) -> None:
    with deploy(server, TIMING) as run:
        server.inject(faults()[fault_name])
        trunk, error = attempt(run.create, "main", trunk_inputs(password=OLD_PASSWORD))
    server.wait_idle()
    uuid = trunk.id if trunk else None
    if server.state.read_routes or fault_name not in AMBIGUOUS:
        assert error is None
        assert list(server.connections) == [uuid], "exactly one connection, tracked"
        assert passwords(server) == [OLD_PASSWORD]
        return
    # Documented-only API: the outcome cannot be told, so the create fails clearly,
    # never sends the POST twice, and leaves at most the one it may have made.
    assert error is not None and "'+15551230000'" in error and "console" in error
    assert OLD_PASSWORD not in error
    assert uuid is None
    assert len(server.requests_to("POST")) == 1
    assert len(server.connections) <= 1


def rotate_under_fault(fault_name: str, server: MihuSimulator, deploy: Deploy,
                       before: bool) -> tuple[str, str, str | None]:
    """Deploy, then change the password under ``fault_name`` (``before``: with
    delete_before_replace). Returns the old and new tracked uuids and the error text."""
    old = create(deploy, server)
    server.inject(faults()[fault_name])
    with deploy(server, TIMING) as run:
        new, error = attempt(run.up, old, trunk_inputs(password=NEW_PASSWORD),
                             delete_before_replace=before)
    server.wait_idle()
    return old.id, (new or old).id, error


@pytest.mark.parametrize("fault_name", sorted(faults()))
def test_replacement_under_fault(fault_name: str, server: MihuSimulator,
                                 deploy: Deploy) -> None:
    old_uuid, uuid, error = rotate_under_fault(fault_name, server, deploy, before=False)
    if server.state.read_routes:
        assert error is None
        assert uuid != old_uuid and list(server.connections) == [uuid]
        assert passwords(server) == [NEW_PASSWORD], "the old one is deleted, never adopted"
        return
    if fault_name not in AMBIGUOUS:
        # The old connection cannot be deleted without the route: it is left (with a
        # warning naming it), and the new one is tracked.
        assert error is None
        assert set(server.connections) == {old_uuid, uuid}
        assert server.connections[uuid]["password"] == NEW_PASSWORD
        return
    assert error is not None and "'+15551230000'" in error
    assert uuid == old_uuid and old_uuid in server.connections, "the old one is kept"
    assert len(server.requests_to("POST")) == 2  # the first create and one replacement try
    assert len(server.connections) <= 2


@pytest.mark.parametrize("fault_name", sorted(faults()))
def test_delete_before_replace_under_fault(fault_name: str, server: MihuSimulator,
                                           deploy: Deploy) -> None:
    old_uuid, uuid, error = rotate_under_fault(fault_name, server, deploy, before=True)
    if not server.state.read_routes:
        # The old connection cannot be deleted first, so the replacement is refused before
        # anything is created: no second connection with the same number.
        assert error is not None and "delete_before_replace" in error
        assert "pulumi state delete" in error and old_uuid in error
        assert list(server.connections) == [old_uuid] and uuid == old_uuid
        assert len(server.requests_to("POST")) == 1
        return
    assert error is None
    assert uuid != old_uuid and list(server.connections) == [uuid]
    assert passwords(server) == [NEW_PASSWORD]


def test_delete_before_replace_recovers_after_the_documented_steps(
        bare_sim: MihuSimulator, deploy: Deploy) -> None:
    """The refusal's advice works: delete in the console, drop the resource from the
    state, `pulumi up` creates the replacement."""
    old = create(deploy, bare_sim)
    with deploy(bare_sim, TIMING) as run:
        _, error = attempt(run.up, old, trunk_inputs(password=NEW_PASSWORD),
                           delete_before_replace=True)
    bare_sim.wait_idle()
    assert error is not None and list(bare_sim.connections) == [old.id]
    del bare_sim.connections[old.id]  # deleted in the console; `pulumi state delete`
    with deploy(bare_sim, TIMING) as run:
        new, error = attempt(run.create, "main", trunk_inputs(password=NEW_PASSWORD))
    assert error is None and new is not None
    assert passwords(bare_sim) == [NEW_PASSWORD]
    assert list(bare_sim.connections) == [new.id]


def test_plain_destroy_without_a_delete_route_still_warns_and_goes_on(
        bare_sim: MihuSimulator, deploy: Deploy) -> None:
    trunk = create(deploy, bare_sim)
    with deploy(bare_sim, TIMING) as run:
        run.delete(trunk)  # no error: the engine drops it from the state
        warnings = run.warnings()
    assert list(bare_sim.connections) == [trunk.id]
    assert any("NOT deleted" in w and trunk.id in w for w in warnings)


def test_several_trunks_with_the_same_key_never_share_a_connection(
        sim: MihuSimulator, deploy: Deploy) -> None:
    """Two resources with the same name, number and gateways, one of whose POSTs gets no
    answer: each ends with its own connection (creates of one key run one at a time). The
    engine creates independent resources at once: so do two threads here."""
    with deploy(sim, TIMING) as run:
        sim.inject(Fault(action="drop_after", method="POST"))
        with ThreadPoolExecutor(2) as pool:
            trunks = list(pool.map(lambda i: run.create(f"twin-{i}", trunk_inputs(
                name="same", password=f"{OLD_PASSWORD}-{i}")), range(2)))
    ids = sorted(t.id for t in trunks)
    assert len(set(ids)) == 2 and sorted(sim.connections) == ids
