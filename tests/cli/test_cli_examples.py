"""The examples and the GitHub Actions pipeline, run through the real Pulumi CLI against
the simulator exactly as their docs say: the ``pulumi config set`` commands are read from
the README walkthrough (basic) and from each example's docstring, and run verbatim, only
the placeholders (``<your Mihu API token>``...) filled in and ``mihu:subdomain`` swapped
for ``mihu:baseUrl`` (the rehearsal the README documents).

Each example runs from a copy of its own directory, its own ``Pulumi.yaml`` included; the
``virtualenv`` that ``Pulumi.yaml`` names is a symlink to this interpreter's environment,
and ``PULUMI_PYTHON_CMD`` names the same interpreter, so the program runs in the same
environment whether or not the language host honours ``virtualenv`` (the one that
scripts/install-pulumi-cli.sh installs, v3.79.0, ignores it).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PASSPHRASE, PulumiCli, pulumi_path
from support import SIP_PASSWORD, SIP_USERNAME, assert_no_credentials, require_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WORKFLOW = EXAMPLES / "github_actions" / "deploy.yml"
PLACEHOLDER = re.compile(r"<[^<>]+>")


# -- the documented commands -------------------------------------------------------------

def docstring(example: str) -> str:
    source = (EXAMPLES / example / "__main__.py").read_text()
    match = re.match(r'\s*"""(.*?)"""', source, re.S)
    assert match, f"examples/{example}/__main__.py has no docstring"
    return match[1]


def walkthrough() -> list[str]:
    """The README's real-deploy walkthrough: its first bash block."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploy for real: a walkthrough", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README walkthrough has no bash block"
    return block[1].splitlines()


def pulumi_commands(lines: list[str]) -> list[str]:
    """The ``pulumi ...`` command lines, as written (comments included)."""
    return [line.strip() for line in lines if line.strip().startswith("pulumi ")]


def config_commands(lines: list[str]) -> list[str]:
    return [c for c in pulumi_commands(lines) if c.startswith("pulumi config set ")]


def fill(command: str, values: Mapping[str, str], base_url: str) -> list[str]:
    """``command`` as argv for PulumiCli.run (no leading ``pulumi``), placeholders filled
    from ``values`` (an unknown placeholder fails: the docs changed) and the subdomain
    replaced by the simulator's base URL."""
    if re.match(r"pulumi config set mihu:subdomain\b", command):
        return ["config", "set", "mihu:baseUrl", base_url]

    def value(match: re.Match[str]) -> str:
        assert match[0] in values, f"no value for the placeholder {match[0]} in: {command}"
        return shlex.quote(values[match[0]])

    command = re.sub(r"\s+#.*$", "", command)   # a trailing comment (may hold <...>)
    argv = shlex.split(PLACEHOLDER.sub(value, command))
    assert argv[0] == "pulumi"
    return argv[1:]


def run_documented(cli: PulumiCli, commands: list[str], values: Mapping[str, str],
                   base_url: str) -> None:
    for command in commands:
        # Recorded as documented (placeholders, not the credentials filled in).
        cli.run(*fill(command, values, base_url), shown_as=command.removeprefix("pulumi "))


# -- an example's own project directory ----------------------------------------------------

def project_settings(directory: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((directory / "Pulumi.yaml").read_text()))


def example_cli(example: str, tmp_path: Path) -> PulumiCli:
    """A PulumiCli whose project is a copy of ``examples/<example>`` (its Pulumi.yaml, not
    the runner's), with the virtualenv Pulumi.yaml names linked to this environment."""
    require_cli()
    source = EXAMPLES / example
    settings = project_settings(source)
    cli = PulumiCli(source, project=settings["name"], stack="dev",
                    work_dir=tmp_path / example)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy(path, cli.project_dir / path.name)
    venv = settings["runtime"]["options"]["virtualenv"]
    (cli.project_dir / venv).symlink_to(Path(sys.prefix), target_is_directory=True)
    return cli


@pytest.fixture
def examples_built() -> Iterator[list[PulumiCli]]:
    """The CLIs a test built: none of their output may show a credential."""
    built: list[PulumiCli] = []
    yield built
    for cli in built:
        assert_no_credentials(cli.output_text(), "CLI output")


def placeholder_values(sim: MihuSimulator, **extra: str) -> dict[str, str]:
    return {"<your Mihu API token>": sim.state.token, "<SIP username>": SIP_USERNAME,
            "<SIP password>": SIP_PASSWORD, **extra}


def documented_value(commands: list[str], key: str) -> str:
    """The value a documented ``config set`` gives ``key`` (its last argument)."""
    for command in commands:
        argv = shlex.split(command, comments=True)
        if key in argv:
            return argv[-1]
    raise AssertionError(f"no documented command sets {key}")


# -- the examples --------------------------------------------------------------------------

def test_basic_example_follows_the_readme_walkthrough(
        sim: MihuSimulator, tmp_path: Path, examples_built: list[PulumiCli]) -> None:
    """Every pulumi command of the README walkthrough, in order, but `pulumi login`
    (the runner's file backend stands in for `--local`)."""
    commands = pulumi_commands(walkthrough())
    assert commands[0].startswith("pulumi login --local")
    assert any(c.startswith("pulumi stack init dev") for c in commands)
    phone = documented_value(commands, "phoneNumber")
    assert phone == "+15551230000"
    cli = example_cli("basic", tmp_path)
    examples_built.append(cli)
    values = placeholder_values(sim)
    for command in commands[1:]:
        argv = fill(command, values, sim.base_url)
        if argv[:2] == ["stack", "rm"]:
            # Interactive, it asks for the stack name; --yes is that answer.
            argv.append("--yes")
        result = cli.run(*argv, shown_as=command.removeprefix("pulumi "))
        if argv[:1] == ["preview"]:
            assert "+ 2 to create" in result.stdout and sim.writes() == []
        elif argv[:1] == ["up"]:
            assert "+ 2 created" in result.stdout
            [(uuid, record)] = sim.connections.items()
            assert record["phone_number"] == phone
            assert (record["name"], record["gateway"], record["secondary_gateway"]) == (
                "Main line", "sip.telnyx.com", "sip2.telnyx.com")
            assert (record["username"], record["password"]) == (SIP_USERNAME, SIP_PASSWORD)
            assert cli.outputs() == {"uuid": uuid, "status": "active"}
            stored = yaml.safe_load((cli.project_dir / "Pulumi.dev.yaml").read_text())
            assert stored["config"]["mihu-basic:phoneNumber"] == phone, "stored as text"
        elif argv[:2] == ["stack", "output"]:
            assert "active" in result.stdout
        elif argv[:1] == ["destroy"]:
            assert "- 2 deleted" in result.stdout and sim.connections == {}
    assert not (cli.project_dir / "Pulumi.dev.yaml").exists(), "stack rm ran"


def test_multiple_trunks_example_follows_its_docstring(
        sim: MihuSimulator, tmp_path: Path, examples_built: list[PulumiCli]) -> None:
    commands = config_commands(docstring("multiple_trunks").splitlines())
    assert "pulumi config set --path --type string 'trunks[0].phone_number' '+15551230000'" \
        in commands
    cli = example_cli("multiple_trunks", tmp_path)
    examples_built.append(cli)
    cli.run("stack", "init", "dev", "--secrets-provider", "passphrase")
    run_documented(cli, commands, placeholder_values(sim), sim.base_url)
    stored = yaml.safe_load((cli.project_dir / "Pulumi.dev.yaml").read_text())
    [entry] = stored["config"]["mihu-multiple-trunks:trunks"]
    assert entry == {"key": "support", "name": "Support line",
                     "phone_number": "+15551230000", "gateway": "sip.telnyx.com"}

    assert "+ 2 created" in cli.up().stdout
    [(uuid, record)] = sim.connections.items()
    assert (record["name"], record["phone_number"], record["gateway"]) == (
        "Support line", "+15551230000", "sip.telnyx.com")
    assert (record["username"], record["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert cli.outputs() == {"uuids": {"support": uuid}, "statuses": {"support": "active"}}
    assert "- 2 deleted" in cli.destroy().stdout
    assert sim.connections == {}


def test_path_without_type_stores_a_number_and_the_example_says_how_to_fix_it(
        sim: MihuSimulator, tmp_path: Path, examples_built: list[PulumiCli]) -> None:
    """What a new user found: `--path` alone stores +15551230000 as the number 15551230000
    (the '+' gone). The example refuses it before any request, naming the fix."""
    commands = [c.replace("--path --type string ", "--path ")
                for c in config_commands(docstring("multiple_trunks").splitlines())]
    cli = example_cli("multiple_trunks", tmp_path)
    examples_built.append(cli)
    cli.run("stack", "init", "dev", "--secrets-provider", "passphrase")
    run_documented(cli, commands, placeholder_values(sim), sim.base_url)
    stored = yaml.safe_load((cli.project_dir / "Pulumi.dev.yaml").read_text())
    assert stored["config"]["mihu-multiple-trunks:trunks"][0]["phone_number"] == 15551230000

    failed = cli.preview(expect_failure=True)
    output = failed.stdout + failed.stderr
    assert "trunks[0].phone_number is 15551230000, a int, not text" in output
    assert "--type string" in output
    # An entry without a number is named too.
    cli.run("config", "rm", "--path", "trunks[0].phone_number", "--stack", cli.stack)
    missing = cli.preview(expect_failure=True)
    assert "config trunks[0] lacks phone_number" in missing.stdout + missing.stderr
    assert sim.requests == []


def test_agent_assignment_example_follows_its_docstring(
        sim: MihuSimulator, tmp_path: Path, examples_built: list[PulumiCli]) -> None:
    commands = config_commands(docstring("agent_assignment").splitlines())
    phone = documented_value(commands, "phoneNumber")
    agent = sim.add_agent()
    cli = example_cli("agent_assignment", tmp_path)
    examples_built.append(cli)
    cli.run("stack", "init", "dev", "--secrets-provider", "passphrase")
    run_documented(cli, commands, placeholder_values(sim, **{"<agent uuid>": agent}),
                   sim.base_url)

    assert "+ 3 created" in cli.up().stdout
    [(uuid, record)] = sim.connections.items()
    assert (record["name"], record["phone_number"], record["gateway"]) == (
        "Support line", phone, "sip.telnyx.com")
    assert (record["username"], record["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert sim.state.assignments[agent] == uuid
    assert cli.outputs() == {"trunk_uuid": uuid, "agent_uuid": agent, "phone_number": phone}
    assert "- 3 deleted" in cli.destroy().stdout
    assert sim.connections == {}


# -- the GitHub Actions pipeline ------------------------------------------------------------

def workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def pinned_cli_version() -> str:
    script = (ROOT / "scripts" / "install-pulumi-cli.sh").read_text()
    match = re.search(r"^PINNED_VERSION=v?([\d.]+)$", script, re.M)
    assert match, "scripts/install-pulumi-cli.sh pins no version"
    return match[1]


def is_pulumi_action(step: Mapping[str, Any]) -> bool:
    return str(step.get("uses", "")).startswith("pulumi/actions@")


SECRET = re.compile(r"\$\{\{\s*secrets\.")


def test_workflow_scopes_secrets_and_pins_the_cli() -> None:
    flow = workflow()
    assert not SECRET.search(yaml.safe_dump(flow.get("env") or {})), \
        "no secret in the workflow-wide env"
    for name, job in flow["jobs"].items():
        assert not SECRET.search(yaml.safe_dump(job.get("env") or {})), \
            f"job {name}: secrets belong to the steps that use them"
        actions = [s for s in job["steps"] if is_pulumi_action(s)]
        assert actions, f"job {name} runs no pulumi/actions step"
        for step in job["steps"]:
            if not is_pulumi_action(step):
                assert not SECRET.search(yaml.safe_dump(step)), \
                    f"job {name}: a step other than pulumi/actions sees a secret: {step}"
        for step in actions:
            assert str(step["with"]["pulumi-version"]) == pinned_cli_version()
            assert SECRET.search(str(step["env"].get("MIHU_API_TOKEN", "")))


def expand(text: str, env: Mapping[str, str], secrets: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        scope, name = match[1], match[2]
        source = {"env": env, "secrets": secrets}[scope]
        assert name in source, f"${{{{ {scope}.{name} }}}} is not set"
        return source[name]

    return re.sub(r"\$\{\{\s*(env|secrets)\.(\w+)\s*\}\}", value, text)


def step_env(declared: Mapping[str, Any], env: dict[str, str], secrets: Mapping[str, str],
             sim: MihuSimulator) -> dict[str, str]:
    """``declared`` (a workflow env block) expanded; MIHU_SUBDOMAIN, which would reach
    https://acme.mihu.ai, becomes MIHU_BASE_URL of the simulator."""
    result = dict(env)
    for name, raw in (declared or {}).items():
        if name == "MIHU_SUBDOMAIN":
            result["MIHU_BASE_URL"] = sim.base_url
        else:
            result[name] = expand(str(raw), env, secrets)
    return result


def test_workflow_steps_run_locally_in_order(sim: MihuSimulator, tmp_path: Path) -> None:
    """Both jobs' steps, in order, in a copy of an infra repository (examples/basic as
    infra/), with the workflow's env var names: `run:` steps verbatim through bash,
    `pulumi/actions` as the `pulumi preview`/`pulumi up` it runs. The program runs in the
    virtualenv the `run:` step made, the one Pulumi.yaml names, where alone pulumi_mihu
    is installed."""
    require_cli()
    binary = pulumi_path()
    assert binary
    flow = workflow()
    repo = tmp_path / "infra-repo"
    shutil.copytree(EXAMPLES / "basic", repo / "infra")
    # The user's requirements name pulumi-mihu from its repository; this checkout here.
    (repo / "infra" / "requirements.txt").write_text(f"-e {ROOT}\n")
    settings = project_settings(repo / "infra")
    venv = repo / "infra" / settings["runtime"]["options"]["virtualenv"]

    # actions/setup-python: `python` on PATH, a plain interpreter (not this test venv).
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "python").symlink_to(Path(getattr(sys, "_base_executable", sys.executable)))
    (tools / "pulumi").symlink_to(binary)
    state = tmp_path / "state"
    state.mkdir()
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("MIHU_", "PULUMI_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    base.update({
        "PATH": os.pathsep.join([str(tools), "/usr/bin", "/bin"]),
        # A self-managed backend and PULUMI_CONFIG_PASSPHRASE, as the workflow's comment
        # offers in place of Pulumi Cloud.
        "PULUMI_BACKEND_URL": state.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    })
    workflow_env = step_env(flow.get("env") or {}, base, {}, sim)
    stack = "prod"
    workflow_env["STACK"] = stack   # "acme/telephony/prod" names a Pulumi Cloud stack
    secrets = {"MIHU_API_TOKEN": sim.state.token,
               "PULUMI_ACCESS_TOKEN": "unused-with-a-file-backend"}
    transcript: list[str] = []

    def sh(argv: list[str], cwd: Path, env: Mapping[str, str], shown: str = "") -> str:
        done = subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, text=True,
                              timeout=600)
        # The command line as recorded: config values stay out of it.
        transcript.append(f"$ {shown or argv}\n{done.stdout}\n{done.stderr}")
        assert done.returncode == 0, transcript[-1]
        return done.stdout

    # Before any run: the stack exists with its config committed, no mihu:* key (the
    # provider then reads MIHU_* from the environment), SIP credentials as secrets.
    infra = repo / "infra"
    sh(["pulumi", "stack", "init", stack, "--secrets-provider", "passphrase",
        "--non-interactive"], infra, base)
    sh(["pulumi", "config", "set", "phoneNumber", "+15551230000"], infra, base)
    for key, value in (("sipUsername", SIP_USERNAME), ("sipPassword", SIP_PASSWORD)):
        sh(["pulumi", "config", "set", "--secret", key, value], infra, base,
           shown=f"pulumi config set --secret {key} ...")

    ran: list[str] = []
    for job_name in ("preview", "deploy"):
        job = flow["jobs"][job_name]
        env = step_env(job.get("env") or {}, workflow_env, secrets, sim)
        for step in job["steps"]:
            env_here = step_env(step.get("env") or {}, env, secrets, sim)
            if "run" in step:
                cwd = repo / step.get("working-directory", ".")
                sh(["bash", "-e", "-o", "pipefail", "-c", expand(step["run"], env_here, secrets)],
                   cwd, env_here)
                ran.append(f"{job_name}: run")
            elif is_pulumi_action(step):
                options = {k: expand(str(v), env_here, secrets)
                           for k, v in step["with"].items()}
                command = options["command"]
                argv = ["pulumi", command, "--stack", options["stack-name"],
                        "--cwd", str(repo / options["work-dir"]), "--non-interactive"]
                if options.get("diff") == "True":
                    argv.append("--diff")
                if command == "up":
                    argv.append("--yes")
                # The language host here ignores Pulumi.yaml's virtualenv; a conforming
                # one (the CLI pulumi/actions installs) runs the program with this python.
                env_here["PULUMI_PYTHON_CMD"] = str(venv / "bin" / "python")
                out = sh(argv, repo, env_here)
                ran.append(f"{job_name}: pulumi {command}")
                if command == "preview":
                    assert "+ 2 to create" in out and sim.writes() == []
                else:
                    assert "+ 2 created" in out
            else:
                uses = str(step.get("uses", ""))
                assert uses.startswith(("actions/checkout@", "actions/setup-python@")), uses
                ran.append(f"{job_name}: {uses.split('@')[0]}")

    assert ran == ["preview: actions/checkout", "preview: actions/setup-python",
                   "preview: run", "preview: pulumi preview",
                   "deploy: actions/checkout", "deploy: actions/setup-python",
                   "deploy: run", "deploy: pulumi up"]
    assert (venv / "bin" / "python").exists(), "the run step made the Pulumi.yaml virtualenv"
    sh([str(venv / "bin" / "python"), "-c", "import pulumi_mihu"], repo, base)
    [record] = sim.connections.values()
    assert record["phone_number"] == "+15551230000"
    assert (record["username"], record["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert sim.requests and all(r.authorization for r in sim.requests), \
        "MIHU_API_TOKEN from the step's env reached the provider"

    destroy_env = {**base, "MIHU_API_TOKEN": sim.state.token, "MIHU_BASE_URL": sim.base_url,
                   "PULUMI_PYTHON_CMD": str(venv / "bin" / "python")}
    sh(["pulumi", "destroy", "--yes", "--stack", stack, "--non-interactive"], infra,
       destroy_env)
    assert sim.connections == {}
    assert_no_credentials("\n".join(transcript), "the pipeline's output")
