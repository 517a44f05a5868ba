"""The delete-before-replace guard through the real Pulumi CLI (independent review).

The design (docs/fault-model.md, "What the provider process knows (the ledger)" and
"Replacements"): the engine calls Diff for every existing resource before any Create or
Delete of it, a removal or a destroy gets a Delete with no Diff; so a Delete of a diffed id
whose old outputs hash like Diff's ``olds`` is a replacement's, and where the API cannot
delete (the documented-only world: DELETE answers 404, no list), the first half of a
delete-before-replace is refused before anything is created, while a plain destroy warns
and goes on. Judged by the simulator's account and the exported state.

If the real engine's Delete ``props`` did not hash like Diff's ``olds``, ``delete_kind``
would answer "kept": a warning "is not deleted: another resource of this stack has it",
and the replacement would go on, leaving two connections; cases 1 and 2 catch that.
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli
from support import (
    CLI_PROJECT,
    ROTATED_PASSWORD,
    SIP_PASSWORD,
    MakeCli,
    output_text,
    requests_since,
)

TRUNK = "SipTrunkConnection"
DBR = {"delete_before_replace": True}
KEPT_WARNING = "another resource of this stack has it"


def spec(**trunk: Any) -> dict[str, Any]:
    return {"trunks": [{"name": "main", **trunk}]}


def rotate_password(cli: PulumiCli) -> None:
    cli.set_config({f"{CLI_PROJECT}:sipPassword": ROTATED_PASSWORD},
                   {f"{CLI_PROJECT}:sipPassword"})


def the_trunk(cli: PulumiCli) -> dict[str, Any]:
    [trunk] = cli.resources(TRUNK)
    return trunk


def passwords(server: MihuSimulator) -> dict[str, str]:
    return {uuid: record["password"] for uuid, record in server.connections.items()}


def deployed(make_cli: MakeCli, server: MihuSimulator,
             program: dict[str, Any]) -> tuple[PulumiCli, str]:
    """A stack of ``program`` after its first ``pulumi up``, and its trunk's uuid."""
    cli = make_cli(server, program)
    cli.up()
    return cli, cli.outputs()["uuid"]


def up_replace(cli: PulumiCli, urn: str, *, expect_failure: bool = False,
               check: bool = True) -> Any:
    return cli.run("up", "--yes", "--skip-preview", "--stack", cli.stack, "--replace", urn,
                   expect_failure=expect_failure, check=check)


def assert_refused(result: Any, uuid: str) -> None:
    out = output_text(result)
    assert "delete_before_replace" in out, out
    assert "pulumi state delete" in out, out
    assert "Nothing was created" in out, out
    assert KEPT_WARNING not in out, "Delete props did not hash like Diff olds:\n" + out


# -- 1 ----------------------------------------------------------------------------------

def test_documented_only_dbr_password_change_is_refused_then_the_runbook_works(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    cli, old = deployed(make_cli, bare_sim, spec(options=DBR))
    urn = the_trunk(cli)["urn"]
    assert passwords(bare_sim) == {old: SIP_PASSWORD}

    rotate_password(cli)
    [step] = cli.preview_json().resource_steps(TRUNK)
    assert step.op == "replace" and step.replace_reasons == ["password"]
    mark = len(bare_sim.requests)
    refused = cli.up(expect_failure=True)
    assert_refused(refused, old)
    # What the engine sent: one DELETE of the old id (404 in this world), no POST.
    writes = [m for m in requests_since(bare_sim, mark) if m[0] != "GET"]
    assert writes == [("DELETE", old)], requests_since(bare_sim, mark)
    assert passwords(bare_sim) == {old: SIP_PASSWORD}, "the old line, untouched"
    assert len(bare_sim.requests_to("POST")) == 1, "1 POST in all"
    trunk = the_trunk(cli)
    assert trunk["id"] == old and trunk["urn"] == urn, "the state still points at it"
    assert cli.outputs()["uuid"] == old

    # The message, followed literally.
    del bare_sim.connections[old]                                   # "in the Mihu console"
    shown = cli.run("stack", "--show-urns", "--stack", cli.stack)
    assert urn in shown.stdout
    cli.run("state", "delete", urn, "--yes", "--stack", cli.stack)
    assert cli.resources(TRUNK) == []
    cli.up()
    [new] = list(bare_sim.connections)
    assert new != old
    assert passwords(bare_sim) == {new: ROTATED_PASSWORD}
    assert the_trunk(cli)["id"] == new and cli.outputs()["uuid"] == new
    assert len(bare_sim.requests_to("POST")) == 2


# -- 2 ----------------------------------------------------------------------------------

def test_documented_only_dbr_forced_replace_is_refused(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    cli, old = deployed(make_cli, bare_sim, spec(options=DBR))
    urn = the_trunk(cli)["urn"]
    assert cli.preview_json().changes() == {}, "no input change"

    mark = len(bare_sim.requests)
    refused = up_replace(cli, urn, expect_failure=True)
    assert_refused(refused, old)
    assert [m for m in requests_since(bare_sim, mark) if m[0] != "GET"] == [("DELETE", old)]
    assert passwords(bare_sim) == {old: SIP_PASSWORD}
    assert len(bare_sim.requests_to("POST")) == 1, "nothing created"
    assert the_trunk(cli)["id"] == old


# -- 3 ----------------------------------------------------------------------------------
# Where the API cannot delete, a create-before-delete replacement (a password change in the
# default order) leaves the old connection with a "NOT deleted" warning, never the "kept"
# one: checked on the stack of test_cli_lifecycle.py's
# test_each_input_change_previews_and_performs_a_replacement[documented POST only], whose
# password change is that replacement (merged there: one stack and `up` fewer).


# -- 4 ----------------------------------------------------------------------------------

def test_read_routes_dbr_forced_replace_succeeds(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    cli, old = deployed(make_cli, sim, spec(options=DBR))
    urn = the_trunk(cli)["urn"]
    mark = len(sim.requests)
    replaced = up_replace(cli, urn)
    assert "+-1 replaced" in replaced.stdout or "replaced" in replaced.stdout, replaced.stdout
    [new] = list(sim.connections)
    assert new != old
    assert passwords(sim) == {new: SIP_PASSWORD}
    assert [m for m in requests_since(sim, mark) if m[0] != "GET"] == [
        ("DELETE", old), ("POST", "connections")], "delete first, then create"
    assert the_trunk(cli)["id"] == new and cli.outputs()["uuid"] == new


# -- 5 ----------------------------------------------------------------------------------

# In the default order, the same destroy is checked, with the same assertions, by
# test_cli_api.py's test_without_read_routes_refresh_keeps_state_and_destroy_names_what_is_left
# (merged there: one stack and `up` fewer).
@pytest.mark.parametrize("options", [DBR], ids=["delete_before_replace"])
def test_documented_only_destroy_warns_and_succeeds(
        make_cli: MakeCli, bare_sim: MihuSimulator, options: dict[str, Any]) -> None:
    cli, old = deployed(make_cli, bare_sim, spec(options=options))
    destroyed = cli.destroy()
    out = output_text(destroyed)
    assert "NOT deleted" in out and old in out, out
    assert cli.resources(TRUNK) == []
    assert passwords(bare_sim) == {old: SIP_PASSWORD}, "left in the account, as warned"
    assert [m for m in requests_since(bare_sim) if m[0] != "GET"] == [
        ("POST", "connections"), ("DELETE", old)]



# -- beyond the brief: `--replace` skips the provider's Diff ------------------------------
# The engine (pkg/resource/deploy/step_generator.go, ``diff``) answers a ``--replace``
# target with a "replace" DiffResult of its own and never calls the provider's Diff, so
# the ledger does not see the resource: its Delete looks like a removal and its old
# connection like an untracked twin.

def test_read_routes_default_forced_replace_is_refused_and_loses_nothing(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    """A forced replacement in the default order creates first, while the old connection
    is still there, untracked as far as the provider can tell (the engine sends no Diff):
    it cannot be told from a leftover of an interrupted create, so the twin guard refuses
    it (documented: use delete_before_replace with --replace). Nothing is lost."""
    cli, old = deployed(make_cli, sim, spec())
    urn = the_trunk(cli)["urn"]
    mark = len(sim.requests)
    refused = up_replace(cli, urn, check=False)
    assert refused.returncode != 0 and "`pulumi up --replace`" in output_text(refused)
    assert 'README, "Refused as a duplicate"' in output_text(refused)
    assert list(sim.connections) == [old]
    assert [m for m in requests_since(sim, mark) if m[0] != "GET"] == []
    assert the_trunk(cli)["id"] == old


def test_read_routes_dbr_forced_replace_of_an_adopted_connection_keeps_a_line(
        make_cli: MakeCli, sim: MihuSimulator) -> None:
    from support import provider_for, trunk_inputs
    uuid = provider_for(sim).create(trunk_inputs(name="main")).id
    sim.state.requests.clear()
    cli = make_cli(sim, spec(adopt_uuid=uuid, options=DBR))
    cli.up()
    assert list(sim.connections) == [uuid] and sim.writes() == []
    urn = the_trunk(cli)["urn"]
    replaced = up_replace(cli, urn, check=False)
    # Whatever happens, the phone line must not be lost: the account keeps one connection
    # and the stack tracks it.
    assert len(sim.connections) == 1, (output_text(replaced), requests_since(sim))
    [live] = list(sim.connections)
    assert [t["id"] for t in cli.resources(TRUNK)] == [live], output_text(replaced)
