"""HTTP client for the Mihu REST API.

One ``requests.Session`` per client, created on first use (sessions do not pickle, and the
provider object is pickled into the stack state), shared by the provider host's worker
threads: urllib3's pool is thread-safe and keeps one keep-alive connection per thread.

Retries follow one rule: repeat a request only when repeating it cannot create a second
thing. Reads and deletes are repeated on 429, 502/503/504 and transport errors. A POST is
repeated only when the API (or the network) proves it was not processed: a 429, or a
connection that failed before anything was sent. Any other failure of a POST is
"outcome unknown", and the caller (which knows the natural key of what it created) decides.
A TLS or certificate failure is never repeated: it is a configuration error
(:class:`MihuTlsError`), and no retry fixes it.

Proxies and CA bundles come from the environment, read once per session (see
``_apply_environment_once``): ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and
``NO_PROXY`` (upper or lower case), ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    MihuApiError,
    MihuAuthError,
    MihuBadResponseError,
    MihuConflictError,
    MihuError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
    MihuRateLimitError,
    MihuServerError,
    MihuTlsError,
    MihuTransportError,
    MihuValidationError,
    echoes,
)
from .settings import API_PREFIX, API_TOKEN, BASE_URL, SUBDOMAIN, MihuSettings

__all__ = [
    "USER_AGENT",
    "MihuClient",
    "bounded",
    "operation_deadline",
    "operation_remaining",
    "parse_error_body",
]

if TYPE_CHECKING:
    import requests

# `requests` (with urllib3 and charset detection, ~100 ms) is imported on the first call,
# not with the package: a provider host that only checks and diffs (`pulumi preview`)
# never needs it.

USER_AGENT = f"pulumi-mihu/{__version__}"
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF = 10.0
_SNIPPET = 200

JSON = dict[str, Any]


#: The end (``time.monotonic``) of the engine operation being served in this context: the
#: resource's customTimeouts, which the native plugin receives with Create, Update and
#: Delete. None (always, in the dynamic provider host, whose SDK drops the timeout): no
#: bound beyond the settings.
_OPERATION_DEADLINE: ContextVar[float | None] = ContextVar("pulumi_mihu_operation_deadline",
                                                           default=None)


@contextlib.contextmanager
def operation_deadline(seconds: float) -> Iterator[None]:
    """Bound every call of the block (its tries, its backoff, a create's settle, a
    delete's patience) to ``seconds`` from now; 0 or less: no bound (the engine's "no
    customTimeouts")."""
    if seconds <= 0:
        yield
        return
    token = _OPERATION_DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _OPERATION_DEADLINE.reset(token)


def operation_remaining() -> float | None:
    """Seconds left of the operation's customTimeouts; None when it has none."""
    deadline = _OPERATION_DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def bounded(seconds: float) -> float:
    """``seconds``, or what is left of the operation's customTimeouts if that is less
    (never below 1 ms: a timeout of 0 would mean none to ``requests``)."""
    left = operation_remaining()
    return seconds if left is None else max(0.001, min(seconds, left))


@dataclass(frozen=True)
class _Call:
    """One API call as the retry loop sees it (``path`` includes the API prefix)."""

    method: str
    path: str
    body: Mapping[str, Any] | None
    idempotent: bool
    #: Values no error message may show: the token, and the call's credentials.
    secrets: list[str]
    #: The call's credentials are not known (a read without state): no server text shown.
    credentials_unknown: bool


@dataclass(frozen=True)
class _Failure:
    """A try that failed: the error to raise if it is the last one."""

    error: MihuError
    retryable: bool
    delay_hint: float | None = None  # the server's Retry-After, in seconds


class MihuClient:
    """Talks to one Mihu account. Safe to share between threads; cheap to create."""

    def __init__(
        self,
        settings: MihuSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._session: requests.Session | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("MihuClient holds a session and a token and must not be pickled")

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import requests

                    session = requests.Session()
                    # No urllib3-level retries: all retry decisions are made here, where
                    # we know whether a request is safe to repeat.
                    adapter = requests.adapters.HTTPAdapter(
                        pool_connections=4, pool_maxsize=32, max_retries=0
                    )
                    session.mount("https://", adapter)
                    session.mount("http://", adapter)
                    session.headers.update(
                        {
                            "User-Agent": USER_AGENT,
                            "Accept": "application/json",
                            "Authorization": "Bearer "
                            + self.settings.api_token.get_secret_value(),
                        }
                    )
                    _apply_environment_once(session, self.settings.base_url)
                    self._session = session
        return self._session

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    # -- public calls -----------------------------------------------------------------

    def get(self, path: str, *, secrets: Iterable[str] = (),
            credentials_unknown: bool = False) -> JSON | None:
        """``credentials_unknown=True`` when the credentials of what is read are not known
        (a read without state), so that no text of the server's can be checked for them:
        errors then show the status and the API's code, never its message."""
        return self.request("GET", path, secrets=secrets,
                            credentials_unknown=credentials_unknown)

    def delete(self, path: str, *, secrets: Iterable[str] = ()) -> JSON | None:
        return self.request("DELETE", path, secrets=secrets)

    def post(self, path: str, body: Mapping[str, Any], *, secrets: Iterable[str] = (),
             idempotent: bool = False) -> JSON | None:
        """``idempotent=True`` for a POST that is an upsert (sending it twice leaves the
        same state), which makes it as safe to retry as a GET."""
        return self.request("POST", path, body=body, secrets=secrets, idempotent=idempotent)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
        idempotent: bool | None = None,
        credentials_unknown: bool = False,
    ) -> JSON | None:
        """Send one API call, with retries as the module docstring describes.

        ``path`` is relative to ``/api/v1``. ``secrets`` are values (SIP credentials) that
        must never appear in an error message, even if the API echoes them back.
        Returns the decoded JSON body, or None for an empty one.
        """
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "DELETE", "PUT", "OPTIONS")
        call = _Call(method, API_PREFIX + path, body, idempotent,
                     [self.settings.api_token.get_secret_value(), *secrets],
                     credentials_unknown)
        deadline = self._clock() + bounded(self.settings.retry_deadline)
        attempt = 0
        while True:
            attempt += 1
            left = operation_remaining()
            if left is not None and left <= 0:
                raise MihuTransportError(
                    f"Mihu API {call.method} {call.path}: not sent, the operation's time "
                    "(the resource's customTimeouts) is up", request_sent=False)
            outcome = self._attempt(call)
            if not isinstance(outcome, _Failure):
                return outcome
            if not outcome.retryable or attempt >= self.settings.max_attempts:
                raise outcome.error
            delay = self.backoff(attempt) if outcome.delay_hint is None else outcome.delay_hint
            if self._clock() + delay > deadline:
                raise outcome.error
            self._sleep(delay)

    def _attempt(self, call: _Call) -> JSON | _Failure | None:
        """Send the call once: its decoded answer, or the failure and whether a retry is
        safe (see the module docstring)."""
        import requests

        try:
            response = self.session.request(
                call.method,
                self.settings.base_url + call.path,
                json=call.body,
                timeout=bounded(self.settings.request_timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            problem = _tls_problem(exc)
            if problem is not None:
                return _Failure(_tls_error(call, self.settings, problem), retryable=False)
            sent = _may_have_been_sent(exc)
            message = (f"Mihu API {call.method} {call.path}: no response from "
                       f"{self.settings.origin} ({_describe_transport_error(exc)})")
            return _Failure(MihuTransportError(message, request_sent=sent),
                            retryable=call.idempotent or not sent)
        with response:
            status = response.status_code
            if 200 <= status < 300:
                return _decode_success(response, call)
            return _Failure(
                _api_error(response, call, self.settings),
                retryable=status in RETRYABLE_STATUSES and (call.idempotent or status == 429),
                delay_hint=_retry_after(response.headers.get("Retry-After")),
            )

    def now(self) -> float:
        """The client's monotonic clock (replaceable in tests)."""
        return self._clock()

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def pause(self, attempt: int) -> None:
        """Wait before try ``attempt + 1`` of a retry loop run by a caller (a create that
        checks the list before resending)."""
        self._sleep(self.backoff(attempt))

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (half to all of the step): spreads the host's
        threads apart when the API rate-limits all of them at once."""
        ceiling = min(MAX_BACKOFF, self.settings.retry_base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def _apply_environment_once(session: requests.Session, base_url: str) -> None:
    """Proxy and CA-bundle settings from the environment, read once per session.

    With ``trust_env`` (the default) requests re-reads the proxy variables, walking the
    whole environment, on every request: a fifth of a request's CPU here. It would also
    let a ``~/.netrc`` entry for the API host replace our Authorization header.
    """
    import requests.utils

    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    variable = next((name for name in CA_BUNDLE_VARIABLES if os.environ.get(name)), None)
    if variable is not None:
        bundle = os.environ[variable]
        if not os.path.exists(bundle):
            raise MihuTlsError(
                f"{variable} names the CA bundle {bundle!r}, which does not exist: point it at "
                f"a PEM file of the CA certificates to trust for {base_url}, or unset it to "
                "use the system's.")
        session.verify = bundle


#: The environment variables naming a CA bundle, in the order they are read.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
#: OpenSSL's reasons for a handshake with a server that does not speak TLS (a plain-HTTP
#: server answering a ClientHello), across OpenSSL versions.
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE",
                              "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"})


def _tls_problem(exc: BaseException) -> str | None:
    """What went wrong with TLS, if ``exc`` is a TLS failure that no retry fixes (a
    handshake refused, a certificate not trusted); None for anything else, including a
    TLS connection cut short (EOF), which is a transport error like any dropped one."""
    cause = _ssl_cause(exc)
    if cause is None or isinstance(cause, (ssl.SSLEOFError, ssl.SSLZeroReturnError,
                                           ssl.SSLSyscallError)):
        return None
    if not _in_handshake(cause):
        # After the handshake the request may have been written (a middlebox garbling the
        # answer to a POST the server committed): a dropped connection, not a setup error.
        return None
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"the server's certificate was refused ({str(cause.verify_message).rstrip('.')})"
    reason = getattr(cause, "reason", None) or type(cause).__name__
    if reason in _NOT_TLS_REASONS:
        return (f"the server does not speak TLS there ({reason}: a plain-HTTP server at an "
                "https:// URL answers so)")
    if getattr(cause, "library", None) in ("X509", "PEM"):
        return f"the CA bundle could not be read ({reason})"
    return f"TLS handshake failed ({reason})"


#: Where a TLS error raised before a byte of the request is sent comes from: the setup of
#: the TLS socket (the CA bundle loaded, the socket wrapped) and its handshake.
_SETUP_FRAMES = frozenset({"do_handshake", "wrap_socket", "ssl_wrap_socket",
                           "load_verify_locations", "load_cert_chain"})


def _in_handshake(error: ssl.SSLError) -> bool:
    """Was ``error`` raised setting up TLS, before a byte of the request was sent? Told by
    its traceback; reads and writes after the handshake are ``recv_into``, ``read``,
    ``sendall``..., where the request may have been written."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in _SETUP_FRAMES:
            return True
        tb = tb.tb_next
    return False


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ``ssl.SSLError`` that ``exc`` wraps (requests wraps urllib3's, which wraps it
    in its ``args`` or ``reason``), found breadth-first within a few levels."""
    level: list[Any] = [exc]
    for _ in range(6):
        for item in level:
            if isinstance(item, ssl.SSLError):
                return item
        level = [inner for item in level if isinstance(item, BaseException)
                 for inner in (*item.args, getattr(item, "reason", None), item.__cause__)]
    return None


def _tls_error(call: _Call, settings: MihuSettings, problem: str) -> MihuTlsError:
    return MihuTlsError(
        f"Mihu API {call.method} {call.path}: the TLS (https) connection to {settings.origin} "
        f"failed: {problem}. This is a configuration error, not an outage, so it was not "
        f"retried: check that the base URL ({BASE_URL.names()}, or {SUBDOMAIN.names()}) is the "
        "API's https:// address, and, behind a proxy or gateway that re-signs TLS, set "
        f"{' or '.join(CA_BUNDLE_VARIABLES)} to a PEM file of its CA certificates.")


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when the connection failed before a byte of the request was written."""
    import requests
    import urllib3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        if isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.ConnectTimeoutError)):
            return False
    return True


def _describe_transport_error(exc: requests.RequestException) -> str:
    import requests
    import urllib3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timed out waiting for the answer"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return "connection refused or host unreachable"
        return "connection dropped"
    return type(exc).__name__


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _decode_success(response: requests.Response, call: _Call) -> JSON | None:
    method, path = call.method, call.path
    if not response.content:
        return None
    try:
        decoded = response.json()
    except ValueError:
        text = response.text
        shown = (" (not shown: the credentials of what was read are not known)"
                 if call.credentials_unknown else " (not shown: it echoed a credential)"
                 if _body_echoes(text, call.secrets) else f": {_snippet(text)!r}")
        raise MihuBadResponseError(
            f"Mihu API {method} {path}: HTTP {response.status_code} with a body that is not "
            f"JSON{shown}"
        ) from None
    if not isinstance(decoded, dict):
        raise MihuBadResponseError(f"Mihu API {method} {path}: expected a JSON object, got "
                                   f"{type(decoded).__name__}")
    return decoded


def _snippet(text: str) -> str:
    """The start of a body, whitespace collapsed. Check the whole body with
    ``_body_echoes`` first: a credential cut at the end would still show its start."""
    return " ".join(text.split())[:_SNIPPET]


def _body_echoes(text: str, secrets: list[str]) -> bool:
    """Does a body echo a credential, as it came or as its snippet collapses it?"""
    return echoes(text, secrets) or echoes(" ".join(text.split()), secrets)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def parse_error_body(body: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(message, code, field, details) from an error body of any shape.

    The documented envelope is ``{success, message, error: {code, details, field}}``; other
    pages of the same API nest the error in ``data.error``, put a string in ``error``, or
    use a Laravel-style ``errors: {field: [messages]}``. Anything else yields Nones.
    """
    if not isinstance(body, dict):
        return None, None, None, None
    message = _text(body.get("message"))
    error = body.get("error")
    data = body.get("data")
    if not isinstance(error, dict) and isinstance(data, dict) and isinstance(data.get("error"),
                                                                             dict):
        error = data["error"]
    code = field = details = None
    if isinstance(error, dict):
        code = _text(error.get("code"))
        field = _text(error.get("field"))
        details = _text(error.get("details"))
        message = message or _text(error.get("message"))
    elif isinstance(error, str):
        if message is None:
            message = _text(error)
        else:
            code = _text(error)
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        first_field, first_problem = next(iter(errors.items()))
        field = field or _text(first_field)
        if isinstance(first_problem, list) and first_problem:
            first_problem = first_problem[0]
        details = details or _text(first_problem)
    code = code or _text(body.get("code"))
    return message, code, field, details


_ERROR_CLASSES: dict[int, type[MihuApiError]] = {
    400: MihuValidationError,
    401: MihuAuthError,
    403: MihuAuthError,
    404: MihuNotFoundError,
    405: MihuMethodNotAllowedError,
    409: MihuConflictError,
    422: MihuValidationError,
    429: MihuRateLimitError,
    501: MihuMethodNotAllowedError,
}


def _api_error(response: requests.Response, call: _Call,
               settings: MihuSettings) -> MihuApiError:
    method, path, secrets, status = call.method, call.path, call.secrets, response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    message, code, field, details = parse_error_body(body)
    withhold = False
    if message is None:
        # The reason phrase and the body are the server's text: shown only if neither
        # echoes a credential anywhere (not only in the part that would be quoted).
        text = response.text or ""
        withhold = echoes(response.reason, secrets) or _body_echoes(text, secrets)
        snippet = _snippet(text)
        kind = "JSON of an unexpected shape" if body is not None else "a non-JSON body"
        message = f"{response.reason or 'error'} ({kind}{': ' + repr(snippet) if snippet else ''})"
    hint = None
    if status in (401, 403):
        hint = (f"Check the token ({API_TOKEN.names()}) and that it belongs to the account at "
                f"{settings.base_url} ({SUBDOMAIN.names()}, or {BASE_URL.names()})")
        if status == 403:
            hint = "The token is valid but lacks a permission for this call. " + hint
    elif status == 429:
        hint = "Rate limited; retries were spent. Raise mihu:retryDeadline or retry later"
    elif status in (400, 422):
        hint = ("The API refused what was sent: correct the input it names in the program, "
                "then run the command again")
    elif status >= 500:
        hint = ("The Mihu API failed on its side (retried where that is safe); run the "
                "command again later")
    cls = _ERROR_CLASSES.get(status)
    if cls is None:
        cls = MihuServerError if status >= 500 else MihuApiError
    return cls(
        method=method,
        path=path,
        status=status,
        message=message,
        code=code,
        field=field,
        details=details,
        hint=hint,
        origin=settings.origin,
        secrets=secrets,
        withhold=withhold,
        credentials_unknown=call.credentials_unknown,
    )
