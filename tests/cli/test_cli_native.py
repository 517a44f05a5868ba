"""The native provider plugin ``mihu`` (``pulumi-resource-mihu``, docs/native.md) through the
real CLI: a program of ``pulumi.CustomResource("mihu:index:SipTrunkConnection", ...)``
(tests/cli_programs/native.py) with the plugin found on PATH (the venv's bin, which
``PulumiCli`` puts first), against the simulator, judged by the simulated account and the
exported state."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli
from support import (
    CLI_PROJECT,
    CREDENTIALS,
    SIP_PASSWORD,
    SIP_USERNAME,
    assert_no_credentials,
    cli_config,
    output_text,
    require_cli,
)

PROGRAM = Path(__file__).resolve().parents[1] / "cli_programs" / "native.py"
PLUGIN = Path(sys.executable).parent / "pulumi-resource-mihu"
TOKEN = "mihu:index:SipTrunkConnection"
COLLECTION = "/api/v1/channels/sip-trunk/connections"

MakeNative = Callable[..., PulumiCli]


@pytest.fixture
def make_native(tmp_path: Path) -> Iterator[MakeNative]:
    """A stack of the native program against ``server`` (the config of the other CLI tests:
    token as a secret, fast retries, the SIP credentials as secrets). At teardown, no output
    of any command may contain a credential."""
    built: list[PulumiCli] = []

    def build(server: MihuSimulator, trunks: list[dict[str, Any]] | None = None) -> PulumiCli:
        require_cli()
        assert PLUGIN.exists(), f"{PLUGIN} is missing: reinstall the package (pip install -e .)"
        cli = PulumiCli(PROGRAM, project=CLI_PROJECT, work_dir=tmp_path / f"native-{len(built)}")
        values, secret_keys = cli_config(server, {"trunks": trunks} if trunks else None)
        cli.init(values, secret_keys)
        built.append(cli)
        return cli

    yield build
    for cli in built:
        assert_no_credentials(cli.output_text(), "CLI output")


def test_get_schema_of_the_installed_plugin(make_native: MakeNative, sim: MihuSimulator) -> None:
    cli = make_native(sim)
    schema = json.loads(cli.run("package", "get-schema", str(PLUGIN)).stdout)
    assert schema["name"] == "mihu"
    trunk = schema["resources"][TOKEN]
    assert trunk["inputProperties"]["password"]["secret"] is True
    assert trunk["inputProperties"]["phoneNumber"]["replaceOnChanges"] is True
    assert schema["config"]["variables"]["apiToken"]["secret"] is True


def test_native_lifecycle_preview_up_unchanged_up_destroy(
        make_native: MakeNative, sim: MihuSimulator) -> None:
    cli = make_native(sim)

    plan = cli.preview_json()
    [step] = plan.resource_steps("SipTrunkConnection")
    assert (step.op, step.type) == ("create", TOKEN)
    assert step.new_inputs["phoneNumber"] == "+15551230000"
    assert step.new_inputs["name"] == "trunk-0"  # the resource's name, from the URN
    assert sim.requests == [], "a preview sends nothing to the API"

    text = output_text(cli.up())
    assert "using pulumi-resource-mihu from $PATH" in text  # the documented warning
    [(uuid, connection)] = sim.connections.items()
    assert (connection["name"], connection["phone_number"], connection["gateway"]) == (
        "trunk-0", "+15551230000", "sip.telnyx.com")
    assert (connection["username"], connection["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    [resource] = cli.resources("SipTrunkConnection")
    assert resource["type"] == TOKEN and resource["id"] == uuid
    outputs = resource["outputs"]
    assert (outputs["uuid"], outputs["status"], outputs["phoneNumber"]) == (
        uuid, "active", "+15551230000")
    for key in ("username", "password"):
        assert "ciphertext" in outputs[key] and "ciphertext" in resource["inputs"][key], key
    exported = json.dumps(cli.export_state())
    for secret in CREDENTIALS:
        assert secret not in exported
    for path in cli.state_files():
        data = path.read_bytes()
        for secret in CREDENTIALS:
            assert secret.encode() not in data, path

    posts = len(sim.requests_to("POST"))
    assert cli.preview_json().changes() == {}
    text = output_text(cli.up())
    assert "unchanged" in text
    assert len(sim.requests_to("POST")) == posts
    assert list(sim.connections) == [uuid]

    cli.destroy()
    assert sim.connections == {}
    assert [r.path for r in sim.requests_to("DELETE")] == [f"{COLLECTION}/{uuid}"]


def test_native_bad_input_fails_the_preview_field_by_field_without_traceback(
        make_native: MakeNative, sim: MihuSimulator) -> None:
    cli = make_native(sim, [{"phoneNumber": "+1" + "5" * 40, "gateway": "sip://sip.telnyx.com",
                             "phone_number": "+15551230000", "password": SIP_PASSWORD + "\n"}])
    text = output_text(cli.preview(expect_failure=True))
    assert "phoneNumber must be at most 32 characters" in text
    assert "gateway must be a bare hostname or IP, without a scheme" in text
    assert "phone_number is not an input of SipTrunkConnection" in text
    assert "password must not contain control characters" in text  # its value: [secret]
    assert "Traceback" not in text and 'File "' not in text
    assert sim.requests == []
    assert sim.connections == {}


# -- the provider's warnings (the engine's Log call) ---------------------------------------


def test_native_destroy_in_the_documented_world_shows_the_not_deleted_warning(
        make_native: MakeNative, bare_sim: MihuSimulator) -> None:
    """The API documents no DELETE: the destroy goes on and leaves the connection, and the
    user is told so, attached to the resource (the engine's Log, not stderr, which the
    engine does not show for a plugin)."""
    cli = make_native(bare_sim)
    cli.up()
    [uuid] = bare_sim.connections
    text = output_text(cli.destroy())
    assert "NOT deleted" in text and uuid in text, text
    assert "Traceback" not in text
    assert cli.resources("SipTrunkConnection") == []
    assert list(bare_sim.connections) == [uuid], "left in the account, as warned"
    assert [r.method for r in bare_sim.requests if r.method != "GET"] == ["POST", "DELETE"]
