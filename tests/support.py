"""Helpers for tests: settings, providers and inputs pointed at a simulator."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from pulumi_mihu import MihuSettings, SipTrunkConnectionProvider
from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator

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
