"""The fault matrix: concurrent creates through the real provider host under each fault
mix, counting connections created against expected and secrets found in what the user
could see; in the dynamic resource's host and in the native plugin (``--mode``).

    python -m benchmarks.faults [--runs 5] [--count 20] [--mode dynamic|native|both]
"""

from __future__ import annotations

import argparse
import sys

from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator
from tests.support import scan
from tests.support.faults import (
    FAULT_SETTINGS,
    MODES,
    concurrent_creates,
    credentials,
    fault_mixes,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both",
                        help="the provider host: dynamic, native or both (default)")
    options = parser.parse_args(argv)
    print("| mode | fault mix | faults injected (hit) | runs | connections created / "
          "expected | duplicated | lost | secret hits |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in MODES if options.mode == "both" else (options.mode,):
        for name in sorted(fault_mixes()):
            print(row(mode, name, options.runs, options.count))
    return 0


def row(mode: str, name: str, runs: int, count: int) -> str:
    """One fault mix in one mode, ``runs`` times ``count`` concurrent creates: its row."""
    injected = hit = created = duplicated = lost = secret_hits = 0
    for _ in range(runs):
        faults = fault_mixes()[name]
        with MihuSimulator() as sim:
            sim.inject(*faults)
            config = {"mihu:apiToken": DEFAULT_TOKEN, "mihu:baseUrl": sim.base_url,
                      "mihu:retryBaseDelay": "0.01", **FAULT_SETTINGS}
            ids, stderr = concurrent_creates(config, count, mode)
            sim.wait_idle()
            created += len(sim.connections)
            # In the account but tracked by no resource; tracked but not in the account.
            duplicated += len(set(sim.connections) - set(ids))
            lost += len(set(ids) - set(sim.connections)) + len(ids) - len(set(ids))
            injected += sum(f.times for f in fault_mixes()[name])
            hit += sum(original.times - f.times
                       for original, f in zip(fault_mixes()[name], faults, strict=True))
            secrets = {"api token": DEFAULT_TOKEN}
            for index in range(count):
                user, password = credentials(index)
                secrets[f"username {index}"] = user
                secrets[f"password {index}"] = password
            responses = "\n".join(r.response_body for r in sim.requests if not r.injected)
            secret_hits += len(scan({"host stderr": stderr, "responses": responses}, secrets))
    return (f"| {mode} | {name} | {injected} ({hit}) | {runs} | {created} / {runs * count} "
            f"| {duplicated} | {lost} | {secret_hits} |")


if __name__ == "__main__":
    sys.exit(main())
