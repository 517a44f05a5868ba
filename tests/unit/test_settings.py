"""Settings: stack config first, environment second, and clear errors for the rest."""

from __future__ import annotations

import pytest

from pulumi_mihu import MihuConfigError, MihuSettings
from pulumi_mihu.testing import MihuSimulator

TOKEN = "tok-abcdef123456"


def resolve(config: dict[str, str] | None = None,
            env: dict[str, str] | None = None) -> MihuSettings:
    return MihuSettings.resolve(config or {}, env or {})


def test_subdomain_gives_the_documented_base_url() -> None:
    settings = resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "Acme"})
    assert settings.base_url == "https://acme.mihu.ai"


def test_base_url_wins_over_subdomain_and_drops_a_trailing_api_prefix() -> None:
    settings = resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "acme",
                        "mihu:baseUrl": "https://acme.mindhunters.ai/api/v1/"})
    assert settings.base_url == "https://acme.mindhunters.ai"


def test_settings_come_from_the_stack_config_as_a_whole_when_it_has_any() -> None:
    settings = resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "acme"},
                       {"MIHU_API_TOKEN": "other", "MIHU_BASE_URL": "https://evil.example.com",
                        "MIHU_REQUEST_TIMEOUT": "7.5", "MIHU_MAX_ATTEMPTS": "2"})
    assert settings.api_token.get_secret_value() == TOKEN
    # A leftover MIHU_BASE_URL would win over the config's subdomain if sources were mixed,
    # and the stack's token would go there.
    assert settings.base_url == "https://acme.mihu.ai"
    assert settings.request_timeout == 30.0 and settings.max_attempts == 5
    assert settings.source == "stack config"


def test_the_environment_is_used_as_a_whole_when_the_stack_config_has_no_setting() -> None:
    settings = resolve({"other:key": "x"},
                       {"MIHU_API_TOKEN": TOKEN, "MIHU_SUBDOMAIN": "demo",
                        "MIHU_REQUEST_TIMEOUT": "7.5", "MIHU_MAX_ATTEMPTS": "2"})
    assert settings.api_token.get_secret_value() == TOKEN
    assert settings.base_url == "https://demo.mihu.ai"
    assert (settings.request_timeout, settings.max_attempts) == (7.5, 2)
    assert settings.source == "environment"


def test_a_token_only_in_the_environment_is_not_mixed_with_stack_config() -> None:
    with pytest.raises(MihuConfigError) as info:
        resolve({"mihu:apiToken": "  ", "mihu:subdomain": "demo"}, {"MIHU_API_TOKEN": TOKEN})
    assert "environment is not read" in str(info.value)
    assert TOKEN not in str(info.value)


def test_errors_name_the_base_url_used_and_where_it_came_from(sim: MihuSimulator) -> None:
    from pulumi_mihu.client import MihuClient
    from pulumi_mihu.errors import MihuAuthError
    client = MihuClient(resolve({"mihu:apiToken": "wrong-token", "mihu:baseUrl": sim.base_url}))
    with pytest.raises(MihuAuthError) as info:
        client.get("/channels/sip-trunk/connections")
    assert f"at {sim.base_url} (settings from the stack config)" in str(info.value)


def test_missing_token_names_the_config_key_and_the_env_var() -> None:
    with pytest.raises(MihuConfigError, match=r"mihu:apiToken.*MIHU_API_TOKEN"):
        resolve({"mihu:subdomain": "demo"})


def test_a_token_missing_from_the_environment_says_nothing_of_the_stack_config() -> None:
    with pytest.raises(MihuConfigError) as info:
        MihuSettings.resolve(None, {"MIHU_SUBDOMAIN": "demo"})
    assert "environment is not read" not in str(info.value)
    assert str(info.value).endswith("mihu:apiToken ...`).")


def test_missing_location_names_both_ways_to_set_it() -> None:
    with pytest.raises(MihuConfigError) as info:
        resolve({"mihu:apiToken": TOKEN})
    for name in ("mihu:subdomain", "MIHU_SUBDOMAIN", "mihu:baseUrl", "MIHU_BASE_URL"):
        assert name in str(info.value)


@pytest.mark.parametrize("url, problem", [
    ("acme.mihu.ai", "absolute http"),
    ("ftp://acme.mihu.ai", "absolute http"),
    ("https://acme.mihu.ai/v2", "not a path"),
    ("https://acme.mihu.ai/?x=1", "query"),
    ("https://user:pw@acme.mihu.ai", "credentials"),
    ("http://acme.mihu.ai", "unencrypted"),
    ("http://10.0.0.5:8080", "unencrypted"),
    ("https://acme.mihu.ai:99999", "invalid port"),
])
def test_malformed_base_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(MihuConfigError, match=problem):
        resolve({"mihu:apiToken": TOKEN, "mihu:baseUrl": url})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"])
def test_plain_http_is_allowed_to_loopback_only(url: str) -> None:
    assert resolve({"mihu:apiToken": TOKEN, "mihu:baseUrl": url}).base_url == url


@pytest.mark.parametrize("token", ["Bearer abc", "abc def", "ab\ncd", "a\tb"])
def test_tokens_with_whitespace_are_refused_without_echoing_them(token: str) -> None:
    with pytest.raises(MihuConfigError) as info:
        resolve({"mihu:apiToken": token, "mihu:subdomain": "demo"})
    assert token.strip() not in str(info.value)


@pytest.mark.parametrize("key, value", [
    ("mihu:requestTimeout", "0"), ("mihu:requestTimeout", "soon"),
    ("mihu:maxAttempts", "2.5"), ("mihu:retryDeadline", "-1"), ("mihu:retryBaseDelay", "nan"),
])
def test_bad_numbers_name_their_setting(key: str, value: str) -> None:
    with pytest.raises(MihuConfigError, match=key):
        resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "demo", key: value})


def test_subdomain_must_be_a_dns_label() -> None:
    with pytest.raises(MihuConfigError, match="DNS label"):
        resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "acme.mihu.ai"})


def test_the_token_is_hidden_from_repr() -> None:
    settings = resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "demo"})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)


def test_a_trailing_newline_from_a_token_file_is_not_part_of_the_token() -> None:
    settings = resolve({"mihu:apiToken": TOKEN + "\n", "mihu:subdomain": "demo"})
    assert settings.api_token.get_secret_value() == TOKEN


def test_a_blank_token_with_no_environment_fallback_is_missing() -> None:
    with pytest.raises(MihuConfigError, match="token is missing"):
        resolve({"mihu:apiToken": "   ", "mihu:subdomain": "demo"})


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("false", False), ("False", False), ("true", True), ("TRUE", True)])
def test_allow_unchecked_creates_is_off_unless_said_true(value: str | None,
                                                          expected: bool) -> None:
    config = {"mihu:apiToken": TOKEN, "mihu:subdomain": "demo"}
    if value is not None:
        config["mihu:allowUncheckedCreates"] = value
    assert resolve(config).allow_unchecked_creates is expected
    env = {"MIHU_API_TOKEN": TOKEN, "MIHU_SUBDOMAIN": "demo"}
    if value is not None:
        env["MIHU_ALLOW_UNCHECKED_CREATES"] = value
    assert resolve(env=env).allow_unchecked_creates is expected


@pytest.mark.parametrize("value", ["yes", "1", "on", "tru"])
def test_allow_unchecked_creates_refuses_anything_but_true_or_false(value: str) -> None:
    """It switches a guard off: a value that is not plainly true or false is an error, not
    a guess either way."""
    with pytest.raises(MihuConfigError) as info:
        resolve({"mihu:apiToken": TOKEN, "mihu:subdomain": "demo",
                 "mihu:allowUncheckedCreates": value})
    assert str(info.value) == (
        "stack config 'mihu:allowUncheckedCreates' or environment variable "
        f"MIHU_ALLOW_UNCHECKED_CREATES must be true or false, got {value!r}.")
