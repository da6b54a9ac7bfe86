# golive: two commands for a fresh clone (see README.md)
#   make demo   sets up everything and runs the go-live demo
#   make test   sets up everything and runs the whole test suite
# Each creates its own virtualenv in .venv; system packages (PostgreSQL,
# Prometheus) are installed by scripts/setup-system.sh when missing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.golive-installed

.PHONY: demo test lint typecheck unit future bench docs setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	bash scripts/setup-system.sh

demo: setup
	$(BIN)/golive demo

lint: $(STAMP)
	$(BIN)/ruff check golive tests benchmarks scripts
	$(BIN)/ruff format --check golive tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -n auto -q

# the time-sensitive tests again, with every Python process's clock a year ahead
future: setup
	BIN=$(BIN) bash scripts/test-future.sh 365

test: lint typecheck unit future

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_checks.py
	$(BIN)/python benchmarks/bench_events.py
	$(BIN)/python benchmarks/bench_web.py

docs: $(STAMP)
	$(BIN)/python scripts/gen_cli_docs.py
	$(BIN)/python scripts/gen_schema.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
