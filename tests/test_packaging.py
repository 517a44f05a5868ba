"""What the wheel ships: the runtime package and the testing tools users reuse in their own
stack tests (simulator, provider-host driver, harness, CLI runner), nothing else: the
benchmarks, the demo and the mutation tooling stay in the repository."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODULES = {
    "__init__", "_version", "errors", "settings", "client", "http_shapes", "schema",
    "_provider", "_resource", "_create_guard", "sip_trunk_connection",
    "agent_sip_trunk_assignment",
    "testing/__init__", "testing/simulator", "testing/host", "testing/harness", "testing/cli",
}


def test_the_wheel_holds_the_package_and_its_reusable_testing_tools_only(
        tmp_path: Path) -> None:
    # Built from a copy of what git tracks: a stale build/ in the work tree cannot leak
    # removed modules into the wheel.
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--disable-pip-version-check", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("pulumi_mihu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {n for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert package == {f"pulumi_mihu/{m}.py" for m in SHIPPED_MODULES} | {
        "pulumi_mihu/py.typed"}
    assert package == {f"pulumi_mihu/{p.relative_to(ROOT / 'pulumi_mihu')}"
                       for p in (ROOT / "pulumi_mihu").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts}, (
        "every file of the package directory ships: nothing there is for development only")


def test_every_module_declares_its_public_names() -> None:
    for module in SHIPPED_MODULES - {"_version"}:
        name = "pulumi_mihu." + module.replace("/", ".").removesuffix(".__init__")
        imported = importlib.import_module(name.removesuffix(".__init__"))
        public = getattr(imported, "__all__", None)
        assert public, f"{name} has no __all__"
        missing = [item for item in public if not hasattr(imported, item)]
        assert not missing, (name, missing)
