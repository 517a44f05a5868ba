"""Errors and warnings as the real Pulumi CLI prints them: a failed create shows the
message and no frame of pulumi_mihu; an API message that echoes a credential is
withheld whole; a token stored without --secret is warned about once per run."""

from __future__ import annotations

import json
import re

from pulumi_mihu._provider import FRAME_FILE
from pulumi_mihu.testing import Fault, MihuSimulator
from support import MakeCli, output_text

TRUNK = "SipTrunkConnection"
REFUSED_422 = json.dumps({"success": False, "message": "Validation failed",
                          "error": {"code": "VALIDATION_ERROR", "field": "gateway",
                                    "details": "gateway must be a SIP server host"}})


def error_block(text: str, resource: str) -> list[str]:
    """The lines of the Diagnostics section's error of ``resource``: from its ``error:``
    line to the line before the next blank one."""
    lines = text.splitlines()
    start = lines.index(f"  pulumi-python:dynamic/mihu:{TRUNK} ({resource}):")
    block = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        block.append(line)
    return block


def test_a_failed_create_prints_its_message_and_no_frame_of_the_package(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """Before: a 24-line block, 9 frames of which 7 were pulumi_mihu's, with source lines.
    Now: the SDK host's two frames, one ``<pulumi-mihu>`` line, the message."""
    cli = make_cli(sim)
    sim.inject(Fault(status=422, method="POST", body=REFUSED_422))
    text = output_text(cli.up(expect_failure=True))
    block = error_block(text, "trunk-0")
    assert block[0] == "    error: Traceback (most recent call last):"
    assert not [line for line in block if "pulumi_mihu/" in line or "pulumi_mihu\\" in line]
    assert [line.strip() for line in block if FRAME_FILE in line] == [
        f'File "{FRAME_FILE}", line {line.split("line ")[1].split(",")[0]}, in create'
        for line in block if FRAME_FILE in line]
    assert sum(FRAME_FILE in line for line in block) == 1
    assert block[-1] == (
        "    pulumi_mihu.errors.MihuValidationError: Mihu API POST "
        f"/api/v1/channels/sip-trunk/connections at {sim.base_url} (settings from the stack "
        "config) failed: HTTP 422, code VALIDATION_ERROR, field 'gateway': Validation failed "
        "(gateway must be a SIP server host). The API refused what was sent: correct the "
        "input it names in the program, then run the command again")
    assert len(block) <= 9, "\n".join(block)
    assert "pulumi_mihu/" not in text
    assert sim.connections == {}


def test_an_api_message_echoing_the_password_shows_no_fragment_of_it(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """The issue's case through the CLI: SIP password "Service" and the simulator's 503
    "Service temporarily unavailable" on a refresh."""
    cli = make_cli(sim, sipPassword="Service")
    cli.up()
    sim.inject(Fault(status=503, method="GET", path_prefix="/api/v1/channels", times=10))
    text = output_text(cli.refresh(expect_failure=True))
    assert ("failed: HTTP 503, code SERVICE_UNAVAILABLE: the API's message was withheld "
            "because it echoed a credential (the API token or a SIP username or password). "
            "The Mihu API failed on its side (retried where that is safe); run the command "
            "again later") in text
    for fragment in ("Service", "temporarily", "unavailable", "[redacted]"):
        assert fragment not in text, fragment


def test_a_token_stored_in_plain_text_is_warned_about_once_per_run(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    warning = "mihu:apiToken is set in the stack config in plain text"
    cli = make_cli(sim, {"count": 2})
    token = sim.state.token
    cli.set_config({"mihu:apiToken": token})  # --plaintext
    # (not `preview --json`: it prints the stack config, plain-text token included)
    preview = output_text(cli.preview())  # --diff: the diagnostics once, at the end
    assert preview.count(warning) == 1, preview
    assert ("warning: mihu:apiToken is set in the stack config in plain text, not as a "
            "secret, so Pulumi copies it unencrypted into the stack's state (the inputs of "
            "the default pulumi-python provider). Make it a secret: `pulumi config set "
            "--secret mihu:apiToken <token>`, then `pulumi up` re-encrypts it in the state. "
            "The stack's history and backups keep the plain-text value: rotate the token in "
            "the Mihu console and set the new one that way.") in preview

    up = output_text(cli.up())
    diagnostics = up.split("Diagnostics:", 1)[1]
    assert diagnostics.count(warning) == 1, diagnostics
    assert token.encode() in cli.stack_file().read_bytes(), "what the warning is about"

    cli.run("config", "set", "--secret", "mihu:apiToken", token,
            shown_as="config set --secret mihu:apiToken [token]")
    fixed = output_text(cli.up())
    assert warning not in fixed
    assert token.encode() not in cli.stack_file().read_bytes(), "the fix works"
    assert warning not in output_text(cli.preview())


def test_a_secret_token_or_one_from_the_environment_gets_no_warning(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim)  # the token is a secret
    assert "plain text" not in output_text(cli.preview())
    # Every mihu:* key, in one CLI run: the provider then reads the environment.
    cli.run("config", "rm-all", "mihu:apiToken", "mihu:baseUrl", "mihu:retryBaseDelay",
            "mihu:maxAttempts")
    cli.env.update({"MIHU_API_TOKEN": sim.state.token, "MIHU_BASE_URL": sim.base_url})
    up = output_text(cli.up())
    assert "plain text" not in up
    assert re.search(r"\+ 2 created", up), up



TLS_ADVICE = ("This is a configuration error, not an outage, so it was not retried: check "
              "that the base URL (stack config 'mihu:baseUrl' or environment variable "
              "MIHU_BASE_URL, or stack config 'mihu:subdomain' or environment variable "
              "MIHU_SUBDOMAIN) is the API's https:// address, and, behind a proxy or gateway "
              "that re-signs TLS, set REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE to a PEM file of "
              "its CA certificates.")


def test_https_to_a_plain_http_api_is_a_configuration_error_tried_once(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """A read (``SipTrunkConnection.get``) goes through the client with nothing around it:
    the TLS error as the client words it, after one connection."""
    https = sim.base_url.replace("http://", "https://")
    cli = make_cli(sim, {"count": 0, "get": "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
                   **{"mihu:baseUrl": https})
    text = output_text(cli.up(expect_failure=True))
    assert (f"the TLS (https) connection to {https} (settings from the stack config) failed: "
            "the server does not speak TLS there (") in text
    assert TLS_ADVICE in text
    assert "when the Mihu API answers" not in text and "pulumi up` again" not in text
    assert sim.state.tcp_connections == 1, "one try, no retry"


def test_a_create_over_https_to_a_plain_http_api_gets_no_retry_advice(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli = make_cli(sim, **{"mihu:baseUrl": sim.base_url.replace("http://", "https://")})
    text = output_text(cli.up(expect_failure=True))
    assert TLS_ADVICE in text
    assert "when the Mihu API answers" not in text
    assert sim.state.tcp_connections == 1 and sim.connections == {}
