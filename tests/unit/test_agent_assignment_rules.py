"""AgentSipTrunkAssignment's rules, one by one: which API errors point the user to
``force=True``, and what diff, update, read and delete answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_mihu import AgentSipTrunkAssignmentProvider, MihuError
from pulumi_mihu._agent_sip_trunk_assignment_provider import _is_phone_in_use, assign_path
from pulumi_mihu.errors import MihuApiError, MihuConflictError, MihuValidationError
from pulumi_mihu.testing import Fault, MihuSimulator
from support import outs_of, provider_for, settings_for, trunk_inputs

AGENT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
TRUNK = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
OTHER_TRUNK = "9e8d7c6b-5a49-4838-a726-150413f2e1d0"


def api_error(status: int, message: str, code: str | None = None,
              details: str | None = None) -> MihuApiError:
    return MihuApiError(method="POST", path="/x", status=status, message=message, code=code,
                        details=details)


@pytest.mark.parametrize("status, message, code, details", [
    (409, "The phone number is already used by another agent", "PHONE_NUMBER_IN_USE", None),
    (422, "Validation failed", None, "This phone number is already in use"),
    (409, "Conflict", "PHONE_TAKEN", None),
    (422, "The phone number has already been taken.", None, None),
])
def test_phone_number_in_use_is_recognised(status: int, message: str, code: str | None,
                                           details: str | None) -> None:
    assert _is_phone_in_use(api_error(status, message, code, details))


@pytest.mark.parametrize("status, message, code, details", [
    (422, "The selected connection uuid is invalid.", "VALIDATION_ERROR", None),
    (409, "The agent is being updated, try again", "CONFLICT", None),
    (422, "The phone number format is invalid", None, None),
    (409, "Use another connection", None, None),
    (400, "The phone number is already in use", None, None),
    (404, "Phone number in use", None, None),
    (500, "phone number in use", None, None),
])
def test_other_errors_are_not_taken_for_a_phone_number_in_use(
        status: int, message: str, code: str | None, details: str | None) -> None:
    assert not _is_phone_in_use(api_error(status, message, code, details))


def provider_for_agents(server: MihuSimulator) -> AgentSipTrunkAssignmentProvider:
    provider = AgentSipTrunkAssignmentProvider()
    provider.configure_with(settings_for(server))
    return provider


def test_an_unrelated_validation_error_does_not_suggest_force(sim: MihuSimulator) -> None:
    agent = sim.add_agent()
    trunk = provider_for(sim).create(trunk_inputs()).id
    body = json.dumps({"success": False, "message": "Validation failed",
                       "error": {"code": "VALIDATION_ERROR", "field": "connection_uuid",
                                 "details": "The connection is disabled"}})
    sim.inject(Fault(status=422, method="POST", path_prefix="/api/v1"
                     + assign_path(agent), body=body))
    with pytest.raises(MihuValidationError) as info:
        provider_for_agents(sim).create({"agent_uuid": agent, "connection_uuid": trunk})
    assert "force" not in str(info.value)
    assert "The connection is disabled" in str(info.value)


def test_a_phone_conflict_says_which_agent_and_connection(sim: MihuSimulator) -> None:
    first, second = sim.add_agent(), sim.add_agent()
    trunk = provider_for(sim).create(trunk_inputs()).id
    provider = provider_for_agents(sim)
    provider.create({"agent_uuid": first, "connection_uuid": trunk})
    with pytest.raises(MihuError) as info:
        provider.create({"agent_uuid": second, "connection_uuid": trunk})
    assert not isinstance(info.value, MihuConflictError), "replaced by the pointer to force"
    assert str(info.value).startswith(
        f"Agent {second} cannot use SIP trunk connection {trunk}: its phone number is "
        "already used by another agent (Mihu API POST")
    assert "Set force=True" in str(info.value)


def test_create_sends_force_and_answers_without_data(sim: MihuSimulator) -> None:
    agent = sim.add_agent()
    trunk = provider_for(sim).create(trunk_inputs()).id
    sim.inject(Fault(status=200, method="POST", path_prefix="/api/v1" + assign_path(agent),
                     body=json.dumps({"success": True})))
    result = provider_for_agents(sim).create({"agent_uuid": agent, "connection_uuid": trunk,
                                              "force": True})
    assert sim.requests[-1].body == {"connection_uuid": trunk, "force": True}
    assert result.outs == {"agent_uuid": agent, "connection_uuid": trunk, "force": True,
                           "phone_number": None}


# -- diff and update -------------------------------------------------------------------------


OLDS = {"agent_uuid": AGENT, "connection_uuid": TRUNK, "force": False,
        "phone_number": "+15551230000"}


def test_diff_of_identical_inputs_is_no_change() -> None:
    diff = AgentSipTrunkAssignmentProvider().diff("id", OLDS, dict(OLDS))
    assert (diff.changes, diff.replaces) == (False, [])
    assert diff.delete_before_replace is False


def test_diff_treats_missing_force_as_false() -> None:
    news = {k: v for k, v in OLDS.items() if k != "force"}
    assert AgentSipTrunkAssignmentProvider().diff("id", OLDS, news).changes is False


def test_diff_of_force_only_is_an_update() -> None:
    diff = AgentSipTrunkAssignmentProvider().diff("id", OLDS, {**OLDS, "force": True})
    assert (diff.changes, diff.replaces) == (True, [])


def test_diff_of_an_unknown_force_is_an_update() -> None:
    from pulumi.output import Unknown

    diff = AgentSipTrunkAssignmentProvider().diff("id", OLDS, {**OLDS, "force": Unknown()})
    assert (diff.changes, diff.replaces) == (True, [])


@pytest.mark.parametrize("key", ["agent_uuid", "connection_uuid"])
def test_diff_of_agent_or_connection_replaces(key: str) -> None:
    from pulumi.output import Unknown

    provider = AgentSipTrunkAssignmentProvider()
    diff = provider.diff("id", OLDS, {**OLDS, key: OTHER_TRUNK})
    assert (diff.changes, diff.replaces) == (True, [key])
    unknown = provider.diff("id", OLDS, {**OLDS, key: Unknown()})
    assert (unknown.changes, unknown.replaces) == (True, [key])


def test_update_changes_force_and_keeps_the_rest() -> None:
    olds = {**OLDS, "__provider": "x"}
    # (news come from check, which admits only a real bool)
    result = AgentSipTrunkAssignmentProvider().update("id", olds, {**OLDS, "force": True})
    assert result.outs == {**OLDS, "force": True}


@pytest.mark.parametrize("key", ["agent_uuid", "connection_uuid"])
def test_update_refuses_a_change_that_needs_a_replacement(key: str) -> None:
    with pytest.raises(MihuError, match=rf"cannot be updated in place \(changed: {key}\)"):
        AgentSipTrunkAssignmentProvider().update("id", OLDS, {**OLDS, key: OTHER_TRUNK})


# -- read and delete ---------------------------------------------------------------------


def test_read_keeps_the_state_as_it_is() -> None:
    result = AgentSipTrunkAssignmentProvider().read("id-1", {**OLDS, "__provider": "x"})
    assert (result.id, result.outs) == ("id-1", OLDS)


def test_get_is_refused() -> None:
    with pytest.raises(MihuError, match="documents no way to read"):
        AgentSipTrunkAssignmentProvider().read(f"{AGENT}/{TRUNK}", {})


def test_delete_of_the_current_assignment_warns(capsys: pytest.CaptureFixture[str]) -> None:
    AgentSipTrunkAssignmentProvider().delete("id", OLDS)
    err = capsys.readouterr().err
    assert err.startswith(f"warning: Agent {AGENT} keeps routing its calls through SIP trunk "
                          f"connection {TRUNK} (phone number '+15551230000')")


def test_delete_of_the_assignment_made_in_this_deployment_warns(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    agent = sim.add_agent()
    trunk = provider_for(sim).create(trunk_inputs()).id
    provider = provider_for_agents(sim)
    outs = outs_of(provider.create({"agent_uuid": agent, "connection_uuid": trunk}))
    capsys.readouterr()
    provider.delete("id", outs)
    assert "keeps routing its calls" in capsys.readouterr().err


def test_diff_of_force_going_back_to_false_is_an_update() -> None:
    diff = AgentSipTrunkAssignmentProvider().diff("id", {**OLDS, "force": True}, OLDS)
    assert (diff.changes, diff.replaces) == (True, [])


def test_validated_inputs_cannot_be_changed() -> None:
    from pydantic import ValidationError

    from pulumi_mihu.agent_sip_trunk_assignment import AgentSipTrunkAssignmentInputs

    model = AgentSipTrunkAssignmentInputs.model_validate({"agent_uuid": AGENT,
                                                          "connection_uuid": TRUNK})
    with pytest.raises(ValidationError, match="frozen"):
        model.force = True


CRASHING_CALLS: list[tuple[str, tuple[object, ...]]] = [
    ("diff", ("id", None, {})), ("create", (None,)), ("update", ("id", None, {})),
    ("read", ("id", None)), ("delete", ("id", None))]


@pytest.mark.parametrize("provider_class, method, args", [
    *(("AgentSipTrunkAssignmentProvider", *call) for call in CRASHING_CALLS),
    # The trunk's delete with no props sends the DELETE; its failures are tested in
    # test_sip_trunk_connection_provider.
    *(("SipTrunkConnectionProvider", *call) for call in CRASHING_CALLS[:-1]),
])
def test_every_provider_method_turns_a_crash_into_a_safe_error(
        provider_class: str, method: str, args: tuple[object, ...]) -> None:
    """A bug (here: props of the wrong type) surfaces as a MihuError without its chain."""
    import pulumi_mihu

    provider = getattr(pulumi_mihu, provider_class)()
    with pytest.raises(MihuError, match=f"^{provider_class}.{method} failed unexpectedly "
                                        "with ") as info:
        getattr(provider, method)(*args)
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("force, registered", [(None, False), (False, False), (True, True)])
def test_the_resource_registers_force_as_given_or_false(force: bool | None,
                                                        registered: bool) -> None:
    import pulumi

    from pulumi_mihu import AgentSipTrunkAssignment

    seen: list[dict[str, Any]] = []

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs
                         ) -> tuple[str, dict[str, Any]]:
            seen.append(dict(args.inputs))
            return "id-1", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
            return {}, None

    pulumi.runtime.set_mocks(Mocks(), project="p", stack="s", preview=False)
    resource = AgentSipTrunkAssignment("a", agent_uuid=AGENT, connection_uuid=TRUNK, force=force)
    from pulumi.runtime.sync_await import _sync_await

    assert _sync_await(resource.force.future()) is registered
    assert seen[0]["force"] is registered


@pytest.mark.parametrize("old, new", [(TRUNK, OTHER_TRUNK), (OTHER_TRUNK, TRUNK)])
def test_update_refuses_a_new_connection_whichever_way_it_sorts(old: str, new: str) -> None:
    with pytest.raises(MihuError, match=r"cannot be updated in place \(changed: connection_uuid\)"):
        AgentSipTrunkAssignmentProvider().update(
            "id", {**OLDS, "connection_uuid": old}, {**OLDS, "connection_uuid": new})


@pytest.mark.parametrize("missing", ["agent_uuid", "connection_uuid"])
def test_both_uuids_are_required_in_the_program(missing: str) -> None:
    """Refused where the program calls the constructor, before anything registers."""
    from pulumi_mihu import AgentSipTrunkAssignment

    inputs: dict[str, Any] = {"agent_uuid": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                              "connection_uuid": "7d2e4f60-1a2b-4c3d-9e8f-0a1b2c3d4e5f"}
    del inputs[missing]
    with pytest.raises(TypeError, match=f"^Missing required property '{missing}' of "
                                        "AgentSipTrunkAssignment 'calls'$"):
        AgentSipTrunkAssignment("calls", **inputs)
