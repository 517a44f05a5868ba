"""The README's first command, ``./demo.sh``: the root example stack (which runs
examples/basic) through the real Pulumi CLI against a simulator. Judged by what it reports
of the account, and by what it must not print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import require_cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_the_root_stack_with_the_real_cli() -> None:
    require_cli()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "+ 2 to create" in out and "+ 2 created" in out
    assert "2 unchanged" in out and "- 2 deleted" in out
    assert out.count("POST   /api/v1/channels/sip-trunk/connections -> 201") == 1
    assert "Connections left in the simulated account: 0" in out
    assert "demo-sip-user" not in out, "the SIP username is a secret"
