"""``AgentSipTrunkAssignment``: route an agent's calls through a SIP trunk connection.

Documented: ``POST /api/v1/agents/{uuid}/channels/call/sip-trunk`` with
``{connection_uuid, force}``, answering ``{agent_uuid, connection_uuid, phone_number}``.
It sets the agent's call channel whatever it was before, so it is an upsert: sending it
twice leaves the same state, which makes it safe to retry. Not documented: any way to read
or remove an assignment.

Choices:

- A new ``agent_uuid`` or ``connection_uuid`` replaces the resource (the id is
  ``{agent_uuid}/{connection_uuid}``, as the issue asks, and ids never change in place).
  Pulumi creates the new assignment first, which re-points the agent in one call; the
  "delete" of the old one that follows knows (from this provider process) that the agent
  was re-assigned, and does nothing. That is how an assignment follows a replaced trunk.
- ``force`` only matters at the moment of assigning (it skips the API's check of a phone
  number used by another agent), so changing it updates state without calling the API.
- Delete cannot unassign (no endpoint): it warns that the agent keeps its call routing
  until it is assigned another trunk, and succeeds, so a destroy is never stranded.
- Refresh keeps state as it is (no read endpoint); ``get`` is refused.
"""

from __future__ import annotations

import threading
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, overload

import pulumi
from pulumi.dynamic import CreateResult, ReadResult

from ._provider import (
    MihuResourceProvider,
    warn,
)
from ._resource import MihuDynamicResource
from .errors import MihuApiError, MihuError
from .schema import Input, Output, Schema

__all__ = [
    "AgentSipTrunkAssignment",
    "AgentSipTrunkAssignmentArgs",
    "AgentSipTrunkAssignmentInputs",
    "AgentSipTrunkAssignmentProvider",
]

# ---------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------


def _uuid(value: str) -> str:
    """A UUID: checked before any request, so that a typo fails `pulumi preview`."""
    try:
        uuidlib.UUID(value)
    except ValueError:
        raise ValueError("must be a UUID, such as 3c90c3cc-0d44-4b50-8888-8dd25736052a") from None
    return value


SCHEMA: Schema[AgentSipTrunkAssignmentInputs] = Schema(
    "AgentSipTrunkAssignment",
    "The documented body (plus the agent, which goes in the path); ``force`` defaults to "
    "false.",
    inputs={
        "agent_uuid": Input("The agent whose calls are routed (a UUID).", required=True,
                            checks=(_uuid,), sent=False),
        "connection_uuid": Input(
            "The SIP trunk connection, typically trunk.uuid; the agent follows a replaced "
            "trunk.", required=True, checks=(_uuid,)),
        "force": Input(
            "Share a phone number already used by another agent (default false); it matters "
            "only at the moment of assigning.", type=bool,
            default=False, replaces=False),
    },
    outputs={
        "phone_number": Output("The phone number of the connection, as the API reported it "
                               "when assigning."),
    },
)


def assign_path(agent_uuid: str) -> str:
    return f"/agents/{agent_uuid}/channels/call/sip-trunk"


def _is_phone_in_use(error: MihuApiError) -> bool:
    """The reference documents the check ``force`` skips but not its error; accept any
    409/422 whose code or message speaks of the phone number being in use."""
    text = " ".join(filter(None, (error.code, error.api_message, error.details))).lower()
    return error.status in (409, 422) and "phone" in text and ("use" in text or "taken" in text)


# ---------------------------------------------------------------------------------------
# Provider
# ---------------------------------------------------------------------------------------


class AgentSipTrunkAssignmentProvider(MihuResourceProvider):
    """Assigns agents' call channels to SIP trunk connections."""

    schema = SCHEMA
    unique_inputs: ClassVar[Mapping[str, str]] = {
        "agent_uuid": "an agent has one call channel, so keep one assignment per agent"}
    """An agent has one call channel: a second assignment would leave it routed through
    whichever ran last, and removing either would leave state saying the agent uses a trunk
    it does not."""

    def _reset(self) -> None:
        super()._reset()
        #: agent -> connection assigned by this provider process (one per deployment).
        self._assigned: dict[str, str] = {}
        self._assigned_lock = threading.Lock()

    def create(self, props: dict[str, Any]) -> CreateResult:
        model = self.model_of(props, SCHEMA.model)
        try:
            answer = self.client.post(assign_path(model.agent_uuid), SCHEMA.body(model),
                                      idempotent=True)
        except MihuApiError as exc:
            if _is_phone_in_use(exc):
                raise MihuError(
                    f"Agent {model.agent_uuid} cannot use SIP trunk connection "
                    f"{model.connection_uuid}: its phone number is already used by another "
                    f"agent ({exc}). Set force=True to share the number (outbound calls work "
                    "for both; inbound calls go to the agent assigned last)."
                ) from None
            raise
        data = answer.get("data") if isinstance(answer, dict) else None
        data = data if isinstance(data, dict) else {}
        with self._assigned_lock:
            self._assigned[model.agent_uuid] = model.connection_uuid
        outs = {**model.model_dump(), **SCHEMA.computed(data)}
        return CreateResult(f"{model.agent_uuid}/{model.connection_uuid}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if "agent_uuid" not in props:
            raise MihuError(f"Cannot read assignment {id_}: the Mihu API documents no way to "
                            "read an agent's SIP trunk assignment")
        return ReadResult(id_, {k: v for k, v in props.items() if not k.startswith("__")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        agent, connection = props.get("agent_uuid"), props.get("connection_uuid")
        with self._assigned_lock:
            current = self._assigned.get(str(agent))
        if current is not None and current != connection:
            return  # re-assigned in this deployment: nothing is left to undo
        warn(f"Agent {agent} keeps routing its calls through SIP trunk connection {connection} "
             f"(phone number {props.get('phone_number')!r}) until it is assigned another "
             "one: the Mihu API documents no way to unassign. The assignment is removed from "
             "the stack. If that connection is being deleted too, assign the agent another "
             "trunk in the Mihu console, or its calls have no working route.")


# ---------------------------------------------------------------------------------------
# Resource
# ---------------------------------------------------------------------------------------


# --- generated from the schema: do not edit (scripts/gen.py args) ---
if TYPE_CHECKING:
    from ._model import InputsModel

    class AgentSipTrunkAssignmentInputs(InputsModel):
        """The validated inputs: the pydantic model built from SCHEMA."""

        agent_uuid: str
        connection_uuid: str
        force: bool
else:
    def __getattr__(name: str) -> Any:
        """AgentSipTrunkAssignmentInputs: the pydantic model of SCHEMA, built on first use."""
        if name == "AgentSipTrunkAssignmentInputs":
            return SCHEMA.model
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class AgentSipTrunkAssignmentArgs:
    """The inputs of an AgentSipTrunkAssignment, as in Pulumi's generated SDKs.

    :param agent_uuid: The agent whose calls are routed (a UUID).
    :param connection_uuid: The SIP trunk connection, typically trunk.uuid; the agent
           follows a replaced trunk.
    :param force: Share a phone number already used by another agent (default false); it
           matters only at the moment of assigning.
    """

    agent_uuid: pulumi.Input[str]
    connection_uuid: pulumi.Input[str]
    force: pulumi.Input[bool] | None = None
# --- end of generated code ---


class AgentSipTrunkAssignment(MihuDynamicResource, module="mihu",
                              name="AgentSipTrunkAssignment"):
    """An agent's call channel routed through a SIP trunk connection.

    Typically ``connection_uuid=trunk.uuid``: when the trunk is replaced, the assignment
    is replaced too and the agent follows to the new connection.
    """

    # --- generated from the schema: do not edit (scripts/gen.py constructor) ---
    _mihu_schema = SCHEMA
    _mihu_args = AgentSipTrunkAssignmentArgs
    _mihu_provider = AgentSipTrunkAssignmentProvider

    if TYPE_CHECKING:
        # Typed for IDEs and mypy, but kept out of the runtime __annotations__: the
        # SDK resolves a resource class's annotations with typing.get_type_hints on
        # every registration (~1 ms each).
        phone_number: pulumi.Output[str]
        """The phone number of the connection, as the API reported it when assigning."""
        agent_uuid: pulumi.Output[str]
        """The agent whose calls are routed (a UUID)."""
        connection_uuid: pulumi.Output[str]
        """The SIP trunk connection, typically trunk.uuid; the agent follows a replaced
        trunk."""
        force: pulumi.Output[bool]
        """Share a phone number already used by another agent (default false); it matters
        only at the moment of assigning."""

    @overload
    def __init__(self, resource_name: str, args: AgentSipTrunkAssignmentArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """An agent's call channel routed through a SIP trunk connection.

        The inputs given as one object.

        :param str resource_name: The name of the resource (unique in the stack).
        :param AgentSipTrunkAssignmentArgs args: The inputs: ``agent_uuid`` and
               ``connection_uuid`` (required), ``force``.
        :param pulumi.ResourceOptions opts: Options for the resource.
        """

    @overload
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, *,
                 agent_uuid: pulumi.Input[str] | None = None,
                 connection_uuid: pulumi.Input[str] | None = None,
                 force: pulumi.Input[bool] | None = None) -> None:
        """An agent's call channel routed through a SIP trunk connection.

        :param str resource_name: The name of the resource (unique in the stack).
        :param pulumi.ResourceOptions opts: Options for the resource.
        :param pulumi.Input[str] agent_uuid: The agent whose calls are routed (a UUID). A
               change replaces the resource.
        :param pulumi.Input[str] connection_uuid: The SIP trunk connection, typically
               trunk.uuid; the agent follows a replaced trunk. A change replaces the
               resource.
        :param pulumi.Input[bool] force: Share a phone number already used by another agent
               (default false); it matters only at the moment of assigning. A change updates
               it in place.
        """

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        self._register(resource_name, args, kwargs)
    # --- end of generated code ---
