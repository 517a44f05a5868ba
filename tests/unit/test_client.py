"""The HTTP client against the simulator: headers, error mapping, and what is retried."""

from __future__ import annotations

import email.utils
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu.client import USER_AGENT, MihuClient, parse_error_body
from pulumi_mihu.errors import (
    MihuAuthError,
    MihuError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
    MihuRateLimitError,
    MihuServerError,
    MihuTransportError,
    MihuValidationError,
)
from pulumi_mihu.testing import DEFAULT_TOKEN, Fault, MihuSimulator
from pulumi_mihu.testing.simulator import _Handler
from support import SIP_PASSWORD, SIP_USERNAME, settings_for, trunk_inputs

COLLECTION = "/channels/sip-trunk/connections"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(server: MihuSimulator, sleeps: Sleeps | None = None,
               **overrides: Any) -> MihuClient:
    sleep = sleeps if sleeps is not None else Sleeps()
    return MihuClient(settings_for(server, **overrides), sleep=sleep)


def test_create_sends_bearer_json_and_user_agent(sim: MihuSimulator) -> None:
    captured: dict[str, str] = {}

    original = _Handler._route

    def spy(handler: _Handler, method: str, path: str, body: Any,
            bad_json: bool) -> tuple[int, Any]:
        captured.update(handler.headers)
        return original(handler, method, path, body, bad_json)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Handler, "_route", spy)
        body = client_for(sim).post(COLLECTION, trunk_inputs())
    assert body is not None
    assert body["data"]["uuid"] in sim.connections
    assert captured["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert captured["Content-Type"] == "application/json"
    assert captured["User-Agent"] == USER_AGENT


def test_one_connection_is_reused_for_sequential_requests(sim: MihuSimulator) -> None:
    client = client_for(sim)
    for _ in range(10):
        client.get(COLLECTION)
    assert sim.state.tcp_connections == 1


def test_wrong_token_maps_to_auth_error_with_a_hint_and_no_token(sim: MihuSimulator) -> None:
    from pydantic import SecretStr
    wrong = "wrong-token-value-123"
    client = client_for(sim, api_token=SecretStr(wrong))
    with pytest.raises(MihuAuthError) as info:
        client.get(COLLECTION)
    error = info.value
    assert (error.status, error.code) == (401, "INVALID_AUTH_TOKEN")
    assert "mihu:apiToken" in str(error) and sim.base_url in str(error)
    assert wrong not in str(error)
    assert len(sim.requests) == 1, "401 is not retried"


def test_validation_error_carries_the_field(sim: MihuSimulator) -> None:
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).post(COLLECTION, trunk_inputs(gateway="sip://x.example.com"))
    assert info.value.status == 422
    assert info.value.field == "gateway"
    assert "field 'gateway'" in str(info.value)


def test_get_is_retried_on_503_then_succeeds(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=503, method="GET", times=2))
    sleeps = Sleeps()
    client_for(sim, sleeps).get(COLLECTION)
    assert [r.status for r in sim.requests] == [503, 503, 200]
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9


def test_retry_after_seconds_is_honoured(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=429, retry_after="3", method="GET"))
    sleeps = Sleeps()
    client_for(sim, sleeps).get(COLLECTION)
    assert sleeps == [3.0]


def test_retry_after_http_date_is_honoured(sim: MihuSimulator) -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    sim.inject(Fault(status=503, retry_after=when, method="DELETE"))
    sleeps = Sleeps()
    with pytest.raises(MihuNotFoundError):
        client_for(sim, sleeps).delete(COLLECTION + "/nope")
    assert len(sleeps) == 1 and 3.0 < sleeps[0] <= 5.0


def test_retry_after_beyond_the_deadline_fails_at_once(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=429, retry_after="600", method="GET"))
    sleeps = Sleeps()
    with pytest.raises(MihuRateLimitError, match="retryDeadline"):
        client_for(sim, sleeps, retry_deadline=30.0).get(COLLECTION)
    assert sleeps == []


def test_attempts_are_bounded(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=502, method="GET", times=10))
    with pytest.raises(MihuServerError):
        client_for(sim, max_attempts=3).get(COLLECTION)
    assert len(sim.requests) == 3


def test_post_is_retried_on_429_which_proves_it_was_not_processed(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=429, method="POST", retry_after="0"))
    client_for(sim).post(COLLECTION, trunk_inputs())
    assert [r.status for r in sim.requests] == [429, 201]
    assert len(sim.connections) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_is_not_repeated_after_a_5xx(sim: MihuSimulator, status: int) -> None:
    sim.inject(Fault(status=status, method="POST"))
    with pytest.raises(MihuServerError):
        client_for(sim).post(COLLECTION, trunk_inputs())
    assert len(sim.requests_to("POST")) == 1


def test_post_dropped_after_processing_is_not_repeated(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="drop_after", method="POST"))
    with pytest.raises(MihuTransportError) as info:
        client_for(sim).post(COLLECTION, trunk_inputs())
    assert info.value.request_sent
    assert len(sim.requests_to("POST")) == 1
    assert len(sim.connections) == 1


def test_get_dropped_before_processing_is_retried(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="drop_before", method="GET"))
    client_for(sim).get(COLLECTION)
    assert [r.status for r in sim.requests] == [None, 200]  # dropped unanswered, then retried


def test_read_timeout_is_a_transport_error_that_may_have_been_sent(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="status", status=201, method="POST", delay=1.0))
    with pytest.raises(MihuTransportError, match="timed out") as info:
        client_for(sim, request_timeout=0.2).post(COLLECTION, trunk_inputs())
    assert info.value.request_sent


def test_connection_refused_is_safe_to_retry_even_for_post() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = MihuSimulator.__new__(MihuSimulator)  # only for its base_url shape
    server.server_address = ("127.0.0.1", port)
    sleeps = Sleeps()
    with pytest.raises(MihuTransportError) as info:
        client_for(server, sleeps, max_attempts=3).post(COLLECTION, trunk_inputs())
    assert not info.value.request_sent
    assert len(sleeps) == 2, "refused connections were retried"
    assert "refused" in str(info.value)


def test_non_json_error_body_does_not_crash(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="non_json", status=502, method="GET", times=5))
    with pytest.raises(MihuServerError, match=r"non-JSON body.*Bad Gateway"):
        client_for(sim, max_attempts=2).get(COLLECTION)


def test_route_missing_as_405_maps_to_method_not_allowed() -> None:
    with MihuSimulator(read_routes=False, missing_route_status=405) as server, \
            pytest.raises(MihuMethodNotAllowedError):
        client_for(server).delete(COLLECTION + "/abc")


def test_slow_body_within_the_timeout_is_read_whole(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="slow_body", method="GET", delay=0.3))
    body = client_for(sim).get(COLLECTION)
    assert body is not None and body["data"]["items"] == []


def test_an_api_that_echoes_credentials_has_its_message_withheld(sim: MihuSimulator) -> None:
    echo = json.dumps({"success": False, "message": f"bad password {SIP_PASSWORD}",
                       "error": {"code": "VALIDATION_ERROR", "field": "password",
                                 "details": f"user {SIP_USERNAME} token {DEFAULT_TOKEN}"}})
    sim.inject(Fault(status=422, method="POST", body=echo))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).post(COLLECTION, trunk_inputs(),
                             secrets=[SIP_USERNAME, SIP_PASSWORD])
    text = str(info.value) + repr(info.value.__dict__)
    for secret in (SIP_PASSWORD, SIP_USERNAME, DEFAULT_TOKEN):
        assert secret not in text
    assert "bad password" not in text and "user " not in text
    assert str(info.value).endswith(
        "failed: HTTP 422, code VALIDATION_ERROR, field 'password': the API's message was "
        "withheld because it echoed a credential (the API token or a SIP username or password). "
        "The API refused what was sent: correct the input it names in the program, then run the "
        "command again")


def test_a_success_body_that_is_not_json_is_a_clear_error(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=200, method="GET", body="OK"))
    with pytest.raises(MihuError, match="not JSON"):
        client_for(sim).get(COLLECTION)


@pytest.mark.parametrize("body, expected", [
    ({"success": False, "message": "Validation failed",
      "error": {"code": "VALIDATION_ERROR", "details": "too long", "field": "name"}},
     ("Validation failed", "VALIDATION_ERROR", "name", "too long")),
    ({"success": False, "data": {"error": {"code": "PHONE_IN_USE", "message": "in use"}}},
     ("in use", "PHONE_IN_USE", None, None)),
    ({"message": "The given data was invalid.", "errors": {"gateway": ["bad host"]}},
     ("The given data was invalid.", None, "gateway", "bad host")),
    ({"error": "Unauthorized"}, ("Unauthorized", None, None, None)),
    ({"error": {"code": 5}}, (None, "5", None, None)),
    (["not", "an", "object"], (None, None, None, None)),
    ("text", (None, None, None, None)),
    (None, (None, None, None, None)),
])
def test_error_bodies_of_every_shape_are_parsed_or_ignored(
        body: Any, expected: tuple[str | None, str | None, str | None, str | None]) -> None:
    assert parse_error_body(body) == expected


def test_the_client_refuses_to_be_pickled(sim: MihuSimulator) -> None:
    import pickle
    with pytest.raises(TypeError):
        pickle.dumps(client_for(sim))


def test_a_netrc_entry_for_the_api_host_does_not_replace_the_token(
        sim: MihuSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert client_for(sim).get(COLLECTION)["data"]["items"] == []  # type: ignore[index]
