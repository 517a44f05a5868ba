#!/usr/bin/env bash
# Regenerate the Node.js, Go and Python SDKs of the native provider `mihu` (sdk/, checked in;
# nothing under sdk/ is written by hand) from its package schema, which is generated from
# the resources' declarations (pulumi_mihu/native/package_schema.py):
#
#   sdk/schema.json      the schema (what `pulumi package get-schema mihu` prints)
#   sdk/nodejs/          npm package @mihu-ai/pulumi-mihu (TypeScript; `tsc` builds it to bin/)
#   sdk/go/mihu/         Go module github.com/mihu-ai/pulumi-mihu/sdk/go/mihu (go.mod, go.sum)
#   sdk/python/          Python package pulumi_mihu_native (PyPI pulumi-mihu-native;
#                        pyproject.toml: `pip install sdk/python`)
#
# The code comes from Pulumi's generators (github.com/pulumi/pulumi/pkg/v3, at the CLI's
# pinned version), run by scripts/sdkgen: the same calls `pulumi package gen-sdk --language
# nodejs|go|python` makes through that release's language hosts, which cannot be built here
# (see docs/native.md, "Node.js and Go"). Run it after changing a resource's declarations or the
# package version; tests/host/test_sdks.py fails while sdk/ is not what this writes.
#
# Usage: scripts/gen-sdks.sh [OUT]   (default: sdk; the tests write a copy elsewhere)
# Environment: PYTHON (default .venv/bin/python, where pulumi_mihu is installed), GO.
# Needs Go and the module proxy the first time (then Go's caches: seconds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/sdk}
mkdir -p "$out"
out=$(cd "$out" && pwd)
PYTHON=${PYTHON:-$root/.venv/bin/python}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
# Built as the CLI is (scripts/install-pulumi-cli.sh), so Go's build cache serves what they
# share; GOTOOLCHAIN=local: the machine's Go, never a download.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=mod -trimpath -buildvcs=false"

"$PYTHON" -c 'from pulumi_mihu.native.package_schema import schema_json
print(schema_json())' > "$out/schema.json"
(cd "$root/scripts/sdkgen" && "$GO" run -mod=readonly . -schema "$out/schema.json" -out "$out" nodejs go python)

# The Go SDK as a module of its own, at its import path, requiring the Go SDK of Pulumi of
# the generators' version (pkg/v3's) (the generated code needs v3.269.0 or newer).
module=$("$PYTHON" -c 'from pulumi_mihu.native.package_schema import GO_IMPORT_PATH
print(GO_IMPORT_PATH)')
pulumi_sdk=$(sed -n 's#^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 \(v[^ ]*\)$#\1#p' \
             "$root/scripts/sdkgen/go.mod")
[ -n "$pulumi_sdk" ] || { echo "gen-sdks: no pkg/v3 version in scripts/sdkgen/go.mod" >&2; exit 1; }
go_version=$(sed -n 's/^go \(.*\)$/\1/p' "$root/scripts/sdkgen/go.mod")
gomod_dir="$out/go/${module##*/}"
printf 'module %s\n\ngo %s\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n' \
  "$module" "$go_version" "$pulumi_sdk" > "$gomod_dir/go.mod"
(cd "$gomod_dir" && "$GO" mod tidy)
echo "SDKs written to $out/nodejs, $out/go and $out/python (schema: $out/schema.json)" >&2
