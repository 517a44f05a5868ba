"""Drive the Pulumi SDK's real dynamic-provider host over gRPC, as the engine does (or,
with ``command=NATIVE_PLUGIN``, the package's native plugin ``pulumi-resource-mihu``).

The engine starts ``python -u -m pulumi.dynamic`` (the ``pulumi-resource-pulumi-python``
plugin), reads the port it prints, and speaks the ResourceProvider protocol to it. This
module does exactly that, so tests exercise what users' stacks run: dill unpickling of
``__provider`` in another process, the import of ``pulumi_mihu`` there, ``configure`` with
the whole stack config, the host's 4 worker threads, and errors coming back as tracebacks.

Values cross in the engine's form: secrets are stripped before each call to a host that
answers ``acceptSecrets: false`` (the dynamic one) and sent marked to one that accepts them
(the native plugin), unknowns travel as the SDK's unknown sentinel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

__all__ = [
    "DYNAMIC_HOST",
    "NATIVE_PLUGIN",
    "ProviderCallError",
    "ProviderHost",
]

START_TIMEOUT = 60.0
#: What the engine starts for a dynamic resource (``pulumi-resource-pulumi-python``).
DYNAMIC_HOST = (sys.executable, "-u", "-m", "pulumi.dynamic")
#: The native plugin as ``pip install`` puts it beside the interpreter. It is configured
#: with the provider's own keys (``apiToken``, not ``mihu:apiToken``) and serves the
#: ``mihu:index:...`` types with camelCase properties.
NATIVE_PLUGIN = (str(Path(sys.executable).parent / "pulumi-resource-mihu"),)


class ProviderCallError(Exception):
    """A provider call failed; ``details`` is what the engine would show the user (for the
    Python host, a traceback)."""

    def __init__(self, method: str, urn: str, details: str) -> None:
        self.method = method
        self.urn = urn
        self.details = details
        super().__init__(f"{method} {urn}: {details}")


@dataclass
class DiffResponse:
    changes: bool | None
    replaces: list[str]
    delete_before_replace: bool


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Plain values, secrets wrapped the SDK's way, unknowns as the sentinel string."""
    return dict(map_values(rpc.deserialize_properties(struct, keep_unknowns=True),
                           _sentinel_unknown))


def map_values(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` with ``leaf`` applied to everything below its dicts and lists that is
    neither; a secret is one value, passed to ``leaf`` whole (it decides what the secret
    becomes: unwrapped, masked, kept)."""
    if isinstance(value, dict) and not rpc.is_rpc_secret(value):
        return {key: map_values(item, leaf) for key, item in value.items()}
    if isinstance(value, list):
        return [map_values(item, leaf) for item in value]
    return leaf(value)


def _sentinel_unknown(value: Any) -> Any:
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if rpc.is_rpc_secret(value):
        return rpc.wrap_rpc_secret(map_values(rpc.unwrap_rpc_secret(value), _sentinel_unknown))
    return value


def strip_secrets(props: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Unwrap secret values, as the engine does for a provider that does not accept
    secrets; returns the plain values and the top-level keys that held a secret."""
    plain = {key: map_values(value, _unwrap_secret) for key, value in props.items()}
    return plain, {key for key, value in props.items() if _holds_secret(value)}


def _unwrap_secret(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return map_values(rpc.unwrap_rpc_secret(value), _unwrap_secret)
    return value


def _holds_secret(value: Any) -> bool:
    found: list[bool] = []
    map_values(value, lambda leaf: found.append(rpc.is_rpc_secret(leaf)))
    return any(found)


def _plain_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine sends them to a provider that does not accept secrets."""
    return to_struct(strip_secrets(props)[0])


class ProviderHost:
    """One running provider process (``python -m pulumi.dynamic`` unless ``command`` says
    otherwise) and a gRPC stub to it."""

    def __init__(self, config: Mapping[str, Any], *, secret_keys: set[str] | None = None,
                 env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 project: str = "project", command: Sequence[str] = DYNAMIC_HOST) -> None:
        # Lives as long as the host: close() reads and closes it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        host_env = dict(os.environ if env is None else env)
        host_env.setdefault("PULUMI_PROJECT", project)
        self.accepts_secrets = False
        self.process = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
            env=host_env, cwd=str(cwd) if cwd else None,
        )
        port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.accepts_secrets = self.configure(config, secret_keys or set())

    def _read_port(self) -> int:
        stdout = self.process.stdout
        assert stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        line = result[0].strip() if result else b""
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"the provider host did not start: {self.stderr_text()[-2000:]}")
        return int(line)

    # -- the ResourceProvider protocol ---------------------------------------------------

    def _props(self, props: Mapping[str, Any]) -> struct_pb2.Struct:
        """Properties as the engine sends them to this host: secrets marked only where
        Configure said it accepts them."""
        return to_struct(props) if self.accepts_secrets else _plain_struct(props)

    def configure(self, config: Mapping[str, Any], secret_keys: set[str]) -> bool:
        args = {k: (rpc.wrap_rpc_secret(v) if k in secret_keys else v) for k, v in config.items()}
        response = self._call("Configure", "", provider_pb2.ConfigureRequest(
            args=to_struct(args), acceptSecrets=True, acceptResources=True))
        return bool(response.acceptSecrets)

    def check(self, urn: str, olds: Mapping[str, Any],
              news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._call("Check", urn, provider_pb2.CheckRequest(
            urn=urn, olds=self._props(olds),
            news=self._props(news)))
        failures = [(f.property, f.reason) for f in response.failures]
        return from_struct(response.inputs), failures

    def diff(self, urn: str, id_: str, old_outputs: Mapping[str, Any],
             news: Mapping[str, Any], old_inputs: Mapping[str, Any],
             ignore_changes: list[str]) -> DiffResponse:
        response = self._call("Diff", urn, provider_pb2.DiffRequest(
            id=id_, urn=urn, olds=self._props(old_outputs),
            news=self._props(news),
            old_inputs=self._props(old_inputs), ignoreChanges=ignore_changes))
        changes = {
            provider_pb2.DiffResponse.DIFF_NONE: False,
            provider_pb2.DiffResponse.DIFF_SOME: True,
        }.get(response.changes)
        return DiffResponse(changes, list(response.replaces), bool(response.deleteBeforeReplace))

    def create(self, urn: str, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call("Create", urn, provider_pb2.CreateRequest(
            urn=urn, properties=self._props(props)))
        return response.id, from_struct(response.properties)

    def update(self, urn: str, id_: str, old_outputs: Mapping[str, Any],
               news: Mapping[str, Any], old_inputs: Mapping[str, Any]) -> dict[str, Any]:
        response = self._call("Update", urn, provider_pb2.UpdateRequest(
            id=id_, urn=urn, olds=self._props(old_outputs),
            news=self._props(news),
            old_inputs=self._props(old_inputs)))
        return from_struct(response.properties)

    def delete(self, urn: str, id_: str, outputs: Mapping[str, Any],
               old_inputs: Mapping[str, Any]) -> None:
        self._call("Delete", urn, provider_pb2.DeleteRequest(
            id=id_, urn=urn, properties=self._props(outputs),
            old_inputs=self._props(old_inputs)))

    def read(self, urn: str, id_: str, outputs: Mapping[str, Any] | None,
             inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Refresh passes the old outputs; a get (``ResourceOptions(id=...)``) passes none,
        only the inputs (which carry ``__provider``)."""
        request = provider_pb2.ReadRequest(
            id=id_, urn=urn, inputs=self._props(inputs),
            properties=self._props(outputs or {}))
        response = self._call("Read", urn, request)
        new_inputs = from_struct(response.inputs) if response.HasField("inputs") else None
        return response.id, from_struct(response.properties), new_inputs

    def _call(self, method: str, urn: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request)
        except grpc.RpcError as exc:
            raise ProviderCallError(method, urn, exc.details() or str(exc.code())) from None

    # -- lifecycle ------------------------------------------------------------------------

    def stderr_text(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> str:
        """Stop the host as the engine does at the end of a deployment; returns its
        stderr."""
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        text = self.stderr_text()
        self._stderr.close()
        return text

    def __enter__(self) -> ProviderHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
