"""Each resource declares its inputs once, in its pydantic model: the type and the API's
rules as pydantic constraints, and what Pulumi needs to know as an :class:`Input`
annotation (required from the program, secret, replaces or updates in place, sent to the
API, returned by it, compared by diff, and its one-line documentation).

Everything else is derived from that declaration by :class:`Schema`: the POST body, the
required-input check of the constructor, ``additional_secret_outputs``, diff and update
(in :mod:`pulumi_mihu._provider`), the fields a refresh reads back, and the documentation
of the Args class. As the Terraform Plugin Framework keeps replace, secret and computed in
the schema, not in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel

__all__ = ["Input", "Schema"]


@dataclass(frozen=True)
class Input:
    """What Pulumi needs to know of one input, next to its pydantic rules."""

    doc: str
    """One line of documentation, for the Args class and the keyword constructor."""
    required: bool = False
    """Must the program give it? (A model may still require a value the resource fills
    in, such as a name defaulting to the resource name.)"""
    secret: bool = False
    """Credentials: wrapped as secrets, in additional_secret_outputs, redacted."""
    replaces: bool = True
    """A change replaces the resource (else it is updated in place)."""
    sent: bool = True
    """Part of the API request body."""
    returned: bool = False
    """The API returns it: a refresh reads it back."""
    compared: bool = True
    """Compared by diff (an input read only at create, such as adopt_uuid, is not)."""


@dataclass(frozen=True)
class Schema:
    """The inputs of one resource, derived from its model's :class:`Input` annotations."""

    model: type[BaseModel]

    @cached_property
    def inputs(self) -> dict[str, Input]:
        found = {}
        for name, info in self.model.model_fields.items():
            specs = [m for m in info.metadata if isinstance(m, Input)]
            if len(specs) != 1:
                raise TypeError(f"{self.model.__name__}.{name} needs exactly one Input(...)")
            found[name] = specs[0]
        return found

    def names(self, **flags: bool) -> tuple[str, ...]:
        """The inputs whose flags have the given values: ``names(secret=True)``."""
        return tuple(name for name, spec in self.inputs.items()
                     if all(getattr(spec, flag) == value for flag, value in flags.items()))

    def default(self, name: str) -> Any:
        """The model's default of an optional input (None for a required one)."""
        info = self.model.model_fields[name]
        return None if info.is_required() else info.default

    def normalized(self, name: str, value: Any) -> Any:
        """One rule for empty values: absent, None and "" all mean the default."""
        return self.default(name) if value is None or value == "" else value

    def body(self, model: BaseModel) -> dict[str, Any]:
        """The API request body: the sent inputs that have a value."""
        return model.model_dump(include=set(self.names(sent=True)), exclude_none=True)

    def args_doc(self, summary: str) -> str:
        """The docstring of an Args class: one ``:param`` line per input."""
        lines = [summary, ""]
        for name, spec in self.inputs.items():
            lines.append(f":param {name}: {spec.doc}")
        return "\n".join(lines)

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any],
                is_unknown: Any) -> list[str]:
        """The compared inputs whose new value differs (an unknown one may differ)."""
        return [name for name in self.names(compared=True)
                if is_unknown(news.get(name))
                or self.normalized(name, olds.get(name)) != self.normalized(name, news.get(name))]
