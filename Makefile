# Cloud Ops Portal. `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint bench venv clean

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## Start sandbox + local identity provider + portal on http://localhost:8501 (Ctrl-C stops all).
run: $(STAMP)
	$(PY) -m portal dev

## The whole test suite (SQLite). Browser tests skip with a reason when chromium is missing.
test: $(STAMP)
	$(PY) -m pytest

## The database tests again on PostgreSQL (CI runs this against 127.0.0.1:5432/test).
test-postgres: $(STAMP)
	PORTAL_TEST_DATABASE_URL=$${PORTAL_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(PY) -m pytest -m db

lint: $(STAMP)
	$(PY) -m ruff check portal pages tests streamlit_app.py

bench: $(STAMP)
	$(PY) -m pytest benchmarks -p no:cacheprovider

clean:
	rm -rf $(VENV) var .pytest_cache
