"""What the tests share: settings, providers and inputs pointed at a simulator, the
credentials they use, the real CLI's helpers, and (in submodules, re-exported here) the one
fake clock (``clock``), the fault mixes (``faults``) and the call-script driver of the
provider host (``driver``). Tests import it as ``support``; ``benchmarks/`` as
``tests.support`` (tests never import ``benchmarks``)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import pytest
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import SecretStr

from pulumi_mihu import (
    AgentSipTrunkAssignmentProvider,
    MihuSettings,
    SipTrunkConnectionProvider,
)
from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator
from pulumi_mihu.testing import simulator as simulator_module
from pulumi_mihu.testing.cli import MIN_CLI_VERSION, PulumiCli, cli_version, pulumi_path
from pulumi_mihu.testing.host import ProviderCallError

from .clock import FakeClock as FakeClock
from .driver import Deployment as Deployment
from .driver import Resource as Resource

T = TypeVar("T")

#: Credentials used across tests: distinctive, so a leak is found by a plain substring scan.
SIP_USERNAME = "sipuser-7f3a9c"
SIP_PASSWORD = "S1p-Passw0rd-e5d2b1"


class FaultTarget(TypedDict, total=False):
    """The request a ``Fault`` matches (its ``method``, ``path_prefix`` and ``exact``), kept
    once and spread into several faults: ``Fault(status=503, **target)``."""

    method: str | None
    path_prefix: str
    exact: bool


def settings_for(server: MihuSimulator, **overrides: Any) -> MihuSettings:
    values: dict[str, Any] = {"api_token": SecretStr(DEFAULT_TOKEN),
                              "base_url": server.base_url, "retry_base_delay": 0.01,
                              "request_timeout": 5.0}
    values.update(overrides)
    return MihuSettings(**values)


def provider_for(server: MihuSimulator, **overrides: Any) -> SipTrunkConnectionProvider:
    provider = SipTrunkConnectionProvider()
    provider.configure_with(settings_for(server, **overrides))
    return provider


def outs_of(result: CreateResult | UpdateResult | ReadResult) -> dict[str, Any]:
    """A provider call's outputs: pulumi types them optional; the providers always return
    them."""
    assert result.outs is not None, "the provider returned no outputs"
    return result.outs


def trunk_inputs(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "name": "main-line",
        "phone_number": "+15551230000",
        "gateway": "sip.telnyx.com",
        "username": SIP_USERNAME,
        "password": SIP_PASSWORD,
    }
    inputs.update(overrides)
    return inputs


#: The ``deploy`` fixture of conftest.py: a provider host for one engine run (driver.py).
Deploy = Callable[..., Deployment]


def assignment_provider(server: MihuSimulator) -> AgentSipTrunkAssignmentProvider:
    """An agent-assignment provider configured for ``server``, as the host configures it."""
    provider = AgentSipTrunkAssignmentProvider()
    provider.configure_with(settings_for(server))
    return provider


def new_trunk(server: MihuSimulator, phone: str = "+15551230000") -> str:
    """The uuid of a connection created in ``server`` by the trunk provider."""
    return provider_for(server).create(trunk_inputs(phone_number=phone)).id


def stale_last_page(monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    """The server's last_page is one short (a cached count, a floor() instead of ceil())
    and it gives no total; every page's own has_more / next_page_url is right."""
    original = simulator_module._Handler._list_page

    def lying(self: Any) -> dict[str, Any]:
        body = original(self)
        data = body["data"]
        meta = data["pagination"] if shape == "items" else data
        meta["last_page"] = max(1, meta["last_page"] - 1)
        meta.pop("total", None)
        if shape == "laravel":
            meta.pop("last_page_url", None)
        return body

    monkeypatch.setattr(simulator_module._Handler, "_list_page", lying)


def attempt(flow: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, str | None]:
    """One flow of the call-script driver (``attempt(run.create, "main", inputs)``): the
    resource it leaves in the checkpoint, or None when it failed (the checkpoint keeps what
    it had), and the error the user would see, or None."""
    try:
        return flow(*args, **kwargs), None
    except ProviderCallError as exc:
        return None, exc.details


def stack_config(server: MihuSimulator, **extra: str) -> dict[str, str]:
    config = {"mihu:apiToken": DEFAULT_TOKEN, "mihu:baseUrl": server.base_url,
              "mihu:retryBaseDelay": "0.01"}
    config.update(extra)
    return config


# -- the real Pulumi CLI ---------------------------------------------------------------

#: The project of tests/cli_programs/trunks.py.
CLI_PROJECT = "mihu-cli-tests"
#: Other credentials tests switch to; they must never be printed either.
ROTATED_USERNAME = "sipuser-rot-41d8e2"
ROTATED_PASSWORD = "R0tated-Passw0rd-9c4f7a"
WRONG_TOKEN = "wrong-token-5b6c7d8e9f"
CREDENTIALS = (DEFAULT_TOKEN, SIP_USERNAME, SIP_PASSWORD, ROTATED_USERNAME, ROTATED_PASSWORD,
               WRONG_TOKEN)


#: Builds and installs the CLI (from Go modules: 10-20 minutes the first time).
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install-pulumi-cli.sh"
INSTALL_DOCS = "https://www.pulumi.com/docs/install/"


class CliUnavailable(RuntimeError):
    """No usable Pulumi CLI, and it could not be built here."""


def usable_pulumi() -> str | None:
    """The ``pulumi`` the CLI tests would run (PATH, else ~/.pulumi/bin), unless it is
    missing or older than the oldest engine that configures dynamic providers."""
    binary = pulumi_path()
    if binary is None:
        return None
    version = cli_version(binary)
    return binary if version is None or version >= MIN_CLI_VERSION else None


def cli_tests_selected(items: Iterable[Any]) -> bool:
    """Whether any of the selected test ``items`` needs the real CLI (the ``cli`` marker)."""
    return any(item.get_closest_marker("cli") is not None for item in items)


def run_install_script() -> int:
    """Run scripts/install-pulumi-cli.sh with its output shown; its exit status."""
    if not INSTALL_SCRIPT.exists():  # the tests outside the repository (an sdist's)
        print(f"{INSTALL_SCRIPT} is not there", flush=True)
        return 127
    # To stderr: an xdist worker's stdout is not the terminal (its stderr is).
    return subprocess.run([str(INSTALL_SCRIPT)], check=False, stdout=sys.stderr).returncode


def tell(message: str) -> None:
    """Say it on stderr, which an xdist worker shares with the terminal (not its stdout)."""
    print(message, file=sys.stderr, flush=True)


def ensure_cli(say: Callable[[str], object] = tell,
               install: Callable[[], int] = run_install_script) -> str:
    """A usable ``pulumi``: the one found, else one built now by
    scripts/install-pulumi-cli.sh, its output (and progress) shown as it runs. Raises
    CliUnavailable, saying how to install Pulumi, when it cannot be built (no Go, say)."""
    found = usable_pulumi()
    if found is not None:
        return found
    say("The Pulumi CLI is not installed (neither on PATH nor in ~/.pulumi/bin): building "
        "it with scripts/install-pulumi-cli.sh, as CI does (10-20 minutes on two cores the "
        "first time; later builds reuse Go's caches).")
    status = install()
    found = usable_pulumi()
    if status != 0 or found is None:
        raise CliUnavailable(
            "The Pulumi CLI could not be built here (see above: it needs Go, on PATH or in "
            f"/usr/local/go/bin). Install Pulumi instead: {INSTALL_DOCS} (it puts `pulumi` "
            "in ~/.pulumi/bin), then run this again.")
    say(f"Using the Pulumi CLI just built: {found}")
    return found


def require_cli() -> None:
    """Fail a test without a usable Pulumi CLI. A session that selects CLI tests builds it
    before running any (tests/conftest.py), so this happens only when that was bypassed."""
    if usable_pulumi() is None:
        pytest.fail("the Pulumi CLI is not on PATH or in ~/.pulumi/bin (or too old): "
                    "scripts/install-pulumi-cli.sh builds and installs it", pytrace=False)


def program_config(spec: Mapping[str, Any] | None = None, **keys: Any) -> dict[str, str]:
    """The one program of the CLI tests, tests/cli_programs/trunks.py, declares what its
    ``spec`` config says (its docstring lists the keys): the config that makes it declare
    ``spec`` and ``keys`` (``cli.set_config(program_config(trunks=[{"name": "x"}]))``)."""
    return {f"{CLI_PROJECT}:spec": json.dumps({**(spec or {}), **keys})}


def cli_config(server: MihuSimulator, spec: dict[str, Any] | None = None,
               **extra: str) -> tuple[dict[str, str], set[str]]:
    """The config of a CLI test stack: token and base URL of ``server``, fast retries, the
    SIP credentials (secret) and the program's ``spec``. ``extra`` keys without a
    namespace are the project's (``sipPassword=...``)."""
    config = {"mihu:apiToken": server.state.token, "mihu:baseUrl": server.base_url,
              "mihu:retryBaseDelay": "0.01", "mihu:maxAttempts": "3",
              f"{CLI_PROJECT}:sipUsername": SIP_USERNAME,
              f"{CLI_PROJECT}:sipPassword": SIP_PASSWORD,
              f"{CLI_PROJECT}:spec": json.dumps(spec or {})}
    for key, value in extra.items():
        config[key if ":" in key else f"{CLI_PROJECT}:{key}"] = value
    secret = {"mihu:apiToken", f"{CLI_PROJECT}:sipUsername", f"{CLI_PROJECT}:sipPassword"}
    return config, secret


def assert_no_credentials(text: str, where: str) -> None:
    for secret in CREDENTIALS:
        assert secret not in text, f"a credential ({secret[:6]}...) appears in {where}"


@dataclass(frozen=True)
class SecretHit:
    where: str
    secret: str  # the secret's name, never its value


def scan(artifacts: Mapping[str, str], secrets: Mapping[str, str]) -> list[SecretHit]:
    """Every (artifact, secret name) where the secret's value occurs, also base64-encoded:
    the secrets audit (tests/host/test_secrets_audit.py) and the fault matrix
    (``python -m benchmarks.faults``) look for credentials in what a user could see."""
    hits = []
    for where, text in artifacts.items():
        for name, value in secrets.items():
            encoded = base64.b64encode(value.encode()).decode().rstrip("=")
            if value in text or encoded in text:
                hits.append(SecretHit(where, name))
    return hits


#: The ``make_cli`` fixture of conftest.py: a CLI stack for a simulator and a program spec.
MakeCli = Callable[..., PulumiCli]


def output_text(result: subprocess.CompletedProcess[str]) -> str:
    """What a CLI command printed, both streams."""
    return result.stdout + result.stderr


def requests_since(server: MihuSimulator, since: int = 0) -> list[tuple[str, str]]:
    """(method, last path segment) of the requests ``server`` received since ``since``."""
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in server.requests[since:]]


def _session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def kill_cli_when(cli: PulumiCli, args: list[str], condition: Callable[[], bool],
                  name: str) -> None:
    """Run ``pulumi ARGS`` in a session of its own and SIGKILL it, with every process it
    started, as soon as ``condition()`` holds: a deployment interrupted for real. Its
    output joins the transcript as ``NAME (killed)``."""
    log = cli.root / f"killed-{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [cli.binary, *args, "--stack", cli.stack, "--non-interactive",
             "--cwd", str(cli.project_dir)],
            env=cli.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not condition():
            assert process.poll() is None, f"pulumi {name} ended before it was to be killed"
            assert time.monotonic() < deadline, f"pulumi {name}: nothing to kill it at in 60 s"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGKILL)
        # The CLI starts the language host and the provider host each in a process group
        # of their own (same session): killing its group leaves them running.
        deadline = time.monotonic() + 10
        while (alive := _session_processes(process.pid)) and time.monotonic() < deadline:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        assert _session_processes(process.pid) == [], f"a process of the killed {name} survived"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    cli.transcript.append((f"{name} (killed)", log.read_text(), ""))


# -- state compatibility ----------------------------------------------------------------

#: The ``__provider`` strings each release writes into stacks, by release and class path
#: (tests/unit/test_provider_strings.py, tests/host/test_state_compat.py). Entries are only added.
PROVIDER_STRINGS_FILE = Path(__file__).resolve().parent.parent / "data" / "provider_strings.json"
#: The class paths stacks hold the providers by: a promise kept for every release.
PROMISED_PROVIDER_PATHS = {
    "pulumi-python:dynamic/mihu:SipTrunkConnection":
        "pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider",
    "pulumi-python:dynamic/mihu:AgentSipTrunkAssignment":
        "pulumi_mihu.agent_sip_trunk_assignment.AgentSipTrunkAssignmentProvider",
}


def recorded_provider_strings() -> dict[str, dict[str, list[str]]]:
    """release -> class path -> the ``__provider`` strings that release writes."""
    recorded: dict[str, dict[str, list[str]]] = json.loads(PROVIDER_STRINGS_FILE.read_text())
    return recorded
