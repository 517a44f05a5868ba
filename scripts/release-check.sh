#!/usr/bin/env bash
# The release procedure's dry run (docs/development.md, "Releasing"); .ci/run calls it on
# every change, a maintainer runs it before tagging:
#   1. build the sdist, then the wheel from the sdist, out of a copy of the files git
#      tracks (nothing untracked or stale in the work tree gets in);
#   2. twine check --strict both (metadata, and the README as PyPI renders it);
#   3. install the wheel (not editable, not the checkout) into a fresh virtual environment
#      and run the fast tier against it, with the tests of the unpacked sdist copied
#      outside any source tree: the tests see the installed copy only
#      (tests/unit/test_release.py checks that it is under site-packages), and the sdist is
#      shown to hold what the tests need.
# The distributions are left in dist/ (DIST_DIR) for `twine upload`. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh            # $VENV has build and twine (requirements-dev.txt)
dist=$(realpath -m "${DIST_DIR:-dist}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== build: sdist and wheel"
mkdir "$work/src"
git ls-files -z | while IFS= read -r -d '' name; do
  if [ -f "$name" ]; then printf '%s\0' "$name"; fi
done | xargs -0 cp --parents -t "$work/src"
rm -rf "$dist"
"$VENV/bin/python" -m build --outdir "$dist" "$work/src" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
version=$("$VENV/bin/python" -c 'import sys; sys.path.insert(0, sys.argv[1]);
from pulumi_mihu._version import __version__; print(__version__)' "$work/src")
sdist="$dist/pulumi_mihu-$version.tar.gz"
wheel="$dist/pulumi_mihu-$version-py3-none-any.whl"
ls "$sdist" "$wheel"

echo "== twine check --strict"
"$VENV/bin/twine" check --strict "$sdist" "$wheel"

echo "== the fast tier against the installed wheel"
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel[test]"
# From a directory holding the sdist's tests/, pyproject.toml (pytest's settings) and
# README.md (tests hold the code to what it says), but not its pulumi_mihu/ (python -m
# pytest puts the working directory on sys.path), nor benchmarks/ (tests never import it).
tar -xzf "$sdist" -C "$work"
mkdir "$work/run"
for name in tests pyproject.toml README.md; do
  cp -r "$work/pulumi_mihu-$version/$name" "$work/run/"
done
cd "$work/run"
PULUMI_MIHU_TEST_INSTALLED=1 "$work/venv/bin/python" -m pytest -m fast -p no:cacheprovider \
  -q "$@" tests
