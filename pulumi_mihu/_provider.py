"""Plumbing every Mihu dynamic provider shares.

A provider object is created in the user's program, pickled by dill into the resource's
``__provider`` property (so into the stack state), and unpickled in the provider host, a
separate process with 4 worker threads sharing one instance. Hence:

- the pickled form is empty (``__getstate__``): no settings, no client, no token; a class
  in an importable module pickles by reference, so ``__provider`` stays tiny and stable
  across releases that do not rename the class;
- settings and the HTTP client are built in ``configure()``, inside the host;
- every exception leaving a provider method is re-raised without its chain, its frames or
  a known secret (:func:`safe_errors`), because the host sends ``traceback.format_exc()``
  to the user.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from .client import MihuClient
from .errors import MihuConfigError, MihuError, echoes
from .schema import RESOURCE_NAME_KEY, Schema
from .settings import MihuSettings

#: The runbook for moving a stack between dynamic and native mode (both refuse an alias).
MODE_SWITCH_DOCS = ("https://github.com/mihu-ai/pulumi-mihu/blob/main/docs/native.md"
                    "#moving-a-stack-between-modes")

if TYPE_CHECKING:
    from ._model import InputsModel

__all__ = [
    "FRAME_FILE",
    "PROVIDER_METHODS",
    "RESOURCE_NAME_KEY",
    "MihuResourceProvider",
    "describe_error",
    "is_unknown",
    "safe_errors",
    "warn",
    "warnings_to",
]


F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="InputsModel")


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview, or an output of a resource
    that is not created yet). The host hands them over as ``pulumi.output.Unknown``
    instances; the raw sentinel string is accepted too."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


#: Where warn() sends a warning instead of stderr, for the request being served in this
#: thread: set by the native plugin (the engine's ``Log`` call, with the resource's URN),
#: never by the dynamic provider host.
_WARNING_SINK: ContextVar[Callable[[str], None] | None] = ContextVar(
    "pulumi_mihu_warning_sink", default=None)


def warn(message: str) -> None:
    """A warning the user sees in the `pulumi` output. In the dynamic provider host, which
    has no engine connection, it is written to stderr, which the engine shows for that host
    (``pulumi.log.warn`` does the same there, but inside a program it goes to that
    program's engine instead). In the native plugin, whose stderr the engine does not show,
    it goes to the sink :func:`warnings_to` set for the request."""
    sink = _WARNING_SINK.get()
    if sink is not None:
        sink(message)
        return
    print(f"warning: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def warnings_to(sink: Callable[[str], None]) -> Iterator[None]:
    """Send warn()'s warnings to ``sink`` while the block runs (in this thread's context)."""
    token = _WARNING_SINK.set(sink)
    try:
        yield
    finally:
        _WARNING_SINK.reset(token)


#: The methods the provider host calls with a request: each is wrapped by safe_errors
#: (in every subclass too, by ``MihuResourceProvider.__init_subclass__``).
PROVIDER_METHODS = ("check", "diff", "create", "read", "update", "delete")
#: The file name the frame of safe_errors' wrapper shows in a traceback (see safe_errors).
FRAME_FILE = "<pulumi-mihu>"


def safe_errors(method: F) -> F:
    """Re-raise anything a provider method throws as a MihuError that the provider host's
    ``traceback.format_exc()`` prints in a few lines, with nothing secret:

    - no exception chain (a chained exception may quote the request, token included);
    - no frames of the method: the error is raised afresh, without its traceback, so the
      message must say all (ours do: what happened and what to do);
    - the wrapper's own frame, which Python always lists (it raises), shows
      ``File "<pulumi-mihu>", line N, in create`` and no source line: its code object
      carries FRAME_FILE as its file name. What remains are the two frames of the SDK's
      dynamic host (``_abort_with_traceback`` and the gRPC method), which no provider
      can remove without changing ``sys.tracebacklimit`` for the whole host process,
      that is for every other dynamic provider of the user's program too;
    - an unexpected exception (a bug) becomes a MihuError naming the method, the
      exception's type, where it was raised and that it is a bug, with its message only
      if that does not echo a credential of the call or the API token (see
      :func:`pulumi_mihu.errors.echoes`).
    """
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: MihuResourceProvider, *args: Any) -> Any:
        try:
            return method(self, *args)
        except MihuError as exc:
            error = exc
        except Exception as exc:
            error = _unexpected(self, name, args, exc)
        error.__context__ = None
        raise error.with_traceback(None) from None

    function = cast(Any, wrapper)
    function.__code__ = function.__code__.replace(co_filename=FRAME_FILE, co_name=name)
    function.safe_errors = True
    return cast(F, wrapper)


def _unexpected(provider: MihuResourceProvider, name: str, args: tuple[Any, ...],
                exc: Exception) -> MihuError:
    """The MihuError an exception nobody planned for becomes (see safe_errors)."""
    secrets = list(provider.secrets_of(*args))
    if provider._client is not None:
        secrets.append(provider._client.settings.api_token.get_secret_value())
    text = str(exc)
    if echoes(text, secrets):
        said = " (its message was withheld because it echoed a credential)"
    else:
        said = f": {text}" if text else ""
    return MihuError(
        f"{type(provider).__name__}.{name} failed unexpectedly with {type(exc).__name__}"
        f"{said}, raised {_where(exc)}. This is a bug in pulumi-mihu: please report it with "
        "this message; running `pulumi up` again may not help.")


def _where(exc: BaseException) -> str:
    """'in file.py line N (function)': the innermost frame of this package that ``exc``
    passed through, else its innermost frame; the file name only, never its directory.
    The first frame, the one that caught ``exc``, is not counted unless it is the only one."""
    caught = list(traceback.extract_tb(exc.__traceback__))
    frames = caught[1:] or caught
    package = os.path.dirname(__file__) + os.sep
    ours = [f for f in frames if f.filename.startswith(package)]
    if not frames:
        return "at an unknown place"
    frame = (ours or frames)[-1]
    return f"in {os.path.basename(frame.filename)} line {frame.lineno} ({frame.name})"


#: The first object of each provider class unpickled in this process (see __setstate__).
_UNPICKLED: dict[type, MihuResourceProvider] = {}
_UNPICKLED_LOCK = threading.Lock()
#: What each unpickled object keeps of its own: the client and its configuration.
_OWN_STATE = frozenset({"_client", "_config_error"})


class MihuResourceProvider(ResourceProvider):
    """Base of the Mihu dynamic providers: configuration, the client, safe errors, input
    validation, and diff and update, all derived from the resource's declared inputs
    (:mod:`pulumi_mihu.schema`)."""

    # The pickled provider holds nothing secret, so it need not be encrypted in state.
    serialize_as_secret_always = False
    #: The resource's declaration: inputs (validated by its model) and outputs.
    schema: ClassVar[Schema[Any]]
    #: Input properties whose values are credentials: never echoed; a message that echoes
    #: one is withheld (see safe_errors).
    secret_inputs: ClassVar[tuple[str, ...]] = ()
    #: Inputs whose value no two resources of a stack may share -> why (checked per
    #: provider process, that is per deployment, and reported by Check naming both).
    unique_inputs: ClassVar[Mapping[str, str]] = {}
    #: What to do instead of importing one of these where the API cannot read it: one
    #: sentence the native plugin's import error ends with (a resource with an
    #: ``adopt_uuid`` input gets its own, naming the uuid: the plugin's words).
    instead_of_import: ClassVar[str] = "Declare it in the program instead."
    #: How many path segments (uuids) its id has: a connection's is its uuid, an
    #: assignment's ``<agent uuid>/<connection uuid>``. The native import checks ids by it.
    id_segments: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in PROVIDER_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "safe_errors", False):
                setattr(cls, name, safe_errors(method))
        if "schema" in cls.__dict__:
            cls.secret_inputs = cls.schema.names(secret=True)

    def __init__(self) -> None:
        super().__init__()
        self._reset()

    def _reset(self) -> None:
        """Set up the process-local state (never pickled): here, the unconfigured client."""
        self._client: MihuClient | None = None
        self._config_error: MihuConfigError | None = None
        #: (input, value) -> name of the resource of this deployment that holds it.
        self._unique_holders: dict[tuple[str, str], str] = {}
        self._unique_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled in the provider host: what this process learns of the deployment (the
        ledger, the create protocol's baseline and locks, what is held or assigned) is
        shared with every other object of this class unpickled in it. The host caches one
        object per ``__provider`` string, and a stack can hold several strings for one
        class (one written by an older release, or with another pickle protocol: 0.2.0 on
        Python 3.14 wrote protocol 5, this version writes 4): Check, Diff and Create come
        with the program's string, a Delete with the old outputs', so two objects with
        knowledge of their own would each see half of the engine's calls. Only the client
        and its configuration stay each object's (every one is configured alike)."""
        self._reset()
        with _UNPICKLED_LOCK:
            first = _UNPICKLED.setdefault(type(self), self)
        if first is not self:
            for name, value in vars(first).items():
                if name not in _OWN_STATE:
                    setattr(self, name, value)

    def configure(self, req: ConfigureRequest) -> None:
        """Resolve the settings. A bad setting is kept, not raised: raised here, it would
        reach the user as a provider-host traceback; ``check`` reports it as one line
        instead (so `pulumi preview` fails cleanly), and any other call raises it."""
        try:
            self._client = MihuClient(MihuSettings.resolve(req.config.get))
        except MihuConfigError as exc:
            self._config_error = exc
        except Exception as exc:  # a bug: its message is not shown, it may quote the token
            self._config_error = MihuConfigError(
                f"The Mihu settings could not be read: {type(exc).__name__} {_where(exc)}. "
                "This is a bug in pulumi-mihu: please report it with this message.")

    def configure_with(self, settings: MihuSettings) -> None:
        """Configure outside a provider host (tests, scripts)."""
        self._client = MihuClient(settings)

    @property
    def client(self) -> MihuClient:
        if self._config_error is not None:
            raise self._config_error
        if self._client is None:
            raise MihuError(
                f"{type(self).__name__} is not configured: the Pulumi provider host calls "
                "configure() with the stack config before any operation"
            )
        return self._client

    def holds(self, id_: str) -> bool:
        """Does a resource of this deployment have ``id_`` already (diffed, or made or
        adopted by a create of this process)? A query: the native import refuses such an
        id. The base provider keeps no ledger: False."""
        return False

    def secrets_of(self, *args: Any) -> Iterable[str]:
        """The credential values among a provider call's arguments: no message may echo them."""
        for arg in args:
            if isinstance(arg, Mapping):
                for key in self.secret_inputs:
                    value = arg.get(key)
                    if isinstance(value, str) and value and not is_unknown(value):
                        yield value

    @safe_errors
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = self.validate(news)
        if self._config_error is not None:
            failures.insert(0, CheckFailure("", str(self._config_error)))
        failures += self._unique_failures(news)
        return CheckResult(inputs, failures)

    def _unique_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """A value of a ``unique_inputs`` input already held by another resource. The
        same resource checked twice (preview, then update) is recognised by its name."""
        name = news.get(RESOURCE_NAME_KEY)
        failures = []
        for key, why in self.unique_inputs.items():
            value = news.get(key)
            if not isinstance(value, str) or is_unknown(value) or not isinstance(name, str):
                continue
            with self._unique_lock:
                holder = self._unique_holders.setdefault((key, value), name)
            if holder != name:
                failures.append(CheckFailure(key, f"{value} is already the {key} of "
                                                  f"{holder!r} in this stack; {why}"))
        return failures

    @safe_errors
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Only declared, compared inputs count (never ``__provider``, whose bytes change
        with the SDK), with one rule for empty values; an unknown value is a change, since
        it may turn out different. Inputs declared ``replaces`` replace the resource, the
        others update it in place. A state the native provider wrote (an alias from its
        type) is refused: read in these names, every input would look new."""
        native = self.schema.native_names_in(olds)
        if native:
            raise MihuError(
                f"{self.schema.name} {id_}: its state was written by the native provider "
                f"(mihu:index:{self.schema.name}; it has {', '.join(native)}), which the "
                "dynamic resource does not take over through an alias: read in Python's "
                "names, every input would look new and the connection would be replaced. "
                "Nothing was sent to the API. Remove the alias and move the resource as the "
                f"runbook says: {MODE_SWITCH_DOCS}")
        changed = self.schema.changed(olds, news, is_unknown)
        return DiffResult(changes=bool(changed),
                          replaces=[k for k in changed if self.schema.inputs[k].replaces],
                          delete_before_replace=False)

    @safe_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The in-place inputs take their new values; the outputs are kept (the SDK's
        default update would wipe them). A change to an input that replaces should never
        reach here (diff asked for a replacement): refused, since it would not reach the
        API."""
        changed = self.schema.changed(olds, news, lambda _: False)
        replacing = [k for k in changed if self.schema.inputs[k].replaces]
        if replacing:
            raise MihuError(f"{type(self).__name__.removesuffix('Provider')} cannot be updated "
                            f"in place (changed: {', '.join(replacing)}); Pulumi should have "
                            "planned a replacement")
        outs = {k: v for k, v in olds.items() if not k.startswith("__")}
        outs.update({k: news.get(k) for k in changed})
        return UpdateResult(outs)

    def model_of(self, props: Mapping[str, Any], model: type[M]) -> M:
        """The validated inputs of a create. Check ran first, so a failure here means the
        engine skipped it; say which fields are wrong, never their values."""
        inputs, failures = self.validate(props)
        if failures:
            raise MihuError("invalid inputs: " + "; ".join(f.reason for f in failures))
        return model.model_validate(inputs)

    def validate(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
        """Validate ``news`` against the schema's rules, field by field (without pydantic:
        see :meth:`Schema.validate`).

        Values unknown during preview are passed through unchecked: Pulumi calls Check
        again with the real value before the resource is created. Errors never show the
        value of a secret input: the messages are ours (:func:`describe_error`).
        """
        inputs = {k: v for k, v in news.items() if not k.startswith("__")}
        unknown = {k for k, v in inputs.items() if is_unknown(v)}
        checked, errors = self.schema.validate(inputs)
        failures = [CheckFailure(field, describe_error(field, error)) for error in errors
                    if (field := error["field"]) not in unknown]
        if failures:
            return inputs, failures
        if errors:  # only unknown fields failed: keep the known ones as given
            return inputs, []
        checked.update({k: inputs[k] for k in unknown})
        return checked, []


_MESSAGES = {
    "missing": "{field} is required",
    "extra_forbidden": "{field} is not an input of this resource",
    "string_type": "{field} must be a string",
    "string_too_long": "{field} must be at most {max_length} characters",
    "string_too_short": "{field} must not be empty",
    "string_shorter_than": "{field} must be at least {min_length} characters",
    "bool_type": "{field} must be true or false",
    "value_error": "{field} {error}",
}


def describe_error(field: str, error: Mapping[str, Any]) -> str:
    """A field-level message a user can act on, from one pydantic error (never pydantic's
    own text, which quotes the input)."""
    kind = error.get("type", "")
    ctx = {"max_length": None, "min_length": 1, "error": None, **(error.get("ctx") or {})}
    if kind == "string_too_short" and ctx["min_length"] > 1:
        kind = "string_shorter_than"  # a declared minimum above 1 (schema.Input.min_length)
    template = _MESSAGES.get(kind, "{field} is invalid ({kind})")
    return template.format(field=field, kind=kind, max_length=ctx["max_length"],
                           min_length=ctx["min_length"], error=ctx["error"])
