# The quick start: `make demo`, then `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format bench bench-matrix bench-serve clean browser screenshot node grammar-test vsix

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "planrules needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install compiles nothing, as installing a wheel does: the bytecode is compiled
# here, so that a command does not compile every module it loads each time it starts where
# Python may not write bytecode (PYTHONDONTWRITEBYTECODE). A module changed since is compiled
# again as it loads.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --editable .
	$(BIN)/python -m compileall -q src
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --editable '.[dev,xlsx,i18n,html,browser,serve,serve-test,lsp]'
	touch $@

# The SAADO launch as of August; exit 1 (the plan has failing rules) is a report, not an error.
demo: $(VENV)/.installed
	$(BIN)/planrules check rulesets
	$(BIN)/planrules eval rulesets/saado.plan rulesets/saado.json --at 2026-08 || [ $$? -eq 1 ]

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint browser grammar-test
	$(BIN)/python -m pytest

# The HTML report's tests open it in Debian's chromium (Playwright drives it; it downloads no
# browser of its own). Installed when missing, as root; otherwise say how.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "browser: run 'sudo apt-get install -y chromium' for the HTML report's tests"; fi; }

# The VS Code extension (editors/vscode): Node and npm from Debian when missing (as root), the
# extension's npm packages from its committed package-lock.json.
VSCODE := editors/vscode

node:
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; \
		else echo "node: run 'sudo apt-get install -y nodejs npm' for the editor extension"; exit 1; fi; }

$(VSCODE)/node_modules/.installed: $(VSCODE)/package-lock.json | node
	cd $(VSCODE) && npm ci --no-audit --no-fund
	touch $@

# The TextMate grammar against lines of the examples (vscode-tmgrammar-test).
grammar-test: $(VSCODE)/node_modules/.installed
	cd $(VSCODE) && npm test

# The extension as build/planrules.vsix: `code --install-extension build/planrules.vsix`.
vsix: $(VSCODE)/node_modules/.installed
	mkdir -p build
	cd $(VSCODE) && npx vsce package --allow-missing-repository --skip-license \
		--out ../../build/planrules.vsix

# The README's picture of the SAADO report: docs/saado-report.png.
screenshot: $(VENV)/.installed-dev browser
	mkdir -p build
	$(BIN)/planrules eval rulesets/saado.plan rulesets/saado.json --format html \
		-o build/saado-report.html || [ $$? -eq 1 ]
	$(BIN)/python tests/screenshot.py build/saado-report.html docs/saado-report.png

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_eval.py

# `planrules serve` under load on loopback (1 and 2 workers, against the Python API), then a
# 10,000-request soak with a reload every second: about 10 minutes on 2 cores.
bench-serve: $(VENV)/.installed-dev
	cd benchmarks && ../$(BIN)/python bench_serve.py

# planrules against hand-written Decimal code and peers (rule-engine, cel-python, zen-engine,
# Polars): a table, about 5 minutes; `--quick` for under 2.
bench-matrix: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --editable '.[bench]' \
		|| echo "bench-matrix: the peers could not all be installed; those missing show as not installed"
	$(BIN)/python benchmarks/bench_matrix.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache $(VSCODE)/node_modules
