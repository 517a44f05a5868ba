"""What reading the whole list of connections costs a `pulumi up` (issue 17, item 3).

    python -m benchmarks.list_cost            # the table (about 5 minutes on 2 cores)
    python -m benchmarks.list_cost --quick    # 0 and 300 connections, 1 repeat

One `pulumi up` that creates one trunk, through the real CLI, over accounts already holding
0, 2,000 and 20,000 connections (made "in the console"), the simulator in its own process
at 20 ms a request. The provider reads every page of the list once per `up`, before its
first create, twice when there is more than one page (the consistency rule of
``pulumi_mihu/http_shapes.py``). The reference is the same `up` over the empty account,
run alternately with the others so that load from other processes falls on all of them.
Goal: at most 1 s more than the empty account at 20,000 connections, with the simulator
granting 200 a page (as the reference's rates route does). The same at 15 a page (the
contacts route's default), reported without a goal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

from benchmarks.__main__ import LATENCY, RemoteSimulator, Row, print_table, simulator
from benchmarks.engine import make_stack, timed_run
from pulumi_mihu.testing.cli import pulumi_path

GOAL_SECONDS = 1.0


def prefilled(connections: int, page_size: int) -> AbstractContextManager[RemoteSimulator]:
    """A simulator process at 20 ms a request, holding ``connections`` already, whose
    list grants ``page_size`` a page."""
    return simulator(LATENCY, "--connections", str(connections), "--page-size", str(page_size))


def list_cost_rows(work: Path, sizes: list[int], page_size: int, repeats: int,
                   goal: bool) -> list[Row]:
    """One stack per account size, each `up` timed and its stack destroyed (not timed)
    before the next repeat, the sizes alternating."""
    times: dict[int, list[float]] = {n: [] for n in sizes}
    gets: dict[int, int] = {}
    with ExitStack() as stack:
        sims = {n: stack.enter_context(prefilled(n, page_size)) for n in sizes}
        clis = {n: make_stack("mihu", 1, sims[n], work / f"{page_size}-{n}") for n in sizes}
        for cli in clis.values():  # the CLI's first run in a new home: not counted
            timed_run(cli, "preview")
        for _ in range(repeats):
            for n in sizes:
                before = sims[n].stats()["requests"]
                times[n].append(timed_run(clis[n], "up", "--yes", "--skip-preview"))
                gets[n] = sims[n].stats()["requests"] - before - 2  # the POST, a stats read
                clis[n].destroy()
    empty = statistics.median(times[sizes[0]])
    rows = []
    for n in sizes[1:]:
        ours = statistics.median(times[n])
        extra = ours - empty
        met = extra <= GOAL_SECONDS if goal and n == max(sizes) else None
        rows.append(Row(
            f"`pulumi up` of 1 new trunk over {n:,} connections, {page_size} a page, "
            f"20 ms latency, median of {repeats}",
            f"{ours:.2f} s (+{extra:.2f} s; {gets[n]} list requests)",
            f"{empty:.2f} s over an empty account ({gets[sizes[0]]} list request)",
            ours / empty, f"<= +{GOAL_SECONDS:g} s at {max(sizes):,}" if met is not None
            else "report", met, (ours, empty)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="0 and 300 connections, 1 repeat: checks the code runs")
    options = parser.parse_args(argv)
    if pulumi_path() is None:
        parser.error("the Pulumi CLI is not on PATH or in ~/.pulumi/bin "
                     "(scripts/install-pulumi-cli.sh installs it)")
    sizes, repeats = ([0, 300], 1) if options.quick else ([0, 2000, 20000], 5)
    with tempfile.TemporaryDirectory(prefix="mihu-list-bench-") as tmp:
        load_before = os.getloadavg()
        rows = list_cost_rows(Path(tmp), sizes, 200, repeats, goal=True)
        rows += list_cost_rows(Path(tmp), sizes, 15, 1 if options.quick else 3, goal=False)
        load_after = os.getloadavg()
    print(f"Load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    print_table(rows)
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
