"""Run the real Pulumi CLI against a local file backend, for end-to-end tests and the demo.

Each ``PulumiCli`` gets its own state directory (``pulumi login file://...``), a
passphrase secrets provider, and a copy of the program's project without its
``virtualenv`` option, so the CLI runs the program and the dynamic provider host with
this interpreter (where ``pulumi_mihu`` is installed) instead of building a new venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PASSPHRASE = "pulumi-mihu-local-passphrase"


def pulumi_path() -> str | None:
    return shutil.which("pulumi")


class PulumiCli:
    def __init__(self, program_dir: str | Path, *, project: str, stack: str = "dev",
                 work_dir: str | Path | None = None, env: Mapping[str, str] | None = None) -> None:
        binary = pulumi_path()
        if binary is None:
            raise RuntimeError("the Pulumi CLI is not on PATH")
        self.binary = binary
        self.root = Path(work_dir or tempfile.mkdtemp(prefix="pulumi-mihu-cli-"))
        self.state_dir = self.root / "state"
        self.project_dir = self.root / "project"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.project_dir.mkdir(parents=True, exist_ok=True)
        program = (Path(program_dir).resolve() / "__main__.py")
        (self.project_dir / "Pulumi.yaml").write_text(
            f"name: {project}\nruntime:\n  name: python\n")
        (self.project_dir / "__main__.py").write_text(
            "import runpy\n"
            f"runpy.run_path({str(program)!r}, run_name='__main__')\n")
        self.stack = stack
        python_dir = str(Path(sys.executable).parent)
        self.env = {
            **os.environ,
            **(env or {}),
            "PATH": python_dir + os.pathsep + os.environ.get("PATH", ""),
            "PULUMI_PYTHON_CMD": sys.executable,
            "PULUMI_BACKEND_URL": self.state_dir.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(self.root / "home"),
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [self.binary, *args, "--non-interactive", "--cwd", str(self.project_dir)],
            env=self.env, capture_output=True, text=True, timeout=600)
        if check and completed.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} failed ({completed.returncode}):\n"
                               f"{completed.stdout}\n{completed.stderr}")
        return completed

    def init(self, config: Mapping[str, str], secret_keys: set[str]) -> None:
        self.run("stack", "init", self.stack, "--secrets-provider", "passphrase")
        for key, value in config.items():
            flags = ["--secret"] if key in secret_keys else ["--plaintext"]
            self.run("config", "set", key, value, *flags, "--stack", self.stack)

    def preview(self) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "--stack", self.stack, "--diff")

    def up(self) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", "--stack", self.stack)

    def refresh(self) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", "--skip-preview", "--stack", self.stack)

    def destroy(self) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--skip-preview", "--stack", self.stack)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", "--stack", self.stack]
        if show_secrets:
            args.append("--show-secrets")
        return dict(json.loads(self.run(*args).stdout or "{}"))

    def export_state(self) -> dict[str, Any]:
        return dict(json.loads(self.run("stack", "export", "--stack", self.stack).stdout))

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
