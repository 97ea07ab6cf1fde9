# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/storyhouse
# One test process per core. Tests are handed out in pytest-django's order, so each process
# runs the tests that empty the database (transactional ones) after the others.
PYTEST_ARGS ?= -n auto
# Tests keep their own var/ (secret key, collected static files) apart from the demo's.
export STORYHOUSE_VAR_DIR ?= $(CURDIR)/var/test

.PHONY: demo test test-sqlite test-postgres lint format bench bench-search bench-serve bench-stats serve clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable '.[test]'
	touch $@

## Create the virtualenv, migrate, import the sample story and a demo corpus, serve on :8000.
demo: $(INSTALLED)
	$(VENV)/bin/storyhouse demo

serve: $(INSTALLED)
	$(VENV)/bin/storyhouse serve

## Run every test: on SQLite, then on PostgreSQL (always in CI; elsewhere when it answers).
test: test-sqlite test-postgres

test-sqlite: $(INSTALLED)
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(INSTALLED)
	@if [ "$$CI" = "true" ] || $(PY) -c "import psycopg; psycopg.connect('$(TEST_POSTGRES_URL)', dbname='postgres', connect_timeout=2).close()" 2>/dev/null; then \
		echo "== the suite again, on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		DATABASE_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest $(PYTEST_ARGS); \
	else \
		echo "== skipping the PostgreSQL pass: no server at $(TEST_POSTGRES_URL) (start one, or set TEST_POSTGRES_URL)"; \
	fi

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Benchmarks print their figures; they are never part of `make test`.
bench: $(INSTALLED)
	$(PY) -m bench

## The search benchmark at N books (loaded once into var/bench-search/, or DATABASE_URL).
N ?= 1000000
bench-search: $(INSTALLED)
	$(PY) -m bench.search --stories $(N)

## The statistics benchmark: a book of 50 parts read 5,000,000 times over two years, on
## SQLite then PostgreSQL: its statistics page p95, and rolling up a day of 100,000 reads.
bench-stats: $(INSTALLED)
	$(PY) -m bench.stats $(BENCH_STATS_ARGS)

## The load benchmark: storyhouse serve (SQLite, then PostgreSQL + Redis) and nginx under wrk.
bench-serve: $(INSTALLED)
	$(PY) -m bench.serve $(BENCH_SERVE_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
