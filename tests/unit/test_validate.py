"""Check validates without pydantic (``Schema.validate``, so that a preview's provider host
never imports it), and a create with the pydantic model the schema builds. The two read
the same declaration; these tests hold them to the same answers, error by error, for
every registered resource and inputs drawn from values near each rule's edges."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pulumi_mihu._provider import describe_error
from pulumi_mihu._registry import RESOURCES
from pulumi_mihu.schema import Input, Schema
from pulumi_mihu.settings import Secret

SCHEMAS = {entry.name: entry.schema for entry in RESOURCES}


def by_model(schema: Schema[Any], values: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The pydantic model's answer: its dump, or (field, message) per error."""
    try:
        model = schema.model.model_validate(values)
    except ValidationError as exc:
        return {}, [(e["loc"][0], describe_error(str(e["loc"][0]), e))
                    for e in exc.errors(include_url=False)]
    return model.model_dump(exclude_none=True), []


def by_schema(schema: Schema[Any], values: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    checked, errors = schema.validate(values)
    return ({} if errors else checked), [(e["field"], describe_error(e["field"], e))
                                         for e in errors]


def near_edges(spec: Input) -> st.SearchStrategy[Any]:
    """Values that straddle one input's rules: its type and the others, None, blanks, the
    length limits, and text the checks accept or refuse."""
    texts = st.sampled_from([
        "", " ", "\u00a0", "x", "sip.telnyx.com", "+15551230000", "sip://a.b", "a b",
        "3c90c3cc-0d44-4b50-8888-8dd25736052a", "not-a-uuid", "line\nbreak", "10.0.0.1",
        "host:5060", "\u200b"])
    lengths = [n + d for n in (spec.min_length or 0, spec.max_length or 0) for d in (-1, 0, 1)]
    sized = st.sampled_from([n for n in lengths if n >= 0]).map(lambda n: "a" * n)
    return st.one_of(texts, sized, st.booleans(), st.none(), st.integers(-1, 1),
                     st.text(max_size=8))


def inputs_of(schema: Schema[Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {name: near_edges(spec) for name, spec in schema.inputs.items()}
    return st.fixed_dictionaries({}, optional={**fields, "extra": st.just(1),
                                               "zzz": st.just("x")})


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_check_and_the_model_agree(name: str, data: st.DataObject) -> None:
    schema = SCHEMAS[name]
    values = data.draw(inputs_of(schema))
    assert by_schema(schema, values) == by_model(schema, values)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_kind_of_error_is_reached(name: str) -> None:
    """The drawn values do reach each rule (else the agreement above proves little)."""
    schema = SCHEMAS[name]
    kinds = {"missing", "extra_forbidden", "string_type", "value_error"}
    if any(spec.type is bool for spec in schema.inputs.values()):
        kinds.add("bool_type")
    if any(spec.max_length for spec in schema.inputs.values()):
        kinds.add("string_too_long")
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(values=inputs_of(schema))
    def collect(values: dict[str, Any]) -> None:
        seen.update(error["type"] for error in schema.validate(values)[1])

    collect()
    assert kinds <= seen


def test_a_preview_host_loads_no_pydantic() -> None:
    """Unpickle the provider, configure it and check a trunk, as a preview's host does:
    pydantic is never imported (it costs about 70 ms of every preview)."""
    script = """
import sys
from pulumi.dynamic.dynamic import ConfigureRequest
from pulumi_mihu.sip_trunk_connection import SipTrunkConnectionProvider
from pulumi_mihu.agent_sip_trunk_assignment import AgentSipTrunkAssignmentProvider
def trunk_inputs(**more):
    return {"name": "a", "phone_number": "+15551230000", "gateway": "sip.telnyx.com",
            "username": "u", "password": "p", **more}
req = ConfigureRequest.__new__(ConfigureRequest)
req.config = {"mihu:apiToken": "t", "mihu:baseUrl": "http://127.0.0.1:9"}
trunk = SipTrunkConnectionProvider()
trunk.configure(req)
assert trunk.check({}, trunk_inputs(__resource_name="a")).failures == []
trunk.diff("id", trunk_inputs(), trunk_inputs(gateway="sip2.telnyx.com"))
agent = AgentSipTrunkAssignmentProvider()
agent.configure(req)
assert agent.check({}, {"agent_uuid": "x"}).failures
print(sorted(m for m in sys.modules if m.partition(".")[0] in ("pydantic", "requests")))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_token_is_masked_and_compared_by_value() -> None:
    token = Secret("tok-123")
    assert "tok-123" not in repr(token) + str(token)
    assert token.get_secret_value() == "tok-123"
    assert token == Secret("tok-123") and token != "tok-123"
    assert token != Secret("tok-124") and Secret("tok-124") != token
    assert len({token, Secret("tok-123")}) == 1
