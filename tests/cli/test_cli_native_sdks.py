"""Programs in TypeScript, Go and Python of the generated SDKs (sdk/nodejs, sdk/go/mihu,
sdk/python), through the real CLI, the Node.js and Go language hosts that
scripts/install-pulumi-cli.sh builds (github.com/pulumi/pulumi/sdk/v3 v3.66.0) or its
Python host (v3.79.0), and the plugin ``pulumi-resource-mihu`` found on PATH, against the
simulator. The programs are examples/typescript, examples/go and examples/python-native,
run from copies: the TypeScript one with the Node.js SDK packed as it would be published
(scripts/pack-node-sdk.sh) and @pulumi/pulumi from npm, the Go one with the Go SDK through
its ``replace`` directive and github.com/pulumi/pulumi/sdk/v3 from the module proxy, the
Python one with the Python SDK installed by pip (into a folder on PYTHONPATH) and this
environment's pulumi.
Judged by the simulated account and the exported state: preview with no request, up
creating exactly the declared trunk and assignment, an unchanged preview, destroy leaving
the account empty, the secrets in no export, state file or output.

npm and Go keep their caches where they always do (~/.npm, Go's module and build caches),
so only the first run on a machine downloads and compiles."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_native_yaml import (
    AGENT,
    ASSIGNMENT,
    PLUGIN,
    SECRETS,
    TRUNK,
    YamlCli,
    assert_secrets_hidden,
    writes,
)

from pulumi_mihu import __version__
from pulumi_mihu.testing import MihuSimulator
from support import SIP_PASSWORD, SIP_USERNAME, require_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GO_SDK = ROOT / "sdk" / "go" / "mihu"
GO_MODULE = "github.com/mihu-ai/pulumi-mihu/sdk/go/mihu"
PYTHON_SDK = ROOT / "sdk" / "python"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 900) -> str:
    """Run a build step (npm, tsc, go); its output, or a failure that shows it."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def node_sdk_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Node.js SDK as its npm package (.tgz), built once per module."""
    out = tmp_path_factory.mktemp("node-sdk")
    printed = run([str(ROOT / "scripts" / "pack-node-sdk.sh"), str(out)], cwd=ROOT)
    package = Path(printed.strip().splitlines()[-1])
    assert package.is_file(), printed
    return package


@pytest.fixture
def program(tmp_path: Path) -> Iterator[list[YamlCli]]:
    """Stacks made by the tests (each a copy of an example); at teardown, no output of any
    command may contain a credential or a token."""
    built: list[YamlCli] = []
    yield built
    for cli in built:
        text = cli.output_text()
        for secret in SECRETS:
            assert secret not in text, f"a secret ({secret[:6]}...) appears in the CLI output"


def example_stack(built: list[YamlCli], tmp_path: Path, example: str,
                  project: str) -> YamlCli:
    """A stack (not yet initialised) of a copy of examples/<example>."""
    require_cli()
    assert PLUGIN.exists(), f"{PLUGIN} is missing: reinstall the package (pip install -e .)"
    cli = YamlCli(EXAMPLES / example, project=project, work_dir=tmp_path / example)
    built.append(cli)
    return cli


def configure(cli: YamlCli, server: MihuSimulator) -> None:
    """The default provider's mihu:* config against ``server`` (token secret, fast
    retries) and the example's config (agentUuid; the SIP credentials secret)."""
    project = cli.project
    cli.init_config(
        {"mihu:baseUrl": server.base_url, "mihu:retryBaseDelay": "0.01",
         "mihu:maxAttempts": "3", f"{project}:agentUuid": AGENT},
        {"mihu:apiToken": server.state.token, f"{project}:sipUsername": SIP_USERNAME,
         f"{project}:sipPassword": SIP_PASSWORD})


def lifecycle(cli: YamlCli, server: MihuSimulator, *, unchanged_up: bool = False) -> None:
    """preview (no request), up (the declared trunk and assignment, nothing else), an
    unchanged preview (and with ``unchanged_up`` an unchanged up: no write either), destroy
    (the account empty); the secrets hidden throughout."""
    plan = cli.preview_json()
    steps = {(s.type, s.name): s.op for s in plan.resource_steps()}
    assert steps == {(TRUNK, "support-line"): "create",
                     (ASSIGNMENT, "support-agent-calls"): "create"}, plan.raw
    assert server.requests == [], "a preview sends nothing to the API"

    cli.up()
    assert sorted(writes(server)) == ["POST", "POST"]  # one trunk, one assignment
    [(uuid, connection)] = server.connections.items()
    assert (connection["name"], connection["phone_number"], connection["gateway"]) == (
        "Support line", "+15551230000", "sip.telnyx.com")
    assert (connection["username"], connection["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert server.state.assignments == {AGENT: uuid}
    assert cli.outputs() == {"trunkUuid": uuid, "phoneNumber": "+15551230000"}
    [trunk] = cli.resources("SipTrunkConnection")
    assert trunk["id"] == uuid
    for key in ("username", "password"):
        for where in ("inputs", "outputs"):
            assert "ciphertext" in trunk[where][key], (where, key)
    assert_secrets_hidden(cli)

    since = len(server.requests)
    assert cli.preview_json().changes() == {}
    assert writes(server, since) == []
    if unchanged_up:
        cli.up()
        assert writes(server, since) == [], "an unchanged up sends no write"
        assert [uuid] == list(server.connections)
        assert cli.outputs() == {"trunkUuid": uuid, "phoneNumber": "+15551230000"}

    cli.destroy()
    assert server.connections == {}, "the account is left empty"
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests_to("DELETE")] == [uuid]
    assert cli.resources() == []
    assert_secrets_hidden(cli)
    assert "Traceback" not in cli.output_text()


# -- TypeScript -------------------------------------------------------------------------------


@pytest.mark.nodejs
def test_typescript_example_end_to_end(program: list[YamlCli], tmp_path: Path,
                                       node_sdk_package: Path, sim: MihuSimulator) -> None:
    cli = example_stack(program, tmp_path, "typescript", "mihu-ts-tests")
    npm = ["npm", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
    run([*npm, "install", str(node_sdk_package)], cwd=cli.project_dir)
    # The program type-checks against the SDK (strict), as `tsc` would in a user's build.
    run([str(cli.project_dir / "node_modules" / ".bin" / "tsc"), "-p", "."],
        cwd=cli.project_dir)
    configure(cli, sim)
    lifecycle(cli, sim)


# -- Go ---------------------------------------------------------------------------------------


def go_env(env: dict[str, str]) -> dict[str, str]:
    """What the Go host's `go build` runs with: the flags scripts/install-pulumi-cli.sh
    builds with (Go's build cache then serves what the CLI's build compiled), the machine's
    Go only, and -mod=mod (the copy's replace path differs from the example's)."""
    return {**env, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local",
            "GOFLAGS": "-mod=mod -trimpath -buildvcs=false",
            "PATH": os.pathsep.join([env["PATH"], "/usr/local/go/bin"])}


@pytest.mark.golang
def test_go_example_end_to_end(program: list[YamlCli], tmp_path: Path,
                               sim: MihuSimulator) -> None:
    cli = example_stack(program, tmp_path, "go", "mihu-go-tests")
    gomod = cli.project_dir / "go.mod"
    text, count = re.subn(rf"(?m)^replace {re.escape(GO_MODULE)} => .*$",
                          f"replace {GO_MODULE} => {GO_SDK}", gomod.read_text())
    assert count == 1, "examples/go/go.mod has no replace directive for the SDK"
    gomod.write_text(text)
    cli.env.update(go_env(cli.env))
    run(["go", "vet", "./..."], cwd=cli.project_dir, env=cli.env)
    configure(cli, sim)
    lifecycle(cli, sim)


# -- Python -----------------------------------------------------------------------------------


def test_python_example_end_to_end(program: list[YamlCli], tmp_path: Path,
                                   sim: MihuSimulator) -> None:
    """examples/python-native with the SDK as pip installs it (its pulumi-plugin.json, which
    the Python host reads to ask the engine for plugin mihu, beside its dist-info), and
    pulumi_mihu importable too (this environment): the native types only."""
    cli = example_stack(program, tmp_path, "python-native", "mihu-py-native-tests")
    source, site = tmp_path / "python-sdk-source", tmp_path / "python-sdk"
    shutil.copytree(PYTHON_SDK, source)  # a build in place leaves build/ in sdk/python
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
         "--disable-pip-version-check", "--target", str(site), str(source)], cwd=tmp_path)
    cli.env["PYTHONPATH"] = str(site)
    # The virtualenv the example's Pulumi.yaml names: this environment (as
    # tests/cli/test_cli_examples.py links it), should the host read the option.
    (cli.project_dir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    configure(cli, sim)
    # The plugins the Python host reports the program needs (GetRequiredPlugins, from each
    # installed package's pulumi-plugin.json): mihu of the SDK's version, nothing else
    # (pulumi-mihu's editable install here asks for mihu too: docs/native.md).
    about = json.loads(cli.run("about", "--json").stdout)
    plugins = {(p["kind"], p["name"]): p["version"] for p in about["plugins"]}
    assert plugins.keys() == {("resource", "mihu"), ("language", "python")}, about["plugins"]
    assert plugins["resource", "mihu"] == __version__
    lifecycle(cli, sim, unchanged_up=True)
