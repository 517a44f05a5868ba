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
README tables) or ``reference`` (docs/resources.md: every resource). Which resource a
module's regions are for comes from the registry (pulumi_mihu/_registry.py).
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


# -- regions ---------------------------------------------------------------------------------

def render(kind: str, path: Path) -> list[str]:
    """The lines of one region of ``path``."""
    if kind == "reference":
        return render_reference()
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
                                                     for entry in RESOURCES), README, REFERENCE]


def expected_kinds(path: Path) -> list[str]:
    """The regions ``path`` must hold, once each: a region deleted whole, markers and
    all, renders nothing, so only this tells that it is gone."""
    if path == README:
        return [entry.name for entry in RESOURCES]
    if path == REFERENCE:
        return ["reference"]
    if path == ROOT / "pulumi_mihu" / "__init__.py":
        return ["exports"]
    return ["args", "constructor"]


def drifted() -> list[tuple[Path, str]]:
    """The files whose generated regions differ from the schemas, with the diff (or,
    for a region missing or doubled, what is wrong)."""
    found = []
    for path in targets():
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
    for path in targets():
        text = regenerated(path)
        if text != path.read_text():
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
