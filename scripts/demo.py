"""The end-to-end demo: the root example stack against a local Mihu API simulator.

With the Pulumi CLI on PATH it runs the real ``pulumi preview``, ``up``, ``up`` again and
``destroy`` with a local file backend. Without it, it says so and runs the same program
through the engine-protocol harness (the SDK's real provider host, driven as the engine
drives it). Either way it prints the plan, the stack outputs and the requests the
simulator received.

``./demo.sh [--no-read-routes]`` (``python scripts/demo.py`` inside the venv). A
development tool of this repository: it runs the repository's root example stack.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from pulumi_mihu.testing.cli import PulumiCli, pulumi_path
from pulumi_mihu.testing.harness import RunResult, StackHarness
from pulumi_mihu.testing.host import strip_secrets
from pulumi_mihu.testing.simulator import MihuSimulator

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "mihu-sip-trunks"


def _config(sim: MihuSimulator) -> tuple[dict[str, str], set[str]]:
    config = {
        "mihu:apiToken": sim.state.token,
        "mihu:baseUrl": sim.base_url,
        f"{PROJECT}:phoneNumber": "+15551230000",
        f"{PROJECT}:secondaryGateway": "sip2.telnyx.com",
        f"{PROJECT}:sipUsername": "demo-sip-user",
        f"{PROJECT}:sipPassword": "demo-" + secrets.token_urlsafe(12),
    }
    return config, {"mihu:apiToken", f"{PROJECT}:sipUsername", f"{PROJECT}:sipPassword"}


def _print_requests(sim: MihuSimulator) -> None:
    print("\nRequests the Mihu API simulator received:")
    for entry in sim.requests:
        body = ""
        if isinstance(entry.body, dict):
            shown = {k: ("***" if k in ("username", "password") else v)
                     for k, v in entry.body.items()}
            body = f" {shown}"
        print(f"  {entry.method:6} {entry.path} -> {entry.status}{body}")
    print(f"Connections left in the simulated account: {len(sim.connections)}")


def _show_outputs(outputs: dict[str, Any]) -> str:
    plain, secret = strip_secrets(outputs)

    def show(key: str, value: Any) -> str:
        if key in secret:
            return "[secret]"
        return "(known after up)" if value == rpc.UNKNOWN else str(value)

    return ", ".join(f"{k}={show(k, v)}" for k, v in sorted(plain.items()))


def _report(title: str, result: RunResult) -> None:
    print(f"\n== {title}: {result.summary()}")
    for step in result.steps:
        detail = f" ({step.detail})" if step.detail else ""
        print(f"   {step.op:20} {step.urn.rsplit('::', 1)[-1]}{detail}")
    for warning in result.warnings:
        print(f"   warning: {warning}")
    if result.outputs:
        print(f"   outputs: {_show_outputs(result.outputs)}")


def run_with_harness(sim: MihuSimulator, project_dir: Path) -> None:
    config, secret_keys = _config(sim)
    stack = StackHarness(project_dir, config=config, secret_keys=secret_keys, project=PROJECT)
    _report("pulumi preview", stack.preview())
    _report("pulumi up", stack.up())
    _report("pulumi up (again: expect no changes)", stack.up())
    _report("pulumi destroy", stack.destroy())


def run_with_cli(sim: MihuSimulator, project_dir: Path) -> None:
    config, secret_keys = _config(sim)
    cli = PulumiCli(project_dir, project=PROJECT)
    try:
        cli.init(config, secret_keys)
        for title, action in (("pulumi preview", cli.preview), ("pulumi up", cli.up)):
            print(f"\n== {title}\n{action().stdout}")
        print(f"== pulumi stack output\n{cli.outputs()}")
        print(f"\n== pulumi up (again: expect no changes)\n{cli.up().stdout}")
        print(f"\n== pulumi destroy\n{cli.destroy().stdout}")
    finally:
        cli.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-read-routes", action="store_true",
                        help="simulate an API without the undocumented GET/DELETE routes")
    parser.add_argument("--project-dir", type=Path, default=ROOT,
                        help="the Pulumi project to run (default: this repository's root stack)")
    options = parser.parse_args(argv)
    if not (options.project_dir / "__main__.py").exists():
        parser.error(f"{options.project_dir} has no __main__.py; pass --project-dir")
    with MihuSimulator(token="demo-" + secrets.token_urlsafe(16),
                       read_routes=not options.no_read_routes) as sim:
        print(f"Mihu API simulator listening on {sim.base_url}")
        if pulumi_path():
            print(f"Pulumi CLI found ({pulumi_path()}): running the real pulumi "
                  "preview/up/destroy with a local file backend.")
            run_with_cli(sim, options.project_dir)
        else:
            print("The Pulumi CLI is not installed (not on PATH, nor in ~/.pulumi/bin). To "
                  "run this demo on the real engine, install it:\n"
                  "  - here (machines without Pulumi's downloads, with Go): "
                  "scripts/install-pulumi-cli.sh\n"
                  "  - elsewhere: Pulumi's installer, https://www.pulumi.com/docs/install/\n"
                  "Meanwhile, running the same program through the engine-protocol harness: "
                  "the SDK's real dynamic provider host, driven over gRPC as the engine "
                  "drives it.")
            run_with_harness(sim, options.project_dir)
        _print_requests(sim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
