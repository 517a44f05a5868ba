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

import uuid as uuidlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import pulumi

from ._resource import MihuDynamicResource
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


# ---------------------------------------------------------------------------------------
# Resource
# ---------------------------------------------------------------------------------------


# --- generated from the schema: do not edit (scripts/gen.py args) ---
if TYPE_CHECKING:
    from ._agent_sip_trunk_assignment_provider import AgentSipTrunkAssignmentProvider
    from ._model import InputsModel

    class AgentSipTrunkAssignmentInputs(InputsModel):
        """The validated inputs: the pydantic model built from SCHEMA."""

        agent_uuid: str
        connection_uuid: str
        force: bool
else:
    def __getattr__(name: str) -> Any:
        """AgentSipTrunkAssignmentInputs, the pydantic model of SCHEMA, built on first use, and
        AgentSipTrunkAssignmentProvider, the class stacks name (its code is in
        pulumi_mihu._agent_sip_trunk_assignment_provider): loaded when first asked for."""
        if name == "AgentSipTrunkAssignmentInputs":
            return SCHEMA.model
        if name == "AgentSipTrunkAssignmentProvider":
            from ._agent_sip_trunk_assignment_provider import AgentSipTrunkAssignmentProvider

            return AgentSipTrunkAssignmentProvider
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
    _mihu_provider = "pulumi_mihu.agent_sip_trunk_assignment.AgentSipTrunkAssignmentProvider"

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
