"""Adversarial review of the create guard, adoption and replacement logic (written by an
independent reviewer; each failed before its fix).

Each test is a scenario where the package's claim should hold ("every resource ends with
exactly one connection holding the last successful inputs, tracked by state, or a clear
failure that left nothing lost or duplicated"; "delete_before_replace is refused before
anything is created when the API cannot delete"). Each judges the account: the
simulator's connections, their passwords, and whether the state's ids exist.

Each ``pulumi up`` is the engine's calls sent to a real provider host of its own by the
call-script driver (``deploy``: tests/support/driver.py); the real CLI pins those orders.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.simulator import CONNECTIONS, _error, _Handler
from support import (
    SIP_USERNAME,
    Deploy,
    FaultTarget,
    Resource,
    attempt,
    provider_for,
    trunk_inputs,
)

P1 = "First-Passw0rd-4b7d21"
P2 = "Second-Passw0rd-9e3a57"
P3 = "Third-Passw0rd-c18f60"
CONSOLE_PASSWORD = "Console-made-9c2e11"
PHONE = "+15551230000"
#: Client gives up after 3 s; the guard watches the list for 2 s.
TIMING = {"mihu:requestTimeout": "3", "mihu:createSettleTime": "2"}
POST: FaultTarget = {"method": "POST", "exact": True, "path_prefix": CONNECTIONS}
LIST: FaultTarget = {"method": "GET", "exact": True, "path_prefix": CONNECTIONS}




def main(**overrides: Any) -> dict[str, Any]:
    """The inputs of the one trunk most scenarios declare (password P1)."""
    return trunk_inputs(**{"password": P1, **overrides})


def created(deploy: Deploy, sim: MihuSimulator, config: dict[str, str] | None = None,
            **overrides: Any) -> Resource:
    """A first `pulumi up` that creates the trunk ``main``."""
    with deploy(sim, TIMING if config is None else config) as run:
        return run.create("main", main(**overrides))


def by_phone(sim: MihuSimulator, phone: str) -> list[dict[str, Any]]:
    return [c for c in sim.connections.values() if c["phone_number"] == phone]


def made_in_the_console(sim: MihuSimulator, **overrides: Any) -> str:
    uuid = provider_for(sim).create(trunk_inputs(**overrides)).id
    sim.state.requests.clear()
    return uuid


# =========================================================================================
# 1. A transient failure of the baseline GET, then concurrent creates: the baseline is
#    taken late (by another thread) and swallows a connection an ambiguous create already
#    committed; the guard then takes it as "existed before", and the POST is sent again.
# =========================================================================================


def test_late_baseline_after_a_failed_one_makes_a_concurrent_ambiguous_create_duplicate(
        sim: MihuSimulator, deploy: Deploy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resource `a`'s create: the baseline list answers 503 five times (the client's
    budget), so `a` POSTs with no baseline. The server commits `a` but its answer trickles
    out slower than the client's timeout. Meanwhile resource `b` (another number) starts
    its create, and takes the baseline: it now contains `a`'s connection. `a`'s settle
    excludes everything in the baseline, sees nothing new, and sends the POST again.
    (The simulator's slow_body fault also delays *before* committing, so the "commit now,
    answer late" server is made by wrapping the route.)"""
    original = _Handler._route
    slow = {"left": 1}

    def commit_then_answer_late(handler: _Handler, method: str, path: str, body: Any,
                                bad_json: bool) -> tuple[int, Any]:
        answer = original(handler, method, path, body, bad_json)
        if method == "POST" and path == CONNECTIONS and slow["left"]:
            slow["left"] -= 1
            time.sleep(5)  # committed; the answer comes after the client's 3 s timeout
        return answer

    monkeypatch.setattr(_Handler, "_route", commit_then_answer_late)

    def b_once_a_is_committed() -> tuple[Resource | None, str | None]:
        # b's name waits for a's POST to be committed (a's answer still pending); if a
        # ends without one, b is never registered.
        deadline = time.monotonic() + 20
        while not sim.connections and not a.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not sim.connections:
            return None, None
        return attempt(run.create, "b", main(name="second-line", phone_number="+15551230002",
                                             password=P2))

    sim.inject(Fault(status=503, times=5, **LIST))
    with deploy(sim, TIMING) as run, ThreadPoolExecutor(2) as pool:
        a = pool.submit(attempt, run.create, "a",
                        main(name="first-line", phone_number="+15551230001"))
        b = pool.submit(b_once_a_is_committed)
        outcomes = {"a": a.result(), "b": b.result()}
    sim.wait_idle(30)
    tracked = {name: trunk.id for name, (trunk, _) in outcomes.items() if trunk}
    # The fix: a create does not go ahead without the baseline (it refuses, sending
    # nothing, and says to run `pulumi up` again), so a's number is never duplicated.
    assert len(by_phone(sim, "+15551230001")) <= 1, (
        f"resource a owns {len(by_phone(sim, '+15551230001'))} connections for its number")
    assert sorted(sim.connections) == sorted(tracked.values())
    if "a" not in tracked:
        error = outcomes["a"][1]
        assert error is not None and "could not be read" in error


# =========================================================================================
# 2. A transient failure of the baseline GET silently skips the "untracked twin" check:
#    the connection an interrupted `up` left is duplicated instead of refused.
# =========================================================================================


def test_baseline_503_skips_the_twin_check_and_duplicates_an_interrupted_create(
        sim: MihuSimulator, deploy: Deploy) -> None:
    """README "After an interrupted deployment": the next create must refuse to make a
    second connection next to the orphan and point to adopt_uuid. With the baseline list
    briefly failing (503 x the retry budget), the check is skipped and a twin is made."""
    orphan = made_in_the_console(sim, password=P1)  # committed, answer never read
    with deploy(sim, TIMING) as run:
        sim.inject(Fault(status=503, times=5, **LIST))
        attempt(run.create, "main", main())
    sim.wait_idle(30)
    assert list(sim.connections) == [orphan], (
        f"{len(sim.connections)} connections for one number: the orphan was duplicated")


# =========================================================================================
# 3. Adoption of a connection that another resource of the stack already manages (it
#    created it in an earlier `up`): accepted. Removing the adopter deletes the live line.
# =========================================================================================


def test_adopting_a_connection_another_resource_created_then_removing_it_loses_the_line(
        sim: MihuSimulator, deploy: Deploy) -> None:
    with deploy(sim) as run:
        first = run.create("first", main())
    [live] = sim.connections
    # A careless copy-paste: a second resource adopts the uuid `first` manages.
    with deploy(sim) as run:
        first = run.up(first, main())
        second, _ = attempt(run.create, "second", main(adopt_uuid=live))
    # ... and is removed again (its Delete comes after the program's steps).
    with deploy(sim) as run:
        first = run.up(first, main())
        if second is not None:
            attempt(run.delete, second)
    sim.wait_idle(30)
    assert first.id in sim.connections, (
        "the stack still tracks `first`, but its connection was deleted from the account "
        f"(the adoption by `second` was {'refused' if second is None else 'accepted'})")


# =========================================================================================
# 4. adopt_uuid stays in the inputs forever and is read at every create: the second
#    replacement after an adoption "adopts" the original uuid again instead of creating.
# =========================================================================================


@pytest.mark.parametrize("world", ["with read routes", "documented only"])
def test_second_password_rotation_after_adoption(world: str, deploy: Deploy) -> None:
    with MihuSimulator(read_routes=world == "with read routes") as sim:
        console = made_in_the_console(sim, password=CONSOLE_PASSWORD)
        adopting = main(adopt_uuid=console, password=CONSOLE_PASSWORD)
        trunk = created(deploy, sim, **adopting)             # adopted, no POST
        with deploy(sim, TIMING) as run:                     # replacement 1: a POST
            rotated, error = attempt(run.up, trunk, {**adopting, "password": P2})
        sim.wait_idle(30)
        assert error is None and rotated is not None
        if console in sim.connections:                       # documented-only: left, with a
            del sim.connections[console]                     # warning to delete it: done
        with deploy(sim, TIMING) as run:                     # replacement 2
            again, error = attempt(run.up, rotated, {**adopting, "password": P3})
        sim.wait_idle(30)
        uuid = (again or rotated).id
        assert error is None, f"the second rotation fails: {error[-300:]}"
        assert uuid in sim.connections, "the state tracks a connection that does not exist"
        assert sim.connections[uuid]["password"] == P3, "the new password reached no trunk"


# =========================================================================================
# 5. Lists the guard takes as complete but are not: Laravel's simple and cursor paginators
#    (no meta.total, `links.next` / `meta.next_cursor`), and items keyed `id`.
# =========================================================================================


def _list_shape(shape: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    per_page = 2
    page, more = items[:per_page], len(items) > per_page
    base = "http://127.0.0.1/api/v1/channels/sip-trunk/connections"
    if shape == "laravel simplePaginate":
        return {"data": page,
                "links": {"first": base + "?page=1", "last": None, "prev": None,
                          "next": base + "?page=2" if more else None},
                "meta": {"current_page": 1, "from": 1, "path": base, "per_page": per_page,
                         "to": len(page)}}
    if shape == "laravel cursorPaginate":
        return {"data": page,
                "links": {"first": None, "last": None, "prev": None,
                          "next": base + "?cursor=eyJpZCI6Mn0" if more else None},
                "meta": {"path": base, "per_page": per_page,
                         "next_cursor": "eyJpZCI6Mn0" if more else None, "prev_cursor": None}}
    assert shape == "items keyed id"
    return {"success": True,
            "data": [{"id" if k == "uuid" else k: v for k, v in i.items()} for i in items]}


SHAPES = ["laravel simplePaginate", "laravel cursorPaginate", "items keyed id"]


def _shaped_routes(monkeypatch: pytest.MonkeyPatch, shape: str, *,
                   item_routes: bool = True) -> None:
    original = _Handler._route

    def route(handler: _Handler, method: str, path: str, body: Any,
              bad_json: bool) -> tuple[int, Any]:
        if path.startswith(CONNECTIONS + "/") and not item_routes:
            return 404, _error("Not found", "NOT_FOUND", "The requested resource was not found")
        status, payload = original(handler, method, path, body, bad_json)
        if method == "GET" and path == CONNECTIONS and status == 200:
            # The account's few connections (one page), oldest first as Laravel's id order.
            payload = _list_shape(shape, payload["data"]["items"][::-1])
        return status, payload

    monkeypatch.setattr(_Handler, "_route", route)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_list_the_guard_misreads_makes_an_ambiguous_create_resend(
        shape: str, sim: MihuSimulator, deploy: Deploy,
        monkeypatch: pytest.MonkeyPatch) -> None:
    made_in_the_console(sim, name="other-1", phone_number="+15550000001")
    made_in_the_console(sim, name="other-2", phone_number="+15550000002")
    _shaped_routes(monkeypatch, shape)
    with deploy(sim, TIMING) as run:
        sim.inject(Fault(action="drop_after", **POST))   # committed, answer lost
        attempt(run.create, "main", main())
    sim.wait_idle(30)
    mine = by_phone(sim, PHONE)
    assert len(mine) <= 1, f"{len(mine)} connections for one resource ({shape})"


@pytest.mark.parametrize("shape", SHAPES)
def test_delete_before_replace_goes_ahead_when_a_misread_list_says_gone(
        shape: str, sim: MihuSimulator, deploy: Deploy,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An API with a list route but no item/DELETE route (404): the DELETE's 404 is taken
    as proof that the connection is gone because the misread list lacks it; the
    replacement is created next to the old connection, which delete_before_replace is for
    avoiding. (The first create needs mihu:allowUncheckedCreates: such a list refuses
    creates.)"""
    made_in_the_console(sim, name="other-1", phone_number="+15550000001")
    made_in_the_console(sim, name="other-2", phone_number="+15550000002")
    _shaped_routes(monkeypatch, shape, item_routes=False)
    config = {**TIMING, "mihu:allowUncheckedCreates": "true"}
    trunk = created(deploy, sim, config)
    with deploy(sim, config) as run:
        attempt(run.up, trunk, main(password=P2), delete_before_replace=True)
    sim.wait_idle(30)
    mine = by_phone(sim, PHONE)
    assert len(mine) == 1, (f"{len(mine)} connections with the same number and username "
                            f"({sorted(c['password'] for c in mine)})")


# =========================================================================================
# 6. delete_before_replace: the DELETE commits, its answer is lost, the retried DELETE gets
#    404 and the list (to prove "gone") is briefly 503: the replacement is refused as if the
#    API could not delete, and the account is left with no connection at all.
# =========================================================================================


def test_delete_before_replace_with_a_lost_delete_answer_leaves_no_connection(
        sim: MihuSimulator, deploy: Deploy) -> None:
    config = {**TIMING, "mihu:allowUncheckedCreates": "true"}
    trunk = created(deploy, sim, config)
    with deploy(sim, config) as run:
        sim.inject(Fault(action="drop_after", method="DELETE"),
                   Fault(status=503, times=5, **LIST))
        replaced, error = attempt(run.up, trunk, main(password=P2),
                                  delete_before_replace=True)
    sim.wait_idle(30)
    uuid = (replaced or trunk).id
    assert uuid in sim.connections, (
        f"no connection left (account: {len(sim.connections)}); the state still points at "
        f"{uuid}; the error says: {(error or '')[:160]}")


# =========================================================================================
# 7. A 2xx whose body is not a JSON object (a proxy's page, a truncated envelope): the
#    POST was committed, but the provider raises a plain error: no settle, no adoption.
# =========================================================================================


def test_a_created_answer_that_is_not_json_is_settled_not_orphaned(
        sim: MihuSimulator, deploy: Deploy, monkeypatch: pytest.MonkeyPatch) -> None:
    original = _Handler._send
    mangled = {"left": 1}

    def send(handler: _Handler, entry: Any, status: int, payload: Any,
             headers: Any = None, trickle: float = 0.0) -> None:
        if entry.method == "POST" and status == 201 and mangled["left"]:
            mangled["left"] -= 1
            handler._send_raw(entry, 201, b"<html>Created</html>", "text/html", {})
            return
        original(handler, entry, status, payload, headers, trickle)

    monkeypatch.setattr(_Handler, "_send", send)
    with deploy(sim, TIMING) as run:
        trunk, _ = attempt(run.create, "main", main())
    sim.wait_idle(30)
    assert len(sim.connections) == 1
    assert list(sim.connections) == ([trunk.id] if trunk else []), (
        "the committed connection is in the account but not in the state")


# =========================================================================================
# 8. A forced replacement (`pulumi up --replace <urn>`, or replacement_trigger) with
#    delete_before_replace: Diff reports no change, so the ledger never learns that the
#    Delete is the first half of a replacement; where the API cannot delete, it warns and
#    goes on, and the Create makes a second connection with the same number.
#    (`pulumi up --replace`: Check without old inputs, no Diff, Delete, then Create.)
# =========================================================================================


def test_forced_replace_with_delete_before_replace_where_the_api_cannot_delete(
        bare_sim: MihuSimulator, deploy: Deploy) -> None:
    trunk = created(deploy, bare_sim)
    with deploy(bare_sim, TIMING) as run:
        replaced, error = attempt(run.forced_replace, trunk, main(),
                                  delete_before_replace=True)
    bare_sim.wait_idle(30)
    assert len(bare_sim.connections) == 1, "two trunks with the same number and credentials"
    assert replaced is None and error is not None and list(bare_sim.connections) == [trunk.id]


# =========================================================================================
# 9. Renaming a resource in code (a new URN, no alias): the create of the new name finds the
#    old connection, which the provider cannot tell from one left by an interrupted
#    deployment (the old name is not in the program, so it gets no Diff). The choice: refuse,
#    with nothing created or lost, and say to add an alias, which is Pulumi's way to rename.
# =========================================================================================


def test_renaming_a_created_resource_in_code_is_refused_with_the_alias_advice(
        sim: MihuSimulator, deploy: Deploy) -> None:
    trunk = created(deploy, sim)
    with deploy(sim, TIMING) as run:
        # The new name is a new resource; the old name's Delete would come after the
        # program's steps, which failed.
        renamed, error = attempt(run.create, "primary", main())
    sim.wait_idle(30)
    assert error is not None and "A renamed resource" in error
    assert 'README, "Refused as a duplicate"' in error
    assert renamed is None and list(sim.connections) == [trunk.id]
    # (That an alias then renames it with no request is shown with the real CLI, in
    # tests/cli/test_cli_adoption.py.)


# =========================================================================================
# 10. An API that normalises what it stores (phone number to E.164): the natural key
#     claims to be "loosely compared, so that an API that stores a reformatted value is not
#     taken to have created nothing (a resend would duplicate)", but a "+" added or dropped
#     defeats it.
# =========================================================================================


def test_an_api_that_stores_phone_numbers_in_e164_does_not_get_a_resend(
        sim: MihuSimulator, deploy: Deploy, monkeypatch: pytest.MonkeyPatch) -> None:
    original = _Handler._create

    def create(handler: _Handler, params: dict[str, str], body: Any) -> tuple[int, Any]:
        if isinstance(body, dict) and isinstance(body.get("phone_number"), str):
            digits = "".join(ch for ch in body["phone_number"] if ch.isdigit())
            body = {**body, "phone_number": "+" + digits}
        return original(handler, params, body)

    monkeypatch.setattr(_Handler, "_create", create)
    with deploy(sim, TIMING) as run:
        sim.inject(Fault(action="drop_after", **POST))
        attempt(run.create, "main", main(phone_number="1 555 123 0000"))
    sim.wait_idle(30)
    assert len(sim.connections) == 1, f"{len(sim.connections)} connections for one resource"


# =========================================================================================
# 11. A SIP password echoed back in a non-JSON error body, escaped as JSON escapes it
#     (the client sends the body with json.dumps, so a non-ASCII password travels as
#     \u00e4...): redaction looks for the raw value only, and the error shows the rest.
# =========================================================================================


def test_a_password_echoed_json_escaped_in_an_html_error_is_not_shown(
        sim: MihuSimulator, deploy: Deploy) -> None:
    password = "P\u00e4sswort-Geheim-7781"
    escaped = "P\\u00e4sswort-Geheim-7781"  # as it travelled in the request body
    with deploy(sim, TIMING) as run:
        sim.inject(Fault(action="non_json", status=400, body=(
            '<html><body>Request rejected by firewall: {"username": "' + SIP_USERNAME
            + '", "password": "' + escaped + '"}</body></html>'), **POST))
        _, error = attempt(run.create, "main", main(password=password))
    sim.wait_idle(30)
    assert error is not None
    assert "sswort-Geheim-7781" not in error, error[error.find("Request rejected"):][:200]
