"""The one small exception hierarchy of pulumi-mihu.

Every error a user can see (a failed `pulumi up`, a provider-host traceback) is built here,
and none of them ever holds a request header, the API token or a SIP credential: messages
are composed from the response's status, the API's error code, field and message, and are
passed through :func:`redact` against the secrets the caller knows about. Exceptions raised
inside the provider host reach the user as full tracebacks, so nothing here keeps a
reference to the request or response objects either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = [
    "MihuApiError",
    "MihuAuthError",
    "MihuBadResponseError",
    "MihuConfigError",
    "MihuConflictError",
    "MihuCreateOutcomeUnknown",
    "MihuCreateOutcomeUnknownError",
    "MihuError",
    "MihuListIncompleteError",
    "MihuMethodNotAllowedError",
    "MihuNotFoundError",
    "MihuRateLimitError",
    "MihuServerError",
    "MihuTransportError",
    "MihuValidationError",
]

REDACTED = "[redacted]"
#: Shorter values are not redacted: a 1-3 character credential cannot be told apart from
#: ordinary text, and cutting it out of every word ("Ser[redacted]ice") garbles the
#: message and shows the credential by where the cuts fall.
MIN_REDACTED_LENGTH = 4
#: Values at least this long are redacted wherever they stand, even inside a longer word
#: (an echo such as ``user=abc&password=...`` URL-encoded); shorter ones only as a whole
#: word, so that a 4-letter password does not cut "unavailable" apart.
ANYWHERE_LENGTH = 8


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace each secret in ``text`` with ``[redacted]``, in every form an echo may take
    (as sent in a JSON body, with non-ASCII characters escaped; URL-encoded), longest
    first so that a secret containing another is not half-replaced. See
    MIN_REDACTED_LENGTH and ANYWHERE_LENGTH for which values and where."""
    forms = {form: len(secret) for secret in secrets
             if secret and len(secret) >= MIN_REDACTED_LENGTH for form in _echo_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        if forms[form] >= ANYWHERE_LENGTH:
            text = text.replace(form, REDACTED)
        else:
            text = re.sub(rf"(?<![^\W_]){re.escape(form)}(?![^\W_])", REDACTED, text)
    return text


def _echo_forms(secret: str) -> set[str]:
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
            quote(secret, safe=""), quote_plus(secret)}


class MihuError(Exception):
    """Base of everything pulumi-mihu raises on purpose."""


class MihuBadResponseError(MihuError):
    """A 2xx answer that is not the JSON object the API documents: for a write, it was
    accepted, but what it made cannot be read from the answer."""


class MihuConfigError(MihuError):
    """The provider's settings (stack config or environment) are missing or malformed."""


class MihuTransportError(MihuError):
    """No HTTP response was received (connection refused, reset, timed out).

    ``request_sent`` says whether the request may have reached the server: False only when
    the connection failed before anything was written, which makes even a POST safe to retry.
    """

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class MihuListIncompleteError(MihuError):
    """A list route answered, but its list could not be read whole (a shape or a cursor it
    cannot follow, more pages than it reads, a list that kept changing). Nothing that
    depends on the whole list (duplicate checks, "is it gone?") may take it as proof."""


class MihuApiError(MihuError):
    """The API answered with an error status.

    Carries what a user needs to act: the HTTP status, the API's error ``code``, the
    ``field`` it blames (validation errors), its ``message`` and ``details``.
    """

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int,
        message: str,
        code: str | None = None,
        field: str | None = None,
        details: str | None = None,
        hint: str | None = None,
        origin: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.field = field
        self.api_message = message
        self.details = details
        where = f" at {origin}" if origin else ""
        parts = [f"Mihu API {method} {path}{where} failed: HTTP {status}"]
        if code:
            parts.append(f"code {code}")
        if field:
            parts.append(f"field '{field}'")
        text = ", ".join(parts) + f": {message}"
        if details and details != message:
            text += f" ({details})"
        if hint:
            text += f". {hint}"
        super().__init__(text)


class MihuAuthError(MihuApiError):
    """401 or 403: the token is missing, wrong, revoked, lacks a permission, or was sent to
    the wrong account (subdomain/base URL)."""


class MihuNotFoundError(MihuApiError):
    """404. The API uses it both for a missing resource and for a missing route, so on its own
    it never proves that a connection is gone."""


class MihuMethodNotAllowedError(MihuApiError):
    """405 or 501: the route exists but not with this method (an undocumented endpoint the
    service does not have)."""


class MihuValidationError(MihuApiError):
    """400 or 422: the API refused the request body; ``field`` names the culprit when known."""


class MihuConflictError(MihuApiError):
    """409: the request collides with existing state."""


class MihuRateLimitError(MihuApiError):
    """429 after the retry budget was spent."""


class MihuServerError(MihuApiError):
    """5xx after the retry budget was spent."""


class MihuCreateOutcomeUnknownError(MihuError):
    """A create request may have reached the API but no answer proves whether it created
    anything. Raised instead of blindly sending the POST again, which could create a second
    trunk for the same phone number."""


#: The earlier name, kept so that ``except MihuCreateOutcomeUnknown`` goes on working.
MihuCreateOutcomeUnknown = MihuCreateOutcomeUnknownError
