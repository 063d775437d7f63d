# celltrial: two commands on a fresh machine.
#   make run   set up everything and serve http://127.0.0.1:8000 on the embedded SQLite database
#   make test  set up and run the whole test suite (unit, property, database, browser journeys)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev browser-deps lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Browser journeys need Debian's Chromium (never a downloaded browser build) and CJK fonts.
browser-deps:
	@scripts/ensure-browser-deps.sh

run: install
	$(BIN)/celltrial init --demo
	$(BIN)/celltrial serve --host $(HOST) --port $(PORT)

test: install-dev browser-deps lint
	$(BIN)/pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

# ruff, mypy (with django-stubs) and the import-linter contract that keeps Django out of pure modules.
lint: install-dev
	$(BIN)/ruff check src tests bench
	CELLTRIAL_DATA_DIR=$(CURDIR)/var/lint $(BIN)/mypy src/celltrial
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
