"""The end-to-end demo: the root example stack against a local Mihu API simulator, run by
the real Pulumi CLI: ``pulumi preview``, ``up``, ``up`` again and ``destroy`` with a
throw-away local file backend. It prints the plan, the stack outputs and the requests the
simulator received.

Without the CLI (neither on PATH nor in ~/.pulumi/bin) it first builds it with
scripts/install-pulumi-cli.sh, saying so and showing its progress (10-20 minutes the first
time); where that cannot be done (no Go), it says how to install Pulumi and exits with
status 1.

``./demo.sh [--no-read-routes]`` (``python scripts/demo.py`` inside the venv). A
development tool of this repository: it runs the repository's root example stack.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi_mihu.testing.cli import PulumiCli  # noqa: E402
from pulumi_mihu.testing.simulator import MihuSimulator  # noqa: E402
from tests.support import CliUnavailable, ensure_cli  # noqa: E402

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
    try:
        found = ensure_cli(lambda line: print(line, flush=True))
    except CliUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    with MihuSimulator(token="demo-" + secrets.token_urlsafe(16),
                       read_routes=not options.no_read_routes) as sim:
        print(f"Mihu API simulator listening on {sim.base_url}")
        print(f"Pulumi CLI: {found}; running the real pulumi preview/up/destroy with a local "
              "file backend.")
        run_with_cli(sim, options.project_dir)
        _print_requests(sim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
