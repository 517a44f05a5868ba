#!/usr/bin/env bash
# The demo: creates .venv on first use, starts a Mihu API simulator on loopback and runs
# the root example stack against it (real Pulumi CLI if installed, else the harness).
# Pass --no-read-routes to see the behaviour against an API without GET/DELETE routes.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
exec "$VENV/bin/python" scripts/demo.py "$@"
