"""The engine benchmarks (``python -m benchmarks.engine``) run through the real CLI at tiny
sizes, and every figure they print is measured in the run: finite numbers, timings
positive, the request count what the package sends (one POST per create, and the create
guard's one GET of the connection list). Each mode (dynamic, native from Python, native
from YAML, against the no-op) has its row in each timed step, or the test fails: a mode
dropped from the alternation would otherwise leave a shorter, plausible table. No timing
is asserted."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from pulumi_mihu.testing.cli import pulumi_path
from support import require_cli

ROOT = Path(__file__).resolve().parents[2]


def test_engine_benchmark_quick_run_prints_measured_finite_figures(tmp_path: Path) -> None:
    require_cli()
    binary = pulumi_path()
    assert binary is not None
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(binary).parent),
                                                  os.environ.get("PATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.engine", "--quick", "--json",
         "--work-dir", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    rows = json.loads(lines[-1])
    table = [line for line in lines if line.startswith("| ")]

    assert lines[0].startswith("Machine: ") and "cores usable" in lines[0]
    assert "engine --parallel " in lines[0]
    assert table[0] == "| benchmark | measured | reference | ratio | goal | met |"
    assert len(table) == len(rows) + 1 == 23
    assert all(line.count("|") == 7 for line in table)
    for row in rows:
        name = row["name"]
        assert row["values"], f"{name}: no measured figure"
        for value in row["values"]:
            assert isinstance(value, (int, float)) and math.isfinite(value), name
        if row["ratio"] is not None:
            assert math.isfinite(row["ratio"]) and row["ratio"] > 0, name
        for text in (row["measured"], row["reference"]):
            assert "nan" not in text.lower() and "inf" not in text.lower(), name
    steps = ("`pulumi preview`, 3 trunks, new stack, ",
             "`pulumi preview`, 3 trunks, deployed, unchanged, ",
             "`pulumi up`, 3 trunks, 20 ms latency, ")
    modes = (", dynamic", ", native (Python)", ", native (YAML)",
             ", native (Python) / dynamic", ", native (YAML) / dynamic")
    for step in steps:
        for mode in modes:
            [row] = [r for r in rows if r["name"].startswith(step) and r["name"].endswith(mode)]
            # (this mode's median, its reference's: the no-op's, or the dynamic mode's)
            assert len(row["values"]) == 2 and all(v > 0 for v in row["values"]), row
            assert row["ratio"] == row["values"][0] / row["values"][1], row
    # Issue 19's 1-trunk previews, dynamic against the no-op, held to 1.05x.
    for label in ("new stack", "deployed, unchanged"):
        [row] = [r for r in rows if r["name"].startswith(f"`pulumi preview`, 1 trunk, {label}, ")]
        assert row["goal"] == "<= 1.05x" and len(row["values"]) == 2, row
        assert row["ratio"] == row["values"][0] / row["values"][1], row
    timings = [v for row in rows if row["name"].startswith("`pulumi") for v in row["values"]]
    assert len(timings) == 3 * len(modes) * 2 + 2 * 2
    requests = next(row for row in rows if row["name"].startswith("Requests to the API"))
    assert requests["values"] == [3 + 1] * 3, "3 POSTs and the create guard's one GET, " \
        "from the dynamic, the native (Python) and the native (YAML) stack"
    cpu = [row for row in rows if row["name"].startswith("CPU of `pulumi up`")]
    assert [row["name"].split(", ")[-2] for row in cpu] == [
        "dynamic", "native (Python)", "native (YAML)"]
    assert all(v > 0 for row in cpu for v in row["values"]), "the CPU of the runs' processes"
    per_resource = next(row for row in rows if row["name"].startswith("Per resource"))
    assert len(per_resource["values"]) == 3
    assert not list(tmp_path.iterdir()), "the stacks' temporary directory is left behind"
