"""End to end with the real Pulumi CLI and a local file backend. Skipped where the CLI is
not installed (our CI machines cannot download it); run them wherever it is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli, pulumi_path
from support import SIP_PASSWORD, SIP_USERNAME

pytestmark = [
    pytest.mark.cli,
    pytest.mark.skipif(pulumi_path() is None,
                       reason="the Pulumi CLI is not on PATH (it cannot be installed on this "
                              "machine); the engine-protocol tests cover the same lifecycle"),
]

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "mihu-sip-trunks"


@pytest.fixture
def cli(sim: MihuSimulator, tmp_path: Path) -> Iterator[PulumiCli]:
    runner = PulumiCli(ROOT, project=PROJECT, work_dir=tmp_path)
    config = {
        "mihu:apiToken": sim.state.token, "mihu:baseUrl": sim.base_url,
        f"{PROJECT}:phoneNumber": "+15551230000", f"{PROJECT}:sipUsername": SIP_USERNAME,
        f"{PROJECT}:sipPassword": SIP_PASSWORD,
    }
    runner.init(config, {"mihu:apiToken", f"{PROJECT}:sipUsername", f"{PROJECT}:sipPassword"})
    yield runner


def test_preview_up_up_refresh_destroy(cli: PulumiCli, sim: MihuSimulator) -> None:
    cli.preview()
    assert sim.requests == []
    cli.up()
    outputs = cli.outputs()
    assert outputs["status"] == "active" and outputs["uuid"] in sim.connections
    second = cli.up()
    assert "2 unchanged" in second.stdout  # the stack and the trunk
    assert len(sim.writes()) == 1
    cli.refresh()
    state_text = json.dumps(cli.export_state())
    for secret in (SIP_PASSWORD, SIP_USERNAME, sim.state.token):
        assert secret not in state_text, "credentials are stored only as ciphertext"
    assert '"ciphertext"' in state_text
    cli.destroy()
    assert sim.connections == {}
