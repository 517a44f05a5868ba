"""How the client turns answers into errors, status by status, and how an error message
is composed; plus the session's life cycle."""

from __future__ import annotations

import email.utils
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pulumi_mihu.client import MihuClient
from pulumi_mihu.errors import (
    MihuApiError,
    MihuAuthError,
    MihuConflictError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
    MihuRateLimitError,
    MihuServerError,
    MihuTlsError,
    MihuTransportError,
    MihuValidationError,
)
from pulumi_mihu.testing import Fault, MihuSimulator
from support import settings_for

COLLECTION = "/channels/sip-trunk/connections"


def client_for(server: MihuSimulator, sleeps: list[float] | None = None,
               **overrides: object) -> MihuClient:
    return MihuClient(settings_for(server, **overrides),
                      sleep=(sleeps if sleeps is not None else []).append)


@pytest.mark.parametrize("status, cls", [
    (400, MihuValidationError), (401, MihuAuthError), (402, MihuApiError),
    (403, MihuAuthError), (404, MihuNotFoundError), (405, MihuMethodNotAllowedError),
    (409, MihuConflictError), (410, MihuApiError), (422, MihuValidationError),
    (429, MihuRateLimitError), (499, MihuApiError), (500, MihuServerError),
    (501, MihuMethodNotAllowedError), (502, MihuServerError), (503, MihuServerError),
    (504, MihuServerError), (300, MihuApiError), (302, MihuApiError),
])
def test_each_status_maps_to_its_error_class(sim: MihuSimulator, status: int,
                                             cls: type[MihuApiError]) -> None:
    sim.inject(Fault(status=status, method="POST", times=10))
    with pytest.raises(MihuApiError) as info:
        client_for(sim, max_attempts=1).post(COLLECTION, {"name": "x"})
    assert type(info.value) is cls
    assert info.value.status == status


def test_a_2xx_other_than_200_is_a_success(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=299, method="GET", body='{"success": true, "data": []}'))
    assert client_for(sim).get(COLLECTION) == {"success": True, "data": []}


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_get_is_retried_on_each_transient_status(sim: MihuSimulator, status: int) -> None:
    sim.inject(Fault(status=status, method="GET"))
    client_for(sim).get(COLLECTION)
    assert [r.status for r in sim.requests] == [status, 200]


@pytest.mark.parametrize("status", [500, 501, 400, 404, 409])
def test_other_statuses_are_not_retried(sim: MihuSimulator, status: int) -> None:
    sim.inject(Fault(status=status, method="GET"))
    with pytest.raises(MihuApiError):
        client_for(sim).get(COLLECTION)
    assert len(sim.requests) == 1


def test_401_and_403_hints_differ(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=401, method="GET"), Fault(status=403, method="GET"))
    client = client_for(sim)
    with pytest.raises(MihuAuthError) as unauthorized:
        client.get(COLLECTION)
    with pytest.raises(MihuAuthError) as forbidden:
        client.get(COLLECTION)
    assert "Check the token" in str(unauthorized.value)
    assert "lacks a permission" not in str(unauthorized.value)
    assert ". The token is valid but lacks a permission for this call. Check the token (" in str(
        forbidden.value)


def test_429_after_the_retries_says_how_to_wait_longer(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=429, method="GET", retry_after="0", times=5))
    with pytest.raises(MihuRateLimitError, match=r"Rate limited; retries were spent"):
        client_for(sim, max_attempts=2).get(COLLECTION)
    assert len(sim.requests) == 2


def test_a_retry_after_date_in_the_past_means_retry_now(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=503, method="GET",
                     retry_after=email.utils.formatdate(time.time() - 60, usegmt=True)))
    sleeps: list[float] = []
    client_for(sim, sleeps).get(COLLECTION)
    assert sleeps == [0.0]


@pytest.mark.parametrize("value", ["soon", "12 parsecs", "-5"])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(sim: MihuSimulator,
                                                             value: str) -> None:
    sim.inject(Fault(status=503, method="GET", retry_after=value))
    sleeps: list[float] = []
    client_for(sim, sleeps, retry_base_delay=0.02).get(COLLECTION)
    assert len(sleeps) == 1 and 0.01 <= sleeps[0] <= 0.02


def test_close_ends_the_session_and_the_next_call_opens_another(sim: MihuSimulator) -> None:
    client = client_for(sim)
    client.get(COLLECTION)
    first = client.session
    client.close()
    assert client._session is None
    client.close()  # closing twice is harmless
    client.get(COLLECTION)
    assert client.session is not first
    assert sim.state.tcp_connections == 2


def test_importing_the_package_does_not_import_requests() -> None:
    """`requests` is imported on the first API call (README, Performance)."""
    code = "import sys, pulumi_mihu; print('requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


# -- composing the message -------------------------------------------------------------


def test_an_api_error_message_has_every_part_in_order() -> None:
    error = MihuApiError(method="POST", path="/api/v1/x", status=422, message="Validation failed",
                         code="VALIDATION_ERROR", field="gateway", details="must be a host",
                         hint="Fix it")
    assert str(error) == ("Mihu API POST /api/v1/x failed: HTTP 422, code VALIDATION_ERROR, "
                          "field 'gateway': Validation failed (must be a host). Fix it")
    assert (error.method, error.path, error.status, error.code, error.field, error.api_message,
            error.details) == ("POST", "/api/v1/x", 422, "VALIDATION_ERROR", "gateway",
                               "Validation failed", "must be a host")


def test_an_api_error_message_leaves_out_what_is_missing_or_repeated() -> None:
    bare = MihuApiError(method="GET", path="/p", status=500, message="Oops")
    assert str(bare) == "Mihu API GET /p failed: HTTP 500: Oops"
    same = MihuApiError(method="GET", path="/p", status=500, message="Oops", details="Oops")
    assert str(same) == "Mihu API GET /p failed: HTTP 500: Oops"
    empty = MihuApiError(method="GET", path="/p", status=500, message="Oops", code="",
                         field="", details="", hint="")
    assert str(empty) == "Mihu API GET /p failed: HTTP 500: Oops"


def test_details_are_shown_whether_they_sort_before_or_after_the_message() -> None:
    for details in ("Aardvark", "Zebra"):
        error = MihuApiError(method="GET", path="/p", status=500, message="Middle",
                             details=details)
        assert str(error) == f"Mihu API GET /p failed: HTTP 500: Middle ({details})"


def test_a_transport_error_says_whether_the_request_may_have_been_sent() -> None:
    assert MihuTransportError("x", request_sent=True).request_sent is True
    assert MihuTransportError("x", request_sent=False).request_sent is False
    assert str(MihuTransportError("no answer", request_sent=False)) == "no answer"


def test_the_first_problem_of_a_laravel_error_list_is_the_details() -> None:
    from pulumi_mihu.client import parse_error_body

    body = {"message": "The given data was invalid.",
            "errors": {"gateway": ["first problem", "second problem"], "name": ["other"]}}
    assert parse_error_body(body) == ("The given data was invalid.", None, "gateway",
                                      "first problem")


@pytest.mark.parametrize("status, hint", [
    (400, "The API refused what was sent: correct the input it names in the program, then "
          "run the command again"),
    (422, "The API refused what was sent: correct the input it names in the program, then "
          "run the command again"),
    (500, "The Mihu API failed on its side (retried where that is safe); run the command "
          "again later"),
    (599, "The Mihu API failed on its side (retried where that is safe); run the command "
          "again later"),
    (404, None), (409, None), (499, None), (401, "Check the token ("), (429, "Rate limited")])
def test_each_status_gets_its_own_advice(sim: MihuSimulator, status: int,
                                         hint: str | None) -> None:
    sim.inject(Fault(status=status, method="POST", body='{"message": "Nope"}'))
    with pytest.raises(MihuApiError) as info:
        client_for(sim, max_attempts=1).post(COLLECTION, {"name": "x"})
    text = str(info.value)
    if hint is None:
        assert text.endswith(f"failed: HTTP {status}: Nope"), text
    else:
        assert f"failed: HTTP {status}: Nope. {hint}" in text, text


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_only_a_429_gets_the_rate_limit_hint(sim: MihuSimulator, status: int) -> None:
    sim.inject(Fault(status=status, method="POST"))
    with pytest.raises(MihuApiError) as info:
        client_for(sim).post(COLLECTION, {"name": "x"})
    assert "Rate limited" not in str(info.value) and "Check the token" not in str(info.value)


# -- transport failures, the environment, redirects -----------------------------------------


def refused() -> object:
    import urllib3

    # No pool or connection (None), as urllib3 itself rebuilds these exceptions when they
    # are unpickled (their __reduce__); its annotations do not admit None.
    return urllib3.exceptions.MaxRetryError(
        None, "/x",  # type: ignore[arg-type]
        reason=urllib3.exceptions.NewConnectionError(None, "refused"))  # type: ignore[arg-type]


def transport_cases() -> list[tuple[object, bool, str]]:
    """(exception, may have been sent, description) for what requests raises."""
    import requests
    import urllib3

    exc = requests.exceptions
    return [
        (exc.ConnectionError(refused()), False, "connection refused or host unreachable"),
        (exc.ConnectionError(refused(), "request"), False,
         "connection refused or host unreachable"),
        (exc.ConnectionError(
            urllib3.exceptions.NewConnectionError(None, "x"),  # type: ignore[arg-type]
            "request"), False, "connection dropped"),
        (exc.ConnectionError(urllib3.exceptions.ConnectTimeoutError("slow"), "request"), False,
         "connection dropped"),
        (exc.ConnectionError(urllib3.exceptions.ProtocolError("reset"), "request"), True,
         "connection dropped"),
        (exc.ConnectionError(), True, "connection dropped"),
        (exc.ConnectTimeout(refused()), False, "connect timed out"),
        (exc.ReadTimeout(refused()), True, "timed out waiting for the answer"),
        (exc.SSLError(urllib3.exceptions.SSLError("bad certificate")), True, "TLS error"),
        (exc.ChunkedEncodingError(refused()), True, "ChunkedEncodingError"),
        (exc.RequestException(refused()), True, "RequestException"),
    ]


def test_whether_a_failed_request_may_have_been_sent() -> None:
    from pulumi_mihu.client import _describe_transport_error, _may_have_been_sent

    for error, sent, description in transport_cases():
        assert _may_have_been_sent(error) is sent, error  # type: ignore[arg-type]
        assert _describe_transport_error(error) == description, error  # type: ignore[arg-type]


def test_a_ca_bundle_from_the_environment_is_used(sim: MihuSimulator, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    curl, requests_bundle = tmp_path / "curl-bundle.pem", tmp_path / "requests-bundle.pem"
    curl.write_text("")
    requests_bundle.write_text("")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert client_for(sim).session.verify is True
    monkeypatch.setenv("CURL_CA_BUNDLE", str(curl))
    assert client_for(sim).session.verify == str(curl)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(requests_bundle))
    assert client_for(sim).session.verify == str(requests_bundle)
    assert client_for(sim).session.trust_env is False


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_that_does_not_exist_is_a_tls_configuration_error(
        sim: MihuSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        variable: str) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    missing = tmp_path / "nowhere.pem"
    monkeypatch.setenv(variable, str(missing))
    with pytest.raises(MihuTlsError) as info:
        client_for(sim).get(COLLECTION)
    assert str(info.value) == (
        f"{variable} names the CA bundle {str(missing)!r}, which does not exist: point it at "
        f"a PEM file of the CA certificates to trust for {sim.base_url}, or unset it to use "
        "the system's.")
    assert sim.requests == []


def test_a_redirect_is_an_error_not_followed(sim: MihuSimulator) -> None:
    """A 3xx could send the token to another host; the client stops at it."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", sim.base_url + "/api/v1" + COLLECTION)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = MihuClient(settings_for(sim, base_url=f"http://127.0.0.1:{server.server_port}"))
        with pytest.raises(MihuApiError) as info:
            client.get(COLLECTION)
    finally:
        server.shutdown()
        server.server_close()
    assert info.value.status == 302
    assert sim.requests == []


def test_a_non_json_error_body_is_quoted_up_to_200_characters(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="non_json", status=400, method="GET", body="x" * 1000))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).get(COLLECTION)
    assert f"'{'x' * 200}'" in str(info.value)
    assert "x" * 201 not in str(info.value)


@pytest.mark.parametrize("body, expected", [
    ({"message": "m", "errors": ["first", "second"]}, ("m", None, None, None)),
    ({"message": "m", "errors": {}}, ("m", None, None, None)),
    ({"message": "m", "errors": {"gateway": "must be a host"}},
     ("m", None, "gateway", "must be a host")),
    ({"message": "m", "errors": {"gateway": []}}, ("m", None, "gateway", None)),
])
def test_laravel_style_errors_of_other_shapes(body: dict[str, object],
                                              expected: tuple[object, ...]) -> None:
    from pulumi_mihu.client import parse_error_body

    assert parse_error_body(body) == expected


def test_an_error_body_of_an_unexpected_shape_is_quoted_after_the_reason(
        sim: MihuSimulator) -> None:
    sim.inject(Fault(status=400, method="GET", body='{"weird": 1}'))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).get(COLLECTION)
    assert str(info.value).endswith(
        "HTTP 400: Bad Request (JSON of an unexpected shape: '{\"weird\": 1}'). The API "
        "refused what was sent: correct the input it names in the program, then run the "
        "command again")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_get_no_rate_limit_hint(sim: MihuSimulator, status: int) -> None:
    sim.inject(Fault(status=status, method="POST"))
    with pytest.raises(MihuServerError) as info:
        client_for(sim).post(COLLECTION, {"name": "x"})
    assert "Rate limited" not in str(info.value)


def test_a_final_1xx_status_is_not_a_success(sim: MihuSimulator) -> None:
    """Only 2xx is success: a misbehaving proxy's final 199 is an error, not an empty
    answer that a create would take as accepted."""
    sim.inject(Fault(status=199, method="GET", body=""))
    with pytest.raises(MihuApiError):
        MihuClient(settings_for(sim, max_attempts=1)).get("/channels/sip-trunk/connections")


def test_max_attempts_below_one_in_code_built_settings_means_one_try(
        sim: MihuSimulator) -> None:
    """Settings built in code skip resolve()'s checks: a max_attempts of 0 still sends the
    request once and does not retry until the deadline."""
    sim.inject(Fault(status=503, method="GET", times=50))
    sleeps: list[float] = []
    client = MihuClient(settings_for(sim, max_attempts=0, retry_deadline=5.0),
                        sleep=sleeps.append)
    with pytest.raises(MihuServerError):
        client.get("/channels/sip-trunk/connections")
    assert len(sim.requests) == 1 and sleeps == []
