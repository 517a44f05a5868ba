"""Shared fixtures: a simulator on loopback, provider hosts sent the engine's calls by the
call-script driver (support/driver.py), and stacks run through the real Pulumi CLI; the
tiers (`fast`, `host`, `cli`); and the CLI built first when CLI tests are selected (with
the YAML language host when YAML tests are, and the Node.js and Go hosts when the tests of
TypeScript and Go programs are)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli, pulumi_path
from support import (
    CLI_PROJECT,
    CliUnavailable,
    Deployment,
    cli_config,
    cli_tests_selected,
    ensure_cli,
    require_cli,
    run_install_script,
    stack_config,
    tell,
    usable_pulumi,
)

CLI_PROGRAM = Path(__file__).resolve().parent / "cli_programs" / "trunks.py"

# The tiers are folders, and each test gets its folder's marker. tests/cli: the real Pulumi
# CLI. tests/host: provider-host subprocesses (ProviderHost, the call-script driver's
# Deployment and its `deploy` fixture), a build, or the repository around tests/
# (benchmarks, examples, git). tests/unit: the rest, in-process against the simulator; it
# needs only the installed package and tests/, so it also runs against an installed wheel
# (scripts/release-check.sh): `./test.sh -m fast` (or `./test.sh tests/unit`).
TIERS = {"unit": "fast", "host": "host", "cli": "cli"}
#: What only the host and CLI tiers may use: a unit test asking for one is misfiled.
HOST_FIXTURES = {"make_cli", "deploy"}
#: The language host of Pulumi YAML programs (tests marked ``yaml``), which
#: scripts/install-pulumi-cli.sh installs beside the CLI.
YAML_HOST = "pulumi-language-yaml"


#: The language hosts of the generated SDKs' programs, by the marker of their tests
#: (``nodejs``: TypeScript programs, ``golang``: Go programs), which the same script builds
#: (from github.com/pulumi/pulumi/sdk/v3 v3.66.0).
SDK_HOSTS = {"nodejs": "pulumi-language-nodejs", "golang": "pulumi-language-go"}


def language_host(name: str) -> str | None:
    """The language host ``name`` the CLI would run: beside ``pulumi`` (where the install
    script puts it, and where the CLI looks first for a language host), else on PATH."""
    cli = pulumi_path()
    if cli is not None:
        beside = os.path.join(os.path.dirname(cli), name)
        if os.access(beside, os.X_OK):
            return beside
    return shutil.which(name)


def yaml_host() -> str | None:
    return language_host(YAML_HOST)


def ensure_language_host(name: str, marker: str) -> None:
    """Build the language host ``name`` (scripts/install-pulumi-cli.sh: a machine with the
    CLI builds only the hosts it lacks, minutes) when it is missing; stop the session if it
    cannot."""
    if language_host(name) is not None:
        return
    tell(f"{name} (a language host) is not installed: building it with "
         "scripts/install-pulumi-cli.sh, as CI does.")
    if run_install_script() != 0 or language_host(name) is None:
        stop(f"{name} could not be built here (see above). To run the other tests: "
             f"./test.sh -m 'not {marker}'")


def ensure_yaml_host() -> None:
    ensure_language_host(YAML_HOST, "yaml")


def misfiled(message: str) -> NoReturn:
    """A usage error, said on stderr too (an xdist worker's would be lost: see stop)."""
    tell(message)
    raise pytest.UsageError(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.parent.name
        if folder not in TIERS:
            misfiled(f"{item.nodeid}: a test belongs in tests/unit, tests/host or "
                     "tests/cli")
        if folder == "unit" and HOST_FIXTURES & set(getattr(item, "fixturenames", ())):
            misfiled(f"{item.nodeid} starts provider hosts or the CLI: it belongs in "
                     "tests/host or tests/cli")
        item.add_marker(getattr(pytest.mark, TIERS[folder]))


def tools_ready() -> bool:
    """Every tool a test may need is here: the CLI and the YAML, Node.js and Go hosts.
    ./test.sh asks before a parallel run: when one is missing it first collects in one
    process, which builds what the selection needs (or stops saying why), since pytest
    cannot show a worker's stop or usage error."""
    return usable_pulumi() is not None and all(
        language_host(host) is not None for host in (YAML_HOST, *SDK_HOSTS.values()))


def tools_lock_path() -> str:
    """Beside the tools it guards (scripts/install-pulumi-cli.sh's ~/.pulumi/bin), so
    that every checkout and temp dir of this user shares it and no other user's does."""
    where = os.environ.get("PULUMI_INSTALL_DIR") or os.path.expanduser("~/.pulumi/bin")
    os.makedirs(where, exist_ok=True)
    return os.path.join(where, ".pulumi-mihu-tools.lock")


@contextlib.contextmanager
def tools_lock() -> Iterator[None]:
    """One pytest process at a time checks and builds the tools: with `-n` (pytest-xdist)
    every worker collects, and the first to need the CLI builds it while the others wait
    for it, then find it. A wait is said, not silent."""
    lock = os.open(tools_lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            tell("Waiting for another test session to finish checking or building the "
                 "Pulumi CLI and its language hosts...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)


def stop(message: str) -> NoReturn:
    """Stop the session before any test, saying why on stderr too: an xdist worker's
    pytest.exit reaches the terminal only as the controller's internal error."""
    tell(message)
    pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_finish(session: pytest.Session) -> None:
    """When CLI tests are selected and no usable `pulumi` is found, build it first
    (scripts/install-pulumi-cli.sh, its output shown), so that no CLI test is skipped; where
    it cannot be built, stop before any test, saying how to install Pulumi. A selection
    without CLI tests (the fast tier, say) never builds."""
    if not cli_tests_selected(session.items):
        return
    capture = session.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext(), \
            tools_lock():
        try:
            ensure_cli()
        except CliUnavailable as exc:
            stop(f"{exc} To run the tests that need no CLI: ./test.sh -m 'not cli'")
        if any(item.get_closest_marker("yaml") is not None for item in session.items):
            ensure_yaml_host()
        for marker, host in SDK_HOSTS.items():
            if any(item.get_closest_marker(marker) is not None for item in session.items):
                ensure_language_host(host, marker)


@pytest.fixture
def sim() -> Iterator[MihuSimulator]:
    """A simulator with the undocumented GET/DELETE routes: the optimistic world."""
    with MihuSimulator() as server:
        yield server


@pytest.fixture
def bare_sim() -> Iterator[MihuSimulator]:
    """A simulator serving only the documented POST: the pessimistic world."""
    with MihuSimulator(read_routes=False) as server:
        yield server


@pytest.fixture
def deploy() -> Iterator[Callable[..., Deployment]]:
    """Start one engine run's provider host (support/driver.py) for a simulator:
    ``deploy(server)``, or ``deploy(server, {"mihu:createSettleTime": "4"})`` for more
    stack config; other keywords go to ``Deployment``. Closed at teardown if the test did
    not (``with deploy(sim) as run: ...``)."""
    started: list[Deployment] = []

    def start(server: MihuSimulator, config: dict[str, str] | None = None,
              **kwargs: Any) -> Deployment:
        run = Deployment(stack_config(server, **(config or {})), **kwargs)
        started.append(run)
        return run

    yield start
    for run in started:
        run.close()


@pytest.fixture
def make_cli(tmp_path: Path) -> Iterator[Callable[..., PulumiCli]]:
    """Build a stack of tests/cli_programs/trunks.py (or another ``program``) run by the
    real Pulumi CLI against a simulator (file backend, passphrase secrets). At teardown,
    no output of any of its commands may contain the API token or a SIP credential."""
    built: list[PulumiCli] = []

    def build(server: MihuSimulator, spec: dict[str, Any] | None = None, *,
              stack: str = "dev", program: Path = CLI_PROGRAM, **config: str) -> PulumiCli:
        require_cli()
        cli = PulumiCli(program, project=CLI_PROJECT, stack=stack,
                        work_dir=tmp_path / f"cli-{len(built)}")
        values, secret_keys = cli_config(server, spec, **config)
        cli.init(values, secret_keys)
        built.append(cli)
        return cli

    yield build
    from support import assert_no_credentials
    for cli in built:
        assert_no_credentials(cli.output_text(), "CLI output")
