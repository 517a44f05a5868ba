"""The input model and ``check``: the documented rules, field by field, never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from pulumi_mihu import SipTrunkConnectionInputs, SipTrunkConnectionProvider
from support import SIP_PASSWORD, SIP_USERNAME, trunk_inputs

provider = SipTrunkConnectionProvider()  # check needs no configuration: it sends nothing


def failures(**overrides: Any) -> dict[str, str]:
    result = provider.check({}, trunk_inputs(**overrides))
    return {f.property: f.reason for f in result.failures}


def test_valid_inputs_pass_unchanged() -> None:
    result = provider.check({}, trunk_inputs(secondary_gateway="sip2.telnyx.com"))
    assert result.failures == []
    assert result.inputs == trunk_inputs(secondary_gateway="sip2.telnyx.com")


def test_phone_number_is_kept_exactly_as_given() -> None:
    for phone in ("+1 (555) 123-0000", "0044 20 7946 0000", "  +15551230000"):
        assert provider.check({}, trunk_inputs(phone_number=phone)).inputs["phone_number"] == phone


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_secondary_gateway_means_none(blank: Any) -> None:
    result = provider.check({}, trunk_inputs(secondary_gateway=blank))
    assert result.failures == []
    assert "secondary_gateway" not in result.inputs
    assert "secondary_gateway" not in SipTrunkConnectionInputs(
        **trunk_inputs(secondary_gateway=blank)).payload()


@pytest.mark.parametrize("field", ["phone_number", "gateway", "username", "password", "name"])
def test_required_fields(field: str) -> None:
    inputs = trunk_inputs()
    del inputs[field]
    result = provider.check({}, inputs)
    assert [(f.property, f.reason) for f in result.failures] == [(field, f"{field} is required")]


@pytest.mark.parametrize("blank", ["   ", "\u00a0", "\u2003\u200b", " \u00a0 "])
@pytest.mark.parametrize("field", ["name", "phone_number", "gateway", "username", "password"])
def test_blank_values_fail_check_naming_the_field(field: str, blank: str) -> None:
    found = failures(**{field: blank})
    assert list(found) == [field]
    if field != "gateway":  # gateways have their own wording ("must not contain spaces")
        assert "blank" in found[field]


@pytest.mark.parametrize("field, limit", [
    ("name", 255), ("phone_number", 32), ("gateway", 255), ("username", 255),
    ("password", 255), ("secondary_gateway", 255),
])
def test_documented_maximum_lengths(field: str, limit: int) -> None:
    if "gateway" in field:
        # DNS caps a hostname at 253 characters, below the documented 255.
        longest = ("a" * 63 + ".") * 3 + "a" * 61
        assert len(longest) == 253 and field not in failures(**{field: longest})
        over = longest + "a" * (limit + 1 - len(longest))
    else:
        assert field not in failures(**{field: "a" * limit})
        over = "a" * (limit + 1)
    assert failures(**{field: over})[field] == f"{field} must be at most {limit} characters"


@pytest.mark.parametrize("gateway, reason", [
    ("sip://sip.telnyx.com", "without a scheme"),
    ("https://sip.telnyx.com", "without a scheme"),
    ("sip.telnyx.com/path", "without a path"),
    ("sip telnyx.com", "spaces"),
    ("+15551230000", "phone number"),
    ("15551230000", "phone number"),
    ("555-123-0000", "phone number"),
    ("sip.telnyx.com:5060", "host only"),
    ("user@sip.telnyx.com", "user part"),
    ("-bad-.example.com", "valid hostname"),
    ("sip..example.com", "valid hostname"),
    ("1.2.3.999", "valid hostname or IP"),
])
def test_gateway_must_be_a_bare_host(gateway: str, reason: str) -> None:
    assert reason in failures(gateway=gateway)["gateway"]
    assert reason in failures(secondary_gateway=gateway)["secondary_gateway"]


@pytest.mark.parametrize("gateway", ["sip.telnyx.com", "sip.zadarma.com", "localhost",
                                     "203.0.113.7", "2001:db8::1", "SIP-1.Example.org"])
def test_hostnames_and_ips_are_accepted(gateway: str) -> None:
    assert failures(gateway=gateway) == {}


def test_wrong_types_are_named_not_coerced() -> None:
    assert failures(phone_number=15551230000) == {"phone_number": "phone_number must be a string"}
    assert failures(name=["a"]) == {"name": "name must be a string"}


def test_unknown_inputs_are_not_an_error_and_are_rejected_by_name() -> None:
    assert failures(region="eu") == {"region": "region is not an input of this resource"}


def test_secret_values_never_appear_in_failures() -> None:
    bad = {"username": SIP_USERNAME + "\n", "password": SIP_PASSWORD + "\x00"}
    result = provider.check({}, trunk_inputs(**bad))
    assert {f.property for f in result.failures} == {"username", "password"}
    for failure in result.failures:
        assert SIP_USERNAME not in failure.reason and SIP_PASSWORD not in failure.reason


@pytest.mark.parametrize("unknown", [Unknown(), UNKNOWN])
def test_unknown_values_during_preview_are_not_validated(unknown: Any) -> None:
    result = provider.check({}, trunk_inputs(gateway=unknown, password=unknown, name=""))
    assert [f.property for f in result.failures] == ["name"]
    ok = provider.check({}, trunk_inputs(gateway=unknown))
    assert ok.failures == [] and ok.inputs["gateway"] is unknown


def test_provider_key_is_not_validated_as_an_input() -> None:
    result = provider.check({}, {**trunk_inputs(), "__provider": "pickled"})
    assert result.failures == []


# -- property-based: hostile and odd input ------------------------------------------------

FIELDS = ("name", "phone_number", "gateway", "username", "password", "secondary_gateway")
odd_values = st.one_of(
    st.text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.text(alphabet="\x00\x01\n\t\r\x7f\u200b\ufeff :/@+-.", max_size=40),
    st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                  max_size=2),
    st.just("x" * 10_000),
)


#: Credentials carry a marker that no message template contains, so finding the value in a
#: message can only mean it was echoed.
marked_secrets = st.text(max_size=300).map(lambda text: "SECRET-" + text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from((*FIELDS, "extra", "__provider")), odd_values),
       st.fixed_dictionaries({}, optional={"username": marked_secrets,
                                           "password": marked_secrets}))
def test_check_never_raises_and_either_fails_by_field_or_yields_a_valid_payload(
        news: dict[str, Any], credentials: dict[str, str]) -> None:
    news.update(credentials)
    result = provider.check({}, news)
    if result.failures:
        for failure in result.failures:
            assert failure.property in (*FIELDS, "extra")
            assert failure.reason.startswith(failure.property)
            for value in credentials.values():
                assert value not in failure.reason
    else:
        payload = SipTrunkConnectionInputs.model_validate(result.inputs).payload()
        assert set(payload) <= set(FIELDS)
        assert all(isinstance(v, str) and v for v in payload.values())


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_any_gateway_string_is_judged_without_exceptions(gateway: str) -> None:
    result = provider.check({}, trunk_inputs(gateway=gateway))
    assert all(f.property == "gateway" for f in result.failures)


def test_adopt_uuid_must_be_a_uuid_and_is_never_sent() -> None:
    [failure] = SipTrunkConnectionProvider().check(
        {}, trunk_inputs(adopt_uuid="not-a-uuid")).failures
    assert failure.property == "adopt_uuid"
    assert "must be the uuid of an existing connection" in failure.reason
    uuid = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    payload = SipTrunkConnectionInputs(**trunk_inputs(adopt_uuid=uuid)).payload()
    assert "adopt_uuid" not in payload and payload["phone_number"] == "+15551230000"
