# Huifang — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Tests never touch ./data: their own data folder and a fixed key.
TEST_ENV := HUIFANG_DATA_DIR=$(CURDIR)/build/test-data HUIFANG_SECRET_KEY=test-only-not-secret

.PHONY: run test lint typecheck rules wheel-test unit-sqlite unit-postgres messages bench load clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

# Compile the translation catalogues (the .mo files are build output, not committed).
messages: $(STAMP)
	cd huifang && ../$(BIN)/django-admin compilemessages -v0

run: $(STAMP) messages
	$(BIN)/huifang serve --demo --addr 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check huifang bench setup.py
	$(BIN)/ruff format --check huifang bench setup.py
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy huifang bench

# The pure rule engine: no database, 100 % branch coverage by its own tests.
rules: $(STAMP)
	@echo "=== rules engine (pure Python, 100 % branch coverage) ==="
	$(TEST_ENV) $(BIN)/pytest -q huifang/rules --cov=huifang.rules --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=100

# The package as installed on a server: a wheel from a clean copy of the sources, a fresh virtual
# environment without the dev extras, migrate, every preset, serve --demo and web (~1.5 min).
wheel-test: $(STAMP)
	@echo "=== the wheel, installed and driven ==="
	PYTHON=$(PYTHON) scripts/wheel-test.sh

unit-sqlite: $(STAMP) messages
	@echo "=== tests on SQLite ==="
	$(TEST_ENV) $(BIN)/huifang check
	$(TEST_ENV) $(BIN)/huifang makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest -q

unit-postgres: $(STAMP) messages
	@echo "=== tests on PostgreSQL ==="
	$(TEST_ENV) scripts/with-postgres.sh sh -c '$(BIN)/huifang check --database default && $(BIN)/pytest -q'

test: lint typecheck rules wheel-test unit-sqlite unit-postgres
	@echo "=== make test: all passed on SQLite and PostgreSQL ==="

bench: $(STAMP)
	$(BIN)/python bench/bench_rules.py
	HUIFANG_DATA_DIR=$(CURDIR)/build/bench-data HUIFANG_SECRET_KEY=bench scripts/with-postgres.sh \
		$(BIN)/python bench/bench_import.py
	HUIFANG_DATA_DIR=$(CURDIR)/build/bench-data HUIFANG_SECRET_KEY=bench scripts/with-postgres.sh \
		$(BIN)/python bench/bench_api.py
# 200 agents, a connection each; a buffer pool that holds the hot part of 1,000,000 tasks.
	HUIFANG_DATA_DIR=$(CURDIR)/build/bench-data HUIFANG_SECRET_KEY=bench \
		HUIFANG_PG_OPTIONS="-c max_connections=300 -c shared_buffers=2GB" scripts/with-postgres.sh \
		$(BIN)/python bench/bench_queue.py
# 100,000 messages queued and sent under a rate limit (issue 18).
	HUIFANG_DATA_DIR=$(CURDIR)/build/bench-data HUIFANG_SECRET_KEY=bench scripts/with-postgres.sh \
		$(BIN)/python bench/bench_outbox.py

# The production set-up under load (docs/performance.md): nginx + huifang web on PostgreSQL, 200
# agents, supervisors and HQ for 90 s per configuration. Not part of `make test`.
load: $(STAMP) messages
	HUIFANG_DATA_DIR=$(CURDIR)/build/bench-data HUIFANG_SECRET_KEY=bench scripts/with-postgres.sh \
		$(BIN)/python bench/load_web.py

clean:
	rm -rf build $(VENV)
