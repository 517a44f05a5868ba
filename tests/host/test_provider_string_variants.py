"""A stack whose state holds a ``__provider`` string other than the one the program now
writes, for the same class: the provider host unpickles (and caches) one provider object
per string, so Check, Diff and Create (sent with the program's string) and Delete (sent
with the old outputs' string) reach two objects of one class in one deployment.

That is the state of every stack written by pulumi-mihu 0.1.0 or 0.2.0 on Python 3.14:
``pulumi.dynamic`` pickled the provider with ``pickle.DEFAULT_PROTOCOL``, 5 there
(tests/unit/test_provider_strings.py), while this version writes protocol 4 whatever the
Python (``provider_reference``). A resource that is never updated keeps its create-time
string in its outputs, so the split lasts until it is replaced. What one deployment learns
from the engine's calls (the ledger) must hold for both objects, or a Delete is taken for a
removal: here it deleted the live connection a renamed adopter manages, and went ahead with
a delete_before_replace that the API could not delete first (two connections, one number).
"""

from __future__ import annotations

import base64
import pickle
from dataclasses import replace
from typing import Any

import dill

from pulumi_mihu import SipTrunkConnectionProvider
from pulumi_mihu.testing import MihuSimulator
from support import Deploy, Resource, attempt, provider_for, trunk_inputs

#: What pulumi.dynamic's serialize_provider writes on Python 3.14 (DEFAULT_PROTOCOL 5).
PROTOCOL_5 = base64.b64encode(dill.dumps(SipTrunkConnectionProvider(), protocol=5,
                                         recurse=True)).decode()


def written_on_python_3_14(resource: Resource) -> Resource:
    """``resource`` as the checkpoint holds it when it was created by 0.2.0 on 3.14."""
    def swap(values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "__provider": PROTOCOL_5}

    return replace(resource, inputs=swap(resource.inputs), outputs=swap(resource.outputs))


def test_the_old_string_names_the_same_class_but_differs() -> None:
    assert type(pickle.loads(base64.b64decode(PROTOCOL_5))) is SipTrunkConnectionProvider
    from pulumi_mihu._resource import provider_reference

    assert provider_reference(
        "pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider") != PROTOCOL_5


def test_renaming_an_adopter_of_an_old_stack_keeps_its_live_connection(
        sim: MihuSimulator, deploy: Deploy) -> None:
    console = provider_for(sim).create(trunk_inputs(name="console")).id
    adopting = trunk_inputs(name="console", adopt_uuid=console)
    with deploy(sim) as run:
        old = written_on_python_3_14(run.create("old-name", adopting))
    # Renamed in code without an alias: the new name adopts it, the old name is deleted.
    with deploy(sim) as run:
        new, error = attempt(run.create, "new-name", adopting)
        assert error is None, error
        _, error = attempt(run.delete, old)
    sim.wait_idle(30)
    assert new is not None and new.id == console
    assert console in sim.connections, (
        "the stack manages the connection under its new name, but the Delete of the old "
        "name (sent with the old __provider string) deleted it from the account")


def test_delete_before_replace_of_an_old_stack_is_refused_where_the_api_cannot_delete(
        bare_sim: MihuSimulator, deploy: Deploy) -> None:
    with deploy(bare_sim) as run:
        trunk = written_on_python_3_14(run.create("main", trunk_inputs(password="First-1a")))
    with deploy(bare_sim) as run:
        _, error = attempt(run.up, trunk, trunk_inputs(password="Second-2b"),
                           delete_before_replace=True)
    bare_sim.wait_idle(30)
    phone = trunk_inputs()["phone_number"]
    assert len([c for c in bare_sim.connections.values()
                if c["phone_number"] == phone]) == 1, (
        "delete_before_replace made a second connection for the number next to the old "
        "one, which the API could not delete")
    assert error is not None and "delete_before_replace" in error
