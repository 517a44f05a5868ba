"""Benchmarks through the real Pulumi engine, each next to its reference run on the same
engine, as a markdown table (issue 9, item 7).

    python -m benchmarks.engine                # the full table (a few minutes on 2 cores)
    python -m benchmarks.engine --quick        # 3 resources, 1 repeat (used by a test)

References: the same stack with a no-op dynamic resource (``benchmarks/noop_provider.py``:
same inputs, trivial Check and Diff, a Create that sleeps as long as one API request takes
at the simulated latency). Ours and the reference run alternately, so that load from other
processes on the machine falls on both. The simulator runs in its own process, as in
``python -m benchmarks``. Needs the Pulumi CLI (``scripts/install-pulumi-cli.sh``).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.__main__ import (
    LATENCY,
    RemoteSimulator,
    Row,
    config_for,
    print_table,
    simulator,
    usable_cores,
)
from pulumi_mihu.testing.cli import PulumiCli, cli_version, pulumi_path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = Path(__file__).resolve().parent / "engine_stack.py"
KINDS = ("mihu", "noop")


def default_parallel(binary: str) -> int | None:
    """The engine's default ``--parallel``, as ``pulumi up --help`` states it (v3.274.1:
    4 x the CPUs the Go runtime sees)."""
    help_text = subprocess.run([binary, "up", "--help"], capture_output=True, text=True,
                               env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}).stdout
    match = re.search(r"--parallel int32 .*\(default (\d+)\)", help_text)
    return int(match[1]) if match else None


def make_stack(kind: str, count: int, sim: RemoteSimulator, work_dir: Path) -> PulumiCli:
    cli = PulumiCli(PROGRAM, project=f"bench-{kind}", stack="bench", work_dir=work_dir,
                    env={"PYTHONPATH": os.pathsep.join(
                        [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
    config = {**config_for(sim), "bench-" + kind + ":kind": kind,
              "bench-" + kind + ":count": str(count),
              "bench-" + kind + ":sipUsername": "bench-user",
              "bench-" + kind + ":sipPassword": "bench-password"}
    cli.init(config, {"mihu:apiToken", f"bench-{kind}:sipUsername",
                      f"bench-{kind}:sipPassword"})
    return cli


def children_cpu() -> float:
    """CPU seconds used by this process's finished children and their descendants (the
    CLI, and the language host, program and provider host it ran and waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(cli: PulumiCli, *args: str, cpu: list[float] | None = None) -> float:
    """Wall time of ``pulumi ARGS``; its CPU time (every process of the run) is appended
    to ``cpu``."""
    cpu_before, start = children_cpu(), time.perf_counter()
    cli.run(*args, "--stack", cli.stack)
    elapsed = time.perf_counter() - start
    if cpu is not None:
        cpu.append(children_cpu() - cpu_before)
    return elapsed


def engine_rows(work: Path, count: int, repeats: int, preview_repeats: int, warm_up: bool,
                parallel: int | None) -> list[Row]:
    """One stack per kind, through the same steps, ours and the no-op alternately:

    - ``pulumi preview`` of a 1-trunk stack, new (every resource to create: Check only),
      then deployed and unchanged (Check and Diff);
    - ``pulumi up`` of COUNT new trunks at 20 ms per request against COUNT no-op
      resources whose Create sleeps 20 ms: each repeat a fresh deployment (the one before
      destroyed, not timed). Also the requests our up sends (COUNT POSTs, and the create
      guard's one GET of the connection list before the first create)."""
    new: dict[str, list[float]] = {k: [] for k in KINDS}
    same: dict[str, list[float]] = {k: [] for k in KINDS}
    ups: dict[str, list[float]] = {k: [] for k in KINDS}
    up_cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    requests_per_up: list[int] = []
    with simulator(LATENCY) as sim:
        stacks = {k: make_stack(k, 1, sim, work / k) for k in KINDS}
        if warm_up:  # the CLI's first run in a new home, and cold file caches: not counted
            for kind in KINDS:
                timed_run(stacks[kind], "preview")
        for _ in range(preview_repeats):
            for kind in KINDS:
                new[kind].append(timed_run(stacks[kind], "preview"))
        for kind in KINDS:
            stacks[kind].up()
        for _ in range(preview_repeats):
            for kind in KINDS:
                same[kind].append(timed_run(stacks[kind], "preview"))
        for kind in KINDS:
            stacks[kind].destroy()
            stacks[kind].set_config({f"bench-{kind}:count": str(count)})
        for repeat in range(repeats):
            for kind in KINDS:
                before = sim.stats()["requests"]
                ups[kind].append(timed_run(stacks[kind], "up", "--yes", "--skip-preview",
                                             cpu=up_cpu[kind]))
                if kind == "mihu":  # the simulator logs reads of its stats too: minus 1
                    requests_per_up.append(sim.stats()["requests"] - before - 1)
                if repeat < repeats - 1:
                    stacks[kind].destroy()
    rows = []
    for label, runs in (("new stack", new), ("deployed, unchanged", same)):
        ours, ref = statistics.median(runs["mihu"]), statistics.median(runs["noop"])
        # Each pair ran back to back: the spread of their ratios shows how much the load
        # of the moment moves one run (issue 19 asks for it next to the median).
        pairs = sorted(o / r for o, r in zip(runs["mihu"], runs["noop"], strict=True))
        rows.append(Row(f"`pulumi preview`, 1 trunk, {label}, median of {preview_repeats} "
                        f"alternating pairs",
                        f"{ours:.2f} s (pair ratios {pairs[0]:.2f} to {pairs[-1]:.2f})",
                        f"{ref:.2f} s no-op dynamic resource", ours / ref,
                        "<= 1.05x", ours / ref <= 1.05, (ours, ref)))
    ours, ref = statistics.median(ups["mihu"]), statistics.median(ups["noop"])
    ratio = ref / ours
    up_pairs = sorted(r / o for o, r in zip(ups["mihu"], ups["noop"], strict=True))
    sent = statistics.median(requests_per_up)
    cpu_ours, cpu_ref = statistics.median(up_cpu["mihu"]), statistics.median(up_cpu["noop"])
    cores = usable_cores()
    shown = "--parallel default" if parallel is None else f"--parallel {parallel} (default)"
    rows += [
        Row(f"`pulumi up`, {count} trunks, 20 ms latency, {shown}, median of {repeats} "
            "alternating pairs", f"{ours:.2f} s (pair ratios {up_pairs[0]:.2f} to "
            f"{up_pairs[-1]:.2f})", f"{ref:.2f} s no-op resource sleeping 20 ms per Create",
            ratio,
            ">= 0.95 (no-op time / ours)", ratio >= 0.95, (ours, ref)),
        Row(f"Requests to the API per `pulumi up` of {count}", f"{sent:.0f}",
            f"{count} creates", sent / count, "report (guard: +1 GET)", None, (sent,),
            varies=False),
        Row(f"CPU of `pulumi up` of {count} (CLI, language host, program, provider host), "
            f"median of {repeats}", f"{cpu_ours:.2f} s ({cpu_ours / count * 1e3:.1f} ms "
            f"per resource, {cpu_ours / ours * 100:.0f} % of one core)",
            f"{cpu_ref:.2f} s no-op ({cpu_ref / count * 1e3:.1f} ms, "
            f"{cpu_ref / ref * 100:.0f} %)", cpu_ours / cpu_ref,
            f"report ({cores} cores = {cores * 100} %)", None, (cpu_ours, cpu_ref)),
        Row(f"Per resource in `pulumi up` of {count}, ours minus no-op",
            f"{(ours - ref) / count * 1e3:.2f} ms", f"{ours / count * 1e3:.2f} ms ours, "
            f"{ref / count * 1e3:.2f} ms no-op", None, "report", None,
            ((ours - ref) / count,)),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 resources, 1 repeat, no warm-up: checks the code runs")
    parser.add_argument("--json", action="store_true", help="also print rows as JSON")
    parser.add_argument("--work-dir", type=Path, help="where stacks live (default: a temp dir)")
    parser.add_argument("--up-repeats", type=int, default=5,
                        help="alternating pairs of `pulumi up` of 200 (default 5)")
    parser.add_argument("--preview-repeats", type=int, default=11,
                        help="alternating pairs of previews (default 11: enough to settle "
                             "the second decimal on a quiet machine)")
    options = parser.parse_args(argv)
    # Previews are short and vary more (load from other processes): more of them.
    repeats, preview_repeats, count = ((1, 1, 3) if options.quick
                                       else (options.up_repeats, options.preview_repeats, 200))
    # Bytecode for the package and the benchmark's programs, as a wheel's install writes
    # it: where PYTHONDONTWRITEBYTECODE is set (this project's machines), every program and
    # provider host would otherwise compile stale or missing files again, on one side only.
    for folder in ("pulumi_mihu", "benchmarks"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    binary = pulumi_path()
    if binary is None:
        parser.error("the Pulumi CLI is not on PATH or in ~/.pulumi/bin "
                     "(scripts/install-pulumi-cli.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="mihu-engine-bench-",
                                     dir=options.work_dir) as tmp:
        work = Path(tmp)
        parallel = default_parallel(binary)
        load_before = os.getloadavg()
        rows = engine_rows(work, count, repeats, preview_repeats, not options.quick,
                           parallel)
        load_after = os.getloadavg()
    version = cli_version(binary)
    print(f"Machine: {platform.machine()}, {usable_cores()} cores usable "
          f"({os.cpu_count()} online), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; Pulumi CLI "
          f"{'.'.join(map(str, version)) if version else '?'}, engine --parallel "
          f"{parallel} (default); load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after\n")
    print_table(rows, as_json=options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
