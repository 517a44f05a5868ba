"""The README runbooks over a paginated account, through the real Pulumi CLI: the list of
connections served 15 a page, newest first, in the shape of the Mihu reference's
documented lists, with the stack's own connections on a later page. Judged by the
simulator's account and the exported state.

Before lists were read whole, the provider read page 1, took the list for unavailable,
and created with no duplicate check (two connections for one resource after the
"interrupted deployment" runbook), and a rerun destroy warned of connections "NOT deleted"
that it had deleted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from test_cli_adoption import (
    LINE,
    TRUNK,
    adopt_and_check,
    assert_pending_create,
    drop_the_pending_create,
    held_post,
    kill_up_during_create,
    release_the_lock,
)

from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.simulator import CONNECTIONS, _Handler
from support import MakeCli, kill_cli_when, output_text

#: Connections of other teams, made after the stack's: they fill pages 1 to 3.
OTHERS = 40
__all__ = ["held_post"]  # a fixture, imported for the tests below


@pytest.fixture
def paged() -> Iterator[MihuSimulator]:
    with MihuSimulator(page_size=15) as server:
        yield server


def page_of(server: MihuSimulator, uuid: str) -> int:
    """The list page (15 a page, newest first) that shows ``uuid``."""
    newest_first = list(reversed(server.connections))
    return newest_first.index(uuid) // 15 + 1


def twins_of(server: MihuSimulator, phone_number: str) -> list[str]:
    return [u for u, c in server.connections.items() if c["phone_number"] == phone_number]


def test_interrupted_up_runbook_over_a_paginated_account(
        make_cli: MakeCli, paged: MihuSimulator, held_post: threading.Event) -> None:
    cli = make_cli(paged, {"trunks": [LINE]})
    orphan = kill_up_during_create(cli, paged, held_post)
    paged.add_connections(OTHERS)
    assert page_of(paged, orphan) == 3
    assert_pending_create(cli)

    release_the_lock(cli)                                             # step 1
    drop_the_pending_create(cli, paged)                               # step 2
    posts = len(paged.requests_to("POST"))
    refused = cli.up(expect_failure=True)                             # step 3
    assert f'adopt_uuid="{orphan}"' in output_text(refused)
    assert len(paged.requests_to("POST")) == posts, "refused before any POST"
    assert twins_of(paged, LINE["phone_number"]) == [orphan]
    adopt_and_check(cli, paged, orphan, others=OTHERS)                # step 4


def test_a_state_entry_deleted_by_hand_never_leads_to_a_second_connection(
        make_cli: MakeCli, paged: MihuSimulator) -> None:
    cli = make_cli(paged, {"count": 2})
    cli.up()
    [first, second] = [r["id"] for r in cli.resources(TRUNK)]
    paged.add_connections(OTHERS)
    assert page_of(paged, first) == page_of(paged, second) == 3
    urn = next(r["urn"] for r in cli.resources(TRUNK) if r["id"] == second)
    cli.run("state", "delete", urn, "--yes", "--stack", cli.stack)

    refused = cli.up(expect_failure=True)
    assert second in output_text(refused)
    assert len(paged.requests_to("POST")) == 2, "only the first up created"
    assert len(paged.connections) == OTHERS + 2


def test_refresh_drops_a_connection_deleted_behind_the_stacks_back(
        make_cli: MakeCli, paged: MihuSimulator) -> None:
    cli = make_cli(paged, {"count": 2})
    cli.up()
    [first, second] = [r["id"] for r in cli.resources(TRUNK)]
    paged.add_connections(OTHERS)
    del paged.connections[first]                                      # in the console
    refreshed = cli.refresh()
    assert "could not refresh" not in output_text(refreshed).lower()
    assert [r["id"] for r in cli.resources(TRUNK)] == [second]
    assert second in paged.connections and len(paged.connections) == OTHERS + 1


@pytest.fixture
def held_deletes(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The simulator deletes, then holds the answer until the event is set (or 60 s)."""
    release = threading.Event()
    original = _Handler._route

    def route(handler: _Handler, method: str, path: str, body: Any,
              bad_json: bool) -> tuple[int, Any]:
        answer = original(handler, method, path, body, bad_json)
        if method == "DELETE":
            release.wait(60)
        return answer

    monkeypatch.setattr(_Handler, "_route", route)
    yield release
    release.set()


def test_interrupted_destroy_runbook_over_a_paginated_account(
        make_cli: MakeCli, paged: MihuSimulator, held_deletes: threading.Event) -> None:
    cli = make_cli(paged, {"count": 3})
    cli.up()
    ours = [r["id"] for r in cli.resources(TRUNK)]
    others = set(paged.add_connections(OTHERS))
    assert {page_of(paged, uuid) for uuid in ours} == {3}

    kill_cli_when(cli, ["destroy", "--yes", "--skip-preview"],
                  lambda: sum(uuid not in paged.connections for uuid in ours) >= 2, "destroy")
    held_deletes.set()
    paged.wait_idle()
    assert len(cli.resources(TRUNK)) == 3, "the killed destroy recorded no delete"

    cli.run("cancel", "--yes", "--stack", cli.stack)                  # the lock
    rerun = cli.destroy()                                             # destroy again
    assert "NOT deleted" not in output_text(rerun)
    assert cli.resources(TRUNK) == []
    assert set(paged.connections) == others, "ours deleted, nobody else's"


def test_a_list_that_cannot_be_read_whole_refuses_the_create_until_opted_out(
        make_cli: MakeCli, paged: MihuSimulator) -> None:
    """A cursor the provider cannot follow: the duplicate check cannot run, so nothing is
    created, and the message names the setting that allows it; with the setting, the
    create goes ahead with a warning that it is unchecked."""
    paged.inject(Fault(status=200, method="GET", path_prefix=CONNECTIONS, exact=True,
                       times=1000, body='{"success": true, "data": [], "next_cursor": "c2"}'))
    cli = make_cli(paged, {"trunks": [LINE]})
    refused = cli.up(expect_failure=True)
    assert "pages by a cursor with no link to the next page" in output_text(refused)
    assert "mihu:allowUncheckedCreates true" in output_text(refused)
    assert paged.connections == {} and paged.requests_to("POST") == []

    cli.set_config({"mihu:allowUncheckedCreates": "true"})
    created = cli.up()
    assert "WITHOUT the duplicate check" in output_text(created)
    assert len(twins_of(paged, LINE["phone_number"])) == 1


def test_without_a_list_route_each_up_says_once_that_leftovers_cannot_be_seen(
        make_cli: MakeCli, bare_sim: MihuSimulator) -> None:
    cli = make_cli(bare_sim, {"count": 2})
    out = output_text(cli.up())
    # Shown as it happens, then once in the summary (two creates, one notice).
    assert out.split("Diagnostics:")[1].count("has no list of SIP trunk connections") == 1
    assert "After an interrupted deployment" in out
    assert len(bare_sim.connections) == 2
