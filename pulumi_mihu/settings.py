"""Provider settings: where the API is, how to authenticate, how patient to be.

Settings are resolved inside the provider host by ``configure()``, from the stack config
(``mihu:*`` keys, secrets already unwrapped by the host) with environment-variable
fallbacks. They are never captured in the pickled provider, which lives in the stack state:
the token would otherwise be stored there, and rotating it would change every resource.
Settings come from one source as a whole: the stack config when it has any ``mihu:*``
setting, otherwise the environment. Mixing them lets a leftover environment variable (say
``MIHU_BASE_URL`` from another shell) send the stack's token to another place than the
one the stack's reviewer sees; with one source, what the config says is all that counts.
The resolved settings remember their source, and errors name the base URL and the source.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import MihuConfigError

__all__ = [
    "MihuSettings",
    "Secret",
    "SecretValue",
    "Setting",
    "is_loopback_host",
    "normalize_base_url",
]

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Setting:
    """One setting's two names: the stack config key and the environment variable."""

    key: str
    env: str

    @property
    def config_key(self) -> str:
        return f"mihu:{self.key}"

    def names(self) -> str:
        return f"stack config '{self.config_key}' or environment variable {self.env}"


API_TOKEN = Setting("apiToken", "MIHU_API_TOKEN")  # Bearer token (set it as a secret)
SUBDOMAIN = Setting("subdomain", "MIHU_SUBDOMAIN")  # https://{subdomain}.mihu.ai
BASE_URL = Setting("baseUrl", "MIHU_BASE_URL")  # the whole base URL; wins over subdomain
REQUEST_TIMEOUT = Setting("requestTimeout", "MIHU_REQUEST_TIMEOUT")  # seconds per request
MAX_ATTEMPTS = Setting("maxAttempts", "MIHU_MAX_ATTEMPTS")  # tries per request, with retries
RETRY_DEADLINE = Setting("retryDeadline", "MIHU_RETRY_DEADLINE")  # seconds for all tries
#: Seconds before the first retry; doubles each time, with jitter.
RETRY_BASE_DELAY = Setting("retryBaseDelay", "MIHU_RETRY_BASE_DELAY")
#: Seconds to watch the list after a create got no clear answer.
CREATE_SETTLE_TIME = Setting("createSettleTime", "MIHU_CREATE_SETTLE_TIME")
#: "true": create even where the list of connections answers but cannot be read whole, so
#: that the duplicate checks cannot run (each such create warns). Off by default.
ALLOW_UNCHECKED_CREATES = Setting("allowUncheckedCreates", "MIHU_ALLOW_UNCHECKED_CREATES")
ALL_SETTINGS = (API_TOKEN, SUBDOMAIN, BASE_URL, REQUEST_TIMEOUT, MAX_ATTEMPTS, RETRY_DEADLINE,
                RETRY_BASE_DELAY, CREATE_SETTLE_TIME, ALLOW_UNCHECKED_CREATES)

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_DEADLINE = 120.0
DEFAULT_RETRY_BASE_DELAY = 0.5
DEFAULT_CREATE_SETTLE_TIME = 30.0

_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses: the only places plain HTTP may carry the
    token (the simulator, an SSH tunnel)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SecretValue(Protocol):
    """What holds the API token: :class:`Secret`, or pydantic's ``SecretStr``."""

    def get_secret_value(self) -> str: ...


class Secret:
    """A value that never shows: masked in repr and str, read only by
    :meth:`get_secret_value`, as pydantic's ``SecretStr`` (which callers may still pass),
    without importing pydantic into every provider host, a preview's included."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class MihuSettings:
    """Resolved, validated settings. ``api_token`` is a :class:`Secret` so that a repr, a
    log line or a traceback's locals never show it."""

    api_token: SecretValue = field(repr=False)
    base_url: str
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_deadline: float = DEFAULT_RETRY_DEADLINE
    retry_base_delay: float = DEFAULT_RETRY_BASE_DELAY
    create_settle_time: float = DEFAULT_CREATE_SETTLE_TIME
    allow_unchecked_creates: bool = False
    #: Where the settings were read: "stack config", "environment" or "code". Not a
    #: setting: two settings objects that say the same are equal wherever they came from.
    source: str = field(default="code", compare=False)

    @property
    def origin(self) -> str:
        """The base URL and where it came from, for error messages."""
        return f"{self.base_url} (settings from the {self.source})"

    @classmethod
    def resolve(
        cls,
        config: Callable[[str], Any] | Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> MihuSettings:
        """Read every setting from ``config`` (a ``get(key)`` callable such as
        ``pulumi.dynamic.Config.get``, or a mapping of ``mihu:*`` keys) if it has any
        ``mihu:*`` setting, otherwise from ``environ`` (see the module docstring)."""
        env = os.environ if environ is None else environ
        if config is None:
            get: Callable[[str], Any] = lambda _key: None  # noqa: E731
        elif callable(config):
            get = config
        else:
            get = config.get

        in_config = {s.key: _text(get(s.config_key)) for s in ALL_SETTINGS}
        if any(value is not None for value in in_config.values()):
            source, values = "stack config", in_config
        else:
            source, values = "environment", {s.key: _text(env.get(s.env)) for s in ALL_SETTINGS}
        return cls._from_values(values, source)

    @classmethod
    def _from_values(cls, values: Mapping[str, str | None], source: str) -> MihuSettings:
        token = values[API_TOKEN.key]
        if token is None:
            ignored = ("; the environment is not read when the stack config has mihu:* "
                       "settings" if source == "stack config" else "")
            raise MihuConfigError(
                f"Mihu API token is missing: set {API_TOKEN.names()} (for example `pulumi "
                f"config set --secret mihu:apiToken ...`){ignored}."
            )
        if any(ch.isspace() for ch in token) or not token.isprintable():
            raise MihuConfigError(
                f"Mihu API token from {API_TOKEN.names()} contains whitespace or control "
                "characters; paste the bare token, without 'Bearer '."
            )

        def number(setting: Setting, default: float, integer: bool = False) -> float:
            return _positive_number(setting, values[setting.key], default, integer)

        return cls(
            api_token=Secret(token),
            base_url=_resolve_base_url(values[BASE_URL.key], values[SUBDOMAIN.key]),
            request_timeout=number(REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT),
            max_attempts=int(number(MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, integer=True)),
            retry_deadline=number(RETRY_DEADLINE, DEFAULT_RETRY_DEADLINE),
            retry_base_delay=number(RETRY_BASE_DELAY, DEFAULT_RETRY_BASE_DELAY),
            create_settle_time=number(CREATE_SETTLE_TIME, DEFAULT_CREATE_SETTLE_TIME),
            allow_unchecked_creates=_boolean(ALLOW_UNCHECKED_CREATES,
                                             values[ALLOW_UNCHECKED_CREATES.key]),
            source=source,
        )


def _text(value: Any) -> str | None:
    """A setting's raw value, or None when absent or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _positive_number(setting: Setting, text: str | None, default: float,
                     integer: bool = False) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise MihuConfigError(f"{setting.names()} must be {kind}, got {text!r}.")
    return value


def _boolean(setting: Setting, text: str | None) -> bool:
    """``true``/``false`` (any case); absent is false. Anything else is refused rather than
    guessed: this setting switches a guard off."""
    if text is None or text.lower() == "false":
        return False
    if text.lower() == "true":
        return True
    raise MihuConfigError(f"{setting.names()} must be true or false, got {text!r}.")


def _resolve_base_url(base_url: str | None, subdomain: str | None) -> str:
    if base_url is not None:
        return normalize_base_url(base_url)
    if subdomain is not None:
        if not _SUBDOMAIN_RE.match(subdomain):
            raise MihuConfigError(
                f"{SUBDOMAIN.names()} must be a bare DNS label such as 'acme' "
                f"(giving https://acme.mihu.ai), got {subdomain!r}."
            )
        return f"https://{subdomain.lower()}.mihu.ai"
    raise MihuConfigError(
        f"Mihu API location is missing: set {SUBDOMAIN.names()}, "
        f"or {BASE_URL.names()}."
    )


def normalize_base_url(url: str) -> str:
    """Validate a base URL and return it as ``scheme://host[:port]``.

    A trailing ``/api/v1`` is accepted and dropped, because part of the Mihu reference
    writes its base URL that way; any other path, a query, or credentials in the URL are
    refused rather than guessed at. Plain ``http`` is refused except to loopback, so the
    Bearer token never crosses a network in clear text.
    """
    name = BASE_URL.names()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MihuConfigError(
            f"{name} must be an absolute http(s) URL such as https://acme.mihu.ai, got {url!r}."
        )
    if parts.username or parts.password:
        raise MihuConfigError(f"{name} must not contain credentials; use {API_TOKEN.names()}.")
    if parts.query or parts.fragment:
        raise MihuConfigError(f"{name} must not have a query or fragment, got {url!r}.")
    path = parts.path.rstrip("/")
    if path not in ("", API_PREFIX):
        raise MihuConfigError(
            f"{name} must be the site root (like https://acme.mihu.ai), not a path: "
            f"got path {parts.path!r}. The provider adds {API_PREFIX}/... itself."
        )
    try:
        port = parts.port
    except ValueError:
        raise MihuConfigError(f"{name} has an invalid port, got {url!r}.") from None
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise MihuConfigError(
            f"{name} uses plain http:// to {parts.hostname}: refused, the API token would "
            "travel unencrypted. Use https:// (plain http is allowed only to loopback)."
        )
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"
