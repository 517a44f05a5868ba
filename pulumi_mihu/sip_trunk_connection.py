"""``SipTrunkConnection``: a Mihu SIP trunk connection, as a Pulumi dynamic resource.

The schema and the resource class live here; the provider's code (CRUD, the create
protocol) in :mod:`pulumi_mihu._sip_trunk_connection_provider`, so that a program never
imports what only the provider host needs. This module hands the provider class out
under the path stacks keep, ``pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider``.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import pulumi

from ._resource import MihuDynamicResource
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
        "uuid": Output("The connection's uuid, also its Pulumi id.", always=True),
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
# Resource
# ---------------------------------------------------------------------------------------


# --- generated from the schema: do not edit (scripts/gen.py args) ---
if TYPE_CHECKING:
    from ._model import InputsModel
    from ._sip_trunk_connection_provider import SipTrunkConnectionProvider

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
        """SipTrunkConnectionInputs, the pydantic model of SCHEMA, built on first use, and
        SipTrunkConnectionProvider, the class stacks name (its code is in
        pulumi_mihu._sip_trunk_connection_provider): loaded when first asked for."""
        if name == "SipTrunkConnectionInputs":
            return SCHEMA.model
        if name == "SipTrunkConnectionProvider":
            from ._sip_trunk_connection_provider import SipTrunkConnectionProvider

            return SipTrunkConnectionProvider
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
    _mihu_provider = "pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider"

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

