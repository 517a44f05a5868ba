#!/usr/bin/env bash
# Build the generated Node.js SDK (sdk/nodejs) into the npm package that would be published:
# a copy of sdk/nodejs, its dependencies installed (npm), `tsc` into bin/, package.json,
# README.md and LICENSE copied beside the JavaScript, and `npm pack` of bin/ into DEST
# (default dist/): mihu-ai-pulumi-mihu-<version>.tgz, its path printed last. To publish:
# `npm publish <that .tgz> --access public` (the @mihu-ai scope must be the publisher's).
# A program installs it with `npm install <path to the .tgz>` until it is on the registry.
#
# Uses npm's cache (~/.npm by default), so a second run downloads nothing it already has.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/dist}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mihu-node-sdk.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$root/sdk/nodejs/." "$work/"
cd "$work"
npm install --no-audit --no-fund --prefer-offline --loglevel=error >&2
npx --no-install tsc >&2
cp package.json "$root/LICENSE" bin/
if [ -f README.md ]; then cp README.md bin/; fi
npm pack ./bin --pack-destination "$dest" --loglevel=error >&2
version=$(node -p 'require("./package.json").version')
name=$(node -p 'require("./package.json").name.replace("@", "").replace("/", "-")')
echo "$dest/$name-$version.tgz"
