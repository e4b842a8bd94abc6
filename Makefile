# The two set-up commands: `make serve` runs the service, `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install install-runtime node-tools serve test check lint typecheck trees pytest static-checks clean

# `make serve` needs only the runtime (about 43 MB); the tests add their tools and the
# benchmark anchors on top of the same venv.
install-runtime: $(VENV)/.runtime

$(VENV)/.runtime: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

# Mermaid's own parser, used by the tests to read every diagram the service draws.
node-tools: tests/node/node_modules/.installed

tests/node/node_modules/.installed: tests/node/package.json tests/node/package-lock.json
	npm ci --prefix tests/node --no-audit --no-fund --silent
	touch $@

serve: install-runtime
	$(BIN)/netadvisor serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

trees: install
	$(BIN)/netadvisor check
	$(BIN)/netadvisor test

# hadolint and kubernetes-validate in the project's venv, checkov in a venv of its own.
static-checks: install
	scripts/install-static-checkers

pytest: install node-tools static-checks
	scripts/install-browser
	bench/install_wrk.sh
	NETADVISOR_MERMAID_MODULES=$(CURDIR)/tests/node $(BIN)/python -m pytest -q

test: lint typecheck trees pytest

# The quick subset for the edit-test loop: lint, types, the trees' own cases and every test
# not marked slow (servers, browsers, exhaustive renders, fuzzing and external tools are in
# `make test`, which CI runs).
# Modules marked slow as a whole are not even collected here (their parameters, such as
# every stop of every tree, take seconds to build).
SLOW_MODULES = $(shell grep -l '^pytestmark = pytest.mark.slow' tests/test_*.py)

check: lint typecheck trees
	$(BIN)/python -m pytest -q -m "not slow" -x $(addprefix --ignore=,$(SLOW_MODULES))

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
