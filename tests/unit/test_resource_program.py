"""Program-level checks under ``pulumi.runtime.set_mocks``: what a SipTrunkConnection
registers with the engine, in both constructor shapes."""

from __future__ import annotations

import base64
import re
import sys
from typing import Any

import pulumi
import pytest

from pulumi_mihu import SipTrunkConnection, SipTrunkConnectionArgs
from pulumi_mihu._registry import RESOURCES
from support import SIP_PASSWORD, SIP_USERNAME


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        outputs = dict(args.inputs)
        outputs.update(uuid="uuid-1", status="active")
        return (args.resource_id or "uuid-1"), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> RecordingMocks:
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="p", stack="s", preview=False)
    return recording


def resolve(output: pulumi.Output[Any]) -> tuple[Any, bool]:
    """(value, is_secret) of an output, after the program's RPCs complete."""
    from pulumi.runtime.sync_await import _sync_await
    return _sync_await(output.future()), _sync_await(output.is_secret())


def test_keyword_constructor_registers_the_dynamic_type_with_secret_credentials(
        mocks: RecordingMocks) -> None:
    trunk = SipTrunkConnection("main", phone_number="+15551230000", gateway="sip.telnyx.com",
                               username=SIP_USERNAME, password=SIP_PASSWORD)
    assert resolve(trunk.uuid) == ("uuid-1", False)
    assert resolve(trunk.password) == (SIP_PASSWORD, True)
    assert resolve(trunk.username) == (SIP_USERNAME, True)
    assert resolve(trunk.name) == ("main", False), "name defaults to the logical name"
    [registered] = mocks.registered
    assert registered.typ == "pulumi-python:dynamic/mihu:SipTrunkConnection"
    assert registered.inputs["phone_number"] == "+15551230000"


def test_args_constructor_is_equivalent(mocks: RecordingMocks) -> None:
    args = SipTrunkConnectionArgs(phone_number="+1555", gateway="sip.telnyx.com",
                                  username="u", password="p", name="Support line",
                                  secondary_gateway="sip2.telnyx.com")
    trunk = SipTrunkConnection("main", args, pulumi.ResourceOptions(protect=True))
    assert resolve(trunk.name)[0] == "Support line"
    assert resolve(trunk.secondary_gateway)[0] == "sip2.telnyx.com"


def test_additional_secret_outputs_are_requested() -> None:
    captured: dict[str, Any] = {}

    class Monitor(pulumi.runtime.mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type.endswith("SipTrunkConnection"):
                captured["secret_outputs"] = list(request.additionalSecretOutputs)
                captured["provider"] = request.object["__provider"]
            # (pulumi leaves MockMonitor unannotated)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", monitor=Monitor(mocks))
    trunk = SipTrunkConnection("main", phone_number="+1555", gateway="sip.telnyx.com",
                               username=SIP_USERNAME, password=SIP_PASSWORD)
    resolve(trunk.uuid)
    assert set(captured["secret_outputs"]) == {"username", "password"}
    pickled = base64.b64decode(captured["provider"])
    assert len(captured["provider"]) < 200
    assert b"pulumi_mihu.sip_trunk_connection" in pickled
    assert SIP_PASSWORD.encode() not in pickled and SIP_USERNAME.encode() not in pickled


@pytest.mark.parametrize("missing", ["phone_number", "gateway", "username", "password"])
def test_missing_required_input_fails_in_the_program(mocks: RecordingMocks,
                                                     missing: str) -> None:
    inputs: dict[str, Any] = {"phone_number": "+1555", "gateway": "sip.telnyx.com",
                              "username": "u", "password": "p"}
    del inputs[missing]
    with pytest.raises(TypeError, match=f"Missing required property '{missing}'"):
        SipTrunkConnection("main", **inputs)
    assert mocks.registered == []


def test_unknown_keyword_is_refused(mocks: RecordingMocks) -> None:
    with pytest.raises(TypeError, match="unexpected inputs: passwd"):
        SipTrunkConnection(  # type: ignore[call-overload]  # passwd: wrong on purpose
            "main", phone_number="+1555", gateway="g.example.com", username="u",
            password="p", passwd="p")


def test_get_reads_by_id_with_no_inputs(mocks: RecordingMocks) -> None:
    trunk = SipTrunkConnection.get("existing", "uuid-77")
    assert resolve(trunk.id)[0] == "uuid-77"
    [registered] = mocks.registered
    assert registered.resource_id == "uuid-77"
    assert {k for k in registered.inputs if not k.startswith("__")} == set()


def test_source_position_points_at_the_users_program() -> None:
    positions: list[str] = []

    class Monitor(pulumi.runtime.mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type.endswith("SipTrunkConnection"):
                positions.append(request.sourcePosition.uri)
            # (pulumi leaves MockMonitor unannotated)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", monitor=Monitor(mocks))
    trunk = SipTrunkConnection("main", phone_number="+1555", gateway="sip.telnyx.com",
                               username="u", password="p")
    resolve(trunk.uuid)
    assert positions and positions[0].endswith("/tests/unit/test_resource_program.py")


def test_more_than_a_thousand_trunks_register(mocks: RecordingMocks) -> None:
    """pulumi's serialize_provider re-wraps a pickle method on every call; called per
    resource, a program with ~1000 dynamic resources died with RecursionError."""
    trunks = [SipTrunkConnection(f"t{i}", phone_number="+1555", gateway="sip.telnyx.com",
                                 username="u", password="p") for i in range(1100)]
    assert resolve(trunks[-1].uuid)[0] == "uuid-1"
    assert len(mocks.registered) == 1100


def test_the_package_exports_every_error_and_every_resources_names() -> None:
    import inspect

    import pulumi_mihu
    from pulumi_mihu import errors
    from pulumi_mihu._registry import RESOURCES

    hierarchy = {name for name, obj in vars(errors).items()
                 if inspect.isclass(obj) and issubclass(obj, errors.MihuError)}
    assert hierarchy <= set(pulumi_mihu.__all__)
    for entry in RESOURCES:
        names = {entry.name + suffix for suffix in ("", "Args", "Inputs", "Provider")}
        assert names <= set(pulumi_mihu.__all__), entry.name
        assert getattr(pulumi_mihu, f"{entry.name}Inputs") is entry.schema.model
    for module in ("errors", "settings", "client", "http_shapes", "_provider", "_registry",
                   "_ledger", "_create_protocol", *(entry.module.removeprefix("pulumi_mihu.")
                                      for entry in RESOURCES)):
        mod = __import__(f"pulumi_mihu.{module}", fromlist=["__all__"])
        assert all(hasattr(mod, name) for name in mod.__all__), module


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is Python 3.11+")
@pytest.mark.parametrize("resource, args", [
    (entry.name, f"{entry.name}Args") for entry in RESOURCES])
def test_every_input_is_documented_in_both_constructor_shapes(resource: str, args: str) -> None:
    """As a generated Pulumi SDK does, for IDEs: each overload and the Args class name
    every input in a ``:param`` line."""
    import dataclasses
    import inspect

    from typing_extensions import get_overloads  # typing's on 3.11+, typed for 3.10 too

    import pulumi_mihu

    inputs = [f.name for f in dataclasses.fields(getattr(pulumi_mihu, args))]
    overloads = get_overloads(getattr(pulumi_mihu, resource).__init__)
    assert len(overloads) == 2
    for documented in (*overloads, getattr(pulumi_mihu, args)):
        doc = inspect.getdoc(documented) or ""
        missing = [name for name in inputs
                   if not re.search(rf":param [^:]*\b{name}:", doc)
                   and (documented is getattr(pulumi_mihu, args)
                        or name in inspect.signature(documented).parameters)]
        assert not missing, f"{documented.__qualname__} does not document {missing}"


def test_get_works_through_an_instance_too(mocks: RecordingMocks) -> None:
    """``get`` is a static method, as in generated SDKs: callable on an instance as well."""
    second = SipTrunkConnection.get("existing", "uuid-77").get("again", "uuid-78")
    assert resolve(second.id)[0] == "uuid-78"


def test_the_provider_used_with_the_sdks_own_dynamic_resource_is_not_a_secret() -> None:
    """SipTrunkConnectionProvider is exported: wrapped in a plain pulumi.dynamic.Resource,
    its __provider is a plain string in the state (the SDK encrypts it when the provider
    says serialize_as_secret_always)."""
    from pulumi_mihu import SipTrunkConnectionProvider

    captured: dict[str, Any] = {}

    class Monitor(pulumi.runtime.mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type.endswith("Plain"):
                captured["provider"] = request.object["__provider"]
            # (pulumi leaves MockMonitor unannotated)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    class Plain(pulumi.dynamic.Resource, module="mine", name="Plain"):
        pass

    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", monitor=Monitor(mocks))
    plain = Plain(SipTrunkConnectionProvider(), "plain", {"phone_number": "+1555"})
    resolve(plain.id)
    assert isinstance(captured["provider"], str)


def test_a_program_registering_both_resources_loads_no_provider_code() -> None:
    """The program side stays light (issue 19, item 7): importing the package and
    registering each resource loads neither the provider classes nor what only they need
    (pydantic, requests, the HTTP client), while the ``__provider`` each resource carries
    still names its provider class. In a fresh interpreter, as a program starts."""
    import subprocess

    code = """
import base64, re, sys
import pulumi
from pulumi.runtime.sync_await import _sync_await

class Mocks(pulumi.runtime.Mocks):
    registered = []
    def new_resource(self, args):
        Mocks.registered.append(args)
        return "id-1", dict(args.inputs)
    def call(self, args):
        return {}, None

pulumi.runtime.set_mocks(Mocks(), project="p", stack="s", preview=False)
import pulumi_mihu
trunk = pulumi_mihu.SipTrunkConnection("t", phone_number="+1555", gateway="sip.example.com",
                                       username="u", password="p")
agent = pulumi_mihu.AgentSipTrunkAssignment(
    "a", agent_uuid="3c90c3cc-0d44-4b50-8888-8dd25736052a", connection_uuid=trunk.id)
_sync_await(agent.id.future())
heavy = ("pydantic", "requests", "pulumi_mihu.client", "pulumi_mihu._provider",
         "pulumi_mihu._sip_trunk_connection_provider",
         "pulumi_mihu._agent_sip_trunk_assignment_provider")
print(sorted(m for m in heavy if m in sys.modules))
print(sorted(re.search(rb"[A-Za-z]+Provider", base64.b64decode(r.inputs["__provider"]))[0]
             .decode() for r in Mocks.registered))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    loaded, providers = out.stdout.splitlines()
    assert loaded == "[]"
    assert providers == str(["AgentSipTrunkAssignmentProvider", "SipTrunkConnectionProvider"])
