# The quick start: `make demo`, then `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format bench bench-matrix clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "planrules needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

# The SAADO launch as of August; exit 1 (the plan has failing rules) is a report, not an error.
demo: $(VENV)/.installed
	$(BIN)/planrules check rulesets
	$(BIN)/planrules eval rulesets/saado.plan rulesets/saado.json --at 2026-08 || [ $$? -eq 1 ]

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_eval.py

# planrules against hand-written Decimal code and peers (rule-engine, cel-python, zen-engine,
# Polars): a table, about 5 minutes; `--quick` for under 2.
bench-matrix: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --editable '.[bench]' \
		|| echo "bench-matrix: the peers could not all be installed; those missing show as not installed"
	$(BIN)/python benchmarks/bench_matrix.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
