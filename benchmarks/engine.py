"""Benchmarks through the real Pulumi engine, each next to its reference run on the same
engine, as a markdown table (issue 9, item 7; the native provider beside the dynamic
resources, issue 20, item 9).

    python -m benchmarks.engine                # the full table (about 12 min on 2 cores)
    python -m benchmarks.engine --quick        # 3 resources, 1 repeat (used by a test)

First issue 19's rows: previews of a 1-trunk stack, the dynamic resource against the no-op
in alternating pairs. Then four stacks of the same COUNT trunks, the same inputs
(credentials secret), each mode its own stack: ``dynamic`` (pulumi_mihu's
SipTrunkConnection, a dynamic resource), ``native`` (the ``mihu`` plugin's
``mihu:index:SipTrunkConnection`` registered by its token from a Python program, as a
generated SDK does), ``noop`` (the reference: a no-op dynamic resource,
``benchmarks/noop_provider.py``: trivial Check and Diff, a Create that sleeps as long as one
API request takes at the simulated latency) and ``yaml`` (the native type from a Pulumi YAML
program, generated here: YAML has no loops). Within each repeat the modes run one after
another in that order, so that load from other processes on the machine falls on all of
them. The native stacks find the plugin in their own throw-away ``PULUMI_HOME``'s plugin
cache (``pulumi plugin install resource mihu <version> --file``, the way docs/native.md
recommends), and every stack runs with ``PULUMI_IGNORE_AMBIENT_PLUGINS=true``, so no run
takes a plugin from PATH or prints its warning. The simulator runs in its own process, as in
``python -m benchmarks``. Needs the Pulumi CLI and its YAML language host
(``scripts/install-pulumi-cli.sh``) and the package installed (``pip install -e .``: the
plugin ``pulumi-resource-mihu`` beside the interpreter).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import resource
import shutil
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
from pulumi_mihu import __version__
from pulumi_mihu.testing.cli import PulumiCli, cli_version, pulumi_path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = Path(__file__).resolve().parent / "engine_stack.py"
#: The modes, in the order they run within a repeat.
MODES = ("dynamic", "native", "noop", "yaml")
#: The modes that send requests to the API (the no-op does not).
MIHU_MODES = ("dynamic", "native", "yaml")
#: The digits after +1555 of each mode's phone numbers (see engine_stack.py).
NUMBERS = {"dynamic": "101", "native": "102", "noop": "103", "yaml": "104"}
LABELS = {"dynamic": "dynamic", "native": "native (Python)", "noop": "no-op",
          "yaml": "native (YAML)"}
#: The native modes use the plugin the package installs beside the interpreter.
PLUGIN = Path(sys.executable).parent / "pulumi-resource-mihu"


def default_parallel(binary: str) -> int | None:
    """The engine's default ``--parallel``, as ``pulumi up --help`` states it (v3.274.1:
    4 x the CPUs the Go runtime sees)."""
    help_text = subprocess.run([binary, "up", "--help"], capture_output=True, text=True,
                               env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}).stdout
    match = re.search(r"--parallel int32 .*\(default (\d+)\)", help_text)
    return int(match[1]) if match else None


def yaml_program(project: str, count: int, numbers: str) -> str:
    """The Pulumi YAML program of ``count`` trunks with the Python programs' inputs, written
    out one resource at a time (YAML has no loops). Phone numbers are quoted literals: the
    YAML host turns config values that parse as numbers into numbers (docs/native.md)."""
    lines = [f"name: {project}", "runtime: yaml", "config:",
             "  sipUsername: {type: string, secret: true}",
             "  sipPassword: {type: string, secret: true}", "resources:"]
    for i in range(count):
        lines += [f"  trunk-{i}:", "    type: mihu:index:SipTrunkConnection",
                  "    properties:", f"      name: trunk-{i}",
                  f'      phoneNumber: "+1555{numbers}{i:04d}"', "      gateway: sip.telnyx.com",
                  "      username: ${sipUsername}", "      password: ${sipPassword}"]
    lines += ["outputs:", "  uuids:"] + [f"    - ${{trunk-{i}.uuid}}" for i in range(count)]
    return "\n".join(lines) + "\n"


def make_stack(mode: str, count: int, sim: RemoteSimulator, work_dir: Path,
               numbers: str | None = None) -> PulumiCli:
    """A new stack of ``count`` trunks in ``mode``, configured for the simulator (the
    default provider's ``mihu:*`` config, read by the dynamic and the native provider
    alike), with the plugin in its own plugin cache for the native modes. ``numbers``:
    the digits after +1555 of its phone numbers (default: the mode's, NUMBERS)."""
    project = f"bench-{mode}"
    numbers = numbers or NUMBERS[mode]
    cli = PulumiCli(PROGRAM, project=project, stack="bench", work_dir=work_dir,
                    env={"PYTHONPATH": os.pathsep.join(
                        [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
                         "PULUMI_IGNORE_AMBIENT_PLUGINS": "true"})
    config = {**config_for(sim), f"{project}:sipUsername": "bench-user",
              f"{project}:sipPassword": "bench-password"}
    if mode == "yaml":
        (cli.project_dir / "__main__.py").unlink()
        (cli.project_dir / "Pulumi.yaml").write_text(yaml_program(project, count, numbers))
    else:
        config.update({f"{project}:kind": mode, f"{project}:count": str(count),
                       f"{project}:numbers": numbers})
    cli.init(config, {"mihu:apiToken", f"{project}:sipUsername", f"{project}:sipPassword"})
    if mode in ("native", "yaml"):
        cli.run("plugin", "install", "resource", "mihu", __version__, "--file", str(PLUGIN))
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


Runs = dict[str, list[float]]


def one_trunk_rows(work: Path, sim: RemoteSimulator, repeats: int,
                   warm_up: bool) -> list[Row]:
    """Issue 19's rows, kept beside the native ones: ``pulumi preview`` of a 1-trunk stack,
    new (Check only), then deployed and unchanged (Check and Diff), dynamic against the
    no-op in ``repeats`` alternating pairs (previews are short and vary more: more of
    them). The stacks are destroyed afterwards; their phone numbers are their own."""
    modes = ("dynamic", "noop")
    stacks = {m: make_stack(m, 1, sim, work / f"{m}-1", numbers="9" + NUMBERS[m][1:])
              for m in modes}
    if warm_up:  # the CLI's first run in a new home, and cold file caches: not counted
        for mode in modes:
            timed_run(stacks[mode], "preview")

    def previews() -> Runs:
        runs: Runs = {m: [] for m in modes}
        for _ in range(repeats):
            for mode in modes:
                runs[mode].append(timed_run(stacks[mode], "preview"))
        return runs

    new = previews()
    for mode in modes:
        stacks[mode].up()
    same = previews()
    for mode in modes:
        stacks[mode].destroy()
    rows = []
    for label, runs in (("new stack", new), ("deployed, unchanged", same)):
        ours, ref = statistics.median(runs["dynamic"]), statistics.median(runs["noop"])
        # Each pair ran back to back: the spread of their ratios shows how much the load
        # of the moment moves one run (issue 19 asks for it next to the median).
        pairs = [o / r for o, r in zip(runs["dynamic"], runs["noop"], strict=True)]
        rows.append(Row(f"`pulumi preview`, 1 trunk, {label}, median of {repeats} "
                        "alternating pairs, dynamic", f"{ours:.2f} s (pair ratios "
                        f"{span(pairs)})", f"{ref:.2f} s no-op dynamic resource", ours / ref,
                        "<= 1.05x", ours / ref <= 1.05, (ours, ref)))
    return rows


def span(values: list[float]) -> str:
    """The spread of some runs or ratios, lowest to highest."""
    return f"{min(values):.2f} to {max(values):.2f}"


def phase_rows(what: str, runs: Runs, goal: float) -> list[Row]:
    """The rows of one timed step (``what``) in every mode: each mihu mode against the
    no-op (the dynamic mode held to ``goal``, the cost the package may add to the engine's
    own), then each native mode against the dynamic one, repeat by repeat (each pair ran
    within minutes of each other: the spread of their ratios shows how much the load of the
    moment moves one run), held to the issue's goal: native at least as fast."""
    medians = {mode: statistics.median(times) for mode, times in runs.items()}
    ref, dynamic = medians["noop"], medians["dynamic"]
    rows = []
    for mode in MIHU_MODES:
        ratio = medians[mode] / ref
        rows.append(Row(
            f"{what}, {LABELS[mode]}", f"{medians[mode]:.2f} s (runs {span(runs[mode])})",
            f"{ref:.2f} s no-op (runs {span(runs['noop'])})", ratio,
            f"<= {goal:.2f}x no-op" if mode == "dynamic" else "report (x no-op)",
            ratio <= goal if mode == "dynamic" else None, (medians[mode], ref)))
    for mode in ("native", "yaml"):
        pairs = [n / d for n, d in zip(runs[mode], runs["dynamic"], strict=True)]
        ratio = medians[mode] / dynamic
        rows.append(Row(
            f"{what}, {LABELS[mode]} / dynamic", f"{medians[mode]:.2f} s (pair ratios "
            f"{span(pairs)})", f"{dynamic:.2f} s dynamic", ratio,
            "<= 1.00 (native at least as fast)", ratio <= 1.0, (medians[mode], dynamic)))
    return rows


def engine_rows(work: Path, count: int, repeats: int, preview_repeats: int,
                one_trunk_repeats: int, warm_up: bool, parallel: int | None) -> list[Row]:
    """One stack per mode, through the same steps, the modes in turn within each repeat:

    - ``pulumi preview`` of the new stack of COUNT trunks (every resource to create: Check
      only), PREVIEW_REPEATS times;
    - ``pulumi up`` of the COUNT trunks at 20 ms per request (the no-op's Create sleeps
      20 ms), REPEATS times, each a fresh deployment (the one before destroyed, untimed).
      Also the requests each mihu mode's up sends (COUNT POSTs, and the create guard's one
      GET of the connection list before the first create) and the CPU of the up;
    - ``pulumi preview`` of the deployed, unchanged stack (Check and Diff),
      PREVIEW_REPEATS times."""
    new: Runs = {m: [] for m in MODES}
    same: Runs = {m: [] for m in MODES}
    ups: Runs = {m: [] for m in MODES}
    up_cpu: Runs = {m: [] for m in MODES}
    sent: dict[str, list[int]] = {m: [] for m in MIHU_MODES}
    with simulator(LATENCY) as sim:
        first = one_trunk_rows(work, sim, one_trunk_repeats, warm_up)
        stacks = {m: make_stack(m, count, sim, work / m) for m in MODES}
        if warm_up:  # the CLI's first run in a new home, and cold file caches: not counted
            for mode in MODES:
                timed_run(stacks[mode], "preview")
        for _ in range(preview_repeats):
            for mode in MODES:
                new[mode].append(timed_run(stacks[mode], "preview"))
        for repeat in range(repeats):
            for mode in MODES:
                before = sim.stats()["requests"]
                ups[mode].append(timed_run(stacks[mode], "up", "--yes", "--skip-preview",
                                           cpu=up_cpu[mode]))
                if mode in sent:  # the simulator logs reads of its stats too: minus 1
                    sent[mode].append(sim.stats()["requests"] - before - 1)
                if repeat < repeats - 1:
                    stacks[mode].destroy()
        for _ in range(preview_repeats):
            for mode in MODES:
                same[mode].append(timed_run(stacks[mode], "preview"))
    shown = "--parallel default" if parallel is None else f"--parallel {parallel} (default)"
    rows = first + phase_rows(f"`pulumi preview`, {count} trunks, new stack, median of "
                              f"{preview_repeats}", new, 1.05)
    rows += phase_rows(f"`pulumi preview`, {count} trunks, deployed, unchanged, median of "
                       f"{preview_repeats}", same, 1.05)
    rows += phase_rows(f"`pulumi up`, {count} trunks, 20 ms latency, {shown}, median of "
                       f"{repeats}", ups, 1.05)
    medians = {mode: statistics.median(times) for mode, times in ups.items()}
    requests = {mode: statistics.median(counts) for mode, counts in sent.items()}
    rows.append(Row(
        f"Requests to the API per `pulumi up` of {count}",
        ", ".join(f"{requests[m]:.0f} {LABELS[m]}" for m in MIHU_MODES),
        f"{count} creates", requests["dynamic"] / count, "report (guard: +1 GET)", None,
        tuple(requests[m] for m in MIHU_MODES), varies=False))
    cores = usable_cores()
    cpu = {mode: statistics.median(times) for mode, times in up_cpu.items()}
    ref, ref_cpu = medians["noop"], cpu["noop"]
    for mode in MIHU_MODES:
        rows.append(Row(
            f"CPU of `pulumi up` of {count} (CLI, language host, program, provider host), "
            f"{LABELS[mode]}, median of {repeats}",
            f"{cpu[mode]:.2f} s ({cpu[mode] / count * 1e3:.1f} ms per resource, "
            f"{cpu[mode] / medians[mode] * 100:.0f} % of one core)",
            f"{ref_cpu:.2f} s no-op ({ref_cpu / count * 1e3:.1f} ms, "
            f"{ref_cpu / ref * 100:.0f} %)", cpu[mode] / ref_cpu,
            f"report ({cores} cores = {cores * 100} %)", None, (cpu[mode], ref_cpu)))
    rows.append(Row(
        f"Per resource in `pulumi up` of {count}, each minus no-op",
        ", ".join(f"{(medians[m] - ref) / count * 1e3:.2f} ms {LABELS[m]}"
                  for m in MIHU_MODES), f"{ref / count * 1e3:.2f} ms no-op", None,
        "report", None, tuple((medians[m] - ref) / count for m in MIHU_MODES)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 resources, 1 repeat, no warm-up: checks the code runs")
    parser.add_argument("--json", action="store_true", help="also print rows as JSON")
    parser.add_argument("--work-dir", type=Path, help="where stacks live (default: a temp dir)")
    parser.add_argument("--up-repeats", type=int, default=5,
                        help="rounds of `pulumi up` of 200, each mode once a round "
                             "(default 5)")
    parser.add_argument("--preview-repeats", type=int, default=5,
                        help="rounds of previews of 200, new and deployed, each mode once a "
                             "round (default 5)")
    parser.add_argument("--one-trunk-repeats", type=int, default=11,
                        help="alternating pairs of previews of 1 trunk, dynamic and no-op "
                             "(default 11: enough to settle the second decimal on a quiet "
                             "machine)")
    options = parser.parse_args(argv)
    repeats, preview_repeats, one_trunk, count = (
        (1, 1, 1, 3) if options.quick else (options.up_repeats, options.preview_repeats,
                                            options.one_trunk_repeats, 200))
    # Bytecode for the package and the benchmark's programs, as a wheel's install writes
    # it: where PYTHONDONTWRITEBYTECODE is set (this project's machines), every program and
    # provider host would otherwise compile stale or missing files again, on one side only.
    for folder in ("pulumi_mihu", "benchmarks"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    binary = pulumi_path()
    if binary is None:
        parser.error("the Pulumi CLI is not on PATH or in ~/.pulumi/bin "
                     "(scripts/install-pulumi-cli.sh installs it)")
    if not shutil.which("pulumi-language-yaml", path=os.pathsep.join(
            [str(Path(binary).parent), os.environ.get("PATH", "")])):
        parser.error("the YAML language host pulumi-language-yaml is not beside the CLI "
                     "or on PATH (scripts/install-pulumi-cli.sh builds it)")
    if not os.access(PLUGIN, os.X_OK):
        parser.error(f"{PLUGIN} is missing: install the package (pip install -e .)")
    with tempfile.TemporaryDirectory(prefix="mihu-engine-bench-",
                                     dir=options.work_dir) as tmp:
        work = Path(tmp)
        parallel = default_parallel(binary)
        load_before = os.getloadavg()
        rows = engine_rows(work, count, repeats, preview_repeats, one_trunk,
                           not options.quick, parallel)
        load_after = os.getloadavg()
    version = cli_version(binary)
    print(f"Machine: {platform.machine()}, {usable_cores()} cores usable "
          f"({os.cpu_count()} online), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; Pulumi CLI "
          f"{'.'.join(map(str, version)) if version else '?'}, engine --parallel "
          f"{parallel} (default); load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; native plugin pulumi-resource-mihu {__version__} in "
          "each stack's plugin cache, PULUMI_IGNORE_AMBIENT_PLUGINS=true\n")
    print_table(rows, as_json=options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
