"""Settings rules one by one: the documented defaults, the number and URL checks, and
immutability. (Precedence between stack config and environment is in test_settings.py.)"""

from __future__ import annotations

import dataclasses

import pytest

from pulumi_mihu import MihuConfigError, MihuSettings
from pulumi_mihu.settings import API_TOKEN, Secret, is_loopback_host, normalize_base_url

TOKEN = "tok-abcdef123456"


def resolve(**config: str) -> MihuSettings:
    return MihuSettings.resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "demo",
                                 **{f"mihu:{k}": v for k, v in config.items()}}, {})


def test_the_documented_defaults() -> None:
    settings = resolve()
    assert (settings.request_timeout, settings.max_attempts, settings.retry_deadline,
            settings.retry_base_delay, settings.create_settle_time) == (30.0, 5, 120.0, 0.5, 30.0)
    direct = MihuSettings(api_token=Secret(TOKEN), base_url="https://demo.mihu.ai")
    assert direct == settings


def test_settings_cannot_be_changed_after_validation() -> None:
    settings = resolve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.base_url = "http://evil.example"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        API_TOKEN.env = "OTHER"  # type: ignore[misc]


@pytest.mark.parametrize("key, value, expected", [
    ("requestTimeout", "0.5", 0.5), ("retryDeadline", "1", 1.0),
    ("retryBaseDelay", "0.01", 0.01), ("maxAttempts", "1", 1), ("maxAttempts", "3.0", 3),
])
def test_small_positive_numbers_are_accepted(key: str, value: str, expected: float) -> None:
    settings = resolve(**{key: value})
    field = {"requestTimeout": "request_timeout", "retryDeadline": "retry_deadline",
             "retryBaseDelay": "retry_base_delay", "maxAttempts": "max_attempts"}[key]
    assert getattr(settings, field) == expected
    assert type(getattr(settings, field)) is type(expected)


@pytest.mark.parametrize("key, value, kind", [
    ("maxAttempts", "2.5", "must be a positive whole number, got '2.5'."),
    ("maxAttempts", "0", "must be a positive whole number, got '0'."),
    ("requestTimeout", "-3", "must be a positive number of seconds, got '-3'."),
    ("retryDeadline", "inf", "must be a positive number of seconds, got 'inf'."),
])
def test_bad_numbers_say_what_is_expected(key: str, value: str, kind: str) -> None:
    with pytest.raises(MihuConfigError) as info:
        resolve(**{key: value})
    assert str(info.value).endswith(kind)


@pytest.mark.parametrize("url", ["https://user@acme.mihu.ai", "https://:secret@acme.mihu.ai"])
def test_a_url_with_either_half_of_credentials_is_refused(url: str) -> None:
    with pytest.raises(MihuConfigError, match="must not contain credentials"):
        normalize_base_url(url)


@pytest.mark.parametrize("host, loopback", [
    ("localhost", True), ("LocalHost", True), ("127.0.0.1", True), ("[::1]", True),
    ("127.8.9.10", True), ("mihu.example", False), ("zz.example", False), ("10.0.0.1", False),
    ("locals", False), ("a", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize("url", ["http://mihu.example", "http://zz.example:8080"])
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(MihuConfigError, match="plain http://"):
        normalize_base_url(url)


@pytest.mark.parametrize("url, normal", [
    ("https://Acme.Mihu.ai:8443/", "https://acme.mihu.ai:8443"),
    ("http://[::1]:8080/api/v1", "http://[::1]:8080"),
    ("http://localhost", "http://localhost"),
])
def test_base_urls_are_normalised(url: str, normal: str) -> None:
    assert normalize_base_url(url) == normal


def test_an_invalid_port_is_refused() -> None:
    with pytest.raises(MihuConfigError, match="invalid port"):
        normalize_base_url("https://acme.mihu.ai:99999")


def test_the_repr_leaves_the_token_field_out() -> None:
    text = repr(resolve())
    assert "api_token" not in text and TOKEN not in text
    assert "base_url='https://demo.mihu.ai'" in text
