"""Pulumi YAML programs (``runtime: yaml``) of the native provider ``mihu`` through the real
CLI and its YAML language host (``pulumi-language-yaml``, installed beside the CLI by
scripts/install-pulumi-cli.sh), the plugin ``pulumi-resource-mihu`` found on PATH (the
venv's bin, which ``PulumiCli`` puts first) or installed in the plugin cache, against the
simulator; judged by the simulated accounts (connections, assignments, requests) and the
exported state. Programs: tests/cli_programs/yaml_trunks and yaml_accounts, and
examples/yaml."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu import __version__
from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli
from support import (
    CREDENTIALS,
    SIP_PASSWORD,
    SIP_USERNAME,
    output_text,
    provider_for,
    require_cli,
    trunk_inputs,
)

pytestmark = pytest.mark.yaml

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "cli_programs"
EXAMPLE = ROOT / "examples" / "yaml"
PLUGIN = Path(sys.executable).parent / "pulumi-resource-mihu"
TRUNK = "mihu:index:SipTrunkConnection"
ASSIGNMENT = "mihu:index:AgentSipTrunkAssignment"
COLLECTION = "/api/v1/channels/sip-trunk/connections"
#: The agent of tests/cli_programs/yaml_trunks (its default: one of the simulator's).
AGENT = "a9f1c2d4-5b6e-4f70-8a91-b2c3d4e5f601"
#: The backup line's password: a literal in yaml_trunks/Pulumi.yaml, made secret there
#: with ``fn::secret``.
BACKUP_PASSWORD = "Backup-Passw0rd-3c9e71"
SECOND_TOKEN = "second-account-token-4e5f6a7b8c"
SECRETS = (*CREDENTIALS, BACKUP_PASSWORD, SECOND_TOKEN)
PATH_WARNING = "using pulumi-resource-mihu from $PATH"


class YamlCli(PulumiCli):
    """A PulumiCli whose project is a copy of the Pulumi YAML program in ``source`` (its
    files, ``name`` in Pulumi.yaml set to ``project``) instead of the runner's Python one."""

    def __init__(self, source: Path, *, project: str, work_dir: Path) -> None:
        super().__init__(source / "Pulumi.yaml", project=project, work_dir=work_dir)
        (self.project_dir / "__main__.py").unlink()
        for path in source.iterdir():
            if path.is_file():
                shutil.copy(path, self.project_dir / path.name)
        settings = self.project_dir / "Pulumi.yaml"
        text, count = re.subn(r"(?m)^name: .*$", f"name: {project}", settings.read_text())
        assert count == 1, f"{source}/Pulumi.yaml has no top-level name"
        settings.write_text(text)

    def init_config(self, plain: dict[str, str], secret: dict[str, str]) -> None:
        self.init({**plain, **secret}, set(secret))


MakeYaml = Callable[[Path, str], YamlCli]


@pytest.fixture
def make_yaml(tmp_path: Path) -> Iterator[MakeYaml]:
    """A stack (not yet initialised) of the YAML program in a directory. At teardown, no
    output of any command may contain a credential, a token or the backup password."""
    built: list[YamlCli] = []

    def build(source: Path, project: str) -> YamlCli:
        require_cli()
        assert PLUGIN.exists(), f"{PLUGIN} is missing: reinstall the package (pip install -e .)"
        cli = YamlCli(source, project=project, work_dir=tmp_path / f"yaml-{len(built)}")
        built.append(cli)
        return cli

    yield build
    for cli in built:
        text = cli.output_text()
        for secret in SECRETS:
            assert secret not in text, f"a secret ({secret[:6]}...) appears in the CLI output"


def trunks_stack(make_yaml: MakeYaml, server: MihuSimulator,
                 secret: dict[str, str] | None = None, **plain: str) -> YamlCli:
    """tests/cli_programs/yaml_trunks against ``server``: the default provider's mihu:*
    config (token secret, fast retries), the SIP credentials secret, ``plain`` the
    program's other config (gateway, backupGateway, agentUuid). ``secret`` overrides the
    secret config (sipPassword, say)."""
    project = "mihu-yaml-tests"
    cli = make_yaml(PROGRAMS / "yaml_trunks", project)
    cli.init_config(
        {"mihu:baseUrl": server.base_url, "mihu:retryBaseDelay": "0.01",
         "mihu:maxAttempts": "3", **{f"{project}:{k}": v for k, v in plain.items()}},
        {"mihu:apiToken": server.state.token, f"{project}:sipUsername": SIP_USERNAME,
         f"{project}:sipPassword": SIP_PASSWORD,
         **{f"{project}:{k}": v for k, v in (secret or {}).items()}})
    return cli


def writes(server: MihuSimulator, since: int = 0) -> list[str]:
    """The methods of the requests since ``since`` that are no read."""
    return [r.method for r in server.requests[since:] if r.method != "GET"]


def assert_secrets_hidden(cli: PulumiCli) -> None:
    """No secret in ``pulumi stack export`` or any file the backend wrote."""
    exported = json.dumps(cli.export_state())
    for secret in SECRETS:
        assert secret not in exported, f"{secret[:6]}... in the stack export"
    for path in cli.state_files():
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret[:6]}... in {path}"


def by_name(cli: PulumiCli, type_name: str) -> dict[str, dict[str, Any]]:
    return {r["urn"].rsplit("::", 1)[-1]: r for r in cli.resources(type_name)}


# -- lifecycle: preview, up, unchanged up, replace, destroy ---------------------------------


def test_yaml_lifecycle_two_trunks_and_an_assignment(
        make_yaml: MakeYaml, sim: MihuSimulator) -> None:
    cli = trunks_stack(make_yaml, sim)

    plan = cli.preview_json()
    steps = {(s.type, s.name): s.op for s in plan.resource_steps()}
    assert steps == {(TRUNK, "main-line"): "create", (TRUNK, "backup-line"): "create",
                     (ASSIGNMENT, "agent-calls"): "create"}
    assert sim.requests == [], "a preview sends nothing to the API"

    text = output_text(cli.up())
    assert PATH_WARNING in text  # the documented warning of a plugin found on PATH
    assert sorted(writes(sim)) == ["POST", "POST", "POST"]  # two trunks, one assignment
    connections = {c["name"]: (uuid, c) for uuid, c in sim.connections.items()}
    assert set(connections) == {"main-line", "backup-line"}
    main_uuid, main = connections["main-line"]
    backup_uuid, backup = connections["backup-line"]
    assert (main["phone_number"], main["gateway"], main["username"], main["password"]) == (
        "+15551230000", "sip.telnyx.com", SIP_USERNAME, SIP_PASSWORD)
    assert (backup["phone_number"], backup["secondary_gateway"], backup["password"]) == (
        "+15551230001", "sip2.telnyx.com", BACKUP_PASSWORD)
    assert sim.state.assignments == {AGENT: main_uuid}
    assert cli.outputs() == {"mainUuid": main_uuid, "backupUuid": backup_uuid,
                             "assignedNumber": "+15551230000"}
    trunks = by_name(cli, "SipTrunkConnection")
    assert {name: r["id"] for name, r in trunks.items()} == {"main-line": main_uuid,
                                                             "backup-line": backup_uuid}
    for name, resource in trunks.items():
        for key in ("username", "password"):
            for where in ("inputs", "outputs"):
                assert "ciphertext" in resource[where][key], (name, where, key)
    [assignment] = cli.resources("AgentSipTrunkAssignment")
    assert assignment["inputs"]["connectionUuid"] == main_uuid
    assert_secrets_hidden(cli)

    since = len(sim.requests)
    assert cli.preview_json().changes() == {}
    text = output_text(cli.up())
    assert "4 unchanged" in text, text
    assert writes(sim, since) == [], "an unchanged up sends no POST"

    # A changed gateway replaces the backup line (create, then delete the old one); the main
    # line and the assignment stay.
    cli.set_config({"mihu-yaml-tests:backupGateway": "sip3.telnyx.com"})
    plan = cli.preview_json()
    assert {s.name: s.op for s in plan.resource_steps() if s.op != "same"} == {
        "backup-line": "replace"}
    since = len(sim.requests)
    cli.up()
    assert writes(sim, since) == ["POST", "DELETE"]
    assert [r.path for r in sim.requests_to("DELETE")] == [f"{COLLECTION}/{backup_uuid}"]
    [new_backup] = set(sim.connections) - {main_uuid}
    assert new_backup != backup_uuid
    assert sim.connections[new_backup]["gateway"] == "sip3.telnyx.com"
    assert sim.state.assignments == {AGENT: main_uuid}
    assert_secrets_hidden(cli)

    text = output_text(cli.destroy())
    assert sim.connections == {}, "the account is left empty"
    assert sorted(r.path for r in sim.requests_to("DELETE")) == sorted(
        f"{COLLECTION}/{uuid}" for uuid in (backup_uuid, new_backup, main_uuid))
    assert "keeps routing its calls" in text  # no unassign route: the user is told
    assert cli.resources() == []
    assert "Traceback" not in cli.output_text()


# -- bad input -------------------------------------------------------------------------------


def test_yaml_bad_input_fails_the_preview_with_one_line_field_errors(
        make_yaml: MakeYaml, sim: MihuSimulator) -> None:
    cli = trunks_stack(make_yaml, sim, {"sipPassword": SIP_PASSWORD + "\n"},
                       gateway="sip://sip.telnyx.com")
    text = output_text(cli.preview(expect_failure=True))
    errors = [line.strip() for line in text.splitlines() if "error:" in line]
    assert errors, text
    for message in ("gateway must be a bare hostname or IP, without a scheme",
                    "password must not contain control characters"):  # its value: [secret]
        lines = [line for line in errors if message in line]
        assert lines, (message, text)
        assert all("main-line" in line for line in lines), lines
    assert "Traceback" not in text and 'File "' not in text
    assert sim.requests == [] and sim.connections == {}


# -- import ----------------------------------------------------------------------------------


def test_yaml_pulumi_import_sends_no_write_and_the_plan_never_replaces(
        make_yaml: MakeYaml, sim: MihuSimulator) -> None:
    uuid = provider_for(sim).create(trunk_inputs(name="main-line")).id
    cli = trunks_stack(make_yaml, sim)
    since = len(sim.requests)

    text = output_text(cli.run("import", TRUNK, "main-line", uuid, "--yes",
                               "--generate-code=false"))
    assert "Traceback" not in text
    assert writes(sim, since) == [], "an import sends no POST, no DELETE"
    assert list(sim.connections) == [uuid]
    [resource] = cli.resources("SipTrunkConnection")
    assert resource["id"] == uuid
    assert resource["inputs"] == {"name": "main-line", "phoneNumber": "+15551230000",
                                  "gateway": "sip.telnyx.com"}  # what the API returns

    # The program's credentials are recorded by an update, never a replacement.
    steps = {s.name: s.op for s in cli.preview_json().resource_steps()}
    assert steps == {"main-line": "update", "backup-line": "create", "agent-calls": "create"}
    assert writes(sim, since) == []
    assert_secrets_hidden(cli)


# -- the lookup function (fn::invoke) --------------------------------------------------------


def lookup_stack(make_yaml: MakeYaml, server: MihuSimulator, uuid: str) -> YamlCli:
    """tests/cli_programs/yaml_lookup against ``server``, looking up ``uuid``."""
    project = "mihu-yaml-lookup"
    cli = make_yaml(PROGRAMS / "yaml_lookup", project)
    cli.init_config({"mihu:baseUrl": server.base_url, "mihu:retryBaseDelay": "0.01",
                     "mihu:maxAttempts": "3", f"{project}:connectionUuid": uuid},
                    {"mihu:apiToken": server.state.token})
    return cli


def test_yaml_lookup_reads_a_connection_and_changes_nothing(
        make_yaml: MakeYaml, sim: MihuSimulator) -> None:
    """``fn::invoke`` of getSipTrunkConnection: the connection's fields as the API reports
    them (camelCase), never a credential, with only reads sent and no resource in the
    stack; a uuid that does not exist fails the preview saying so, in one line."""
    uuid = provider_for(sim).create(trunk_inputs(name="main-line")).id
    connection = dict(sim.connections[uuid])
    cli = lookup_stack(make_yaml, sim, uuid)
    since = len(sim.requests)

    cli.up()
    outputs = cli.outputs()
    assert outputs["phoneNumber"] == "+15551230000"
    assert outputs["connection"] == {
        "uuid": uuid, "name": "main-line", "phoneNumber": "+15551230000",
        "gateway": "sip.telnyx.com", "status": "active",
        "createdAt": connection["created_at"], "updatedAt": connection["updated_at"]}
    assert writes(sim, since) == [], "a lookup sends no POST, no DELETE"
    assert {r.path for r in sim.requests[since:]} == {f"{COLLECTION}/{uuid}"}
    assert sim.connections == {uuid: connection}
    assert cli.resources(TRUNK.rsplit(":", 1)[-1]) == []
    assert_secrets_hidden(cli)

    cli.set_config({"mihu-yaml-lookup:connectionUuid": "5696d9f3-0478-4945-a9c4-f19142c991f2"})
    text = output_text(cli.preview(expect_failure=True))
    lines = [line for line in text.splitlines() if "does not exist" in line]
    assert lines and all("5696d9f3-0478-4945-a9c4-f19142c991f2" in line for line in lines), text
    assert "Traceback" not in text and 'File "' not in text
    assert writes(sim, since) == []


def test_yaml_lookup_where_the_api_cannot_read_points_to_adopt_uuid(
        make_yaml: MakeYaml, bare_sim: MihuSimulator) -> None:
    uuid = provider_for(bare_sim).create(trunk_inputs(name="main-line")).id
    cli = lookup_stack(make_yaml, bare_sim, uuid)
    since = len(bare_sim.requests)
    text = output_text(cli.preview(expect_failure=True))
    lines = [line for line in text.splitlines() if "cannot look it up" in line]
    assert lines and all(f"adoptUuid set to {uuid}" in line for line in lines), text
    assert "Traceback" not in text and 'File "' not in text
    assert writes(bare_sim, since) == []


# -- explicit providers: two accounts --------------------------------------------------------


def test_yaml_two_explicit_providers_each_trunk_in_its_own_account(
        make_yaml: MakeYaml, sim: MihuSimulator) -> None:
    with MihuSimulator(token=SECOND_TOKEN) as second:
        accounts = {"first": sim, "second": second}
        project = "mihu-yaml-accounts"
        cli = make_yaml(PROGRAMS / "yaml_accounts", project)
        cli.init_config(
            {f"{project}:{name}Url": server.base_url for name, server in accounts.items()},
            {f"{project}:firstToken": sim.state.token, f"{project}:secondToken": SECOND_TOKEN,
             f"{project}:sipUsername": SIP_USERNAME, f"{project}:sipPassword": SIP_PASSWORD})

        cli.up()
        for name, server in accounts.items():
            [connection] = server.connections.values()
            assert connection["name"] == f"line-{name}"
            assert writes(server) == ["POST"]
        ids = {name: r["id"] for name, r in by_name(cli, "SipTrunkConnection").items()}
        assert ids == {"line-first": next(iter(sim.connections)),
                       "line-second": next(iter(second.connections))}
        providers = {name: r for name, r in by_name(cli, "providers:mihu").items()
                     if name in accounts}
        assert set(providers) == set(accounts)
        for name, resource in providers.items():
            for where in ("inputs", "outputs"):
                assert "ciphertext" in resource[where]["apiToken"], (name, where)
        assert_secrets_hidden(cli)

        cli.destroy()
        assert sim.connections == {} and second.connections == {}
        for server in accounts.values():
            assert writes(server) == ["POST", "DELETE"]


# -- examples/yaml, as its README says: the plugin in the plugin cache (no PATH warning) ----


def readme_commands() -> list[str]:
    """The ``pulumi ...`` lines of examples/yaml/README.md's first bash block."""
    block = re.search(r"```bash\n(.*?)```", (EXAMPLE / "README.md").read_text(), re.S)
    assert block, "examples/yaml/README.md has no bash block"
    return [line.strip() for line in block[1].splitlines() if line.strip().startswith("pulumi ")]


def filled(command: str, values: dict[str, str]) -> list[str]:
    """``command`` as argv for PulumiCli.run: placeholders filled from ``values``, the
    plugin's path for ``$(which pulumi-resource-mihu)``."""
    command = command.replace('"$(which pulumi-resource-mihu)"', shlex.quote(str(PLUGIN)))
    for placeholder in re.findall(r"<[^<>]+>", command):
        assert placeholder in values, f"no value for {placeholder} in: {command}"
        command = command.replace(placeholder, shlex.quote(values[placeholder]))
    return shlex.split(command)[1:]


def test_yaml_example_as_its_readme_says_with_the_plugin_installed(
        make_yaml: MakeYaml, sim: MihuSimulator) -> None:
    """examples/yaml's README commands run verbatim (placeholders filled; mihu:subdomain
    swapped for mihu:baseUrl, the simulator's), the plugin installed the recommended way
    (``pulumi plugin install resource mihu <version> --file``) and the venv's bin off PATH:
    no warning about a plugin from PATH, and up and destroy work; with the venv's bin on
    PATH, PULUMI_IGNORE_AMBIENT_PLUGINS keeps the engine to the cached plugin."""
    cli = make_yaml(EXAMPLE, "mihu-yaml-example")
    venv_bin = str(PLUGIN.parent)
    cli.env["PATH"] = os.pathsep.join(
        p for p in cli.env["PATH"].split(os.pathsep) if p != venv_bin)
    assert shutil.which("pulumi-resource-mihu", path=cli.env["PATH"]) is None
    values = {"<your Mihu API token>": sim.state.token, "<agent uuid>": AGENT,
              "<SIP username>": SIP_USERNAME, "<SIP password>": SIP_PASSWORD}
    commands = readme_commands()
    [install] = [c for c in commands if c.startswith("pulumi plugin install")]
    assert filled(install, values) == ["plugin", "install", "resource", "mihu", __version__,
                                       "--file", str(PLUGIN)], "the README's version is stale"
    text = ""
    for command in commands:
        if command.startswith("pulumi config set mihu:subdomain"):
            cli.run("config", "set", "mihu:baseUrl", sim.base_url)
            continue
        if command.startswith("pulumi preview"):
            assert sim.requests == []
        if command == "pulumi up":  # interactive as documented; confirmed here
            text += output_text(cli.up())
            continue
        # Recorded as documented (placeholders, not the credentials filled in).
        text += output_text(cli.run(*filled(command, values),
                                    shown_as=command.removeprefix("pulumi ")))
    assert any(c.startswith("pulumi up") for c in commands)
    schema = json.loads(cli.run("package", "get-schema", "mihu").stdout)
    assert schema["name"] == "mihu" and schema["version"] == __version__

    [(uuid, connection)] = sim.connections.items()
    assert (connection["name"], connection["phone_number"]) == ("Support line", "+15551230000")
    assert (connection["username"], connection["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert sim.state.assignments == {AGENT: uuid}
    assert cli.outputs() == {"trunkUuid": uuid, "phoneNumber": "+15551230000"}
    assert_secrets_hidden(cli)
    # With the environment's bin on PATH (an active venv), the engine would take the
    # plugin from PATH, warning; PULUMI_IGNORE_AMBIENT_PLUGINS keeps it to the cache.
    cli.env["PATH"] = os.pathsep.join([venv_bin, cli.env["PATH"]])
    cli.env["PULUMI_IGNORE_AMBIENT_PLUGINS"] = "true"
    since = len(sim.requests)
    plan = cli.preview_json()
    assert plan.changes() == {} and writes(sim, since) == []
    assert not any(PATH_WARNING in message for message in plan.diagnostics), plan.diagnostics
    text += output_text(cli.destroy())
    assert sim.connections == {}
    assert PATH_WARNING not in text, text
