#!/usr/bin/env bash
# The demo: creates .venv on first use, starts a Mihu API simulator on loopback and runs
# the root example stack against it with the real Pulumi CLI (built first with
# scripts/install-pulumi-cli.sh when it is missing; without Go, it says how to install
# Pulumi and exits non-zero). Pass --no-read-routes to see the behaviour against an API
# without GET/DELETE routes.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
exec "$VENV/bin/python" scripts/demo.py "$@"
