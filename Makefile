# caseflow — the two commands a newcomer needs:
#   make run    set up, migrate, load the demo data, serve on http://127.0.0.1:5000 and run
#               the scheduler beside the server (Ctrl-C stops both)
#   make test   set up with the test extras and run the whole suite
# Both create .venv on first use (Python 3.11+ as `python3`, or PYTHON=/path/to/python).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
DEMO_DATE ?= 2025-10-15
PYTEST_ARGS ?=

.PHONY: run test install install-test lint translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: export CASEFLOW_ENV = development
run: export CASEFLOW_TODAY = $(DEMO_DATE)
run: install
	$(BIN)/caseflow db upgrade
	$(BIN)/caseflow demo --if-empty
	@echo ""
	@echo "caseflow läuft auf http://$(HOST):$(PORT)  (Demo-Datum $(DEMO_DATE); Strg+C beendet)"
	@# The scheduler in the background, the server in the foreground; Ctrl-C (or the end of
	@# the server) stops the scheduler too, which releases its lock.
	@$(BIN)/caseflow scheduler & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(BIN)/caseflow run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check caseflow tests bench migrations/env.py
	$(BIN)/ruff format --check caseflow tests bench
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check caseflow tests
	$(BIN)/lint-imports

# Re-extract the German msgids and update the English catalogue (then translate the
# empty entries in caseflow/translations/en/LC_MESSAGES/messages.po and compile).
translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o caseflow/translations/messages.pot .
	$(BIN)/pybabel update -i caseflow/translations/messages.pot -d caseflow/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d caseflow/translations

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
