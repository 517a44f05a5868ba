#!/usr/bin/env bash
# The fast tier (docs/development.md, "Test tiers") in a fresh virtual environment made
# with a given Python: how .ci/run tests the floors the README claims.
#   scripts/fast-tier.sh [--floors] PYTHON [REQUIREMENT ...] [-- PYTEST ARGUMENTS]
#   scripts/fast-tier.sh ~/.pyenv/versions/3.10.13/bin/python
#   scripts/fast-tier.sh --floors python3      # every dependency at its lowest version
# --floors installs each runtime dependency of pyproject.toml at the lower bound it
# accepts (pulumi>=3.200 becomes pulumi==3.200); the newest allowed otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
floors=false
if [ "${1:-}" = --floors ]; then floors=true; shift; fi
[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
python=$1; shift
requirements=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do requirements+=("$1"); shift; done
[ $# -gt 0 ] && shift
if $floors; then
  while read -r pin; do requirements+=("$pin"); done < <("$python" - <<'PY'
import re
from pathlib import Path

text = Path("pyproject.toml").read_text()
dependencies = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M)
assert dependencies, "no dependencies in pyproject.toml"
for name, lowest in re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)', dependencies.group(1)):
    print(f"{name}=={lowest}")
PY
)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
echo "Installing the package and ${requirements[*]:-its newest dependencies}"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -e '.[test]' ${requirements[@]+"${requirements[@]}"}
"$work/venv/bin/python" - <<'PY'
import platform
from importlib.metadata import version

print(f"Python {platform.python_version()}, pulumi {version('pulumi')}, "
      f"pydantic {version('pydantic')}, requests {version('requests')}")
PY
"$work/venv/bin/python" -m pytest -m fast -p no:cacheprovider -q "$@"
