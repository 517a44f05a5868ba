"""What the API's answers look like where the reference says nothing: lists, and what a 404
proves. Shared by the resources and by the create guard."""

from __future__ import annotations

from typing import Any

from .client import MihuClient
from .errors import MihuError, MihuMethodNotAllowedError, MihuNotFoundError

__all__ = ["is_definitively_gone", "list_items"]


def is_definitively_gone(client: MihuClient, collection_path: str, resource_id: str,
                         patience: float = 0.0) -> bool:
    """Does a 404 on ``collection_path/{id}`` prove the resource is gone?

    The Mihu API answers 404 both for a missing resource and for a missing route, and the
    item routes are undocumented. So a 404 counts only when the collection route answers
    with a complete list (proving the routes exist) in which the id is absent. A list that
    fails for a while (5xx, dropped connections) is asked again for up to ``patience``
    seconds; a missing route or an unusable list answers at once.
    """
    deadline = client.now() + patience if patience else None
    look = 0
    while True:
        look += 1
        try:
            body = client.get(collection_path)
        except (MihuNotFoundError, MihuMethodNotAllowedError):
            return False
        except MihuError:
            remaining = 0.0 if deadline is None else deadline - client.now()
            if remaining <= 0:
                return False
            client.sleep(min(client.backoff(look), remaining))
            continue
        items = list_items(body)
        if items is None:
            return False
        return all(item["uuid"] != resource_id for item in items)


def list_items(body: Any) -> list[dict[str, Any]] | None:
    """The items of a list response (``data: [...]`` or ``data: {items: [...]}``), or None
    when the list may be incomplete or is of an unknown shape: a next page, cursor or link
    (Laravel's paginators among them), a total or last page beyond what is shown, a page
    as full as its page size, or an item without a ``uuid`` (an absent item could be on
    another page, or called something else)."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    container: dict[str, Any] = body
    if isinstance(data, dict):
        container = data
        data = data.get("items")
    if not isinstance(data, list):
        return None
    if any(not isinstance(item, dict) or not isinstance(item.get("uuid"), str)
           or not item["uuid"] for item in data):
        return None
    if _may_have_more(data, [body, container]):
        return None
    return data


_NEXT_KEYS = ("next", "next_page_url", "next_cursor", "next_page", "has_more")


def _may_have_more(data: list[Any], containers: list[dict[str, Any]]) -> bool:
    places = list(containers)
    for container in containers:
        for key in ("meta", "pagination", "links"):
            if isinstance(container.get(key), dict):
                places.append(container[key])
    for place in places:
        if any(place.get(key) for key in _NEXT_KEYS):
            return True
        total, last, current = (place.get(k) for k in ("total", "last_page", "current_page"))
        if isinstance(total, int) and total > len(data):
            return True
        if isinstance(last, int) and isinstance(current, int) and last > current:
            return True
        per_page = place.get("per_page")
        if isinstance(per_page, int) and total is None and 0 < per_page <= len(data):
            return True
    return False
