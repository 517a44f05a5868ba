#!/usr/bin/env bash
# Build the generated Node.js SDK (sdk/nodejs) into the npm package that would be published:
# a copy of sdk/nodejs, its dependencies installed (`npm ci` from the lockfile below), `tsc`
# into bin/, package.json, README.md and LICENSE copied beside the JavaScript, and `npm pack`
# of bin/ into DEST (default dist/): mihu-ai-pulumi-mihu-<version>.tgz, its path printed
# last. To publish: `npm publish <that .tgz> --access public` (the @mihu-ai scope must be
# the publisher's). A program installs it with `npm install <path to the .tgz>` until it is
# on the registry.
#
# Reproducible: the build installs exactly what scripts/node-sdk-build/package-lock.json
# pins (typescript, @types/node, @pulumi/pulumi and theirs, each checked against its
# integrity hash), not whatever npm resolves that day. The lockfile lives outside sdk/nodejs
# because scripts/gen-sdks.sh owns that folder (it would delete it); it has no version of
# its own (npm ci ignores it), so a version bump leaves it alone. `npm ci` fails while it
# is out of step with sdk/nodejs/package.json (a dependency added or a range changed in the
# schema, e.g. language.nodejs.typescriptVersion); then refresh it:
#
#   scripts/pack-node-sdk.sh --lock   (npm install --package-lock-only on a copy of
#                                      sdk/nodejs: keeps what still satisfies the ranges)
#
# and commit it; delete it first to take the newest versions the ranges allow.
# tests/host/test_sdks.py checks it against package.json (and that a stale one stops this).
#
# Uses npm's cache (~/.npm by default), so a second run downloads nothing it already has.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lock=$root/scripts/node-sdk-build/package-lock.json
npm_flags=(--no-audit --no-fund --prefer-offline --loglevel=error)
work=$(mktemp -d "${TMPDIR:-/tmp}/mihu-node-sdk.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$root/sdk/nodejs/." "$work/"

if [ "${1:-}" = "--lock" ]; then
  if [ -f "$lock" ]; then cp "$lock" "$work/package-lock.json"; fi
  (cd "$work" && npm install --package-lock-only --ignore-scripts "${npm_flags[@]}" >&2)
  # Without the package's version (npm ci does not read it): a version bump changes nothing.
  mkdir -p "$(dirname "$lock")"
  node -e '
const fs = require("fs");
const lock = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
delete lock.version;
delete lock.packages[""].version;
fs.writeFileSync(process.argv[2], JSON.stringify(lock, null, 2) + "\n");' \
    "$work/package-lock.json" "$lock"
  echo "$lock"
  exit 0
fi

dest=${1:-$root/dist}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
cp "$lock" "$work/package-lock.json"
cd "$work"
npm ci "${npm_flags[@]}" >&2 || {
  echo "pack-node-sdk: npm ci failed; if it says the lockfile is out of sync, run" \
       "scripts/pack-node-sdk.sh --lock and commit scripts/node-sdk-build/package-lock.json" >&2
  exit 1; }
npx --no-install tsc >&2
cp package.json "$root/LICENSE" bin/
if [ -f README.md ]; then cp README.md bin/; fi
npm pack ./bin --pack-destination "$dest" --loglevel=error >&2
version=$(node -p 'require("./package.json").version')
name=$(node -p 'require("./package.json").name.replace("@", "").replace("/", "-")')
echo "$dest/$name-$version.tgz"
