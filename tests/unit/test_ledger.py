"""The deployment ledger (``pulumi_mihu/_ledger.py``) on its own: each row of its engine
table as notes and the answer the queries give, that queries change nothing, and that
no engine call waits for the create protocol's baseline while its list is being read.

The rows' engine call patterns are pinned by the tests the table names (most through the
real CLI); here they are the ledger's contract, fast, for whoever changes it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_mihu._ledger import CreateKind, DeleteKind, DeploymentLedger
from pulumi_mihu.testing import MihuSimulator
from support import provider_for, trunk_inputs

KEYS = ("name", "password")
U = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def ledger() -> DeploymentLedger:
    return DeploymentLedger(KEYS, adopt_key="adopt_uuid")


def inputs(name: str = "main", password: str = "p1", **more: Any) -> dict[str, Any]:
    return {"name": name, "password": password, **more}


def outputs(uuid: str, **given: Any) -> dict[str, Any]:
    """A resource's old outputs (what Diff's olds and Delete's props are)."""
    return {**inputs(**given), "uuid": uuid, "status": "active", "__provider": "same"}


# -- the rows ------------------------------------------------------------------------------


def row_1(book: DeploymentLedger) -> Any:
    book.note_check(inputs(), inputs())
    book.note_diff("a", outputs("a"), inputs())
    return book.holds("a"), book.holds("b")


def row_2(book: DeploymentLedger) -> Any:
    book.note_diff("a", outputs("a", adopt_uuid=U), inputs(password="p2", adopt_uuid=U))
    return book.create_kind(inputs(password="p2", adopt_uuid=U))


def row_3(book: DeploymentLedger) -> Any:
    book.note_diff("a", outputs("a"), inputs(password="p2"))
    return book.delete_kind("a", outputs("a"))


def row_4(book: DeploymentLedger) -> Any:
    book.note_diff("a", outputs("a"), inputs(password="p2"))
    book.note_create(inputs(password="p2"))
    return book.delete_kind("a", outputs("a"))


def row_5(book: DeploymentLedger) -> Any:
    book.note_diff("a", outputs("a", name="adopter", adopt_uuid="a"),
                   inputs(name="adopter", adopt_uuid="a"))
    return book.delete_kind("a", outputs("a", name="maker"))


def row_5b(book: DeploymentLedger) -> Any:
    """Two state entries of id ``a`` with identical states: the kept one's Diff found no
    change (noted for good, whatever a later Diff of the id finds), so the Delete, though
    its props hash like that Diff's olds, is the other entry's."""
    book.note_diff("a", outputs("a"), inputs(), unchanged=True)
    book.note_diff("a", outputs("a"), inputs(password="p2"))
    return book.delete_kind("a", outputs("a"))


def row_6(book: DeploymentLedger) -> Any:
    book.note_claimed("a")
    return book.delete_kind("a", outputs("a"))


def row_7(book: DeploymentLedger) -> Any:
    book.note_check({}, inputs())
    first = book.delete_kind("a", outputs("a"))
    book.note_create(inputs())
    return first, book.delete_kind("a", outputs("a"))


def row_8(book: DeploymentLedger) -> Any:
    book.note_check({}, inputs(adopt_uuid=U))
    asked = book.delete_kind("a", outputs("a", adopt_uuid=U))
    before = book.create_kind(inputs(adopt_uuid=U))
    book.note_delete("a", outputs("a", adopt_uuid=U))
    return asked, before, book.create_kind(inputs(adopt_uuid=U))


def row_9(book: DeploymentLedger) -> Any:
    book.note_check(inputs(), inputs())
    book.note_diff("kept", outputs("kept"), inputs())
    return book.delete_kind("removed", outputs("removed"))


def row_10(book: DeploymentLedger) -> Any:
    book.note_check({}, inputs(name="added"))
    return book.delete_kind("a", outputs("a"))


ROWS: dict[str, tuple[Callable[[DeploymentLedger], Any], Any]] = {
    "1 a diffed id is the program's": (row_1, (True, False)),
    "2 a diffed adopter's replacement posts": (row_2, CreateKind.POST),
    "3 delete-before-replace, old half": (row_3, DeleteKind.REPLACED_FIRST),
    "4 create-before-delete, old half": (row_4, DeleteKind.REPLACED_AFTER),
    "5 another state entry with the id": (row_5, DeleteKind.KEPT),
    "5b an id whose Diff found no change": (row_5b, DeleteKind.KEPT),
    "6 an id a create of this deployment holds": (row_6, DeleteKind.KEPT),
    "7 --replace, before and after its create": (
        row_7, (DeleteKind.REPLACED_FIRST, DeleteKind.REPLACED_AFTER)),
    "8 --replace of an adopter: noted by the Delete, not by the query": (
        row_8, (DeleteKind.REPLACED_FIRST, CreateKind.ADOPT, CreateKind.POST)),
    "9 a diffed Check is no forced replacement": (row_9, DeleteKind.REMOVAL),
    "10 anything else": (row_10, DeleteKind.REMOVAL),
}


@pytest.mark.parametrize("row", ROWS)
def test_each_row_of_the_engine_table(row: str) -> None:
    scenario, expected = ROWS[row]
    assert scenario(ledger()) == expected


def test_a_new_adopter_adopts_and_a_resource_without_adopt_uuid_posts() -> None:
    book = ledger()
    book.note_check({}, inputs(adopt_uuid=U))
    assert book.create_kind(inputs(adopt_uuid=U)) is CreateKind.ADOPT
    assert book.create_kind(inputs()) is CreateKind.POST
    assert DeploymentLedger(KEYS).create_kind(inputs(adopt_uuid=U)) is CreateKind.POST


def test_queries_change_nothing() -> None:
    """Every query, asked in every state the rows reach, leaves the ledger as it was: what
    a call changes is noted by the provider, explicitly."""
    for scenario, _ in ROWS.values():
        book = ledger()
        scenario(book)
        before = copy.deepcopy((book._seen, book._claimed))
        for id_ in ("a", "b", "kept", "removed"):
            for given in ({}, {"adopt_uuid": U}, {"name": "maker"}, {"password": "p2"}):
                book.delete_kind(id_, outputs(id_, **given))
                book.create_kind(inputs(**given))
            book.holds(id_)
        assert (book._seen, book._claimed) == before, scenario.__name__


def test_one_record_per_resource_seen_and_a_second_diff_overwrites_the_first() -> None:
    book = ledger()
    book.note_check(inputs(), inputs())
    book.note_check({}, inputs(name="new"))
    book.note_diff("a", outputs("a"), inputs(password="p2"))
    book.note_create(inputs(password="p2"))
    book.note_diff("a", outputs("a", password="p2"), inputs(password="p3"))
    assert [(seen.id, seen.replacement_created) for seen in book._seen] == [
        ("a", False), (None, False)]
    assert book.delete_kind("a", outputs("a", password="p2")) is DeleteKind.REPLACED_FIRST


def test_an_adoption_claim_is_taken_once_and_given_back_when_it_fails() -> None:
    book = ledger()
    book.note_diff("kept", outputs("kept"), inputs())
    assert not book.try_claim("kept"), "a diffed resource has it"
    assert book.try_claim(U) and not book.try_claim(U)
    book.note_unclaimed(U)
    assert not book.holds(U) and book.try_claim(U)


# -- locks ---------------------------------------------------------------------------------


def test_engine_calls_do_not_wait_for_a_baseline_being_read(sim: MihuSimulator) -> None:
    """The first create's baseline GET is held by the server. Meanwhile the other worker
    threads of the provider host go on: a Check, a Diff and a Delete (of another resource)
    return at once, and only a second create waits, for that one GET (never a second)."""
    kept = provider_for(sim).create(trunk_inputs(name="kept", phone_number="+15550000001"))
    removed = provider_for(sim).create(trunk_inputs(name="gone", phone_number="+15550000002"))
    sim.state.requests.clear()
    listing, gate = threading.Event(), threading.Event()

    def hold(page: int) -> None:
        listing.set()
        gate.wait(20)

    sim.state.list_hook = hold
    provider = provider_for(sim)
    creates = [threading.Thread(target=provider.create, args=(trunk_inputs(name=name),))
               for name in ("first", "second")]
    creates[0].start()
    assert listing.wait(10), "the baseline GET reached the server"
    creates[1].start()

    def engine_calls() -> None:
        news = trunk_inputs(name="kept", phone_number="+15550000001")
        provider.check(news, news)
        provider.diff(kept.id, dict(kept.outs or {}), news)
        provider.delete(removed.id, dict(removed.outs or {}))

    others = threading.Thread(target=engine_calls)
    others.start()
    others.join(5)
    try:
        assert not others.is_alive(), "an engine call waited for the baseline"
        assert creates[1].is_alive() and not gate.is_set()
        assert sim.requests_to("POST") == []
    finally:
        gate.set()
        for thread in creates:
            thread.join(20)
    assert removed.id not in sim.connections and len(sim.requests_to("POST")) == 2
    assert [r.method for r in sim.requests if r.method != "POST"] == ["GET", "DELETE"], (
        "the baseline is read once")


def test_every_test_the_engine_table_names_exists() -> None:
    """The table's rows are only as good as the tests that pin them: each reference names
    files that exist and tests defined in them (a renamed test would leave a row unpinned
    without a word)."""
    import re
    from pathlib import Path

    from pulumi_mihu import _ledger

    root = Path(__file__).resolve().parents[2]
    doc = _ledger.__doc__ or ""
    blocks = re.split(r"^\[(\w+)\]", doc[doc.index("\n[1]"):], flags=re.M)[1:]
    references = dict(zip(blocks[::2], blocks[1::2], strict=True))
    assert {"1", "5b", "10", "N1", "N2", "N3"} <= set(references)
    for row, text in references.items():
        files = re.findall(r"tests/[\w/]+\.py", text)
        names = set(re.findall(r"\b(test_\w+)\b(?!\.py)", text))
        assert files and names, row
        sources = [(root / f).read_text() for f in files]
        for name in names:
            assert any(f"def {name}(" in source for source in sources), (row, name)
