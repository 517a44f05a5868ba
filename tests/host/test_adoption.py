"""Bringing an existing connection under a stack (``adopt_uuid``) through the real
provider host, each ``pulumi up`` the engine's calls sent by the call-script driver
(``deploy``: tests/support/driver.py).

The runbook itself (adoption in both API worlds, then managed as if created; its
refusals; a rename with and without an alias; recovery after an interrupted ``up``) runs
through the real CLI in tests/cli/test_cli_adoption.py. What is here is what the mutation runs
of ``sip_trunk_connection`` and ``_create_protocol`` need fast (scripts/mutation.py): the
adoption decisions no in-process test reaches, each judged by the account."""

from __future__ import annotations

from pulumi_mihu.testing import MihuSimulator
from support import Deploy, attempt, provider_for, trunk_inputs

MISSING = "0b6d3c8e-1f2a-4b5c-9d7e-8f9a0b1c2d3e"


def test_adoption_refuses_a_uuid_the_account_does_not_have(sim: MihuSimulator,
                                                           deploy: Deploy) -> None:
    existing = provider_for(sim).create(trunk_inputs()).id
    with deploy(sim) as run:
        adopted, error = attempt(run.create, "main", trunk_inputs(adopt_uuid=MISSING))
    assert adopted is None and error is not None and "does not have it" in error
    assert list(sim.connections) == [existing] and len(sim.requests_to("POST")) == 1


def test_without_read_routes_a_uuid_is_adopted_unverified_and_then_kept(
        bare_sim: MihuSimulator, deploy: Deploy) -> None:
    uuid = provider_for(bare_sim).create(trunk_inputs()).id
    bare_sim.state.requests.clear()
    with deploy(bare_sim) as run:
        trunk = run.create("main", trunk_inputs(adopt_uuid=uuid))
        assert any(f"{uuid} is adopted UNVERIFIED" in w for w in run.warnings())
    with deploy(bare_sim) as run:
        again = run.up(trunk, trunk_inputs(adopt_uuid=uuid))
    assert trunk.id == again.id == uuid and again.outputs == trunk.outputs
    assert bare_sim.writes() == [] and list(bare_sim.connections) == [uuid]


def test_adopt_uuid_set_on_an_existing_resource_is_ignored_with_a_warning(
        sim: MihuSimulator, deploy: Deploy) -> None:
    with deploy(sim) as run:
        trunk = run.create("main", trunk_inputs())
    other = provider_for(sim).create(trunk_inputs(name="other-line")).id
    writes = len(sim.writes())
    with deploy(sim) as run:
        kept = run.up(trunk, trunk_inputs(adopt_uuid=other))
        warnings = run.warnings()
    assert kept.id == trunk.id and len(sim.writes()) == writes
    assert sorted(sim.connections) == sorted([trunk.id, other])
    assert any(f"adopt_uuid {other} is ignored" in w and trunk.id in w for w in warnings)
