#!/usr/bin/env bash
# The test command: creates .venv on first use, then runs the whole suite.
# Extra arguments go to pytest (for example: ./test.sh -k lifecycle -x).
# Tests run in $MIHU_TEST_WORKERS parallel workers (pytest-xdist; default 4, more than the
# cores: most tests wait on the CLI's chain of processes, not on a CPU). `-n 0` runs them
# in this process (for --pdb or -s); --pdb and --trace do so by themselves.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
workers=(-n "${MIHU_TEST_WORKERS:-4}" --dist worksteal)
for arg in "$@"; do
  case "$arg" in
    -n|-n*|--numprocesses*|--pdb|--trace|no:xdist) workers=() ;;
  esac
done
exec "$VENV/bin/python" -m pytest ${workers[@]+"${workers[@]}"} "$@"
