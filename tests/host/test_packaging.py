"""What the wheel ships: the runtime package and the testing tools users reuse in their own
stack tests (simulator, provider-host driver, CLI runner), nothing else: the
benchmarks, the demo and the mutation tooling stay in the repository. The sdist holds
everything a build and the tests need; the README renders on PyPI; the changelog has the
version being released."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pulumi_mihu._registry import RESOURCES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MODULES = {
    "__init__", "_version", "errors", "settings", "client", "http_shapes", "schema", "_model",
    "_registry", "_provider", "_resource", "_ledger", "_create_protocol",
    *(module.removeprefix("pulumi_mihu.") for entry in RESOURCES
      for module in (entry.module, entry.implementation_module)),
    "testing/__init__", "testing/simulator", "testing/host", "testing/cli",
    "native/__init__", "native/__main__", "native/package_schema", "native/server",
}
#: Modules that do something when imported: the native plugin's ``python -m`` entry.
RUN_ON_IMPORT = {"native/__main__"}


def tracked_files() -> set[str]:
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (run from an unpacked sdist)")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    return {name for name in listed if name and (ROOT / name).is_file()}


def copy_of_tracked_files(target: Path) -> Path:
    """Builds start from a copy of what git tracks: a stale build/ or egg-info in the work
    tree cannot leak removed files into a distribution."""
    for name in tracked_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def test_the_wheel_holds_the_package_and_its_reusable_testing_tools_only(
        tmp_path: Path) -> None:
    source = copy_of_tracked_files(tmp_path / "source")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--disable-pip-version-check", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("pulumi_mihu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {n for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert package == {f"pulumi_mihu/{m}.py" for m in SHIPPED_MODULES} | {
        "pulumi_mihu/py.typed", "pulumi_mihu/pulumi-plugin.json"}
    # Pulumi's Python language host takes a package named pulumi-* without this file for
    # a provider SDK and asks the engine for plugin "mihu" at the package's version on every
    # run of a dynamic stack (a download attempt, or a "from $PATH" warning): the file says
    # no plugin is required; the native plugin is loaded when a mihu:index resource needs it.
    plugin = json.loads(zipfile.ZipFile(wheel).read("pulumi_mihu/pulumi-plugin.json"))
    assert plugin == {"resource": False}
    assert package == {f"pulumi_mihu/{p.relative_to(ROOT / 'pulumi_mihu')}"
                       for p in (ROOT / "pulumi_mihu").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts}, (
        "every file of the package directory ships: nothing there is for development only")
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "pulumi-resource-mihu = pulumi_mihu.native.server:main" in scripts


def test_every_module_declares_its_public_names() -> None:
    for module in SHIPPED_MODULES - {"_version"} - RUN_ON_IMPORT:
        name = "pulumi_mihu." + module.replace("/", ".").removesuffix(".__init__")
        imported = importlib.import_module(name.removesuffix(".__init__"))
        public = getattr(imported, "__all__", None)
        assert public, f"{name} has no __all__"
        missing = [item for item in public if not hasattr(imported, item)]
        assert not missing, (name, missing)


# Tracked files the sdist leaves out: CI's entry point and git's own file.
NOT_IN_SDIST = {".ci/run", ".gitignore"}


def test_the_sdist_holds_every_tracked_file_a_build_and_the_tests_need(
        tmp_path: Path) -> None:
    source = copy_of_tracked_files(tmp_path / "source")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=300)
    (sdist,) = tmp_path.glob("pulumi_mihu-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}
        metadata = archive.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/PKG-INFO")
        assert metadata is not None
        pkg_info = metadata.read().decode()
    generated = {"PKG-INFO", "setup.cfg"} | {m for m in members if ".egg-info/" in m}
    assert members - generated == tracked_files() - NOT_IN_SDIST
    assert "License-Expression: Apache-2.0" in pkg_info
    assert "License-File: LICENSE" in pkg_info
    assert "Project-URL: Changelog, " in pkg_info


def test_the_readme_links_work_on_pypi() -> None:
    """PyPI shows the README without the repository around it: a relative link (to docs/,
    or to a heading, whose anchors PyPI does not make) would lead nowhere."""
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]*)", readme) + re.findall(
        r"^\[[^\]]+\]:\s*(\S+)", readme, re.MULTILINE) + re.findall(
        r"(?:href|src)=[\"']([^\"']*)", readme)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://"))]
    assert not relative


def test_the_changelog_has_the_version_being_released() -> None:
    from pulumi_mihu import __version__

    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
                     changelog, re.MULTILINE), f"CHANGELOG.md has no section for {__version__}"


def test_the_claimed_floors_are_one_claim() -> None:
    """CI tests the lower bounds of pyproject.toml (scripts/fast-tier.sh --floors);
    requirements.txt and the README's install lines must claim the same ones."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.S | re.M)
    assert block
    declared = re.findall(r'"([^"]+)"', block.group(1))
    required = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line and not line.startswith(("#", "-"))]
    assert required == declared
    (pulumi,) = [d for d in declared if d.startswith("pulumi>")]
    readme = (ROOT / "README.md").read_text()
    mentioned = set(re.findall(r"pulumi>=[0-9.]+,<[0-9]+", readme))
    assert mentioned == {pulumi}
