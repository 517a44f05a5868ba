"""The fleet example's speed-up: the same accounts brought up to date several at a time
against one after another (issue 21, item 4), in one run of the machine.

    python -m benchmarks.fleet                          # 20 accounts x 10 trunks, 20 ms,
                                                        # --parallel 4 against --parallel 1
    python -m benchmarks.fleet --accounts 3 --trunks 2  # a quick look

Each mode gets fresh simulators (one per account, in this process, at the simulated
latency) and a fresh state dir, so both create the same stacks from nothing; then each
runs again over what it made (a rerun with nothing to do). ``examples/fleet/fleet.py``
runs as a user runs it, in its own process (the CLI, the inline programs' language
server and the provider hosts are its children). Run by hand, not in CI: about four
minutes on two idle cores. Needs the Pulumi CLI (``scripts/install-pulumi-cli.sh``).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from benchmarks.__main__ import LATENCY, Row, print_table, usable_cores
from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PASSPHRASE, cli_version, pulumi_path

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "examples" / "fleet" / "fleet.py"


def write_inventory(work: Path, sims: list[MihuSimulator], trunks: int) -> Path:
    """One account per simulator, ``trunks`` trunks each; tokens and SIP credentials in
    files, as the inventory points to them."""
    secrets = work / "secrets"
    secrets.mkdir(parents=True)
    accounts = []
    for a, sim in enumerate(sims):
        name = f"customer-{a:02d}"
        (secrets / f"{name}.token").write_text(sim.state.token)
        keys = [f"line-{t}" for t in range(trunks)]
        (secrets / f"{name}-sip.json").write_text(json.dumps(
            {key: {"username": f"u-{a}-{key}", "password": f"p-{a}-{key}"} for key in keys}))
        accounts.append({
            "name": name, "base_url": sim.base_url,
            "token": {"file": f"secrets/{name}.token"},
            "sip_credentials": {"file": f"secrets/{name}-sip.json"},
            "trunks": [{"key": key, "name": f"{name} {key}",
                        "phone_number": f"+1555{a:03d}{t:04d}", "gateway": "sip.telnyx.com"}
                       for t, key in enumerate(keys)]})
    inventory = work / "inventory.json"
    inventory.write_text(json.dumps({"accounts": accounts}))
    return inventory


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_fleet(work: Path, inventory: Path, parallel: int, binary: str,
              log: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of the fleet (it and every process it waited for);
    its output goes to ``log``. A run that fails stops the benchmark."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MIHU_")},
           "PATH": os.pathsep.join([str(Path(binary).parent), str(Path(sys.executable).parent),
                                    os.environ.get("PATH", "")]),
           "PULUMI_HOME": str(work / "pulumi-home"),
           "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
           "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
           "NO_COLOR": "1"}
    cpu, start = children_cpu(), time.perf_counter()
    with log.open("a") as out:
        completed = subprocess.run(
            [sys.executable, str(FLEET), str(inventory), "--parallel", str(parallel),
             "--state-dir", str(work / "state")],
            env=env, stdout=out, stderr=subprocess.STDOUT, check=False, timeout=3600)
    wall, used = time.perf_counter() - start, children_cpu() - cpu
    if completed.returncode != 0:
        raise SystemExit(f"the fleet failed (--parallel {parallel}): see {log}")
    return wall, used


def measure(work: Path, accounts: int, trunks: int, parallel: int, latency: float,
            binary: str) -> tuple[float, float, float, float]:
    """(first up's wall, its CPU, rerun's wall, its CPU) of one mode, on fresh
    simulators; checks each account holds exactly its trunks, and the rerun wrote
    nothing."""
    with ExitStack() as stack:
        sims = [stack.enter_context(MihuSimulator(latency=latency)) for _ in range(accounts)]
        inventory = write_inventory(work, sims, trunks)
        log = work / "fleet.log"
        first = run_fleet(work, inventory, parallel, binary, log)
        held = [len(sim.connections) for sim in sims]
        assert held == [trunks] * accounts, f"accounts hold {held} trunks"
        writes = sum(len(sim.writes()) for sim in sims)
        rerun = run_fleet(work, inventory, parallel, binary, log)
        assert sum(len(sim.writes()) for sim in sims) == writes, "the rerun wrote"
    return (*first, *rerun)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--trunks", type=int, default=10, help="per account")
    parser.add_argument("--parallel", type=int, default=4,
                        help="the bound measured against --parallel 1 (default 4)")
    parser.add_argument("--latency-ms", type=float, default=LATENCY * 1000)
    parser.add_argument("--work-dir", type=Path, help="where stacks live (default: a temp dir)")
    options = parser.parse_args(argv)
    binary = pulumi_path()
    if binary is None:
        parser.error("the Pulumi CLI is not on PATH or in ~/.pulumi/bin "
                     "(scripts/install-pulumi-cli.sh installs it)")
    # Bytecode, as a wheel's install writes it (benchmarks/engine.py says why).
    for folder in ("pulumi_mihu", "examples/fleet"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    size = f"{options.accounts} accounts x {options.trunks} trunks"
    latency = options.latency_ms / 1000
    results = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mihu-fleet-bench-", dir=options.work_dir) as tmp:
        for parallel in (1, options.parallel):
            work = Path(tmp) / f"parallel-{parallel}"
            results[parallel] = measure(work, options.accounts, options.trunks, parallel,
                                        latency, binary)
            print(f"--parallel {parallel}: first up {results[parallel][0]:.1f} s, rerun "
                  f"{results[parallel][2]:.1f} s", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    one, many = results[1], results[options.parallel]
    rows = [
        Row(f"fleet, {size}, {options.latency_ms:.0f} ms latency, new stacks: "
            f"--parallel {options.parallel}", f"{many[0]:.1f} s (CPU {many[1]:.1f} s)",
            f"{one[0]:.1f} s one after another (CPU {one[1]:.1f} s)", one[0] / many[0],
            "report (speed-up)", None, (many[0], one[0])),
        Row(f"fleet, {size}, rerun with nothing to do: --parallel {options.parallel}",
            f"{many[2]:.1f} s (CPU {many[3]:.1f} s)",
            f"{one[2]:.1f} s one after another (CPU {one[3]:.1f} s)", one[2] / many[2],
            "report (speed-up)", None, (many[2], one[2])),
    ]
    version = cli_version(binary)
    print(f"Machine: {platform.machine()}, {usable_cores()} cores usable "
          f"({os.cpu_count()} online), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; Pulumi CLI "
          f"{'.'.join(map(str, version)) if version else '?'}; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
