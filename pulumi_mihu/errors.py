"""The one small exception hierarchy of pulumi-mihu.

::

    MihuError                         anything raised on purpose
    |-- MihuConfigError               settings missing or malformed; no retry will help
    |   `-- MihuTlsError              TLS or certificate failure: base URL, https, CA bundle
    |-- MihuTransportError            no HTTP answer (refused, reset, timed out)
    |-- MihuBadResponseError          a 2xx answer that is not the documented JSON object
    |-- MihuListIncompleteError       a list answered but could not be read whole
    |-- MihuCreateRefusedError        the create guard refused a create; nothing was sent
    |-- MihuCreateOutcomeUnknownError a create may have been processed; not sent again
    |                                 (also importable as MihuCreateOutcomeUnknown)
    `-- MihuApiError                  the API answered an error status
        |-- MihuValidationError       400, 422
        |-- MihuAuthError             401, 403
        |-- MihuNotFoundError         404
        |-- MihuMethodNotAllowedError 405, 501
        |-- MihuConflictError         409
        |-- MihuRateLimitError        429, retries spent
        `-- MihuServerError           5xx, retries spent

Every error a user can see (a failed `pulumi up`, a provider-host traceback) is built here,
and none of them ever holds a request header, the API token or a SIP credential. Our own
messages are composed from values that are not secret. Text that came from the server (the
API's message, details, code and field, a body that is not JSON) is shown only when it does
not echo a credential (:func:`echoes`); when it does, it is withheld whole, since even a
message with the credential cut out shows where it stood ("[redacted] temporarily
unavailable" gives away a password "Service"). A read without state (a ``get``, an import, a
lookup) does not know the credentials it would check for, so it shows none of the server's
text (:data:`UNCHECKABLE`). Exceptions raised inside the provider host
reach the user as tracebacks, so nothing here keeps a reference to the request or
response objects either.
"""

from __future__ import annotations

import html
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
    "MihuCreateRefusedError",
    "MihuError",
    "MihuListIncompleteError",
    "MihuMethodNotAllowedError",
    "MihuNotFoundError",
    "MihuRateLimitError",
    "MihuServerError",
    "MihuTlsError",
    "MihuTransportError",
    "MihuValidationError",
]

#: What an error says instead of the API's message when that message echoed a credential.
WITHHELD = ("the API's message was withheld because it echoed a credential (the API token "
            "or a SIP username or password)")
#: What an error says instead of the API's text when the call's credentials were not known
#: (a read without state: a ``get``, an import, a lookup), so nothing could be checked.
UNCHECKABLE = ("the API's message is not shown: this read has no state, so the connection's "
             "SIP credentials were not known to check it against")
#: Shorter values cannot be detected: a 1-3 character credential cannot be told apart
#: from ordinary text, and withholding every message that contains one would withhold
#: them all.
MIN_DETECTED_LENGTH = 4
#: Values at least this long are detected wherever they stand, even inside a longer word
#: (an echo such as ``user=abc&password=...`` URL-encoded); shorter ones only as a whole
#: word, so that a 4-letter password "vice" does not withhold "Service unavailable".
ANYWHERE_LENGTH = 8


def echoes(text: str | None, secrets: Iterable[str | None]) -> bool:
    """Does ``text`` contain one of ``secrets``, in any form an echo may take (as sent, in
    a JSON body with non-ASCII characters escaped or not, URL- or form-encoded)? See
    MIN_DETECTED_LENGTH and ANYWHERE_LENGTH for which values are detected, and where."""
    if not text:
        return False
    for secret in secrets:
        if not secret or len(secret) < MIN_DETECTED_LENGTH:
            continue
        for form in _echo_forms(secret):
            if len(secret) >= ANYWHERE_LENGTH:
                if form in text:
                    return True
            elif re.search(rf"(?<![^\W_]){re.escape(form)}(?![^\W_])", text):
                return True
    return False


def _echo_forms(secret: str) -> set[str]:
    """Every form an API may echo a value in: as sent; JSON-escaped as Python writes it and
    as PHP's json_encode does (``/`` as ``\\/``, the Laravel default); HTML-escaped;
    URL-encoded."""
    jsons = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {secret, *jsons, *(form.replace("/", "\\/") for form in jsons),
            html.escape(secret), html.escape(secret, quote=False),
            quote(secret, safe=""), quote_plus(secret)}


class MihuError(Exception):
    """Base of everything pulumi-mihu raises on purpose."""


class MihuBadResponseError(MihuError):
    """A 2xx answer that is not the JSON object the API documents: for a write, it was
    accepted, but what it made cannot be read from the answer."""


class MihuConfigError(MihuError):
    """The provider's settings (stack config or environment) are missing or malformed."""


class MihuTlsError(MihuConfigError):
    """The TLS connection to the API failed: ``https://`` to a server that speaks plain
    HTTP, a certificate that is not trusted (self-signed, or signed by a CA missing from
    the bundle) or not valid for the host name, an unreadable CA bundle. A configuration
    error: it is not retried, and no retry would fix it."""


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

    ``secrets`` are the values no error may show. When any of the API's message, details,
    code or field echoes one (see :func:`echoes`), or ``withhold`` says some other text of
    the answer did, the message and details are withheld whole (``api_message`` and
    ``details`` are None, ``message_withheld`` is True, and the error says why); the code
    and the field are kept unless they echo a credential themselves.
    ``credentials_unknown``: the call's credentials were not known (a read without state),
    so no text of the server's but the code is shown.
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
        secrets: Iterable[str | None] = (),
        withhold: bool = False,
        credentials_unknown: bool = False,
    ) -> None:
        known = list(secrets)
        echoed = [echoes(text, known) for text in (message, details, code, field)]
        withheld = withhold or credentials_unknown or any(echoed)
        self.method = method
        self.path = path
        self.status = status
        self.code = None if echoed[2] else code
        self.field = None if echoed[3] or credentials_unknown else field
        self.api_message: str | None = None if withheld else message
        self.details: str | None = None if withheld else details
        self.message_withheld = withheld
        where = f" at {origin}" if origin else ""
        parts = [f"Mihu API {method} {path}{where} failed: HTTP {status}"]
        if self.code:
            parts.append(f"code {self.code}")
        if self.field:
            parts.append(f"field '{self.field}'")
        shown = UNCHECKABLE if credentials_unknown else WITHHELD if withheld else message
        text = ", ".join(parts) + f": {shown}"
        if self.details and self.details != message:
            text += f" ({self.details})"
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


class MihuCreateRefusedError(MihuError):
    """The create guard refused a create before sending anything: the account's list, which
    the check against duplicates needs whole, could not be read (for now, or not whole), or
    the account already holds a twin that no resource of the stack manages. Nothing was
    created; the message says what to do before running ``pulumi up`` again."""


#: The earlier name, kept so that ``except MihuCreateOutcomeUnknown`` goes on working.
MihuCreateOutcomeUnknown = MihuCreateOutcomeUnknownError
