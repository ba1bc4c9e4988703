# The commands the README names: run, test, bench, lint.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export FLASK_APP := wsgi

.PHONY: install run test bench lint format

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p instance
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi db upgrade
	APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi features sync-catalog
	APP_ENV=$${APP_ENV:-development} $(BIN)/python scripts/run_dev.py

test: install
	APP_ENV=test $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	APP_ENV=test $(BIN)/python -m benchmarks

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
