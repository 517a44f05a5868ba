"""Inputs are declared once (pulumi_mihu.schema): what the base provider derives from the
declaration, shown by adding one line to a copy of the SIP trunk model."""

from __future__ import annotations

import sys
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import BaseModel, create_model

from pulumi_mihu import SipTrunkConnectionInputs
from pulumi_mihu._provider import MihuResourceProvider
from pulumi_mihu.schema import Input, Schema
from support import trunk_inputs


def with_transport() -> type[BaseModel]:
    """The trunk's model plus the one line of docs/development.md ("Adding an input")."""
    return create_model(
        "TrunkWithTransport", __base__=SipTrunkConnectionInputs,
        transport=(Annotated[str | None, Input("udp, tcp or tls.", returned=True)], None))


class TransportProvider(MihuResourceProvider):
    inputs_model: ClassVar[type[BaseModel]] = with_transport()


def test_one_declared_line_is_a_whole_input() -> None:
    provider = TransportProvider()
    schema = provider.schema
    assert schema.inputs["transport"] == Input("udp, tcp or tls.", returned=True)
    # check validates and keeps it
    checked = provider.check({}, trunk_inputs(transport="tls"))
    assert checked.failures == [] and checked.inputs["transport"] == "tls"
    assert [f.property for f in provider.check({}, trunk_inputs(transport=5)).failures] == [
        "transport"]
    # the POST body sends it, only when set
    model = schema.model.model_validate(trunk_inputs(transport="tls"))
    assert schema.body(model)["transport"] == "tls"
    assert "transport" not in schema.body(schema.model.model_validate(trunk_inputs()))
    # diff replaces on a change, and absent means its default
    olds = {**trunk_inputs(), "uuid": "u"}
    assert provider.diff("u", olds, trunk_inputs(transport="tcp")).replaces == ["transport"]
    assert provider.diff("u", olds, trunk_inputs(transport=None)).changes is False
    # refresh reads it back; the Args docs list it
    assert "transport" in schema.names(returned=True)
    assert ":param transport: udp, tcp or tls." in schema.args_doc("Args.")


def test_an_in_place_input_updates_without_replacing() -> None:
    model = create_model("WithNote", __base__=SipTrunkConnectionInputs,
                         note=(Annotated[str | None, Input("A note.", replaces=False,
                                                           sent=False)], None))

    class NoteProvider(MihuResourceProvider):
        inputs_model: ClassVar[type[BaseModel]] = model

    provider = NoteProvider()
    olds: dict[str, Any] = {**trunk_inputs(note="a"), "uuid": "u", "status": "active"}
    diff = provider.diff("u", olds, trunk_inputs(note="b"))
    assert diff.changes is True and diff.replaces == []
    updated = provider.update("u", olds, trunk_inputs(note="b"))
    assert updated.outs == {**olds, "note": "b"}
    with pytest.raises(Exception, match="cannot be updated in place"):
        provider.update("u", olds, trunk_inputs(note="b", password="other-password"))


def test_a_field_without_its_declaration_is_refused() -> None:
    bare = create_model("Bare", x=(str, ...))
    with pytest.raises(TypeError, match="needs exactly one Input"):
        _ = Schema(bare).inputs


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is Python 3.11+")
def test_the_constructor_surfaces_match_the_declared_inputs() -> None:
    """Args dataclasses and keyword overloads are written out for IDEs: they must name
    exactly the declared inputs."""
    import dataclasses
    import inspect
    import typing

    import pulumi_mihu

    for resource in ("SipTrunkConnection", "AgentSipTrunkAssignment"):
        declared = set(getattr(pulumi_mihu, f"{resource}Inputs").model_fields)
        args = {f.name for f in dataclasses.fields(getattr(pulumi_mihu, f"{resource}Args"))}
        keyword = typing.get_overloads(getattr(pulumi_mihu, resource).__init__)[1]
        params = set(inspect.signature(keyword).parameters) - {"self", "resource_name", "opts"}
        assert args == declared == params, resource


def test_the_trunk_declaration_derives_the_documented_sets() -> None:
    """What the API returns (read back by a refresh), what is secret, what is not sent:
    the password and username are never read back, adopt_uuid is never sent."""
    from pulumi_mihu.sip_trunk_connection import SCHEMA

    assert SCHEMA.names(returned=True) == ("name", "phone_number", "gateway",
                                           "secondary_gateway")
    assert SCHEMA.names(secret=True) == ("username", "password")
    assert SCHEMA.names(secret=False) == ("name", "phone_number", "gateway",
                                          "secondary_gateway", "adopt_uuid")
    assert SCHEMA.names(sent=False) == ("adopt_uuid",)
    assert SCHEMA.names(required=True, secret=False) == ("phone_number", "gateway")


def test_an_input_declared_twice_is_refused() -> None:
    model = create_model("Twice", x=(Annotated[str, Input("x"), Input("x again")], ""))
    with pytest.raises(TypeError, match=r"^Twice.x needs exactly one Input\(...\)$"):
        Schema(model).names()


def test_declarations_are_hashable_values() -> None:
    """Input and Schema are frozen values: usable as dict keys and inside typing
    constructs that hash their arguments (Optional[...] of an annotated field type)."""
    import typing

    from pulumi_mihu.sip_trunk_connection import SCHEMA

    assert hash(Input("d")) == hash(Input("d"))
    assert hash(SCHEMA) == hash(Schema(SipTrunkConnectionInputs))
    name_type = typing.get_type_hints(SipTrunkConnectionInputs, include_extras=True)["name"]
    assert typing.Optional[name_type] is not None  # noqa: UP045 (it hashes its argument)
