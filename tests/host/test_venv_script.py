"""scripts/venv.sh, sourced by test.sh and demo.sh: its bytecode step (``compileall``) is
an optimisation, so a checkout where it cannot write ``__pycache__`` (read-only source,
another user's checkout, with $VENV elsewhere) must still run the tests, not stop them
with no message (the script runs under ``set -euo pipefail`` and hides compileall's
output)."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def fake_venv(root: Path, compileall_rc: int) -> Path:
    """A $VENV whose requirements stamp is current (no install) and whose python fails
    ``-m compileall`` the way an unwritable checkout makes it fail (rc 1)."""
    venv = root / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\n"
                      f'if [ "$1 $2" = "-m compileall" ]; then exit {compileall_rc}; fi\n'
                      'exec python3 "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    want = hashlib.sha256(b"".join((REPO / name).read_bytes() for name in (
        "requirements.txt", "requirements-dev.txt", "pyproject.toml"))).hexdigest()
    (venv / ".pulumi-mihu-requirements").write_text(want + "\n")
    return venv


def source_venv_sh(venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", 'source scripts/venv.sh; echo "venv ready"'],
                          cwd=REPO, env={**os.environ, "VENV": str(venv)},
                          capture_output=True, text=True, timeout=60)


def test_the_stand_in_venv_is_used_as_is(tmp_path: Path) -> None:
    done = source_venv_sh(fake_venv(tmp_path, compileall_rc=0))
    assert done.returncode == 0 and "venv ready" in done.stdout, done
    assert "Installing" not in done.stderr and "Creating" not in done.stderr


def test_a_checkout_where_bytecode_cannot_be_written_still_runs_the_tests(
        tmp_path: Path) -> None:
    done = source_venv_sh(fake_venv(tmp_path, compileall_rc=1))
    assert done.returncode == 0 and "venv ready" in done.stdout, (
        f"scripts/venv.sh stopped (rc {done.returncode}, stderr {done.stderr!r}) because "
        "compileall could not write bytecode")
