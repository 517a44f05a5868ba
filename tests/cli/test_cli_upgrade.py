"""The upgrade path through the real Pulumi CLI: a stack created by the released 0.3.0
code (commit 5461186: Check by the pydantic model, the token a SecretStr) and then driven
by this checkout's code must show no change and no replacement, and destroy cleanly."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from pulumi_mihu.testing import MihuSimulator
from support import MakeCli

#: The commit of the released 0.3.0 code.
RELEASED = "5461186"
REPO = Path(__file__).resolve().parents[2]
TRUNK = "SipTrunkConnection"


def released_code(dest: Path) -> Path:
    """The released package, extracted from git into ``dest`` (for PYTHONPATH)."""
    try:
        archive = subprocess.run(["git", "archive", RELEASED, "pulumi_mihu"], cwd=REPO,
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"the released commit {RELEASED} is not in this checkout's git history")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    # A trace that the released code ran in the provider host, not only in the program.
    with open(dest / "pulumi_mihu" / "_sip_trunk_connection_provider.py", "a") as module:
        module.write("\nimport os as _os\nif _os.environ.get('MIHU_UPGRADE_PROBE'):\n"
                     "    open(_os.environ['MIHU_UPGRADE_PROBE'], 'a').write(__file__ + '\\n')\n")
    return dest


def test_a_stack_of_the_released_code_is_unchanged_under_this_code(
        make_cli: MakeCli, sim: MihuSimulator, tmp_path: Path) -> None:
    old = released_code(tmp_path / "released")
    agent = sim.add_agent()
    spec = {"agent": agent, "trunks": [
        {"secondary_gateway": "sip2.telnyx.com"},
        {"phone_number": "+15551230001", "secondary_gateway": "   "},
        {"phone_number": "+15551230002", "name": "custom label"}]}
    cli = make_cli(sim, spec)
    cli.env["PYTHONPATH"] = str(old)
    cli.env["MIHU_UPGRADE_PROBE"] = str(tmp_path / "probe")
    probe = subprocess.run([cli.env["PULUMI_PYTHON_CMD"], "-c",
                            "import pulumi_mihu; print(pulumi_mihu.__file__)"],
                           env=cli.env, cwd=cli.project_dir, capture_output=True, text=True,
                           check=True)
    assert probe.stdout.startswith(str(old)), probe.stdout
    cli.up()
    assert (tmp_path / "probe").read_text().startswith(str(old)), "the released host ran"
    assert len(sim.connections) == 3 and sim.state.assignments
    writes = len(sim.writes())
    before = cli.snapshot(TRUNK)

    del cli.env["PYTHONPATH"]  # from here on, this checkout's code
    plan = cli.preview_json()
    assert plan.changes() == {}, plan.changes()
    up = cli.up()
    assert "created" not in up.stdout and "replaced" not in up.stdout, up.stdout
    assert "updated" not in up.stdout, up.stdout
    assert len(sim.writes()) == writes, "no write request after the upgrade"
    assert sorted(cli.snapshot(TRUNK)) == sorted(before)
    refreshed = cli.refresh()
    assert "updated" not in refreshed.stdout, refreshed.stdout
    assert cli.preview_json().changes() == {}

    cli.destroy()
    assert sim.connections == {}
    assert cli.resources() == []
