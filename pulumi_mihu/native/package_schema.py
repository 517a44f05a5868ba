"""The Pulumi package schema of the native provider ``mihu``, generated from the resources'
declarations (:mod:`pulumi_mihu.schema`, :data:`pulumi_mihu._registry.RESOURCES`) and the
settings (:mod:`pulumi_mihu.settings`), and the property names both ways.

Pulumi's conventions: the type token ``mihu:index:<Name>``; camelCase property names
(``phone_number`` is ``phoneNumber``); ``secret`` on credentials; ``replaceOnChanges`` on the
inputs whose change replaces the resource; ``requiredInputs`` the inputs a program must
give; the provider's configuration ``mihu:<key>`` with the keys the dynamic mode reads
(``apiToken``, secret, ``subdomain``, ``baseUrl``, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from .._registry import RESOURCES, Registered
from .._version import __version__
from ..schema import RESOURCE_NAME, Input, Output, Schema
from ..settings import (
    ALL_SETTINGS,
    ALLOW_UNCHECKED_CREATES,
    API_TOKEN,
    BASE_URL,
    CREATE_SETTLE_TIME,
    DEFAULT_CREATE_SETTLE_TIME,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY_BASE_DELAY,
    DEFAULT_RETRY_DEADLINE,
    MAX_ATTEMPTS,
    REQUEST_TIMEOUT,
    RETRY_BASE_DELAY,
    RETRY_DEADLINE,
    SUBDOMAIN,
    Setting,
)

__all__ = [
    "GO_IMPORT_PATH",
    "MODULE",
    "NODE_PACKAGE",
    "PACKAGE",
    "PYTHON_PACKAGE",
    "Lookup",
    "Names",
    "camel",
    "function_spec",
    "lookup_of",
    "lookups",
    "names_of",
    "package_schema",
    "schema_json",
    "type_token",
]

PACKAGE = "mihu"
MODULE = "index"
#: The npm package of the generated Node.js SDK (sdk/nodejs): scoped by the GitHub
#: organisation, as third-party Pulumi packages are (``@pulumi/`` is Pulumi's own).
NODE_PACKAGE = "@mihu-ai/pulumi-mihu"
#: The TypeScript that builds the Node.js SDK (`tsc` in scripts/pack-node-sdk.sh; a
#: devDependency of its package.json): the 5.9 of examples/typescript, which type-checks
#: a program against the built SDK, not the generator's default ^4.7.0 (TypeScript 4.9.5).
#: Not 7.x (the Go port), which @pulumi/pulumi's peerDependencies exclude (">= 3.8.3 < 7"),
#: nor 6.x (the release deprecating options on the way to 7; Pulumi's Bun template asks ^5).
NODE_TYPESCRIPT = "^5.9.3"
#: The Go module (and package) of the generated Go SDK (sdk/go/mihu).
GO_IMPORT_PATH = "github.com/mihu-ai/pulumi-mihu/sdk/go/mihu"

#: The Python package (import name, and its PyPI name ``pulumi-mihu-native``) of the
#: generated Python SDK (sdk/python): not ``pulumi_mihu``, the dynamic resources' package,
#: whose classes of the same names it would otherwise shadow, and whose
#: ``pulumi-plugin.json`` says it needs no plugin while this one's names the plugin ``mihu``.
PYTHON_PACKAGE = "pulumi_mihu_native"

#: Schema types of the Python types a declaration may use.
_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def camel(snake: str) -> str:
    """``phone_number`` -> ``phoneNumber``: Pulumi's property names."""
    first, *rest = snake.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def type_token(entry: Registered) -> str:
    """``mihu:index:SipTrunkConnection``."""
    return f"{PACKAGE}:{MODULE}:{entry.name}"


@dataclass(frozen=True)
class Names:
    """One resource's property names, both ways: every input and output."""

    to_camel: Mapping[str, str]
    to_snake: Mapping[str, str]

    def camel_keys(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Provider values (snake_case) as the engine's properties; ``__`` keys dropped."""
        return {self.to_camel.get(k, k): v for k, v in values.items() if not k.startswith("__")}


@cache
def names_of(schema: Schema[Any]) -> Names:
    """The names of a schema's inputs and outputs: derived, never written by hand. Two
    names with one camelCase spelling would be ambiguous: refused."""
    to_camel = {name: camel(name) for name in (*schema.inputs, *schema.outputs)}
    to_snake = {c: s for s, c in to_camel.items()}
    if len(to_snake) != len(to_camel):
        raise TypeError(f"{schema.name}: two properties have the same camelCase name")
    return Names(to_camel, to_snake)


def _input_property(spec: Input) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": _TYPES[spec.type], "description": spec.described}
    if spec.secret:
        prop["secret"] = True
    if spec.replaces and spec.compared:
        prop["replaceOnChanges"] = True
    if spec.default is not None and spec.default is not RESOURCE_NAME:
        prop["default"] = spec.default
    return prop


def _output_property(spec: Output) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": _TYPES[spec.type], "description": spec.doc}
    if spec.secret:
        prop["secret"] = True
    return prop


def resource_spec(entry: Registered) -> dict[str, Any]:
    """One resource's entry of ``resources``: its inputs (every declared one) and its
    outputs (the compared inputs, as stored, and the computed outputs)."""
    schema = entry.schema
    names = names_of(schema)
    inputs = {names.to_camel[n]: _input_property(s) for n, s in schema.inputs.items()}
    outputs = {names.to_camel[n]: _input_property(s)
               for n, s in schema.inputs.items() if s.compared}
    outputs.update({names.to_camel[n]: _output_property(s) for n, s in schema.outputs.items()})
    # An output is always there when the validated inputs always have it, or when it is
    # declared so (the id).
    always = [names.to_camel[n] for n, s in schema.inputs.items()
              if s.compared and (s.model_required or s.default is not None)]
    always += [names.to_camel[n] for n, o in schema.outputs.items() if o.always]
    return {
        "description": _resource_description(entry),
        "properties": outputs,
        "required": always,
        "inputProperties": inputs,
        "requiredInputs": [names.to_camel[n] for n in schema.names(required=True)],
    }


#: A provider's item read route, as the registry lists it: ``GET <collection>/{<key>}``.
_ITEM_READ = re.compile(r"^GET (?P<collection>/\S+)/\{(?P<key>\w+)\}$")


@dataclass(frozen=True)
class Lookup:
    """A resource's lookup function (``getSipTrunkConnection``), derived from its
    declarations: a resource has one when its provider reads one item by id (the registry
    lists a ``GET .../{key}`` route), it takes that route's parameter, which must be a
    declared output (the id: ``uuid``), and it returns what the API reports of the
    resource, the secret inputs and outputs left out whatever the API answers."""

    entry: Registered
    key: str
    """The input: the item route's path parameter (snake_case), a declared output."""
    route: str
    """The item read route, ``GET /channels/sip-trunk/connections/{uuid}``."""

    @property
    def token(self) -> str:
        """``mihu:index:getSipTrunkConnection``: Pulumi's name for a resource's lookup."""
        return f"{PACKAGE}:{MODULE}:get{self.entry.name}"

    @property
    def outputs(self) -> tuple[str, ...]:
        """What it returns (snake_case): the key, the inputs the API returns and the
        computed outputs, never a secret one. A secret the API came to return would still
        not be returned: only these names are."""
        schema = self.entry.schema
        returned = [n for n in schema.names(returned=True) if not schema.inputs[n].secret]
        computed = [n for n, spec in schema.outputs.items() if not spec.secret]
        return tuple(dict.fromkeys([self.key, *returned, *computed]))

    @property
    def required(self) -> tuple[str, ...]:
        """The outputs always there: the key, and the returned inputs that every
        resource's validated inputs have (the API's create requires them)."""
        schema = self.entry.schema
        return (self.key, *(n for n in schema.names(returned=True)
                            if n in self.outputs and schema.inputs[n].model_required))


def lookup_of(entry: Registered) -> Lookup | None:
    """The resource's lookup function; None where its provider reads no item by id (the
    agent assignment: the API has no way to read one)."""
    for route in entry.api:
        match = _ITEM_READ.match(route)
        if match:
            if match["key"] not in entry.schema.outputs:
                raise TypeError(f"{entry.name}: the read route's {{{match['key']}}} is no "
                                "declared output")
            return Lookup(entry, match["key"], route)
    return None


def lookups() -> tuple[Lookup, ...]:
    """Every resource's lookup function, in the registry's order."""
    return tuple(lookup for entry in RESOURCES if (lookup := lookup_of(entry)) is not None)


def function_spec(lookup: Lookup) -> dict[str, Any]:
    """One lookup's entry of ``functions``: its input (the key) and its outputs, with the
    declarations' types and docs."""
    schema, entry = lookup.entry.schema, lookup.entry
    names = names_of(schema)

    def prop(name: str) -> dict[str, Any]:
        # As the resource's properties say them (an input's doc with its length rule).
        if name in schema.inputs:
            return {"type": _TYPES[schema.inputs[name].type],
                    "description": schema.inputs[name].described}
        return {"type": _TYPES[schema.outputs[name].type],
                "description": schema.outputs[name].doc}

    key = names.to_camel[lookup.key]
    method, path = lookup.route.split(" ", 1)
    return {
        "description": f"Look up an existing {entry.name} by its {key}: what the Mihu API "
                       f"reports of it, never a secret (it reads {method} /api/v1{path}). It "
                       f"fails, saying so, where the API cannot read it or no {entry.name} "
                       f"has that {key}. A query: it changes nothing.",
        "inputs": {"properties": {key: {**prop(lookup.key), "description":
                                        f"The {key} of the {entry.name} to look up."}},
                   "required": [key]},
        "outputs": {"properties": {names.to_camel[n]: prop(n) for n in lookup.outputs},
                    "required": [names.to_camel[n] for n in lookup.required]},
    }


def _resource_description(entry: Registered) -> str:
    """The first paragraph of the resource class's docstring (its module is imported
    anyway, for its schema; the provider's module is not)."""
    doc = entry.resource_class().__doc__ or entry.name
    return " ".join(doc.strip().split("\n\n")[0].split())


@dataclass(frozen=True)
class _ConfigSpec:
    type: str
    doc: str
    default: Any = None
    secret: bool = False


#: The provider configuration: each setting of :mod:`pulumi_mihu.settings` (the README's
#: "Configure" table). A test holds that every setting has its entry.
CONFIG: dict[Setting, _ConfigSpec] = {
    API_TOKEN: _ConfigSpec("string", "The Mihu API token (Bearer); set it as a secret.",
                           secret=True),
    SUBDOMAIN: _ConfigSpec("string", "Your account's subdomain: the API is at "
                           "https://{subdomain}.mihu.ai. This or baseUrl is required."),
    BASE_URL: _ConfigSpec("string", "The whole base URL, e.g. https://acme.mindhunters.ai; "
                          "wins over the subdomain. Plain http only to loopback."),
    REQUEST_TIMEOUT: _ConfigSpec("number", "Seconds per HTTP request.",
                                 DEFAULT_REQUEST_TIMEOUT),
    MAX_ATTEMPTS: _ConfigSpec("integer", "Tries per API call, retries included.",
                              DEFAULT_MAX_ATTEMPTS),
    RETRY_DEADLINE: _ConfigSpec("number", "Seconds all tries of one call may take.",
                                DEFAULT_RETRY_DEADLINE),
    RETRY_BASE_DELAY: _ConfigSpec("number", "The first backoff delay in seconds; doubles "
                                  "per retry, with jitter, capped at 10 s.",
                                  DEFAULT_RETRY_BASE_DELAY),
    CREATE_SETTLE_TIME: _ConfigSpec("number", "Seconds to watch the list for a connection "
                                    "after a create got no clear answer.",
                                    DEFAULT_CREATE_SETTLE_TIME),
    ALLOW_UNCHECKED_CREATES: _ConfigSpec("boolean", "true lets creates go ahead where the "
                                         "list of connections answers but cannot be read "
                                         "whole, without the duplicate check.", False),
}


def _config_property(setting: Setting) -> dict[str, Any]:
    spec = CONFIG[setting]
    doc = spec.doc if spec.default is None else f"{spec.doc} Default: {spec.default}."
    prop: dict[str, Any] = {"type": spec.type, "description": doc}
    if spec.secret:
        prop["secret"] = True
    # No "default": a generated SDK would send it, and a provider given any setting reads
    # none from the environment (settings come from one source, settings.py).
    return prop


def package_schema() -> dict[str, Any]:
    """The package schema (``pulumi package get-schema mihu``)."""
    config = {s.key: _config_property(s) for s in ALL_SETTINGS}
    return {
        "name": PACKAGE,
        "displayName": "Mihu",
        "version": __version__,
        "description": "Mihu voice-AI platform: SIP trunk connections and the agents' "
                       "call routing through them.",
        "keywords": ["pulumi", "mihu", "voice-ai", "sip", "category/cloud", "kind/native"],
        "homepage": "https://github.com/mihu-ai/pulumi-mihu",
        "repository": "https://github.com/mihu-ai/pulumi-mihu",
        "license": "Apache-2.0",
        "publisher": "Mihu",
        "config": {"variables": config},
        "provider": {"description": "The Mihu provider: one Mihu account.",
                     "properties": config, "inputProperties": config},
        "resources": {type_token(entry): resource_spec(entry) for entry in RESOURCES},
        "functions": {lookup.token: function_spec(lookup) for lookup in lookups()},
        "language": {
            # The generated SDKs (sdk/, scripts/gen-sdks.sh): each carries the schema's
            # version, so a program asks the engine for the plugin of its SDK's version.
            # Python: a pyproject.toml (pip installs sdk/python as it is; its project name
            # is the package name) and the Python versions pulumi-mihu supports.
            "python": {"packageName": PYTHON_PACKAGE, "respectSchemaVersion": True,
                       "pythonRequires": ">=3.10", "pyproject": {"enabled": True}},
            # Node.js: the TypeScript that builds the SDK (NODE_TYPESCRIPT), not the
            # generator's default ^4.7.0 (4.9.5 on npm).
            "nodejs": {"packageName": NODE_PACKAGE, "respectSchemaVersion": True,
                       "typescriptVersion": NODE_TYPESCRIPT,
                       "packageDescription": "Pulumi provider for Mihu (native): SIP trunk "
                                             "connections and the agents' call routing."},
            "go": {"importBasePath": GO_IMPORT_PATH, "respectSchemaVersion": True},
        },
    }


@cache
def schema_json() -> str:
    """The schema as the GetSchema request answers it."""
    return json.dumps(package_schema(), indent=2, sort_keys=False)
