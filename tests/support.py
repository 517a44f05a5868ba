"""Helpers for tests: settings, providers and inputs pointed at a simulator."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from pulumi_mihu import MihuSettings, SipTrunkConnectionProvider
from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli, pulumi_path

#: Credentials used across tests: distinctive, so a leak is found by a plain substring scan.
SIP_USERNAME = "sipuser-7f3a9c"
SIP_PASSWORD = "S1p-Passw0rd-e5d2b1"


def settings_for(server: MihuSimulator, **overrides: Any) -> MihuSettings:
    values: dict[str, Any] = {"api_token": SecretStr(DEFAULT_TOKEN),
                              "base_url": server.base_url, "retry_base_delay": 0.01,
                              "request_timeout": 5.0}
    values.update(overrides)
    return MihuSettings(**values)


def provider_for(server: MihuSimulator, **overrides: Any) -> SipTrunkConnectionProvider:
    provider = SipTrunkConnectionProvider()
    provider.configure_with(settings_for(server, **overrides))
    return provider


def trunk_inputs(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "name": "main-line",
        "phone_number": "+15551230000",
        "gateway": "sip.telnyx.com",
        "username": SIP_USERNAME,
        "password": SIP_PASSWORD,
    }
    inputs.update(overrides)
    return inputs


def stack_config(server: MihuSimulator, **extra: str) -> dict[str, str]:
    config = {"mihu:apiToken": DEFAULT_TOKEN, "mihu:baseUrl": server.base_url,
              "mihu:retryBaseDelay": "0.01"}
    config.update(extra)
    return config


# -- the real Pulumi CLI ---------------------------------------------------------------

#: The project of tests/cli_programs/trunks.py.
CLI_PROJECT = "mihu-cli-tests"
#: Other credentials tests switch to; they must never be printed either.
ROTATED_USERNAME = "sipuser-rot-41d8e2"
ROTATED_PASSWORD = "R0tated-Passw0rd-9c4f7a"
WRONG_TOKEN = "wrong-token-5b6c7d8e9f"
CREDENTIALS = (DEFAULT_TOKEN, SIP_USERNAME, SIP_PASSWORD, ROTATED_USERNAME, ROTATED_PASSWORD,
               WRONG_TOKEN)


def require_cli() -> None:
    """Skip a test without the Pulumi CLI; in CI (CI=true) fail it instead."""
    if pulumi_path() is None:
        message = ("the Pulumi CLI is not on PATH or in ~/.pulumi/bin; "
                   "scripts/install-pulumi-cli.sh builds and installs it")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (in CI a missing CLI is a failure)", pytrace=False)
        pytest.skip(message)


def cli_config(server: MihuSimulator, spec: dict[str, Any] | None = None,
               **extra: str) -> tuple[dict[str, str], set[str]]:
    """The config of a CLI test stack: token and base URL of ``server``, fast retries, the
    SIP credentials (secret) and the program's ``spec``. ``extra`` keys without a
    namespace are the project's (``sipPassword=...``)."""
    config = {"mihu:apiToken": server.state.token, "mihu:baseUrl": server.base_url,
              "mihu:retryBaseDelay": "0.01", "mihu:maxAttempts": "3",
              f"{CLI_PROJECT}:sipUsername": SIP_USERNAME,
              f"{CLI_PROJECT}:sipPassword": SIP_PASSWORD,
              f"{CLI_PROJECT}:spec": json.dumps(spec or {})}
    for key, value in extra.items():
        config[key if ":" in key else f"{CLI_PROJECT}:{key}"] = value
    secret = {"mihu:apiToken", f"{CLI_PROJECT}:sipUsername", f"{CLI_PROJECT}:sipPassword"}
    return config, secret


def assert_no_credentials(text: str, where: str) -> None:
    for secret in CREDENTIALS:
        assert secret not in text, f"a credential ({secret[:6]}...) appears in {where}"


#: The ``make_cli`` fixture of conftest.py: a CLI stack for a simulator and a program spec.
MakeCli = Callable[..., PulumiCli]


def output_text(result: subprocess.CompletedProcess[str]) -> str:
    """What a CLI command printed, both streams."""
    return result.stdout + result.stderr


def requests_since(server: MihuSimulator, since: int = 0) -> list[tuple[str, str]]:
    """(method, last path segment) of the requests ``server`` received since ``since``."""
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in server.requests[since:]]
