"""SipTrunkConnection rules one by one: the gateway and text rules, diff's normalisation,
update, refresh (which fields are taken from the API), get, and the answer of a create."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_mihu import MihuCreateOutcomeUnknown, MihuError, SipTrunkConnectionInputs
from pulumi_mihu._sip_trunk_connection_provider import _connection_data
from pulumi_mihu.sip_trunk_connection import COLLECTION
from pulumi_mihu.testing import Fault, MihuSimulator
from support import SIP_PASSWORD, SIP_USERNAME, outs_of, provider_for, trunk_inputs

CONNECTIONS = "/api/v1" + COLLECTION


def failures(**overrides: Any) -> dict[str, str]:
    from pulumi_mihu import SipTrunkConnectionProvider

    result = SipTrunkConnectionProvider().check({}, trunk_inputs(**overrides))
    return {f.property: f.reason for f in result.failures}


# -- input rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("gateway, reason", [
    ("sip://x.example.com", "gateway must be a bare hostname or IP, without a scheme such as "
                            "sip:// or https://"),
    ("sip.example.com\t", "gateway must not contain spaces"),
    ("sip.example.com?x", "gateway must be a bare hostname or IP, without a path"),
    ("sip.example.com#x", "gateway must be a bare hostname or IP, without a path"),
    ("u@sip.example.com", "gateway must be a bare hostname or IP, without a user part"),
    ("+4930123", "gateway looks like a phone number; it must be the SIP server's hostname, "
                 "for example sip.telnyx.com"),
    ("sip.example.com:5060", "gateway must be the host only: the API documents no port in "
                             "this field"),
    ("a_b.example.com", "gateway must be a valid hostname (letters, digits, hyphens and dots) "
                        "or an IP address"),
    ("sip.example.123", "gateway must be a valid hostname or IP address"),
])
def test_each_gateway_rule_has_its_message(gateway: str, reason: str) -> None:
    assert failures(gateway=gateway) == {"gateway": reason}


def test_hostname_length_and_label_limits() -> None:
    label63 = "a" * 63
    assert failures(gateway=f"{label63}.example.com") == {}
    assert "valid hostname" in failures(gateway=f"{label63}a.example.com")["gateway"]
    assert failures(gateway="a") == {} and failures(gateway="a-b") == {}
    host253 = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(host253) == 253 and failures(gateway=host253) == {}
    host254 = ".".join(["a" * 63] * 3 + ["b" * 62])
    assert "valid hostname" in failures(gateway=host254)["gateway"]


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x9f", "\n"])
def test_control_characters_are_refused_in_every_text_field(char: str) -> None:
    for field in ("name", "phone_number", "username", "password"):
        assert failures(**{field: f"a{char}b"}) == {
            field: f"{field} must not contain control characters (newlines, tabs, NUL)"}


def test_characters_next_to_the_control_ranges_are_accepted() -> None:
    assert failures(name="a b~\xa0\u00e9") == {}


@pytest.mark.parametrize("blank", ["", " ", "\t"])
def test_a_blank_secondary_gateway_is_none_and_left_out_of_the_payload(blank: str) -> None:
    model = SipTrunkConnectionInputs.model_validate(trunk_inputs(secondary_gateway=blank))
    assert model.secondary_gateway is None
    assert "secondary_gateway" not in model.payload()


def test_a_secondary_gateway_is_in_the_payload() -> None:
    model = SipTrunkConnectionInputs.model_validate(trunk_inputs(secondary_gateway="sip2.x.com"))
    assert model.payload() == {**trunk_inputs(), "secondary_gateway": "sip2.x.com"}


# -- diff and update -------------------------------------------------------------------------


def test_diff_treats_blank_and_missing_secondary_gateway_alike() -> None:
    from pulumi_mihu import SipTrunkConnectionProvider

    provider = SipTrunkConnectionProvider()
    olds = {**trunk_inputs(), "secondary_gateway": None, "uuid": "u"}
    assert provider.diff("u", olds, trunk_inputs(secondary_gateway="")).changes is False
    assert provider.diff("u", olds, trunk_inputs()).changes is False
    diff = provider.diff("u", olds, trunk_inputs(name="other", password="new-password"))
    assert (diff.changes, diff.replaces) == (True, ["name", "password"])


def test_update_refuses_any_managed_change_and_names_it() -> None:
    from pulumi_mihu import SipTrunkConnectionProvider

    olds = {**trunk_inputs(), "uuid": "u", "__provider": "x"}
    provider = SipTrunkConnectionProvider()
    assert provider.update("u", olds, trunk_inputs(secondary_gateway="")).outs == {
        **trunk_inputs(), "uuid": "u"}
    with pytest.raises(MihuError, match=r"\(changed: gateway, secondary_gateway\); Pulumi "
                                        r"should have planned a replacement$"):
        provider.update("u", olds, trunk_inputs(gateway="b.example.com",
                                                secondary_gateway="c.example.com"))


# -- refresh and get ------------------------------------------------------------------------


def created(server: MihuSimulator) -> tuple[str, dict[str, Any]]:
    result = provider_for(server).create(trunk_inputs(secondary_gateway="sip2.telnyx.com"))
    return result.id, outs_of(result)


def test_refresh_takes_every_returned_field_and_keeps_the_rest(sim: MihuSimulator) -> None:
    uuid, outs = created(sim)
    record = sim.connections[uuid]
    record.update(name="n2", phone_number="+4930", gateway="g2.example.com",
                  secondary_gateway=None, status="suspended", created_at="c2",
                  updated_at="u2")
    result = provider_for(sim).read(uuid, {**outs, "__provider": "x", "extra": 1})
    assert result.id == uuid
    assert result.outs == {"name": "n2", "phone_number": "+4930", "gateway": "g2.example.com",
                           "secondary_gateway": None, "status": "suspended",
                           "created_at": "c2", "updated_at": "u2", "uuid": uuid,
                           "username": SIP_USERNAME, "password": SIP_PASSWORD, "extra": 1}


def test_refresh_keeps_fields_the_api_leaves_out(sim: MihuSimulator) -> None:
    uuid, outs = created(sim)
    sim.inject(Fault(status=200, method="GET", path_prefix=f"{CONNECTIONS}/{uuid}",
                     body='{"success": true, "data": {"status": "paused"}}'))
    result = provider_for(sim).read(uuid, outs)
    assert result.outs == {**outs, "status": "paused"}


@pytest.mark.parametrize("body", ['{"success": true}', '{"data": []}', '{"data": "x"}'])
def test_refresh_of_an_answer_without_data_is_an_error(sim: MihuSimulator, body: str) -> None:
    uuid, outs = created(sim)
    sim.inject(Fault(status=200, method="GET", path_prefix=f"{CONNECTIONS}/{uuid}", body=body))
    with pytest.raises(MihuError, match=f"GET {COLLECTION}/{uuid}: the answer has no 'data'"):
        provider_for(sim).read(uuid, outs)


def test_a_405_on_refresh_keeps_the_state_without_asking_the_list(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    uuid, outs = created(sim)
    sim.inject(Fault(status=405, method="GET", path_prefix=f"{CONNECTIONS}/{uuid}"))
    sim.state.requests.clear()  # (the create read the list once, for its baseline)
    result = provider_for(sim).read(uuid, outs)
    assert (result.id, result.outs) == (uuid, outs)
    assert [r.path for r in sim.requests_to("GET")] == [f"{CONNECTIONS}/{uuid}"]
    err = capsys.readouterr().err
    assert err.startswith(f"warning: Could not refresh SIP trunk connection {uuid} (name "
                          f"'main-line', phone number '+15551230000'): the API documents no "
                          "read endpoint and answered HTTP 405")


def test_a_405_on_get_says_the_api_cannot_read(sim: MihuSimulator) -> None:
    uuid, _ = created(sim)
    sim.inject(Fault(status=405, method="GET", path_prefix=f"{CONNECTIONS}/{uuid}"))
    with pytest.raises(MihuError, match=f"^Cannot read SIP trunk connection {uuid}: the Mihu "
                                        "API documents no read endpoint and this service "
                                        "answered GET with HTTP 405$"):
        provider_for(sim).read(uuid, {})


def test_get_returns_the_connection_under_its_id(sim: MihuSimulator) -> None:
    uuid, _ = created(sim)
    result = provider_for(sim).read(uuid, {"__provider": "x"})
    assert result.id == uuid
    read = outs_of(result)
    assert read["uuid"] == uuid
    assert read["secondary_gateway"] == "sip2.telnyx.com"


def test_get_of_a_missing_connection_names_it(sim: MihuSimulator) -> None:
    missing = "0b7a1f1e-0000-4000-8000-000000000000"
    with pytest.raises(MihuError, match=f"^SIP trunk connection {missing} does not exist$"):
        provider_for(sim).read(missing, {})


# -- the answer of a create ---------------------------------------------------------------


MODEL = SipTrunkConnectionInputs.model_validate(trunk_inputs())


@pytest.mark.parametrize("body", [None, [], {"data": None}, {"data": {"uuid": ""}},
                                  {"data": {"uuid": 5}}, {"data": {}}])
def test_a_create_answer_without_a_uuid_cannot_be_tracked(body: Any) -> None:
    with pytest.raises(MihuCreateOutcomeUnknown, match=r"its answer has no data\.uuid"):
        _connection_data(body, MODEL)


def test_a_create_answer_with_a_uuid_is_its_data() -> None:
    assert _connection_data({"data": {"uuid": "u-1", "status": "s"}}, MODEL) == {
        "uuid": "u-1", "status": "s"}


def test_validated_inputs_cannot_be_changed() -> None:
    from pydantic import ValidationError

    model = SipTrunkConnectionInputs.model_validate(trunk_inputs())
    with pytest.raises(ValidationError, match="frozen"):
        model.password = "changed"


def test_one_character_is_enough_for_every_text_field() -> None:
    assert failures(name="n", phone_number="1", username="u", password="p", gateway="g") == {}


@pytest.mark.parametrize("value", [b"+15551230000", bytearray(b"+1555")])
def test_bytes_are_not_taken_for_strings(value: Any) -> None:
    assert failures(phone_number=value) == {"phone_number": "phone_number must be a string"}
