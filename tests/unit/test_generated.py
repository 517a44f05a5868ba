"""What scripts/gen.py writes from the schemas (the resource modules' typed surface, the
package's exports, the README's and docs/resources.md's tables) is what the schemas say
now: a hand edit of a generated region, or a schema change without `python
scripts/gen.py`, fails here, in the fast tier."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
GEN = ROOT / "scripts" / "gen.py"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    if os.environ.get("PULUMI_MIHU_TEST_INSTALLED") or not GEN.is_file():
        pytest.skip("needs the repository's scripts/ (an installed wheel's run has none)")
    spec = importlib.util.spec_from_file_location("mihu_gen", GEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_region_matches_the_schemas(gen: ModuleType) -> None:
    drifted = gen.drifted()
    assert not drifted, "".join(diff for _, diff in drifted) + (
        "\nGenerated from the schemas: run `python scripts/gen.py` (do not edit by hand)")


def test_every_resource_has_its_regions(gen: ModuleType) -> None:
    from pulumi_mihu._registry import RESOURCES

    readme = (ROOT / "README.md").read_text()
    for entry in RESOURCES:
        source = Path(gen.module_file(entry)).read_text()
        for kind in ("args", "constructor"):
            assert f"(scripts/gen.py {kind}) ---" in source, (entry.name, kind)
        assert f"(scripts/gen.py {entry.name}) -->" in readme, entry.name


def test_the_package_exports_and_the_reference_have_their_regions(gen: ModuleType) -> None:
    """`gen.py --check` renders the regions a file has: one deleted whole (markers and
    all) is no drift to it, and the package's exports or docs/resources.md's every table
    would be gone unnoticed."""
    init = (ROOT / "pulumi_mihu" / "__init__.py").read_text()
    assert init.count("(scripts/gen.py exports) ---") == 1
    reference = (ROOT / "docs" / "resources.md").read_text()
    assert reference.count("(scripts/gen.py reference) -->") == 1
    readme = (ROOT / "README.md").read_text()
    from pulumi_mihu._registry import RESOURCES

    for entry in RESOURCES:
        assert readme.count(f"(scripts/gen.py {entry.name}) -->") == 1, entry.name


def test_a_hand_edit_inside_a_region_is_undone_and_one_outside_is_kept(
        gen: ModuleType, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    edited = readme.replace("| `phone_number` | yes |", "| `phone_number` | no |", 1)
    edited = edited.replace("## Use\n", "## Use (edited)\n", 1)
    assert edited.count("(edited)") == 1 and "| `phone_number` | no |" in edited
    copy = tmp_path / "README.md"
    copy.write_text(edited)
    assert gen.regenerated(copy) == readme.replace("## Use\n", "## Use (edited)\n", 1)


def test_a_region_without_its_end_is_refused(gen: ModuleType, tmp_path: Path) -> None:
    broken = tmp_path / "README.md"
    broken.write_text("text\n<!-- generated from the schema: do not edit (scripts/gen.py "
                      "SipTrunkConnection) -->\n| stale |\n")
    with pytest.raises(SystemExit, match=r"README\.md:2: a generated region without its end"):
        gen.regenerated(broken)


def test_check_reports_a_region_deleted_whole(gen: ModuleType, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "resources.md").read_text()
    start = text.index("<!-- generated from the schema")
    end_marker = "<!-- end of generated tables -->"
    copy = tmp_path / "resources.md"
    copy.write_text(text[:start] + text[text.index(end_marker) + len(end_marker):])
    monkeypatch.setattr(gen, "REFERENCE", copy)
    assert [path for path, _ in gen.drifted()] == [copy]
