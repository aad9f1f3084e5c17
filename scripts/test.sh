#!/usr/bin/env bash
# The whole test suite, in the order that fails fastest. `make test` and .ci/run call this.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
RASA="$VENV/bin/rasa"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1

step() { printf '\n=== %s\n' "$*"; }

step "lint (ruff)"
"$VENV/bin/ruff" check actions scripts tests webchat bench channels store nlu_components
"$VENV/bin/ruff" format --check actions scripts tests webchat bench channels store nlu_components

step "reference data"
"$PY" -m scripts.validate_data

step "unit tests"
"$PY" -m pytest tests/unit

step "train (skipped when nothing changed)"
"$RASA" train --quiet --out models

step "Rasa data and domain"
"$RASA" data validate --fail-on-warnings

step "NLU on the held-out test set"
rm -rf results/nlu && mkdir -p results
"$RASA" test nlu --nlu tests/nlu_test.yml --model models --out results/nlu --no-plot >results/nlu.log 2>&1 || { tail -30 results/nlu.log; exit 1; }
"$PY" -m scripts.check_nlu_scores results/nlu

step "dialogue test stories"
"$RASA" test core --stories tests/test_stories.yml --model models --out results/core \
  --fail-on-prediction-errors --no-plot --silent

step "end-to-end (real servers, REST channel)"
"$PY" -m pytest tests/e2e
