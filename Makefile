# Quickstart: `make demo` and `make test`. Both create .venv on first use and are idempotent.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
WORKDIR ?= scrimmage-runs
# torch first, pinned: this CPU wheel lies on disk here; an unpinned torch pulls a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0

.PHONY: install dev demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

dev: install

demo: install
	$(VENV)/bin/scrimmage --workdir $(WORKDIR) data nfl
	$(VENV)/bin/scrimmage --workdir $(WORKDIR) train recipes/nfl-pregame.yaml $(if $(wildcard ../shared/data/nfl_lines/spreadspoke_scores.csv),--lines ../shared/data/nfl_lines/spreadspoke_scores.csv,)

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

bench: install
	$(PY) benchmarks/nfl_ingest.py
	$(PY) benchmarks/engine_throughput.py

clean:
	rm -rf $(WORKDIR) .pytest_cache
