"""Reading a list whole: every page, in each shape the Mihu reference's documented lists
use, and the consistency rule while the list changes under the walk (http_shapes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pulumi_mihu import MihuSettings
from pulumi_mihu.client import MihuClient
from pulumi_mihu.errors import MihuListIncompleteError, MihuNotFoundError
from pulumi_mihu.http_shapes import (
    LIST_DEADLINE,
    MAX_PAGES,
    MAX_WALKS,
    PARALLEL_PAGES,
    list_all,
    parse_page,
)
from pulumi_mihu.testing import MihuSimulator
from support import settings_for

COLLECTION = "/channels/sip-trunk/connections"
PATH = "/api/v1" + COLLECTION


def listed(sim: MihuSimulator) -> list[dict[str, Any]]:
    return list_all(MihuClient(settings_for(sim)), COLLECTION)


def list_gets(sim: MihuSimulator) -> list[Any]:
    return [r for r in sim.requests if r.method == "GET" and r.path == PATH]


@pytest.mark.parametrize("shape", ["items", "laravel", "one-page"])
def test_every_connection_of_a_paginated_account_is_read(shape: str) -> None:
    """47 connections served 15 a page (whatever per_page asks): 4 pages, all read."""
    with MihuSimulator(list_shape=shape, page_size=15) as sim:
        made = sim.add_connections(47)
        items = listed(sim)
        assert sorted(item["uuid"] for item in items) == sorted(made)
        assert len(items) == 47
        pages = 1 if shape == "one-page" else 4
        # A one-page list is one snapshot; a longer one is walked twice (the rule).
        assert len(list_gets(sim)) == (1 if shape == "one-page" else 2 * pages)


def test_the_largest_page_the_api_grants_is_asked_for() -> None:
    """per_page=200 where the API grants it: 47 connections in one request."""
    with MihuSimulator(page_size=15, max_page_size=200) as sim:
        made = sim.add_connections(47)
        assert {item["uuid"] for item in listed(sim)} == set(made)
        assert len(list_gets(sim)) == 1


def test_an_empty_account_costs_one_request() -> None:
    with MihuSimulator() as sim:
        assert listed(sim) == []
        assert len(list_gets(sim)) == 1


def changing(sim: MihuSimulator, change: Callable[[], object], walks_changed: int = 1,
             at_page: int = 2) -> None:
    """Run ``change`` when page ``at_page`` is served, in the first ``walks_changed``
    walks."""
    lock = threading.Lock()
    done = [0]

    def hook(page: int) -> None:
        with lock:
            if page == at_page and done[0] < walks_changed:
                done[0] += 1
                change()

    sim.state.list_hook = hook


def account(sim: MihuSimulator) -> set[str]:
    return set(sim.connections)


@pytest.mark.parametrize("shape", ["items", "laravel"])
def test_a_connection_deleted_during_the_walk_hides_no_other(shape: str) -> None:
    """Newest first, 15 a page: deleting the newest while page 2 is read moves the first
    item of page 2 onto page 1, already read. A single walk would miss it; the rule walks
    again and returns the account as it is."""
    with MihuSimulator(list_shape=shape) as sim:
        made = sim.add_connections(40)
        changing(sim, lambda: sim.connections.pop(made[-1]))
        assert {item["uuid"] for item in listed(sim)} == account(sim) == set(made[:-1])


def test_a_delete_and_a_create_during_the_walk_keep_the_total_but_miss_nothing() -> None:
    """Oldest first: deleting the first connection and creating one (at the end) while
    page 2 is read moves connection 15 onto page 1, already read. The walk sees 40 distinct
    uuids for a total of 40, so a rule that only checks the total would miss connection 15
    and keep the deleted one; the second walk differs, and a third confirms it."""
    with MihuSimulator() as sim:
        sim.state.newest_first = False
        made = sim.add_connections(40)

        def swap() -> None:
            sim.connections.pop(made[0])
            sim.add_connections(1, prefix="new")

        changing(sim, swap)
        items = listed(sim)
        assert {item["uuid"] for item in items} == account(sim)
        assert made[15] in {item["uuid"] for item in items}
        assert len(items) == 40
        assert len(list_gets(sim)) == 3 * 3


def test_a_connection_created_during_the_walk_is_read() -> None:
    with MihuSimulator() as sim:
        sim.add_connections(40)
        changing(sim, lambda: sim.add_connections(2, prefix="new"))
        items = listed(sim)
        assert {item["uuid"] for item in items} == account(sim)
        assert len(items) == 42


def test_a_list_that_never_stops_changing_is_refused_not_guessed() -> None:
    with MihuSimulator() as sim:
        sim.add_connections(40)
        changing(sim, lambda: sim.add_connections(1, prefix="new"), walks_changed=99)
        with pytest.raises(MihuListIncompleteError,
                           match="changed while it was read, 5 walks in a row"):
            listed(sim)
        # The README's "5 readings": five walks of three pages, then no more requests.
        assert len(list_gets(sim)) == 5 * 3


def test_no_list_route_is_the_client_error_not_an_incomplete_list() -> None:
    with MihuSimulator(read_routes=False) as sim, pytest.raises(MihuNotFoundError):
        listed(sim)


# -- shapes and markers, page by page ---------------------------------------------------------


class Pages:
    """A client whose list answers ``bodies[page]`` (by the ?page= asked)."""

    def __init__(self, bodies: dict[int, Any], base_url: str = "https://acme.mihu.ai") -> None:
        self.bodies = bodies
        self.paths: list[str] = []
        self.settings = MihuSettings(api_token=SecretStr("t0ken-for-tests"), base_url=base_url)
        self.clock = 0.0

    def now(self) -> float:
        return self.clock

    def get(self, path: str, **kwargs: Any) -> Any:
        self.paths.append(path)
        page = int(path.split("page=")[1].split("&")[0]) if "page=" in path else 1
        return self.bodies[page]


def items(*uuids: str) -> list[dict[str, str]]:
    return [{"uuid": u} for u in uuids]


def read(bodies: dict[int, Any], **kwargs: Any) -> list[str]:
    return [item["uuid"] for item in list_all(Pages(bodies, **kwargs), "/things")]  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [
    {"data": items("a", "b")},
    {"data": {"items": items("a", "b")}},
    {"data": items("a", "b"), "next": None, "next_page_url": "", "next_cursor": None},
    {"data": items("a", "b"), "meta": {"total": 2}},
    {"data": items("a", "b"), "meta": {"total": 1}},
    {"data": items("a", "b"), "meta": "3 items"},
    {"data": {"items": items("a", "b"), "pagination": {"total": 2, "last_page": 1,
                                                      "has_more": False}}},
    {"data": {"current_page": 1, "data": items("a", "b"), "last_page": 1, "total": 2,
              "next_page_url": None}},
    {"current_page": 1, "data": items("a", "b"), "last_page": 1},
    {"data": items("a", "b"), "meta": {"per_page": 3}},
    {"data": items("a", "b"), "meta": {"per_page": 0}},
    {"data": items("a", "b"), "meta": {"per_page": -1}},
    {"data": items("a", "b"), "meta": {"total": 2, "per_page": 200}},
    # last_page wins over total / per_page (here a per_page that is not the page's size)
    {"data": items("a", "b"), "meta": {"last_page": 1, "total": 2, "per_page": 1}},
    # an item listed twice on the one page is read once, and the items after it too
    {"data": items("a", "a", "b")},
])
def test_a_list_of_one_page_is_read_with_one_request(body: dict[str, Any]) -> None:
    client = Pages({1: body})
    assert [i["uuid"] for i in list_all(client, "/things")] == ["a", "b"]  # type: ignore[arg-type]
    assert client.paths == ["/things?page=1&per_page=200"]


@pytest.mark.parametrize("pages", [
    # data.items + data.pagination, by page numbers
    {n: {"data": {"items": items(*p), "pagination": {"current_page": n, "last_page": 3,
                                                     "total": 5, "per_page": 2}}}
     for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
    # Laravel, top level and in data; the total and per_page alone
    {n: {"data": {"current_page": n, "data": items(*p), "last_page": 3, "total": 5}}
     for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
    {n: {"data": items(*p), "meta": {"total": 5, "per_page": 2}}
     for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
    # has_more, a next link on the API's origin, a total not yet reached, full pages
    {n: {"data": items(*p), "has_more": n < 3} for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
    {n: {"data": items(*p), "links": {"next": f"https://acme.mihu.ai/api/v1/things?page={n + 1}"
                                      if n < 3 else None}}
     for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
    {n: {"data": items(*p), "total": 5} for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
    {n: {"data": items(*p), "per_page": 2} for n, p in ((1, "ab"), (2, "cd"), (3, "e"))},
])
def test_every_page_is_read_in_each_shape(pages: dict[int, Any]) -> None:
    assert read(pages) == list("abcde")


def test_full_pages_end_at_an_empty_one() -> None:
    pages = {1: {"data": items("a", "b"), "per_page": 2}, 2: {"data": [], "per_page": 2}}
    assert read(pages) == ["a", "b"]


@pytest.mark.parametrize(("pages", "why"), [
    ({1: {"data": items("a"), "next_cursor": "abc"}}, "cursor with no link"),
    ({1: {"data": items("a"), "next_page_url": "https://evil.example/api/v1/things?page=2"}},
     "points to another host"),
    ({1: {"data": items("a"), "next_page_url": "https://acme.mihu.ai/other?page=2"}},
     "outside the API"),
    ({n: {"data": {"items": items("a"), "pagination": {"current_page": 1, "last_page": 2}}}
      for n in (1, 2)}, "answered page 1 instead"),
    ({n: {"data": items(f"u{n}"), "current_page": 2 * n - 1, "last_page": 2} for n in (1, 2)},
     r"\(page 2\): the API answered page 3 instead"),
    ({1: {"data": items("a"), "has_more": True}, 2: {"data": [], "has_more": True}},
     "followed by another, but that page is empty"),
    ({1: {"data": [{"id": 1}]}}, "an item of the list has no uuid"),
    ({1: {"data": items("a"), "has_more": True}, 2: {"data": "x"}}, "no list of items"),
    ({1: ["a"]}, "not a JSON object"),
])
def test_a_list_that_cannot_be_read_whole_says_why(pages: dict[int, Any], why: str) -> None:
    with pytest.raises(MihuListIncompleteError, match=why):
        read(pages)


def test_the_walk_is_bounded_in_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi_mihu.http_shapes as shapes

    monkeypatch.setattr(shapes, "MAX_PAGES", 3)
    numbered = {n: {"data": items(f"u{n}"), "meta": {"last_page": 4, "current_page": n}}
                for n in range(1, 5)}
    with pytest.raises(MihuListIncompleteError, match="more than 3 pages"):
        read(numbered)
    followed = {n: {"data": items(f"u{n}"), "has_more": True} for n in range(1, 6)}
    with pytest.raises(MihuListIncompleteError,
                       match=r"\(page 4\): it has more than 3 pages"):
        read(followed)


class Ticking(Pages):
    """A list whose every answer takes ``step`` seconds of the fake clock."""

    def __init__(self, bodies: dict[int, Any], step: float) -> None:
        super().__init__(bodies)
        self.step = step

    def get(self, path: str, **kwargs: Any) -> Any:
        self.clock += self.step
        return super().get(path, **kwargs)


def test_the_walk_is_bounded_in_time() -> None:
    client = Ticking({n: {"data": items(f"u{n}"), "has_more": True} for n in range(1, 9)},
                     step=50.0)
    with pytest.raises(MihuListIncompleteError,
                       match=r"\(page 4\): reading it took more than 120 s"):
        list_all(client, "/things")  # type: ignore[arg-type]


def test_a_request_due_exactly_at_the_deadline_is_still_sent() -> None:
    """40 s an answer: the fourth request (the second walk's page 2) is due at 120 s, not
    more than 120 s, so it is sent and the list is read."""
    client = Ticking({1: {"data": items("a"), "has_more": True},
                      2: {"data": items("b"), "has_more": False}}, step=40.0)
    assert [i["uuid"] for i in list_all(client, "/things")] == ["a", "b"]  # type: ignore[arg-type]
    assert len(client.paths) == 4


@pytest.mark.parametrize("markers", [
    {"last_page": 1}, {"last_page": 0}, {"total": 0, "per_page": 200}])
def test_an_answer_that_comes_after_the_deadline_is_used_when_nothing_else_is_asked(
        markers: dict[str, int]) -> None:
    """The deadline bounds the requests sent, not the answers received: an empty list (its
    one page; Laravel's last_page 1, an API's last_page 0, a total of 0) whose only answer
    took 121 s is read."""
    client = Ticking({1: {"data": [], **markers}}, step=121.0)
    assert list_all(client, "/things") == []  # type: ignore[arg-type]
    assert client.paths == ["/things?page=1&per_page=200"]


def test_a_walk_of_max_pages_is_read_and_a_longer_one_refused_before_page_2() -> None:
    """The README's bound, 2,000 pages a walk: 2,000 pages by number are read (twice); a
    first page saying last_page 2,001 is refused at once, no other page asked for."""
    pages = {n: {"data": items(f"u{n}"), "last_page": 2000} for n in range(1, 2001)}
    client = Pages(pages)
    assert len(list_all(client, "/things")) == 2000  # type: ignore[arg-type]
    assert len(client.paths) == 2 * 2000
    client = Pages({1: {"data": items("u1"), "last_page": 2001}})
    with pytest.raises(MihuListIncompleteError) as caught:
        list_all(client, "/things")  # type: ignore[arg-type]
    assert str(caught.value) == ("the list at /api/v1/things cannot be read whole (page 2001): "
                                 "it has more than 2000 pages")
    assert client.paths == ["/things?page=1&per_page=200"]


def test_numbered_pages_are_asked_for_16_at_a_time() -> None:
    """The README's cost, one request per page, 16 at a time: 19 pages after the first,
    and the first 16 of them held until 16 are in flight (and a moment longer, for a 17th
    to show): exactly 16 at once, never more."""

    class Gate(Pages):
        def __init__(self, bodies: dict[int, Any]) -> None:
            super().__init__(bodies)
            self.changed = threading.Condition()
            self.in_flight = self.peak = 0
            self.opened = False

        def get(self, path: str, **kwargs: Any) -> Any:
            with self.changed:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                self.changed.notify_all()
                if "?page=1&" not in path and not self.opened:
                    self.changed.wait_for(lambda: self.in_flight >= 16, timeout=3)
                    self.changed.wait_for(lambda: self.in_flight > 16, timeout=0.3)
                    self.opened = True
                self.in_flight -= 1
            return super().get(path, **kwargs)

    client = Gate({n: {"data": items(f"u{n}"), "last_page": 20} for n in range(1, 21)})
    assert len(list_all(client, "/things")) == 20  # type: ignore[arg-type]
    assert client.peak == 16


def test_the_readme_states_the_bounds_the_code_keeps() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    assert (f"at most {MAX_PAGES:,} pages, {MAX_WALKS} readings, {LIST_DEADLINE:g} s"
            in text)
    assert f"({PARALLEL_PAGES} at a time)" in text


@pytest.mark.parametrize(("size", "served"), [(1, 1), (2, 3), (300, 300)])
def test_a_page_as_full_as_per_page_or_fuller_is_followed(size: int, served: int) -> None:
    """No last page, no total: a page holding per_page items, or more (an API serving more
    than it says), may be followed by another; one holding fewer ends the list. Sizes of
    1 and of 300 (beyond the small ints Python shares) too."""
    uuids = [f"u{i}" for i in range(2 * served + 1)]
    pages = {1: uuids[:served], 2: uuids[served:2 * served], 3: uuids[2 * served:], 4: []}
    assert read({n: {"data": items(*p), "per_page": size} for n, p in pages.items()}) == uuids


def test_a_list_that_shows_an_item_on_two_pages_every_time_is_refused() -> None:
    """Every walk reads b on page 1 and on page 2 (an item created at the head between
    the two requests would do that): no walk is consistent, so no walk is taken."""
    client = Pages({1: {"data": items("a", "b"), "has_more": True},
                    2: {"data": items("b", "c"), "has_more": False}})
    with pytest.raises(MihuListIncompleteError, match="changed while it was read, 5 walks"):
        list_all(client, "/things")  # type: ignore[arg-type]
    assert len(client.paths) == 5 * 2


@pytest.mark.parametrize("pages", [
    # the pages disagree on the last page only
    {1: {"data": items("a", "b"), "last_page": 2, "total": 3},
     2: {"data": items("c"), "last_page": 3, "total": 3}},
    # they agree on a total smaller than the items read...
    {1: {"data": items("a", "b"), "last_page": 2, "total": 2},
     2: {"data": items("c"), "last_page": 2, "total": 2}},
    # ... or greater (page 3, asked for the missing ones, is empty)
    {1: {"data": items("a", "b"), "last_page": 2, "total": 5},
     2: {"data": items("c"), "last_page": 2, "total": 5}, 3: {"data": [], "total": 5}},
    # they disagree on the total
    {1: {"data": items("a", "b"), "last_page": 2, "total": 3},
     2: {"data": items("c"), "last_page": 2, "total": 4}, 3: {"data": [], "total": 4}},
])
def test_a_walk_whose_pages_disagree_on_their_markers_is_not_taken(
        pages: dict[int, Any]) -> None:
    """The same answers every walk, yet each walk's pages contradict each other or the
    items they hold: the list is refused, not taken."""
    with pytest.raises(MihuListIncompleteError, match="changed while it was read, 5 walks"):
        read(pages)


@pytest.mark.parametrize(("link", "why"), [
    ("https://evil.example/api/v1/things?page=2", "points to another host"),
    ("https://aaa.example/api/v1/things?page=2", "points to another host"),
    ("http://acme.mihu.ai/api/v1/things?page=2", "points to another host"),
    ("https://acme.mihu.ai:8443/api/v1/things?page=2", "points to another host"),
    ("https://acme.mihu.ai/other?page=2", "is outside the API"),
])
def test_a_next_link_off_the_api_is_not_followed(link: str, why: str) -> None:
    """Another host (whether it sorts before or after the API's), plain http, another
    port, a path outside /api/v1: the token is not sent there, and the message names the
    link, not a page."""
    client = Pages({1: {"data": items("a"), "next_page_url": link},
                    2: {"data": items("b")}})
    with pytest.raises(MihuListIncompleteError) as caught:
        list_all(client, "/things")  # type: ignore[arg-type]
    assert str(caught.value) == ("the list at /api/v1/things cannot be read whole: its link "
                                 f"to the next page {why}")
    assert client.paths == ["/things?page=1&per_page=200"]


def test_parse_page_reads_the_markers_of_each_place() -> None:
    page = parse_page({"data": {"items": items("a"), "pagination": {
        "current_page": "2", "last_page": 3, "per_page": 1, "total": True, "has_more": True}}})
    assert (page.current, page.last, page.per_page, page.total, page.has_more) == (
        2, 3, 1, None, True)


# -- what the whole list proves: refresh and destroy over pages ------------------------------


def test_refresh_drops_a_connection_gone_from_a_paginated_account(
        capsys: pytest.CaptureFixture[str]) -> None:
    from support import outs_of, provider_for, trunk_inputs

    with MihuSimulator() as sim:
        provider = provider_for(sim)
        created = provider.create(trunk_inputs())
        sim.add_connections(40)                    # ours is now on page 3
        del sim.connections[created.id]
        assert provider.read(created.id, dict(outs_of(created))).id == ""
        assert capsys.readouterr().err == ""


def test_a_delete_that_already_happened_is_silent_over_a_paginated_account(
        capsys: pytest.CaptureFixture[str]) -> None:
    """An interrupted destroy's rerun: the DELETE answers 404, and every page of the list
    proves the connection gone: no "NOT deleted" warning."""
    from support import outs_of, provider_for, trunk_inputs

    with MihuSimulator() as sim:
        provider = provider_for(sim)
        created = provider.create(trunk_inputs())
        others = set(sim.add_connections(40))
        del sim.connections[created.id]
        provider_for(sim).delete(created.id, dict(outs_of(created)))  # destroy: another process
        assert capsys.readouterr().err == ""
        assert set(sim.connections) == others
