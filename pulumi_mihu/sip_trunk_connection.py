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
import unicodedata
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, overload

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
)

from ._create_protocol import CreateProtocol, CreateRequest, CreateSpec, Words
from ._ledger import CreateKind, DeleteKind, DeploymentLedger
from ._provider import (
    MihuResourceProvider,
    is_unknown,
    warn,
)
from ._resource import MihuDynamicResource
from .errors import (
    MihuApiError,
    MihuCreateOutcomeUnknownError,
    MihuError,
    MihuListIncompleteError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
)
from .http_shapes import is_definitively_gone, list_all
from .schema import RESOURCE_NAME, Input, Output, Schema

__all__ = [
    "SipTrunkConnection",
    "SipTrunkConnectionArgs",
    "SipTrunkConnectionInputs",
    "SipTrunkConnectionProvider",
]

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


def _is_blank(value: str) -> bool:
    """Nothing but white space (NBSP and the other Unicode spaces included) or invisible
    format characters such as a zero-width space: what a user cannot see is no value."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Zs", "Cf") for ch in value)


def _no_control_chars(value: str) -> str:
    """Not blank, no control characters: a value with a newline or a NUL, or one that
    shows nothing, is a copy-and-paste accident, and the API documents no use for it."""
    if value and _is_blank(value):
        raise ValueError("must not be blank (only spaces or invisible characters)")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (newlines, tabs, NUL)")
    return value


def _blank_is_none(value: Any) -> Any:
    """Blank means none: a config value left empty (or only spaces) asks for no fallback
    gateway, and the API takes none as absent."""
    if isinstance(value, str) and _is_blank(value):
        return None
    return value


def _connection_uuid(value: str) -> str:
    """A UUID: checked before any request, so that a typo fails `pulumi preview`."""
    try:
        uuidlib.UUID(value)
    except ValueError:
        raise ValueError("must be the uuid of an existing connection, such as "
                         "3c90c3cc-0d44-4b50-8888-8dd25736052a") from None
    return value


#: A text field: one character at least, no control characters, never blank.
_TEXT: dict[str, Any] = {"min_length": 1, "checks": (_no_control_chars,)}

SCHEMA: Schema[SipTrunkConnectionInputs] = Schema(
    "SipTrunkConnection",
    "The inputs: the documented request body of ``POST /channels/sip-trunk/connections`` "
    "with its rules (every length limit is the reference's), and ``adopt_uuid``. Strict: a "
    "number is not silently turned into a phone number string (it would lose its leading "
    "zeros or ``+``). Every change replaces, since the API has no update.",
    inputs={
        "name": Input(
            "The label shown in Mihu; defaults to the resource name.",
            default=RESOURCE_NAME, max_length=255, **_TEXT, returned=True),
        "phone_number": Input(
            "The number the trunk routes calls to, sent exactly as given.", required=True,
            max_length=32, **_TEXT, returned=True),
        "gateway": Input(
            "The SIP server's host name or IP address, e.g. sip.telnyx.com: no scheme, "
            "port, path, spaces or phone number.", required=True, min_length=1, max_length=255,
            checks=(_host,), returned=True),
        "username": Input("The SIP auth username; always secret.", required=True,
                          max_length=255, **_TEXT, secret=True),
        "password": Input("The SIP auth password; always secret.", required=True,
                          max_length=255, **_TEXT, secret=True),
        "secondary_gateway": Input(
            "A fallback SIP server, in the format of gateway; blank means none.",
            max_length=255, checks=(_host,), before=_blank_is_none, returned=True),
        "adopt_uuid": Input(
            "The uuid of an existing connection to manage instead of creating one (no "
            "POST); read only when the resource is created (see \"Import an existing "
            "connection\" in the README).", checks=(_connection_uuid,),
            sent=False, compared=False),
    },
    outputs={
        "uuid": Output("The connection's uuid, also its Pulumi id."),
        "status": Output("The API's status string (its values are not documented)."),
        "created_at": Output("When the connection was created, as the API reports it."),
        "updated_at": Output("When the connection was last changed, as the API reports "
                             "it."),
    },
)
#: Inputs that are the connection's (all but adopt_uuid): a change to any replaces it.
MANAGED_INPUTS = SCHEMA.names(compared=True)
#: Outputs the API computes; the inputs are outputs too.
COMPUTED_OUTPUTS = tuple(SCHEMA.outputs)


# ---------------------------------------------------------------------------------------
# Provider
# ---------------------------------------------------------------------------------------


#: What identifies a connection in the account's list, credentials aside (never returned).
NATURAL_KEY = ("name", "phone_number", "gateway", "secondary_gateway")


def natural_key(values: Mapping[str, Any]) -> tuple[str, ...]:
    """A connection's NATURAL_KEY, loosely compared (phone number digits only, host names
    in lower case), so that an API that stores a reformatted value (E.164, say) is not
    taken to have created nothing, which would lead to a resend; connections that existed
    before are excluded by the baseline, not by this key."""
    name, phone, *gateways = (str(values.get(key) or "").strip() for key in NATURAL_KEY)
    return (name, re.sub(r"[^0-9]", "", phone), *(host.lower().rstrip(".") for host in gateways))


def _look_for(payload: Mapping[str, Any]) -> str:
    return f"a connection with phone number {payload.get('phone_number')!r}"


#: The create protocol's view of a connection: its list, its natural key, its words.
CREATES = CreateSpec(collection=COLLECTION, natural_key=natural_key, words=Words(
    thing="connection", things="connections", listed="SIP trunk connections",
    twin_key="the same name, phone number and gateways",
    twin_harm="a second would mis-route calls", adopt_input="adopt_uuid", look_for=_look_for))


def _describe(outs: dict[str, Any], uuid: str) -> str:
    return (f"SIP trunk connection {uuid} (name {outs.get('name')!r}, phone number "
            f"{outs.get('phone_number')!r})")


class SipTrunkConnectionProvider(MihuResourceProvider):
    """CRUD of a SIP trunk connection against the Mihu API. Each engine call is noted in
    the deployment ledger as it arrives (check, diff, create, delete: the only places that
    feed it), and create and delete ask it what the engine is doing (``_ledger``)."""

    schema = SCHEMA
    unique_inputs: ClassVar[Mapping[str, str]] = {
        "adopt_uuid": "two resources cannot adopt one connection"}

    def _reset(self) -> None:
        super()._reset()
        self._ledger = DeploymentLedger(MANAGED_INPUTS, adopt_key="adopt_uuid")
        self._creates = CreateProtocol(CREATES, self._ledger)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The base check, noted: an existing resource is always checked, even when the
        engine skips its Diff (``pulumi up --replace``)."""
        self._ledger.note_check(olds, news)
        return super().check(olds, news)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The base diff, noted: it is how create and delete later know which resources
        exist and why one is deleted. An adopt_uuid newly set on a resource that exists
        already is ignored (it is read only at create): say so, since a user may hope it
        adopts a duplicate made by a plain `pulumi up`."""
        self._ledger.note_diff(id_, olds, news)
        adopt = news.get("adopt_uuid")
        if (isinstance(adopt, str) and not is_unknown(adopt) and adopt != id_
                and adopt != olds.get("adopt_uuid")):
            warn(f"adopt_uuid {adopt} is ignored: the resource already manages SIP trunk "
                 f"connection {id_}, and adopt_uuid is read only when a resource is created. "
                 "To manage the other connection instead, remove this resource from the stack "
                 "(`pulumi state delete <urn>`, which deletes nothing), then `pulumi up`.")
        return super().diff(id_, olds, news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the connection adopt_uuid names, or one POST made safe against every fault
        of the create protocol (:mod:`pulumi_mihu._create_protocol`)."""
        model = self.model_of(props, SCHEMA.model)
        self._ledger.note_create(props)
        if model.adopt_uuid and self._ledger.create_kind(props) is CreateKind.ADOPT:
            return self._outputs(model, self._adopt(model, model.adopt_uuid))
        data = self._creates.create(self.client, CreateRequest(
            payload=model.payload(), secrets=[model.username, model.password],
            describe=f"SIP trunk connection {model.name!r} for phone number "
                     f"{model.phone_number!r}",
            read_answer=lambda body: _connection_data(body, model),
        ), warn)
        return self._outputs(model, data)

    @staticmethod
    def _outputs(model: SipTrunkConnectionInputs, data: dict[str, Any]) -> CreateResult:
        outs: dict[str, Any] = dict(model.payload())
        outs["secondary_gateway"] = model.secondary_gateway
        if model.adopt_uuid:
            outs["adopt_uuid"] = model.adopt_uuid
        outs.update(SCHEMA.computed(data))
        return CreateResult(data["uuid"], outs)

    def _adopt(self, model: SipTrunkConnectionInputs, uuid: str) -> dict[str, Any]:
        """Manage an existing connection: no POST, no DELETE. Verified as far as the API
        allows: it must exist and have the program's name, number and gateways (read by
        the item route, or found in the list); where neither route answers, it is adopted
        with a warning that nothing could be checked. Credentials are never returned by
        the API, so the program's are recorded as the connection's, unverified."""
        if not self._ledger.try_claim(uuid):
            raise MihuError(f"SIP trunk connection {uuid} is already managed by another "
                            "resource of this stack; two resources cannot adopt one connection")
        found = self._find_existing(uuid)
        if found is None:
            warn(f"SIP trunk connection {uuid} is adopted UNVERIFIED: the Mihu API documents "
                 "no way to read a connection and this one answers neither the item route nor "
                 "with a list it can read whole, so neither its existence nor its name "
                 f"{model.name!r}, phone number {model.phone_number!r} and gateways could be "
                 "checked. Check them in the Mihu console.")
            return {"uuid": uuid}
        differences = [
            f"{key} is {found.get(key)!r} in the account but {getattr(model, key)!r} in the "
            "program"
            for key, ours, theirs in zip(NATURAL_KEY, natural_key(model.payload()),
                                         natural_key(found), strict=True) if ours != theirs]
        if differences:
            self._ledger.note_unclaimed(uuid)
            raise MihuError(f"Not adopting SIP trunk connection {uuid}: "
                            + "; ".join(differences) + ". Make the program match the "
                            "connection (adoption never changes it), then run `pulumi up`.")
        warn(f"SIP trunk connection {uuid} ({model.phone_number!r}) is adopted: the stack now "
             "manages it. Its username and password are recorded as the program's; the API "
             "never returns them, so they could not be checked.")
        return found

    def _find_existing(self, uuid: str) -> dict[str, Any] | None:
        """The connection as the API shows it; None when the API cannot show it. Raises when
        the API proves it does not exist."""
        try:
            body = self.client.get(f"{COLLECTION}/{uuid}")
        except (MihuNotFoundError, MihuMethodNotAllowedError):
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict):
            return data
        try:
            items = list_all(self.client, COLLECTION)
        except (MihuApiError, MihuListIncompleteError):
            return None
        for item in items:
            if isinstance(item, dict) and item.get("uuid") == uuid:
                return item
        self._ledger.note_unclaimed(uuid)
        raise MihuError(f"Cannot adopt SIP trunk connection {uuid}: the account's list of "
                        "connections does not have it. Check the uuid in the Mihu console.")

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
        outs = {**state, **SCHEMA.read_back(data), "uuid": id_}
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """2xx deletes. Transient errors were retried by the client; if they persist the
        error propagates and the resource stays in state.

        When the API cannot delete (405/501, or a 404 that does not prove the connection is
        gone), what to do depends on why Pulumi deletes: in a destroy (or the second half of
        a create-before-delete replacement) warn that it is left in the account and go on,
        since blocking would strand the stack on an endpoint that may not exist; as the
        first half of a ``delete_before_replace``, fail before the replacement is created,
        since going on would leave two connections with the same number, which is what
        that option is for avoiding."""
        self._ledger.note_delete(id_, props)
        kind = self._ledger.delete_kind(id_, props)
        if kind is DeleteKind.KEPT:
            warn(f"{_describe(props, id_)} is not deleted: another resource of this stack "
                 "has it (adopted it, or shares its id) and keeps managing it.")
            return
        # The first half of a delete-before-replace may wait for the list to prove a 404:
        # giving up would stop the replacement with the old connection perhaps gone.
        patience = (self.client.settings.create_settle_time
                    if kind is DeleteKind.REPLACED_FIRST else 0)
        try:
            self.client.delete(f"{COLLECTION}/{id_}", secrets=self.secrets_of(props))
        except MihuNotFoundError as exc:
            if is_definitively_gone(self.client, COLLECTION, id_, patience=patience):
                return
            self._not_deleted(kind, id_, props, f"answered DELETE with HTTP {exc.status} (no "
                              "such connection, or no such route; the API documents no delete)")
        except MihuMethodNotAllowedError as exc:
            self._not_deleted(kind, id_, props, f"does not offer DELETE for SIP trunk "
                              f"connections (HTTP {exc.status})")

    def _not_deleted(self, kind: DeleteKind, id_: str, props: dict[str, Any],
                     why: str) -> None:
        """Where the API cannot delete, the delete policy: refuse only the first half of a
        delete-before-replace (going on would make two connections for one number); warn
        and go on otherwise, so that a stack can always be destroyed."""
        what = _describe(props, id_)
        if kind is DeleteKind.REPLACED_FIRST:
            raise MihuError(
                f"Cannot replace {what} with delete_before_replace: the Mihu API {why}, so "
                "the old connection could not be deleted first, and creating the new one "
                "next to it would leave two connections for the same phone number. Nothing "
                "was created. (After a 404 the old connection may already be gone: check.) "
                "Delete the old connection in the Mihu console, remove it from "
                "the stack with `pulumi state delete <urn>` (the urn is shown by `pulumi "
                "stack --show-urns`), then run `pulumi up` again."
            )
        warn(f"{what} was NOT deleted from the Mihu account: the API {why}. It is removed "
             "from the stack; delete it in the Mihu console.")


def _connection_data(body: Any, model: SipTrunkConnectionInputs) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("uuid"), str) or not data["uuid"]:
        raise MihuCreateOutcomeUnknownError(
            f"The Mihu API accepted the SIP trunk connection {model.name!r} for phone number "
            f"{model.phone_number!r} but its answer has no data.uuid, so Pulumi cannot track it. "
        )
    return data


# ---------------------------------------------------------------------------------------
# Resource
# ---------------------------------------------------------------------------------------


# --- generated from the schema: do not edit (scripts/gen.py args) ---
if TYPE_CHECKING:
    from ._model import InputsModel

    class SipTrunkConnectionInputs(InputsModel):
        """The validated inputs: the pydantic model built from SCHEMA."""

        name: str
        phone_number: str
        gateway: str
        username: str
        password: str
        secondary_gateway: str | None
        adopt_uuid: str | None
else:
    def __getattr__(name: str) -> Any:
        """SipTrunkConnectionInputs: the pydantic model of SCHEMA, built on first use."""
        if name == "SipTrunkConnectionInputs":
            return SCHEMA.model
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class SipTrunkConnectionArgs:
    """The inputs of a SipTrunkConnection, as in Pulumi's generated SDKs.

    :param name: The label shown in Mihu; defaults to the resource name. 1-255 characters.
    :param phone_number: The number the trunk routes calls to, sent exactly as given. 1-32
           characters.
    :param gateway: The SIP server's host name or IP address, e.g. sip.telnyx.com: no
           scheme, port, path, spaces or phone number. 1-255 characters.
    :param username: The SIP auth username; always secret. 1-255 characters.
    :param password: The SIP auth password; always secret. 1-255 characters.
    :param secondary_gateway: A fallback SIP server, in the format of gateway; blank means
           none. At most 255 characters.
    :param adopt_uuid: The uuid of an existing connection to manage instead of creating one
           (no POST); read only when the resource is created (see "Import an existing
           connection" in the README).
    """

    phone_number: pulumi.Input[str]
    gateway: pulumi.Input[str]
    username: pulumi.Input[str]
    password: pulumi.Input[str]
    name: pulumi.Input[str] | None = None
    secondary_gateway: pulumi.Input[str] | None = None
    adopt_uuid: pulumi.Input[str] | None = None
# --- end of generated code ---


class SipTrunkConnection(MihuDynamicResource, module="mihu", name="SipTrunkConnection"):
    """A SIP trunk connection in a Mihu account.

    Every input change replaces the connection (the API has no update). ``username`` and
    ``password`` are always secret, in state and in outputs.
    """

    # --- generated from the schema: do not edit (scripts/gen.py constructor) ---
    _mihu_schema = SCHEMA
    _mihu_args = SipTrunkConnectionArgs
    _mihu_provider = SipTrunkConnectionProvider

    if TYPE_CHECKING:
        # Typed for IDEs and mypy, but kept out of the runtime __annotations__: the
        # SDK resolves a resource class's annotations with typing.get_type_hints on
        # every registration (~1 ms each).
        uuid: pulumi.Output[str]
        """The connection's uuid, also its Pulumi id."""
        status: pulumi.Output[str]
        """The API's status string (its values are not documented)."""
        created_at: pulumi.Output[str]
        """When the connection was created, as the API reports it."""
        updated_at: pulumi.Output[str]
        """When the connection was last changed, as the API reports it."""
        name: pulumi.Output[str]
        """The label shown in Mihu; defaults to the resource name."""
        phone_number: pulumi.Output[str]
        """The number the trunk routes calls to, sent exactly as given."""
        gateway: pulumi.Output[str]
        """The SIP server's host name or IP address, e.g. sip.telnyx.com: no scheme,
        port, path, spaces or phone number."""
        username: pulumi.Output[str]
        """The SIP auth username; always secret."""
        password: pulumi.Output[str]
        """The SIP auth password; always secret."""
        secondary_gateway: pulumi.Output[str | None]
        """A fallback SIP server, in the format of gateway; blank means none."""

    @overload
    def __init__(self, resource_name: str, args: SipTrunkConnectionArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """A SIP trunk connection in a Mihu account.

        The inputs given as one object.

        :param str resource_name: The name of the resource (unique in the stack).
        :param SipTrunkConnectionArgs args: The inputs: ``phone_number``, ``gateway``,
               ``username`` and ``password`` (required), ``name``, ``secondary_gateway``,
               ``adopt_uuid``.
        :param pulumi.ResourceOptions opts: Options for the resource.
        """

    @overload
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, *,
                 phone_number: pulumi.Input[str] | None = None,
                 gateway: pulumi.Input[str] | None = None,
                 username: pulumi.Input[str] | None = None,
                 password: pulumi.Input[str] | None = None,
                 name: pulumi.Input[str] | None = None,
                 secondary_gateway: pulumi.Input[str] | None = None,
                 adopt_uuid: pulumi.Input[str] | None = None) -> None:
        """A SIP trunk connection in a Mihu account.

        :param str resource_name: The name of the resource (unique in the stack).
        :param pulumi.ResourceOptions opts: Options for the resource.
        :param pulumi.Input[str] phone_number: The number the trunk routes calls to, sent
               exactly as given. 1-32 characters. A change replaces the resource.
        :param pulumi.Input[str] gateway: The SIP server's host name or IP address, e.g.
               sip.telnyx.com: no scheme, port, path, spaces or phone number. 1-255
               characters. A change replaces the resource.
        :param pulumi.Input[str] username: The SIP auth username; always secret. 1-255
               characters. A change replaces the resource.
        :param pulumi.Input[str] password: The SIP auth password; always secret. 1-255
               characters. A change replaces the resource.
        :param pulumi.Input[str] name: The label shown in Mihu; defaults to the resource
               name. 1-255 characters. A change replaces the resource.
        :param pulumi.Input[str] secondary_gateway: A fallback SIP server, in the format of
               gateway; blank means none. At most 255 characters. A change replaces the
               resource.
        :param pulumi.Input[str] adopt_uuid: The uuid of an existing connection to manage
               instead of creating one (no POST); read only when the resource is created
               (see "Import an existing connection" in the README).
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        self._register(resource_name, args, kwargs)
    # --- end of generated code ---

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str],
            opts: pulumi.ResourceOptions | None = None) -> SipTrunkConnection:
        """Read an existing connection by uuid into the program, without managing it.
        Works where the API answers ``GET .../connections/{uuid}``; fails clearly where not."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        return SipTrunkConnection(resource_name, opts)

