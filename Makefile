# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE_VENV := .venv-core
PLUGINS := $(wildcard plugins/*)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

TEST_DATABASE_URL ?= postgresql+psycopg://occ:occ@127.0.0.1:5432/occ_test
TEST_REDIS_URL ?= redis://127.0.0.1:6390/0
# The run without plugins has a database and a Redis database of its own: both runs go side by side.
TEST_CORE_DATABASE_URL ?= postgresql+psycopg://occ:occ@127.0.0.1:5432/occ_test_core
TEST_CORE_REDIS_URL ?= redis://127.0.0.1:6390/1

.PHONY: run test install assets services test-all test-core-only bench clean

run: install assets
	$(BIN)/occ db upgrade
	$(BIN)/occ demo
	$(BIN)/occ serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml shared_registry/pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ./shared_registry -e '.[test]' $(foreach p,$(PLUGINS),-e ./$(p))
	touch $@

assets: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

services:
	./scripts/test-services

test: install assets services
	$(MAKE) -j2 --output-sync=target test-all test-core-only

test-all:
	OCC_TEST_DATABASE_URL=$(TEST_DATABASE_URL) OCC_TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest

# The core and the registry must work with no module installed: same tests, in an environment without plugins.
test-core-only: $(CORE_VENV)/.installed
	OCC_TEST_DATABASE_URL=$(TEST_CORE_DATABASE_URL) OCC_TEST_REDIS_URL=$(TEST_CORE_REDIS_URL) \
	  $(CORE_VENV)/bin/pytest tests/core tests/shared_registry

$(CORE_VENV)/.installed: pyproject.toml shared_registry/pyproject.toml
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/pip install -q --upgrade pip
	$(CORE_VENV)/bin/pip install -q -e ./shared_registry -e '.[test]'
	touch $@

bench: install assets
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) $(CORE_VENV) var node_modules
