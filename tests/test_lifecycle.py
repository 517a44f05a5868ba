"""The whole lifecycle the way Pulumi runs it: programs through the engine-protocol
harness, the real provider host over gRPC, HTTP to the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_mihu import SipTrunkConnection
from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator
from pulumi_mihu.testing.harness import DeploymentError, StackHarness
from support import SIP_PASSWORD, SIP_USERNAME

TRUNK = "pulumi-python:dynamic/mihu:SipTrunkConnection"


class Program:
    """A one-trunk program whose inputs and options tests can change between runs."""

    def __init__(self, **inputs: Any) -> None:
        self.inputs: dict[str, Any] = {
            "phone_number": "+15551230000", "gateway": "sip.telnyx.com",
            "secondary_gateway": "sip2.telnyx.com",
            "username": SIP_USERNAME, "password": SIP_PASSWORD, **inputs}
        self.options: dict[str, Any] = {}
        self.enabled = True

    def __call__(self) -> None:
        if not self.enabled:
            return
        trunk = SipTrunkConnection("main", pulumi.ResourceOptions(**self.options), **self.inputs)
        pulumi.export("uuid", trunk.uuid)
        pulumi.export("status", trunk.status)
        pulumi.export("password", trunk.password)


@pytest.fixture
def program() -> Program:
    return Program()


@pytest.fixture
def stack(program: Program, sim: MihuSimulator,
          make_stack: Callable[..., StackHarness]) -> StackHarness:
    return make_stack(program, sim)


def test_preview_of_a_new_stack_plans_a_create_and_sends_nothing(
        stack: StackHarness, sim: MihuSimulator) -> None:
    result = stack.preview()
    assert result.changes() == {"create": 1}
    assert sim.requests == []
    assert stack.state == []


def test_up_creates_then_up_and_preview_again_change_nothing(
        stack: StackHarness, sim: MihuSimulator) -> None:
    first = stack.up()
    assert first.changes() == {"create": 1}
    uuid = first.output("uuid")
    assert uuid in sim.connections and first.output("status") == "active"
    assert len(sim.writes()) == 1
    second = stack.up()
    assert second.changes() == {} and second.counts() == {"same": 1}
    assert stack.preview().changes() == {}
    assert len(sim.writes()) == 1, "no write request after the first up"
    assert second.output("uuid") == uuid


def test_outputs_and_state_keep_credentials_secret(stack: StackHarness) -> None:
    result = stack.up()
    assert result.is_secret_output("password") and not result.is_secret_output("uuid")
    [trunk] = stack.resources_of_type("SipTrunkConnection")
    from pulumi.runtime import rpc
    for key in ("username", "password"):
        assert rpc.is_rpc_secret(trunk.outputs[key]) and rpc.is_rpc_secret(trunk.inputs[key])
    text = stack.secret_free_state_text()
    for secret in (SIP_USERNAME, SIP_PASSWORD, DEFAULT_TOKEN):
        assert secret not in text


def test_preview_with_an_input_unknown_until_another_resource_exists(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    def two_trunks() -> None:
        first = SipTrunkConnection("first", phone_number="+15551230000",
                                   gateway="sip.telnyx.com", username="u", password="p")
        SipTrunkConnection("second", name=first.uuid.apply(lambda u: f"backup-of-{u}"),
                           phone_number="+15551230001", gateway="sip.telnyx.com",
                           username="u", password="p")

    stack = make_stack(two_trunks, sim)
    assert stack.preview().changes() == {"create": 2}
    assert sim.requests == []
    stack.up()
    names = sorted(c["name"] for c in sim.connections.values())
    assert names[0].startswith("backup-of-") and names[1] == "first"


@pytest.mark.parametrize("field, value", [
    ("name", "renamed"), ("phone_number", "+15559999999"), ("gateway", "sip.zadarma.com"),
    ("secondary_gateway", ""), ("username", "another-user"), ("password", "another-password"),
])
def test_each_input_change_plans_and_performs_a_replacement(
        stack: StackHarness, program: Program, sim: MihuSimulator, field: str,
        value: str) -> None:
    old_uuid = stack.up().output("uuid")
    program.inputs[field] = value
    plan = stack.preview()
    assert plan.change_summary() == {"replace": 1}
    assert plan.steps[0].detail == field
    result = stack.up()
    assert result.changes() == {"replace": 1, "create-replacement": 1, "delete-replaced": 1}
    new_uuid = result.output("uuid")
    assert new_uuid != old_uuid and list(sim.connections) == [new_uuid]
    ops = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sim.writes()]
    assert ops[-2:] == [("POST", "connections"), ("DELETE", old_uuid)], "create, then delete"


def test_replacement_where_the_api_cannot_delete_reports_the_old_one_left_behind(
        bare_sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    program = Program()
    stack = make_stack(program, bare_sim)
    old_uuid = stack.up().output("uuid")
    program.inputs["password"] = "rotated-password"
    result = stack.up()
    assert result.output("uuid") != old_uuid
    assert any("NOT deleted" in w and old_uuid in w for w in result.warnings)
    assert len(bare_sim.connections) == 2


def test_delete_before_replace_deletes_first(stack: StackHarness, program: Program,
                                             sim: MihuSimulator) -> None:
    old_uuid = stack.up().output("uuid")
    program.options = {"delete_before_replace": True}
    program.inputs["name"] = "renamed"
    stack.up()
    ops = [r.method for r in sim.writes()]
    assert ops == ["POST", "DELETE", "POST"]
    assert sim.writes()[1].path.endswith(old_uuid)


def test_retain_on_delete_keeps_the_connection_in_the_account(
        stack: StackHarness, program: Program, sim: MihuSimulator) -> None:
    program.options = {"retain_on_delete": True}
    uuid = stack.up().output("uuid")
    program.enabled = False
    result = stack.up()
    assert result.changes() == {"delete": 1}  # the engine's op; no Delete call
    assert result.steps[0].detail == "retain_on_delete"
    assert uuid in sim.connections and stack.state == []
    assert sim.requests_to("DELETE") == []


def test_protect_blocks_replace_and_delete_until_removed(
        stack: StackHarness, program: Program, sim: MihuSimulator) -> None:
    program.options = {"protect": True}
    uuid = stack.up().output("uuid")
    program.inputs["name"] = "renamed"
    with pytest.raises(DeploymentError, match="marked for protection"):
        stack.up()
    with pytest.raises(DeploymentError, match="protected"):
        stack.destroy()
    assert list(sim.connections) == [uuid]
    program.options = {}
    program.inputs["name"] = "main"
    stack.up()
    stack.destroy()
    assert sim.connections == {}


def test_ignore_changes_keeps_the_old_value(stack: StackHarness, program: Program,
                                            sim: MihuSimulator) -> None:
    stack.up()
    program.options = {"ignore_changes": ["password"]}
    program.inputs["password"] = "rotated-outside-pulumi"
    assert stack.up().changes() == {}
    assert len(sim.writes()) == 1


def test_refresh_picks_up_drift_and_the_next_up_repairs_it(
        stack: StackHarness, sim: MihuSimulator) -> None:
    uuid = stack.up().output("uuid")
    [held] = stack.resources_of_type("SipTrunkConnection")
    sim.connections[uuid]["name"] = "edited in the console"
    refreshed = stack.refresh()
    assert refreshed.changes() == {"update": 1}
    [trunk] = stack.resources_of_type("SipTrunkConnection")
    assert trunk.outputs["name"] == "edited in the console"
    assert held is trunk, "refresh updates the state a test holds, in place"
    plan = stack.preview()
    assert plan.change_summary() == {"replace": 1} and plan.steps[0].detail == "name"


def test_refresh_drops_a_connection_deleted_behind_pulumis_back(
        stack: StackHarness, sim: MihuSimulator) -> None:
    uuid = stack.up().output("uuid")
    del sim.connections[uuid]
    assert stack.refresh().changes() == {"delete": 1}
    assert stack.state == []
    result = stack.up()
    assert result.changes() == {"create": 1} and len(sim.connections) == 1


def test_refresh_without_read_routes_changes_nothing(
        bare_sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    stack = make_stack(Program(), bare_sim)
    stack.up()
    before = stack.secret_free_state_text()
    result = stack.refresh()
    assert result.changes() == {}
    assert any("Could not refresh" in w for w in result.warnings)
    assert stack.secret_free_state_text() == before


def test_destroy_removes_everything(stack: StackHarness, sim: MihuSimulator) -> None:
    stack.up()
    assert stack.destroy().changes() == {"delete": 1}
    assert sim.connections == {} and stack.state == [] and stack.outputs == {}


def test_destroy_after_the_api_lost_the_connection_succeeds(
        stack: StackHarness, sim: MihuSimulator) -> None:
    stack.up()
    sim.connections.clear()
    assert stack.destroy().changes() == {"delete": 1}
    assert stack.state == []


def test_get_reads_an_existing_connection(sim: MihuSimulator,
                                          make_stack: Callable[..., StackHarness]) -> None:
    owner = make_stack(Program(), sim)
    uuid = owner.up().output("uuid")

    def reader() -> None:
        existing = SipTrunkConnection.get("existing", uuid)
        pulumi.export("phone", existing.phone_number)

    result = make_stack(reader, sim, stack="reader").up()
    assert result.output("phone") == "+15551230000"
    assert result.counts() == {"read": 1}
    assert len(sim.writes()) == 1


def test_get_fails_clearly_without_a_read_route(
        bare_sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    uuid = make_stack(Program(), bare_sim).up().output("uuid")
    stack = make_stack(lambda: SipTrunkConnection.get("existing", uuid), bare_sim)
    with pytest.raises(DeploymentError, match="documents no read endpoint"):
        stack.up()


def test_import_is_refused_with_a_pointer_to_get(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    program = Program()
    program.options = {"import_": "some-uuid"}
    with pytest.raises(DeploymentError, match="import is not supported"):
        make_stack(program, sim).up()


def test_bad_input_fails_the_preview_with_the_field_named(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    stack = make_stack(Program(gateway="https://sip.telnyx.com", password="bad\npw"), sim)
    with pytest.raises(DeploymentError) as info:
        stack.preview()
    message = str(info.value)
    assert "property 'gateway' value {https://sip.telnyx.com} has a problem" in message
    assert "property 'password' value {[secret]} has a problem" in message
    assert "bad\npw" not in message
    assert sim.requests == []


def test_state_survives_a_json_file_between_processes(
        program: Program, sim: MihuSimulator, make_stack: Callable[..., StackHarness],
        tmp_path: Any) -> None:
    state = tmp_path / "state.json"
    make_stack(program, sim, state_file=state).up()
    again = make_stack(program, sim, state_file=state)
    assert again.up().changes() == {}
    again.destroy()
    assert sim.connections == {}


def test_missing_token_fails_naming_both_settings(sim: MihuSimulator, program: Program) -> None:
    stack = StackHarness(program, config={"mihu:baseUrl": sim.base_url}, host_env={})
    with pytest.raises(DeploymentError, match=r"mihu:apiToken.*MIHU_API_TOKEN"):
        stack.preview()
