"""The native provider's package schema (pulumi_mihu/native/package_schema.py) is the
resources' declarations in Pulumi's terms, derived, never written by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_mihu
from pulumi_mihu._registry import RESOURCES, by_name
from pulumi_mihu.native.package_schema import (
    CONFIG,
    camel,
    lookup_of,
    names_of,
    package_schema,
    schema_json,
    type_token,
)
from pulumi_mihu.settings import ALL_SETTINGS

TRUNK = "mihu:index:SipTrunkConnection"
ASSIGNMENT = "mihu:index:AgentSipTrunkAssignment"


def resource(token: str) -> dict[str, Any]:
    spec: dict[str, Any] = package_schema()["resources"][token]
    return spec


def test_camel_case() -> None:
    assert [camel(n) for n in ("name", "phone_number", "secondary_gateway", "adopt_uuid",
                               "created_at")] == [
        "name", "phoneNumber", "secondaryGateway", "adoptUuid", "createdAt"]


def test_tokens_are_the_registry_s_resources() -> None:
    assert list(package_schema()["resources"]) == [type_token(e) for e in RESOURCES]
    assert {type_token(e) for e in RESOURCES} == {TRUNK, ASSIGNMENT}
    assert json.loads(schema_json())["name"] == "mihu"


def test_trunk_properties_names_secrets_replacements_required() -> None:
    spec = resource(TRUNK)
    assert list(spec["inputProperties"]) == [
        "name", "phoneNumber", "gateway", "username", "password", "secondaryGateway",
        "adoptUuid"]
    assert spec["requiredInputs"] == ["phoneNumber", "gateway", "username", "password"]
    secret = {k for k, v in spec["inputProperties"].items() if v.get("secret")}
    assert secret == {"username", "password"}
    assert {k for k, v in spec["properties"].items() if v.get("secret")} == secret
    replaces = {k for k, v in spec["inputProperties"].items() if v.get("replaceOnChanges")}
    assert replaces == {"name", "phoneNumber", "gateway", "username", "password",
                        "secondaryGateway"}
    # adopt_uuid is read at create only: an input, not an output
    assert "adoptUuid" not in spec["properties"]
    assert {"uuid", "status", "createdAt", "updatedAt"} <= set(spec["properties"])
    # the id is in every state (SDKs type it present); the API's other fields may be absent
    assert "uuid" in spec["required"]
    assert not {"status", "createdAt", "updatedAt"} & set(spec["required"])
    assert spec["inputProperties"]["phoneNumber"]["description"].startswith(
        "The number the trunk routes calls to")
    assert spec["inputProperties"]["phoneNumber"]["description"].endswith("1-32 characters.")
    assert all(v["type"] == "string" for v in spec["properties"].values())


def test_assignment_properties() -> None:
    spec = resource(ASSIGNMENT)
    assert list(spec["inputProperties"]) == ["agentUuid", "connectionUuid", "force"]
    assert spec["requiredInputs"] == ["agentUuid", "connectionUuid"]
    force = spec["inputProperties"]["force"]
    assert (force["type"], force["default"], force.get("replaceOnChanges")) == (
        "boolean", False, None)
    assert spec["inputProperties"]["agentUuid"]["replaceOnChanges"] is True
    assert "phoneNumber" in spec["properties"]
    assert not any(v.get("secret") for v in spec["inputProperties"].values())


def test_each_schema_flag_is_derived_not_written() -> None:
    """Every input of every registered schema, whatever its flags, appears as they say."""
    for entry in RESOURCES:
        spec, names = resource(type_token(entry)), names_of(entry.schema)
        for name, declared in entry.schema.inputs.items():
            prop = spec["inputProperties"][names.to_camel[name]]
            assert prop.get("secret", False) == declared.secret, name
            assert prop.get("replaceOnChanges", False) == (declared.replaces and
                                                           declared.compared), name
            assert (names.to_camel[name] in spec["requiredInputs"]) == declared.required, name
            assert (names.to_camel[name] in spec["properties"]) == declared.compared, name
        for name, output in entry.schema.outputs.items():
            assert (names.to_camel[name] in spec["required"]) == output.always, name
        assert set(names.to_snake.values()) == {*entry.schema.inputs, *entry.schema.outputs}


def test_the_lookup_function_is_derived_from_the_connection_s_declarations() -> None:
    """``getSipTrunkConnection``: a resource has a lookup where its provider reads an item
    (the registry's ``GET .../{uuid}``), by that route's parameter, returning the
    non-secret returned inputs and computed outputs with their declared docs."""
    functions = package_schema()["functions"]
    assert list(functions) == ["mihu:index:getSipTrunkConnection"]
    spec = functions["mihu:index:getSipTrunkConnection"]
    assert spec["inputs"]["required"] == ["uuid"]
    assert list(spec["inputs"]["properties"]) == ["uuid"]
    outputs = spec["outputs"]["properties"]
    assert list(outputs) == ["uuid", "name", "phoneNumber", "gateway", "secondaryGateway",
                             "status", "createdAt", "updatedAt"]
    assert spec["outputs"]["required"] == ["uuid", "name", "phoneNumber", "gateway"]
    assert not any(v.get("secret") for v in outputs.values())
    trunk = resource(TRUNK)["properties"]
    for name, prop in outputs.items():
        assert (prop["type"], prop["description"]) == (trunk[name]["type"],
                                                       trunk[name]["description"]), name
    # The agent assignment: no read route, so no lookup.
    assert lookup_of(by_name("AgentSipTrunkAssignment")) is None


def test_a_lookup_never_returns_a_secret_input_the_api_returns() -> None:
    """Were a credential declared returned, the lookup would still not return it."""
    import dataclasses

    entry = by_name("SipTrunkConnection")
    schema = entry.schema
    saved = dict(schema.inputs)
    try:
        schema.inputs["password"] = dataclasses.replace(schema.inputs["password"],
                                                        returned=True)
        lookup = lookup_of(entry)
        assert lookup is not None and "password" not in lookup.outputs
    finally:
        schema.inputs.clear()
        schema.inputs.update(saved)


def test_provider_config_is_every_setting() -> None:
    schema = package_schema()
    assert set(CONFIG) == set(ALL_SETTINGS)
    variables = schema["config"]["variables"]
    assert list(variables) == [s.key for s in ALL_SETTINGS]
    assert "apiToken" in variables and "baseUrl" in variables and "subdomain" in variables
    assert {k for k, v in variables.items() if v.get("secret")} == {"apiToken"}
    assert schema["provider"]["inputProperties"] == variables
    assert not any("default" in v for v in variables.values())


def test_nothing_in_the_package_imports_the_native_layer() -> None:
    """A layer on top: only its own modules (and the entry point) import it."""
    root = Path(pulumi_mihu.__file__).parent
    importing = re.compile(r"^\s*(from|import)\s+(\.+|pulumi_mihu\.)native\b|"
                           r"^\s*from\s+(\.|pulumi_mihu)\s+import\s+.*\bnative\b", re.M)
    offenders = [path.name for path in root.rglob("*.py")
                 if "native" not in path.relative_to(root).parts
                 and importing.search(path.read_text())]
    assert offenders == []




def test_by_name_still_resolves() -> None:
    assert by_name("SipTrunkConnection").name == "SipTrunkConnection"
