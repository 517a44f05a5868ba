"""A script of the engine's calls, for tests that need many fast runs of one flow (the
create fault matrix, the create guard attacks, the secrets audit, the mutation runs).

A ``Deployment`` is one engine run (``pulumi up``, ``refresh`` or ``destroy``): one real
dynamic-provider host (``python -m pulumi.dynamic`` over gRPC, ``ProviderHost``)
configured with the stack config, so that what the provider remembers lasts one run, as
under the engine. Each method sends one resource's calls in the order the engine (CLI
v3.274.1, ``pkg/resource/deploy/step_generator.go``) sends them:

====================================  =========================================================
flow                                  calls
====================================  =========================================================
``create``: a new resource            Check(no olds) -> Create
``up``: an existing one, unchanged    Check(old inputs) -> Diff
``up``: changed in place              Check(old inputs) -> Diff -> Update
``up``: replaced, create first        Check(old inputs) -> Diff -> Check(no olds) -> Create ->
                                      Delete of the old (sent after the program's other steps)
``up``: replaced, delete first        Check(old inputs) -> Diff -> Check(no olds) -> Delete of
(``delete_before_replace``)           the old -> Create
``forced_replace``: ``up --replace``  Check(no olds), no Diff -> then as a replacement
``delete``: removed, or ``destroy``   Delete (no Check, no Diff)
``refresh``                           Read(id, old outputs, old inputs)
``check``: what a preview sends       Check (and Diff for an existing resource)
====================================  =========================================================

A script of calls, not an engine: no step generator, no snapshots, no concurrency model
(a test that needs two flows at once runs them in its own threads), no secrets
bookkeeping. The state is the test's: each flow takes the ``Resource`` the checkpoint
holds and returns the new one; a failed call raises ``ProviderCallError`` (``details``:
what the user sees) and the checkpoint keeps what the test holds, as the engine does.
The CLI tests (tests/test_cli_*.py) pin these orders: if the engine changed them, those
fail, not these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pulumi.dynamic.dynamic import serialize_provider

from pulumi_mihu import AgentSipTrunkAssignmentProvider, SipTrunkConnectionProvider
from pulumi_mihu.testing.host import ProviderCallError, ProviderHost

TRUNK = "pulumi-python:dynamic/mihu:SipTrunkConnection"
ASSIGNMENT = "pulumi-python:dynamic/mihu:AgentSipTrunkAssignment"
_PROVIDERS = {TRUNK: SipTrunkConnectionProvider, ASSIGNMENT: AgentSipTrunkAssignmentProvider}


@cache
def provider_string(type_: str) -> str:
    """The ``__provider`` input the program sends (the provider, pickled)."""
    return str(serialize_provider(_PROVIDERS[type_]()))


@dataclass(frozen=True)
class Resource:
    """One resource as the checkpoint holds it."""

    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]

    @property
    def type(self) -> str:
        return self.urn.split("::")[-2]


class Deployment:
    """One engine run: a provider host configured with ``config`` (namespaced keys)."""

    def __init__(self, config: Mapping[str, str], *,
                 env: Mapping[str, str] | None = None) -> None:
        self.host = ProviderHost(config, secret_keys={"mihu:apiToken"}, env=env,
                                 project="mihu-stack")
        self.prefix = "urn:pulumi:dev::mihu-stack::"
        self.stderr: str | None = None  # once closed

    def check(self, name: str, inputs: Mapping[str, Any], old: Resource | None = None,
              type_: str = TRUNK) -> dict[str, Any]:
        """Check: ``inputs`` with what the program adds (``__provider``, ``__resource_name``)
        against ``old``'s inputs, or none. Failures raise, as the engine's ``property X
        value {...} has a problem``."""
        urn = old.urn if old else self.prefix + f"{type_}::{name}"
        news = {"__provider": provider_string(type_), "__resource_name": name, **inputs}
        checked, failures = self.host.check(urn, old.inputs if old else {}, news)
        if failures:
            raise ProviderCallError("Check", urn, "\n".join(
                f"property {prop} has a problem: {reason}" for prop, reason in failures))
        return checked

    def create(self, name: str, inputs: Mapping[str, Any], type_: str = TRUNK) -> Resource:
        return self._create(self.prefix + f"{type_}::{name}", self.check(name, inputs, None,
                                                                          type_))

    def up(self, old: Resource, inputs: Mapping[str, Any], *,
           delete_before_replace: bool = False) -> Resource:
        name = old.urn.rsplit("::", 1)[-1]
        checked = self.check(name, inputs, old, old.type)
        diff = self.host.diff(old.urn, old.id, old.outputs, checked, old.inputs, [])
        if diff.replaces:
            return self._replace(old, self.check(name, inputs, None, old.type),
                                 delete_before_replace or diff.delete_before_replace)
        if diff.changes or (diff.changes is None and checked != old.inputs):
            outputs = self.host.update(old.urn, old.id, old.outputs, checked, old.inputs)
            return Resource(old.urn, old.id, checked, outputs)
        return Resource(old.urn, old.id, checked, old.outputs)

    def forced_replace(self, old: Resource, inputs: Mapping[str, Any], *,
                       delete_before_replace: bool = False) -> Resource:
        checked = self.check(old.urn.rsplit("::", 1)[-1], inputs, None, old.type)
        return self._replace(old, checked, delete_before_replace)

    def delete(self, old: Resource) -> None:
        self.host.delete(old.urn, old.id, old.outputs, old.inputs)

    def refresh(self, old: Resource) -> Resource | None:
        """None when the resource is gone (the engine drops it)."""
        id_, outputs, inputs = self.host.read(old.urn, old.id, old.outputs, old.inputs)
        return Resource(old.urn, id_, old.inputs if inputs is None else inputs,
                        outputs) if id_ else None

    def _create(self, urn: str, checked: dict[str, Any]) -> Resource:
        id_, outputs = self.host.create(urn, checked)
        return Resource(urn, id_, checked, outputs)

    def _replace(self, old: Resource, checked: dict[str, Any], delete_first: bool) -> Resource:
        if delete_first:
            self.delete(old)
            return self._create(old.urn, checked)
        new = self._create(old.urn, checked)
        self.delete(old)
        return new

    def warnings(self) -> list[str]:
        """What the provider warned of so far (the engine shows the host's stderr)."""
        text = self.host.stderr_text() if self.stderr is None else self.stderr
        return [line.removeprefix("warning: ") for line in text.splitlines()
                if line.startswith("warning: ")]

    def close(self) -> str:
        """Stop the host, as the engine does at the end of a run; returns its stderr."""
        if self.stderr is None:
            self.stderr = self.host.close()
        return self.stderr

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
