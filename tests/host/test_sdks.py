"""The generated SDKs (sdk/, checked in) stay current: sdk/schema.json is the schema the
plugin serves, and scripts/gen-sdks.sh run again writes exactly the files under sdk/ (it
runs Pulumi's generators, scripts/sdkgen, so this needs Go: seconds once Go's caches have
them). Each SDK carries the package's version and its publishable name."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from pulumi_mihu import __version__
from pulumi_mihu.native.package_schema import (
    GO_IMPORT_PATH,
    NODE_PACKAGE,
    package_schema,
    schema_json,
)

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
#: What a build of the Node.js SDK in place, or an install for it, leaves (.gitignore).
NOT_GENERATED = {"node_modules", "bin"}
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
