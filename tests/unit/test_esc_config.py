"""Pulumi ESC as docs/installation-configuration.md documents it, from the provider's side:
what a stack gets from an ESC environment is stack config (``values.pulumiConfig``: each key
merged into the stack's config, a ``fn::secret`` string as a secret, numbers and booleans
typed, as the CLI's workspace.toConfigMap makes them) or environment variables
(``values.environmentVariables``, set in the CLI's process and so in the provider's).
ESC itself needs Pulumi Cloud and is not run here; ``esc_output`` projects the documented
environments as the CLI does, and the settings are read through the native plugin's
Configure (the engine's ``args``: camelCase keys, secrets marked) and the dynamic
provider's ``configure`` (``mihu:*`` keys, values as text), then used against the
simulator. The settings rule (any ``mihu:*`` setting in the stack config switches the
environment off) decides the mixed case."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.runtime import proto

from pulumi_mihu.errors import MihuConfigError
from pulumi_mihu.native.server import SECRET_SIG, SIG_KEY, MihuProviderServicer, to_struct
from pulumi_mihu.settings import MihuSettings
from pulumi_mihu.sip_trunk_connection import SipTrunkConnectionProvider
from pulumi_mihu.testing import MihuSimulator
from support import SIP_PASSWORD, SIP_USERNAME

DOC = Path(__file__).resolve().parents[2] / "docs" / "installation-configuration.md"
TOKEN = "mihu-api-token-from-the-console"
#: The two environments of docs/installation-configuration.md, verbatim (a test below
#: holds that the page shows exactly these).
PULUMI_CONFIG_ENV = """\
values:
  mihu:
    token:
      fn::secret: mihu-api-token-from-the-console
  pulumiConfig:
    mihu:apiToken: ${mihu.token}
    mihu:subdomain: acme
"""
ENVIRONMENT_VARIABLES_ENV = """\
values:
  mihu:
    token:
      fn::secret: mihu-api-token-from-the-console
  environmentVariables:
    MIHU_API_TOKEN: ${mihu.token}
    MIHU_SUBDOMAIN: acme
"""
TRUNK = "mihu:index:SipTrunkConnection"


def esc_output(environment: str) -> tuple[dict[str, Any], set[str], dict[str, str]]:
    """An environment's ``pulumiConfig`` as stack config (with the keys that are secret)
    and its ``environmentVariables``: the ``fn::secret`` and ``${path}`` of the documented
    environments evaluated as ESC does."""
    values = yaml.safe_load(environment)["values"]

    def evaluate(node: Any) -> tuple[Any, bool]:
        if isinstance(node, dict) and list(node) == ["fn::secret"]:
            return evaluate(node["fn::secret"])[0], True
        if isinstance(node, str) and (ref := re.fullmatch(r"\$\{([\w.]+)\}", node)):
            target: Any = values
            for part in ref[1].split("."):
                target = target[part]
            return evaluate(target)
        return node, False

    config: dict[str, Any] = {}
    secret: set[str] = set()
    for key, node in (values.get("pulumiConfig") or {}).items():
        config[key], is_secret = evaluate(node)
        if is_secret and isinstance(config[key], str):  # toPlaintext keeps strings' flag
            secret.add(key)
    variables = {k: str(evaluate(v)[0]) for k, v in
                 (values.get("environmentVariables") or {}).items()}
    return config, secret, variables


def native_configure(config: dict[str, Any], secret: set[str]) -> MihuProviderServicer:
    """The plugin configured as the engine configures the default provider from the stack
    config: ``args`` with the keys without ``mihu:``, secrets marked, values typed."""
    args = {key.removeprefix("mihu:"): ({SIG_KEY: SECRET_SIG, "value": value}
                                        if key in secret else value)
            for key, value in config.items()}
    servicer = MihuProviderServicer()
    servicer.Configure(proto.ConfigureRequest(args=to_struct(args, set())), None)
    return servicer


def native_settings(servicer: MihuProviderServicer) -> MihuSettings:
    return servicer.resources[TRUNK].provider.client.settings


def dynamic_settings(config: dict[str, Any]) -> MihuSettings:
    """The dynamic provider configured as its host does: ``mihu:*`` keys, values as the
    engine's text (a number ``3``, a boolean ``true``)."""
    text = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in config.items()}
    provider = SipTrunkConnectionProvider()
    provider.configure(ConfigureRequest(Config(text, "proj")))
    return provider.client.settings


def test_the_page_shows_these_environments() -> None:
    if os.environ.get("PULUMI_MIHU_TEST_INSTALLED") or not DOC.is_file():
        pytest.skip("needs the repository's docs/ (an installed wheel's run has none)")
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    for environment in (PULUMI_CONFIG_ENV, ENVIRONMENT_VARIABLES_ENV):
        assert any(block.endswith(environment) for block in blocks), environment


@pytest.mark.parametrize("mode", ["native", "dynamic"])
def test_pulumi_config_from_esc_configures_the_provider_with_the_secret_token(
        mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config, secret, variables = esc_output(PULUMI_CONFIG_ENV)
    assert (config, secret, variables) == (
        {"mihu:apiToken": TOKEN, "mihu:subdomain": "acme"}, {"mihu:apiToken"}, {})
    monkeypatch.setenv("MIHU_BASE_URL", "https://elsewhere.example")  # never read
    settings = (native_settings(native_configure(config, secret)) if mode == "native"
                else dynamic_settings(config))
    assert settings.api_token.get_secret_value() == TOKEN
    assert (settings.base_url, settings.source) == ("https://acme.mihu.ai", "stack config")


def test_a_trunk_is_created_with_the_esc_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented environment, its subdomain swapped for the simulator's base URL (as
    ``pulumiConfig: {mihu:baseUrl: ...}`` would), and typed values as ESC projects a YAML
    number and boolean: the plugin creates the trunk with the token (the simulator refuses
    any other)."""
    config, secret, _ = esc_output(PULUMI_CONFIG_ENV)
    with MihuSimulator(token=TOKEN) as sim:
        del config["mihu:subdomain"]
        config.update({"mihu:baseUrl": sim.base_url, "mihu:maxAttempts": 3,
                       "mihu:retryBaseDelay": 0.01, "mihu:allowUncheckedCreates": False})
        servicer = native_configure(config, secret)
        settings = native_settings(servicer)
        assert (settings.max_attempts, settings.allow_unchecked_creates) == (3, False)
        assert dynamic_settings(config) == settings
        inputs = {"name": "main-line", "phoneNumber": "+15551230000",
                  "gateway": "sip.telnyx.com", "username": SIP_USERNAME,
                  "password": SIP_PASSWORD}
        created = servicer.Create(proto.CreateRequest(
            urn=f"urn:pulumi:dev::proj::{TRUNK}::main-line",
            properties=to_struct(inputs, {"username", "password"})), None)
        assert list(sim.connections) == [created.id]
        assert sim.requests and all(r.authorization for r in sim.requests)


def test_environment_variables_from_esc_are_read_when_the_stack_config_has_no_setting(
        ) -> None:
    config, _, variables = esc_output(ENVIRONMENT_VARIABLES_ENV)
    assert config == {}
    settings = MihuSettings.resolve({"proj:other": "x"}, environ=variables)
    assert settings.api_token.get_secret_value() == TOKEN
    assert (settings.base_url, settings.source) == ("https://acme.mihu.ai", "environment")


def test_a_token_in_the_environment_is_not_read_once_the_stack_config_has_a_setting() -> None:
    """The rule the page states: pulumiConfig with the subdomain only, the token in
    environmentVariables: the token is missing, and the message says why."""
    _, _, variables = esc_output(ENVIRONMENT_VARIABLES_ENV)
    with pytest.raises(MihuConfigError, match=r"token is missing.*the environment is not "
                                              r"read when the stack config has mihu:"):
        MihuSettings.resolve({"mihu:subdomain": "acme"}, environ=variables)


def test_only_the_settings_keys_with_a_value_count_for_the_rule() -> None:
    """A key that is no setting (a misspelt ``mihu:apitoken``) or a blank setting leaves
    the settings to the environment, as the page says."""
    _, _, variables = esc_output(ENVIRONMENT_VARIABLES_ENV)
    settings = MihuSettings.resolve({"mihu:apitoken": "typo", "mihu:subdomain": " "},
                                    environ=variables)
    assert settings.source == "environment"
