# Tidsbro: `make demo` runs the demo, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes (pytest-xdist); files stay whole on one process. One more than the cores of
# a 2-core machine: many tests wait on a live server or the sandbox (SQLite suite 7:25 → 6:25).
TEST_WORKERS ?= 3

.PHONY: demo test lint format messages bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) requirements.txt
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

## Runs the demo: SQLite, demo data, the sandbox ERPs and a background worker on http://$(HOST):$(PORT)/
demo: $(VENV)/.installed
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo_data --sandboxes
	$(PY) manage.py demo_run --host $(HOST) --port $(PORT)

## Runs all tests in parallel (set DATABASE_URL=postgres://… to run them on PostgreSQL).
test: $(VENV)/.installed-dev
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Collects new UI strings into locale/*/django.po and compiles them (needs GNU gettext).
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l nb -l sv -l da --ignore=.venv --ignore=tests --no-location --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

## Benchmarks: sync, admin and API against the sandbox (S+M; SIZE=L or BENCH_L=1 adds L).
## A fresh throwaway database each run; DATABASE_URL=postgres://… runs it on PostgreSQL.
bench: $(VENV)/.installed
	$(if $(filter L,$(SIZE)),BENCH_L=1 ,)$(PY) -m bench

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache
