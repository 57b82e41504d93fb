# The assistant's everyday commands. `make run` and `make test` are all a new
# user needs (see README). Everything runs from the repo root with .venv/.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
PY := $(BIN)/python
# Rasa's own command line, started the way make run starts it (bot/rasa_cli.py: no library
# deprecation notices, Rasa's telemetry off, the model's graph run without dask's scheduler)
RASA_CLI := $(PY) -m bot.rasa_cli
MODEL_DIR := models
# credentials.yml reads the SMS channel's Twilio token from the environment and Rasa
# refuses to start while it is unset. Laptop default only; production sets its own.
export TWILIO_AUTH_TOKEN ?= dev-only-twilio-token
# Rasa's usage and error reports to Rasa's servers: off for every command here (bot/rasa_cli.py says why).
export RASA_TELEMETRY_ENABLED ?= false
# The REST channel's and the action server's shared secrets. Unset, a laptop derives them from
# its development data-key file, so `make run`, `make shell` and `make actions` agree
# (privacy/dev_secrets.py); production sets both.
export REST_CHANNEL_TOKEN ?= $(shell $(PY) -m privacy.dev_secrets REST_CHANNEL_TOKEN 2>/dev/null)
export ACTION_SERVER_TOKEN ?= $(shell $(PY) -m privacy.dev_secrets ACTION_SERVER_TOKEN 2>/dev/null)

.PHONY: setup setup-test train run serve shell actions validate test test-fast test-stories test-nlu \
        cross-validate bench eval-risk tune-risk crisis-responses clean

setup:
	@bash scripts/setup.sh

# System packages the browser tests need (Debian's Chromium); skipped when present.
setup-test: setup
	@bash scripts/setup_test_system.sh

# Trains only when config, domain, data or the custom components changed (scripts/train.py).
train: setup
	@mkdir -p $(MODEL_DIR) var
	$(PY) scripts/train.py

run: train
	$(PY) scripts/run_stack.py

# Production mode on one machine: Rasa workers and action servers behind HAProxy, with the
# PostgreSQL tracker store, Redis lock store and RabbitMQ event broker (scripts/serve.py).
serve: setup-test train
	$(PY) scripts/serve.py --workers $(or $(WORKERS),2) --action-servers $(or $(ACTION_SERVERS),2)

# Talk to the assistant in the terminal, also while `make run` runs (it uses that action server;
# without `make run`, start `make actions` in another terminal for forms).
shell: train
	$(RASA) shell --endpoints endpoints.yml --port 5006

actions: setup
	$(RASA) run actions --actions actions --port 5055

validate: setup
	$(PY) scripts/validate_data.py

test-stories: train
	$(RASA_CLI) test core --stories tests/stories --model $(MODEL_DIR) --fail-on-prediction-errors --out results/stories

test-nlu: train
	$(RASA_CLI) test nlu --nlu tests/nlu_test.yml --model $(MODEL_DIR) --out results/nlu

cross-validate: setup
	$(RASA) test nlu --nlu bot/data --config config.yml --cross-validation --folds 5 --out results/cv

# Never trains and starts no Rasa server (`rasa run`): tests/conftest.py marks every test that uses the
# trained model `model`. About 3 minutes on 2 cores.
test-fast: setup
	$(BIN)/pytest -q -m "not e2e and not browser and not model"

# Everything CI runs: training side by side with data validation and the tests that need no model; as
# soon as the model is trained, the test stories, the held-out NLU set and the tests of the trained
# model (scripts/run_tests.sh).
test: setup-test
	bash scripts/run_tests.sh

bench: train
	$(PY) scripts/bench_latency.py

# Needs the assistant running (`make run`). The frozen set is run once, at the end of a tuning
# round (docs/RISK.md); tune on the development split with `make tune-risk`.
eval-risk: setup
	$(PY) scripts/eval_risk.py --url http://127.0.0.1:5005 --show-misses

tune-risk: setup
	$(PY) scripts/tune_risk.py

# Regenerates the domain's crisis responses from risk/data/crisis_resources.yml.
crisis-responses: setup
	$(PY) scripts/build_crisis_responses.py

clean:
	rm -rf results .pytest_cache var/test-models
