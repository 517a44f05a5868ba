"""An engine-protocol harness: run a Pulumi program the way ``pulumi preview/up/refresh/
destroy`` does, without the Pulumi CLI.

The program runs in this process under the SDK's mock runtime (``MockSettings`` with a
custom monitor). For each dynamic resource the monitor does what the engine's step
generator does, against the SDK's real provider host (``python -u -m pulumi.dynamic``,
see :mod:`pulumi_mihu.testing.host`) started once per operation:

Reproduced engine behaviour
- Configure with the whole stack config (namespaced keys, secrets included).
- ``ignore_changes``: ignored inputs take their old values before Check.
- Check(old inputs, new inputs); failures fail the deployment with the engine's message
  ("... property 'x' value {v} has a problem: ...", secrets shown as ``[secret]``).
- Diff(old outputs, checked inputs, old inputs); DIFF_UNKNOWN falls back to comparing
  inputs. No changes: a "same" step keeps the old outputs. Changes without replaces:
  Update. Replaces: create-then-delete (the old one deleted after the program finishes),
  or delete-then-create with ``delete_before_replace`` (option or provider's answer).
- Create/Update outputs are re-marked secret by top-level key when that input was secret
  or the key is in ``additional_secret_outputs``; Check's inputs likewise.
- Preview calls only Check and Diff (the Python host does not support preview creates);
  outputs not known yet reach the program as unknowns.
- ``protect`` refuses replace and delete; ``retain_on_delete`` drops without Delete.
- Resources left out of the program are deleted after it finishes, in reverse order.
- ``ResourceOptions(id=...)`` (get): Read with the inputs and no outputs. ``import_`` is
  refused, as dynamic resources cannot be imported.
- Refresh: Read with the old outputs; an empty id drops the resource from state.
- Destroy: Delete in reverse order, honouring protect and retain_on_delete.

Not reproduced
- Component resources and explicit provider resources are recorded but not driven;
  ``replace_on_changes``, aliases, custom timeouts, transforms, hooks, and the engine's
  parallelism limit are ignored.
- Dependencies are not tracked: deletes simply run in reverse registration order.
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
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
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

from .host import ProviderCallError, ProviderHost, from_struct, strip_secrets, to_struct

DYNAMIC_PREFIX = "pulumi-python:dynamic"
STACK_TYPE = "pulumi:pulumi:Stack"

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
    pending_delete: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)


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
        """Steps that change something (Pulumi's summary without 'same' and reads)."""
        return Counter(s.op for s in self.steps if s.op not in ("same", "read", "refresh"))

    def output(self, name: str) -> Any:
        value, _ = strip_secrets({name: self.outputs[name]})
        return value[name]

    def is_secret_output(self, name: str) -> bool:
        return rpc.is_rpc_secret(self.outputs.get(name))

    def summary(self) -> str:
        counts = self.counts()
        return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no resources"


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
    performs the steps."""

    def __init__(self, harness: StackHarness, preview: bool, host: ProviderHost) -> None:
        super().__init__(_NoMocks())
        self.harness = harness
        self.preview = preview
        self.host = host
        self.old = {r.urn: r for r in harness.state}
        self.new: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.errors: list[str] = []
        self.stack_outputs: dict[str, Any] = {}
        self.pending_deletes: list[ResourceState] = [r for r in harness.state if r.pending_delete]
        self.lock = threading.Lock()

    # -- bookkeeping ----------------------------------------------------------------------

    def step(self, op: str, urn: str, detail: str = "") -> None:
        with self.lock:
            self.steps.append(Step(op, urn, detail))

    def fail(self, message: str) -> _StepFailed:
        with self.lock:
            self.errors.append(message)
        return _StepFailed(message)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except ProviderCallError as exc:
            raise self.fail(f"{exc.method} of {exc.urn} failed: {exc.details}") from None

    # -- the monitor ----------------------------------------------------------------------

    def RegisterResourceOutputs(self, request: Any) -> empty_pb2.Empty:
        if request.urn.split("::")[-2] == STACK_TYPE:
            self.stack_outputs = from_struct(request.outputs)
        return empty_pb2.Empty()

    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if not request.custom or not request.type.startswith(DYNAMIC_PREFIX):
            # Components (and anything else) are recorded, not driven.
            self.new[urn] = ResourceState(urn, request.type, request.name, custom=False)
            return resource_pb2.RegisterResourceResponse(urn=urn, object=to_struct({}))
        if request.importId:
            raise self.fail(f"{urn}: import is not supported for dynamic resources (the Read "
                            "request carries no __provider); use ResourceOptions(id=...)")
        inputs = from_struct(request.object)
        state = self._register_custom(urn, request, inputs)
        with self.lock:
            self.new[urn] = state
        return resource_pb2.RegisterResourceResponse(urn=urn, id=state.id or "",
                                                     object=to_struct(state.outputs))

    def _register_custom(self, urn: str, request: Any, inputs: dict[str, Any]) -> ResourceState:
        old = self.old.get(urn)
        if old is not None and old.external:
            old = None
        ignore = list(request.ignoreChanges)
        if old is not None:
            for key in ignore:
                if key in old.inputs:
                    inputs[key] = old.inputs[key]
                else:
                    inputs.pop(key, None)
        secret_inputs = _secret_keys(inputs)
        checked, failures = self.call(self.host.check, urn, old.inputs if old else {}, inputs)
        checked = _remark_secrets(checked, secret_inputs)
        if failures:
            lines = [
                f"{request.type} resource '{request.name}'s property '{prop}' value "
                f"{_show(checked.get(prop, inputs.get(prop)))} has a problem: {reason}"
                if prop else f"{request.type} resource '{request.name}' has a problem: {reason}"
                for prop, reason in failures
            ]
            raise self.fail("\n".join(lines))
        secret_outputs = secret_inputs | set(request.additionalSecretOutputs)
        new = ResourceState(
            urn, request.type, request.name, inputs=checked, protect=request.protect,
            retain_on_delete=request.retainOnDelete,
            additional_secret_outputs=list(request.additionalSecretOutputs))
        if old is None:
            self.step("create", urn)
            if self.preview:
                new.outputs = dict(checked)
                return new
            new.id, outs = self.call(self.host.create, urn, checked)
            new.outputs = _remark_secrets(outs, secret_outputs)
            return new
        diff = self.call(self.host.diff, urn, old.id, old.outputs, checked, old.inputs, ignore)
        changes = diff.changes
        if changes is None:
            changes = strip_secrets(old.inputs)[0] != strip_secrets(checked)[0]
        new.id = old.id
        if not changes:
            self.step("same", urn)
            new.outputs = old.outputs
            return new
        if not diff.replaces:
            self.step("update", urn)
            if self.preview:
                new.outputs = dict(checked)
                return new
            outs = self.call(self.host.update, urn, old.id, old.outputs, checked, old.inputs)
            new.outputs = _remark_secrets(outs, secret_outputs)
            return new
        if old.protect:
            raise self.fail(f"unable to replace resource {urn} as it is currently marked for "
                            "protection; to unprotect it, remove protect=True and run up")
        before = request.deleteBeforeReplace or diff.delete_before_replace
        self.step("replace", urn, ",".join(diff.replaces))
        new.id = ""
        if self.preview:
            new.outputs = dict(checked)
            return new
        if before:
            self._delete(old, "delete-replaced")
        new.id, outs = self.call(self.host.create, urn, checked)
        self.step("create-replacement", urn)
        new.outputs = _remark_secrets(outs, secret_outputs)
        if not before:
            old.pending_delete = True
            with self.lock:
                self.pending_deletes.append(old)
        return new

    def ReadResource(self, request: Any) -> resource_pb2.ReadResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = from_struct(request.properties)
        self.step("read", urn)
        id_, outs, _ = self.call(self.host.read, urn, request.id, None, inputs)
        if not id_:
            raise self.fail(f"reading {urn}: resource {request.id} does not exist")
        state = ResourceState(urn, request.type, request.name, id=id_, inputs=inputs,
                              outputs=_remark_secrets(outs, set(request.additionalSecretOutputs)),
                              external=True)
        with self.lock:
            self.new[urn] = state
        return resource_pb2.ReadResourceResponse(urn=urn, properties=to_struct(state.outputs))

    # -- after the program ----------------------------------------------------------------

    def _delete(self, resource: ResourceState, op: str = "delete") -> None:
        if resource.protect:
            raise self.fail(f"resource {resource.urn} cannot be deleted because it is protected")
        if resource.retain_on_delete:
            self.step("discard", resource.urn, "retain_on_delete")
            return
        self.step(op, resource.urn)
        if not self.preview and resource.custom and not resource.external:
            self.call(self.host.delete, resource.urn, resource.id, resource.outputs,
                      resource.inputs)

    def finish(self) -> None:
        """Delete replaced resources and those the program no longer declares."""
        for resource in reversed(self.pending_deletes):
            self._delete(resource, "delete-replaced")
            resource.pending_delete = False
        for urn in reversed(list(self.old)):
            if urn not in self.new and not self.old[urn].pending_delete:
                if self.old[urn].external:
                    continue
                self._delete(self.old[urn])


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
                 host_env: Mapping[str, str] | None = None) -> None:
        self.program = program
        self.config = dict(config or {})
        self.secret_keys = set(secret_keys or ())
        self.project = project
        self.stack = stack
        self.state_file = Path(state_file) if state_file else None
        self.host_env = host_env
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
            steps: list[Step] = []
            errors: list[str] = []
            kept: list[ResourceState] = []
            for resource in self.state:
                if not resource.custom or not resource.type.startswith(DYNAMIC_PREFIX):
                    kept.append(resource)
                    continue
                try:
                    id_, outs, inputs = host.read(resource.urn, resource.id, resource.outputs,
                                                  resource.inputs)
                except ProviderCallError as exc:
                    errors.append(f"Read of {resource.urn} failed: {exc.details}")
                    kept.append(resource)
                    continue
                if not id_:
                    steps.append(Step("delete", resource.urn, "gone"))
                    continue
                secret = _secret_keys(resource.outputs) | set(resource.additional_secret_outputs)
                new_outputs = _remark_secrets(outs, secret)
                changed = strip_secrets(new_outputs)[0] != strip_secrets(resource.outputs)[0]
                steps.append(Step("update" if changed else "refresh", resource.urn))
                resource.outputs = new_outputs
                if inputs is not None:
                    resource.inputs = _remark_secrets(inputs, _secret_keys(resource.inputs))
                kept.append(resource)
            self.state = kept
        return self._finish_run("refresh", False, steps, errors)

    def destroy(self) -> RunResult:
        with self._host() as host:
            deployment = _Deployment(self, False, host)
            remaining = list(self.state)
            for resource in reversed(self.state):
                if not resource.custom or resource.external:
                    remaining.remove(resource)
                    continue
                try:
                    deployment._delete(resource)
                except _StepFailed:
                    break
                remaining.remove(resource)
            self.state = remaining
            if not remaining:
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
            if not deployment.errors:
                with suppress(_StepFailed):  # recorded in deployment.errors
                    deployment.finish()
            if not preview:
                self._apply(deployment)
        return self._finish_run(operation, preview, deployment.steps, deployment.errors,
                                deployment.stack_outputs)

    def _apply(self, deployment: _Deployment) -> None:
        """The new checkpoint: what the program registered, plus (after a failure) what it
        did not get to, plus replaced resources still waiting for deletion."""
        new_state = list(deployment.new.values())
        registered = set(deployment.new)
        if deployment.errors:
            new_state += [r for urn, r in deployment.old.items()
                          if urn not in registered and not r.pending_delete]
        new_state += [r for r in deployment.pending_deletes if r.pending_delete]
        self.state = new_state
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
        try:
            with _program_directory(self.program):
                _sync_await(run_in_stack(self._program_body))
        except _StepFailed:
            return None
        except Exception as exc:
            return f"the program failed: {type(exc).__name__}: {exc}"
        finally:
            ROOT.set(None)
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
            if rpc.is_rpc_secret(value):
                return "[secret]"
            if isinstance(value, dict):
                return {k: scrub(v) for k, v in value.items()}
            if isinstance(value, list):
                return [scrub(v) for v in value]
            return value

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
