"""The exception tree in ``pulumi_mihu/errors.py``'s docstring is the hierarchy: every
error type is drawn once, under its own base, and nothing else is drawn."""

from __future__ import annotations

import inspect
import re

from pulumi_mihu import errors


def drawn_tree() -> dict[str, str | None]:
    """Each name in the docstring's tree -> the name it is drawn under (None: the root)."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^ {4}([ |`-]*?)(Mihu\w+)\b", line)
        if not match:
            continue
        depth = len(match.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, match.group(2)))
    return parents


def test_the_docstring_draws_the_hierarchy() -> None:
    classes = {name: cls for name, cls in vars(errors).items()
               if inspect.isclass(cls) and issubclass(cls, errors.MihuError)
               and cls.__name__ == name}
    actual = {name: (None if cls is errors.MihuError else cls.__bases__[0].__name__)
              for name, cls in classes.items()}
    assert drawn_tree() == actual


def test_every_error_type_is_exported() -> None:
    drawn = set(drawn_tree())
    assert drawn <= set(errors.__all__)
    assert "MihuCreateRefusedError" in drawn
