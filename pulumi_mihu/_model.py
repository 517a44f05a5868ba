"""The pydantic model of a :class:`~pulumi_mihu.schema.Schema`'s inputs, built on first
use by :attr:`Schema.model`: the only module of the declaration side that imports
pydantic, so that a program which only registers resources does not pay for it.

Each input becomes one field, its rules pydantic's own: ``Annotated[str, Field(min_length,
max_length), AfterValidator(check), ...]``, made ``Optional`` (default None) when the input
may be absent, with ``BeforeValidator(before)`` around it. Errors keep pydantic's types
(``string_too_long``, ``value_error`` ...): the provider turns them into its messages
(:func:`pulumi_mihu._provider.describe_error`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Optional, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, create_model
from pydantic_core import PydanticUndefined

from .schema import MODEL_CONFIG, Input, Schema

__all__ = ["InputsModel", "build_model"]


class InputsModel(BaseModel):
    """Base of every model built from a schema."""

    mihu_schema: ClassVar[Schema[Any]]

    def payload(self) -> dict[str, Any]:
        """The API request body: the sent inputs that have a value."""
        return self.mihu_schema.body(self)


def field_type(spec: Input) -> Any:
    """The annotation of one input's field (see the module docstring)."""
    rules: list[Any] = []
    if spec.min_length is not None or spec.max_length is not None:
        rules.append(Field(min_length=spec.min_length, max_length=spec.max_length))
    rules += [AfterValidator(check) for check in spec.checks]
    typed: tuple[Any, ...] = (spec.type, *rules)
    annotation: Any = Annotated[typed] if rules else spec.type
    if spec.nullable:
        annotation = Optional[annotation]  # noqa: UP045 (a runtime value, not an annotation)
    if spec.before is not None:
        annotation = Annotated[annotation, BeforeValidator(spec.before)]
    return annotation


def build_model(schema: Schema[Any]) -> Any:
    """``{name}Inputs``, defined in the schema's module (it pickles by reference there)."""
    fields: dict[str, Any] = {
        name: (field_type(spec), PydanticUndefined if spec.model_required else spec.default)
        for name, spec in schema.inputs.items()}
    model = create_model(
        f"{schema.name}Inputs", __base__=InputsModel, __module__=schema.module,
        __doc__=schema.doc, __cls_kwargs__=dict(MODEL_CONFIG), **fields)
    model.mihu_schema = schema
    return cast(Any, model)
