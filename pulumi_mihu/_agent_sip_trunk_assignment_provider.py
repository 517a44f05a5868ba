"""The provider of ``AgentSipTrunkAssignment``: what runs in the provider host.

It is kept apart from the resource (:mod:`pulumi_mihu.agent_sip_trunk_assignment`) so that
a program, which only registers resources, never imports the validation and HTTP stacks
it needs. Stacks name the class by its public path,
``pulumi_mihu.agent_sip_trunk_assignment.AgentSipTrunkAssignmentProvider``, which that
module hands out on first use; the class says so in its ``__module__``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from pulumi.dynamic import CreateResult, ReadResult

from ._provider import MihuResourceProvider, warn
from .agent_sip_trunk_assignment import SCHEMA
from .errors import MihuApiError, MihuError

__all__ = ["AgentSipTrunkAssignmentProvider"]


def assign_path(agent_uuid: str) -> str:
    return f"/agents/{agent_uuid}/channels/call/sip-trunk"


def _is_phone_in_use(error: MihuApiError) -> bool:
    """The reference documents the check ``force`` skips but not its error; accept any
    409/422 whose code or message speaks of the phone number being in use."""
    text = " ".join(filter(None, (error.code, error.api_message, error.details))).lower()
    return error.status in (409, 422) and "phone" in text and ("use" in text or "taken" in text)


class AgentSipTrunkAssignmentProvider(MihuResourceProvider):
    """Assigns agents' call channels to SIP trunk connections."""

    schema = SCHEMA
    unique_inputs: ClassVar[Mapping[str, str]] = {
        "agent_uuid": "an agent has one call channel, so keep one assignment per agent"}
    """An agent has one call channel: a second assignment would leave it routed through
    whichever ran last, and removing either would leave state saying the agent uses a trunk
    it does not."""

    id_segments = 2
    instead_of_import = (
        "Declare it in the program instead and run `pulumi up`: its one assign call is an "
        "upsert, so for the agent and connection it already has it changes nothing "
        "(README: \"Import an existing connection\").")

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


AgentSipTrunkAssignmentProvider.__module__ = "pulumi_mihu.agent_sip_trunk_assignment"
