"""Inputs and outputs are declared once (pulumi_mihu.schema), as plain Python: what the
base provider derives from the declaration, shown by adding one line to a copy of the SIP
trunk's; and the declaration side never loads pydantic."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pulumi_mihu import SipTrunkConnectionInputs
from pulumi_mihu._model import InputsModel
from pulumi_mihu._provider import MihuResourceProvider
from pulumi_mihu.schema import MODEL_CONFIG, RESOURCE_NAME, Input, Output, Schema
from pulumi_mihu.sip_trunk_connection import SCHEMA as TRUNK
from pulumi_mihu.sip_trunk_connection import __file__ as TRUNK_MODULE
from support import trunk_inputs


def trunk_with(**extra: Input) -> Schema[Any]:
    """The trunk's declaration plus the given inputs (docs/development.md, "Adding an
    input")."""
    return Schema("TrunkWith", TRUNK.doc, {**TRUNK.inputs, **extra}, TRUNK.outputs)


class TransportProvider(MihuResourceProvider):
    schema: ClassVar[Schema[Any]] = trunk_with(
        transport=Input("udp, tcp or tls.", returned=True))


def test_one_declared_line_is_a_whole_input() -> None:
    provider = TransportProvider()
    schema = provider.schema
    assert schema.inputs["transport"] == Input("udp, tcp or tls.", returned=True)
    # check validates and keeps it
    checked = provider.check({}, trunk_inputs(transport="tls"))
    assert checked.failures == [] and checked.inputs["transport"] == "tls"
    assert [(f.property, f.reason) for f in provider.check(
        {}, trunk_inputs(transport=5)).failures] == [("transport", "transport must be a string")]
    # the POST body sends it, only when set
    model = schema.model.model_validate(trunk_inputs(transport="tls"))
    assert schema.body(model)["transport"] == "tls"
    assert "transport" not in schema.body(schema.model.model_validate(trunk_inputs()))
    # diff replaces on a change, and absent means its default
    olds = {**trunk_inputs(), "uuid": "u"}
    assert provider.diff("u", olds, trunk_inputs(transport="tcp")).replaces == ["transport"]
    assert provider.diff("u", olds, trunk_inputs(transport=None)).changes is False
    # refresh reads it back
    assert schema.read_back({"transport": "udp", "other": 1}) == {"transport": "udp"}


def test_an_in_place_input_updates_without_replacing() -> None:
    class NoteProvider(MihuResourceProvider):
        schema: ClassVar[Schema[Any]] = trunk_with(
            note=Input("A note.", replaces=False, sent=False))

    provider = NoteProvider()
    olds: dict[str, Any] = {**trunk_inputs(note="a"), "uuid": "u", "status": "active"}
    diff = provider.diff("u", olds, trunk_inputs(note="b"))
    assert diff.changes is True and diff.replaces == []
    updated = provider.update("u", olds, trunk_inputs(note="b"))
    assert updated.outs == {**olds, "note": "b"}
    with pytest.raises(Exception, match="cannot be updated in place"):
        provider.update("u", olds, trunk_inputs(note="b", password="other-password"))


def test_a_declared_minimum_length_is_named_in_its_message() -> None:
    """One character is "must not be empty" (the trunk's texts); a longer minimum, which a
    declaration may ask for, says how many."""

    class SecretProvider(MihuResourceProvider):
        schema: ClassVar[Schema[Any]] = Schema("Hook", "", {"secret": Input(
            "s", required=True, min_length=16), "label": Input("l", min_length=1),
            "code": Input("c", min_length=2)})

    failures = SecretProvider().check({}, {"secret": "short", "label": "", "code": "x"}).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("secret", "secret must be at least 16 characters"), ("label", "label must not be empty"),
        ("code", "code must be at least 2 characters")]


def test_a_name_declared_as_input_and_output_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^Twice: x declared as input and output$"):
        Schema("Twice", "", {"x": Input("x")}, {"x": Output("x")})


def test_the_declaration_does_not_load_pydantic_or_requests() -> None:
    """The program registers resources with the declaration alone; the validation stack
    (pydantic) and the HTTP client (requests) belong to the provider host. The package's
    __init__ still imports the providers (which need both), so the module is loaded here
    under a bare package: what schema.py itself pulls in is measured."""
    code = f"""
import sys, types
package = types.ModuleType("pulumi_mihu")
package.__path__ = [{str(Path(TRUNK_MODULE).parent)!r}]
sys.modules["pulumi_mihu"] = package
import pulumi_mihu.schema
print(sorted(m for m in ("pydantic", "requests", "pulumi") if m in sys.modules))
"""
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_the_model_is_built_on_first_use_once() -> None:
    schema = trunk_with()
    assert schema._model is None
    built: list[Any] = []
    threads = [threading.Thread(target=lambda: built.append(schema.model)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(model) for model in built}) == 1 and schema.model is built[0]
    assert built[0].__name__ == "TrunkWithInputs"
    assert built[0].__module__ == __name__, "defined where the schema is declared"


def test_a_validated_model_pickles_by_reference_to_its_module() -> None:
    """The model is defined lazily, but under its module's name, where the module's
    __getattr__ finds it: pickle (and copy) work as for a class written out."""
    import pickle

    model = SipTrunkConnectionInputs.model_validate(trunk_inputs())
    assert SipTrunkConnectionInputs.__module__ == "pulumi_mihu.sip_trunk_connection"
    assert pickle.loads(pickle.dumps(model)) == model


def test_every_model_takes_the_one_rule_set_validate_implements() -> None:
    assert dict(SipTrunkConnectionInputs.model_config) == dict(MODEL_CONFIG) == {
        "strict": True, "extra": "forbid", "frozen": True}


def test_an_output_comes_from_its_api_field() -> None:
    schema: Schema[InputsModel] = Schema("Renamed", "", {}, {
        "uuid": Output("u"), "number": Output("n", field="phone_number")})
    assert schema.computed({"uuid": "u1", "phone_number": "+1"}) == {"uuid": "u1",
                                                                     "number": "+1"}
    assert schema.computed({}) == {"uuid": None, "number": None}
    assert schema.read_back({"phone_number": "+2"}) == {"number": "+2"}


def test_the_resource_name_default_is_required_of_the_model_not_of_the_program() -> None:
    spec = TRUNK.inputs["name"]
    assert spec.default is RESOURCE_NAME and repr(RESOURCE_NAME) == "RESOURCE_NAME"
    assert spec.model_required and not spec.required and not spec.nullable
    assert TRUNK.default("name") is None and TRUNK.default("secondary_gateway") is None


def test_only_an_optional_input_without_a_default_may_be_none() -> None:
    """A required input, or one with a default, is never None in the validated inputs: the
    model must not accept None for it (the generated types say the same)."""
    from pulumi_mihu.agent_sip_trunk_assignment import SCHEMA as AGENT

    nullable = {name for schema in (TRUNK, AGENT) for name, spec in schema.inputs.items()
                if spec.nullable}
    assert nullable == {"secondary_gateway", "adopt_uuid"}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is Python 3.11+")
def test_the_constructor_surfaces_match_the_declared_inputs() -> None:
    """Args dataclasses and keyword overloads are written out for IDEs: they must name
    exactly the declared inputs."""
    import dataclasses
    import inspect

    from typing_extensions import get_overloads  # typing's on 3.11+, typed for 3.10 too

    import pulumi_mihu
    from pulumi_mihu._registry import RESOURCES

    for resource in (entry.name for entry in RESOURCES):
        declared = set(getattr(pulumi_mihu, f"{resource}Inputs").model_fields)
        args = {f.name for f in dataclasses.fields(getattr(pulumi_mihu, f"{resource}Args"))}
        keyword = get_overloads(getattr(pulumi_mihu, resource).__init__)[1]
        params = set(inspect.signature(keyword).parameters) - {"self", "resource_name", "opts"}
        assert args == declared == params, resource


def test_the_trunk_declaration_derives_the_documented_sets() -> None:
    """What the API returns (read back by a refresh), what is secret, what is not sent:
    the password and username are never read back, adopt_uuid is never sent."""
    assert TRUNK.names(returned=True) == ("name", "phone_number", "gateway",
                                          "secondary_gateway")
    assert TRUNK.names(secret=True) == ("username", "password")
    assert TRUNK.names(secret=False) == ("name", "phone_number", "gateway",
                                          "secondary_gateway", "adopt_uuid")
    assert TRUNK.names(sent=False) == ("adopt_uuid",)
    assert TRUNK.names(required=True, secret=False) == ("phone_number", "gateway")


def test_declarations_are_hashable_values() -> None:
    """Input and Output are frozen values: usable as dict keys; the model's field types
    work inside typing constructs that hash their arguments (Optional[...])."""
    import typing

    assert hash(Input("d")) == hash(Input("d")) and hash(Output("d")) == hash(Output("d"))
    name_type = typing.get_type_hints(SipTrunkConnectionInputs, include_extras=True)["name"]
    assert typing.Optional[name_type] is not None  # noqa: UP045 (it hashes its argument)
