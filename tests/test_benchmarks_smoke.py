"""The benchmark code runs (tiny sizes); no timing is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_quick_run_prints_the_full_table() -> None:
    completed = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT,
                               capture_output=True, text=True, timeout=300, check=True)
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| benchmark |")
    assert len(rows) >= 18
    assert all(line.count("|") == 7 for line in rows)
