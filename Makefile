# The two commands of a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment .venv first when it is not there yet.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench-import bench-scan bench-api bench-pages screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wage-guard demo

lint: $(STAMP)
	$(BIN)/ruff check wage_guard tests bench alembic
	$(BIN)/ruff format --check wage_guard tests bench alembic
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench-scan: $(STAMP)
	$(BIN)/python bench/bench_scan.py

bench-api: $(STAMP)
	$(BIN)/python bench/bench_api.py

bench-pages: $(STAMP)
	$(BIN)/python bench/bench_pages.py

# The README's screenshots, taken by the browser tests on SQLite.
screenshots: $(STAMP)
	WAGE_GUARD_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/web/test_e2e.py -k sqlite -q

bench-import: $(STAMP)
	$(BIN)/python bench/bench_import.py

clean:
	rm -rf $(VENV) demo-data wage_guard.db wage_guard.db-wal wage_guard.db-shm
