"""The create guard's decisions, one at a time: the create protocol against the simulator
with a clock that moves only when the guard sleeps (so a settle time costs no real time),
and the ledger's adopt and delete decisions through the provider's methods.

Each test states a promise of ``docs/fault-model.md`` and judges it by the account (how
many connections, which one a create returned) or by the decision taken (adopt, resend,
refuse, delete). Written to kill the mutants that the other guard tests let survive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import SecretStr

from pulumi_mihu import MihuError, MihuSettings
from pulumi_mihu import client as client_module
from pulumi_mihu._create_protocol import CreateProtocol, CreateRequest
from pulumi_mihu._ledger import DeleteKind, DeploymentLedger, fingerprint, state_hash
from pulumi_mihu._sip_trunk_connection_provider import CREATES
from pulumi_mihu.client import MihuClient, operation_deadline
from pulumi_mihu.errors import (
    MihuBadResponseError,
    MihuCreateOutcomeUnknownError,
    MihuCreateRefusedError,
    MihuServerError,
)
from pulumi_mihu.sip_trunk_connection import MANAGED_INPUTS
from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.simulator import CONNECTIONS
from support import FakeClock, provider_for, settings_for, trunk_inputs

OTHER_PHONE = "+15557770000"


def on_post(**fault: Any) -> Fault:
    """A fault of the create (POST to the collection)."""
    return Fault(method="POST", exact=True, path_prefix=CONNECTIONS, **fault)


def on_list(**fault: Any) -> Fault:
    """A fault of the list (GET of the collection)."""
    return Fault(method="GET", exact=True, path_prefix=CONNECTIONS, **fault)


class RecordingClient(MihuClient):
    """The real client on fake time, noting each pause between two POSTs of one create."""

    def __init__(self, settings: MihuSettings, time: FakeClock) -> None:
        super().__init__(settings, sleep=time.sleep, clock=time.clock)
        self.pauses: list[int] = []

    def pause(self, attempt: int) -> None:
        self.pauses.append(attempt)
        super().pause(attempt)


@pytest.fixture
def time() -> FakeClock:
    return FakeClock(now=0.0)


@pytest.fixture
def clients() -> Iterator[list[MihuClient]]:
    """Clients made by a test, closed at its end."""
    made: list[MihuClient] = []
    yield made
    for client in made:
        client.close()


def client_for(server: MihuSimulator, time: FakeClock, made: list[MihuClient],
               **overrides: Any) -> RecordingClient:
    """A client whose settle time is 0.25 s of fake time, watched with a first backoff (0.5
    to 1 s) longer than that: the list is read at the start and once at the deadline."""
    values: dict[str, Any] = {"create_settle_time": 0.25, "retry_base_delay": 1.0,
                              "max_attempts": 3}
    values.update(overrides)
    client = RecordingClient(settings_for(server, **values), time)
    made.append(client)
    return client


def read_data(body: Any) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data.get("uuid"):
        raise MihuBadResponseError("the answer has no data.uuid")
    return data


def request_for(**overrides: Any) -> CreateRequest:
    inputs = trunk_inputs(**overrides)
    return CreateRequest(
        payload=inputs, secrets=[inputs["username"], inputs["password"]],
        describe=f"SIP trunk connection {inputs['name']!r} for phone number "
                 f"{inputs['phone_number']!r}",
        read_answer=read_data)


def fresh() -> CreateProtocol:
    """The trunk's create protocol as a new provider process has it: no baseline yet, an
    empty ledger."""
    return CreateProtocol(CREATES, DeploymentLedger(MANAGED_INPUTS, adopt_key="adopt_uuid"))


def create(client: MihuClient, guard: CreateProtocol, **overrides: Any) -> dict[str, Any]:
    warnings: list[str] = []
    return guard.create(client, request_for(**overrides), warnings.append)


def commit(server: MihuSimulator, **overrides: Any) -> str:
    """The server stores a connection now, as a create it received earlier would (or as
    someone else's create, in the console or another stack). Its uuid."""
    inputs = trunk_inputs(**overrides)
    uuid = f"0c0c0c0c-0000-4000-8000-{len(server.connections):012d}"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with server.state.lock:
        server.connections[uuid] = {
            "uuid": uuid, **inputs, "secondary_gateway": None, "status": "active",
            "created_at": now, "updated_at": now}
    return uuid


def by_phone(server: MihuSimulator, phone: str = "+15551230000") -> list[str]:
    return [uuid for uuid, c in server.connections.items() if c["phone_number"] == phone]


# -- settle: how long, and what it may adopt -----------------------------------------------


def test_a_create_the_server_commits_while_the_guard_waits_is_adopted_not_resent(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """A 503 whose server commits a moment later (fault model: "read timeout; the server
    commits seconds later"): the first look at the list finds nothing, and the guard must
    keep looking for the whole settle time rather than resend, which would duplicate."""
    client = client_for(sim, time, clients)
    sim.inject(on_post(status=503))
    time.on_sleep.append(lambda: commit(sim))
    created = create(client, fresh())
    assert by_phone(sim) == [created["uuid"]]
    assert len(sim.requests_to("POST")) == 1 and client.pauses == []


def test_settle_reads_the_list_until_the_deadline_and_no_longer(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """Nothing committed: the list is read at once and at the deadline (the settle time,
    to the tick), then the create gives up; it neither stops early nor spins at the
    deadline (with a clock that has not moved past it, that would never end)."""
    client = client_for(sim, time, clients, max_attempts=1)
    sim.inject(on_post(status=503))
    with pytest.raises(MihuError, match="failed 1 times") as info:
        create(client, fresh())
    assert not isinstance(info.value, (MihuCreateOutcomeUnknownError, MihuCreateRefusedError))
    assert sim.connections == {}
    assert [r.method for r in sim.requests] == ["GET", "POST", "GET", "GET"]
    assert time.slept == 0.25


def test_a_settle_cut_short_by_custom_timeouts_is_an_unknown_outcome_never_a_resend(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """customTimeouts leave at most 5 s of a 30 s settle time: "not listed yet" after 5 s
    proves nothing, so the create stops with nothing resent. The server commits the first
    POST during the pause a resend would take: resending would make a second connection.
    Decided on the client's own clock, not by whether the operation's clock has run out."""
    overshoot(time)
    client = client_for(sim, time, clients, max_attempts=3, create_settle_time=30.0)
    sim.inject(on_post(status=503))
    pause = client.pause

    def commit_then_pause(attempt: int) -> None:
        commit(sim)
        pause(attempt)

    monkeypatch.setattr(client, "pause", commit_then_pause)
    # 5 s left, frozen: the operation's clock never runs out here, so only the settle's
    # own decision stands between the create and a resend.
    monkeypatch.setattr(client_module, "operation_remaining", lambda: 5.0)
    with pytest.raises(MihuCreateOutcomeUnknownError) as info:
        create(client, fresh())
    assert "customTimeouts" in str(info.value) and "not sent again" in str(info.value)
    assert len(sim.requests_to("POST")) == 1 and client.pauses == []
    commit(sim)  # the slow commit lands after the error: one connection, never two
    assert len(by_phone(sim)) == 1
    # The settle began at 0 (nothing else sleeps): it ended at the first look past 5 s.
    assert 5.0 <= time.now <= 5.01 + 1e-9, "watched for all that was left, no longer"


def overshoot(time: FakeClock) -> None:
    """Each sleep lasts 10 ms longer than asked, as a real one may: a deadline is passed,
    not met to the tick."""
    sleep = time.sleep

    def longer(seconds: float) -> None:
        sleep(seconds)
        time.now += 0.01

    time.sleep = longer  # type: ignore[method-assign]


def test_a_custom_timeout_cannot_cut_a_settle_time_of_zero_short(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With mihu:createSettleTime 0 the user asked for no wait; a customTimeouts (whose
    bound never goes below 1 ms) takes nothing from it: the create is sent again."""
    client = client_for(sim, time, clients, max_attempts=2, create_settle_time=0.0)
    sim.inject(on_post(status=503))
    monkeypatch.setattr(client_module, "operation_remaining", lambda: 5.0)
    created = create(client, fresh())
    assert by_phone(sim) == [created["uuid"]] and len(sim.requests_to("POST")) == 2


def test_a_settle_the_custom_timeout_leaves_whole_still_ends_in_a_resend(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """A customTimeouts longer than the settle time changes nothing: the whole wait ran,
    nothing appeared, and the create is sent again."""
    client = client_for(sim, time, clients, max_attempts=2)
    sim.inject(on_post(status=503))
    with operation_deadline(60.0):
        created = create(client, fresh())
    assert by_phone(sim) == [created["uuid"]]
    assert len(sim.requests_to("POST")) == 2 and client.pauses == [1]


def test_a_create_is_sent_at_most_max_attempts_times_with_a_pause_between_and_none_after(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """Ambiguous failures that created nothing are resent up to mihu:maxAttempts POSTs in
    all, backing off between two of them (spreading the host's threads apart), and the
    failure is reported without a last, useless wait."""
    client = client_for(sim, time, clients, max_attempts=3)
    sim.inject(on_post(status=503, times=3))
    with pytest.raises(MihuError, match="failed 3 times"):
        create(client, fresh())
    assert sim.connections == {}
    assert len(sim.requests_to("POST")) == 3
    assert client.pauses == [1, 2]


class DownApiClient(RecordingClient):
    """An API, in memory, whose every POST answers 503 without committing and whose list
    stays empty: hundreds of attempts in no time."""

    def __init__(self, settings: MihuSettings, time: FakeClock) -> None:
        super().__init__(settings, time)
        self.posts = 0

    def request(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
                secrets: Iterable[str] = (), idempotent: bool | None = None,
                credentials_unknown: bool = False) -> dict[str, Any] | None:
        if method == "POST":
            self.posts += 1
            raise MihuServerError(method=method, path=path, status=503,
                                  message="Service unavailable")
        return {"success": True, "data": []}


def test_many_attempts_end_without_a_wait_after_the_last(
        time: FakeClock, clients: list[MihuClient]) -> None:
    """The same with a large mihu:maxAttempts (300, beyond the small ints CPython shares,
    so that an identity test cannot pass for the comparison): no pause after the last."""
    settings = MihuSettings(api_token=SecretStr("t"), base_url="http://127.0.0.1:9",
                            max_attempts=300, create_settle_time=0.25, retry_base_delay=1.0)
    client = DownApiClient(settings, time)
    clients.append(client)
    with pytest.raises(MihuError, match="failed 300 times"):
        create(client, fresh())
    assert client.posts == 300
    assert client.pauses == list(range(1, 300))


def test_a_connection_made_meanwhile_with_another_number_is_never_adopted(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """Settle adopts only a connection with this create's natural key: another new one
    (someone else's, made after the baseline) is not ours, whatever else it is."""
    client, guard = client_for(sim, time, clients), fresh()
    guard.baseline.take(client)
    theirs = commit(sim, name="their-line", phone_number=OTHER_PHONE)
    sim.inject(on_post(status=503))
    created = create(client, guard)
    assert created["uuid"] != theirs
    assert by_phone(sim) == [created["uuid"]] and by_phone(sim, OTHER_PHONE) == [theirs]
    assert len(sim.requests_to("POST")) == 2


def test_a_connection_this_process_created_is_not_adopted_by_an_identical_create(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """Two resources of one program with the same name, number and gateways: the second
    one's ambiguous create must not take the first one's connection (created, so not in the
    baseline), or both resources would track one line."""
    client, guard = client_for(sim, time, clients), fresh()
    first = create(client, guard)
    sim.inject(on_post(status=503))
    second = create(client, guard)
    assert second["uuid"] != first["uuid"]
    assert sorted(by_phone(sim)) == sorted([first["uuid"], second["uuid"]])


def test_a_list_that_cannot_be_read_while_settling_is_an_unknown_outcome(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """The POST committed but its answer was lost, and the list then fails (dropped): the
    outcome cannot be told, so the create fails as "outcome unknown", saying what to check,
    and is not sent again (the committed connection stays the only one)."""
    client, guard = client_for(sim, time, clients, max_attempts=2), fresh()
    guard.baseline.take(client)
    sim.inject(on_post(action="drop_after"), on_list(action="drop_before", times=2))
    with pytest.raises(MihuCreateOutcomeUnknownError) as info:
        create(client, guard)
    assert "'+15551230000'" in str(info.value) and "not sent again" in str(info.value)
    assert len(by_phone(sim)) == 1 and len(sim.requests_to("POST")) == 1


def test_without_a_baseline_a_match_is_not_adopted_and_the_error_names_the_older_one(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """The list was missing when the baseline was due (404), and works after an ambiguous
    create: the connection it shows may be ours or may have existed, so nothing is
    adopted or resent, and the error names every listed match (here, the one made in
    the console before, and the new one) for the user to look at."""
    client, guard = client_for(sim, time, clients), fresh()
    older = commit(sim)
    sim.inject(on_list(status=404))
    assert guard.baseline.take(client) is None
    sim.inject(on_post(action="drop_after"))
    with pytest.raises(MihuCreateOutcomeUnknownError, match="existed already") as info:
        create(client, guard)
    assert all(uuid in str(info.value) for uuid in sim.connections)
    assert older in sim.connections and len(by_phone(sim)) == 2
    assert len(sim.requests_to("POST")) == 1


def test_without_a_list_route_the_baseline_costs_one_request_per_process(
        bare_sim: MihuSimulator) -> None:
    """In the documented-only world the list answers 404: asked once by a provider process
    (fault model, "Cost"), not before each of its creates."""
    provider = provider_for(bare_sim)
    provider.create(trunk_inputs())
    provider.create(trunk_inputs(name="second-line", phone_number=OTHER_PHONE))
    assert [r.method for r in bare_sim.requests] == ["GET", "POST", "POST"]
    assert len(bare_sim.connections) == 2


# -- adoption decisions --------------------------------------------------------------------


def existing(server: MihuSimulator, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """A connection the stack created in an earlier deployment: its id and outputs."""
    result = provider_for(server).create(trunk_inputs(**overrides))
    assert result.outs is not None
    server.state.requests.clear()
    return result.id, result.outs


@pytest.mark.parametrize("kept_adopts", [None, "ffffffff-ffff-4fff-bfff-ffffffffffff"])
def test_a_new_resource_adopts_even_when_other_kept_resources_adopted_theirs(
        sim: MihuSimulator, kept_adopts: str | None) -> None:
    """Adoption is skipped only by a replacement (a resource diffed with that very
    adopt_uuid), not by the other resources the program keeps, adopting or not."""
    kept_id, kept_outs = existing(sim, name="kept-line", phone_number=OTHER_PHONE)
    target, _ = existing(sim)  # made in the console: the new resource adopts it
    provider = provider_for(sim)
    adopts = {"adopt_uuid": kept_adopts} if kept_adopts else {}
    provider.diff(kept_id, {**kept_outs, **adopts},
                  {**trunk_inputs(name="kept-line", phone_number=OTHER_PHONE), **adopts})
    result = provider.create(trunk_inputs(adopt_uuid=target))
    assert result.id == target
    assert sim.writes() == [] and len(sim.connections) == 2


def test_a_connection_another_resource_of_the_stack_has_cannot_be_adopted(
        sim: MihuSimulator) -> None:
    """A resource the program keeps (diffed) has this connection: a second resource
    adopting it is refused, else removing either one later would delete the other's line."""
    kept_id, kept_outs = existing(sim)
    provider = provider_for(sim)
    provider.diff(kept_id, kept_outs, trunk_inputs())
    with pytest.raises(MihuError, match="already managed by another resource"):
        provider.create(trunk_inputs(adopt_uuid=kept_id))
    assert sim.writes() == [] and list(sim.connections) == [kept_id]


# -- delete decisions (where the API cannot delete, the decision is what the user sees) -----


def name_hashing(relation: str, than: str) -> str:
    """A connection name whose fingerprint is below (or above) that of ``than``: the ledger
    keeps hashes, so a create is tried on both sides of the one it must not be taken for."""
    wanted = fingerprint({"name": than}, ("name",))["name"]
    for n in range(100):
        name = f"other-line-{n}"
        mine = fingerprint({"name": name}, ("name",))["name"]
        if (mine < wanted) if relation == "below" else (mine > wanted):
            return name
    raise AssertionError("no such name")


@pytest.mark.parametrize("relation", ["below", "above"])
def test_another_resource_created_before_a_delete_before_replace_does_not_count_as_its_replacement(
        bare_sim: MihuSimulator, relation: str) -> None:
    """delete_before_replace where the API cannot delete: the delete comes first and must
    refuse, before the replacement is created next to the old connection. A create of some
    other resource in between is not the replacement and must not turn that refusal into
    the warning of a create-before-delete."""
    old_id, old_outs = existing(bare_sim)
    provider = provider_for(bare_sim, create_settle_time=0.2)
    new_inputs = trunk_inputs(password="Rotated-Passw0rd-1")
    provider.diff(old_id, old_outs, new_inputs)
    # Differs from the replacement by its name only (another line on the same number).
    provider.create({**new_inputs, "name": name_hashing(relation, than="main-line")})
    with pytest.raises(MihuError, match="Nothing was created"):
        provider.delete(old_id, old_outs)
    assert old_id in bare_sim.connections and len(bare_sim.connections) == 2


def test_a_resource_removed_from_the_program_is_a_removal_even_with_an_identical_twin_kept(
        bare_sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    """Two resources with identical inputs; one is removed from the program. The other's
    Check is matched by its Diff, so the Delete is a removal: where the API cannot delete it
    warns and goes on (never blocks the `up`), rather than refusing like the first half of
    a delete_before_replace."""
    kept_id, kept_outs = existing(bare_sim)
    removed_id, removed_outs = existing(bare_sim)
    provider = provider_for(bare_sim, create_settle_time=0.2)
    provider.check(trunk_inputs(), trunk_inputs())
    provider.diff(kept_id, kept_outs, trunk_inputs())
    provider.delete(removed_id, removed_outs)
    assert "NOT deleted" in capsys.readouterr().err
    assert set(bare_sim.connections) == {kept_id, removed_id}


def test_a_resource_removed_while_another_is_added_is_a_removal(
        bare_sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    """A new resource (checked without old inputs) and a removed one with other inputs:
    the Delete is not a forced replacement's, so it warns and goes on."""
    removed_id, removed_outs = existing(bare_sim)
    provider = provider_for(bare_sim, create_settle_time=0.2)
    provider.check({}, trunk_inputs(name="new-line", phone_number=OTHER_PHONE))
    provider.delete(removed_id, removed_outs)
    assert "NOT deleted" in capsys.readouterr().err
    assert list(bare_sim.connections) == [removed_id]


def test_a_forced_replacement_checked_with_old_inputs_is_not_undone_by_another_diff(
        bare_sim: MihuSimulator) -> None:
    """`pulumi up --replace` with delete_before_replace, from an engine that passes the old
    inputs to the target's Check (and calls no Diff for it): its Delete is the first half of
    a replacement and is refused where the API cannot delete, before anything is created.
    A Diff of another resource of the program (other old inputs) must not change that."""
    forced_id, forced_outs = existing(bare_sim)
    other_id, other_outs = existing(bare_sim, name="other-line", phone_number=OTHER_PHONE)
    provider = provider_for(bare_sim, create_settle_time=0.2)
    provider.check(trunk_inputs(), trunk_inputs())
    other_inputs = trunk_inputs(name="other-line", phone_number=OTHER_PHONE)
    provider.check(other_inputs, other_inputs)
    provider.diff(other_id, other_outs, other_inputs)
    with pytest.raises(MihuError, match="Nothing was created"):
        provider.delete(forced_id, forced_outs)
    assert len(bare_sim.connections) == 2


def test_a_delete_of_an_id_another_kept_resource_has_is_not_sent() -> None:
    """Two state entries with one id (an adopter beside the resource that made the
    connection), the maker removed from the program: its Delete must not delete the line
    the adopter keeps, whichever way the two states' hashes sort. The ledger tells them
    apart by their outputs, never by the ``__`` keys they share (``__provider``)."""
    uuid = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    keys = ("name", "phone_number")
    adopter = {**trunk_inputs(name="adopter"), "__provider": "same"}
    for relation in ("below", "above"):
        maker = {**trunk_inputs(name=state_named(relation, than=adopter)),
                 "__provider": "same"}
        ledger = DeploymentLedger(keys)
        ledger.note_diff(uuid, adopter, trunk_inputs(name="adopter"))
        assert ledger.delete_kind(uuid, maker) is DeleteKind.KEPT, relation
        assert ledger.delete_kind(uuid, adopter) is not DeleteKind.KEPT, "its own delete is real"


def state_named(relation: str, than: Mapping[str, Any]) -> str:
    """A name giving a state whose hash sorts below (or above) that of ``than``."""
    wanted = state_hash(than)
    for n in range(100):
        name = f"maker-{n}"
        mine = state_hash({**than, "name": name})
        if (mine < wanted) if relation == "below" else (mine > wanted):
            return name
    raise AssertionError("no such name")


@pytest.mark.parametrize("other", [
    {"phone_number": "+15550000000"}, {"phone_number": "+15559999999"},
    {"name": "a-line"}, {"name": "z-line"},
])
def test_only_a_connection_with_the_same_natural_key_is_a_twin(
        sim: MihuSimulator, other: dict[str, str]) -> None:
    """A connection that differs in name or number, sorting before or after ours, is not a
    twin: it neither stops the create nor is adopted by it."""
    theirs = commit(sim, **other)
    result = provider_for(sim, create_settle_time=0.2).create(trunk_inputs())
    assert result.id != theirs and set(sim.connections) == {theirs, result.id}
    assert len(sim.requests_to("POST")) == 1


@pytest.mark.parametrize("other", [{"phone_number": "+15550000000"}, {"name": "a-line"}])
def test_a_connection_made_meanwhile_that_sorts_before_ours_is_not_adopted(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient],
        other: dict[str, str]) -> None:
    client, guard = client_for(sim, time, clients), fresh()
    guard.baseline.take(client)
    theirs = commit(sim, **other)
    sim.inject(on_post(status=503))
    created = create(client, guard)
    assert created["uuid"] != theirs and len(sim.connections) == 2


def test_what_the_account_had_before_or_the_stack_has_is_never_the_create_being_settled(
        ) -> None:
    guard = fresh()
    guard.ledger.note_claimed("claimed")
    guard.ledger.note_diff("diffed", {}, {})
    assert guard.is_foreign("claimed", None) and guard.is_foreign("diffed", None)
    assert guard.is_foreign("before", {"before": ("k",)})
    assert guard.is_foreign("diffed", {"before": ("k",)})
    assert not guard.is_foreign("new", {"before": ("k",)})


def test_the_list_is_watched_with_growing_pauses(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """While a create settles, the list is read again after backoff(1), backoff(2), ...:
    not a fixed beat that would hammer an API already failing."""
    import random

    # The client draws its jitter from the random module: the high end, a full step.
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    client = client_for(sim, time, clients, create_settle_time=10.0, retry_base_delay=1.0,
                        max_attempts=1)
    sleeps: list[float] = []
    time_sleep = time.sleep

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time_sleep(seconds)

    client._sleep = sleep
    sim.inject(on_post(status=503))
    with pytest.raises(MihuError, match="failed 1 times"):
        create(client, fresh())
    assert sleeps == [1.0, 2.0, 4.0, 3.0], "1, 2, 4, then what is left of the 10 s"


def test_the_delete_of_a_removed_maker_leaves_the_adopters_connection_in_the_account(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    """The same through the provider, against an API that can delete: no DELETE is sent,
    the connection the adopter keeps is still there, and the user is told why."""
    uuid, maker_outs = existing(sim)
    adopter_outs = {**maker_outs, "adopt_uuid": uuid}
    provider = provider_for(sim)
    provider.diff(uuid, adopter_outs, {**trunk_inputs(), "adopt_uuid": uuid})
    provider.delete(uuid, maker_outs)
    assert sim.requests_to("DELETE") == [] and uuid in sim.connections
    assert "is not deleted: another resource of this stack has it" in capsys.readouterr().err


# -- lists that cannot be read whole, and no list at all ---------------------------------------

CURSOR_LIST = '{"success": true, "data": [], "next_cursor": "c2"}'


def test_a_list_that_cannot_be_read_whole_refuses_the_create_with_nothing_sent(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    client, guard = client_for(sim, time, clients), fresh()
    sim.inject(on_list(status=200, body=CURSOR_LIST, times=10))
    with pytest.raises(MihuCreateRefusedError) as info:
        create(client, guard)
    message = str(info.value)
    assert message.startswith("Not creating the SIP trunk connection 'main-line' for phone "
                              "number '+15551230000': the list at /api/v1/channels/sip-trunk/"
                              "connections cannot be read whole (page 1): the list pages by "
                              "a cursor with no link to the next page, and the check against "
                              "duplicates needs all of it. Nothing was sent")
    assert "`pulumi config set mihu:allowUncheckedCreates true`" in message
    assert sim.requests_to("POST") == [] and sim.connections == {}
    assert guard.baseline.taken is None and not guard.baseline.unavailable, (
        "asked again next time")


def test_with_the_opt_out_every_unchecked_create_goes_ahead_and_says_so(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    client = client_for(sim, time, clients, allow_unchecked_creates=True)
    guard = fresh()
    sim.inject(on_list(status=200, body=CURSOR_LIST, times=10))
    warnings: list[str] = []
    guard.create(client, request_for(), warnings.append)
    guard.create(client, request_for(name="b", phone_number=OTHER_PHONE),
                warnings.append)
    assert len(sim.connections) == 2
    assert [w.split(" is created")[0] for w in warnings] == [
        "The SIP trunk connection 'main-line' for phone number '+15551230000'",
        "The SIP trunk connection 'b' for phone number '+15557770000'"]
    assert all("WITHOUT the duplicate check (the list at" in w
               and w.endswith("; mihu:allowUncheckedCreates is true).") for w in warnings)


def test_the_opt_out_does_not_cover_a_list_that_fails_for_now(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    client = client_for(sim, time, clients, allow_unchecked_creates=True, max_attempts=1)
    sim.inject(on_list(status=503))
    with pytest.raises(MihuCreateRefusedError, match=r"could not be read .*run `pulumi up` again"):
        create(client, fresh())
    assert sim.requests_to("POST") == []


def test_without_a_list_route_the_first_create_of_a_process_says_so_once(
        bare_sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    client, guard = client_for(bare_sim, time, clients), fresh()
    warnings: list[str] = []
    guard.create(client, request_for(), warnings.append)
    guard.create(client, request_for(name="b", phone_number=OTHER_PHONE),
                warnings.append)
    assert warnings == [
        "This Mihu API has no list of SIP trunk connections, so a connection left in the "
        "account by an interrupted deployment cannot be detected: a create goes ahead "
        "without the duplicate check. After an interrupted `pulumi up`, look in the Mihu "
        "console first (README: \"After an interrupted deployment\")."]
    assert len(bare_sim.connections) == 2


def test_a_twin_on_a_later_page_is_refused_naming_it_in_a_few_lines(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    twin = commit(sim)
    sim.add_connections(40)
    client, guard = client_for(sim, time, clients), fresh()
    with pytest.raises(MihuCreateRefusedError) as info:
        create(client, guard)
    assert str(info.value).splitlines() == [
        "Not creating the SIP trunk connection 'main-line' for phone number '+15551230000': "
        "the account already has one with the same name, phone number and gateways that "
        f"this stack does not manage ({twin}); a second would mis-route calls.",
        "Most likely an interrupted `pulumi up` left it. If no other stack manages it "
        f"(`pulumi stack export --stack <other> | grep {twin}` finds nothing), set "
        f"adopt_uuid=\"{twin}\" on this resource and run `pulumi up` again.",
        "A renamed resource, `pulumi up --replace`, or a connection made by hand: README, "
        "\"Refused as a duplicate\"."]
    assert sim.requests_to("POST") == []


def test_a_list_that_cannot_be_read_whole_is_read_once_per_process(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    """Walking it again for each create would cost as much again (up to 2,000 pages), to
    the same end."""
    client = client_for(sim, time, clients, allow_unchecked_creates=True)
    guard = fresh()
    sim.inject(on_list(status=200, body=CURSOR_LIST, times=10))
    create(client, guard)
    create(client, guard, name="b", phone_number=OTHER_PHONE)
    assert [r.method for r in sim.requests] == ["GET", "POST", "POST"]


def test_without_a_list_route_even_a_single_create_says_so(
        bare_sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    warnings: list[str] = []
    fresh().create(client_for(bare_sim, time, clients), request_for(), warnings.append)
    assert len(warnings) == 1 and "has no list of SIP trunk connections" in warnings[0]


def test_with_two_twins_the_advice_names_the_first_in_both_places(
        sim: MihuSimulator, time: FakeClock, clients: list[MihuClient]) -> None:
    first, second = sorted([commit(sim), commit(sim)])
    with pytest.raises(MihuCreateRefusedError) as info:
        create(client_for(sim, time, clients), fresh())
    lines = str(info.value).splitlines()
    assert f"({first}, {second})" in lines[0]
    assert f"grep {first}`" in lines[1] and f'adopt_uuid="{first}"' in lines[1]


def test_the_create_spec_is_immutable() -> None:
    """One spec per resource type serves every create of the host's worker threads: none
    may change it for the others."""
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        CREATES.collection = "/elsewhere"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CREATES.words.thing = "trunk"  # type: ignore[misc]
