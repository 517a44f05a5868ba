"""Run the real Pulumi CLI against a local file backend, for end-to-end tests and the demo.

Each ``PulumiCli`` gets its own state directory (``pulumi login file://...``), a
passphrase secrets provider, and a project that runs the given program (a directory with
a ``__main__.py``, or one ``.py`` file) without the project's ``virtualenv`` option, so
the CLI runs the program and the dynamic provider host with this interpreter (where
``pulumi_mihu`` is installed) instead of building a new venv. Automatic plugin downloads
are disabled: a stack of dynamic resources needs none.

Every command's output is kept in :attr:`PulumiCli.transcript`, so that tests can check
that no secret ever reached the terminal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Plan",
    "PulumiCli",
    "PulumiCommandError",
    "Step",
    "cli_version",
    "mask_ciphertext",
    "pulumi_path",
]

PASSPHRASE = "pulumi-mihu-local-passphrase"
#: The oldest CLI whose engine passes the stack config to dynamic providers' configure()
#: (pulumi/pulumi#17673, in v3.139.0); older ones leave mihu:* settings unread.
MIN_CLI_VERSION = (3, 139, 0)
#: Where Pulumi's installer and scripts/install-pulumi-cli.sh put the CLI.
DEFAULT_INSTALL_DIR = Path.home() / ".pulumi" / "bin"


def pulumi_path() -> str | None:
    """The ``pulumi`` on PATH, else the one in ``~/.pulumi/bin``, else None."""
    found = shutil.which("pulumi")
    if found:
        return found
    candidate = DEFAULT_INSTALL_DIR / "pulumi"
    return str(candidate) if os.access(candidate, os.X_OK) else None


#: cli_version's answers, by binary and what identifies its file (inode, size, mtime): a
#: rebuilt or replaced binary is asked again. Every CLI stack of a test run checks the
#: version (twice in the make_cli fixture), and each ``pulumi version`` costs ~0.3 s.
_VERSIONS: dict[tuple[str, int, int, int], tuple[int, int, int]] = {}


def cli_version(binary: str) -> tuple[int, int, int] | None:
    """The version ``pulumi version`` prints, as a tuple (None if unreadable). Asked once
    per binary file and process (see ``_VERSIONS``)."""
    try:
        info = os.stat(binary)
    except OSError:
        return _run_version(binary)
    key = (os.path.realpath(binary), info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _VERSIONS:
        version = _run_version(binary)
        if version is None:  # unreadable this time: ask again next time
            return None
        _VERSIONS[key] = version
    return _VERSIONS[key]


def _run_version(binary: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
                             ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def mask_ciphertext(value: Any) -> Any:
    """``value`` (exported state) with every encrypted secret replaced by ``"[secret]"``:
    the passphrase provider encrypts with a fresh nonce on every write, so this is what
    compares two states."""
    if isinstance(value, dict):
        if "ciphertext" in value:
            return "[secret]"
        return {k: mask_ciphertext(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_ciphertext(v) for v in value]
    return value


class PulumiCommandError(RuntimeError):
    """A pulumi command that exited non-zero when success was expected."""

    def __init__(self, args: Iterable[str], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(f"pulumi {' '.join(args)} failed ({result.returncode}):\n"
                         f"{result.stdout}\n{result.stderr}")


@dataclass
class Step:
    """One step of ``pulumi preview --json``."""

    op: str
    urn: str
    diff_reasons: list[str]
    replace_reasons: list[str]
    new_inputs: dict[str, Any]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def type(self) -> str:
        return self.urn.split("::")[-2]


@dataclass
class Plan:
    """What ``pulumi preview --json`` printed."""

    raw: dict[str, Any]

    @property
    def steps(self) -> list[Step]:
        return [Step(op=s.get("op", ""), urn=s.get("urn", ""),
                     diff_reasons=list(s.get("diffReasons") or []),
                     replace_reasons=list(s.get("replaceReasons") or []),
                     new_inputs=dict((s.get("newState") or {}).get("inputs") or {}))
                for s in self.raw.get("steps", [])]

    def resource_steps(self, type_name: str | None = None) -> list[Step]:
        """Steps of resources other than the stack and providers, optionally of one type."""
        steps = [s for s in self.steps if not s.type.startswith("pulumi:")]
        return [s for s in steps if type_name is None or s.type.endswith(":" + type_name)]

    def changes(self) -> dict[str, int]:
        """The change summary without ``same`` (what would change)."""
        summary = self.raw.get("changeSummary") or {}
        return {op: n for op, n in summary.items() if op != "same" and n}

    @property
    def diagnostics(self) -> list[str]:
        return [d.get("message", "") for d in self.raw.get("diagnostics", [])]


def _usable_cli(check_version: bool) -> str:
    """The ``pulumi`` binary, refused when missing or too old for dynamic providers."""
    binary = pulumi_path()
    if binary is None:
        raise RuntimeError("the Pulumi CLI is not on PATH or in ~/.pulumi/bin "
                           "(scripts/install-pulumi-cli.sh installs it)")
    if check_version:
        version = cli_version(binary)
        if version is not None and version < MIN_CLI_VERSION:
            raise RuntimeError(
                f"{binary} is version {'.'.join(map(str, version))}; pulumi-mihu needs "
                f"{'.'.join(map(str, MIN_CLI_VERSION))} or newer (older engines do not "
                "pass the stack config to dynamic providers)")
    return binary


def _write_project(project_dir: Path, project: str, source: Path) -> None:
    """A Pulumi project whose program runs ``source`` (a ``__main__.py``, or a directory
    holding one) from where it lies: the stack's files stay out of the user's tree."""
    project_dir.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        source = source / "__main__.py"
    (project_dir / "Pulumi.yaml").write_text(f"name: {project}\nruntime:\n  name: python\n")
    (project_dir / "__main__.py").write_text(
        "import runpy\n"
        f"runpy.run_path({str(source)!r}, run_name='__main__')\n")


class PulumiCli:
    def __init__(self, program: str | Path, *, project: str, stack: str = "dev",
                 work_dir: str | Path | None = None, env: Mapping[str, str] | None = None,
                 check_version: bool = True) -> None:
        self.binary = binary = _usable_cli(check_version)
        self.project = project
        self.stack = stack
        self.root = Path(work_dir or tempfile.mkdtemp(prefix="pulumi-mihu-cli-"))
        self.state_dir = self.root / "state"
        self.project_dir = self.root / "project"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _write_project(self.project_dir, project, Path(program).resolve())
        python_dir = str(Path(sys.executable).parent)
        self.env = {
            **os.environ,
            **(env or {}),
            "PATH": os.pathsep.join([python_dir, str(Path(binary).parent),
                                     os.environ.get("PATH", "")]),
            "PULUMI_PYTHON_CMD": sys.executable,
            "PULUMI_BACKEND_URL": self.state_dir.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_HOME": str(self.root / "home"),
            "NO_COLOR": "1",
        }
        #: (command, stdout, stderr) of every command run, for leak checks.
        self.transcript: list[tuple[str, str, str]] = []
        #: What read-only commands printed (``stack export``, ``stack output``), by their
        #: arguments, with the stack files they read then (see ``_read``).
        self._reads: dict[tuple[str, ...], tuple[bytes, str]] = {}

    # -- running commands ---------------------------------------------------------------

    def run(self, *args: str, check: bool = True, expect_failure: bool = False,
            shown_as: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi ARGS`` in the project. ``check``: raise if it fails;
        ``expect_failure``: raise if it succeeds; ``shown_as``: the command as recorded
        and reported (to keep config values out of the transcript)."""
        completed = subprocess.run(
            [self.binary, *args, "--non-interactive", "--cwd", str(self.project_dir)],
            env=self.env, capture_output=True, text=True, timeout=600)
        shown = shown_as if shown_as is not None else " ".join(args)
        self.transcript.append((shown, completed.stdout, completed.stderr))
        if expect_failure:
            if completed.returncode == 0:
                raise AssertionError(f"pulumi {shown} succeeded; a failure was "
                                     f"expected:\n{completed.stdout}\n{completed.stderr}")
        elif check and completed.returncode != 0:
            raise PulumiCommandError([shown], completed)
        return completed

    def init(self, config: Mapping[str, str], secret_keys: set[str]) -> None:
        self.run("stack", "init", self.stack, "--secrets-provider", "passphrase")
        if config:
            self.set_config(config, secret_keys)

    def set_config(self, config: Mapping[str, str], secret_keys: Iterable[str] = ()) -> None:
        """Set several config values in one ``pulumi config set-all``."""
        secret = set(secret_keys)
        args = ["config", "set-all", "--stack", self.stack]
        for key, value in config.items():
            args += ["--secret" if key in secret else "--plaintext", f"{key}={value}"]
        self.run(*args, shown_as=f"config set-all --stack {self.stack} "
                                 f"(keys: {', '.join(config)})")

    def preview(self, *, expect_failure: bool = False) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "--stack", self.stack, "--diff",
                        expect_failure=expect_failure)

    def preview_json(self, *, expect_failure: bool = False) -> Plan:
        """``pulumi preview --json``: the plan. A failed preview still prints JSON
        (its diagnostics); with ``expect_failure`` that is returned."""
        result = self.run("preview", "--stack", self.stack, "--json",
                          expect_failure=expect_failure)
        return Plan(json.loads(result.stdout or "{}"))

    def up(self, *, expect_failure: bool = False) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", "--stack", self.stack,
                        expect_failure=expect_failure)

    def refresh(self, *, expect_failure: bool = False) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", "--skip-preview", "--stack", self.stack,
                        expect_failure=expect_failure)

    def destroy(self, *, expect_failure: bool = False) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--skip-preview", "--stack", self.stack,
                        expect_failure=expect_failure)

    # -- reading the stack --------------------------------------------------------------

    def _stack_files(self) -> bytes | None:
        """The bytes of what a read of the stack depends on: its state file in the backend
        and its config file (the secrets' salt); None when there is no state file yet."""
        try:
            state = self.stack_file().read_bytes()
        except FileNotFoundError:
            return None
        config = self.project_dir / f"Pulumi.{self.stack}.yaml"
        settings = config.read_bytes() if config.exists() else b""
        return b"\0".join([state, settings, self.env["PULUMI_CONFIG_PASSPHRASE"].encode()])

    def _read(self, *args: str) -> str:
        """The stdout of the read-only command ``pulumi ARGS``, run again only when the
        stack's files changed since it last ran (tests read the state after every step, often
        several times between two deployments: each run of the CLI costs ~0.2-0.4 s)."""
        before = self._stack_files()
        cached = self._reads.get(args)
        if before is not None and cached is not None and cached[0] == before:
            return cached[1]
        stdout = self.run(*args).stdout
        if before is not None and self._stack_files() == before:
            self._reads[args] = (before, stdout)
        return stdout

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", "--stack", self.stack]
        if show_secrets:
            args.append("--show-secrets")
        return dict(json.loads(self._read(*args) or "{}"))

    def export_state(self) -> dict[str, Any]:
        """``pulumi stack export`` (secrets stay ciphertext)."""
        return dict(json.loads(self._read("stack", "export", "--stack", self.stack)))

    def resources(self, type_name: str | None = None) -> list[dict[str, Any]]:
        """The resources in the exported state, optionally only those of one type."""
        resources = self.export_state()["deployment"].get("resources") or []
        return [r for r in resources if type_name is None
                or str(r.get("type", "")).endswith(":" + type_name)]

    def snapshot(self, type_name: str | None = None) -> list[tuple[str, Any, Any]]:
        """(id, inputs, outputs) of each resource, ciphertext masked: what two states are
        compared by (a refresh drops propertyDependencies, and every write re-encrypts)."""
        return [(r.get("id", ""), mask_ciphertext(r.get("inputs")),
                 mask_ciphertext(r.get("outputs"))) for r in self.resources(type_name)]

    def state_files(self) -> list[Path]:
        """Every file the file backend wrote (state, backups, history)."""
        return sorted(p for p in self.state_dir.rglob("*") if p.is_file())

    def stack_file(self) -> Path:
        """The file backend's current state file of this stack."""
        base = self.state_dir / ".pulumi" / "stacks" / self.project
        for name in (f"{self.stack}.json", f"{self.stack}.json.gz"):
            if (base / name).exists():
                return base / name
        raise FileNotFoundError(f"no state file for {self.stack} under {base}")

    def output_text(self) -> str:
        """Everything every command printed so far."""
        return "\n".join(f"$ pulumi {cmd}\n{out}\n{err}" for cmd, out, err in self.transcript)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
