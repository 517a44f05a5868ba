#!/usr/bin/env bash
# The test command: creates .venv on first use, then runs the whole suite.
# Extra arguments go to pytest (for example: ./test.sh -k lifecycle -x).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
exec "$VENV/bin/python" -m pytest "$@"
