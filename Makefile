# Two commands do everything on a fresh machine with Python 3.11:
#   make repro   set up .venv, run the DVC pipeline, print a summary
#   make test    set up .venv, lint, run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
# dvc runs stage commands (`python -m pwc.stages.x`) through the shell: use the venv's python.
export PATH := $(BIN):$(PATH)

.PHONY: setup repro verify test test-fast lint format lock bench serve openapi load-bench push pull sweep \
	best report clean-venv

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

repro: setup
	$(BIN)/dvc repro
	$(BIN)/python -m pwc.report

# Rerun every stage and check each output against dvc.lock (exit 1 names what differs, and why).
verify: setup
	$(BIN)/python -m pwc.verify

test: setup lint
	$(BIN)/python -m pytest

# The unit tests only (tests/code, under a minute): the edit-test loop. CI runs `make test`.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

# Regenerate the pinned files from the .in files (needs uv: pip install uv).
lock:
	uv pip compile --quiet --python-version 3.11 --no-header --annotation-style line \
		requirements.in -o requirements.txt
	uv pip compile --quiet --python-version 3.11 --no-header --annotation-style line \
		requirements-serve.in -o requirements-serve.txt

# The API on http://127.0.0.1:8000 (docs at /docs), with the model `make repro` trained.
serve: setup
	$(BIN)/password-complexity serve --host 127.0.0.1 --port 8000

# Regenerate the committed OpenAPI schema (a test fails when it is stale).
openapi: setup
	$(BIN)/python -m pwc.serve.openapi > docs/openapi.json

# Data and models to / from the default DVC remote (.dvc/config; README "Remote storage").
push: setup
	$(BIN)/dvc push
pull: setup
	$(BIN)/dvc pull

# A parameter grid as DVC experiments, two at a time, ranked by validation_head Spearman
# (choices are made on validation; test figures are shown, never used to rank).
SWEEP ?= -S 'train.alpha=1,3,10' -S 'train.sampling=log_rank,mixed'
sweep: setup
	$(BIN)/dvc exp run --queue $(SWEEP)
	$(BIN)/dvc queue start -j 2
	$(BIN)/python -m pwc.experiments wait
	$(BIN)/dvc exp show --no-pager --md --sort-by \
		metrics/evaluate/metrics.json:validation_head.served.spearman --sort-order desc \
		--keep 'Experiment|train\.|validation_head\.served\.(spearman|auc)|test_head\.served\.spearman' \
		--drop '.*'
	$(BIN)/python -m pwc.experiments rank

best: setup
	$(BIN)/python -m pwc.experiments best

report: setup
	$(BIN)/python -m pwc.dashboard --out reports/dashboard.html

load-bench: setup
	$(BIN)/python benchmarks/load.py

bench: setup
	bash benchmarks/pipeline.sh

clean-venv:
	rm -rf $(VENV)
