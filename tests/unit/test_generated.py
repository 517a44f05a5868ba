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


def test_the_registry_docs_have_their_regions_and_every_setting(gen: ModuleType) -> None:
    """docs/installation-configuration.md's settings table and each resource's API doc
    (docs/api-docs/<name>.md) are generated: their regions must be there once each, or
    ``--check`` would have nothing to compare."""
    from pulumi_mihu._registry import RESOURCES
    from pulumi_mihu.settings import ALL_SETTINGS

    installation = (ROOT / "docs" / "installation-configuration.md").read_text()
    assert installation.count("(scripts/gen.py settings) -->") == 1
    rows = [line for line in installation.splitlines() if line.startswith("| `mihu:")]
    assert [row.split(" | ")[:2] for row in rows] == [
        [f"| `{s.config_key}`", f"`{s.env}`"] for s in ALL_SETTINGS]
    for entry in RESOURCES:
        page = (ROOT / "docs" / "api-docs" / f"{entry.name.lower()}.md").read_text()
        assert page.count(f"(scripts/gen.py api:{entry.name}) -->") == 1, entry.name
        assert f"type: mihu:index:{entry.name}" in page and f"mihu.New{entry.name}(" in page


def test_an_api_doc_says_which_routes_the_api_reference_documents(gen: ModuleType) -> None:
    """Each route the provider calls is marked documented or assumed, from the simulator's
    ROUTES (which docs/mihu-sip-trunk-api.md backs): the create of a connection only."""
    page = (ROOT / "docs" / "api-docs" / "siptrunkconnection.md").read_text()
    assert "| `POST /api/v1/channels/sip-trunk/connections` | documented |" in page
    assert ("| `DELETE /api/v1/channels/sip-trunk/connections/{uuid}` | not documented "
            "(assumed) |") in page


def test_a_missing_api_doc_is_drift_and_its_stub_fills(
        gen: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new resource's API doc page: ``--check`` names it missing; the stub ``gen.py``
    writes for it (title and empty region) fills to the page."""
    from pulumi_mihu._registry import RESOURCES

    monkeypatch.setattr(gen, "API_DOCS", tmp_path)
    assert {path for path, _ in gen.drifted()} == {
        tmp_path / f"{entry.name.lower()}.md" for entry in RESOURCES}
    entry = RESOURCES[0]
    stub = gen.api_doc_path(entry)
    stub.write_text(gen.api_doc_stub(entry))
    page = gen.regenerated(stub)
    assert page.startswith(f"# {entry.name}\n") and "## Inputs" in page
    assert "\n".join(gen.render_api_doc(entry)) in page


def test_a_hand_edit_of_the_settings_table_is_drift(gen: ModuleType, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "installation-configuration.md").read_text()
    copy = tmp_path / "installation-configuration.md"
    copy.write_text(text.replace("| `MIHU_API_TOKEN` |", "| `MIHU_TOKEN` |", 1))
    monkeypatch.setattr(gen, "INSTALLATION", copy)
    assert [path for path, _ in gen.drifted()] == [copy]
