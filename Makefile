# Two commands a newcomer needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 4566
SHARED ?= ../shared

.PHONY: run test check fmt conformance bench clean

# setup.py compiles these (mypyc, and the SNS signer's C): an edit to one rebuilds them (a stale build would shadow it)
NATIVE := setup.py $(wildcard src/eventyard/bus/patterns/*.py) src/eventyard/topics/_signer.c

# `make run` installs what serving needs; everything else also installs the test and developer extras.
SERVING := $(VENV)/.serving
TESTING := $(VENV)/.testing

$(SERVING): pyproject.toml $(NATIVE)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $(SERVING)

$(TESTING): pyproject.toml $(NATIVE)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(SERVING) $(TESTING)

# The second client of the wire tests (the AWS SDK for JavaScript), when this machine has npm.
JS := tests/js/node_modules/.installed

$(JS): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/js --no-audit --no-fund --silent && touch $(JS); \
	 else echo "npm not found: the JavaScript SDK wire tests will skip"; fi

run: $(SERVING)
	$(BIN)/eventyard serve --host 127.0.0.1 --port $(PORT) --data ./.eventyard/yard.db

check: $(TESTING)
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/ruff format --check src tests bench setup.py
	$(BIN)/mypy

fmt: $(TESTING)
	$(BIN)/ruff format src tests bench setup.py
	$(BIN)/ruff check --fix src tests bench setup.py

test: check $(JS)
	$(BIN)/pytest -q

# Runs the shared conformance cases of the services that exist against a fresh server.
conformance: $(TESTING)
	$(BIN)/python -m tests.harness.conformance $(SHARED)/conformance/cases

bench: $(TESTING)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build src/*.so src/eventyard/bus/patterns/*.so .eventyard .pytest_cache .mypy_cache .ruff_cache
