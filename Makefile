# Cloud Ops Portal. `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint bench venv clean

# Development installs requirements-dev.txt (production needs only requirements.txt, which it includes).
$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
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

## ruff on everything; mypy on the product code; import-linter's layer contracts (.importlinter).
lint: $(STAMP)
	$(PY) -m ruff check portal portal_dev pages tests benchmarks streamlit_app.py app.py
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

## Benchmarks at 2,000, 20,000 and 100,000 workspaces (about 10 min): writes benchmarks/RESULTS.md and
## results.json. Needs PostgreSQL for its rows (PORTAL_BENCH_POSTGRES_URL, default 127.0.0.1:5432/test,
## where it creates and drops a database of its own). BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
