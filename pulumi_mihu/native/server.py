"""The native provider's gRPC server: Pulumi's provider protocol over the provider classes
the dynamic resources use (each resource's ``MihuResourceProvider`` subclass, found in the
registry), not a copy of their logic.

Why a servicer of our own rather than ``pulumi.provider.experimental.server``: that server
appends a stack listing to the message of every exception (``_raise_with_traceback``),
and the users of a provider see errors as one plain message; it also runs every request
on one asyncio loop, where the provider classes, written for the dynamic host's four
worker threads, would block each other on the network. This servicer is the dynamic
host's shape (a thread pool, the SDK's generated ``ResourceProviderServicer``) with what a
native provider must add:

- the engine's names are camelCase (``phoneNumber``), the provider classes' snake_case
  (``phone_number``), both derived from the schema (:mod:`.package_schema`); a property
  that is no input is a field-level check failure, not passed on;
- secrets arrive marked (``acceptSecrets``) and are unwrapped for the provider; its
  answers mark as secret every secret input and output of the schema, and whatever came in
  secret;
- the resource's name, which the dynamic resource sends as ``__resource_name`` and as the
  default of ``name``, comes from the URN;
- the provider configuration (``mihu:*`` stack config for the default provider, the
  provider's inputs for an explicit one) is read by the same ``MihuSettings``;
- errors are the provider's message (``safe_errors`` already withholds secrets), without a
  traceback; check failures are per field, with the camelCase name.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from typing import Any, NoReturn, TypeGuard, TypeVar

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown
from pulumi.runtime import proto
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from .._provider import MODE_SWITCH_DOCS, MihuResourceProvider, warn, warnings_to
from .._registry import RESOURCES, Registered
from .._version import __version__
from ..client import operation_deadline, operation_remaining
from ..errors import MihuError
from ..schema import RESOURCE_NAME, RESOURCE_NAME_KEY
from .package_schema import (
    CONFIG,
    PACKAGE,
    Lookup,
    Names,
    lookups,
    names_of,
    schema_json,
    type_token,
)

__all__ = ["EngineLog", "MihuProviderServicer", "main", "serve"]

#: The marker of a secret value in the protocol's structs (``pulumi.runtime.rpc``).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

#: Worker threads: as many as the dynamic provider host has, so the provider classes see
#: the concurrency they were written and tested for.
WORKERS = 4

R = TypeVar("R")

#: The key every state of a dynamic resource holds (its serialized provider), inputs and
#: outputs alike; a native state never does (``__`` keys are dropped both ways).
DYNAMIC_STATE_KEY = "__provider"


#: A value a message quotes with ``repr`` ('...' or "..."), told apart from an apostrophe
#: ("connection's") by what stands before and after it: never a letter or a digit.
_QUOTED = re.compile(r"""((?<!\w)'(?:[^'\\\n]|\\.)*'(?!\w)|(?<!\w)"(?:[^"\\\n]|\\.)*"(?!\w))""")

#: The provider settings that are secrets (``apiToken``), as the engine names them.
SECRET_CONFIG = frozenset(setting.key for setting, spec in CONFIG.items() if spec.secret)


class _Abort(Exception):
    """A request refused with a plain message (gRPC's ``details``)."""


# -- values --------------------------------------------------------------------------------


def from_struct(struct: struct_pb2.Struct | None) -> tuple[dict[str, Any], set[str]]:
    """The properties of a request as plain values (unknowns as ``Unknown``, as the dynamic
    host gives them) and the names of those that came marked secret."""
    if struct is None:
        return {}, set()
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for key, field in struct.fields.items():
        value = plain(field)
        if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
            secret.add(key)
            value = value.get("value")
        values[key] = Unknown() if value == UNKNOWN else value
    return values, secret


def plain(value: struct_pb2.Value) -> Any:
    """One protocol value as Python's, as protobuf's ``json_format`` converts it, except that
    an infinite or NaN number stays a float (``json_format`` raises, and the user saw a
    "bug" report; Check now names the field, as the dynamic host's does)."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return {k: plain(v) for k, v in value.struct_value.fields.items()}
    if kind == "list_value":
        return [plain(v) for v in value.list_value.values]
    return None if kind in (None, "null_value") else getattr(value, kind)


def to_struct(values: Mapping[str, Any], secret: set[str]) -> struct_pb2.Struct:
    """Plain values as a request's answer: unknowns as the protocol's sentinel, the names in
    ``secret`` marked secret (a None stays None: there is nothing to hide)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        plain = UNKNOWN if isinstance(value, Unknown) else value
        out[key] = ({SIG_KEY: SECRET_SIG, "value": plain}
                    if key in secret and plain is not None else plain)
    struct = struct_pb2.Struct()
    struct.update(out)
    return struct


def urn_name(urn: str) -> str:
    """The resource's name: the last ``::`` part of its URN."""
    return urn.rsplit("::", 1)[-1]


def urn_type(urn: str) -> str:
    """The resource's type token: the last ``$`` part of the URN's type (parents first)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


# -- the engine's log ----------------------------------------------------------------------


class EngineLog:
    """The provider's warnings, shown to the user: the engine's ``Log`` call (the address
    it passes as the plugin's last argument), with the resource's URN, severity warning.
    The engine does not show a plugin's stderr; stderr is used only when there is no
    engine to call (the plugin run by hand) or the call fails."""

    #: Seconds a Log call may take; a warning is never worth blocking the operation for.
    TIMEOUT = 10.0

    def __init__(self, address: str | None) -> None:
        self._stub: Any = None
        if address:
            self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))

    def warning(self, urn: str, message: str) -> None:
        if self._stub is not None:
            try:
                self._stub.Log(engine_pb2.LogRequest(severity=engine_pb2.WARNING,
                                                     message=message, urn=urn),
                               timeout=self.TIMEOUT)
                return
            except grpc.RpcError:
                pass
        print(f"warning: {message}", file=sys.stderr, flush=True)


# -- one resource type ---------------------------------------------------------------------


class _Resource:
    """One resource type: its registry entry, names, secrets and provider object."""

    def __init__(self, entry: Registered) -> None:
        self.entry = entry
        self.schema = entry.schema
        self.names: Names = names_of(self.schema)
        self.provider: MihuResourceProvider = entry.provider_class()()
        self.secret_camel = {self.names.to_camel[n] for n in self.schema.secret_outputs()}
        #: Inputs the API returns: what an import can read (its state's inputs).
        self.readable = self.schema.names(returned=True)
        #: Compared inputs the API never returns (the credentials): an import cannot know
        #: them, so an imported state has none ("unrecorded") until an update records the
        #: program's.
        self.write_only = tuple(n for n in self.schema.names(compared=True)
                                if n not in self.readable)
        self._reason_names = sorted(self.schema.inputs, key=len, reverse=True)

    def snake(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The engine's properties in the provider's names, and those that are no
        property of the resource (the provider never sees them)."""
        out: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in values.items():
            if key.startswith("__"):
                continue
            name = self.names.to_snake.get(key)
            if name is None:
                unknown.append(key)
            else:
                out[name] = value
        return out, unknown

    def props(self, struct: struct_pb2.Struct | None) -> tuple[dict[str, Any], set[str]]:
        """The engine's Struct as the provider's values, and the (camelCase) names that
        came marked secret (so that the answer keeps them secret)."""
        raw, came_secret = from_struct(struct)
        return self.snake(raw)[0], came_secret

    def answer(self, values: Mapping[str, Any], came_secret: set[str]) -> struct_pb2.Struct:
        """Provider values as the engine's properties, secrets marked."""
        return to_struct(self.names.camel_keys(values), self.secret_camel | came_secret)

    def unrecorded(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> set[str]:
        """The write-only inputs an imported state lacks and the program now gives (see
        docs/native.md, "Import"): recorded by an update, never a replacement."""
        return {k for k in self.write_only
                if olds.get(k) is None and news.get(k) is not None}

    def cannot_read(self, exc: MihuError, id_: str, what: str) -> _Abort:
        """The error of an import or a lookup where the API cannot read (``exc``, the
        provider's "Cannot read ..."), in plain words, with what to do instead: for a
        resource with ``adopt_uuid``, adopting it by its uuid (the same words for both)."""
        if "adopt_uuid" in self.schema.inputs:
            instead = (f"Manage it with adoptUuid (adopt_uuid in Python's dynamic resource) "
                       f"instead: a {self.entry.name} with adoptUuid set to {id_} and the "
                       "connection's name, phone number and gateways, then `pulumi up` (no "
                       "POST; README: \"Import an existing connection\")")
        else:
            instead = self.provider.instead_of_import
        return _Abort(f"{exc}, so {what}. {instead}")

    def reason(self, text: str) -> str:
        """A provider message with the inputs' names as the engine's (``phone_number is
        required`` -> ``phoneNumber is required``). Quoted values (the messages quote a
        user's values with ``repr``) are left as they are: a connection named
        ``'HQ phone_number'`` keeps its name."""
        parts = _QUOTED.split(text)  # odd indexes: the quoted values
        for i in range(0, len(parts), 2):
            for name in self._reason_names:
                if "_" in name:
                    parts[i] = re.sub(rf"\b{re.escape(name)}\b", self.names.to_camel[name],
                                      parts[i])
        return "".join(parts)


# -- the servicer --------------------------------------------------------------------------


class MihuProviderServicer(provider_pb2_grpc.ResourceProviderServicer):
    """The engine's requests, each mapped to a provider class's method."""

    def __init__(self, engine: EngineLog | None = None) -> None:
        self.resources = {type_token(entry): _Resource(entry) for entry in RESOURCES}
        self.engine = engine or EngineLog(None)
        #: The lookup functions (``getSipTrunkConnection``), by token, with the resource
        #: whose provider reads for them.
        self.functions = {lookup.token: (lookup, self.resources[type_token(lookup.entry)])
                          for lookup in lookups()}
        #: URNs this process read without state (``pulumi import``): their import's
        #: consistency Check does not require the write-only inputs (never readable).
        self._imported: set[str] = set()
        self._import_ids: dict[tuple[str, str], str] = {}
        #: (type, id) -> the URN whose Diff had it: the resource of the stack managing it.
        self._diffed: dict[tuple[str, str], str] = {}
        self._import_lock = threading.Lock()

    # helpers

    def _resource(self, urn: str) -> _Resource:
        token = urn_type(urn)
        resource = self.resources.get(token)
        if resource is None:
            raise _Abort(f"unknown resource type {token!r}: the {PACKAGE} provider has "
                         f"{', '.join(sorted(self.resources))}")
        return resource

    def _names_for(self, urn: str) -> Callable[[str], str]:
        """How the provider's messages about ``urn``'s resource name its inputs here."""
        resource = self.resources.get(urn_type(urn)) if urn else None
        return resource.reason if resource is not None else str

    def _run(self, context: grpc.ServicerContext, call: Callable[[], R], urn: str = "") -> R:
        """Run a request; an error becomes its plain message, with no traceback. The
        provider classes raise only MihuErrors, already free of secrets and chains
        (``safe_errors``); anything else is a bug of this layer, whose message is not shown
        (it might quote a value), only its type and place. The provider's warnings go to
        the engine's log, attached to the resource ``urn``. Both name the inputs as the
        program does here (``adoptUuid``, not the dynamic resource's ``adopt_uuid``)."""
        names = self._names_for(urn)
        try:
            with warnings_to(lambda message: self.engine.warning(urn, names(message))):
                return call()
        except MihuError as exc:
            _abort(context, names(str(exc)))
        except _Abort as exc:
            _abort(context, str(exc))
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = (f" in {os.path.basename(frames[-1].filename)} line {frames[-1].lineno}"
                     if frames else "")
            _abort(context, f"The mihu provider failed unexpectedly with "
                            f"{type(exc).__name__}{where}. This is a bug in pulumi-mihu: "
                            "please report it with this message.")

    @staticmethod
    @contextlib.contextmanager
    def _timed(timeout: float) -> Iterator[None]:
        """Bound the operation by the resource's customTimeouts (the engine's ``timeout``,
        seconds; 0 when none is set): the client's tries and backoff, a create's settle, a
        delete's patience. An error after the time is up says so."""
        with operation_deadline(timeout):
            try:
                yield
            except MihuError as exc:
                left = operation_remaining()
                if left is not None and left <= 0:
                    raise MihuError(f"{exc} (stopped by the resource's customTimeouts: "
                                    f"{timeout:g} s)") from None
                raise

    # plugin

    def GetPluginInfo(self, request: Any, context: grpc.ServicerContext) -> Any:
        return proto.PluginInfo(version=__version__)

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        return proto.GetSchemaResponse(schema=schema_json())

    def Cancel(self, request: Any, context: grpc.ServicerContext) -> Any:
        return empty_pb2.Empty()

    # configuration

    def CheckConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        """The configuration as given, the secret settings (``apiToken``) marked secret
        whichever way the program or the stack config gave them, so that the provider's
        state entry (default or explicit) holds them as ciphertext. Bad settings are
        reported by the first Check, one line naming the key (as in dynamic mode), not
        here."""
        news, came_secret = from_struct(request.news)
        return proto.CheckResponse(inputs=to_struct(news, came_secret | SECRET_CONFIG))

    def DiffConfig(self, request: Any, context: grpc.ServicerContext) -> Any:
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details("DiffConfig is not implemented by the mihu provider")
        raise NotImplementedError("DiffConfig is not implemented by the mihu provider")

    def Configure(self, request: Any, context: grpc.ServicerContext) -> Any:
        """Configure every provider object with the same settings: ``args`` (the provider's
        inputs, camelCase) read as the ``mihu:*`` keys ``MihuSettings`` knows; older engines
        send only ``variables`` (``mihu:config:apiToken``)."""
        args, _ = from_struct(request.args) if request.HasField("args") else ({}, set())
        config: dict[str, Any] = {f"{PACKAGE}:{key}": value for key, value in args.items()
                                  if not isinstance(value, Unknown)}
        if not config:
            prefix = f"{PACKAGE}:config:"
            config = {f"{PACKAGE}:{key.removeprefix(prefix)}": value
                      for key, value in request.variables.items() if key.startswith(prefix)}
        req = ConfigureRequest(Config(config, PACKAGE))
        for resource in self.resources.values():
            resource.provider.configure(req)
        return proto.ConfigureResponse(acceptSecrets=True, acceptResources=False,
                                       supportsPreview=False)

    # resources

    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
        def call() -> Any:
            resource = self._resource(request.urn)
            _refuse_dynamic_state(resource, request.urn, "", request.olds)
            olds_raw, _ = from_struct(request.olds)
            news_raw, came_secret = from_struct(request.news)
            olds, _ = resource.snake(olds_raw)
            news, extra = resource.snake(news_raw)
            name = urn_name(request.urn)
            for key, spec in resource.schema.inputs.items():
                if spec.default is RESOURCE_NAME and news.get(key) is None:
                    news[key] = name
            news[RESOURCE_NAME_KEY] = name
            result = resource.provider.check(olds, news)
            # The engine prints a failure's property with the program's value beside it:
            # a key that is no input (a mistyped "passwrd") or a secret input given as a
            # plain value would be printed in clear. Their failures name the field in the
            # reason only, on no property.
            failures = [proto.CheckFailure(
                property="", reason=f"{key} is not an input of {resource.entry.name}")
                for key in extra]
            reported = list(result.failures or [])
            if request.urn in self._imported and olds_raw == news_raw:
                # `pulumi import`'s own Check (olds and news both the Read's inputs): the
                # credentials were never readable, so not required here; the program's
                # next `up` records them (Diff, Update).
                reported = [f for f in reported if not (
                    f.property in resource.write_only and news.get(f.property) is None)]
            for f in reported:
                camel = resource.names.to_camel.get(f.property, f.property)
                shown = camel not in resource.secret_camel or news.get(f.property) is None
                failures.append(proto.CheckFailure(property=camel if shown else "",
                                                   reason=resource.reason(f.reason)))
            return proto.CheckResponse(
                inputs=resource.answer(result.inputs or {}, came_secret), failures=failures)
        return self._run(context, call, request.urn)

    def Diff(self, request: Any, context: grpc.ServicerContext) -> Any:
        def call() -> Any:
            resource = self._resource(request.urn)
            _refuse_dynamic_state(resource, request.urn, request.id, request.olds,
                                  request.old_inputs)
            self._note_manager(resource, request.id, request.urn)
            olds, _ = resource.props(request.olds)
            news, _ = resource.props(request.news)
            result = resource.provider.diff(request.id, olds, news)
            changed = resource.schema.changed(olds, news, lambda v: isinstance(v, Unknown))
            # An imported state's credentials are unrecorded, not changed: the update
            # records the program's (ledger row N2).
            replaces = set(result.replaces or []) - resource.unrecorded(olds, news)
            kind = proto.PropertyDiff
            to_camel = resource.names.to_camel
            return proto.DiffResponse(
                changes=(proto.DiffResponse.DIFF_SOME if result.changes
                         else proto.DiffResponse.DIFF_NONE),
                replaces=[to_camel[k] for k in sorted(replaces)],
                diffs=[to_camel[k] for k in changed],
                deleteBeforeReplace=bool(result.delete_before_replace),
                detailedDiff={to_camel[k]: kind(
                    kind=kind.UPDATE_REPLACE if k in replaces else kind.UPDATE,
                    inputDiff=True) for k in changed},
                hasDetailedDiff=True)
        return self._run(context, call, request.urn)

    def Create(self, request: Any, context: grpc.ServicerContext) -> Any:
        def call() -> Any:
            resource = self._resource(request.urn)
            props, came_secret = resource.props(request.properties)
            with self._timed(request.timeout):
                result = resource.provider.create(props)
            return proto.CreateResponse(id=result.id,
                                        properties=resource.answer(result.outs or {},
                                                                   came_secret))
        return self._run(context, call, request.urn)

    def Read(self, request: Any, context: grpc.ServicerContext) -> Any:
        def call() -> Any:
            resource = self._resource(request.urn)
            _refuse_dynamic_state(resource, request.urn, request.id, request.properties,
                                  request.inputs)
            props, came_secret = resource.props(request.properties)
            # No state: `pulumi import` and the import option (the engine sends no inputs:
            # ImportStep), or a get (ReadStep: the program's inputs, maybe empty). A get
            # is read only and never deleted by the engine: its id is checked, not claimed.
            importing = not props and not request.HasField("inputs")
            if not props:
                _check_id(resource, request.id)
            if importing:
                self._claim_import(resource, request.id, request.urn)
            try:
                result = resource.provider.read(request.id, props)
            except MihuError as exc:
                if importing and str(exc).startswith("Cannot read"):
                    raise resource.cannot_read(exc, request.id,
                                               "it cannot be imported") from None
                raise
            if not result.id:
                return proto.ReadResponse(id="")
            outs = result.outs or {}
            if importing:
                # The inputs an import records: what the API returned of them. The
                # write-only ones (credentials) it never returns: the next `up` records
                # the program's (Diff, Update), without a request.
                self._imported.add(request.urn)
                inputs: Any = resource.answer(
                    {k: outs[k] for k in resource.readable if outs.get(k) is not None},
                    came_secret)
            else:
                inputs = request.inputs if request.HasField("inputs") else None
            return proto.ReadResponse(id=result.id,
                                      properties=resource.answer(outs, came_secret),
                                      inputs=inputs)
        return self._run(context, call, request.urn)

    def _claim_import(self, resource: _Resource, id_: str, urn: str) -> None:
        """One id is imported by one resource of the deployment, and not one another
        resource manages (its Diff came, or a create of this process made or adopted it):
        two would each delete the line when removed."""
        name = resource.entry.name
        with self._import_lock:
            holder = self._import_ids.setdefault((name, id_), urn)
            manager = self._diffed.get((name, id_))
            if manager is None and resource.provider.holds(id_):
                manager = "another resource"
        if holder != urn:
            raise _Abort(f"{name} {id_} is already imported by {urn_name(holder)!r} in this "
                         f"deployment: two resources managing one {name} would each delete "
                         "it when removed from the program. Import it once. Nothing was "
                         "sent.")
        if manager is not None:
            raise _Abort(_import_of_managed(name, id_, manager, urn))

    def _note_manager(self, resource: _Resource, id_: str, urn: str) -> None:
        """A Diff: ``urn`` manages ``id_``. Refused where another resource imports it in
        this deployment: removing either from the program would delete the other's line.
        Two Diffs of one id under two URNs are not refused: the engine diffs a resource
        under its old URN too when an alias renames it beside a replacement it depends on
        (``calculateDependentReplacements``; attack of issue 20), which no state entry
        tells apart from two entries of one id. Their removal is guarded by ledger row 5b
        but for ``--target``: so they are not refused, and not passed over in silence."""
        name = resource.entry.name
        with self._import_lock:
            first = self._diffed.setdefault((name, id_), urn)
            other = self._import_ids.get((name, id_), urn)
        if other != urn:
            raise _Abort(_import_of_managed(name, id_, urn, other))
        if first != urn:
            warn(f"{name} {id_} is in this deployment under two names, {urn_name(first)!r} "
                 f"and {urn_name(urn)!r}. After a rename with an alias that is the engine's "
                 "doing: ignore this. If the stack holds it twice (two state entries, as "
                 "`pulumi import` of a connection it already manages makes), keep one with "
                 "`pulumi state delete <urn>`: removing one from the program keeps the line, "
                 "but removing one with `pulumi up --target` or `pulumi destroy --target` "
                 "would delete it.")

    # functions

    def Invoke(self, request: Any, context: grpc.ServicerContext) -> Any:
        """A lookup function (``getSipTrunkConnection``): the provider's read of one item
        without state (a ``get``), answered with the function's outputs only, so nothing
        secret can leave whatever the API returns. A query: unlike an import's Read, it
        notes nothing (the ledger, the imported URNs), and it makes no request but the
        read. A missing or malformed key is a failure on that argument, as Check's."""
        def call() -> Any:
            found = self.functions.get(request.tok)
            if found is None:
                raise _Abort(f"unknown function {request.tok!r}: the {PACKAGE} provider "
                             f"has {', '.join(sorted(self.functions)) or 'none'}")
            lookup, resource = found
            args, _ = from_struct(request.args)
            key = resource.names.to_camel[lookup.key]
            failures = [proto.CheckFailure(property=name, reason=f"{name} is not an "
                                           f"argument of {lookup.token.rsplit(':', 1)[-1]}")
                        for name in args if name != key]
            value = args.get(key)
            if not _path_segment(value):
                failures.append(proto.CheckFailure(
                    property=key, reason=f"{key} must be the {key} of a "
                                         f"{lookup.entry.name}, as a string"))
            elif not failures:
                return proto.InvokeResponse(**{"return": self._look_up(lookup, resource,
                                                                        value)})
            return proto.InvokeResponse(failures=failures)
        return self._run(context, call)

    @staticmethod
    def _look_up(lookup: Lookup, resource: _Resource, key: str) -> struct_pb2.Struct:
        """What the API reports of the item ``key``: the function's outputs, camelCase,
        none marked secret (none is); an answer without one the schema says is always
        there is an error, not a silent null in a typed SDK."""
        what = f"{lookup.token.rsplit(':', 1)[-1]} cannot look it up"
        try:
            result = resource.provider.read(key, {})
        except MihuError as exc:
            if str(exc).startswith("Cannot read"):
                raise resource.cannot_read(exc, key, what) from None
            raise
        outs = {**(result.outs or {}), lookup.key: result.id or key}
        missing = [resource.names.to_camel[n] for n in lookup.required if outs.get(n) is None]
        if missing:
            raise _Abort(f"The Mihu API's answer for {lookup.entry.name} {key} has no "
                         f"{' and no '.join(missing)}, so {what}")
        return to_struct(resource.names.camel_keys(
            {name: outs.get(name) for name in lookup.outputs}), set())

    def Update(self, request: Any, context: grpc.ServicerContext) -> Any:
        def call() -> Any:
            resource = self._resource(request.urn)
            olds, _ = resource.props(request.olds)
            news, came_secret = resource.props(request.news)
            unrecorded = resource.unrecorded(olds, news)
            if unrecorded:
                olds = {**olds, **{k: news[k] for k in unrecorded}}
                names = " and ".join(resource.names.to_camel[k] for k in sorted(unrecorded))
                warn(f"{resource.entry.name} {request.id} ({urn_name(request.urn)}): its "
                     f"{names} are now recorded in the state as the program's. It was "
                     "imported, and the Mihu API never returns them, so they were not "
                     "checked; nothing was sent to the API.")
            with self._timed(request.timeout):
                result = resource.provider.update(request.id, olds, news)
            return proto.UpdateResponse(properties=resource.answer(result.outs or {},
                                                                   came_secret))
        return self._run(context, call, request.urn)

    def Delete(self, request: Any, context: grpc.ServicerContext) -> Any:
        def call() -> Any:
            resource = self._resource(request.urn)
            props, _ = resource.props(request.properties)
            with self._timed(request.timeout):
                resource.provider.delete(request.id, props)
            return empty_pb2.Empty()
        return self._run(context, call, request.urn)


#: What an id's segment (a uuid) may be: letters, digits and '-', as a uuid is (the API's
#: ids are uuids; longer than 64 characters is no uuid).
_UUID_LIKE = re.compile(r"[A-Za-z0-9-]{1,64}")


def _path_segment(value: Any) -> TypeGuard[str]:
    """A key a lookup or an import may put in the item route as it is: uuid-like, so one
    path segment that needs no quoting and reaches no other route (``x/../..``, ``...``)."""
    return isinstance(value, str) and _UUID_LIKE.fullmatch(value) is not None


def _import_of_managed(name: str, id_: str, manager: str, importer: str) -> str:
    """The refusal of an import of an id another resource manages (``manager`` a URN, or
    a description of it)."""
    holder = repr(urn_name(manager)) if manager.startswith("urn:") else manager
    return (f"{name} {id_} is managed by {holder} and cannot also be imported by "
            f"{urn_name(importer)!r}: two resources managing one {name} would each delete it "
            "when removed from the program. Import it once; if both are in the stack "
            "already, keep one: `pulumi state delete <urn>` of the other removes it from the "
            "stack without deleting anything (the urns: `pulumi stack --show-urns`). Nothing "
            "was sent for this resource.")


def _check_id(resource: _Resource, id_: str) -> None:
    """An id read without state goes into the item route as it is: uuid-like segments
    (one for a connection, two for an assignment), never a path to another route."""
    name, parts = resource.entry.name, id_.split("/")
    if len(parts) != resource.provider.id_segments or not all(map(_path_segment, parts)):
        shape = "/".join(["<uuid>"] * resource.provider.id_segments)
        shown = id_ if len(id_) <= 80 else id_[:80] + "..."
        raise _Abort(f"{shown!r} is not the id of a {name}: import it by its id, {shape} "
                     "(a uuid is letters, digits and '-'). Nothing was sent.")


def _refuse_dynamic_state(resource: _Resource, urn: str, id_: str,
                          *states: struct_pb2.Struct) -> None:
    """Refuse a state the dynamic resource wrote (``__provider`` in it), wherever an alias
    from the dynamic type brings it: Check's olds, Diff's olds and old inputs, a refresh's
    properties and inputs. Read in the native names its snake_case inputs are missing, so
    every replacing input looks new and the plan would replace a live line; a refresh
    that kept such a state (the API cannot read) would drop the names the Diff checks."""
    if not any(DYNAMIC_STATE_KEY in state.fields for state in states):
        return
    which = f"{resource.entry.name} {id_}" if id_ else resource.entry.name
    raise _Abort(
        f"{which} ({urn_name(urn)}): its state was written by the dynamic resource "
        f"(pulumi_mihu.{resource.entry.name}), which the {PACKAGE} provider does not take "
        "over through an alias: read in the native names, every input would look new (a "
        "connection would be replaced, an assignment recorded unsent). Nothing was sent to "
        "the API and the state is unchanged. Remove the alias and move the resource as the "
        f"runbook says: {MODE_SWITCH_DOCS}")


def _abort(context: grpc.ServicerContext, message: str) -> NoReturn:
    context.abort(grpc.StatusCode.UNKNOWN, message)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


def serve(engine: EngineLog | None = None) -> tuple[grpc.Server, int]:
    """Start the server on a free loopback port: (server, port). ``engine``: where the
    provider's warnings go (stderr when None)."""
    try:
        from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS as options
    except ImportError:  # pragma: no cover - an SDK without it: gRPC's defaults
        options = []
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS), options=options)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(MihuProviderServicer(engine),
                                                      server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def main(argv: list[str] | None = None) -> int:
    """``pulumi-resource-mihu [engine address] [--logtostderr] [-v=N] ...``: the engine
    starts the plugin and reads the port from its first line of output."""
    parser = argparse.ArgumentParser(prog="pulumi-resource-mihu",
                                     description="The Mihu Pulumi provider plugin")
    parser.add_argument("engine", nargs="?", help="the Pulumi engine's address")
    parser.parse_known_args(argv)
    args = sys.argv[1:] if argv is None else argv
    # The engine passes its address last, after flags (--logtostderr, -v=N, --tracing X).
    engine = args[-1] if args and not args[-1].startswith("-") else None
    server, port = serve(EngineLog(engine))
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)
    return 0
