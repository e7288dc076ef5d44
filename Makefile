# Quickstart: `make demo` and `make test`. Both create .venv on first use and are idempotent.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
WORKDIR ?= scrimmage-runs
# torch first, pinned: this CPU wheel lies on disk here; an unpinned torch pulls a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
# Every other dependency is pinned in LOCK (regenerate with `make lock`); install uses it as constraints.
LOCK   := requirements.lock
PIP_TOOLS_SPEC ?= pip-tools==7.6.2

.PHONY: install dev demo test lint bench clean lock chromium

$(VENV)/.installed: pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -c $(LOCK) -e ".[dev]"
	touch $@

# Re-resolve LOCK from pyproject.toml (dev + postgres extras) with pip-compile in a throwaway venv,
# torch pinned to TORCH_SPEC (fed on stdin, hence "via -r -"). pip-compile resolves against the
# local CPU wheel, so no CUDA packages; its local label (+cpu) is dropped so LOCK agrees with
# TORCH_SPEC. Existing pins are kept where still valid; `make lock LOCK_ARGS=--upgrade` bumps all.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install -q --upgrade pip; \
	"$$tmp/venv/bin/pip" install -q "$(PIP_TOOLS_SPEC)"; \
	echo "$(TORCH_SPEC)" | CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/venv/bin/pip-compile" -q \
	  --extra dev --extra postgres --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  $(LOCK_ARGS) -o $(LOCK) pyproject.toml -; \
	sed -i -E 's/^(torch==[^+ ]+)\+[^ ]+$$/\1/' $(LOCK)

install: $(VENV)/.installed

dev: install

demo: install
	$(VENV)/bin/scrimmage --workdir $(WORKDIR) data nfl
	$(VENV)/bin/scrimmage --workdir $(WORKDIR) train recipes/nfl-pregame.yaml $(if $(wildcard ../shared/data/nfl_lines/spreadspoke_scores.csv),-o data.lines=../shared/data/nfl_lines/spreadspoke_scores.csv,)

# The whole suite, slow tests included, across every core (pytest-xdist); the 15 slowest tests are listed
# so a new expensive test shows up in the log (budget: README, "Development").
test: install chromium
	$(PY) -m pytest -q -n auto --durations=15

# Headless Chromium for the report pages' browser test (tests/reports/test_browser.py; skipped without it).
# Idempotent: installs Debian's chromium only where none is on PATH (needs root or sudo-less apt, as in CI);
# where it cannot be installed the test target goes on and that test skips with its reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver) || echo "chromium not installed: the report browser test will skip"

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

bench: install
	$(PY) benchmarks/nfl_ingest.py
	$(PY) benchmarks/engine_throughput.py
	$(PY) benchmarks/simulate_throughput.py
	$(PY) benchmarks/market_models_throughput.py
	$(PY) benchmarks/tune_pruning.py
	$(PY) benchmarks/campaign_submit.py
	$(PY) benchmarks/campaign_latency.py
	$(PY) benchmarks/ensemble_vectorized.py

clean:
	rm -rf $(WORKDIR) .pytest_cache
