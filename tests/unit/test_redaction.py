"""Withholding: a text from the server that echoes a credential is not shown at all (a
message with the credential cut out would show where it stood); what counts as an echo."""

from __future__ import annotations

import json

import pytest

from pulumi_mihu.client import MihuClient
from pulumi_mihu.errors import (
    ANYWHERE_LENGTH,
    MIN_DETECTED_LENGTH,
    UNCHECKABLE,
    WITHHELD,
    MihuApiError,
    MihuBadResponseError,
    MihuServerError,
    MihuValidationError,
    echoes,
)
from pulumi_mihu.testing import DEFAULT_TOKEN, Fault, MihuSimulator
from support import settings_for

MESSAGE = "Service temporarily unavailable"
REFUSED = (". The API refused what was sent: correct the input it names in the program, then "
           "run the command again")
SERVER = (". The Mihu API failed on its side (retried where that is safe); run the command "
          "again later")
COLLECTION = "/channels/sip-trunk/connections"


def test_a_one_to_three_character_credential_cannot_be_detected() -> None:
    assert MIN_DETECTED_LENGTH == 4
    assert not echoes(MESSAGE, ["v", "e", "ai", "Ser"])
    assert not echoes("abc", ["abc"])


def test_a_short_credential_is_detected_only_as_a_whole_word() -> None:
    assert MIN_DETECTED_LENGTH <= len("vice") < ANYWHERE_LENGTH == 8
    assert not echoes(MESSAGE, ["vice", "tempo", "Servic"])
    assert echoes(MESSAGE, ["Service"])
    assert echoes("username vice was refused", ["vice"])
    assert echoes('{"password":"abcd"}', ["abcd"])
    assert echoes("code_abcd", ["abcd"])  # an underscore is no part of a word here
    assert not echoes("codeabcd", ["abcd"])


def test_a_long_credential_is_detected_wherever_it_stands() -> None:
    assert echoes("password=S1pPassw0rd&x=1", ["S1pPassw0rd"])
    assert echoes("xS1pPassw0rdy", ["S1pPassw0rd"])
    assert echoes("xabcdefghy", ["abcdefgh"])
    assert not echoes("xabcdefgy", ["abcdefg"])


def test_nothing_is_detected_without_a_text_or_a_secret() -> None:
    assert not echoes(None, ["Service"])
    assert not echoes("", ["Service"])
    assert not echoes(MESSAGE, [None, ""])
    assert not echoes(MESSAGE, [])
    assert echoes(MESSAGE, [None, "", "Service"])


@pytest.mark.parametrize("echo", [
    '"P\\u00e4ss \\"wort\\"&7781"',  # JSON, non-ASCII escaped (json.dumps)
    '"P\u00e4ss \\"wort\\"&7781"',  # JSON, non-ASCII as is (ensure_ascii=False)
    "P%C3%A4ss%20%22wort%22%267781",  # URL-encoded (quote)
    "P%C3%A4ss+%22wort%22%267781",  # form-encoded (quote_plus)
    'P\u00e4ss "wort"&7781',  # as sent
])
def test_echoes_in_every_encoding_are_detected(echo: str) -> None:
    assert echoes(f"rejected: {echo}.", ['P\u00e4ss "wort"&7781'])


@pytest.mark.parametrize("secret, detected", [
    ("abc", False),  # 3 characters: cannot be detected
    ("abcd", True),  # 4 to 7: as a whole word
    ("abcdefg", True),
])
def test_the_documented_lengths_are_the_thresholds(secret: str, detected: bool) -> None:
    """The README's numbers, literally: not detected under 4 characters, as a whole word
    from 4, anywhere from 8."""
    assert echoes(f"{secret} in text", [secret]) is detected
    assert echoes(f"x{secret}x", [secret]) is False
    assert echoes(f"x{secret}hx", [secret + "h"]) is (len(secret) + 1 >= 8)


# -- the error built from an answer that echoes -------------------------------------------


def api_error(**overrides: object) -> MihuApiError:
    values: dict[str, object] = {
        "method": "POST", "path": "/api/v1/x", "status": 422, "message": "Validation failed",
        "code": "VALIDATION_ERROR", "field": "password", "details": "too short",
        "hint": "Fix it", "secrets": ["Secr3t-Passw0rd"]}
    values.update(overrides)
    return MihuApiError(**values)  # type: ignore[arg-type]


def test_the_withheld_text_says_why() -> None:
    assert WITHHELD == ("the API's message was withheld because it echoed a credential (the "
                        "API token or a SIP username or password)")


@pytest.mark.parametrize("where", ["message", "details"])
def test_a_message_or_details_that_echo_are_withheld_whole(where: str) -> None:
    error = api_error(**{where: "password Secr3t-Passw0rd is too short"})
    assert str(error) == ("Mihu API POST /api/v1/x failed: HTTP 422, code VALIDATION_ERROR, "
                          f"field 'password': {WITHHELD}. Fix it")
    assert (error.status, error.code, error.field, error.api_message, error.details,
            error.message_withheld) == (422, "VALIDATION_ERROR", "password", None, None, True)


def test_a_code_that_echoes_is_dropped_and_the_message_withheld() -> None:
    error = api_error(code="BAD_Secr3t-Passw0rd")
    assert str(error) == (f"Mihu API POST /api/v1/x failed: HTTP 422, field 'password': "
                          f"{WITHHELD}. Fix it")
    assert (error.code, error.field, error.api_message, error.details) == (
        None, "password", None, None)


def test_a_field_that_echoes_is_dropped_and_the_message_withheld() -> None:
    error = api_error(field="Secr3t-Passw0rd")
    assert str(error) == (f"Mihu API POST /api/v1/x failed: HTTP 422, code VALIDATION_ERROR: "
                          f"{WITHHELD}. Fix it")
    assert (error.code, error.field, error.message_withheld) == ("VALIDATION_ERROR", None, True)


def test_withhold_says_some_other_text_of_the_answer_echoed() -> None:
    error = api_error(withhold=True)
    assert error.message_withheld and error.api_message is None and error.details is None
    assert str(error).endswith(f"field 'password': {WITHHELD}. Fix it")


def test_an_answer_that_echoes_nothing_is_shown_whole() -> None:
    error = api_error()
    assert str(error) == ("Mihu API POST /api/v1/x failed: HTTP 422, code VALIDATION_ERROR, "
                          "field 'password': Validation failed (too short). Fix it")
    assert (error.api_message, error.details, error.message_withheld) == (
        "Validation failed", "too short", False)


# -- through the client, against the simulator ---------------------------------------------


def client_for(server: MihuSimulator, **overrides: object) -> MihuClient:
    return MihuClient(settings_for(server, **overrides), sleep=lambda _s: None)


def test_a_password_that_is_a_word_of_the_503_message_shows_none_of_it(
        sim: MihuSimulator) -> None:
    """The issue's case: password "Service", and the simulator's 503 "Service temporarily
    unavailable". Redaction gave "[redacted] temporarily unavailable"; now nothing of the
    message is shown, and the code (which does not echo it) still is."""
    sim.inject(Fault(status=503, method="POST", times=5))
    with pytest.raises(MihuServerError) as info:
        client_for(sim, max_attempts=1).post(COLLECTION, {"password": "Service"},
                                             secrets=["sipuser-x", "Service"])
    text = str(info.value)
    assert text == (f"Mihu API POST /api/v1{COLLECTION} at {sim.base_url} (settings from the "
                    f"code) failed: HTTP 503, code SERVICE_UNAVAILABLE: {WITHHELD}{SERVER}")
    for fragment in ("Service", "temporarily", "unavailable", "[redacted]"):
        assert fragment not in text
    assert info.value.api_message is None and info.value.details is None


def test_the_api_token_echoed_in_details_withholds_the_message(sim: MihuSimulator) -> None:
    body = json.dumps({"success": False, "message": "Unauthenticated",
                       "error": {"code": "AUTH", "details": f"token {DEFAULT_TOKEN} unknown"}})
    sim.inject(Fault(status=400, method="GET", body=body))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).get(COLLECTION)
    assert str(info.value).endswith(f"failed: HTTP 400, code AUTH: {WITHHELD}{REFUSED}")
    assert "Unauthenticated" not in str(info.value)


def test_a_non_json_body_that_echoes_is_not_quoted(sim: MihuSimulator) -> None:
    sim.inject(Fault(action="non_json", status=400, method="POST",
                     body="<p>bad password S1p-Passw0rd-e5d2b1</p>"))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).post(COLLECTION, {}, secrets=["S1p-Passw0rd-e5d2b1"])
    assert str(info.value).endswith(f"failed: HTTP 400: {WITHHELD}{REFUSED}")
    assert "bad password" not in str(info.value)


def test_a_credential_past_the_quoted_200_characters_still_withholds(
        sim: MihuSimulator) -> None:
    """The quote is cut at 200 characters: a credential straddling the cut would show its
    start, so the whole body is searched, not the quote."""
    secret = "S1p-Passw0rd-e5d2b1"
    sim.inject(Fault(action="non_json", status=400, method="POST",
                     body="x" * 195 + " " + secret))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).post(COLLECTION, {}, secrets=[secret])
    assert str(info.value).endswith(f"failed: HTTP 400: {WITHHELD}{REFUSED}")
    assert "S1p-P" not in str(info.value)


def test_a_credential_split_by_whitespace_the_quote_collapses_still_withholds(
        sim: MihuSimulator) -> None:
    secret = "two words"
    sim.inject(Fault(action="non_json", status=400, method="POST", body="got two\n\twords"))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).post(COLLECTION, {}, secrets=[secret])
    assert str(info.value).endswith(f"failed: HTTP 400: {WITHHELD}{REFUSED}")


def test_a_2xx_body_that_is_not_json_and_echoes_is_not_quoted(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=200, method="POST", body="created S1p-Passw0rd-e5d2b1"))
    with pytest.raises(MihuBadResponseError) as info:
        client_for(sim).post(COLLECTION, {}, secrets=["S1p-Passw0rd-e5d2b1"])
    assert str(info.value) == (f"Mihu API POST /api/v1{COLLECTION}: HTTP 200 with a body that "
                               "is not JSON (not shown: it echoed a credential)")


def test_a_2xx_body_that_is_not_json_is_quoted_when_it_echoes_nothing(
        sim: MihuSimulator) -> None:
    sim.inject(Fault(status=200, method="POST", body="created  it\n"))
    with pytest.raises(MihuBadResponseError) as info:
        client_for(sim).post(COLLECTION, {}, secrets=["S1p-Passw0rd-e5d2b1"])
    assert str(info.value) == (f"Mihu API POST /api/v1{COLLECTION}: HTTP 200 with a body that "
                               "is not JSON: 'created it'")


def test_a_reason_phrase_that_echoes_withholds_the_message() -> None:
    """The reason phrase of the status line is the server's text too."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(400, "Bad token " + DEFAULT_TOKEN)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"oops")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with MihuSimulator() as sim:
            client = MihuClient(settings_for(
                sim, base_url=f"http://127.0.0.1:{server.server_port}"))
        with pytest.raises(MihuValidationError) as info:
            client.get(COLLECTION)
    finally:
        server.shutdown()
        server.server_close()
    assert str(info.value).endswith(f"failed: HTTP 400: {WITHHELD}{REFUSED}")
    assert "oops" not in str(info.value) and "Bad token" not in str(info.value)


def test_a_2xx_body_echoing_a_credential_its_quote_would_collapse_is_not_quoted(
        sim: MihuSimulator) -> None:
    sim.inject(Fault(status=200, method="POST", body="created two\n\twords"))
    with pytest.raises(MihuBadResponseError) as info:
        client_for(sim).post(COLLECTION, {}, secrets=["two words"])
    assert str(info.value).endswith("is not JSON (not shown: it echoed a credential)")


@pytest.mark.parametrize(("secret", "echo"), [
    # Each echo is in one form only, so losing that form (a character cut off either end
    # of it) is seen: short secrets are matched as whole words.
    ("päss", "bad password p\\u00e4ss here"),            # JSON, non-ASCII escaped
    ("pä\"s", "bad password pä\\\"s here"),              # JSON, non-ASCII kept
    ('Tr"ck&9pass', 'bad password Tr"ck&amp;9pass here'),  # HTML, quotes kept
    ('Tr"ck&9pass', "bad password Tr&quot;ck&amp;9pass here"),  # HTML, quotes escaped
])
def test_each_echo_form_is_detected_on_its_own(secret: str, echo: str) -> None:
    assert echoes(echo, [secret])
    assert not echoes(echo.replace("here", ""), ["unrelated-secret"])


def test_an_unchecked_read_shows_the_status_and_code_but_no_text_of_the_server(
        sim: MihuSimulator) -> None:
    """A read without state (a get, an import, a lookup) does not know the connection's
    credentials, so it cannot tell whether the server's text echoes one: it shows none of
    it, whatever it says (the field too), and says why; the status and the code stay."""
    body = json.dumps({"success": False, "message": "user sipuser-77 locked",
                       "error": {"code": "LOCKED", "field": "sipuser-77",
                                 "details": "password S1p-Passw0rd-e5d2b1"}})
    sim.inject(Fault(status=400, method="GET", body=body))
    with pytest.raises(MihuValidationError) as info:
        client_for(sim).get(COLLECTION + "/u", credentials_unknown=True)
    text = str(info.value)
    assert text.endswith(f"failed: HTTP 400, code LOCKED: {UNCHECKABLE}{REFUSED}"), text
    assert "sipuser" not in text and "S1p" not in text and "locked" not in text
    assert (info.value.api_message, info.value.details, info.value.field) == (None, None, None)
    assert info.value.message_withheld
    sim.inject(Fault(action="non_json", status=200, method="GET", body="<p>user x</p>"))
    with pytest.raises(MihuBadResponseError) as bad:
        client_for(sim).get(COLLECTION + "/u", credentials_unknown=True)
    assert str(bad.value).endswith("with a body that is not JSON (not shown: the "
                                   "credentials of what was read are not known)")
    # The same answers to a checked read are shown: nothing in them is a known secret.
    sim.inject(Fault(status=400, method="GET", body=body))
    with pytest.raises(MihuValidationError) as shown:
        client_for(sim).get(COLLECTION + "/u")
    assert "user sipuser-77 locked" in str(shown.value)
    assert shown.value.field == "sipuser-77"
