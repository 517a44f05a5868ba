"""The simulator against the documented contract (docs/mihu-sip-trunk-api.md), with raw
HTTP requests: the provider's own validation is not in the way, so a simulator that drifts
from the reference (accepting a 256-character name, say) fails here."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator
from pulumi_mihu.testing.simulator import CONNECTIONS
from support import trunk_inputs

LIMITS = {"name": 255, "phone_number": 32, "gateway": 255, "username": 255, "password": 255,
          "secondary_gateway": 255}


def long_value(length: int) -> str:
    """A value of ``length`` characters, valid for every field but its length (the
    simulator's host rule allows a single long label)."""
    return "x" * length


def post(server: MihuSimulator, body: Any, token: str | None = DEFAULT_TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server.base_url + CONNECTIONS, json=body, headers=headers, timeout=10)


def assert_refused(response: requests.Response, field: str, text: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["field"] == field
    assert text in body["error"]["details"]


@pytest.mark.parametrize("field", list(LIMITS))
def test_a_value_one_over_the_documented_maximum_is_refused(sim: MihuSimulator,
                                                             field: str) -> None:
    limit = LIMITS[field]
    value = long_value(limit + 1)
    assert len(value) == limit + 1
    response = post(sim, trunk_inputs(**{field: value}))
    assert_refused(response, field, f"must not be greater than {limit} characters")
    assert sim.connections == {}


@pytest.mark.parametrize("field", list(LIMITS))
def test_a_value_of_exactly_the_documented_maximum_is_accepted(sim: MihuSimulator,
                                                                field: str) -> None:
    value = long_value(LIMITS[field])
    assert len(value) == LIMITS[field]
    response = post(sim, trunk_inputs(**{field: value}))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    if field not in ("username", "password"):
        assert data[field] == value
    assert next(iter(sim.connections.values()))[field] == value


def test_a_256_character_name_is_refused(sim: MihuSimulator) -> None:
    assert_refused(post(sim, trunk_inputs(name="n" * 256)), "name",
                   "The name field must not be greater than 255 characters.")


@pytest.mark.parametrize("field", ["name", "phone_number", "gateway", "username", "password"])
def test_required_fields_are_required(sim: MihuSimulator, field: str) -> None:
    body = trunk_inputs()
    del body[field]
    assert_refused(post(sim, body), field, f"The {field} field is required.")
    assert_refused(post(sim, trunk_inputs(**{field: "  "})), field,
                   f"The {field} field is required.")


def test_fields_must_be_strings(sim: MihuSimulator) -> None:
    assert_refused(post(sim, trunk_inputs(phone_number=15551230000)), "phone_number",
                   "must be a string")


@pytest.mark.parametrize("gateway, text", [
    ("sip://sip.telnyx.com", "not a URL"),
    ("sip telnyx.com", "spaces"),
    ("+1-555-123-0000", "not a phone number"),
])
def test_gateways_must_be_hosts(sim: MihuSimulator, gateway: str, text: str) -> None:
    assert_refused(post(sim, trunk_inputs(gateway=gateway)), "gateway", text)
    assert_refused(post(sim, trunk_inputs(secondary_gateway=gateway)), "secondary_gateway", text)


def test_a_created_connection_has_the_documented_shape_and_no_credentials(
        sim: MihuSimulator) -> None:
    response = post(sim, trunk_inputs(secondary_gateway=""))
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"uuid", "name", "phone_number", "gateway", "secondary_gateway",
                         "status", "created_at", "updated_at"}
    assert data["secondary_gateway"] is None


@pytest.mark.parametrize("token, code", [(None, "MISSING_AUTH_TOKEN"),
                                         ("wrong", "INVALID_AUTH_TOKEN")])
def test_requests_without_the_right_token_are_refused(sim: MihuSimulator, token: str | None,
                                                     code: str) -> None:
    response = post(sim, trunk_inputs(), token=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert sim.connections == {}


def test_a_body_that_is_not_json_is_refused(sim: MihuSimulator) -> None:
    response = requests.post(sim.base_url + CONNECTIONS, data="{not json",
                             headers={"Authorization": f"Bearer {DEFAULT_TOKEN}",
                                      "Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_JSON"


def assign(server: MihuSimulator, agent: str, body: Any) -> requests.Response:
    return requests.post(f"{server.base_url}/api/v1/agents/{agent}/channels/call/sip-trunk",
                         json=body, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
                         timeout=10)


def test_the_assignment_route_enforces_its_rules(sim: MihuSimulator) -> None:
    first, second = sim.add_agent(), sim.add_agent()
    trunk = post(sim, trunk_inputs()).json()["data"]["uuid"]
    assert assign(sim, first, {"connection_uuid": "nope"}).status_code == 422
    assert assign(sim, first, {"connection_uuid": trunk, "force": "yes"}).status_code == 422
    unknown_agent = "00000000-0000-4000-8000-000000000000"
    assert assign(sim, unknown_agent, {"connection_uuid": trunk}).status_code == 404
    ok = assign(sim, first, {"connection_uuid": trunk})
    assert ok.status_code == 200
    assert ok.json()["data"] == {"agent_uuid": first, "connection_uuid": trunk,
                                 "phone_number": trunk_inputs()["phone_number"]}
    taken = assign(sim, second, {"connection_uuid": trunk})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "PHONE_NUMBER_IN_USE"
    assert assign(sim, second, {"connection_uuid": trunk, "force": True}).status_code == 200


# -- the route table ----------------------------------------------------------------------

def test_a_route_matches_its_method_and_one_segment_per_parameter() -> None:
    from pulumi_mihu.testing.simulator import ROUTES

    [read] = [r for r in ROUTES if r.method == "GET" and r.pattern.endswith("{uuid}")]
    assert read.match("GET", f"{CONNECTIONS}/abc") == {"uuid": "abc"}
    assert read.match("GET", f"{CONNECTIONS}/") == {"uuid": ""}, "an empty segment is one"
    assert read.match("GET", f"{CONNECTIONS}/a/b") is None
    assert read.match("DELETE", f"{CONNECTIONS}/abc") is None
    assert read.match("GET", f"{CONNECTIONS}x/abc") is None, "the fixed part is literal"


@pytest.mark.parametrize("read_routes, statuses", [(True, [200, 200, 404, 404]),
                                                    (False, [404, 404, 404, 404])])
def test_the_assumed_routes_are_served_only_with_read_routes(
        read_routes: bool, statuses: list[int]) -> None:
    with MihuSimulator(read_routes=read_routes) as server:
        [uuid] = server.add_connections(1)
        answers = [requests.request(method, f"{server.base_url}{path}", timeout=5,
                                    headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"})
                   for method, path in [("GET", CONNECTIONS), ("GET", f"{CONNECTIONS}/{uuid}"),
                                        ("PUT", f"{CONNECTIONS}/{uuid}"),
                                        ("DELETE", f"{CONNECTIONS}/{uuid}/x")]]
        assert [a.status_code for a in answers] == statuses
        assert uuid in server.connections
