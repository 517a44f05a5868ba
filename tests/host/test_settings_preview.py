"""A settings error as ``pulumi preview`` shows it, through the real provider host."""

from __future__ import annotations

from pulumi_mihu.testing import MihuSimulator
from support import Deploy, attempt, trunk_inputs


def test_a_missing_token_fails_the_preview_in_one_line_naming_both_settings(
        sim: MihuSimulator, deploy: Deploy) -> None:
    """configure() keeps the error; check reports it as the resource's one problem, through
    the real provider host (with no environment, so no MIHU_API_TOKEN to fall back on)."""
    with deploy(sim, {"mihu:apiToken": ""}, env={}) as run:
        _, error = attempt(run.check, "main", trunk_inputs())
    assert error is not None and len(error.splitlines()) == 1
    assert "Mihu API token is missing" in error
    assert "mihu:apiToken" in error and "MIHU_API_TOKEN" in error
    assert "Traceback" not in error
    assert sim.requests == []
