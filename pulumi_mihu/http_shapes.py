"""What the API's answers look like where the reference says nothing: lists, and what a 404
proves. Shared by the resources and by the create guard."""

from __future__ import annotations

from typing import Any

from .client import MihuClient
from .errors import MihuError

__all__ = ["is_definitively_gone", "list_items"]


def is_definitively_gone(client: MihuClient, collection_path: str, resource_id: str) -> bool:
    """Does a 404 on ``collection_path/{id}`` prove the resource is gone?

    The Mihu API answers 404 both for a missing resource and for a missing route, and the
    item routes are undocumented. So a 404 counts only when the collection route answers
    with a list (proving the routes exist) in which the id is absent.
    """
    try:
        body = client.get(collection_path)
    except MihuError:
        return False
    items = list_items(body)
    if items is None:
        return False
    return all(item.get("uuid") != resource_id for item in items if isinstance(item, dict))


def list_items(body: Any) -> list[Any] | None:
    """The items of a list response (``data: [...]`` or ``data: {items: [...]}``), or None
    when the shape is unknown or the list is visibly paginated (an absent item may be on
    another page)."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    container: dict[str, Any] = body
    if isinstance(data, dict):
        container = data
        data = data.get("items")
    if not isinstance(data, list):
        return None
    for key in ("next", "next_page_url", "next_cursor"):
        if container.get(key) or body.get(key):
            return None
    for meta in (container.get("meta"), body.get("meta"), container.get("pagination")):
        if isinstance(meta, dict):
            total = meta.get("total")
            if isinstance(total, int) and total > len(data):
                return None
    return data
