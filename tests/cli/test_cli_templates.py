"""``pulumi new`` from the templates under templates/ (mihu-python: the dynamic resources;
mihu-yaml: the native provider), with the real CLI, then ``up`` and ``destroy`` against the
simulator, as a user would start: ``pulumi new <template> --yes`` with the plain config
given as ``--config`` (the template's defaults fill the rest), the credentials then set
with ``pulumi config set --secret`` (``--config`` would store them in plain text: pinned
below). Judged by the simulated account (exactly the declared trunk, with the credentials
sent) and the stack's files (no secret in plain text in the config file, the state, the
export or any output).

How the templates are pointed at this checkout, since they name the released package:

- **mihu-python**: its requirements.txt asks for ``pulumi-mihu>=<version>``, which is
  not on PyPI yet. The test builds a wheel of this checkout (from a copy of the package, so
  that no build directory is written into the work tree) into a folder of its own and sets
  ``PIP_FIND_LINKS`` to it for ``pulumi new``, whose dependency step then installs that wheel
  (and ``pulumi`` and the other dependencies from PyPI, as for a user) into the stack's
  virtual environment. The Python language host built by scripts/install-pulumi-cli.sh
  (v3.79.0) makes that environment in the project directory itself (it predates the
  ``virtualenv`` option the CLI now sends over gRPC), so the test puts its ``bin`` first on
  PATH and sets ``PULUMI_PYTHON_CMD`` to its python: program and provider host both run
  the installed wheel, not the checkout.
- **mihu-yaml**: the plugin ``pulumi-resource-mihu`` of this checkout (the venv's) is
  installed into the CLI's plugin cache with ``pulumi plugin install resource mihu
  <version> --file``, as docs/native.md recommends: ``pulumi new`` installs the packages a
  YAML program uses and, without it in the cache, fails looking up the latest mihu plugin
  (pinned below). ``PULUMI_IGNORE_AMBIENT_PLUGINS`` keeps the engine to the cached one.

Each test has its own directories (tmp_path), simulator and CLI home: they run in parallel
under pytest-xdist."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu import __version__
from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli
from support import (
    SIP_PASSWORD,
    SIP_USERNAME,
    assert_no_credentials,
    output_text,
    require_cli,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PLUGIN = Path(sys.executable).parent / "pulumi-resource-mihu"
PHONE = "+15551230000"


class TemplateCli(PulumiCli):
    """A PulumiCli whose project ``pulumi new`` makes from a template (its project directory
    is left empty for it), instead of the runner's Python program."""

    def __init__(self, *, project: str, work_dir: Path) -> None:
        super().__init__(TEMPLATES, project=project, work_dir=work_dir)
        for name in ("Pulumi.yaml", "__main__.py"):
            (self.project_dir / name).unlink()

    def new(self, template: str, config: Mapping[str, str], *,
            expect_failure: bool = False) -> subprocess.CompletedProcess[str]:
        """``pulumi new templates/<template> --yes`` into the project directory, the stack
        created with passphrase secrets, ``config`` given as ``--config`` (recorded by its
        keys only)."""
        flags = [f"--config={key}={value}" for key, value in config.items()]
        return self.run("new", str(TEMPLATES / template), "--yes", "--dir",
                        str(self.project_dir), "--name", self.project, "--stack", self.stack,
                        "--secrets-provider", "passphrase", *flags,
                        expect_failure=expect_failure,
                        shown_as=f"new templates/{template} --yes (config keys: "
                                 f"{', '.join(config)})")

    def config_json(self) -> dict[str, Any]:
        """``pulumi config --json``: each key's value (secrets as ``[secret]``) and flag."""
        return dict(json.loads(self.run("config", "--json", "--stack", self.stack).stdout))

    def stack_config_text(self) -> str:
        return (self.project_dir / f"Pulumi.{self.stack}.yaml").read_text()


MakeTemplate = Callable[[str], TemplateCli]


@pytest.fixture
def make_template(tmp_path: Path) -> Iterator[MakeTemplate]:
    """A TemplateCli in its own directory. At teardown, no output of any command may hold
    the API token or a SIP credential."""
    built: list[TemplateCli] = []

    def build(project: str) -> TemplateCli:
        require_cli()
        cli = TemplateCli(project=project, work_dir=tmp_path / f"template-{len(built)}")
        built.append(cli)
        return cli

    yield build
    for cli in built:
        assert_no_credentials(cli.output_text(), "CLI output")


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """A folder holding a wheel of this checkout, built from a copy of the package (pip
    builds a local project in place, and other tests may build at the same time)."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "pulumi_mihu", source / "pulumi_mihu",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--disable-pip-version-check", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    assert [p.name for p in out.iterdir()] == [f"pulumi_mihu-{__version__}-py3-none-any.whl"]
    return out


def simulator_config(sim: MihuSimulator) -> dict[str, str]:
    """The plain settings that point a stack at ``sim`` (mihu:baseUrl in place of the
    template's mihu:subdomain) with fast retries."""
    return {"mihu:baseUrl": sim.base_url, "mihu:retryBaseDelay": "0.01"}


def set_secrets(cli: TemplateCli, sim: MihuSimulator) -> None:
    """The template's secrets, as its README says: ``pulumi config set --secret``."""
    secrets = {"mihu:apiToken": sim.state.token, "sipUsername": SIP_USERNAME,
               "sipPassword": SIP_PASSWORD}
    cli.set_config(secrets, secrets)


def assert_no_plain_secret(cli: TemplateCli) -> None:
    """No credential in the stack's config file, ``pulumi stack export``, the stack
    outputs or any file the backend wrote."""
    places = {"the stack config file": cli.stack_config_text(),
              "the stack export": json.dumps(cli.export_state()),
              "the stack outputs": json.dumps(cli.outputs())}
    places.update({str(path): path.read_text(errors="replace") for path in cli.state_files()})
    for where, text in places.items():
        assert_no_credentials(text, where)


def assert_one_trunk(sim: MihuSimulator, cli: TemplateCli) -> None:
    """The account holds exactly the template's trunk (its defaults: name "Main line",
    gateway sip.telnyx.com), with the credentials set, and the outputs are its own."""
    [(uuid, connection)] = sim.connections.items()
    assert {k: connection[k] for k in ("name", "phone_number", "gateway",
                                       "secondary_gateway", "username", "password")} == {
        "name": "Main line", "phone_number": PHONE, "gateway": "sip.telnyx.com",
        "secondary_gateway": None, "username": SIP_USERNAME, "password": SIP_PASSWORD}
    assert [r.method for r in sim.requests if r.method != "GET"] == ["POST"]
    assert cli.outputs() == {"uuid": uuid, "status": connection["status"]}


def assert_made_from_template(cli: TemplateCli) -> dict[str, Any]:
    """Pulumi.yaml named after the project, the template's description, no ``template:``
    section left; the plain config from the flags and the template's defaults, no secret
    (``--yes`` leaves a secret without default unset). Returns the config."""
    project = (cli.project_dir / "Pulumi.yaml").read_text()
    assert project.startswith(f"name: {cli.project}\n"), project
    assert "${" + "PROJECT}" not in project and "\ntemplate:" not in project
    config = cli.config_json()
    assert config[f"{cli.project}:trunkName"] == {"value": "Main line", "secret": False}
    assert config[f"{cli.project}:gateway"] == {"value": "sip.telnyx.com", "secret": False}
    for key in ("mihu:apiToken", f"{cli.project}:sipUsername", f"{cli.project}:sipPassword",
                "mihu:subdomain"):
        assert key not in config, key
    return config


def test_python_template_new_up_destroy(make_template: MakeTemplate, sim: MihuSimulator,
                                        wheelhouse: Path) -> None:
    cli = make_template("mihu-py-tpl")
    venv = cli.project_dir  # where the v3.79.0 host makes it: see the module docstring
    cli.env.pop("PULUMI_PYTHON_CMD")
    cli.env["PATH"] = os.pathsep.join([str(venv / "bin"), str(Path(cli.binary).parent),
                                       os.environ.get("PATH", "")])
    cli.env["PIP_FIND_LINKS"] = str(wheelhouse)

    cli.new("mihu-python", {**simulator_config(sim), "phoneNumber": PHONE})
    config = assert_made_from_template(cli)
    assert config[f"{cli.project}:phoneNumber"] == {"value": PHONE, "secret": False}
    requirements = (cli.project_dir / "requirements.txt").read_text().split()
    assert f"pulumi-mihu>={__version__},<0.{int(__version__.split('.')[1]) + 1}" in (
        requirements), requirements
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import importlib.metadata as m, pulumi_mihu; "
         "print(pulumi_mihu.__file__, m.version('pulumi-mihu'))"],
        cwd=cli.project_dir, capture_output=True, text=True, check=True).stdout.split()
    assert located[0].startswith(str(venv / "lib")) and located[1] == __version__, located
    cli.env["PULUMI_PYTHON_CMD"] = str(venv / "bin" / "python")

    set_secrets(cli, sim)
    assert sim.requests == []
    cli.up()
    assert_one_trunk(sim, cli)
    assert_no_plain_secret(cli)
    cli.destroy()
    assert sim.connections == {}


def install_plugin(cli: TemplateCli) -> None:
    """The checkout's plugin into this CLI's plugin cache (its own PULUMI_HOME), as
    docs/native.md recommends; the engine then ignores the one on PATH."""
    assert PLUGIN.exists(), f"{PLUGIN} is missing: reinstall the package (pip install -e .)"
    cli.run("plugin", "install", "resource", "mihu", __version__, "--file", str(PLUGIN))
    cli.env["PULUMI_IGNORE_AMBIENT_PLUGINS"] = "true"


@pytest.mark.yaml
def test_yaml_template_new_up_destroy(make_template: MakeTemplate, sim: MihuSimulator) -> None:
    cli = make_template("mihu-yaml-tpl")
    install_plugin(cli)
    # In double quotes, as the template asks: pulumi-language-yaml reads +15551230000 as a
    # number (docs/native.md), a JSON string as the string.
    cli.new("mihu-yaml", {**simulator_config(sim), "phoneNumber": json.dumps(PHONE)})
    config = assert_made_from_template(cli)
    assert config[f"{cli.project}:phoneNumber"] == {"value": f'"{PHONE}"', "secret": False}

    set_secrets(cli, sim)
    assert sim.requests == []
    text = output_text(cli.up())
    assert "from $PATH" not in text
    assert_one_trunk(sim, cli)
    assert_no_plain_secret(cli)
    cli.destroy()
    assert sim.connections == {}


@pytest.mark.yaml
def test_a_secret_given_to_pulumi_new_as_config_is_stored_in_plain_text(
        make_template: MakeTemplate, sim: MihuSimulator) -> None:
    """Why the templates' READMEs say to set the credentials with ``pulumi config set
    --secret``: CLI v3.274.1 stores a ``--config`` value as given, in plain text, even for a
    key the template declares ``secret: true`` (newcmd's encryptTemplateConfig copies the
    command-line config as is); only the answers to its prompts are encrypted. If a CLI
    release encrypts them, this fails and the READMEs can say so."""
    cli = make_template("mihu-yaml-plain")
    install_plugin(cli)
    token = "plain-token-of-pulumi-new-5b8e"
    cli.new("mihu-yaml", {**simulator_config(sim), "mihu:apiToken": token})
    assert f"mihu:apiToken: {token}" in cli.stack_config_text()
    assert cli.config_json()["mihu:apiToken"] == {"value": token, "secret": False}


@pytest.mark.yaml
def test_yaml_template_without_the_plugin_in_the_cache_stops_after_the_stack(
        make_template: MakeTemplate, sim: MihuSimulator) -> None:
    """Why the YAML template's README installs the plugin first: with it only on PATH,
    ``pulumi new`` creates the project, the stack and its config, then fails at its
    package step, looking up the latest release of plugin mihu (this machine reaches no
    plugin registry; elsewhere the lookup finds no such release)."""
    cli = make_template("mihu-yaml-noplugin")
    assert shutil.which("pulumi-resource-mihu", path=cli.env["PATH"]) == str(PLUGIN)
    failed = cli.new("mihu-yaml", simulator_config(sim), expect_failure=True)
    assert "installing packages" in failed.stderr and "provider mihu" in failed.stderr, (
        failed.stderr)
    assert (cli.project_dir / "Pulumi.dev.yaml").exists()
