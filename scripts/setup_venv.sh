#!/usr/bin/env bash
# Create the Python 3.10 virtualenv (Rasa 3.6 needs Python 3.8-3.10) and install the pinned
# dependencies. Idempotent: does nothing when the installed set matches the requirement files.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
STAMP="$VENV/.installed"
# The requirement files (overridable for tests/unit/test_setup_venv.py).
REQUIREMENTS="${REQUIREMENTS:-requirements.txt}"
DEV_REQUIREMENTS="${DEV_REQUIREMENTS:-requirements-dev.txt}"
CONSTRAINTS="${CONSTRAINTS:-constraints.txt}"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/"3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  # pyenv installs versions without exposing them on PATH.
  for candidate in "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

wanted="$(cat "$REQUIREMENTS" "$CONSTRAINTS" "$DEV_REQUIREMENTS" | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && [ -x "$VENV/bin/rasa" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY="$(find_python)"; then
    echo "ERROR: Python 3.10 is required (Rasa 3.6 supports 3.8-3.10) and was not found." >&2
    echo "Install it (e.g. 'pyenv install 3.10') or set PYTHON=/path/to/python3.10." >&2
    exit 1
  fi
  echo "Creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
echo "Installing pinned dependencies into $VENV (about 2 minutes the first time)..."
# pip's noise about locations is filtered out; pip's own exit status decides (PIPESTATUS[0]):
# grep's status (1 when every line was filtered) must neither hide a failure nor cause one.
set +e
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$REQUIREMENTS" -r "$DEV_REQUIREMENTS" -c "$CONSTRAINTS" 2>&1 | grep -v "^WARNING: Location"
pip_status="${PIPESTATUS[0]}"
set -e
if [ "$pip_status" -ne 0 ]; then
  echo "ERROR: pip install failed (exit status $pip_status, see above); $VENV is not ready." >&2
  exit "$pip_status"
fi
"$VENV/bin/python" -c "import rasa, rasa_sdk, spacy, fr_core_news_sm, dateutil, pytest" \
  || { echo "ERROR: the installation failed (see above)." >&2; exit 1; }
echo "$wanted" > "$STAMP"
