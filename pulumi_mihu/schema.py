"""Each resource declares its inputs and outputs once, here, as plain Python values: a
:class:`Schema` of :class:`Input` (the type, the API's rules, and what Pulumi needs to
know: required from the program, secret, replaces or updates in place, sent to the API,
returned by it, compared by diff, one line of documentation) and :class:`Output` (what
the API computes: doc, secret, the API field it comes from). As the Terraform Plugin
Framework keeps required, computed, sensitive and requires-replace in one schema.

Everything else is derived from the declaration: the validation of Check
(:meth:`Schema.validate`), the pydantic model of the validated inputs
(:attr:`Schema.model`), the POST body, diff and update (in
:mod:`pulumi_mihu._provider`), what a refresh reads back, the resource's properties,
secrets and name default (in :mod:`pulumi_mihu._resource`), and, by ``scripts/gen.py``,
the typed surface of each resource module (Args dataclass, keyword overloads, output
annotations) and the tables of the README and ``docs/resources.md``.

Why plain Python and not a pydantic model: the user's program only registers resources
and needs the names, flags and docs, not the validation stack. Nor does ``pulumi
preview``: Check validates with :meth:`Schema.validate`, which applies the declared rules
as the model would (strict types, lengths, checks, no unknown input) and reports the
same errors, so a preview's provider host never imports pydantic either (about 70 ms of
each preview, docs/performance.md). The model is built on first use, by a create
(:mod:`pulumi_mihu._model`); ``tests/unit/test_validate.py`` holds the two to the same
answers.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from ._model import InputsModel

__all__ = ["RESOURCE_NAME", "RESOURCE_NAME_KEY", "Input", "Output", "Schema"]

#: An input every Mihu resource sends to Check (and nothing keeps: Check's answer drops
#: ``__`` keys): the resource's name, so that a check spanning resources (one assignment
#: per agent) can name both. The dynamic provider interface passes no URN.
RESOURCE_NAME_KEY = "__resource_name"

M = TypeVar("M", bound="InputsModel")

#: The configuration of every inputs model, which :meth:`Schema.validate` implements.
MODEL_CONFIG: Mapping[str, Any] = {"strict": True, "extra": "forbid", "frozen": True}

#: The error a value of the wrong type gets, by declared type (pydantic's names).
_TYPE_ERRORS = {str: "string_type", bool: "bool_type"}

#: One failed rule: ``{"field", "type", "ctx"}``, type and ctx as pydantic names them.
Error = dict[str, Any]
PyType = type


class _ResourceName:
    """The type of :data:`RESOURCE_NAME`: one value, with a readable repr for the docs."""

    def __repr__(self) -> str:
        return "RESOURCE_NAME"


#: The default of an input that takes the resource's name (Pulumi's logical name) when
#: the program gives none: required by the API, optional in the program.
RESOURCE_NAME: Any = _ResourceName()


@dataclass(frozen=True)
class Input:
    """One input: its type and rules (turned into pydantic's by :mod:`._model`) and what
    Pulumi needs to know of it."""

    doc: str
    """One line of documentation: the Args class, the overloads, the docs tables."""
    type: PyType = str
    """The Python type of a value: ``str`` or ``bool``. Strict: never converted."""
    required: bool = False
    """Must the program give it?"""
    default: Any = None
    """The value when absent: None (the input is then optional: None is allowed), a
    value of ``type``, or :data:`RESOURCE_NAME`."""
    min_length: int | None = None
    max_length: int | None = None
    checks: tuple[Callable[[Any], Any], ...] = ()
    """Functions run on a value (never None) after its type and length are checked:
    each returns the value or raises ValueError with the message that follows the
    field's name (``gateway must not contain spaces``)."""
    before: Callable[[Any], Any] | None = None
    """Runs on the raw value before anything else (e.g. blank means None)."""
    secret: bool = False
    """Credentials: wrapped as secrets, in additional_secret_outputs, redacted."""
    replaces: bool = True
    """A change replaces the resource (else it is updated in place)."""
    sent: bool = True
    """Part of the API request body."""
    returned: bool = False
    """The API returns it: a refresh reads it back."""
    compared: bool = True
    """Compared by diff, and a property of the resource (an output). One read only at
    create, such as adopt_uuid, is neither: it is in the props only when given."""

    @property
    def model_required(self) -> bool:
        """The validated inputs must have it (the resource fills in RESOURCE_NAME)."""
        return self.required or self.default is RESOURCE_NAME

    @property
    def nullable(self) -> bool:
        return not self.model_required and self.default is None

    @property
    def described(self) -> str:
        """Its doc and its length rule: how every generated doc says it (the SDK's
        parameters, the README's tables, the native schema)."""
        if self.max_length is None:
            return self.doc
        if self.min_length:
            return f"{self.doc} {self.min_length}-{self.max_length} characters."
        return f"{self.doc} At most {self.max_length} characters."


@dataclass(frozen=True)
class Output:
    """One output the API computes (the inputs that are compared are outputs too)."""

    doc: str
    type: PyType = str
    secret: bool = False
    field: str | None = None
    """The field of the API's answer it comes from; None: the output's own name."""
    always: bool = False
    """In every state the provider writes (the id, say): the native schema's ``required``,
    so that generated SDKs type it as present."""


class Schema(Generic[M]):
    """The declaration of one resource: its inputs and computed outputs, in order.

    ``name`` is the resource's type name (``SipTrunkConnection``): the model is
    ``{name}Inputs``, defined (lazily, see :attr:`model`) in the module that declares the
    schema. One rule set for every resource, :meth:`validate`'s and the model's
    (:data:`MODEL_CONFIG`): no value is converted to another type (a number is no phone
    number), an unknown input is an error and validated inputs cannot change.
    """

    def __init__(self, name: str, doc: str, inputs: Mapping[str, Input],
                 outputs: Mapping[str, Output] | None = None, *,
                 module: str | None = None) -> None:
        self.name, self.doc = name, doc
        self.inputs: dict[str, Input] = dict(inputs)
        self.outputs: dict[str, Output] = dict(outputs or {})
        clash = self.inputs.keys() & self.outputs.keys()
        if clash:
            raise TypeError(f"{name}: {', '.join(sorted(clash))} declared as input and output")
        # Where the model is defined, as namedtuple finds it: the declaring module.
        self.module = module or sys._getframe(1).f_globals.get("__name__", __name__)
        self._model: type[M] | None = None
        self._model_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Schema({self.name!r})"

    @property
    def model(self) -> type[M]:
        """The pydantic model of the inputs, built on first use (then cached): the
        provider host validates with it; the program never needs it."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    from ._model import build_model
                    self._model = build_model(self)
        return self._model

    def validate(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Error]]:
        """The validated inputs (None left out), or the errors: each input's first failed
        rule in declared order, then each unknown input, as the model reports them."""
        checked: dict[str, Any] = {}
        errors: list[Error] = []
        for name, spec in self.inputs.items():
            if name in values:
                checked[name], error = _validated(spec, values[name])
            elif spec.model_required:
                error = {"type": "missing", "ctx": {}}
            else:
                checked[name], error = spec.default, None
            if error is not None:
                errors.append({**error, "field": name})
        errors += [{"type": "extra_forbidden", "field": name, "ctx": {}}
                   for name in values if name not in self.inputs]
        return {k: v for k, v in checked.items() if v is not None}, errors

    def names(self, **flags: bool) -> tuple[str, ...]:
        """The inputs whose flags have the given values: ``names(secret=True)``."""
        return tuple(name for name, spec in self.inputs.items()
                     if all(getattr(spec, flag) == value for flag, value in flags.items()))

    def secret_outputs(self) -> tuple[str, ...]:
        """Every output that holds a secret: secret inputs and secret computed outputs."""
        return (*self.names(secret=True),
                *(name for name, spec in self.outputs.items() if spec.secret))

    def default(self, name: str) -> Any:
        """The model's default of an optional input (None for one the model requires)."""
        spec = self.inputs[name]
        return None if spec.model_required else spec.default

    def normalized(self, name: str, value: Any) -> Any:
        """One rule for empty values: absent, None and "" all mean the default."""
        return self.default(name) if value is None or value == "" else value

    def body(self, model: InputsModel) -> dict[str, Any]:
        """The API request body: the sent inputs that have a value."""
        return model.model_dump(include=set(self.names(sent=True)), exclude_none=True)

    def computed(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The computed outputs, from the API's answer (None where it has no value)."""
        return {name: data.get(spec.field or name) for name, spec in self.outputs.items()}

    def read_back(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """What a refresh takes from the API's answer: the returned inputs and the
        computed outputs the answer has (a field it leaves out keeps its state)."""
        fields = {**{name: name for name in self.names(returned=True)},
                  **{name: spec.field or name for name, spec in self.outputs.items()}}
        return {name: data[field] for name, field in fields.items() if field in data}

    def native_names_in(self, state: Mapping[str, Any]) -> list[str]:
        """The keys of ``state`` that are this resource's inputs in the native provider's
        camelCase (``phoneNumber``): a state it wrote, not the dynamic resource."""
        return sorted(key for key in state
                      if key not in self.inputs and key not in self.outputs
                      and re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower() in self.inputs)

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any],
                is_unknown: Callable[[Any], bool]) -> list[str]:
        """The compared inputs whose new value differs (an unknown one may differ)."""
        return [name for name in self.names(compared=True)
                if is_unknown(news.get(name))
                or self.normalized(name, olds.get(name)) != self.normalized(name, news.get(name))]


def _validated(spec: Input, value: Any) -> tuple[Any, Error | None]:
    """One value through its input's rules, in the model's order: ``before``, None where
    allowed, the strict type, the lengths, then the checks (each may return a new value)."""
    if spec.before is not None:
        value = spec.before(value)
    if value is None and spec.nullable:
        return None, None
    if not isinstance(value, spec.type):
        return value, {"type": _TYPE_ERRORS.get(spec.type, "type_error"), "ctx": {}}
    if spec.min_length is not None and len(cast(Sized, value)) < spec.min_length:
        return value, {"type": "string_too_short", "ctx": {"min_length": spec.min_length}}
    if spec.max_length is not None and len(cast(Sized, value)) > spec.max_length:
        return value, {"type": "string_too_long", "ctx": {"max_length": spec.max_length}}
    for check in spec.checks:
        try:
            value = check(value)
        except ValueError as exc:
            return value, {"type": "value_error", "ctx": {"error": exc}}
    return value, None
