"""``SipTrunkConnection``: a Mihu SIP trunk connection, as a Pulumi dynamic resource.

Schema (the input model), CRUD (the provider) and the resource class live side by side,
as the Terraform Plugin Framework keeps a resource in one file.

What the Mihu reference documents: ``POST /api/v1/channels/sip-trunk/connections`` only.
What this module assumes, and how it stays safe when the assumption is wrong:

- ``GET .../connections/{uuid}`` (read), ``GET .../connections`` (list) and
  ``DELETE .../connections/{uuid}`` follow the conventions of the same API family. They
  are used when the service answers them; a 404 proves a connection is gone only when the
  list route answers too (see ``is_definitively_gone``); 405/501 or an unprovable 404
  leave state as it is, with a warning.
- No update endpoint exists, so every input change is a replacement.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, overload

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ._provider import (
    MihuDynamicResource,
    MihuResourceProvider,
    args_and_opts,
    is_definitively_gone,
    is_unknown,
    list_items,
    safe_errors,
    warn,
)
from .errors import (
    MihuCreateOutcomeUnknown,
    MihuError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
    MihuServerError,
    MihuTransportError,
)

COLLECTION = "/channels/sip-trunk/connections"

# ---------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------

_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _host(value: str) -> str:
    """A bare hostname or IP address, which is what the API documents for gateways."""
    if "://" in value:
        raise ValueError("must be a bare hostname or IP, without a scheme such as sip:// or "
                         "https://")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    if "/" in value or "?" in value or "#" in value:
        raise ValueError("must be a bare hostname or IP, without a path")
    if "@" in value:
        raise ValueError("must be a bare hostname or IP, without a user part")
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if value.startswith("+") or value.replace("-", "").isdigit():
        raise ValueError("looks like a phone number; it must be the SIP server's hostname, "
                         "for example sip.telnyx.com")
    if re.fullmatch(r"[^:]+:\d+", value):
        raise ValueError("must be the host only: the API documents no port in this field")
    labels = value.split(".")
    if len(value) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("must be a valid hostname (letters, digits, hyphens and dots) or an "
                         "IP address")
    if labels[-1].isdigit():
        raise ValueError("must be a valid hostname or IP address")
    return value


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (newlines, tabs, NUL)")
    return value


def _blank_is_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _text(max_length: int) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length),
                     AfterValidator(_no_control_chars)]


class SipTrunkConnectionInputs(BaseModel):
    """The documented request body of ``POST /channels/sip-trunk/connections``, with its
    rules: every length limit is the reference's. Strict: a number is not silently turned
    into a phone number string (it would lose its leading zeros or ``+``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: _text(255)  # type: ignore[valid-type]
    phone_number: _text(32)  # type: ignore[valid-type]
    gateway: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_host)]
    username: _text(255)  # type: ignore[valid-type]
    password: _text(255)  # type: ignore[valid-type]
    secondary_gateway: Annotated[
        Annotated[str, Field(max_length=255), AfterValidator(_host)] | None,
        BeforeValidator(_blank_is_none),
    ] = None

    def payload(self) -> dict[str, Any]:
        """The POST body: the documented fields, ``secondary_gateway`` only when set."""
        return self.model_dump(exclude_none=True)


MANAGED_INPUTS = tuple(SipTrunkConnectionInputs.model_fields)
REQUIRED_INPUTS = ("phone_number", "gateway", "username", "password")
SECRET_INPUTS = ("username", "password")
#: Outputs the API computes; the inputs are outputs too.
COMPUTED_OUTPUTS = ("uuid", "status", "created_at", "updated_at")
#: Fields the API returns about a connection (credentials never are).
_RETURNED_FIELDS = ("name", "phone_number", "gateway", "secondary_gateway", *COMPUTED_OUTPUTS)


# ---------------------------------------------------------------------------------------
# Provider
# ---------------------------------------------------------------------------------------


def _normalized(value: Any) -> Any:
    return None if value is None or value == "" else value


def _describe(outs: dict[str, Any], uuid: str) -> str:
    return (f"SIP trunk connection {uuid} (name {outs.get('name')!r}, phone number "
            f"{outs.get('phone_number')!r})")


class SipTrunkConnectionProvider(MihuResourceProvider):
    """CRUD of a SIP trunk connection against the Mihu API."""

    inputs_model = SipTrunkConnectionInputs
    secret_inputs = SECRET_INPUTS

    @safe_errors
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Only the managed inputs count (never ``__provider``, whose bytes change with the
        SDK). The API has no update, so every change replaces; an unknown value is a change,
        since it may turn out different."""
        changed = [
            key for key in MANAGED_INPUTS
            if is_unknown(news.get(key)) or _normalized(olds.get(key)) != _normalized(news.get(key))
        ]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    @safe_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        model = self.model_of(props, SipTrunkConnectionInputs)
        data = self._post_once(model)
        uuid = data["uuid"]
        outs: dict[str, Any] = dict(model.payload())
        outs["secondary_gateway"] = model.secondary_gateway
        for key in COMPUTED_OUTPUTS:
            outs[key] = data.get(key)
        return CreateResult(uuid, outs)

    def _post_once(self, model: SipTrunkConnectionInputs) -> dict[str, Any]:
        """POST the connection, and never create two.

        The client retries a POST only when the API proves it was not processed. When the
        outcome is unknown (timeout, dropped connection, 5xx), look for the connection by its
        natural key (name, phone number, gateways, created since this call began) in the
        list route: one match is adopted, none means the POST was not processed and may be
        sent again, several is an error. Without a list route, fail and say why.
        """
        secrets = [model.username, model.password]
        settings = self.client.settings
        started = datetime.now(timezone.utc)
        attempt = 0
        while True:
            attempt += 1
            try:
                body = self.client.post(COLLECTION, model.payload(), secrets=secrets)
                return _connection_data(body, model)
            except (MihuTransportError, MihuServerError) as exc:
                if isinstance(exc, MihuTransportError) and not exc.request_sent:
                    raise
                cause = str(exc)
            matches = self._find_created(model, started)
            if matches is None:
                raise MihuCreateOutcomeUnknown(
                    f"Creating the SIP trunk connection {model.name!r} for phone number "
                    f"{model.phone_number!r} may or may not have succeeded ({cause}). It was not "
                    "sent again, to avoid creating a duplicate, and the API offers no way to "
                    "check. Look in the Mihu console for that connection: if it exists, delete "
                    "it (or adopt it with SipTrunkConnection.get) before running `pulumi up` "
                    "again."
                )
            if len(matches) == 1:
                warn(f"The create request for phone number {model.phone_number!r} got no "
                     f"clear answer ({cause}), but the connection {matches[0]['uuid']} was "
                     "found in the account and is adopted.")
                return matches[0]
            if len(matches) > 1:
                uuids = ", ".join(str(m.get("uuid")) for m in matches)
                raise MihuCreateOutcomeUnknown(
                    f"Creating the SIP trunk connection {model.name!r} for phone number "
                    f"{model.phone_number!r} got no clear answer ({cause}), and the account now "
                    f"holds several matching connections ({uuids}). Delete the extra ones in "
                    "the Mihu console, then run `pulumi up` again."
                )
            if attempt >= settings.max_attempts:
                raise MihuCreateOutcomeUnknown(
                    f"Creating the SIP trunk connection {model.name!r} for phone number "
                    f"{model.phone_number!r} failed {attempt} times ({cause}); the list of "
                    "connections shows none was created."
                )
            self.client.pause(attempt)

    def _find_created(self, model: SipTrunkConnectionInputs,
                      started: datetime) -> list[dict[str, Any]] | None:
        """Connections matching the natural key and created since ``started`` (minus clock
        skew), or None when the list route cannot answer."""
        try:
            items = list_items(self.client.get(COLLECTION))
        except MihuError:
            return None
        if items is None:
            return None
        payload = model.payload()
        not_before = started - timedelta(minutes=5)
        found = []
        for item in items:
            if not isinstance(item, dict) or not item.get("uuid"):
                continue
            if any(_normalized(item.get(k)) != _normalized(payload.get(k))
                   for k in ("name", "phone_number", "gateway", "secondary_gateway")):
                continue
            created = _parse_time(item.get("created_at"))
            if created is not None and created < not_before:
                continue
            found.append(item)
        return found

    @safe_errors
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Never reached through Pulumi (diff replaces on every change). If it is, keep the
        outputs rather than wiping them (the SDK's default update returns none), and refuse a
        change that would not reach the API."""
        changed = [k for k in MANAGED_INPUTS
                   if _normalized(olds.get(k)) != _normalized(news.get(k))]
        if changed:
            raise MihuError(f"SIP trunk connections cannot be updated in place (changed: "
                            f"{', '.join(changed)}); Pulumi should have planned a replacement")
        return UpdateResult({k: v for k, v in olds.items() if not k.startswith("__")})

    @safe_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh (``props`` are the old outputs) or get (``props`` hold no state)."""
        is_get = "uuid" not in props
        state = {k: v for k, v in props.items() if not k.startswith("__")}
        try:
            body = self.client.get(f"{COLLECTION}/{id_}", secrets=self.secrets_of(props))
        except (MihuNotFoundError, MihuMethodNotAllowedError) as exc:
            gone = isinstance(exc, MihuNotFoundError) and is_definitively_gone(
                self.client, COLLECTION, id_)
            if gone:
                if is_get:
                    raise MihuError(f"SIP trunk connection {id_} does not exist") from None
                return ReadResult("", {})
            if is_get:
                raise MihuError(
                    f"Cannot read SIP trunk connection {id_}: the Mihu API documents no read "
                    f"endpoint and this service answered GET with HTTP {exc.status}"
                ) from None
            warn(f"Could not refresh {_describe(state, id_)}: the API documents no read "
                 f"endpoint and answered HTTP {exc.status}; its state is kept as it was.")
            return ReadResult(id_, state)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise MihuError(f"Mihu API GET {COLLECTION}/{id_}: the answer has no 'data' object")
        outs = dict(state)
        for key in _RETURNED_FIELDS:
            if key in data:
                outs[key] = data[key]
        outs["uuid"] = id_
        return ReadResult(id_, outs)

    @safe_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """2xx deletes. When the API cannot delete (405/501, or a 404 that does not prove the
        connection is gone), warn that it is left in the account and let the destroy go on:
        blocking it would strand the whole stack on an endpoint that may not exist.
        Transient errors were retried by the client; if they persist the error propagates
        and the resource stays in state."""
        try:
            self.client.delete(f"{COLLECTION}/{id_}", secrets=self.secrets_of(props))
        except MihuNotFoundError:
            if is_definitively_gone(self.client, COLLECTION, id_):
                return
            warn(f"{_describe(props, id_)} was NOT deleted from the Mihu account: the API "
                 f"answered DELETE with HTTP 404 (no such connection, or no such route; the "
                 "API documents no delete). It is removed from the stack; delete it in the "
                 "Mihu console if it still exists.")
        except MihuMethodNotAllowedError as exc:
            warn(f"{_describe(props, id_)} was NOT deleted from the Mihu account: the API "
                 f"does not offer DELETE for SIP trunk connections (HTTP {exc.status}). It is "
                 "removed from the stack; delete it in the Mihu console.")


def _connection_data(body: Any, model: SipTrunkConnectionInputs) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("uuid"), str) or not data["uuid"]:
        raise MihuCreateOutcomeUnknown(
            f"The Mihu API accepted the SIP trunk connection {model.name!r} for phone number "
            f"{model.phone_number!r} but its answer has no data.uuid, so Pulumi cannot track it. "
            "Check the Mihu console and delete or adopt the connection."
        )
    return data


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------------
# Resource
# ---------------------------------------------------------------------------------------


@dataclass
class SipTrunkConnectionArgs:
    """Inputs of a SipTrunkConnection, as in Pulumi's generated SDKs."""

    phone_number: pulumi.Input[str]
    gateway: pulumi.Input[str]
    username: pulumi.Input[str]
    password: pulumi.Input[str]
    name: pulumi.Input[str] | None = None
    secondary_gateway: pulumi.Input[str] | None = None


class SipTrunkConnection(MihuDynamicResource, module="mihu", name="SipTrunkConnection"):
    """A SIP trunk connection in a Mihu account.

    Every input change replaces the connection (the API has no update). ``username`` and
    ``password`` are always secret, in state and in outputs.
    """

    if TYPE_CHECKING:
        # Typed for IDEs and mypy, but kept out of the runtime __annotations__: the SDK
        # resolves a resource class's annotations with typing.get_type_hints on every
        # registration (~1 ms each), and every output here is a plain string anyway.
        uuid: pulumi.Output[str]
        """The connection's uuid, also its Pulumi id."""
        status: pulumi.Output[str]
        """The API's status string (its values are not documented)."""
        created_at: pulumi.Output[str]
        updated_at: pulumi.Output[str]
        name: pulumi.Output[str]
        phone_number: pulumi.Output[str]
        gateway: pulumi.Output[str]
        secondary_gateway: pulumi.Output[str | None]
        username: pulumi.Output[str]
        password: pulumi.Output[str]

    _SECRET_OUTPUTS: ClassVar[list[str]] = list(SECRET_INPUTS)

    @overload
    def __init__(self, resource_name: str, args: SipTrunkConnectionArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, *,
                 phone_number: pulumi.Input[str] | None = None,
                 gateway: pulumi.Input[str] | None = None,
                 username: pulumi.Input[str] | None = None,
                 password: pulumi.Input[str] | None = None,
                 name: pulumi.Input[str] | None = None,
                 secondary_gateway: pulumi.Input[str] | None = None) -> None: ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        args_obj, opts = args_and_opts(SipTrunkConnectionArgs, type(self).__name__,
                                       resource_name, args, kwargs, required=REQUIRED_INPUTS)
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=self._SECRET_OUTPUTS))
        props: dict[str, Any] = {key: None for key in COMPUTED_OUTPUTS}
        if opts.id is None:
            props.update(
                name=args_obj.name if args_obj.name is not None else resource_name,
                phone_number=args_obj.phone_number,
                gateway=args_obj.gateway,
                username=pulumi.Output.secret(args_obj.username),
                password=pulumi.Output.secret(args_obj.password),
                secondary_gateway=args_obj.secondary_gateway,
            )
        else:
            props.update({key: None for key in MANAGED_INPUTS})
        self._register_dynamic(SipTrunkConnectionProvider, resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str],
            opts: pulumi.ResourceOptions | None = None) -> SipTrunkConnection:
        """Read an existing connection by uuid into the program, without managing it.
        Works where the API answers ``GET .../connections/{uuid}``; fails clearly where not."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        return SipTrunkConnection(resource_name, opts)

