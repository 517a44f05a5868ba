"""Writes what is derived from the resources' schemas into the files that must spell it
out: Python typing needs the Args dataclass, the keyword ``@overload`` and the output
annotations written in the resource module (for IDEs and mypy, as a generated Pulumi SDK
has them), and the README and ``docs/resources.md`` show the inputs and outputs as tables.

    python scripts/gen.py           # rewrite every generated region
    python scripts/gen.py --check   # exit 1, naming the files that differ (a hand edit)

Only the text between a start marker and the next end marker is written:

    # --- generated from the schema: do not edit (scripts/gen.py KIND) ---
    # --- end of generated code ---
    <!-- generated from the schema: do not edit (scripts/gen.py KIND) -->
    <!-- end of generated tables -->

KIND is ``exports`` (``pulumi_mihu/__init__.py``: every resource's public names),
``args`` (module level of a resource module: the input model's type, its lazy
export and the Args dataclass), ``constructor`` (in the resource class: its schema, Args
and provider, the output annotations and both constructor shapes), a resource's name (its
README tables), ``reference`` (docs/resources.md: every resource), ``settings``
(docs/installation-configuration.md: every setting, its config key and environment
variable, from pulumi_mihu/settings.py and the native schema's declarations) or
``api:NAME`` (docs/api-docs/<name>.md: one resource's Registry-style API doc, from its
schema, the package schema and the simulator's routes). Which resource a module's regions
are for comes from the registry (pulumi_mihu/_registry.py); each resource has its API doc
page, which a run creates (a title and the empty region) when it is missing.
tests/unit/test_generated.py runs the check in the fast tier.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def bare_package() -> None:
    """Import ``pulumi_mihu``'s modules without running its ``__init__``, whose imports
    (generated here) fail while a region is empty, say for a new resource: the generator
    must run from a module that does not import yet. In a process where the package is
    imported already (the tests), nothing changes."""
    if "pulumi_mihu" not in sys.modules:
        import types

        package = types.ModuleType("pulumi_mihu")
        package.__path__ = [str(ROOT / "pulumi_mihu")]
        sys.modules["pulumi_mihu"] = package


bare_package()
from pulumi_mihu._registry import RESOURCES, Registered, by_name  # noqa: E402
from pulumi_mihu.schema import RESOURCE_NAME, Input, Schema  # noqa: E402

START = re.compile(r"^\s*(# ---|<!--) generated from the schema: do not edit "
                   r"\(scripts/gen\.py (?P<kind>\S+)\) (---|-->)$")
END = re.compile(r"^\s*(# --- end of generated code ---|<!-- end of generated tables -->)$")
WIDTH = 92  # docstrings and tables wrap here (ruff's limit is 100)
README = ROOT / "README.md"
REFERENCE = ROOT / "docs" / "resources.md"
INSTALLATION = ROOT / "docs" / "installation-configuration.md"
API_DOCS = ROOT / "docs" / "api-docs"


# -- Python -------------------------------------------------------------------------------

def type_name(spec: Any, nullable: bool = False) -> str:
    """``str``, ``bool``...: an input the model lets be None is ``str | None`` in the
    model's type and in its output, but not in Args, where None means "not given"."""
    name: str = spec.type.__name__
    return f"{name} | None" if nullable else name


def param(prefix: str, doc: str, indent: str) -> list[str]:
    """One ``:param`` entry, wrapped with a hanging indent."""
    return textwrap.wrap(f"{prefix} {doc}", WIDTH, initial_indent=indent,
                         subsequent_indent=indent + "       ", break_on_hyphens=False)


def docstring(text: str, indent: str) -> list[str]:
    """A docstring of one paragraph, wrapped: one line when it fits."""
    lines = textwrap.wrap(text, WIDTH - 6, initial_indent=indent, subsequent_indent=indent,
                          break_on_hyphens=False)
    if len(lines) == 1:
        return [f'{indent}"""{text}"""']
    return [f'{indent}"""{lines[0].strip()}', *lines[1:-1], f'{lines[-1]}"""']


def article(name: str) -> str:
    """'an AgentSipTrunkAssignment', 'a SipTrunkConnection': docstrings read as prose."""
    return "an" if name[0] in "AEIOU" else "a"


def on_change(spec: Input) -> str:
    """What a change does, said in each keyword parameter's doc, as generated Pulumi SDKs
    say that a change forces a replacement."""
    if not spec.compared:
        return ""
    return " A change replaces the resource." if spec.replaces else (
        " A change updates it in place.")


def ordered(schema: Schema[Any]) -> list[tuple[str, Input]]:
    """The inputs as the constructors list them: the required ones first."""
    return sorted(schema.inputs.items(), key=lambda item: not item[1].required)


def render_args(entry: Registered) -> list[str]:
    """Module level: the input model's type, for type checkers only (the model itself is
    built on first use: the module's ``__getattr__`` hands it out), and the Args
    dataclass, the required inputs first as a dataclass needs."""
    schema, model = entry.schema, f"{entry.name}Inputs"
    provider, implementation = f"{entry.name}Provider", entry.implementation_module
    lines = ["if TYPE_CHECKING:",
             *sorted([f"    from .{implementation.rpartition('.')[2]} import {provider}",
                      "    from ._model import InputsModel"]), "",
             f"    class {model}(InputsModel):",
             '        """The validated inputs: the pydantic model built from SCHEMA."""', ""]
    lines += [f"        {name}: {type_name(spec, spec.nullable)}"
              for name, spec in schema.inputs.items()]
    lines += ["else:", "    def __getattr__(name: str) -> Any:",
              f'        """{model}, the pydantic model of SCHEMA, built on first use, and',
              f"        {provider}, the class stacks name (its code is in",
              f'        {implementation}): loaded when first asked for."""',
              f'        if name == "{model}":', "            return SCHEMA.model",
              f'        if name == "{provider}":',
              f"            from .{implementation.rpartition('.')[2]} import {provider}",
              "", f"            return {provider}",
              '        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
              "", "", "@dataclass", f"class {entry.name}Args:",
              f'    """The inputs of {article(entry.name)} {entry.name}, as in Pulumi\'s generated '
              "SDKs.", ""]
    for name, spec in schema.inputs.items():
        lines += param(f":param {name}:", spec.described, "    ")
    lines += ['    """', ""]
    for name, spec in ordered(schema):
        value = f"pulumi.Input[{type_name(spec)}]"
        lines.append(f"    {name}: {value}" + ("" if spec.required else " | None = None"))
    return lines


def render_outputs(schema: Schema[Any]) -> list[str]:
    """The outputs' annotations, computed first, then the inputs that are outputs."""
    lines = ["    if TYPE_CHECKING:",
             "        # Typed for IDEs and mypy, but kept out of the runtime __annotations__: the",
             "        # SDK resolves a resource class's annotations with typing.get_type_hints on",
             "        # every registration (~1 ms each)."]
    for name, output in schema.outputs.items():
        lines += [f"        {name}: pulumi.Output[{type_name(output)}]",
                  *docstring(output.doc, " " * 8)]
    for name, spec in schema.inputs.items():
        if spec.compared:
            lines += [f"        {name}: pulumi.Output[{type_name(spec, spec.nullable)}]",
                      *docstring(spec.doc, " " * 8)]
    return lines


def required_list(schema: Schema[Any]) -> str:
    """'``a`` and ``b`` (required), ``c``': the Args overload names what it must hold."""
    required = [f"``{name}``" for name, spec in ordered(schema) if spec.required]
    optional = [f"``{name}``" for name, spec in ordered(schema) if not spec.required]
    said = ", ".join(required[:-1]) + f" and {required[-1]}" if len(required) > 1 else (
        "".join(required))
    return ", ".join(filter(None, [f"{said} (required)" if said else "", *optional]))


def render_constructor(entry: Registered) -> list[str]:
    """In the class: the schema, Args and provider ``_register`` reads, the outputs, both
    constructor shapes as overloads (for IDEs and mypy) and the ``__init__`` that calls
    ``_register`` (not ``super().__init__``: see ``MihuDynamicResource``)."""
    schema, args = entry.schema, f"{entry.name}Args"
    summary = (inspect.getdoc(entry.resource_class()) or entry.name).splitlines()[0]
    lines = ["    _mihu_schema = SCHEMA", f"    _mihu_args = {args}",
             f'    _mihu_provider = "{entry.provider}"', "",
             *render_outputs(schema), "", "    @overload",
             f"    def __init__(self, resource_name: str, args: {args},",
             "                 opts: pulumi.ResourceOptions | None = None) -> None:",
             f'        """{summary}', "", "        The inputs given as one object.", "",
             "        :param str resource_name: The name of the resource (unique in the stack).",
             *param(f":param {args} args:", f"The inputs: {required_list(schema)}.", " " * 8),
             "        :param pulumi.ResourceOptions opts: Options for the resource.",
             '        """', "", "    @overload",
             "    def __init__(self, resource_name: str, "
             "opts: pulumi.ResourceOptions | None = None, *,"]
    keywords = [f"                 {name}: pulumi.Input[{type_name(spec)}] | None = None"
                for name, spec in ordered(schema)]
    lines += [line + "," for line in keywords[:-1]] + [keywords[-1] + ") -> None:"]
    lines += [f'        """{summary}', "",
              "        :param str resource_name: The name of the resource (unique in the stack).",
              "        :param pulumi.ResourceOptions opts: Options for the resource."]
    for name, spec in ordered(schema):
        lines += param(f":param pulumi.Input[{type_name(spec)}] {name}:",
                       spec.described + on_change(spec), " " * 8)
    return [*lines, '        """', "",
            "    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:",
            "        self._register(resource_name, args, kwargs)"]


def render_exports() -> list[str]:
    """``pulumi_mihu/__init__.py``'s imports of every resource's public names and their
    ``__all__``; the input models are exported lazily (its ``__getattr__``), so only type
    checkers import them here; so are the provider classes, which only the provider host
    needs."""
    entries = sorted(RESOURCES, key=lambda e: e.module)
    lines = ["# isort: split"]
    for entry in entries:
        lines += [f"from {entry.module.removeprefix('pulumi_mihu')} import {entry.name}, "
                  f"{entry.name}Args"]
    lines += ["", "if TYPE_CHECKING:"]
    for entry in entries:
        lines += [f"    from {entry.module.removeprefix('pulumi_mihu')} import (",
                  f"        {entry.name}Inputs,", f"        {entry.name}Provider,", "    )"]
    lines += ["", "__all__ = ["]
    lines += [f'    "{entry.name}{suffix}",' for entry in sorted(RESOURCES, key=lambda e: e.name)
              for suffix in ("", "Args", "Inputs", "Provider")]
    return [*lines, "]"]


# -- Markdown -------------------------------------------------------------------------------

def cell(text: str) -> str:
    """A table cell: a ``|`` of the text would end it."""
    return text.replace("|", "\\|")


def required_cell(spec: Input) -> str:
    """'yes', or 'no' with the default the resource fills in."""
    if spec.required:
        return "yes"
    if spec.default is RESOURCE_NAME:
        return "no (the resource name)"
    return "no" if spec.default is None else f"no ({str(spec.default).lower()})"


def change_cell(spec: Input) -> str:
    """What a change of the input does to the resource."""
    if not spec.compared:
        return "read at create only"
    return "replaces" if spec.replaces else "updates in place"


def yes(flag: bool) -> str:
    """A flag as a table says it."""
    return "yes" if flag else "no"


def render_readme(entry: Registered) -> list[str]:
    """The README's tables of one resource: what a user sets and reads, in their words."""
    schema = entry.schema
    lines = ["| input | required | secret | on change | meaning |", "|---|---|---|---|---|"]
    lines += [f"| `{name}` | {required_cell(spec)} | {yes(spec.secret)} | {change_cell(spec)} "
              f"| {cell(spec.described)} |" for name, spec in schema.inputs.items()]
    lines += ["", "| output | secret | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {yes(output.secret)} | {cell(output.doc)} |"
              for name, output in schema.outputs.items()]
    return [*lines, "", *textwrap.wrap(inputs_as_outputs(schema), 88)]


def inputs_as_outputs(schema: Schema[Any]) -> str:
    """The sentence saying which inputs are outputs too."""
    listed = ", ".join(f"`{name}`" for name in schema.names(compared=True))
    create_only = ", ".join(f"`{name}`" for name in schema.names(compared=False))
    secret = ", ".join(f"`{name}`" for name in schema.names(compared=True, secret=True))
    said = f"Every input but {create_only}" if create_only else "Every input"
    return (f"{said} is an output too, as stored: {listed}"
            + (f" ({secret} secret)." if secret else "."))


def rules(spec: Input) -> str:
    """Every rule of an input, for the reference: its length, then each function's."""
    said = []
    if spec.max_length is not None:
        said.append(spec.described.removeprefix(spec.doc).strip().rstrip("."))
    checks: Iterable[Callable[..., Any]] = (*((spec.before,) if spec.before else ()), *spec.checks)
    said += [rule_of(check) for check in checks]
    return "; ".join(said)


def rule_of(check: Callable[..., Any]) -> str:
    """What a check function enforces: its docstring up to the first colon or full stop
    (the rest says why)."""
    doc = " ".join((inspect.getdoc(check) or check.__name__).split())
    return re.split(r"[:.](\s|$)", doc, maxsplit=1)[0]


def render_reference() -> list[str]:
    """docs/resources.md: every resource with every flag, type and rule of its schema."""
    lines: list[str] = []
    for entry in RESOURCES:
        schema = entry.schema
        summary = (inspect.getdoc(entry.resource_class()) or "").splitlines()[0]
        lines += [f"## `{entry.name}`", "", summary, "", *textwrap.wrap(
                  f"Type `{entry.type_token}`; provider `{entry.provider}` (pickled by that "
                  f"path into each resource's state); example `examples/{entry.example}`.",
                  88, break_on_hyphens=False, break_long_words=False), "",
                  "| input | type | required | secret | on change | sent | returned | rules "
                  "| meaning |", "|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| `{name}` | {cell(type_name(spec, spec.nullable))} | {required_cell(spec)} | "
                  f"{'yes' if spec.secret else 'no'} | {change_cell(spec)} | "
                  f"{'yes' if spec.sent else 'no'} | {'yes' if spec.returned else 'no'} | "
                  f"{cell(rules(spec))} | {cell(spec.doc)} |"
                  for name, spec in schema.inputs.items()]
        lines += ["", "| output | type | secret | API field | meaning |", "|---|---|---|---|---|"]
        lines += [f"| `{name}` | {type_name(output)} | {'yes' if output.secret else 'no'} | "
                  f"`{output.field or name}` | {cell(output.doc)} |"
                  for name, output in schema.outputs.items()]
        lines.append("")
    return lines[:-1]


# -- Registry-style docs ------------------------------------------------------------------

def render_settings() -> list[str]:
    """docs/installation-configuration.md's table: every setting of pulumi_mihu/settings.py
    (``ALL_SETTINGS``) with its config key, environment variable, type, default and meaning
    as the native package schema declares them (``CONFIG``: a test holds that every setting
    has its entry), so the page, the schema and the settings cannot disagree."""
    from pulumi_mihu.native.package_schema import CONFIG
    from pulumi_mihu.settings import ALL_SETTINGS

    lines = ["| stack config | environment variable | type | default | secret | meaning |",
             "|---|---|---|---|---|---|"]
    for setting in ALL_SETTINGS:
        spec = CONFIG[setting]
        default = "" if spec.default is None else f"`{str(spec.default).lower()}`"
        lines.append(f"| `{setting.config_key}` | `{setting.env}` | {spec.type} | {default} | "
                     f"{yes(spec.secret)} | {cell(spec.doc)} |")
    return lines


#: The package schema's names of the types a declaration may use.
SCHEMA_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def api_doc_path(entry: Registered) -> Path:
    """``docs/api-docs/siptrunkconnection.md``: named as the Registry names the page."""
    return API_DOCS / f"{entry.name.lower()}.md"


def placeholder(spec: Any, language: str) -> str:
    """The value a constructor-syntax example shows for a property of this type, as the
    Registry's pages show them: ``"string"``, ``false``."""
    if spec.type is bool:
        return {"python": "False", "go": "pulumi.Bool(false)"}.get(language, "false")
    return 'pulumi.String("string")' if language == "go" else '"string"'


def constructor_syntax(entry: Registered) -> list[str]:
    """The resource declared with every input, in the four languages: Python (the dynamic
    resource, snake_case), YAML, TypeScript and Go (the native provider, camelCase, the
    generated SDKs' names)."""
    from pulumi_mihu.native.package_schema import GO_IMPORT_PATH, NODE_PACKAGE, camel

    inputs = ordered(entry.schema)
    name, token = entry.name, f"mihu:index:{entry.name}"
    python = [f"from pulumi_mihu import {name}", "",
              f'resource = {name}("resourceName",']
    python += [f"    {n}={placeholder(s, 'python')}," for n, s in inputs]
    python[-1] = python[-1].rstrip(",") + ")"
    yaml = ["resources:", "  resourceName:", f"    type: {token}", "    properties:"]
    yaml += [f"      {camel(n)}: {placeholder(s, 'yaml')}" for n, s in inputs]
    typescript = [f'import * as mihu from "{NODE_PACKAGE}";', "",
                  f'const resource = new mihu.{name}("resourceName", {{']
    typescript += [f"    {camel(n)}: {placeholder(s, 'typescript')}," for n, s in inputs]
    typescript.append("});")
    go = ["import (", f'\tmihu "{GO_IMPORT_PATH}"', '\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"',
          ")", "", f'resource, err := mihu.New{name}(ctx, "resourceName", &mihu.{name}Args{{']
    fields = {n: camel(n)[0].upper() + camel(n)[1:] + ":" for n, _ in inputs}
    width = max(map(len, fields.values()))
    go += [f"\t{fields[n]:<{width}} {placeholder(s, 'go')}," for n, s in inputs]
    go.append("})")
    blocks = [("Python (dynamic resources)", "python", python), ("YAML", "yaml", yaml),
              ("TypeScript", "typescript", typescript), ("Go", "go", go)]
    lines: list[str] = []
    for title, fence, body in blocks:
        lines += [f"**{title}**", "", f"```{fence}", *body, "```", ""]
    return lines[:-1]


def documented_routes() -> dict[tuple[str, str], bool]:
    """(method, path with its parameters unnamed) -> whether the Mihu API reference
    documents the route: the simulator's ``ROUTES`` say which (docs/mihu-sip-trunk-api.md)."""
    from pulumi_mihu.testing.simulator import ROUTES

    return {(r.method, re.sub(r"\{[^}]*\}", "{}", r.pattern)): r.documented for r in ROUTES}


def render_api_doc(entry: Registered) -> list[str]:
    """One resource's Registry-style API doc: summary, constructor syntax, the inputs and
    outputs under both names, and the API routes its provider calls, documented or not."""
    from pulumi_mihu.native.package_schema import camel, resource_spec

    schema, spec = entry.schema, resource_spec(entry)
    summary = (inspect.getdoc(entry.resource_class()) or entry.name).splitlines()[0]
    lines = [summary, "", *textwrap.wrap(
        f"Type token `mihu:index:{entry.name}` (native provider: YAML, TypeScript, Go); "
        f"class `pulumi_mihu.{entry.name}` (Python, dynamic resource, type "
        f"`{entry.type_token}`). Example: `examples/{entry.example}`.", 88,
        break_on_hyphens=False, break_long_words=False), "",
        f"## Create a {entry.name} resource", "", *constructor_syntax(entry), "",
        "## Inputs", "", "Python takes the snake_case names, the native provider's languages "
        "the camelCase ones.", "",
        "| property | Python | type | required | secret | on change | description |",
        "|---|---|---|---|---|---|---|"]
    lines += [f"| `{camel(n)}` | `{n}` | {SCHEMA_TYPES[s.type]} | {required_cell(s)} | "
              f"{yes(s.secret)} | {change_cell(s)} | {cell(s.described)} |"
              for n, s in ordered(schema)]
    lines += ["", "## Outputs", "", *textwrap.wrap(
        "All input properties that are compared are outputs too, as stored"
        + (f" ({', '.join(f'`{camel(n)}`' for n in schema.names(compared=True))})"
           if schema.names(compared=True) else "")
        + "; and these:", 88), "",
        "| property | Python | type | secret | description |", "|---|---|---|---|---|",
        "| `id` | `id` | string | no | The provider's id of the resource. |"]
    lines += [f"| `{camel(n)}` | `{n}` | {SCHEMA_TYPES[o.type]} | {yes(o.secret)} | {cell(o.doc)} |"
              for n, o in schema.outputs.items()]
    routes = documented_routes()
    lines += ["", "## Mihu API routes", "", "| route | in the Mihu API reference |",
              "|---|---|"]
    for route in entry.api:
        method, path = route.split(" ", 1)
        documented = routes[(method, re.sub(r"\{[^}]*\}", "{}", "/api/v1" + path))]
        lines.append(f"| `{method} /api/v1{path}` | "
                     f"{'documented' if documented else 'not documented (assumed)'} |")
    assert spec["requiredInputs"] == [camel(n) for n in schema.names(required=True)]
    return lines + lookup_doc(entry)


def lookup_doc(entry: Registered) -> list[str]:
    """The resource's lookup function (``getSipTrunkConnection``), as the package schema
    declares it: how each native language calls it, and what it returns; nothing for a
    resource without one."""
    from pulumi_mihu.native.package_schema import (
        GO_IMPORT_PATH,
        NODE_PACKAGE,
        function_spec,
        lookup_of,
    )

    lookup = lookup_of(entry)
    if lookup is None:
        return []
    spec, function = function_spec(lookup), lookup.token.rsplit(":", 1)[-1]
    [key] = spec["inputs"]["properties"]
    # Pulumi's Go generator names a get-function Lookup... (``get`` clashes in Go).
    exported = "Lookup" + function.removeprefix("get") if function.startswith("get") else (
        function[0].upper() + function[1:])
    key_go = key[0].upper() + key[1:]
    lines = ["", f"## Look up an existing {entry.name}: `{function}`", "",
             *textwrap.wrap(f"`{lookup.token}` (native provider; Python's dynamic resource "
                            f"has `{entry.name}.get`). {spec['description']}", 88,
                            break_on_hyphens=False, break_long_words=False), ""]
    blocks = [
        ("YAML", "yaml", ["variables:", "  found:", "    fn::invoke:",
                          f"      function: {lookup.token}", "      arguments:",
                          f'        {key}: "string"']),
        ("TypeScript", "typescript", [f'import * as mihu from "{NODE_PACKAGE}";', "",
                                      f'const found = mihu.{function}Output({{ {key}: '
                                      '"string" });']),
        ("Go", "go", [f'import mihu "{GO_IMPORT_PATH}"', "",
                      f'found, err := mihu.{exported}(ctx, &mihu.{exported}Args{{{key_go}: '
                      '"string"})']),
    ]
    for title, fence, body in blocks:
        lines += [f"**{title}**", "", f"```{fence}", *body, "```", ""]
    required = spec["outputs"]["required"]
    lines += ["| returns | type | always there | description |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {prop['type']} | {yes(name in required)} | "
              f"{cell(prop['description'])} |"
              for name, prop in spec["outputs"]["properties"].items()]
    return lines


# -- regions ---------------------------------------------------------------------------------

def render(kind: str, path: Path) -> list[str]:
    """The lines of one region of ``path``."""
    if kind == "reference":
        return render_reference()
    if kind == "settings":
        return render_settings()
    if kind.startswith("api:"):
        return render_api_doc(by_name(kind.removeprefix("api:")))
    if kind == "exports":
        return render_exports()
    if kind in ("args", "constructor"):
        entry = next(e for e in RESOURCES if Path(module_file(e)) == path)
        return render_args(entry) if kind == "args" else render_constructor(entry)
    return render_readme(by_name(kind))


def module_file(entry: Registered) -> str:
    """The source file of a resource's module (whichever copy is imported)."""
    import importlib

    return str(importlib.import_module(entry.module).__file__)


def regenerated(path: Path) -> str:
    """``path``'s text with every region rendered anew."""
    out: list[str] = []
    region: str | None = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if region is not None:
            if END.match(line):
                out += [*render(region, path), line]
                region = None
            continue
        out.append(line)
        start = START.match(line)
        if start:
            region = start["kind"]
            opened = number
    if region is not None:
        raise SystemExit(f"{path}:{opened}: a generated region without its end marker")
    return "\n".join(out) + "\n"


def targets() -> list[Path]:
    """Every file with generated regions."""
    return [ROOT / "pulumi_mihu" / "__init__.py", *(Path(module_file(entry))
                                                     for entry in RESOURCES), README, REFERENCE,
            INSTALLATION, *(api_doc_path(entry) for entry in RESOURCES)]


def expected_kinds(path: Path) -> list[str]:
    """The regions ``path`` must hold, once each: a region deleted whole, markers and
    all, renders nothing, so only this tells that it is gone."""
    if path == README:
        return [entry.name for entry in RESOURCES]
    if path == REFERENCE:
        return ["reference"]
    if path == INSTALLATION:
        return ["settings"]
    if path.parent == API_DOCS:
        return [f"api:{entry.name}" for entry in RESOURCES if api_doc_path(entry) == path]
    if path == ROOT / "pulumi_mihu" / "__init__.py":
        return ["exports"]
    return ["args", "constructor"]


def drifted() -> list[tuple[Path, str]]:
    """The files whose generated regions differ from the schemas, with the diff (or,
    for a region missing or doubled, what is wrong)."""
    found = []
    for path in targets():
        if not path.exists():
            found.append((path, f"{path}: missing (python scripts/gen.py creates it)\n"))
            continue
        kinds = [m["kind"] for m in map(START.match, path.read_text().splitlines()) if m]
        wrong = [kind for kind in expected_kinds(path) if kinds.count(kind) != 1]
        if wrong:
            found.append((path, f"{path}: the region(s) {', '.join(wrong)} must be there "
                                "once each (restore the markers, then run scripts/gen.py)\n"))
            continue
        old, new = path.read_text(), regenerated(path)
        if old != new:
            diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                str(path), f"{path} (generated)"))
            found.append((path, diff))
    return found


def api_doc_stub(entry: Registered) -> str:
    """A new resource's API doc page: its title and the empty region (filled right after);
    what the schema cannot say (import, what the API does) is written by hand around it."""
    return (f"# {entry.name}\n\n<!-- generated from the schema: do not edit (scripts/gen.py "
            f"api:{entry.name}) -->\n<!-- end of generated tables -->\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a generated region differs")
    options = parser.parse_args(argv)
    if options.check:
        found = drifted()
        for path, diff in found:
            print(diff)
            print(f"{path.relative_to(ROOT)}: differs from the schema: run "
                  "python scripts/gen.py", file=sys.stderr)
        return 1 if found else 0
    for entry in RESOURCES:
        if not api_doc_path(entry).exists():
            api_doc_path(entry).parent.mkdir(parents=True, exist_ok=True)
            api_doc_path(entry).write_text(api_doc_stub(entry))
    for path in targets():
        text = regenerated(path)
        if text != path.read_text():
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
