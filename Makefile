# Assistant France Services du Nord. `make help` lists the targets.
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_TELEMETRY_ENABLED ?= false
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

.PHONY: help setup run train test lint format validate validate-data check-sources lookups unit nlu-test core-test e2e bench prod test-prod clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Create the Python 3.10 virtualenv and install the pinned dependencies (if needed)
	@bash scripts/setup_venv.sh

run: setup train ## Start everything (action server, Rasa, chat page on http://localhost:8080)
	@$(PY) -m scripts.run

train: setup ## Train the model if the data changed (Rasa's fingerprinting skips it otherwise)
	@$(RASA) train --quiet --out models

test: setup ## The whole test suite (what CI runs)
	@bash scripts/test.sh

lint: setup ## ruff lint and format check
	@$(VENV)/bin/ruff check franceservices actions scripts tests webchat bench channels store nlu_components console handoff deploy rasa_patches
	@$(VENV)/bin/ruff format --check franceservices actions scripts tests webchat bench channels store nlu_components console handoff deploy rasa_patches

format: setup ## Format the Python code with ruff
	@$(VENV)/bin/ruff format franceservices actions scripts tests webchat bench channels store nlu_components console handoff deploy rasa_patches
	@$(VENV)/bin/ruff check --fix franceservices actions scripts tests webchat bench channels store nlu_components console handoff deploy rasa_patches

validate-data: setup ## Validate the reference data (calendar, communes, desks, procedures)
	@$(PY) -m scripts.validate_data

check-sources: setup ## List procedures checked more than 6 months ago and links on old domains
	@$(PY) -m scripts.check_sources

validate: setup validate-data ## Validate the Rasa training data and domain, and the reference data
	@$(RASA) data validate --fail-on-warnings

lookups: setup ## Regenerate data/lookups/ from reference/
	@$(PY) -m scripts.make_lookups

unit: setup ## Unit tests only (fast)
	@$(PY) -m pytest tests/unit

bench: setup train ## Run the benchmarks (see bench/README.md)
	@$(PY) -m bench.run_all

prod: setup train ## Production profile on loopback: PostgreSQL, Redis, 2 Rasa, actions, nginx :8000 (root; docs/production.md)
	@$(PY) -m deploy.prod up

test-prod: setup ## Tests of the production profile (root, about 5 minutes; not part of make test)
	@bash deploy/test_prod.sh

clean: ## Remove trained models, test results and local databases
	rm -rf models results var .pytest_cache
