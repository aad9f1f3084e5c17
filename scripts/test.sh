#!/usr/bin/env bash
# The whole test suite, in the order that fails fastest. `make test` and .ci/run call this.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
RASA="$VENV/bin/rasa"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1

step() { printf '\n=== %s\n' "$*"; }
# Run a noisy command with its output in results/NAME.log, shown only when it fails.
quiet() {
  local name="$1"; shift
  mkdir -p results
  if ! "$@" >"results/$name.log" 2>&1; then
    tail -40 "results/$name.log"
    echo "FAILED: $* (full log: results/$name.log)" >&2
    return 1
  fi
}

step "lint (ruff)"
"$VENV/bin/ruff" check franceservices actions scripts tests webchat bench channels store nlu_components console handoff deploy rasa_patches
"$VENV/bin/ruff" format --check franceservices actions scripts tests webchat bench channels store nlu_components console handoff deploy rasa_patches

step "reference data"
"$PY" -m scripts.validate_data
"$PY" -m scripts.check_sources

step "unit tests"
"$PY" -m pytest tests/unit

step "train (skipped when nothing changed)"
quiet train "$RASA" train --quiet --out models
ls -1t models/*.tar.gz | head -1

step "Rasa data and domain"
quiet validate "$RASA" data validate --fail-on-warnings
echo "rasa data validate: OK"

step "NLU on the held-out test set"
rm -rf results/nlu
quiet nlu "$RASA" test nlu --nlu tests/nlu_test.yml --model models --out results/nlu --no-plot
"$PY" -m scripts.check_nlu_scores results/nlu

step "NLU on the SMS-style held-out test set"
rm -rf results/nlu_sms
quiet nlu_sms "$RASA" test nlu --nlu tests/nlu_test_sms.yml --model models --out results/nlu_sms --no-plot
"$PY" -m scripts.check_nlu_scores results/nlu_sms

step "dialogue test stories"
quiet core "$RASA" test core --stories tests/test_stories.yml --model models --out results/core \
  --fail-on-prediction-errors --no-plot
grep -E "Correct:" results/core.log | sed 's/.*rasa.core.test  - \t*/rasa test core: /'

step "end-to-end (real servers, REST channel)"
"$PY" -m pytest tests/e2e

step "browser: web widget (Playwright + axe-core in Debian's chromium)"
bash scripts/test_browser.sh
