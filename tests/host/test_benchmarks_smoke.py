"""The benchmark code runs (tiny sizes), and every figure it prints is measured: no timing
is asserted here, but every figure must be a finite number, and the timings must come out
different in two runs (a hard-coded figure would not)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: The runs of the first test, reused by the next one (a run takes ~15 s).
RUNS: list[tuple[list[str], list[dict[str, Any]]]] = []


def quick_run() -> tuple[list[str], list[dict[str, Any]]]:
    completed = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json"],
                               cwd=ROOT, capture_output=True, text=True, timeout=300,
                               check=True)
    lines = completed.stdout.splitlines()
    table = [line for line in lines if line.startswith("| ")]
    return table, json.loads(lines[-1])


def test_benchmarks_quick_runs_print_measured_finite_figures() -> None:
    # Two runs side by side: their timings must differ, which also proves they are measured.
    with ThreadPoolExecutor(2) as pool:
        RUNS[:] = pool.map(lambda _: quick_run(), range(2))
    (table, rows), (_, again) = RUNS

    assert table[0].startswith("| benchmark |")
    assert len(table) == len(rows) + 1 >= 19
    assert all(line.count("|") == 7 for line in table)
    assert [row["name"] for row in rows] == [row["name"] for row in again]
    for row, other in zip(rows, again, strict=True):
        name = row["name"]
        assert row["values"], f"{name}: no measured figure"
        for value in (*row["values"], *other["values"]):
            assert isinstance(value, (int, float)) and math.isfinite(value), name
            assert value >= 0, name
        if row["ratio"] is not None:
            assert math.isfinite(row["ratio"]) and row["ratio"] > 0, name
        assert "nan" not in row["measured"].lower() and "inf" not in row["measured"], name
        assert "nan" not in row["reference"].lower(), name
        if row["varies"]:
            assert row["values"] != other["values"], f"{name}: the same figures in two runs"


def test_the_cpu_row_uses_the_machines_cores_and_the_same_repeats() -> None:
    import os

    # Asked of the benchmarks as a separate process: tests never import benchmarks/.
    asked = subprocess.run(
        [sys.executable, "-c", "from benchmarks.__main__ import REPEATS, usable_cores; "
         "print(REPEATS, usable_cores())"], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout.split()
    repeats, usable = int(asked[0]), int(asked[1])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable == cores
    _, rows = RUNS[0] if RUNS else quick_run()
    cpu = next(row for row in rows if row["name"].startswith("CPU during those creates"))
    neighbour = next(row for row in rows if row["name"].startswith("Creates through the provider"))
    assert f"median of {repeats}" in cpu["name"] and f"median of {repeats}" in neighbour["name"]
    assert cpu["goal"] == f"report ({cores} cores = {cores * 100} %)"
    busy = cpu["values"][0]
    assert math.isclose(cpu["ratio"], busy / cores)
