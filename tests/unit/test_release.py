"""The version users see is the version installed, and the package under test is the one
meant: run against an installed wheel by scripts/release-check.sh, from a copy of tests/."""

from __future__ import annotations

import os
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

import pulumi_mihu


def test_the_version_is_the_installed_distributions() -> None:
    assert pulumi_mihu.__version__ == version("pulumi-mihu")


@pytest.mark.skipif(os.environ.get("PULUMI_MIHU_TEST_INSTALLED") != "1",
                    reason="only when testing an installed wheel (scripts/release-check.sh)")
def test_the_package_under_test_is_the_installed_wheel() -> None:
    location = Path(pulumi_mihu.__file__).resolve()
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert location.is_relative_to(site), f"{location} is not under {site}"
