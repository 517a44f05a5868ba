"""What the API's answers look like where the reference says nothing: lists, and what a 404
proves. Shared by the resources and by the create guard.

**Lists.** No list route is documented for SIP trunk connections, but every list route the
Mihu reference does document paginates (``docs/mihu-sip-trunk-api.md``), so a list is read
whole or not at all. ``list_all`` reads these shapes, asking for ``PAGE_SIZE`` items a page
(``?page=N&per_page=200``, the largest page the reference grants on any route):

- ``data.items`` with ``data.pagination`` (``current_page``, ``per_page``, ``total``,
  ``last_page``, ``has_more``): the phone-numbers and rates routes;
- Laravel's paginator, ``data.data`` beside ``current_page``, ``last_page``, ``per_page``,
  ``total``, ``next_page_url`` (the contacts and pool-contacts routes), also at the top level;
- a bare ``data: [...]``, with or without ``meta`` and ``links.next``.

Where the last page is known (``last_page``, or ``total`` and ``per_page``) it fetches the
other pages by number, ``PARALLEL_PAGES`` at a time; otherwise it follows a next link on the
API's own origin, ``has_more``, a ``total`` not yet reached, or full pages, one by one.

**Consistency rule.** Pages are offsets into a list that can change while it is read: a
connection deleted from page 1 after page 1 was read moves the first item of page 2 onto
page 1, and no page read after that shows it. So:

1. a list that fits one page is one answer, one snapshot, and is taken as it is;
2. a longer list is walked again until two consecutive walks are each *consistent* (every
   page reports the same total and last page, no uuid appears twice, and the number of
   uuids equals the total where one is given) and hold *the same set of uuids*;
3. at most ``MAX_WALKS`` walks, ``MAX_PAGES`` pages a walk and ``LIST_DEADLINE`` seconds;
   past that, or for any page it cannot read (an unknown shape, an item without a uuid, a
   cursor it cannot follow, a next link to another host, a page other than the one asked
   for), ``MihuListIncompleteError`` says why. Callers never treat such a list as proof.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .client import MihuClient, bounded
from .errors import (
    MihuError,
    MihuListIncompleteError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
)
from .settings import API_PREFIX

__all__ = [
    "LIST_DEADLINE",
    "MAX_PAGES",
    "MAX_WALKS",
    "PAGE_SIZE",
    "is_definitively_gone",
    "list_all",
]

#: Items asked for a page: the largest the reference grants (the rates route caps at 200).
PAGE_SIZE = 200
#: Pages fetched at once when the last page is known.
PARALLEL_PAGES = 16
#: Bounds of one ``list_all``: pages a walk, walks, seconds.
MAX_PAGES = 2000
MAX_WALKS = 5
LIST_DEADLINE = 120.0

JSON = dict[str, Any]


def is_definitively_gone(client: MihuClient, collection_path: str, resource_id: str,
                         patience: float = 0.0) -> bool:
    """Does a 404 on ``collection_path/{id}`` prove the resource is gone?

    The Mihu API answers 404 both for a missing resource and for a missing route, and the
    item routes are undocumented. So a 404 counts only when the collection route answers
    with a complete list (every page, see ``list_all``) in which the id is absent. A list
    that fails for a while (5xx, dropped connections) is asked again for up to
    ``patience`` seconds; a missing route or a list that cannot be read whole answers at
    once.
    """
    deadline = client.now() + bounded(patience) if patience else None
    look = 0
    while True:
        look += 1
        try:
            items = list_all(client, collection_path)
        except (MihuNotFoundError, MihuMethodNotAllowedError, MihuListIncompleteError):
            return False
        except MihuError:
            remaining = 0.0 if deadline is None else deadline - client.now()
            if remaining <= 0:
                return False
            client.sleep(min(client.backoff(look), remaining))
            continue
        return all(item["uuid"] != resource_id for item in items)


def list_all(client: MihuClient, path: str) -> list[JSON]:
    """Every item of the list at ``path``, read by the consistency rule of the module
    docstring. Raises the client's errors for page 1 (404/405: no list route; others: the
    list failed for now) and ``MihuListIncompleteError`` when the list answers but cannot
    be read whole."""
    walker = _Walker(client, path)
    previous: set[str] | None = None
    for _ in range(MAX_WALKS):
        walk = walker.walk()
        if walk.single_page:
            return walk.items
        uuids = {item["uuid"] for item in walk.items}
        if walk.consistent and uuids == previous:
            return walk.items
        previous = uuids if walk.consistent else None
    raise MihuListIncompleteError(
        f"the list at {API_PREFIX}{path} changed while it was read, {MAX_WALKS} walks in a "
        "row (items added or deleted between pages), so no complete list could be taken")


# -- one page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    items: list[JSON]
    current: int | None = None
    last: int | None = None
    per_page: int | None = None
    total: int | None = None
    has_more: bool | None = None
    next_link: str | None = None


class _Unreadable(Exception):
    """A page that cannot be read as part of a list; the reason completes a sentence."""


def parse_page(body: Any) -> _Page:
    """The items and the pagination markers of one answer of a list route, in any of the
    module docstring's shapes; raises _Unreadable otherwise."""
    if not isinstance(body, dict):
        raise _Unreadable("the answer is not a JSON object")
    data = body.get("data")
    places: list[Any] = [body, body.get("meta"), body.get("links"), body.get("pagination")]
    if isinstance(data, dict):
        places += [data, data.get("pagination"), data.get("meta"), data.get("links")]
        data = data["items"] if "items" in data else data.get("data")
    if not isinstance(data, list):
        raise _Unreadable("the answer has no list of items where the API's lists have one")
    if any(not isinstance(item, dict) or not isinstance(item.get("uuid"), str)
           or not item["uuid"] for item in data):
        raise _Unreadable("an item of the list has no uuid")
    markers: dict[str, Any] = {}
    for place in places:
        if isinstance(place, dict):
            for key, value in place.items():
                if value is not None and value != "":
                    markers.setdefault(key, value)
    next_link = markers.get("next_page_url", markers.get("next"))
    if markers.get("next_cursor") and not isinstance(next_link, str):
        raise _Unreadable("the list pages by a cursor with no link to the next page")
    return _Page(
        items=data,
        current=_whole(markers.get("current_page")),
        last=_whole(markers.get("last_page")),
        per_page=_whole(markers.get("per_page")),
        total=_whole(markers.get("total")),
        has_more=markers["has_more"] if isinstance(markers.get("has_more"), bool) else None,
        next_link=next_link if isinstance(next_link, str) else None,
    )


def _whole(value: Any) -> int | None:
    """An int marker (also as digits in a string); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# -- one walk -----------------------------------------------------------------------------


@dataclass
class _Walk:
    items: list[JSON]
    single_page: bool
    consistent: bool


class _Walker:
    """Reads every page of one list once per ``walk()``, within the bounds of one
    ``list_all`` (its deadline spans the walks)."""

    def __init__(self, client: MihuClient, path: str) -> None:
        self.client = client
        self.path = path
        self.deadline = client.now() + LIST_DEADLINE

    def walk(self) -> _Walk:
        first = self._page(1)
        last = first.last
        if last is None and first.total is not None and first.per_page:
            last = math.ceil(first.total / first.per_page)
        pages = [first]
        if last is not None and last > 1:
            pages += self._numbered(range(2, last + 1))
        return _judge(self._followed(pages))

    def _numbered(self, numbers: range) -> list[_Page]:
        """Pages whose numbers are known, several at once (in order)."""
        self._within_bounds(numbers.stop - 1)
        # Each page in a copy of this context: the operation's deadline (customTimeouts)
        # holds in the pool's threads too.
        contexts = [contextvars.copy_context() for _ in numbers]
        with ThreadPoolExecutor(max_workers=PARALLEL_PAGES) as pool:
            return list(pool.map(lambda ctx, n: ctx.run(self._page, n), contexts, numbers))

    def _followed(self, pages: list[_Page]) -> list[_Page]:
        """``pages``, and the pages after them read one by one while the last one says
        there is more: after the numbered pages too (a ``last_page`` that is one short, or
        a last page as full as a page, is not taken for the end). A page that brings no
        uuid not seen before ends the walk as unreadable (an API that ignores ?page=)."""
        uuids = {item["uuid"] for page in pages for item in page.items}
        page = pages[-1]
        while page.items and _has_more(page, len(uuids)):
            page = self._page(len(pages) + 1, page.next_link)
            pages.append(page)
            new = {item["uuid"] for item in page.items} - uuids
            if page.items and not new:
                raise self._incomplete(len(pages), "it repeats items of earlier pages (the "
                                                   "API may not honour ?page=)")
            uuids |= new
        if page.has_more or page.next_link:
            raise MihuListIncompleteError(
                f"the list at {API_PREFIX}{self.path} says page {len(pages)} is followed by "
                "another, but that page is empty")
        return pages

    def _page(self, number: int, link: str | None = None) -> _Page:
        self._within_bounds(number)
        path = self._relative(link) if link else _numbered_path(self.path, number)
        body = self.client.get(path)
        try:
            page = parse_page(body)
        except _Unreadable as exc:
            raise self._incomplete(number, str(exc)) from None
        if page.current is not None and page.current != number:
            raise self._incomplete(number, f"the API answered page {page.current} instead "
                                           "(it may not honour ?page=)")
        return page

    def _relative(self, link: str) -> str:
        """A next link as a path under the API prefix, if it points at the API itself: the
        token is never sent anywhere else."""
        parts = urlsplit(link)
        base = urlsplit(self.client.settings.base_url)
        if parts.scheme and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise self._incomplete(0, "its link to the next page points to another host")
        if not parts.path.startswith(API_PREFIX + "/"):
            raise self._incomplete(0, "its link to the next page is outside the API")
        return parts.path[len(API_PREFIX):] + (f"?{parts.query}" if parts.query else "")

    def _within_bounds(self, number: int) -> None:
        if number > MAX_PAGES:
            raise self._incomplete(number, f"it has more than {MAX_PAGES} pages")
        if self.client.now() > self.deadline:
            raise self._incomplete(number, f"reading it took more than {LIST_DEADLINE:g} s")

    def _incomplete(self, number: int, why: str) -> MihuListIncompleteError:
        where = f" (page {number})" if number else ""
        return MihuListIncompleteError(
            f"the list at {API_PREFIX}{self.path} cannot be read whole{where}: {why}")


def _numbered_path(path: str, number: int) -> str:
    return f"{path}?page={number}&per_page={PAGE_SIZE}"


def _has_more(page: _Page, seen: int) -> bool:
    """Does a page whose last page is not known say that another follows?"""
    if page.next_link is not None or page.has_more is not None:
        return page.next_link is not None or bool(page.has_more)
    if page.total is not None:
        return seen < page.total
    return page.per_page is not None and len(page.items) >= page.per_page > 0


def _judge(pages: Iterable[_Page]) -> _Walk:
    """A walk's items, and whether its pages agree with each other (see the rule)."""
    pages = list(pages)
    items: list[JSON] = []
    uuids: set[str] = set()
    consistent = True
    for page in pages:
        for item in page.items:
            if item["uuid"] in uuids:
                consistent = False
                continue
            uuids.add(item["uuid"])
            items.append(item)
    totals = {page.total for page in pages if page.total is not None}
    lasts = {page.last for page in pages if page.last is not None}
    # A total other than the number of uuids: also where pages disagree on the total.
    if len(lasts) > 1 or totals - {len(uuids)}:
        consistent = False
    return _Walk(items, single_page=len(pages) == 1, consistent=consistent)
