"""The mode-switch runbook (docs/native.md, "Moving a stack between modes") through the real
CLI: a stack's existing connections moved from the dynamic resources to the native
plugin's type and back, with the runbook's commands, judged by the simulated account (the
same uuids and connections, the agent's routing unchanged, no POST and no DELETE) and by
the exported state (the credentials ciphertext, in no output). The program
(tests/cli_programs/mode_switch.py) is edited between the steps through its ``spec``
config, as a user edits theirs.

The ways that are not in the runbook are pinned too, each with why it is not: an alias
from the dynamic type (refused by the native provider's Diff; it planned a replacement),
step 1 forgotten (the old resource's delete is a real DELETE of the line just imported),
the import forgotten (a create, refused as a twin where the API has a list)."""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli
from support import CLI_PROJECT, CREDENTIALS, output_text

PROGRAM = Path(__file__).resolve().parents[1] / "cli_programs" / "mode_switch.py"
PLUGIN = Path(sys.executable).parent / "pulumi-resource-mihu"
DYNAMIC_TRUNK = "pulumi-python:dynamic/mihu:SipTrunkConnection"
DYNAMIC_ASSIGNMENT = "pulumi-python:dynamic/mihu:AgentSipTrunkAssignment"
NATIVE_TRUNK = "mihu:index:SipTrunkConnection"

#: The stack's trunks (one with a secondary gateway: an input only some have).
TRUNKS: list[dict[str, Any]] = [
    {"phone_number": "+15551230000"},
    {"phone_number": "+15551230001", "secondary_gateway": "sip2.telnyx.com"},
]

#: What the runbook says must not be in a step's `pulumi preview --diff`: a create, a
#: replacement or a delete that is not ``[retain]`` would write to the API.
WRITING_STEP = re.compile(r"\((create|replace|create-replacement|delete-replaced|delete)\)")

MakeStack = Callable[..., tuple[PulumiCli, str]]


@pytest.fixture
def make_stack(make_cli: Callable[..., PulumiCli]) -> MakeStack:
    """A stack of mode_switch.py deployed in dynamic mode (one `pulumi up`: the trunks and
    an agent's assignment to trunk-0), as a user's existing stack; returns it and the
    agent's uuid."""

    def build(server: MihuSimulator, trunks: list[dict[str, Any]] = TRUNKS) -> tuple[
            PulumiCli, str]:
        assert PLUGIN.exists(), f"{PLUGIN} is missing: reinstall the package (pip install -e .)"
        agent = server.add_agent()
        cli = make_cli(server, {"trunks": trunks, "agent": agent}, program=PROGRAM)
        cli.up()
        return cli, agent

    return build


def declare(cli: PulumiCli, spec: dict[str, Any]) -> None:
    """Edit the program (its ``spec``)."""
    cli.set_config({f"{CLI_PROJECT}:spec": json.dumps(spec)})


def writes(server: MihuSimulator, since: int = 0) -> list[str]:
    """The requests since ``since`` that are no read."""
    return [f"{r.method} {r.path}" for r in server.requests[since:] if r.method != "GET"]


def account(server: MihuSimulator) -> tuple[dict[str, Any], dict[str, str]]:
    """What the account holds: its connections (by uuid) and the agents' routing."""
    return copy.deepcopy(server.connections), dict(server.state.assignments)


def uuids_by_phone(server: MihuSimulator) -> dict[str, str]:
    return {c["phone_number"]: uuid for uuid, c in server.connections.items()}


def diff_preview(cli: PulumiCli) -> str:
    """`pulumi preview --diff`, the runbook's look before each `up`."""
    return output_text(cli.preview())


def expect_no_changes(cli: PulumiCli) -> None:
    """`pulumi preview --expect-no-changes`: fails if anything would change."""
    cli.run("preview", "--stack", cli.stack, "--expect-no-changes")


def retained(cli: PulumiCli) -> int:
    """The runbook's count: `pulumi stack export | grep -c '"retainOnDelete": true'`."""
    exported = cli.run("stack", "export", "--stack", cli.stack).stdout
    return sum('"retainOnDelete": true' in line for line in exported.splitlines())


def assert_state_keeps_secrets(cli: PulumiCli) -> None:
    """Every trunk's credentials ciphertext in the state, and no credential in plain text
    in the export or any file the backend wrote."""
    trunks = [r for r in cli.resources() if r["type"] in (NATIVE_TRUNK, DYNAMIC_TRUNK)]
    assert trunks
    for resource in trunks:
        for where in ("inputs", "outputs"):
            for key in ("username", "password"):
                assert "ciphertext" in resource[where][key], (resource["urn"], where, key)
    exported = json.dumps(cli.export_state())
    for path in cli.state_files():
        data = path.read_text(errors="replace")
        for secret in CREDENTIALS:
            assert secret not in data and secret not in exported, path


def test_dynamic_to_native_and_back_with_no_post_and_no_delete(
        make_stack: MakeStack, sim: MihuSimulator) -> None:
    cli, agent = make_stack(sim)
    before = account(sim)
    uuids = [uuids_by_phone(sim)[t["phone_number"]] for t in TRUNKS]
    since = len(sim.requests)

    # -- dynamic to native ------------------------------------------------------------
    # 1. retain_on_delete on the dynamic trunks: the state only (no change in the plan).
    declare(cli, {"trunks": [{**t, "retain_on_delete": True} for t in TRUNKS],
                  "agent": agent})
    expect_no_changes(cli)
    cli.up()
    assert retained(cli) == 2

    # 2. The native type with the import option of each uuid; the assignment stays a
    #    dynamic resource (its connection_uuid the native trunk's id).
    native = [{**t, "import": uuid} for t, uuid in zip(TRUNKS, uuids, strict=True)]
    declare(cli, {"mode": "native", "trunks": native, "agent": agent,
                  "agent_mode": "dynamic"})
    text = diff_preview(cli)
    assert WRITING_STEP.search(text) is None, text
    assert text.count("(import)") == 2 and text.count("(delete[retain])") == 2, text
    ops = sorted((s.op, s.type) for s in cli.preview_json().resource_steps())
    assert ops == [("delete", DYNAMIC_TRUNK)] * 2 + [("import", NATIVE_TRUNK)] * 2 + [
        ("update", NATIVE_TRUNK)] * 2, ops  # the update records the credentials

    # 3. up: the imports read, the updates record the credentials, the deletes retain.
    text = output_text(cli.up())
    assert "recorded in the state as the program's" in text, text
    assert writes(sim, since) == []
    assert account(sim) == before
    resources = {r["type"] for r in cli.resources()}
    assert DYNAMIC_TRUNK not in resources and DYNAMIC_ASSIGNMENT in resources
    assert sorted(r["id"] for r in cli.resources("SipTrunkConnection")) == sorted(uuids)
    assert_state_keeps_secrets(cli)

    # 4. Nothing left to do, with or without the import options.
    expect_no_changes(cli)
    declare(cli, {"mode": "native", "trunks": TRUNKS, "agent": agent,
                  "agent_mode": "dynamic"})
    expect_no_changes(cli)
    cli.up()
    assert writes(sim, since) == []

    # -- native back to dynamic -------------------------------------------------------
    # 1. retain_on_delete on the native trunks.
    declare(cli, {"mode": "native", "trunks": [{**t, "retain_on_delete": True}
                                               for t in TRUNKS],
                  "agent": agent, "agent_mode": "dynamic"})
    expect_no_changes(cli)
    cli.up()
    assert retained(cli) == 2

    # 2. The dynamic resources adopting each uuid. The assignment's connection is written
    #    as the uuid it is: trunk.uuid of a resource being created (adopted) is unknown in
    #    a preview, and the plan would show the assignment replaced.
    adopting = [{**t, "adopt_uuid": uuid} for t, uuid in zip(TRUNKS, uuids, strict=True)]
    declare(cli, {"trunks": adopting, "agent": agent, "agent_connection": uuids[0]})
    text = diff_preview(cli)
    # The adoptions show as creates, each with its adopt_uuid: the runbook's check.
    creates = [s for s in cli.preview_json().resource_steps() if s.op == "create"]
    assert sorted(str(s.new_inputs.get("adopt_uuid")) for s in creates) == sorted(uuids), creates
    assert {s.type for s in creates} == {DYNAMIC_TRUNK}
    assert text.count("(delete[retain])") == 2, text
    assert re.search(r"\((replace|create-replacement|delete-replaced|delete)\)", text) is None

    # 3. up: the adoptions read (no POST), the native deletes retain.
    text = output_text(cli.up())
    assert text.count("is adopted") >= 2, text
    assert writes(sim, since) == []
    assert account(sim) == before
    assert {r["type"] for r in cli.resources()} & {NATIVE_TRUNK} == set()
    assert sorted(r["id"] for r in cli.resources("SipTrunkConnection")) == sorted(uuids)
    assert_state_keeps_secrets(cli)

    # 4. Nothing left to do, with the assignment on trunk.uuid again; the stack is the
    #    dynamic stack it was.
    expect_no_changes(cli)
    declare(cli, {"trunks": adopting, "agent": agent})
    expect_no_changes(cli)
    assert writes(sim, since) == []
    assert account(sim) == before
    assert "Traceback" not in cli.output_text()


# -- the ways the runbook rules out ----------------------------------------------------


def test_an_alias_from_the_dynamic_type_is_refused_with_nothing_sent(
        make_stack: MakeStack, sim: MihuSimulator) -> None:
    """Without the guard (pulumi_mihu/native/server.py, Diff) this plan was a replacement
    of every trunk, and its `up` a POST and a DELETE of each (new uuids), with the aliased
    assignment recorded as routed through the new uuid, no call made."""
    cli, agent = make_stack(sim, TRUNKS[:1])
    before = account(sim)
    state = cli.snapshot("SipTrunkConnection"), cli.snapshot("AgentSipTrunkAssignment")
    since = len(sim.requests)
    declare(cli, {"mode": "native", "trunks": [{**TRUNKS[0], "alias_type": DYNAMIC_TRUNK}],
                  "agent": agent, "agent_options": {"alias_type": DYNAMIC_ASSIGNMENT}})
    text = output_text(cli.preview(expect_failure=True))
    assert "written by the dynamic resource" in text and "moving-a-stack-between-modes" in text
    assert "Traceback" not in text
    text = output_text(cli.up(expect_failure=True))
    assert "written by the dynamic resource" in text
    assert writes(sim, since) == []
    assert account(sim) == before
    assert (cli.snapshot("SipTrunkConnection"), cli.snapshot("AgentSipTrunkAssignment")) == state


def test_an_aliased_refresh_with_the_program_is_refused_and_keeps_the_state(
        make_stack: MakeStack, bare_sim: MihuSimulator) -> None:
    """Attack finding (issue 20): `pulumi up --refresh --run-program` read the aliased
    dynamic state through the native Read, which (the API documents no read) kept it
    without the snake_case names; the Diff guard saw no ``__provider`` in the outputs any
    more, and the up POSTed a second connection for the number, re-routed the agent to it
    and DELETEd the first. Read, Check and Diff now all refuse a dynamic state: nothing
    is sent, the state is as it was, in the refresh and in the up after it."""
    cli, agent = make_stack(bare_sim, TRUNKS[:1])
    before = account(bare_sim)
    state = cli.snapshot("SipTrunkConnection"), cli.snapshot("AgentSipTrunkAssignment")
    since = len(bare_sim.requests)
    declare(cli, {"mode": "native", "trunks": [{**TRUNKS[0], "alias_type": DYNAMIC_TRUNK}],
                  "agent": agent, "agent_mode": "dynamic"})
    for command in (("refresh", "--yes", "--skip-preview", "--run-program"),
                    ("up", "--yes", "--skip-preview", "--refresh", "--run-program"),
                    ("up", "--yes", "--skip-preview")):
        completed = cli.run(*command, "--stack", cli.stack, check=False)
        text = output_text(completed)
        assert completed.returncode != 0, (command, text)
        assert "written by the dynamic resource" in text and "Traceback" not in text
        assert writes(bare_sim, since) == [], command
        assert account(bare_sim) == before, command
        assert (cli.snapshot("SipTrunkConnection"),
                cli.snapshot("AgentSipTrunkAssignment")) == state, command


def test_step_one_forgotten_the_preview_shows_a_delete_that_deletes_the_line(
        make_stack: MakeStack, sim: MihuSimulator) -> None:
    """Why the runbook's step 1 and its check: without retain_on_delete, the old
    resource's delete is the dynamic provider's, a real DELETE of the connection the same
    `up` imports (that provider cannot see the native plugin's import), and the plan says
    `delete`, not `delete[retain]`."""
    cli, agent = make_stack(sim, TRUNKS[:1])
    [uuid] = sim.connections
    declare(cli, {"mode": "native", "trunks": [{**TRUNKS[0], "import": uuid}],
                  "agent": agent, "agent_mode": "dynamic"})
    text = diff_preview(cli)
    assert "(delete)" in text and "(delete[retain])" not in text, text
    since = len(sim.requests)
    cli.up()
    assert writes(sim, since) == [f"DELETE /api/v1/channels/sip-trunk/connections/{uuid}"]
    assert sim.connections == {}, "the line is gone, though the state says it is managed"
    assert [r["id"] for r in cli.resources("SipTrunkConnection")] == [uuid]


def test_import_forgotten_the_create_is_refused_as_a_twin(
        make_stack: MakeStack, sim: MihuSimulator) -> None:
    """Why the import option: without it the native trunk is a create of a connection the
    account already has, which the twin check refuses where the API has a list (nothing
    sent; where it has none, it would be a second line: the runbook says so)."""
    cli, agent = make_stack(sim, TRUNKS[:1])
    before = account(sim)
    declare(cli, {"trunks": [{**TRUNKS[0], "retain_on_delete": True}], "agent": agent})
    cli.up()
    declare(cli, {"mode": "native", "trunks": TRUNKS[:1], "agent": agent,
                  "agent_mode": "dynamic"})
    assert "(create)" in diff_preview(cli)
    since = len(sim.requests)
    text = output_text(cli.up(expect_failure=True))
    assert "already has" in text or "adopt" in text, text
    assert writes(sim, since) == []
    assert account(sim) == before


def test_documented_api_only_the_import_fails_and_adopt_uuid_moves_the_trunk(
        make_stack: MakeStack, bare_sim: MihuSimulator) -> None:
    """The runbook's last part: where the API cannot read, the import option fails the
    preview (pointing to adoptUuid) with nothing changed, and the native ``adoptUuid``
    takes the connection over instead, unverified (it says so), with no write."""
    cli, agent = make_stack(bare_sim, TRUNKS[:1])
    [uuid] = bare_sim.connections
    before = account(bare_sim)
    since = len(bare_sim.requests)
    declare(cli, {"trunks": [{**TRUNKS[0], "retain_on_delete": True}], "agent": agent})
    cli.up()
    declare(cli, {"mode": "native", "trunks": [{**TRUNKS[0], "import": uuid}],
                  "agent": agent, "agent_mode": "dynamic"})
    text = output_text(cli.preview(expect_failure=True))
    assert "cannot be imported" in text and "adoptUuid" in text, text

    declare(cli, {"mode": "native", "trunks": [{**TRUNKS[0], "adopt_uuid": uuid}],
                  "agent": agent, "agent_mode": "dynamic", "agent_connection": uuid})
    text = diff_preview(cli)
    assert "(delete[retain])" in text and "(delete)" not in text, text
    [create] = [s for s in cli.preview_json().resource_steps() if s.op == "create"]
    assert (create.type, create.new_inputs.get("adoptUuid")) == (NATIVE_TRUNK, uuid)
    text = output_text(cli.up())
    assert "UNVERIFIED" in text, text
    assert writes(bare_sim, since) == []
    assert account(bare_sim) == before
    expect_no_changes(cli)
    declare(cli, {"mode": "native", "trunks": [{**TRUNKS[0], "adopt_uuid": uuid}],
                  "agent": agent, "agent_mode": "dynamic"})
    expect_no_changes(cli)
    assert [r["id"] for r in cli.resources("SipTrunkConnection")] == [uuid]
    assert_state_keeps_secrets(cli)
