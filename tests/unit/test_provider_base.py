"""What every Mihu provider inherits from pulumi_mihu._provider: safe errors (no chain, no
secret, even from an exception nobody expected), the proof that a connection is gone, and
the reading of list responses."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from pulumi.dynamic import ReadResult
from pydantic import SecretStr

from pulumi_mihu import MihuError, MihuSettings, SipTrunkConnectionProvider
from pulumi_mihu._provider import (
    MihuResourceProvider,
    describe_error,
    is_unknown,
    safe_errors,
)
from pulumi_mihu.errors import MihuNotFoundError, MihuServerError
from pulumi_mihu.http_shapes import is_definitively_gone
from support import SIP_PASSWORD, SIP_USERNAME, trunk_inputs

TOKEN = "api-token-4c1d9e"
BASE_URL = "https://acme.mihu.ai"


def configured(provider: MihuResourceProvider) -> MihuResourceProvider:
    provider.configure_with(MihuSettings(api_token=SecretStr(TOKEN), base_url=BASE_URL))
    return provider


class Foreign(Exception):
    """An exception pulumi-mihu does not know, as a bug or a library would raise."""


def full_text(exc: BaseException) -> str:
    """What the provider host shows the user: the whole traceback, chain included."""
    return "".join(traceback.format_exception(exc))


# -- safe_errors -------------------------------------------------------------------------


class Failing(MihuResourceProvider):
    secret_inputs = ("username", "password")

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    @safe_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        raise self.error


def raise_foreign_with_credentials() -> None:
    try:
        raise KeyError(f"inner {SIP_PASSWORD} {TOKEN}")
    except KeyError as inner:
        raise Foreign(f"user {SIP_USERNAME} password {SIP_PASSWORD} token {TOKEN}") from inner


def test_a_foreign_exception_loses_its_chain_and_its_secrets() -> None:
    try:
        raise_foreign_with_credentials()
    except Foreign as foreign:
        provider = configured(Failing(foreign))
    with pytest.raises(MihuError) as info:
        provider.read("id-1", trunk_inputs())
    error = info.value
    assert type(error) is MihuError
    assert str(error) == (
        "Failing.read failed unexpectedly with Foreign (its message was withheld because it "
        "echoed a credential), raised in test_provider_base.py line "
        f"{raise_foreign_with_credentials.__code__.co_firstlineno + 4} "
        "(raise_foreign_with_credentials). This is a bug in pulumi-mihu: please report it "
        "with this message; running `pulumi up` again may not help.")
    assert error.__cause__ is None and error.__suppress_context__
    assert error.__context__ is None and error.__traceback__ is not None
    text = full_text(error)
    for secret in (SIP_USERNAME, SIP_PASSWORD, TOKEN):
        assert secret not in text
    assert "KeyError" not in text and "inner" not in text and "user" not in text


@pytest.mark.parametrize("secret", [SIP_USERNAME, SIP_PASSWORD, TOKEN])
def test_each_credential_of_the_call_withholds_a_foreign_message(secret: str) -> None:
    provider = configured(Failing(Foreign(f"spilled {secret} here")))
    with pytest.raises(MihuError) as info:
        provider.read("id-1", trunk_inputs())
    assert str(info.value).startswith("Failing.read failed unexpectedly with Foreign (its "
                                      "message was withheld because it echoed a credential)")
    assert "spilled" not in str(info.value)


def test_a_foreign_message_that_echoes_nothing_is_shown() -> None:
    provider = configured(Failing(Foreign("list index out of range")))
    with pytest.raises(MihuError, match=r"^Failing.read failed unexpectedly with Foreign: list "
                                        r"index out of range, raised in test_provider_base.py "
                                        r"line \d+ \(read\)\. This is a bug"):
        provider.read("id-1", trunk_inputs())
    empty = configured(Failing(Foreign()))
    with pytest.raises(MihuError, match=r"^Failing.read failed unexpectedly with Foreign, "):
        empty.read("id-1", trunk_inputs())


def test_an_unconfigured_provider_still_withholds_what_echoes_the_inputs() -> None:
    provider = Failing(Foreign(f"password {SIP_PASSWORD}"))
    with pytest.raises(MihuError, match=r"^Failing.read failed unexpectedly with Foreign \(its "
                                        r"message was withheld because it echoed a credential\)"):
        provider.read("id-1", trunk_inputs())


def test_a_mihu_error_passes_unchanged_without_its_chain() -> None:
    try:
        try:
            raise Foreign(f"cause {SIP_PASSWORD}")
        except Foreign as cause:
            raise MihuNotFoundError(method="GET", path="/x", status=404,
                                    message="gone") from cause
    except MihuNotFoundError as error:
        original = error
    with pytest.raises(MihuNotFoundError) as info:
        configured(Failing(original)).read("id-1", trunk_inputs())
    assert info.value is original
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert SIP_PASSWORD not in full_text(info.value)


def test_the_trunk_provider_treats_username_and_password_as_secrets() -> None:
    assert SipTrunkConnectionProvider.secret_inputs == ("username", "password")
    assert list(SipTrunkConnectionProvider().secrets_of(
        trunk_inputs(), {"password": "other-secret", "name": "n"}, "not-a-mapping")) == [
        SIP_USERNAME, SIP_PASSWORD, "other-secret"]


def test_secrets_of_skips_empty_unknown_and_non_string_values() -> None:
    from pulumi.runtime.rpc import UNKNOWN

    provider = SipTrunkConnectionProvider()
    props = {"username": "", "password": UNKNOWN}
    assert list(provider.secrets_of(props, {"username": 5, "password": None})) == []


def test_a_foreign_exception_in_a_real_provider_method_is_withheld(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The trunk provider's read, with a client that fails in a way nobody planned for and
    quotes every credential: username and password from the state, and the API token."""
    provider = configured(SipTrunkConnectionProvider())

    def broken_get(path: str, **kwargs: Any) -> Any:
        raise_foreign_with_credentials()

    monkeypatch.setattr(provider.client, "get", broken_get)
    state = {**trunk_inputs(), "uuid": "u-1"}
    with pytest.raises(MihuError) as info:
        provider.read("u-1", state)
    text = full_text(info.value)
    assert ("SipTrunkConnectionProvider.read failed unexpectedly with Foreign (its message was "
            "withheld because it echoed a credential), raised in ") in text
    for secret in (SIP_USERNAME, SIP_PASSWORD, TOKEN):
        assert secret not in text


def test_check_failures_raise_nothing_and_show_no_secret() -> None:
    result = SipTrunkConnectionProvider().check({}, trunk_inputs(password=5, gateway=""))
    reasons = {f.property: f.reason for f in result.failures}
    assert reasons == {"password": "password must be a string",
                       "gateway": "gateway must not be empty"}


# -- describe_error --------------------------------------------------------------------------


@pytest.mark.parametrize("error, expected", [
    ({"type": "missing"}, "f is required"),
    ({"type": "extra_forbidden"}, "f is not an input of this resource"),
    ({"type": "string_type"}, "f must be a string"),
    ({"type": "string_too_long", "ctx": {"max_length": 7}}, "f must be at most 7 characters"),
    ({"type": "string_too_short"}, "f must not be empty"),
    ({"type": "bool_type"}, "f must be true or false"),
    ({"type": "value_error", "ctx": {"error": "is odd"}}, "f is odd"),
    ({"type": "int_type"}, "f is invalid (int_type)"),
    ({}, "f is invalid ()"),
])
def test_each_pydantic_error_gets_a_message_a_user_can_act_on(error: dict[str, Any],
                                                               expected: str) -> None:
    assert describe_error("f", error) == expected


def test_is_unknown_recognises_the_engine_sentinel_only() -> None:
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    assert is_unknown(Unknown()) and is_unknown(UNKNOWN)
    assert not is_unknown("04da6b54") and not is_unknown(None) and not is_unknown(0)


# -- is_definitively_gone ---------------------------------------------------------------------


def settings_of(base_url: str) -> MihuSettings:
    return MihuSettings(api_token=SecretStr("t0ken-for-tests"), base_url=base_url)


class ListClient:
    """A client whose list route answers ``body`` (or raises it)."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.paths: list[str] = []
        self.settings = settings_of("https://api.example")

    def now(self) -> float:
        return 0.0

    def get(self, path: str, **kwargs: Any) -> Any:
        self.paths.append(path)
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


def gone(body: Any, resource_id: str = "u-1") -> bool:
    client = ListClient(body)
    result = is_definitively_gone(client, "/things", resource_id)  # type: ignore[arg-type]
    assert client.paths == ["/things?page=1&per_page=200"]
    return result


def test_gone_when_the_list_answers_without_the_id() -> None:
    assert gone({"data": [{"uuid": "u-2"}, {"uuid": "u-3"}]})
    assert gone({"data": [{"uuid": "u-0"}, {"uuid": "u-2"}]}), "ids sorting before it too"
    # Items without a uuid (an API keying them "id", say) make the list unreadable, not
    # proof: the absent id could be one of them (found by the independent review).
    assert not gone({"data": [{"name": "no uuid"}, {"uuid": None}]})
    assert gone({"data": []})
    assert gone({"data": {"items": [{"uuid": "u-2"}]}})


def test_not_gone_when_the_id_is_in_the_list() -> None:
    """The rule that keeps refresh from dropping a live connection from state."""
    assert not gone({"data": [{"uuid": "u-2"}, {"uuid": "u-1"}]})
    assert not gone({"data": [{"uuid": "u-1"}]})
    assert not gone({"data": {"items": [{"uuid": "u-1"}, {"uuid": "u-9"}]}})


def test_items_that_are_not_objects_make_the_list_unreadable() -> None:
    assert not gone({"data": ["u-1", None, 5, {"uuid": "u-2"}]})
    assert not gone({"data": ["u-2", {"uuid": "u-1"}]})


@pytest.mark.parametrize("failure", [
    MihuNotFoundError(method="GET", path="/things", status=404, message="no route"),
    MihuServerError(method="GET", path="/things", status=503, message="down"),
])
def test_not_gone_when_the_list_route_fails(failure: MihuError) -> None:
    assert not gone(failure)


@pytest.mark.parametrize("body", [None, {"data": None}, {"items": []}, {"data": "nope"}])
def test_not_gone_when_the_list_has_an_unknown_shape(body: Any) -> None:
    assert not gone(body)


def test_not_gone_when_the_list_cannot_be_read_whole() -> None:
    """A next page that cannot be followed proves nothing (the id could be there)."""
    assert not gone({"data": [{"uuid": "u-2"}], "next_cursor": "abc"})
    assert not gone({"data": [{"uuid": "u-2"}], "next_page_url": "https://elsewhere/x?p=2"})


# -- plumbing: pickling, configuration, the serialized provider -------------------------------


def test_a_pickled_provider_holds_nothing_and_comes_back_unconfigured() -> None:
    import pickle

    provider = configured(SipTrunkConnectionProvider())
    assert provider.__getstate__() == {}
    data = pickle.dumps(provider)
    assert TOKEN.encode() not in data
    clone = pickle.loads(data)
    assert clone._client is None
    with pytest.raises(MihuError, match=r"^SipTrunkConnectionProvider is not configured: the "
                                        r"Pulumi provider host calls configure\(\)"):
        _ = clone.client


def test_configure_reads_the_stack_config_through_the_request() -> None:
    class Config:
        def get(self, key: str) -> str | None:
            return {"mihu:apiToken": TOKEN, "mihu:baseUrl": BASE_URL}.get(key)

    class Request:
        config = Config()

    provider = SipTrunkConnectionProvider()
    provider.configure(Request())  # type: ignore[arg-type]
    assert provider.client.settings.base_url == BASE_URL
    assert provider.client.settings.api_token.get_secret_value() == TOKEN


def test_warn_writes_one_line_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    from pulumi_mihu._provider import warn

    warn("left behind")
    assert capsys.readouterr() == ("", "warning: left behind\n")


def test_warnings_go_to_the_sink_of_the_block_and_to_stderr_again_after_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    """What the native plugin relies on to show warnings (its stderr is not shown)."""
    from pulumi_mihu._provider import warn, warnings_to

    seen: list[str] = []
    with warnings_to(seen.append):
        warn("to the engine")
    warn("to stderr")
    assert seen == ["to the engine"]
    assert capsys.readouterr() == ("", "warning: to stderr\n")


# -- validation ---------------------------------------------------------------------------


def test_model_of_names_the_wrong_fields_and_never_their_values() -> None:
    from pulumi_mihu import SipTrunkConnectionInputs

    provider = SipTrunkConnectionProvider()
    with pytest.raises(MihuError) as info:
        provider.model_of(trunk_inputs(gateway="sip://x", password=""),
                          SipTrunkConnectionInputs)
    assert str(info.value).startswith("invalid inputs: gateway must be a bare hostname")
    assert "; password must not be empty" in str(info.value)
    model = provider.model_of({**trunk_inputs(), "__provider": "x"}, SipTrunkConnectionInputs)
    assert model.password == SIP_PASSWORD


def test_a_field_with_several_errors_is_reported_once() -> None:
    result = SipTrunkConnectionProvider().check({}, trunk_inputs(secondary_gateway=5))
    assert [(f.property, f.reason) for f in result.failures] == [
        ("secondary_gateway", "secondary_gateway must be a string")]


def test_failures_of_known_fields_are_reported_next_to_unknown_ones() -> None:
    from pulumi.output import Unknown

    result = SipTrunkConnectionProvider().check(
        {}, trunk_inputs(gateway=Unknown(), phone_number="", name=5))
    assert [f.property for f in result.failures] == ["name", "phone_number"]


def test_valid_inputs_come_back_checked_with_unknowns_as_given() -> None:
    from pulumi.output import Unknown

    provider = SipTrunkConnectionProvider()
    checked = provider.check({}, {**trunk_inputs(secondary_gateway="  "), "__provider": "x"})
    assert (checked.inputs, checked.failures) == (trunk_inputs(), [])
    unknown = Unknown()
    as_given = provider.check({}, {**trunk_inputs(secondary_gateway="  "), "password": unknown,
                                   "__provider": "x"})
    assert as_given.failures == []
    assert as_given.inputs == {**trunk_inputs(secondary_gateway="  "), "password": unknown}


def test_decorated_methods_keep_their_name_and_documentation() -> None:
    for name in ("check", "diff", "create", "update", "read", "delete"):
        method = getattr(SipTrunkConnectionProvider, name)
        assert method.__name__ == name
        assert method.__wrapped__.__name__ == name
    assert SipTrunkConnectionProvider.read.__doc__.startswith("Refresh")  # type: ignore[union-attr]


def test_an_unexpected_failure_in_check_is_withheld(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = SipTrunkConnectionProvider()

    def broken(news: Any) -> Any:
        raise Foreign(f"validator crashed on {SIP_PASSWORD}")

    monkeypatch.setattr(provider, "validate", broken)
    with pytest.raises(MihuError, match=r"^SipTrunkConnectionProvider.check failed unexpectedly "
                                        r"with Foreign \(its message was withheld") as info:
        provider.check({}, trunk_inputs())
    assert info.value.__suppress_context__


def test_failures_after_an_unknown_field_are_still_reported() -> None:
    from pulumi.output import Unknown

    result = SipTrunkConnectionProvider().check({}, trunk_inputs(name=Unknown(), password=""))
    assert [(f.property, f.reason) for f in result.failures] == [
        ("password", "password must not be empty")]


def test_an_error_kind_without_a_message_of_its_own_is_named() -> None:
    assert describe_error("f", {"type": "zz_future_kind"}) == "f is invalid (zz_future_kind)"


# -- configuration errors and unique inputs -----------------------------------------------

AGENT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
OTHER_AGENT = "9b1f0a34-5d6e-4f70-8a9b-0c1d2e3f4a5b"
CONNECTION = "7d2e4f60-1a2b-4c3d-9e8f-0a1b2c3d4e5f"


class ConfigRequest:
    """What the provider host passes to configure(): the stack config behind .get."""

    def __init__(self, config: dict[str, str]) -> None:
        self.config = config


def test_a_bad_setting_is_reported_by_check_first_and_raised_by_any_other_call() -> None:
    """configure() keeps a bad setting instead of raising it (a host traceback): check
    reports it as one failure, ahead of the input failures, and every call raises it."""
    provider = SipTrunkConnectionProvider()
    provider.configure(ConfigRequest({"mihu:subdomain": "demo"}))  # type: ignore[arg-type]
    failures = provider.check({}, trunk_inputs(phone_number="", gateway="")).failures
    assert [f.property for f in failures] == ["", "phone_number", "gateway"]
    assert "Mihu API token is missing" in failures[0].reason
    with pytest.raises(MihuError, match="Mihu API token is missing"):
        provider.create(trunk_inputs())


def test_an_unexpected_failure_in_the_base_check_is_wrapped_and_unchained(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent provider uses the base class's check as is: it must be wrapped too."""
    from pulumi_mihu import AgentSipTrunkAssignmentProvider

    provider = AgentSipTrunkAssignmentProvider()

    def broken(news: Any) -> Any:
        raise Foreign("validator crashed")

    monkeypatch.setattr(provider, "validate", broken)
    with pytest.raises(MihuError, match=r"^AgentSipTrunkAssignmentProvider.check failed "
                                        r"unexpectedly with Foreign: validator crashed, raised "
                                        r"in _provider.py line \d+ \(check\)\. ") as info:
        provider.check({}, {"agent_uuid": AGENT, "connection_uuid": CONNECTION})
    assert info.value.__suppress_context__


def assignment(agent: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"agent_uuid": agent, "connection_uuid": CONNECTION, "__resource_name": resource,
            **more}


def unique_failures(provider: MihuResourceProvider, news: dict[str, Any]) -> list[str]:
    return [f"{f.property}: {f.reason}" for f in provider.check({}, news).failures]


def test_a_unique_input_held_by_another_resource_fails_check_naming_both() -> None:
    from pulumi_mihu import AgentSipTrunkAssignmentProvider

    provider = AgentSipTrunkAssignmentProvider()
    assert unique_failures(provider, assignment(AGENT, "calls")) == []
    assert unique_failures(provider, assignment(AGENT, "calls")) == [], (
        "the same resource checked twice (preview, then update) holds its own value")
    assert unique_failures(provider, assignment(OTHER_AGENT, "sales")) == []
    [failure] = unique_failures(provider, assignment(AGENT, "sales"))
    assert failure.startswith(f"agent_uuid: {AGENT} is already the agent_uuid of 'calls'")
    [failure] = unique_failures(provider, assignment(OTHER_AGENT, "billing"))
    assert failure.startswith(f"agent_uuid: {OTHER_AGENT} is already the agent_uuid of "
                              "'sales'"), "whichever way the two names sort"


def test_unique_inputs_skip_unknown_values_and_nameless_checks_without_holding_them() -> None:
    from pulumi.output import Unknown

    from pulumi_mihu import AgentSipTrunkAssignmentProvider

    provider = AgentSipTrunkAssignmentProvider()
    assert unique_failures(provider, assignment(Unknown(), "preview")) == []
    assert unique_failures(provider, {"agent_uuid": AGENT, "connection_uuid": CONNECTION}) == []
    assert unique_failures(provider, assignment(AGENT, "calls")) == [], (
        "neither the unknown nor the nameless check took the agent")


def test_every_unique_input_is_checked_even_after_one_that_is_not_a_string() -> None:
    from pulumi_mihu import AgentSipTrunkAssignmentProvider

    class TwoUnique(AgentSipTrunkAssignmentProvider):
        unique_inputs: ClassVar[Mapping[str, str]] = {
            "force": "(a bool: never compared)", "agent_uuid": "one per agent"}

    provider = TwoUnique()
    assert unique_failures(provider, assignment(AGENT, "calls", force=True)) == []
    assert [f.split(":")[0] for f in unique_failures(
        provider, assignment(AGENT, "sales", force=True))] == ["agent_uuid"]


# -- is_definitively_gone's patience ------------------------------------------------------


class FlakyListClient:
    """A list route that fails ``failures`` times (503), then answers ``body``; its clock
    advances by ``tick`` per request and by what it sleeps, and backoff(n) is n seconds."""

    def __init__(self, failures: int, body: Any, tick: float = 0.0) -> None:
        self.failures, self.body, self.tick = failures, body, tick
        self.clock = 0.0
        self.sleeps: list[float] = []
        self.settings = settings_of("https://api.example")

    def now(self) -> float:
        return self.clock

    def backoff(self, attempt: int) -> float:
        return float(attempt)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock += seconds

    def get(self, path: str, **kwargs: Any) -> Any:
        self.clock += self.tick
        if self.failures:
            self.failures -= 1
            raise MihuServerError(method="GET", path=path, status=503, message="down")
        return self.body


def test_a_failing_list_is_asked_again_with_growing_pauses_within_the_patience() -> None:
    client = FlakyListClient(2, {"data": [{"uuid": "u-2"}]})
    assert is_definitively_gone(client, "/things", "u-1", patience=10)  # type: ignore[arg-type]
    assert client.sleeps == [1.0, 2.0]


def test_a_list_still_failing_when_the_patience_ends_proves_nothing() -> None:
    """Patience 1.5 s, 0.3 s per request: a pause of 1 s, then the time is up (and the
    list that would have answered next is never asked)."""
    client = FlakyListClient(5, {"data": [{"uuid": "u-2"}]}, tick=0.3)
    assert not is_definitively_gone(client, "/things", "u-1",  # type: ignore[arg-type]
                                    patience=1.5)
    assert client.sleeps == [1.0]


def test_the_last_pause_is_cut_to_what_is_left_of_the_patience() -> None:
    client = FlakyListClient(1, {"data": [{"uuid": "u-2"}]})
    assert is_definitively_gone(client, "/things", "u-1",  # type: ignore[arg-type]
                                patience=0.5)
    assert client.sleeps == [0.5]


def test_providers_unpickled_in_one_host_share_the_deployment_but_not_the_client(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The host keeps one object per ``__provider`` string, and a stack may hold two for
    one class (an older release's, another pickle protocol): both objects must see every
    engine call of the deployment (tests/host/test_provider_string_variants.py shows what
    goes wrong otherwise), while each keeps the client its own configure made."""
    import pickle

    from pulumi_mihu import _provider

    monkeypatch.setattr(_provider, "_UNPICKLED", {})  # a fresh host process
    Unpickled = SipTrunkConnectionProvider
    first = pickle.loads(pickle.dumps(Unpickled()))
    second = pickle.loads(pickle.dumps(Unpickled()))
    assert second is not first
    assert second._ledger is first._ledger
    assert second._creates is first._creates
    assert second._client is None and "_client" in _provider._OWN_STATE
    first._client = object()
    assert second._client is None
    third = pickle.loads(pickle.dumps(Unpickled()))
    assert third._client is None, "the client is never shared"
    assert third._ledger is first._ledger
