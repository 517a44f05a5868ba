"""Mutation testing of pulumi_mihu with cosmic-ray: run through ``scripts/mutation.sh``.

For each module of the runtime package (``pulumi_mihu/testing/`` is not mutated), in a
copy of the repository under ``.mutation/<module>/`` (so runs of several modules can go
in parallel and an interrupted run never leaves a mutant in the work tree):

1. run the module's tests (MODULE_TESTS) once unmutated: they must pass, and their time
   sets the per-mutant timeout;
2. ``cosmic-ray init`` lists the mutants; the operator classes in SKIPPED_OPERATORS and the
   functions in OUT_OF_SCOPE are marked skipped before anything runs;
3. ``cosmic-ray exec`` applies each mutant to the copy and runs the module's tests
   (``pytest -x``), with ``PYTHONPATH`` pointing at the copy so that the provider hosts the
   tests start in subprocesses load the mutant too;
4. the report: killed, survived, the survivors that ``scripts/mutation-equivalents.toml``
   lists as equivalent (with the reason), and the score
   killed / (killed + non-equivalent survivors). Every survivor is printed with its diff.

Runs with the interpreter of .venv-mutation (where cosmic-ray is installed); the tests run
with the project's .venv (``--test-python``).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
EQUIVALENTS = ROOT / "scripts" / "mutation-equivalents.toml"

def registered_resources() -> list[Any]:
    """The registry of resources (pulumi_mihu/_registry.py), loaded from its file: this
    script runs with .venv-mutation's interpreter, where the package's dependencies are
    not installed, and the registry needs none of them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "mihu_registry", ROOT / "pulumi_mihu" / "_registry.py")
    assert spec is not None and spec.loader is not None
    registry = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = registry
    spec.loader.exec_module(registry)
    return list(registry.RESOURCES)


def test_file(name: str) -> str:
    """``tests/<tier>/test_<name>.py``: where the test file of that name is, whichever tier's
    folder holds it (``tests/unit``, ``tests/host`` or ``tests/cli``)."""
    found = sorted((ROOT / "tests").glob(f"*/test_{name}.py"))
    return str(found[0].relative_to(ROOT)) if found else f"tests/unit/test_{name}.py"


#: Module -> the test files that exercise it (fast ones: the CLI tests, 5-15 s each, and
#: the create fault matrix, 70 s a run, are left out; what they check is also checked
#: closer to the code). adoption and create_guard_attacks run on the call-script driver
#: (tests/support/driver.py): the engine's calls sent to a real provider host. A
#: resource module's are its registry entry's, and the tests every resource goes through.
SIP_TRUNK_TESTS = ["sip_trunk_connection_provider", "provider_base",
                   "sip_trunk_connection_model", "resource_program",
                   "sip_trunk_connection_rules"]
RESOURCE_TESTS = ["resource_classes", "registry"]
MODULE_TESTS: dict[str, list[str]] = {module: [test_file(name) for name in names]
                                      for module, names in {
    "client": ["client", "client_retry", "client_errors", "client_tls", "redaction",
               "validate"],
    "errors": ["redaction", "client_errors", "client", "client_tls",
               "sip_trunk_connection_provider", "provider_base"],
    "settings": ["settings", "settings_rules", "validate"],
    "_provider": [*SIP_TRUNK_TESTS, "tracebacks", "agent_assignment_rules", "schema",
                  "validate", "native_server"],
    "_resource": ["resource_base", "resource_program", "resource_classes"],
    "schema": ["schema", "validate", "sip_trunk_connection_model", "agent_assignment_rules",
               "resource_program", "resource_base", "native_schema", "generated"],
    "_model": ["schema", "validate", "sip_trunk_connection_model", "agent_assignment_rules"],
    "_registry": ["registry", "resource_classes"],
    "http_shapes": ["list_pages", "provider_base", "sip_trunk_connection_provider"],
    # The create guard's decisions one by one (its own tests and the provider's), then the
    # independent review's scenarios and adoption through the provider host on the
    # call-script driver (slower).
    "_create_protocol": ["create_guard", "sip_trunk_connection_provider",
                         "create_guard_attacks", "adoption"],
    # The ledger's rows on their own first, then the same as the create protocol's.
    "_ledger": ["ledger", "create_guard", "sip_trunk_connection_provider",
                "create_guard_attacks", "adoption"],
    # A resource's two modules (the resource with its schema; its provider's code, apart so
    # that programs stay light) are exercised by its registry entry's tests.
    **{module.rpartition(".")[2]: [name.removeprefix("test_") for name in entry.tests]
       + RESOURCE_TESTS for entry in registered_resources()
       for module in (entry.module, entry.implementation_module)},
}.items()}

#: Slow tests left out of mutation runs, with what covers their code instead.
DESELECTED = [
    # 4 s to register 1000 resources (a RecursionError of the SDK): the registration path it
    # runs is the one every other test_resource_program test runs.
    "tests/unit/test_resource_program.py::test_more_than_a_thousand_trunks_register",
]

#: Functions (qualified names, nested ones included) whose mutants are not run, while
#: another change rewrites them (none now: the create guard's rewrite has landed; its
#: modules are in MODULE_TESTS and await their first run, see docs/mutation.md).
OUT_OF_SCOPE: dict[str, list[str]] = {}

#: Operator classes not run, as regular expressions on cosmic-ray's operator names. Each
#: arithmetic operator is still mutated (+ <-> -, * <-> /, ** -> + - * /), but not into
#: every other one: cosmic-ray would try 11 per `+`, nearly all string concatenations that
#: fail the same way. The bitwise operators appear only in type annotations. `is`/`==`
#: swaps are equivalent for None and for the interned values compared here.
SKIPPED_OPERATORS = [
    r"core/ReplaceBinaryOperator_(Add|Sub)_(Mul|Div)$",
    r"core/ReplaceBinaryOperator_(Mul|Div)_(Add|Sub)$",
    r"core/ReplaceBinaryOperator_\w+_(FloorDiv|Mod|Pow|RShift|LShift|BitOr|BitAnd|BitXor)$",
    r"core/ReplaceBinaryOperator_(RShift|LShift|BitOr|BitAnd|BitXor)_",
    r"core/ReplaceComparisonOperator_(Eq|NotEq)_(Is|IsNot)$",
    r"core/ReplaceComparisonOperator_(Is|IsNot)_(Eq|NotEq)$",
]


@dataclass
class Mutant:
    module: str
    line: int
    column: int
    operator: str
    function: str
    source_line: str
    outcome: str  # killed, survived, equivalent, out-of-scope, skipped-operator, no-test
    diff: str = ""
    reason: str = ""


@dataclass
class ModuleResult:
    module: str
    mutants: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for m in self.mutants if m.outcome == outcome)

    @property
    def score(self) -> float | None:
        killed, survived = self.count("killed"), self.count("survived")
        return killed / (killed + survived) if killed + survived else None


def qualified_functions(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class, decorators
    included, innermost last."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                spans.append((first, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return spans


def function_at(spans: list[tuple[int, int, str]], line: int) -> str:
    inside = [s for s in spans if s[0] <= line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else "(module)"


def load_equivalents() -> list[dict[str, str]]:
    if not EQUIVALENTS.exists():
        return []
    import toml  # cosmic-ray's own dependency (tomllib is Python 3.11+)

    return list(toml.loads(EQUIVALENTS.read_text()).get("equivalent", []))


def copy_tree(dest: Path) -> None:
    """The repository's files (tracked and new, not ignored) into ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def run_module(module: str, test_python: str, tool_bin: Path, log: bool,
               survivors_only: bool = False) -> ModuleResult:
    started = time.monotonic()
    copy = WORK / module
    copy_tree(copy)
    tests = [t for t in MODULE_TESTS[module] if (ROOT / t).exists()]
    deselect = [f"--deselect {d}" for d in DESELECTED if d.split("::")[0] in tests]
    command = (f"env PYTHONPATH={copy} PYTHONDONTWRITEBYTECODE=1 {test_python} -m pytest -x -q "
               f"-p no:cacheprovider {' '.join(deselect + tests)}")
    base_start = time.monotonic()
    baseline = subprocess.run(command.split(), cwd=copy, capture_output=True, text=True)
    if baseline.returncode != 0:
        raise SystemExit(f"{module}: the tests fail without any mutant:\n"
                         f"{baseline.stdout}{baseline.stderr}")
    timeout = max(30.0, 5 * (time.monotonic() - base_start))
    config = WORK / f"{module}.toml"
    session = WORK / f"{module}.sqlite"
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "pulumi_mihu/{module}.py"\n'
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n')
    source = (ROOT / "pulumi_mihu" / f"{module}.py").read_text()
    spans = qualified_functions(source)
    if survivors_only and session.exists():
        forget_survivors(session)
    else:
        session.unlink(missing_ok=True)
        subprocess.run([str(tool_bin / "cosmic-ray"), "init", str(config), str(session)],
                       cwd=copy, check=True)
        skip_filtered(session, module, spans)
    subprocess.run([str(tool_bin / "cosmic-ray"), "exec", str(config), str(session)], cwd=copy,
                   check=True, stdout=None if log else subprocess.DEVNULL)
    result = collect(session, module, source, spans)
    result.seconds = time.monotonic() - started
    return result


def skip_filtered(session: Path, module: str, spans: list[tuple[int, int, str]]) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    operators = re.compile("|".join(f"(?:{e})" for e in SKIPPED_OPERATORS))
    out_of_scope = OUT_OF_SCOPE.get(module, [])
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            function = function_at(spans, mutation.start_pos[0])
            if operators.match(mutation.operator_name):
                output = "skipped-operator"
            elif any(function == f or function.startswith(f + ".") for f in out_of_scope):
                output = "out-of-scope"
            else:
                continue
            db.set_result(item.job_id, WorkResult(output=output,
                                                  worker_outcome=WorkerOutcome.SKIPPED))


def forget_survivors(session: Path) -> None:
    """Make the survivors of the last run pending again (killed mutants stay killed: tests
    were only added since)."""
    import sqlite3

    with sqlite3.connect(session) as db:
        db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")


def collect(session: Path, module: str, source: str,
            spans: list[tuple[int, int, str]]) -> ModuleResult:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    lines = source.splitlines()
    equivalents = [e for e in load_equivalents() if e["module"] == module]
    result = ModuleResult(module)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, outcome in db.completed_work_items:
            mutation = item.mutations[0]
            line, column = mutation.start_pos
            mutant = Mutant(module, line, column, mutation.operator_name,
                            function_at(spans, line), lines[line - 1].strip(), "",
                            outcome.diff or "")
            if outcome.worker_outcome == WorkerOutcome.SKIPPED:
                mutant.outcome = outcome.output or "skipped"
            elif outcome.worker_outcome == WorkerOutcome.NO_TEST:
                mutant.outcome = "no-test"
            elif outcome.test_outcome == TestOutcome.SURVIVED:
                mutant.outcome = "survived"
                if is_keyword_only_marker(lines[line - 1], mutant):
                    mutant.outcome, mutant.reason = "equivalent", KEYWORD_ONLY
                for entry in equivalents:
                    if (entry["operator"] == mutant.operator
                            and entry["line"].strip() == mutant.source_line
                            and int(entry.get("column", column)) == column
                            and _becomes(entry, mutant.diff)):
                        mutant.outcome, mutant.reason = "equivalent", entry["reason"]
                        entry["used"] = "yes"
                        break
            else:  # killed, timed out, or incompetent (the mutant does not even run)
                mutant.outcome = "killed"
            result.mutants.append(mutant)
    for entry in equivalents:
        if "used" not in entry:
            print(f"note: equivalent entry matched no survivor: {module}: {entry['operator']} "
                  f"at {entry['line']!r}", file=sys.stderr)
    result.mutants.sort(key=lambda m: (m.line, m.column, m.operator))
    return result


KEYWORD_ONLY = ("the bare `*` of a signature turned into `/`: the parameters after it become "
                "positional-or-keyword instead of keyword-only, and every caller passes them by "
                "keyword")


def _becomes(entry: dict[str, Any], diff: str) -> bool:
    """An entry's optional ``becomes``: the mutated line, for operators that make several
    mutants at one place (a number n becomes n + 1 and n - 1), so that the reason given for
    one does not excuse the other. Compared without white space (cosmic-ray adds some)."""
    if "becomes" not in entry:
        return True
    added = ["".join(line[1:].split()) for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    return "".join(entry["becomes"].split()) in added


def is_keyword_only_marker(raw_line: str, mutant: Mutant) -> bool:
    """cosmic-ray takes the `*` that makes the next parameters keyword-only for a
    multiplication; replaced by `/` the function behaves the same for every keyword call."""
    rest = raw_line[mutant.column + 1:].strip()
    return (mutant.operator == "core/ReplaceBinaryOperator_Mul_Div"
            and raw_line[mutant.column:mutant.column + 1] == "*" and rest[:1] in (",", ")", ""))


def report(results: list[ModuleResult]) -> str:
    out = ["| module | mutants run | killed | survived | equivalent | score | "
           "out of scope | operator skipped | time |",
           "|---|---|---|---|---|---|---|---|---|"]
    total_killed = total_survived = 0
    for r in results:
        run = r.count("killed") + r.count("survived") + r.count("equivalent")
        score = "n/a" if r.score is None else f"{r.score:.1%}"
        out.append(f"| {r.module} | {run} | {r.count('killed')} | {r.count('survived')} | "
                   f"{r.count('equivalent')} | {score} | {r.count('out-of-scope')} | "
                   f"{r.count('skipped-operator')} | {r.seconds / 60:.1f} min |")
        total_killed += r.count("killed")
        total_survived += r.count("survived")
    if total_killed + total_survived:
        total = total_killed / (total_killed + total_survived)
        out.append(f"\nScore: {total_killed} killed of {total_killed + total_survived} "
                   f"non-equivalent mutants = {total:.1%}")
    for r in results:
        for m in r.mutants:
            if m.outcome in ("survived", "no-test"):
                out.append(f"\nSURVIVED pulumi_mihu/{m.module}.py:{m.line}:{m.column} "
                           f"in {m.function}: {m.operator}")
                out.extend("    " + d for d in m.diff.splitlines()
                           if d.startswith(("-", "+")) and not d.startswith(("---", "+++")))
        for m in r.mutants:
            if m.outcome == "equivalent":
                out.append(f"equivalent pulumi_mihu/{m.module}.py:{m.line} in {m.function}: "
                           f"{m.operator}: {m.reason}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation testing of pulumi_mihu (cosmic-ray)")
    parser.add_argument("modules", nargs="*", metavar="module",
                        help=f"modules to mutate (default: all): {', '.join(MODULE_TESTS)}")
    parser.add_argument("--jobs", type=int, default=2, help="modules run in parallel (2)")
    parser.add_argument("--test-python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--log", action="store_true", help="show cosmic-ray's progress")
    parser.add_argument("--survivors", action="store_true",
                        help="re-run only the last run's survivors (after adding tests; the "
                             "module's source must not have changed)")
    options = parser.parse_args(argv)
    modules = options.modules or list(MODULE_TESTS)
    unknown = set(modules) - set(MODULE_TESTS)
    if unknown:
        parser.error(f"unknown module(s): {', '.join(sorted(unknown))}")
    WORK.mkdir(exist_ok=True)
    tool_bin = Path(sys.executable).parent
    options.test_python = str(Path(options.test_python).absolute())
    with ThreadPoolExecutor(max(1, options.jobs)) as pool:
        results = list(pool.map(
            lambda m: run_module(m, options.test_python, tool_bin, options.log,
                                 options.survivors), modules))
    text = report(results)
    print(text)
    (WORK / "report.txt").write_text(text + "\n")
    (WORK / "report.json").write_text(json.dumps(
        [m.__dict__ for r in results for m in r.mutants], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
