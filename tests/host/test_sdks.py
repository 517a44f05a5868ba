"""The generated SDKs (sdk/, checked in) stay current: sdk/schema.json is the schema the
plugin serves, and scripts/gen-sdks.sh run again writes exactly the files under sdk/ (it
runs Pulumi's generators, scripts/sdkgen, so this needs Go: seconds once Go's caches have
them). Each SDK carries the package's version and its publishable name; the Python SDK is
also installed (pip, into a temporary folder) and run under Pulumi's mocks beside
pulumi_mihu."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu import __version__
from pulumi_mihu.native.package_schema import (
    GO_IMPORT_PATH,
    NODE_PACKAGE,
    NODE_TYPESCRIPT,
    PYTHON_PACKAGE,
    package_schema,
    schema_json,
)

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
#: What a build of the Node.js SDK in place, or an install for it, leaves, and what
#: `pip install sdk/python` leaves there (.gitignore).
NOT_GENERATED = {"node_modules", "bin", "build", f"{PYTHON_PACKAGE}.egg-info", "__pycache__"}
STALE = "sdk/ is stale: run scripts/gen-sdks.sh and commit what it changes"


def sdk_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not NOT_GENERATED & set(p.relative_to(root).parts)}


def test_the_schema_in_sdk_is_the_schema_the_plugin_serves() -> None:
    assert (SDK / "schema.json").read_text() == schema_json() + "\n", STALE


def test_regenerating_the_sdks_writes_exactly_the_checked_in_files(tmp_path: Path) -> None:
    out = tmp_path / "sdk"
    done = subprocess.run([str(ROOT / "scripts" / "gen-sdks.sh"), str(out)],
                          env={**os.environ, "PYTHON": sys.executable},
                          capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, f"scripts/gen-sdks.sh failed:\n{done.stdout}\n{done.stderr}"
    fresh, kept = sdk_files(out), sdk_files(SDK)
    assert sorted(fresh) == sorted(kept), STALE
    changed = [name for name in fresh if fresh[name] != kept[name]]
    assert changed == [], f"{STALE} ({', '.join(changed)})"


def test_the_node_sdk_is_the_npm_package_of_this_version() -> None:
    package = json.loads((SDK / "nodejs" / "package.json").read_text())
    assert (package["name"], package["version"]) == (NODE_PACKAGE, __version__)
    # What the engine reads to find the plugin: mihu, of the same version.
    assert package["pulumi"] == {"resource": True, "name": "mihu", "version": __version__}
    assert package["repository"] == package_schema()["repository"]
    assert re.fullmatch(r"\^3\.\d+\.\d+", package["dependencies"]["@pulumi/pulumi"])


def test_the_node_sdk_is_built_with_the_typescript_of_the_typescript_example() -> None:
    package = json.loads((SDK / "nodejs" / "package.json").read_text())
    assert package["devDependencies"]["typescript"] == NODE_TYPESCRIPT
    # The example's exact release is one the range takes: same major and minor, and the
    # range is a caret one (so a build never takes the next major).
    example = json.loads((ROOT / "examples" / "typescript" / "package.json").read_text())
    wanted = re.fullmatch(r"\^(\d+)\.(\d+)\.(\d+)", NODE_TYPESCRIPT)
    assert wanted, NODE_TYPESCRIPT
    used = example["devDependencies"]["typescript"].split(".")
    assert used[:2] == list(wanted.groups()[:2]) and int(used[2]) >= int(wanted[3]), (
        f"examples/typescript uses TypeScript {'.'.join(used)}, the SDK {NODE_TYPESCRIPT}")


NODE_LOCK = ROOT / "scripts" / "node-sdk-build" / "package-lock.json"
LOCK_STALE = ("scripts/node-sdk-build/package-lock.json is out of step with "
              "sdk/nodejs/package.json: run scripts/pack-node-sdk.sh --lock and commit it")


def caret_allows(wanted: str, version: str) -> bool:
    """Whether npm's caret range ``wanted`` (``^20``, ``^5.9.3``; major 1 or more, the
    only form package.json has) takes the release ``version``."""
    found = re.fullmatch(r"\^(\d+)(?:\.(\d+)(?:\.(\d+))?)?", wanted)
    assert found and int(found[1]) > 0, f"not a caret range of a major >= 1: {wanted}"
    low = tuple(int(part or 0) for part in found.groups())
    got = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    return got is not None and (
        int(got[1]) == low[0] and tuple(int(part) for part in got.groups()) >= low)


def test_caret_allows_what_npm_allows() -> None:
    assert caret_allows("^5.9.3", "5.9.3") and caret_allows("^5.9.3", "5.10.0")
    assert not caret_allows("^5.9.3", "5.9.2") and not caret_allows("^5.9.3", "6.0.3")
    assert caret_allows("^20", "20.19.43") and not caret_allows("^20", "22.1.0")
    assert not caret_allows("^3.269.0", "3.270.0-alpha.1")


def test_the_node_sdk_lockfile_is_in_step_with_its_package_json() -> None:
    """scripts/pack-node-sdk.sh builds with `npm ci` from this lockfile: its root lists
    the package.json's dependencies exactly, each locked at a release its range takes and
    with an integrity hash, and it has no version of its own (a bump leaves it alone)."""
    package = json.loads((SDK / "nodejs" / "package.json").read_text())
    lock = json.loads(NODE_LOCK.read_text())
    top = lock["packages"][""]
    assert lock["lockfileVersion"] == 3
    assert (lock["name"], top["name"]) == (NODE_PACKAGE, NODE_PACKAGE)
    assert "version" not in lock and "version" not in top
    for field in ("dependencies", "devDependencies"):
        assert top.get(field, {}) == package.get(field, {}), f"{LOCK_STALE} ({field})"
        for name, wanted in package.get(field, {}).items():
            locked = lock["packages"][f"node_modules/{name}"]["version"]
            assert caret_allows(wanted, locked), f"{LOCK_STALE} ({name} {locked}, {wanted})"
    assert lock["packages"]["node_modules/typescript"]["version"] == json.loads(
        (ROOT / "examples" / "typescript" / "package.json").read_text()
    )["devDependencies"]["typescript"], "the SDK builds with the example's TypeScript"
    unchecked = [path for path, entry in lock["packages"].items()
                 if path and not entry.get("link") and "integrity" not in entry]
    assert unchecked == []


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm")
def test_packing_the_node_sdk_stops_on_a_stale_lockfile(tmp_path: Path) -> None:
    """A copy of the repository's pieces with a range the lockfile does not take: npm ci
    refuses before downloading anything, and the script says how to refresh the lock."""
    root = tmp_path / "repo"
    shutil.copytree(SDK / "nodejs", root / "sdk" / "nodejs",
                    ignore=shutil.ignore_patterns(*NOT_GENERATED))
    (root / "scripts" / "node-sdk-build").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "pack-node-sdk.sh", root / "scripts")
    shutil.copy(NODE_LOCK, root / "scripts" / "node-sdk-build")
    shutil.copy(ROOT / "LICENSE", root)
    package_json = root / "sdk" / "nodejs" / "package.json"
    package = json.loads(package_json.read_text())
    package["devDependencies"]["typescript"] = "^4.7.0"
    package_json.write_text(json.dumps(package, indent=4) + "\n")
    done = subprocess.run([str(root / "scripts" / "pack-node-sdk.sh"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode != 0, done.stdout
    assert "scripts/pack-node-sdk.sh --lock" in done.stderr, done.stderr
    assert not list((tmp_path / "out").glob("*.tgz"))


def test_the_go_sdk_is_a_module_at_its_import_path_of_this_version() -> None:
    module = SDK / "go" / GO_IMPORT_PATH.rsplit("/", 1)[-1]
    gomod = (module / "go.mod").read_text()
    assert gomod.startswith(f"module {GO_IMPORT_PATH}\n")
    assert (module / "go.sum").is_file()
    plugin = json.loads((module / "pulumi-plugin.json").read_text())
    assert (plugin["name"], plugin["version"]) == ("mihu", __version__)
    # The Go SDK of Pulumi it requires is the one the generators come from, which is the
    # CLI's pinned version (scripts/install-pulumi-cli.sh).
    generators = (ROOT / "scripts" / "sdkgen" / "go.mod").read_text()
    cli = re.search(r"^PINNED_VERSION=(\S+)$",
                    (ROOT / "scripts" / "install-pulumi-cli.sh").read_text(), re.M)
    assert cli
    version = re.escape(cli[1])
    assert re.search(rf"^(require )?\s*github\.com/pulumi/pulumi/sdk/v3 {version}$", gomod,
                     re.M), gomod
    assert re.search(rf"^(require )?\s*github\.com/pulumi/pulumi/pkg/v3 {version}$",
                     generators, re.M), generators


def test_the_python_sdk_is_the_package_pulumi_mihu_native_of_this_version() -> None:
    assert PYTHON_PACKAGE != "pulumi_mihu"
    assert [p.name for p in (SDK / "python").iterdir() if p.is_dir()] == [PYTHON_PACKAGE]
    # Pulumi's Python language host reads <package>/pulumi-plugin.json of every installed
    # pulumi package: the SDK's names the native plugin, pulumi_mihu's says it needs none
    # (a dynamic stack must not ask for plugin mihu, docs/native.md).
    plugin = json.loads((SDK / "python" / PYTHON_PACKAGE / "pulumi-plugin.json").read_text())
    assert plugin == {"resource": True, "name": "mihu", "version": __version__}
    dynamic = json.loads((ROOT / "pulumi_mihu" / "pulumi-plugin.json").read_text())
    assert dynamic == {"resource": False}


@pytest.fixture(scope="module")
def python_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdk/python installed as a user's pip would (built from a copy: a build in place
    leaves build/ and an egg-info in sdk/python) into a folder for PYTHONPATH."""
    tmp = tmp_path_factory.mktemp("python-sdk")
    source, target = tmp / "source", tmp / "site"
    shutil.copytree(SDK / "python", source)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                           "--disable-pip-version-check", "--target", str(target),
                           str(source)], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, f"pip install sdk/python failed:\n{done.stdout}\n{done.stderr}"
    return target


def test_the_installed_python_sdk_is_pulumi_mihu_native_with_its_plugin_file(
        python_sdk: Path) -> None:
    [dist] = python_sdk.glob(f"{PYTHON_PACKAGE}-{__version__}.dist-info")
    metadata = Parser().parsestr((dist / "METADATA").read_text())
    # Its own name (PyPI: pulumi-mihu-native), never the dynamic resources' package.
    assert (metadata["Name"], metadata["Version"]) == (PYTHON_PACKAGE, __version__)
    assert metadata["Requires-Python"] == ">=3.10"
    [pulumi] = [d for d in metadata.get_all("Requires-Dist") or []
                if re.match(r"pulumi\b[^-_]", d)]
    assert re.fullmatch(r"pulumi<4\.0\.0,>=3\.\d+\.\d+|pulumi>=3\.\d+\.\d+,<4\.0\.0",
                        pulumi), pulumi
    # What the language host reads: <package>/pulumi-plugin.json beside the dist-info.
    installed = python_sdk / PYTHON_PACKAGE
    plugin = json.loads((installed / "pulumi-plugin.json").read_text())
    assert plugin == {"resource": True, "name": "mihu", "version": __version__}
    assert (installed / "py.typed").is_file()


def run_probe(python_sdk: Path) -> dict[str, Any]:
    """tests/host/python_sdk_probe.py with the installed SDK; what it printed."""
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("python_sdk_probe.py"))],
                          env={**os.environ, "PYTHONPATH": str(python_sdk)},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"the probe failed:\n{done.stdout}\n{done.stderr}"
    facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


def test_the_python_sdk_declares_the_native_resources_beside_pulumi_mihu(
        python_sdk: Path) -> None:
    facts = run_probe(python_sdk)
    assert facts["module"] == str(python_sdk / PYTHON_PACKAGE / "__init__.py")
    # pulumi_mihu is still the dynamic resources' package: no clash, no shadowing.
    assert facts["dynamic_module"] == str(ROOT / "pulumi_mihu" / "__init__.py")
    assert facts["dynamic_class"] == "pulumi_mihu.sip_trunk_connection"
    assert {"SipTrunkConnection", "SipTrunkConnectionArgs", "AgentSipTrunkAssignment",
            "AgentSipTrunkAssignmentArgs", "Provider", "ProviderArgs",
            "GetSipTrunkConnectionResult"} <= set(facts["classes"])
    # What the engine is sent: the native types, camelCase inputs, the explicit provider.
    assert facts["registered"] == [
        {"type": "pulumi:providers:mihu", "name": "account", "inputs": ["apiToken", "baseUrl"]},
        {"type": "mihu:index:SipTrunkConnection", "name": "support-line",
         "inputs": ["gateway", "password", "phoneNumber", "username"]}]
    assert facts["uuid"] == "uuid-1"
    # The credentials are secret whatever the program passed (plain strings here).
    assert facts["secret"] == {"username": True, "password": True, "phone_number": False,
                               "uuid": False}
    assert facts["provider_secret"] is True


def test_the_python_sdk_has_the_schemas_lookup_and_it_returns_no_credential(
        python_sdk: Path) -> None:
    facts = run_probe(python_sdk)
    functions = package_schema()["functions"]
    assert list(functions) == ["mihu:index:getSipTrunkConnection"]
    assert facts["invoked"] == [{"token": "mihu:index:getSipTrunkConnection",
                                 "args": {"uuid": "uuid-1"}}]
    assert facts["lookup"]["phone_number"] == "+15551230000"
    outputs = functions["mihu:index:getSipTrunkConnection"]["outputs"]["properties"]
    assert facts["lookup"]["fields"] == sorted(re.sub(r"[A-Z]", lambda m: "_" + m[0].lower(),
                                                      name) for name in outputs)
    assert not {"username", "password"} & set(facts["lookup"]["fields"])
