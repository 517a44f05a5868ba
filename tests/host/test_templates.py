"""What the templates under templates/ declare, which the CLI tests
(tests/cli/test_cli_templates.py) cannot see with ``--yes``: which settings ``pulumi new``
asks for without echo and stores encrypted (``secret: true``), the placeholders Pulumi
replaces, and the released package the Python template installs. Host tier: it reads the
repository around tests/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_mihu import __version__

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SECRETS = {"mihu:apiToken", "sipUsername", "sipPassword"}
ASKED = SECRETS | {"mihu:subdomain", "trunkName", "phoneNumber", "gateway"}


def project(template: str) -> dict[str, Any]:
    return dict(yaml.safe_load((TEMPLATES / template / "Pulumi.yaml").read_text()))


@pytest.mark.parametrize("template", ["mihu-python", "mihu-yaml"])
def test_the_template_asks_for_the_settings_and_the_trunk_the_credentials_secret(
        template: str) -> None:
    settings = project(template)
    assert (settings["name"], settings["description"]) == ("${PROJECT}", "${DESCRIPTION}")
    config = settings["template"]["config"]
    assert set(config) == ASKED
    assert {key for key, value in config.items() if value.get("secret")} == SECRETS
    assert all(value.get("description") for value in config.values())
    assert {key: value.get("default") for key, value in config.items() if "default" in value
            } == {"trunkName": "Main line", "gateway": "sip.telnyx.com"}


def test_the_yaml_program_marks_the_sip_credentials_secret_whichever_way_they_are_set(
        ) -> None:
    """``secret: true`` in the program's config makes the values secret in the program
    even when they were set without ``--secret``."""
    config = project("mihu-yaml")["config"]
    assert {key for key, value in config.items() if value.get("secret")} == (
        SECRETS - {"mihu:apiToken"})


def test_the_python_template_names_the_released_package_of_this_version() -> None:
    """The requirement a user's ``pulumi new`` installs: this version or a later fix, below
    the next minor (a breaking change while 0.x: docs/development.md)."""
    lines = (TEMPLATES / "mihu-python" / "requirements.txt").read_text().split()
    major, minor, _ = __version__.split(".")
    assert f"pulumi-mihu>={__version__},<{major}.{int(minor) + 1}" in lines
    assert not any(re.match(r"-e|\.|/|git\+", line) for line in lines), lines
