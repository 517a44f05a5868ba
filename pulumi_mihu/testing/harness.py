"""An engine-protocol harness: run a Pulumi program the way ``pulumi preview/up/refresh/
destroy`` does, without the Pulumi CLI.

The program runs in this process under the SDK's mock runtime (``MockSettings`` with a
custom monitor). For each dynamic resource the monitor does what the engine's step
generator does, against the SDK's real provider host (``python -u -m pulumi.dynamic``,
see :mod:`pulumi_mihu.testing.host`) started once per operation:

Reproduced engine behaviour (checked against the real CLI by tests/test_differential.py)
- Configure with the whole stack config (namespaced keys, secrets included).
- ``ignore_changes``: ignored inputs take their old values before Check.
- Check(old inputs, new inputs), one registration at a time (the engine's step generator
  is serial); failures fail the deployment with the engine's message ("... property 'x'
  value {v} has a problem: ...", secrets shown as ``[secret]``).
- Diff(old outputs, checked inputs, old inputs); DIFF_UNKNOWN falls back to comparing
  inputs. No changes: a "same" step keeps the old outputs. Changes without replaces:
  Update. Replaces: Check again with no old inputs, then create-replacement and replace,
  the old one marked for deletion (``delete: true``, a separate checkpoint entry next to
  its replacement) and deleted after the program; or, with ``delete_before_replace``
  (option or provider's answer), delete-replaced, replace, create-replacement, the old
  entry kept as ``pendingReplacement`` until its replacement exists (a later up creates
  it without deleting again). Preview records the same steps without calling the
  provider, so a replacement shows its three steps (``pulumi preview
  --show-replacement-steps``); ``change_summary()`` counts like Pulumi's summary.
- Create/Update outputs are re-marked secret by top-level key when that input was secret
  or the key is in ``additional_secret_outputs``; Check's inputs likewise.
- Preview calls only Check and Diff (the Python host does not support preview creates);
  outputs not known yet reach the program as unknowns.
- ``protect`` refuses a replace (while still set) and a delete; ``retain_on_delete``
  deletes from the checkpoint without calling Delete.
- Resources left out of the program, and entries marked for deletion, are deleted after
  it finishes, scheduled as the engine does: antichains of the dependency graph (parent,
  dependencies, property dependencies), dependents first, each antichain in parallel.
- Concurrency: the program's registrations arrive concurrently (its RPC thread pool is
  4 x ``parallel``, as pulumi-language-python-exec sizes it) and at most ``parallel``
  (the CLI's default: 4 x CPUs, or ``PULUMI_PARALLEL``) step chains run at once; the
  provider host's own 4 threads queue the rest, as under the engine.
- A failure (a provider error, a check failure, the program raising) cancels the
  deployment: no new step starts, but the steps already running finish and are
  recorded. The checkpoint is written as the engine's snapshot manager does, failed or
  not: what the steps produced, then the old entries no step replaced or deleted.
- ``ResourceOptions(id=...)`` (get): Read with the inputs and no outputs; when the
  program drops it, a read-discard step with no provider call. ``import_`` is refused, as
  dynamic resources cannot be imported.
- Refresh: Read with the old outputs; an empty id drops the resource from state.
- Destroy: deletes everything with the same scheduling, honouring protect and
  retain_on_delete; a protected resource's failure does not stop the others.

Not reproduced
- Component resources and explicit provider resources are recorded but not driven;
  ``replace_on_changes``, ``deleted_with``, aliases, custom timeouts, transforms, hooks,
  targets and ``--continue-on-error`` are ignored.
- Which registrations got their steps started before a failure is a race in the engine
  as here (a registration's Check waits for a free provider-host thread): the counts can
  differ between runs, but every started step is recorded on both.
- Refresh reads one resource at a time (the engine reads in parallel); the engine's
  dependent replacements of delete-before-replace are not computed.
- State secrets are stored in plaintext, marked with the SDK's secret wrapper, in memory or
  in the JSON state file: keep that file in a temporary directory. The real CLI encrypts
  them with the stack's secrets provider.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockEngine, MockMonitor, Mocks, MockSettings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import ROOT, SETTINGS, configure
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from .host import (
    ProviderCallError,
    ProviderHost,
    from_struct,
    map_values,
    strip_secrets,
    to_struct,
)

__all__ = [
    "DeploymentError",
    "ResourceState",
    "RunResult",
    "StackHarness",
    "Step",
]

DYNAMIC_PREFIX = "pulumi-python:dynamic"
STACK_TYPE = "pulumi:pulumi:Stack"
#: The steps the engine counts in its change summary (``Step.Logical()``).
LOGICAL_OPS = ("same", "create", "update", "delete", "replace", "read", "read-discard")

Program = Callable[[], Any] | str | Path


@dataclass
class ResourceState:
    """One resource as the engine's checkpoint keeps it."""

    urn: str
    type: str
    name: str
    id: str = ""
    custom: bool = True
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    external: bool = False
    #: Replaced (create-then-delete) and not deleted yet: the engine's ``delete: true``.
    #: It is a separate entry next to the live resource of the same URN.
    pending_delete: bool = False
    #: Deleted by a delete-before-replace whose create has not happened yet: the engine's
    #: ``pendingReplacement: true``. The next up creates it without deleting again.
    pending_replacement: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)


@dataclass
class Step:
    """What the engine did (or, in preview, would do) to one resource."""

    op: str
    urn: str
    detail: str = ""


@dataclass
class RunResult:
    operation: str
    preview: bool
    steps: list[Step]
    outputs: dict[str, Any]
    host_stderr: str
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def warnings(self) -> list[str]:
        return [line[len("warning: "):] for line in self.host_stderr.splitlines()
                if line.startswith("warning: ")]

    def counts(self) -> Counter[str]:
        return Counter(step.op for step in self.steps)

    def changes(self) -> Counter[str]:
        """Steps that change something: every step but 'same', reads and refreshes (a
        replacement counts its replace, create-replacement and delete-replaced steps)."""
        return Counter(s.op for s in self.steps if s.op not in ("same", "read", "refresh"))

    def change_summary(self) -> Counter[str]:
        """The counts of Pulumi's change summary: logical steps only (a replacement is one
        'replace'), 'same' included."""
        return Counter(s.op for s in self.steps if s.op in LOGICAL_OPS)

    def output(self, name: str) -> Any:
        value, _ = strip_secrets({name: self.outputs[name]})
        return value[name]

    def is_secret_output(self, name: str) -> bool:
        return rpc.is_rpc_secret(self.outputs.get(name))

    def summary(self) -> str:
        counts = self.counts()
        return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no resources"


def default_parallel() -> int:
    """The CLI's default ``--parallel``: ``PULUMI_PARALLEL``, else 4 x GOMAXPROCS (the
    CPUs this process may use)."""
    from_env = os.environ.get("PULUMI_PARALLEL", "")
    if from_env.isdigit() and int(from_env) > 0:
        return int(from_env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return 4 * cpus


class DeploymentError(Exception):
    def __init__(self, result: RunResult) -> None:
        self.result = result
        super().__init__(f"{result.operation} failed:\n" + "\n".join(result.errors))


class _StepFailed(Exception):
    """Raised into the program when the engine fails a registration, as the real engine
    answers RegisterResource with an error."""


def _ignore_reported_step_failures(loop: Any, context: dict[str, Any]) -> None:
    """A failed step leaves the SDK's output futures holding the error, and asyncio
    complains about each when it is collected; the error is in the DeploymentError."""
    if isinstance(context.get("exception"), _StepFailed):
        return
    loop.default_exception_handler(context)


class _NoMocks(Mocks):
    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        raise NotImplementedError("invokes are not supported by the harness")

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:
        raise AssertionError("unused: the harness monitor handles registrations")


def _remark_secrets(outputs: Mapping[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    return {k: (rpc.wrap_rpc_secret(v) if k in secret_keys and not rpc.is_rpc_secret(v) else v)
            for k, v in outputs.items()}


def _secret_keys(props: Mapping[str, Any]) -> set[str]:
    return strip_secrets(props)[1]


def _show(value: Any) -> str:
    """A property value as the engine prints it in a check failure."""
    if rpc.is_rpc_secret(value):
        return "{[secret]}"
    if value == rpc.UNKNOWN:
        return "{<unknown>}"
    return "{" + str(value) + "}"


class _Deployment(MockMonitor):
    """The engine for one operation: receives the program's registrations and plans and
    performs the steps.

    State follows the engine's snapshot manager: ``base`` is a copy of the previous
    checkpoint, ``news`` collects the states that steps produce (in completion order), and
    ``done`` the base entries that no longer belong in the checkpoint. The new checkpoint
    is ``news`` and then the base entries not done, whether the deployment succeeded or
    failed: nothing a completed step did is lost.
    """

    def __init__(self, harness: StackHarness, preview: bool, host: ProviderHost) -> None:
        super().__init__(_NoMocks())
        self.harness = harness
        self.preview = preview
        self.host = host
        self.parallel = harness.parallel
        self.base = [replace(r) for r in harness.state]
        # Like the engine's lookup table, without the entries pending deletion: the live
        # resource of a URN is the one the program's registration compares with.
        self.old = {r.urn: r for r in self.base if not r.pending_delete}
        self.news: list[ResourceState] = []
        self.done: set[int] = set()
        self.registered: set[str] = set()
        self.steps: list[Step] = []
        self.errors: list[str] = []
        self.stack_outputs: dict[str, Any] = {}
        self.lock = threading.Lock()
        # The step executor's workers: a registration's chain of steps holds one.
        self.workers = threading.BoundedSemaphore(self.parallel)
        # The step generator handles registrations one at a time (Check runs there).
        self.generator = threading.Lock()
        # After a failure the engine starts no new step, but waits for the running ones
        # and records what they did.
        self.canceled = False
        self.active = 0
        self.idle = threading.Condition(self.lock)

    # -- bookkeeping ----------------------------------------------------------------------

    def step(self, op: str, urn: str, detail: str = "") -> None:
        with self.lock:
            self.steps.append(Step(op, urn, detail))

    def fail(self, message: str) -> _StepFailed:
        with self.lock:
            self.errors.append(message)
            self.canceled = True
        return _StepFailed(message)

    def cancel(self) -> None:
        with self.lock:
            self.canceled = True

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except ProviderCallError as exc:
            raise self.fail(f"{exc.method} of {exc.urn} failed: {exc.details}") from None

    def start_step(self, op: str, urn: str, detail: str = "") -> None:
        """The step executor checks for cancellation before each step of a chain."""
        with self.lock:
            if self.canceled:
                raise _StepFailed(f"{op} of {urn} canceled: the deployment failed")
            self.steps.append(Step(op, urn, detail))

    def mark_new(self, state: ResourceState) -> None:
        with self.lock:
            self.news.append(state)

    def mark_done(self, state: ResourceState | None) -> None:
        if state is not None:
            with self.lock:
                self.done.add(id(state))

    def snapshot(self) -> list[ResourceState]:
        with self.lock:
            return ([r for r in self.news if id(r) not in self.done]
                    + [r for r in self.base if id(r) not in self.done])

    @contextmanager
    def handling(self) -> Any:
        """One registration being processed; refused once the deployment is canceled (the
        engine stops reading the program's events)."""
        with self.lock:
            if self.canceled:
                raise _StepFailed("the deployment failed; registration not processed")
            self.active += 1
        try:
            yield
        finally:
            with self.lock:
                self.active -= 1
                self.idle.notify_all()

    def wait_for_running_steps(self) -> None:
        with self.lock:
            while self.active:
                self.idle.wait()

    # -- the monitor ----------------------------------------------------------------------

    def RegisterResourceOutputs(self, request: Any) -> empty_pb2.Empty:
        if request.urn.split("::")[-2] == STACK_TYPE:
            self.stack_outputs = from_struct(request.outputs)
        return empty_pb2.Empty()

    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        with self.handling():
            with self.lock:
                self.registered.add(urn)
            dependencies = _dependencies(request)
            if not request.custom or not request.type.startswith(DYNAMIC_PREFIX):
                # Components (and anything else) are recorded, not driven.
                state = ResourceState(urn, request.type, request.name, custom=False,
                                      parent=request.parent, dependencies=dependencies)
                self.mark_done(self.old.get(urn))
                self.mark_new(state)
                return resource_pb2.RegisterResourceResponse(urn=urn, object=to_struct({}))
            if request.importId:
                raise self.fail(f"{urn}: import is not supported for dynamic resources (the "
                                "Read request carries no __provider); use "
                                "ResourceOptions(id=...)")
            inputs = from_struct(request.object)
            state = self._register_custom(urn, request, inputs, dependencies)
            return resource_pb2.RegisterResourceResponse(urn=urn, id=state.id or "",
                                                         object=to_struct(state.outputs))

    def _check(self, urn: str, request: Any, olds: Mapping[str, Any],
               inputs: Mapping[str, Any]) -> dict[str, Any]:
        with self.generator:
            checked, failures = self.call(self.host.check, urn, olds, inputs)
        checked = _remark_secrets(checked, _secret_keys(inputs))
        if failures:
            lines = [
                f"{request.type} resource '{request.name}'s property '{prop}' value "
                f"{_show(checked.get(prop, inputs.get(prop)))} has a problem: {reason}"
                if prop else f"{request.type} resource '{request.name}' has a problem: {reason}"
                for prop, reason in failures
            ]
            raise self.fail("\n".join(lines))
        return checked

    def _register_custom(self, urn: str, request: Any, inputs: dict[str, Any],
                         dependencies: list[str]) -> ResourceState:
        """The engine's step generator for one registration: check, then create, same,
        update or replace (planned from the provider's diff)."""
        old = self.old.get(urn)
        if old is not None and old.external:
            old = None
        if old is not None:
            _keep_ignored_changes(inputs, old.inputs, request.ignoreChanges)
        checked = self._check(urn, request, old.inputs if old else {}, inputs)
        new = ResourceState(
            urn, request.type, request.name, inputs=checked, protect=request.protect,
            retain_on_delete=request.retainOnDelete,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            parent=request.parent, dependencies=dependencies)
        secret_outputs = _secret_keys(inputs) | set(request.additionalSecretOutputs)
        if old is None:
            with self.workers:
                self.start_step("create", urn)
                self._create(new, checked, secret_outputs)
        else:
            with self.workers:
                diff = self.call(self.host.diff, urn, old.id, old.outputs, checked,
                                 old.inputs, list(request.ignoreChanges))
            # A resource deleted by a delete-before-replace whose create did not happen is
            # replaced whatever the diff says.
            changes = _has_changes(diff, old, checked)
            if old.pending_replacement or (changes and diff.replaces):
                self._replace(request, old, new, inputs, diff, secret_outputs)
            elif changes:
                self._update(old, new, checked, secret_outputs)
            else:
                self.step("same", urn)
                new.id, new.outputs = old.id, old.outputs
                self.mark_done(old)
        self.mark_new(new)
        return new

    def _create(self, new: ResourceState, checked: dict[str, Any],
                secret_outputs: set[str]) -> None:
        """A create or create-replacement step (a preview shows the checked inputs)."""
        if self.preview:
            new.outputs = dict(checked)
            return
        new.id, outs = self.call(self.host.create, new.urn, checked)
        new.outputs = _remark_secrets(outs, secret_outputs)

    def _update(self, old: ResourceState, new: ResourceState, checked: dict[str, Any],
                secret_outputs: set[str]) -> None:
        new.id = old.id
        with self.workers:
            self.start_step("update", new.urn)
            if self.preview:
                new.outputs = dict(checked)
            else:
                outs = self.call(self.host.update, new.urn, old.id, old.outputs, checked,
                                 old.inputs)
                new.outputs = _remark_secrets(outs, secret_outputs)
        self.mark_done(old)

    def _replace(self, request: Any, old: ResourceState, new: ResourceState,
                 inputs: dict[str, Any], diff: Any, secret_outputs: set[str]) -> None:
        """The engine's replacement: create-replacement then replace (the old one deleted
        after the program), or with delete-before-replace, delete-replaced first (the old
        entry stays in the checkpoint, pendingReplacement, until its replacement exists)."""
        urn = new.urn
        if old.protect and request.protect:
            raise self.fail(f"unable to replace resource {urn} as it is currently marked for "
                            "protection; to unprotect it, remove protect=True and run up")
        # The engine checks the inputs again without the old ones: a replacement starts
        # from nothing.
        new.inputs = checked = self._check(urn, request, {}, inputs)
        detail = ",".join(diff.replaces)
        with self.workers:
            if request.deleteBeforeReplace or diff.delete_before_replace:
                if not old.pending_replacement:
                    self._delete(old, "delete-replaced", detail, pending_replacement=True)
                self.start_step("replace", urn, detail)
                self.start_step("create-replacement", urn, detail)
                self._create(new, checked, secret_outputs)
                self.mark_done(old)
            else:
                self.start_step("create-replacement", urn, detail)
                self._create(new, checked, secret_outputs)
                old.pending_delete = True
                self.start_step("replace", urn, detail)


    def ReadResource(self, request: Any) -> resource_pb2.ReadResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.handling():
            with self.lock:
                self.registered.add(urn)
            inputs = from_struct(request.properties)
            with self.workers:
                self.start_step("read", urn)
                id_, outs, _ = self.call(self.host.read, urn, request.id, None, inputs)
            if not id_:
                raise self.fail(f"reading {urn}: resource {request.id} does not exist")
            state = ResourceState(
                urn, request.type, request.name, id=id_, inputs=inputs,
                outputs=_remark_secrets(outs, set(request.additionalSecretOutputs)),
                external=True, parent=request.parent, dependencies=list(request.dependencies))
            self.mark_done(self.old.get(urn))
            self.mark_new(state)
            return resource_pb2.ReadResourceResponse(urn=urn, properties=to_struct(state.outputs))

    # -- after the program ----------------------------------------------------------------

    def _delete(self, resource: ResourceState, op: str = "delete", detail: str = "",
                pending_replacement: bool = False) -> None:
        """One delete step. Protection only stops a plain delete (a replacement checked it
        before); retain_on_delete and read (external) resources make no provider call. The
        delete of a delete-before-replace leaves the entry in the checkpoint, marked
        pending replacement, until the replacement is created."""
        if op == "delete" and resource.protect:
            raise self.fail(f"resource {resource.urn} cannot be deleted because it is protected")
        if resource.external:
            op = "discard-replaced" if op == "delete-replaced" else "read-discard"
        self.start_step(op, resource.urn, detail or (
            "retain_on_delete" if resource.retain_on_delete else ""))
        if (not self.preview and resource.custom and not resource.external
                and not resource.retain_on_delete):
            self.call(self.host.delete, resource.urn, resource.id, resource.outputs,
                      resource.inputs)
        if pending_replacement:
            resource.pending_replacement = True
        elif not self.preview:
            self.mark_done(resource)

    def condemned(self) -> list[tuple[ResourceState, str]]:
        """What the engine's GenerateDeletes finds: entries marked for deletion, and those
        the program did not register."""
        found = []
        for resource in self.base:
            if id(resource) in self.done:
                continue
            if resource.pending_delete:
                found.append((resource, "delete-replaced"))
            elif resource.urn not in self.registered:
                if resource.pending_replacement:
                    # Already deleted: the engine just drops it (remove-pending-replace).
                    self.step("remove-pending-replace", resource.urn)
                    if not self.preview:
                        self.mark_done(resource)
                else:
                    found.append((resource, "delete"))
        return found

    def delete_all(self, condemned: list[tuple[ResourceState, str]]) -> None:
        """The engine's ScheduleDeletes: antichains of the dependency graph, dependents
        first; each antichain's deletes run in parallel. A failure cancels the rest, except
        a protected resource's, after which only what it depends on is kept."""
        skipped: set[int] = set()

        def delete(item: tuple[ResourceState, str]) -> ResourceState | None:
            """The resource if its delete failed."""
            resource, op = item
            try:
                self._delete(resource, op)
            except _StepFailed:
                return resource
            return None

        for antichain in _schedule_deletes(condemned, self.base):
            batch = [(r, op) for r, op in antichain if id(r) not in skipped]
            if len(batch) > 1:
                with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                    outcomes = list(pool.map(delete, batch))
            else:
                outcomes = [delete(item) for item in batch]
            failed = [r for r in outcomes if r is not None]
            for resource in failed:
                skipped |= {id(r) for r in _dependencies_of(resource, self.base)}
            if failed and any(not r.protect for r in failed):
                return

    def finish(self) -> None:
        """Delete replaced resources and those the program no longer declares."""
        self.delete_all(self.condemned())

    def destroy(self) -> list[ResourceState]:
        """``pulumi destroy``: no program runs, so every resource is condemned. Returns
        the new checkpoint (what could not be deleted)."""
        self.finish()
        return self.snapshot()

    def refresh(self) -> list[ResourceState]:
        """``pulumi refresh``: read every resource; the new checkpoint drops those gone
        and keeps the others with what was read (updated in place: a ResourceState the
        caller holds shows the refreshed outputs)."""
        return [resource for resource in self.harness.state if self._refresh(resource)]

    def _refresh(self, resource: ResourceState) -> bool:
        """One refresh step; False when the resource is gone."""
        if not resource.custom or not resource.type.startswith(DYNAMIC_PREFIX):
            return True
        try:
            id_, outs, inputs = self.host.read(resource.urn, resource.id, resource.outputs,
                                               resource.inputs)
        except ProviderCallError as exc:
            self.errors.append(f"Read of {resource.urn} failed: {exc.details}")
            return True
        if not id_:
            self.step("delete", resource.urn, "gone")
            return False
        secret = _secret_keys(resource.outputs) | set(resource.additional_secret_outputs)
        new_outputs = _remark_secrets(outs, secret)
        changed = strip_secrets(new_outputs)[0] != strip_secrets(resource.outputs)[0]
        self.step("update" if changed else "refresh", resource.urn)
        resource.outputs = new_outputs
        if inputs is not None:
            resource.inputs = _remark_secrets(inputs, _secret_keys(resource.inputs))
        return True


def _keep_ignored_changes(inputs: dict[str, Any], old_inputs: Mapping[str, Any],
                          ignore_changes: Any) -> None:
    """ignore_changes: the old value of each ignored input (or none, if it had none)."""
    for key in ignore_changes:
        if key in old_inputs:
            inputs[key] = old_inputs[key]
        else:
            inputs.pop(key, None)


def _has_changes(diff: Any, old: ResourceState, checked: Mapping[str, Any]) -> bool:
    """The provider's answer; when it has none, the engine compares the inputs."""
    if diff.changes is not None:
        return bool(diff.changes)
    return bool(strip_secrets(old.inputs)[0] != strip_secrets(checked)[0])


def _dependencies(request: Any) -> list[str]:
    """The URNs a registration depends on, as the engine's dependency graph sees them:
    its parent, its explicit dependencies and its properties' dependencies."""
    urns = [request.parent] if request.parent else []
    urns += list(request.dependencies)
    for deps in request.propertyDependencies.values():
        urns += list(deps.urns)
    return sorted(set(urns) - {""})


def _dependencies_of(resource: ResourceState, states: list[ResourceState]) -> list[ResourceState]:
    """Everything ``resource`` depends on, transitively."""
    by_urn: dict[str, list[ResourceState]] = {}
    for state in states:
        by_urn.setdefault(state.urn, []).append(state)
    seen: dict[int, ResourceState] = {}
    frontier = [resource]
    while frontier:
        current = frontier.pop()
        for urn in current.dependencies:
            for dep in by_urn.get(urn, []):
                if id(dep) not in seen and dep is not resource:
                    seen[id(dep)] = dep
                    frontier.append(dep)
    return list(seen.values())


def _schedule_deletes(condemned: list[tuple[ResourceState, str]],
                      states: list[ResourceState]) -> list[list[tuple[ResourceState, str]]]:
    """Antichains of the condemned resources, in the order the engine runs them."""
    left = list(condemned)
    antichains: list[list[tuple[ResourceState, str]]] = []
    while left:
        left_urns = {r.urn for r, _ in left}
        free = [(r, op) for r, op in left
                if not any(urn in left_urns and urn != r.urn for urn in r.dependencies)]
        if not free:  # a cycle cannot happen in a checkpoint; delete the rest together
            free = left
        antichains.append(free)
        taken = {id(r) for r, _ in free}
        left = [(r, op) for r, op in left if id(r) not in taken]
    antichains.reverse()
    return antichains


class StackHarness:
    """A stack: its program, its config, and its state between operations.

    ``program`` is a callable (the body of a ``__main__.py``) or the path of a Pulumi
    project directory (its ``__main__.py`` runs with that directory as working directory
    and on ``sys.path``). ``config`` holds namespaced keys (``mihu:apiToken``);
    ``secret_keys`` says which of them are secrets.
    """

    def __init__(self, program: Program, *, config: Mapping[str, str] | None = None,
                 secret_keys: set[str] | None = None, project: str = "mihu-stack",
                 stack: str = "dev", state_file: str | Path | None = None,
                 host_env: Mapping[str, str] | None = None,
                 parallel: int | None = None) -> None:
        self.program = program
        self.config = dict(config or {})
        self.secret_keys = set(secret_keys or ())
        self.project = project
        self.stack = stack
        self.state_file = Path(state_file) if state_file else None
        self.host_env = host_env
        self.parallel = parallel or default_parallel()
        self.state: list[ResourceState] = []
        self.outputs: dict[str, Any] = {}
        self.host_logs: list[str] = []
        if self.state_file and self.state_file.exists():
            self._load()

    # -- operations ---------------------------------------------------------------------

    def preview(self) -> RunResult:
        return self._deploy("preview", preview=True)

    def up(self) -> RunResult:
        return self._deploy("up", preview=False)

    def refresh(self) -> RunResult:
        with self._host() as host:
            deployment = _Deployment(self, False, host)
            self.state = deployment.refresh()
        return self._finish_run("refresh", False, deployment.steps, deployment.errors)

    def destroy(self) -> RunResult:
        with self._host() as host:
            deployment = _Deployment(self, False, host)
            self.state = deployment.destroy()
            if not self.state:
                self.outputs = {}
        return self._finish_run("destroy", False, deployment.steps, deployment.errors)

    # -- internals ----------------------------------------------------------------------

    @contextmanager
    def _host(self) -> Any:
        cwd = self.program if isinstance(self.program, (str, Path)) else None
        host = ProviderHost(self.config, secret_keys=self.secret_keys, env=self.host_env,
                            cwd=cwd, project=self.project)
        try:
            yield host
        finally:
            self.host_logs.append(host.close())

    def _deploy(self, operation: str, preview: bool) -> RunResult:
        with self._host() as host:
            deployment = _Deployment(self, preview, host)
            program_error = self._run_program(deployment, preview)
            if program_error and not deployment.errors:
                deployment.errors.append(program_error)
            if deployment.errors:
                deployment.cancel()
            # As the engine does: steps already running finish and are recorded, failed
            # deployment or not; no new step starts after a failure.
            deployment.wait_for_running_steps()
            if not deployment.errors:
                with suppress(_StepFailed):  # recorded in deployment.errors
                    deployment.finish()
            if not preview:
                self._apply(deployment)
        return self._finish_run(operation, preview, deployment.steps, deployment.errors,
                                deployment.stack_outputs)

    def _apply(self, deployment: _Deployment) -> None:
        """The new checkpoint, as the engine's snapshot manager writes it after a
        deployment, successful or not: what the steps produced, then the old entries that
        no step replaced or deleted (entries pending deletion included)."""
        self.state = deployment.snapshot()
        if not deployment.errors:
            self.outputs = deployment.stack_outputs

    def _finish_run(self, operation: str, preview: bool, steps: list[Step], errors: list[str],
                    outputs: Mapping[str, Any] | None = None) -> RunResult:
        if self.state_file and not preview:
            self._save()
        result = RunResult(operation, preview, steps,
                           dict(self.outputs if outputs is None else outputs),
                           self.host_logs[-1] if self.host_logs else "", errors)
        if errors:
            raise DeploymentError(result)
        return result

    def _run_program(self, deployment: _Deployment, preview: bool) -> str | None:
        features = deployment.GetDeploymentInfo(  # type: ignore[no-untyped-call]
            empty_pb2.Empty()).supportedFeatures
        settings = MockSettings(  # type: ignore[no-untyped-call]
            monitor=deployment,
            monitor_features=set(features),
            engine=MockEngine(None), project=self.project, stack=self.stack,
            dry_run=preview, organization="organization", callbacks=None,
        )
        configure(settings)
        ROOT.set(None)
        SETTINGS.outputs.clear()
        set_all_config({k: str(v) for k, v in self.config.items()}, sorted(self.secret_keys))
        loop = _ensure_event_loop()  # type: ignore[no-untyped-call]
        loop.set_exception_handler(_ignore_reported_step_failures)
        # pulumi-language-python-exec sizes the program's RPC threads at 4 x parallel.
        executor = ThreadPoolExecutor(max_workers=4 * self.parallel,
                                      thread_name_prefix="harness-program")
        previous_executor = getattr(loop, "_default_executor", None)
        loop.set_default_executor(executor)
        try:
            with _program_directory(self.program):
                _sync_await(run_in_stack(self._program_body))
        except _StepFailed:
            return None
        except Exception as exc:
            return f"the program failed: {type(exc).__name__}: {exc}"
        finally:
            ROOT.set(None)
            # Registrations still running are waited for by the caller. The loop is shared
            # with whatever runs next in this thread: give it back its executor.
            loop._default_executor = previous_executor
            executor.shutdown(wait=False)
        return None

    def _program_body(self) -> None:
        if callable(self.program):
            self.program()
        else:
            runpy.run_path(str(Path(self.program) / "__main__.py"), run_name="__main__")

    def _save(self) -> None:
        assert self.state_file is not None
        data = {"version": 1, "resources": [asdict(r) for r in self.state],
                "outputs": self.outputs}
        self.state_file.write_text(json.dumps(data, indent=2, sort_keys=True))

    def _load(self) -> None:
        assert self.state_file is not None
        data = json.loads(self.state_file.read_text())
        self.state = [ResourceState(**r) for r in data["resources"]]
        self.outputs = data.get("outputs", {})

    def secret_free_state_text(self) -> str:
        """The state as JSON with every secret value replaced: what must hold no credential."""
        def scrub(value: Any) -> Any:
            return map_values(value, lambda v: "[secret]" if rpc.is_rpc_secret(v) else v)

        data = {"resources": [scrub(asdict(r)) for r in self.state],
                "outputs": scrub(self.outputs)}
        return json.dumps(data, sort_keys=True)

    def resources_of_type(self, type_suffix: str) -> list[ResourceState]:
        return [r for r in self.state if r.type.endswith(type_suffix)]


@contextmanager
def _program_directory(program: Program) -> Any:
    if callable(program):
        yield
        return
    directory = str(Path(program).resolve())
    previous = os.getcwd()
    sys.path.insert(0, directory)
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)
        if directory in sys.path:
            sys.path.remove(directory)
