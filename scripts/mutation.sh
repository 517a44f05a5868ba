#!/usr/bin/env bash
# Mutation testing of the runtime package (pulumi_mihu/, not pulumi_mihu/testing/) with
# cosmic-ray. Prints the score per module and every surviving mutant.
#
#   scripts/mutation.sh                 # every module, 2 at a time (about 40 min on 2 cores)
#   scripts/mutation.sh client          # one module (or several: client errors)
#   scripts/mutation.sh --jobs 1 ...    # modules one after the other
#
# cosmic-ray and its dependencies go into their own .venv-mutation (they are not needed by
# the tests or CI); the tests run with the project's .venv, created as ./test.sh does.
# See docs/mutation.md for the method, the last result and the excluded mutants.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
MUTATION_VENV=${MUTATION_VENV:-.venv-mutation}
COSMIC_RAY="cosmic-ray==8.7.0"
if [ ! -x "$MUTATION_VENV/bin/cosmic-ray" ] \
   || [ "$(cat "$MUTATION_VENV/.pulumi-mihu-tool" 2>/dev/null)" != "$COSMIC_RAY" ]; then
  echo "Installing $COSMIC_RAY into $MUTATION_VENV" >&2
  [ -x "$MUTATION_VENV/bin/python" ] || "$PYTHON" -m venv "$MUTATION_VENV"
  "$MUTATION_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$COSMIC_RAY"
  echo "$COSMIC_RAY" > "$MUTATION_VENV/.pulumi-mihu-tool"
fi
exec "$MUTATION_VENV/bin/python" scripts/mutation.py --test-python "$VENV/bin/python" "$@"
