# Sourced by demo.sh and test.sh: make sure $VENV (default .venv) exists and holds what
# requirements-dev.txt asks for. Reinstalls only when the requirement files change.
set -euo pipefail
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating virtual environment $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.pulumi-mihu-requirements"
want=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing requirements into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
# Bytecode for the checkout, as a wheel's install writes it (stale files only, under a
# second): where PYTHONDONTWRITEBYTECODE is set, as on this project's machines, every
# program and provider host a CLI test starts would compile pulumi_mihu from source again.
# Only an optimisation: a checkout it cannot write to (read-only) still runs.
"$VENV/bin/python" -m compileall -q pulumi_mihu >/dev/null || true
