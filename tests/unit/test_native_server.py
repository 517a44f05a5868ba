"""The native provider's servicer (pulumi_mihu/native/server.py), in-process: the engine's
names and secrets both ways, the resource's name from the URN, check failures per field,
errors as their message only, and a create, read and delete against the simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent import futures
from typing import Any, NoReturn

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import proto
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from pulumi_mihu._provider import warn, warnings_to
from pulumi_mihu.native.server import (
    SECRET_SIG,
    SIG_KEY,
    EngineLog,
    MihuProviderServicer,
    from_struct,
    to_struct,
    urn_name,
    urn_type,
)
from pulumi_mihu.testing import Fault, MihuSimulator
from support import SIP_PASSWORD, SIP_USERNAME, new_trunk, provider_for, stack_config

TRUNK = "mihu:index:SipTrunkConnection"
TRUNK_URN = f"urn:pulumi:dev::proj::{TRUNK}::main-line"


class Aborted(Exception):
    pass


class FakeContext:
    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise Aborted(details)

    def set_code(self, code: grpc.StatusCode) -> None:
        pass

    def set_details(self, details: str) -> None:
        pass


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def test_values_both_ways_secrets_and_unknowns() -> None:
    struct = to_struct({"a": "x", "b": Unknown(), "c": None, "d": "s"}, {"d", "c"})
    values, came_secret = from_struct(struct)
    assert values["a"] == "x" and isinstance(values["b"], Unknown)
    assert values["c"] is None and values["d"] == "s" and came_secret == {"d"}
    assert urn_name(TRUNK_URN) == "main-line" and urn_type(TRUNK_URN) == TRUNK
    assert urn_type(f"urn:pulumi:dev::p::my:comp$${TRUNK}::x") == TRUNK


def configured(sim: MihuSimulator) -> MihuProviderServicer:
    """A servicer configured as the engine configures the default provider."""
    config = {k.removeprefix("mihu:"): v for k, v in stack_config(sim).items()}
    config["apiToken"] = secret(config["apiToken"])  # type: ignore[assignment]
    servicer = MihuProviderServicer()
    servicer.Configure(proto.ConfigureRequest(args=to_struct(config, set())), FakeContext())
    return servicer


@pytest.fixture
def servicer(sim: MihuSimulator) -> MihuProviderServicer:
    return configured(sim)


def check(servicer: MihuProviderServicer, news: dict[str, Any],
          urn: str = TRUNK_URN) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    response = servicer.Check(proto.CheckRequest(urn=urn, news=to_struct(news, set())),
                              FakeContext())
    failures = [(f.property, f.reason) for f in response.failures]
    return json_format.MessageToDict(response.inputs), failures


TRUNK_NEWS = {"phoneNumber": "+15551230000", "gateway": "sip.telnyx.com",
              "username": secret(SIP_USERNAME), "password": secret(SIP_PASSWORD)}


def test_check_names_the_resource_and_marks_secrets(servicer: MihuProviderServicer) -> None:
    inputs, failures = check(servicer, TRUNK_NEWS)
    assert failures == []
    assert inputs["name"] == "main-line" and inputs["phoneNumber"] == "+15551230000"
    assert inputs["password"] == secret(SIP_PASSWORD)
    assert inputs["username"] == secret(SIP_USERNAME)
    assert not any(k.startswith("__") for k in inputs)


def test_check_failures_are_per_camel_case_field(servicer: MihuProviderServicer) -> None:
    """Each failure names its field in camelCase. The engine prints a failure's property
    with the program's value beside it, so a key that is no input (a mistyped
    ``passwrd``) and a secret input given a bad value name the field in the reason only,
    on no property: a credential passed as a plain value is never printed (attack
    finding, issue 20). A missing secret input keeps its property: it has no value."""
    _, failures = check(servicer, {**TRUNK_NEWS, "phoneNumber": "+1" + "5" * 40,
                                   "secondaryGateway": "sip://x", "extra_thing": "x",
                                   "password": SIP_PASSWORD + "\n"})
    assert ("", "extra_thing is not an input of SipTrunkConnection") in failures
    assert ("", "password must not contain control characters (newlines, tabs, NUL)") in failures
    assert ("phoneNumber", "phoneNumber must be at most 32 characters") in failures
    assert [p for p, _ in failures if p == "secondaryGateway"] == ["secondaryGateway"]
    assert all(SIP_PASSWORD not in reason for _, reason in failures)


def test_check_passes_unknowns_through(servicer: MihuProviderServicer) -> None:
    inputs, failures = check(servicer, {**TRUNK_NEWS, "gateway": UNKNOWN})
    assert failures == [] and inputs["gateway"] == UNKNOWN


def test_create_read_delete_against_the_simulator(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    inputs = to_struct({**{k: v for k, v in TRUNK_NEWS.items() if k not in ("username",
                                                                          "password")},
                        "name": "main-line", "username": SIP_USERNAME,
                        "password": SIP_PASSWORD}, {"username", "password"})
    created = servicer.Create(proto.CreateRequest(urn=TRUNK_URN, properties=inputs),
                              FakeContext())
    outs = json_format.MessageToDict(created.properties)
    assert list(sim.connections) == [created.id] and outs["uuid"] == created.id
    assert outs["password"] == secret(SIP_PASSWORD) and outs["status"] == "active"
    read = servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id=created.id,
                                           properties=created.properties), FakeContext())
    assert read.id == created.id
    assert json_format.MessageToDict(read.properties)["username"] == secret(SIP_USERNAME)
    # A destroy is another engine run, so another plugin process: a fresh servicer. (In the
    # one that created it, a Delete with no Diff is the ledger's row 6, a renamed adopter's
    # old name: kept.)
    fresh = configured(sim)
    fresh.Delete(proto.DeleteRequest(urn=TRUNK_URN, id=created.id,
                                     properties=created.properties), FakeContext())
    assert sim.connections == {}


def test_an_error_is_its_message_only(servicer: MihuProviderServicer) -> None:
    with pytest.raises(Aborted) as caught:
        servicer.Create(proto.CreateRequest(urn=TRUNK_URN, properties=to_struct(
            {"phoneNumber": "+1555"}, set())), FakeContext())
    message = str(caught.value)
    assert message.startswith("invalid inputs: ")
    assert "Traceback" not in message and "File " not in message
    with pytest.raises(Aborted, match="unknown resource type 'mihu:index:Nope'"):
        servicer.Delete(proto.DeleteRequest(urn="urn:pulumi:d::p::mihu:index:Nope::x",
                                            id="x"), FakeContext())


def test_a_bug_of_the_layer_shows_its_type_and_place_not_its_message(
        servicer: MihuProviderServicer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise KeyError(SIP_PASSWORD)

    monkeypatch.setattr(servicer.resources[TRUNK].provider, "check", broken)
    with pytest.raises(Aborted) as caught:
        check(servicer, TRUNK_NEWS)
    message = str(caught.value)
    assert message.startswith("The mihu provider failed unexpectedly with KeyError in ")
    assert SIP_PASSWORD not in message and "Traceback" not in message


# -- warnings: the engine's Log, with the resource's URN -----------------------------------


class RecordingEngine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[Any] = []

    def Log(self, request: Any, context: Any) -> Any:
        self.logs.append(request)
        return empty_pb2.Empty()


def test_warnings_go_to_the_engine_log_with_the_urn_and_not_to_stderr(
        bare_sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    engine = RecordingEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        servicer = MihuProviderServicer(EngineLog(f"127.0.0.1:{port}"))
        config = {k.removeprefix("mihu:"): v for k, v in stack_config(bare_sim).items()}
        servicer.Configure(proto.ConfigureRequest(args=to_struct(config, set())),
                           FakeContext())
        uuid = new_trunk(bare_sim)
        capsys.readouterr()  # new_trunk's own create, in this process: dynamic, stderr
        servicer.Delete(proto.DeleteRequest(urn=TRUNK_URN, id=uuid, properties=to_struct(
            {"uuid": uuid, "name": "main-line", "phoneNumber": "+15551230000"}, set())),
            FakeContext())
    finally:
        server.stop(0)
    [log] = engine.logs
    assert (log.urn, log.severity) == (TRUNK_URN, engine_pb2.WARNING)
    assert "NOT deleted" in log.message and uuid in log.message
    assert capsys.readouterr().err == ""
    assert list(bare_sim.connections) == [uuid]


def test_warn_writes_to_stderr_outside_a_native_request(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Dynamic mode unchanged: no sink set, so stderr (the dynamic host's engine shows it);
    a sink is only for the block that set it."""
    seen: list[str] = []
    with warnings_to(seen.append):
        warn("inside")
    warn("outside")
    assert seen == ["inside"] and capsys.readouterr().err == "warning: outside\n"
    EngineLog(None).warning(TRUNK_URN, "no engine")
    assert capsys.readouterr().err == "warning: no engine\n"


def test_a_read_without_state_is_an_import_with_the_readable_inputs(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    uuid = new_trunk(sim)
    read = servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id=uuid), FakeContext())
    inputs = json_format.MessageToDict(read.inputs)
    assert read.id == uuid and set(inputs) == {"name", "phoneNumber", "gateway"}
    # `pulumi import`'s Check (olds and news the Read's inputs) requires no credential.
    response = servicer.Check(proto.CheckRequest(urn=TRUNK_URN, olds=read.inputs,
                                                 news=read.inputs), FakeContext())
    assert list(response.failures) == []
    # A program's Check still does.
    assert {p for p, _ in check(servicer, {"phoneNumber": "+15551230000",
                                           "gateway": "sip.telnyx.com"})[1]} == {
        "username", "password"}


def test_an_import_where_the_api_cannot_read_is_one_line_pointing_to_adopt_uuid(
        bare_sim: MihuSimulator) -> None:
    servicer = configured(bare_sim)
    with pytest.raises(Aborted) as caught:
        servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id="5696d9f3-0478-4945-a9c4-f19142c991f2"),
                      FakeContext())
    message = str(caught.value)
    assert "cannot be imported" in message and "adopt_uuid" in message
    assert "\n" not in message


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_number_is_a_field_error_not_a_bug(servicer: MihuProviderServicer,
                                                        number: float) -> None:
    """A Struct's number_value may be infinite or NaN (a program's ``float("inf")``, a YAML
    ``.inf``); the dynamic host reports such a value as the field's type error
    (``force must be true or false``). Here from_struct's json_format.MessageToDict
    refuses to turn it into JSON, and the preview failed with "failed unexpectedly with
    ValueError in json_format.py ... This is a bug in pulumi-mihu"."""
    agent_urn = "urn:pulumi:dev::proj::mihu:index:AgentSipTrunkAssignment::calls"
    news = struct_pb2.Struct()
    news.update({"agentUuid": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                 "connectionUuid": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "force": number})
    try:
        response = servicer.Check(proto.CheckRequest(urn=agent_urn, news=news), FakeContext())
    except Aborted as exc:
        pytest.fail(f"Check aborted instead of a field error: {exc}")
    assert [(f.property, f.reason) for f in response.failures] == [
        ("force", "force must be true or false")]


# -- the lookup function getSipTrunkConnection (Invoke) -------------------------------------

LOOKUP = "mihu:index:getSipTrunkConnection"
ASSIGNMENT_URN = "urn:pulumi:dev::proj::mihu:index:AgentSipTrunkAssignment::calls"
MISSING = "5696d9f3-0478-4945-a9c4-f19142c991f2"


def invoke(servicer: MihuProviderServicer, args: dict[str, Any],
           tok: str = LOOKUP) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    response = servicer.Invoke(proto.InvokeRequest(tok=tok, args=to_struct(args, set())),
                               FakeContext())
    returned = json_format.MessageToDict(getattr(response, "return"))
    return returned, [(f.property, f.reason) for f in response.failures]


def process_state(servicer: MihuProviderServicer) -> Any:
    """Everything a plugin process knows of its deployment: the imported URNs and each
    provider object's own state (the ledger, the create protocol's baseline, the values
    held per stack, the assignments made), the configured client aside."""

    def picture(value: Any) -> Any:
        if isinstance(value, str | int | float | bool | type(None)):
            return value
        if isinstance(value, dict):
            return {repr(k): picture(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [picture(v) for v in value]
        if isinstance(value, set | frozenset):
            return sorted(repr(picture(v)) for v in value)
        if type(value).__module__.startswith("pulumi_mihu") and hasattr(value, "__dict__"):
            return {k: picture(v) for k, v in vars(value).items()}
        return type(value).__name__  # locks and the like

    return {"imported": sorted(servicer._imported),
            **{token: {k: picture(v) for k, v in vars(resource.provider).items()
                       if k not in ("_client", "_config_error")}
               for token, resource in servicer.resources.items()}}


def test_lookup_returns_what_the_api_reports_camel_case_and_nothing_secret(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    uuid = new_trunk(sim)
    connection = sim.connections[uuid]
    returned, failures = invoke(servicer, {"uuid": uuid})
    assert failures == []
    assert returned == {
        "uuid": uuid, "name": connection["name"], "phoneNumber": connection["phone_number"],
        "gateway": connection["gateway"], "secondaryGateway": None,
        "status": connection["status"], "createdAt": connection["created_at"],
        "updatedAt": connection["updated_at"]}
    text = json_format.MessageToJson(servicer.Invoke(proto.InvokeRequest(
        tok=LOOKUP, args=to_struct({"uuid": uuid}, set())), FakeContext()))
    assert SIP_USERNAME not in text and SIP_PASSWORD not in text and SIG_KEY not in text


def test_lookup_returns_no_secret_even_from_an_api_and_a_declaration_that_have_it(
        servicer: MihuProviderServicer, sim: MihuSimulator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the API to return the credentials, and the declaration to say it does (so a
    refresh would read them back), the lookup still returns no secret: its outputs are the
    non-secret ones, whatever the read gives."""
    import dataclasses

    from pulumi_mihu.sip_trunk_connection import SCHEMA
    from pulumi_mihu.testing import simulator

    for key in ("username", "password"):
        monkeypatch.setitem(SCHEMA.inputs, key,
                            dataclasses.replace(SCHEMA.inputs[key], returned=True))
    monkeypatch.setattr(simulator, "_public", dict)  # the whole record, credentials too
    uuid = new_trunk(sim)
    read = servicer.resources[TRUNK].provider.read(uuid, {})
    assert (read.outs or {})["password"] == SIP_PASSWORD  # the read has it
    returned, _ = invoke(servicer, {"uuid": uuid})
    assert returned["uuid"] == uuid
    assert "username" not in returned and "password" not in returned
    assert SIP_PASSWORD not in json.dumps(returned) and SIP_USERNAME not in json.dumps(returned)


def test_lookup_is_a_query_it_changes_no_state_and_writes_nothing(
        sim: MihuSimulator) -> None:
    """An Invoke is a query: it notes nothing in the ledger (which decides what a later
    Delete does), takes no value of the stack's, marks no URN imported, and sends only the
    read. Pinned after a deployment's worth of calls, so there is state to change."""
    servicer = configured(sim)
    created = servicer.Create(proto.CreateRequest(urn=TRUNK_URN, properties=to_struct(
        {**TRUNK_NEWS, "name": "main-line", "username": SIP_USERNAME,
         "password": SIP_PASSWORD}, {"username", "password"})), FakeContext())
    check(servicer, {**TRUNK_NEWS, "adoptUuid": created.id},
          urn=TRUNK_URN.replace("main-line", "adopter"))
    other = new_trunk(sim, "+15551239999")
    before, connections, requests = process_state(servicer), dict(sim.connections), len(
        sim.requests)
    for uuid in (created.id, other):
        assert invoke(servicer, {"uuid": uuid})[0]["uuid"] == uuid
    with pytest.raises(Aborted):
        invoke(servicer, {"uuid": MISSING})
    assert process_state(servicer) == before
    assert sim.connections == connections
    assert {r.method for r in sim.requests[requests:]} == {"GET"}


def test_lookup_of_a_uuid_that_does_not_exist_says_so(
        servicer: MihuProviderServicer) -> None:
    with pytest.raises(Aborted) as caught:
        invoke(servicer, {"uuid": MISSING})
    assert str(caught.value) == f"SIP trunk connection {MISSING} does not exist"


@pytest.mark.parametrize("status", [404, 405])
def test_lookup_where_the_api_cannot_read_is_one_line_pointing_to_adopt_uuid(
        status: int) -> None:
    with MihuSimulator(read_routes=False, missing_route_status=status) as world:
        uuid = new_trunk(world)
        with pytest.raises(Aborted) as caught:
            invoke(configured(world), {"uuid": uuid})
        assert {r.method for r in world.requests} == {"POST", "GET"}
    message = str(caught.value)
    assert message.startswith(f"Cannot read SIP trunk connection {uuid}: ")
    assert f"HTTP {status}, so getSipTrunkConnection cannot look it up" in message
    assert f"adoptUuid set to {uuid}" in message and "adopt_uuid" in message
    assert "\n" not in message and "Traceback" not in message


def test_lookup_arguments_fail_per_argument(servicer: MihuProviderServicer,
                                            sim: MihuSimulator) -> None:
    assert invoke(servicer, {})[1] == [
        ("uuid", "uuid must be the uuid of a SipTrunkConnection, as a string")]
    _, failures = invoke(servicer, {"uuid": f"{MISSING}/../..", "phoneNumber": "+1555"})
    assert failures == [
        ("phoneNumber", "phoneNumber is not an argument of getSipTrunkConnection"),
        ("uuid", "uuid must be the uuid of a SipTrunkConnection, as a string")]
    assert invoke(servicer, {"uuid": 42})[1][0][0] == "uuid"
    assert sim.requests == [], "a bad argument reaches no route"
    with pytest.raises(Aborted, match="unknown function 'mihu:index:getNope'"):
        invoke(servicer, {"uuid": MISSING}, tok="mihu:index:getNope")


def test_an_assignment_import_is_refused_in_plain_words_without_adopt_uuid(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    """The API cannot read an agent's assignment, so it cannot be imported; the way out is
    no adoption (the assignment has none) but declaring it: its assign call is an upsert."""
    agent = "a9f1c2d4-5b6e-4f70-8a91-b2c3d4e5f601"
    with pytest.raises(Aborted) as caught:
        servicer.Read(proto.ReadRequest(urn=ASSIGNMENT_URN, id=f"{agent}/{MISSING}"),
                      FakeContext())
    message = str(caught.value)
    assert message.startswith(f"Cannot read assignment {agent}/{MISSING}: ")
    assert "so it cannot be imported. Declare it in the program instead" in message
    assert "adopt" not in message.lower() and "\n" not in message
    assert sim.requests == []
def test_a_diff_of_dynamic_state_is_refused_not_a_replacement(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    """An alias from the dynamic type hands the native Diff the dynamic state (snake_case
    names, ``__provider``): read in the native names, ``phone_number`` is no input, so
    ``phoneNumber`` looked new and the plan replaced the live connection (seen with CLI
    v3.274.1: a POST, then a DELETE of the old one). Refused instead, with nothing sent;
    docs/native.md, "Moving a stack between modes", is the way."""
    uuid = new_trunk(sim)
    since = len(sim.requests)
    dynamic_state = {"__provider": "gASV...", "name": "main-line",
                     "phone_number": "+15551230000", "gateway": "sip.telnyx.com",
                     "username": secret(SIP_USERNAME), "password": secret(SIP_PASSWORD),
                     "uuid": uuid, "status": "active"}
    news = {"name": "main-line", **TRUNK_NEWS}
    with pytest.raises(Aborted) as caught:
        servicer.Diff(proto.DiffRequest(urn=TRUNK_URN, id=uuid,
                                        olds=to_struct(dynamic_state, set()),
                                        news=to_struct(news, set())), FakeContext())
    message = str(caught.value)
    assert "dynamic resource" in message and uuid in message, message
    assert message.endswith("#moving-a-stack-between-modes") and "\n" not in message
    assert sim.requests[since:] == []
    # Native state of the same connection: no change.
    native_state = {"name": "main-line", **TRUNK_NEWS, "uuid": uuid, "status": "active"}
    diff = servicer.Diff(proto.DiffRequest(urn=TRUNK_URN, id=uuid,
                                           olds=to_struct(native_state, set()),
                                           news=to_struct(news, set())), FakeContext())
    assert diff.changes == proto.DiffResponse.DIFF_NONE


def test_create_errors_and_warnings_name_the_inputs_as_the_program_does(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    """A YAML or TypeScript program has adoptUuid, not the dynamic resource's adopt_uuid:
    the refusal of a twin tells it what to set in its own words."""
    twin = new_trunk(sim)
    inputs = to_struct({"name": "main-line", "phoneNumber": "+15551230000",
                        "gateway": "sip.telnyx.com", "username": SIP_USERNAME,
                        "password": SIP_PASSWORD}, {"username", "password"})
    with pytest.raises(Aborted) as caught:
        servicer.Create(proto.CreateRequest(urn=TRUNK_URN, properties=inputs), FakeContext())
    message = str(caught.value)
    assert f'adoptUuid="{twin}"' in message, message
    assert "adopt_uuid" not in message and list(sim.connections) == [twin]


@pytest.mark.parametrize("bad", ["u?x=1", "u#frag", "../..", "u/../u", "./u", "", "a/b",
                                 "...", "~", "a_b", "a" * 65, "a" * 3000])
def test_an_import_id_that_is_not_one_plain_segment_is_refused_with_nothing_sent(
        servicer: MihuProviderServicer, sim: MihuSimulator, bad: str) -> None:
    """The id goes into the item route as it is: `../..` had reached another route, and
    `u?x=1` had been recorded as the id while the API read `u`."""
    with pytest.raises(Aborted, match="is not the id of a SipTrunkConnection") as caught:
        servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id=bad), FakeContext())
    assert sim.requests == []
    assert len(str(caught.value)) < 300, "a long id is shown cut short"


def test_one_id_is_imported_by_one_resource_of_the_deployment(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    """Two resources importing one connection would each delete it when removed."""
    uuid = new_trunk(sim)
    servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id=uuid), FakeContext())
    servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id=uuid), FakeContext())  # same one: ok
    with pytest.raises(Aborted, match="already imported by 'main-line'"):
        servicer.Read(proto.ReadRequest(urn=TRUNK_URN.replace("main-line", "other"),
                                        id=uuid), FakeContext())
    assert list(sim.connections) == [uuid]


def test_a_quoted_value_keeps_its_words_while_the_message_names_inputs_in_camel_case(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    """Messages quote a user's values with ``repr``: a connection named ``HQ phone_number``
    (or ``it's adopt_uuid``) is its name, not an input to rename; the input names around it
    are renamed, and an apostrophe outside a quote ("connection's") does not hide them."""
    resource = servicer.resources[TRUNK]
    assert resource.reason(
        "the connection's phone_number 'HQ phone_number' and \"it's adopt_uuid\" set "
        "adopt_uuid='a_b' or secondary_gateway") == (
        "the connection's phoneNumber 'HQ phone_number' and \"it's adopt_uuid\" set "
        "adoptUuid='a_b' or secondaryGateway")
    twin = new_trunk(sim)
    name = "HQ phone_number adopt_uuid"
    sim.connections[twin]["name"] = name
    with pytest.raises(Aborted) as caught:
        servicer.Create(proto.CreateRequest(urn=TRUNK_URN, properties=to_struct(
            {"name": name, "phoneNumber": "+15551230000", "gateway": "sip.telnyx.com",
             "username": SIP_USERNAME, "password": SIP_PASSWORD},
            {"username", "password"})), FakeContext())
    message = str(caught.value)
    assert repr(name) in message and f'adoptUuid="{twin}"' in message, message
    assert list(sim.connections) == [twin]


@pytest.mark.parametrize("how", ["lookup", "import", "dynamic get"])
def test_a_read_without_state_shows_no_text_of_the_servers_error(
        servicer: MihuProviderServicer, sim: MihuSimulator, how: str) -> None:
    """A lookup, an import or a ``get`` reads without state: the connection's credentials
    are not known, so an error the API answers with cannot be checked for them. Its text is
    not shown at all (attack finding F4: it was repeated as the API gave it); its status and
    code are, and why the rest is not."""
    from pulumi_mihu.errors import UNCHECKABLE, MihuError

    uuid = new_trunk(sim)
    body = json.dumps({"success": False, "message": f"user {SIP_USERNAME} is locked",
                       "error": {"code": "LOCKED", "details": f"password {SIP_PASSWORD}"}})
    sim.inject(Fault(status=400, method="GET", body=body))
    with pytest.raises((Aborted, MihuError)) as caught:
        if how == "lookup":
            invoke(servicer, {"uuid": uuid})
        elif how == "import":
            servicer.Read(proto.ReadRequest(urn=TRUNK_URN, id=uuid), FakeContext())
        else:
            provider_for(sim).read(uuid, {})
    message = str(caught.value)
    assert "HTTP 400, code LOCKED" in message and UNCHECKABLE in message, message
    assert SIP_USERNAME not in message and SIP_PASSWORD not in message
    assert "locked" not in message


def test_a_dynamic_state_is_refused_by_read_check_and_diff_wherever_it_comes(
        servicer: MihuProviderServicer, sim: MihuSimulator) -> None:
    """An alias from the dynamic type brings its state to every call of the resource: a
    refresh's Read (properties and inputs), Check's olds, Diff's olds or old inputs. Each
    refuses it with nothing sent (a Read that kept it had dropped the names the Diff's
    guard looks at: attack finding, issue 20)."""
    uuid = new_trunk(sim)
    since = len(sim.requests)
    dynamic = to_struct({"__provider": "gASV...", "name": "main-line",
                         "phone_number": "+15551230000", "gateway": "sip.telnyx.com",
                         "uuid": uuid}, set())
    native = to_struct({"name": "main-line", **TRUNK_NEWS, "uuid": uuid}, set())
    calls: dict[str, Callable[[], Any]] = {
        "read properties": lambda: servicer.Read(proto.ReadRequest(
            urn=TRUNK_URN, id=uuid, properties=dynamic, inputs=native), FakeContext()),
        "read inputs": lambda: servicer.Read(proto.ReadRequest(
            urn=TRUNK_URN, id=uuid, properties=native, inputs=dynamic), FakeContext()),
        "check": lambda: servicer.Check(proto.CheckRequest(
            urn=TRUNK_URN, olds=dynamic, news=native), FakeContext()),
        "diff old inputs": lambda: servicer.Diff(proto.DiffRequest(
            urn=TRUNK_URN, id=uuid, olds=native, old_inputs=dynamic, news=native),
            FakeContext()),
    }
    for what, call in calls.items():
        with pytest.raises(Aborted) as caught:
            call()
        assert "written by the dynamic resource" in str(caught.value), what
        assert uuid in str(caught.value) or what == "check", what
    assert sim.requests[since:] == []


def test_one_id_is_imported_by_no_resource_while_another_manages_it(
        servicer: MihuProviderServicer, sim: MihuSimulator,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Attack finding (issue 20): a resource importing the connection another manages made
    two state entries of one id, and removing either would delete the other's line. An
    import after the other's Diff is refused, so is the other's Diff after the import,
    with nothing sent. Two Diffs of one id are not refused (the engine diffs a renamed
    resource under its old URN too: second attack), and a get, which the engine never
    deletes, is not claimed."""
    uuid = new_trunk(sim)
    since = len(sim.requests)
    state = to_struct({"name": "main-line", **TRUNK_NEWS, "uuid": uuid, "status": "active"},
                      set())
    other = TRUNK_URN.replace("main-line", "copy")

    def diff(target: MihuProviderServicer, urn: str) -> Any:
        return target.Diff(proto.DiffRequest(urn=urn, id=uuid, olds=state, news=state),
                           FakeContext())

    assert diff(servicer, TRUNK_URN).changes == proto.DiffResponse.DIFF_NONE
    assert "under two names" not in capsys.readouterr().err
    assert diff(servicer, other).changes == proto.DiffResponse.DIFF_NONE  # an alias's
    # ... or two state entries: not refused, but said (a --target removal is unguarded).
    warned = capsys.readouterr().err
    assert f"SipTrunkConnection {uuid} is in this deployment under two names, 'main-line' " \
           "and 'copy'" in warned and "--target" in warned, warned
    with pytest.raises(Aborted) as caught:
        servicer.Read(proto.ReadRequest(urn=TRUNK_URN.replace("main-line", "third"),
                                        id=uuid), FakeContext())
    message = str(caught.value)
    assert message.startswith(f"SipTrunkConnection {uuid} is managed by 'main-line' and "
                              "cannot also be imported by 'third'"), message
    assert "pulumi state delete" in message
    assert sim.requests[since:] == []
    # A get (the engine sends the program's inputs, here none) reads and claims nothing.
    got = servicer.Read(proto.ReadRequest(urn=TRUNK_URN.replace("main-line", "view"),
                                          id=uuid, inputs=struct_pb2.Struct()), FakeContext())
    assert got.id == uuid and [r.method for r in sim.requests[since:]] == ["GET"]
    # The import first, then another resource's Diff of the id.
    fresh = configured(sim)
    assert fresh.Read(proto.ReadRequest(urn=other, id=uuid), FakeContext()).id == uuid
    with pytest.raises(Aborted, match="is managed by 'main-line' and cannot also be "
                                      "imported by 'copy'"):
        diff(fresh, TRUNK_URN)
