#!/usr/bin/env bash
# The test command: creates .venv on first use, then runs the whole suite.
# Extra arguments go to pytest (for example: ./test.sh -k lifecycle -x).
# Tests run in $MIHU_TEST_WORKERS parallel workers (pytest-xdist; default 4, more than the
# cores: most tests wait on the CLI's chain of processes, not on a CPU). `-n 0` runs them
# in this process; --pdb, --trace, -s and -p no:xdist do so by themselves.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
workers=(-n "${MIHU_TEST_WORKERS:-4}" --dist worksteal)
for arg in "$@"; do
  case "$arg" in
    -n|-n*|--numprocesses*|--pdb|--trace|-s|--capture=no|no:xdist|-pno:xdist) workers=() ;;
  esac
done
if [ ${#workers[@]} -gt 0 ] && ! "$VENV/bin/python" -c '
import sys; sys.path[:0] = ["tests"]; import conftest; sys.exit(not conftest.tools_ready())' \
    2>/dev/null; then
  # A tool is missing: collect in one process first. It builds what the selected tests need,
  # its output shown, or stops saying why (pytest shows neither from a worker).
  collected=$(mktemp)
  trap 'rm -f "$collected"' EXIT
  "$VENV/bin/python" -m pytest --collect-only -q -p no:xdist "$@" >"$collected" || {
    rc=$?; grep -v "::" "$collected" >&2; exit "$rc"; }
fi
"$VENV/bin/python" -m pytest ${workers[@]+"${workers[@]}"} "$@"
