# The two set-up commands: `make serve` runs the service, `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install serve test lint typecheck trees pytest static-checks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

serve: install
	$(BIN)/netadvisor serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

trees: install
	$(BIN)/netadvisor check
	$(BIN)/netadvisor test

pytest: install
	$(BIN)/python -m pytest -q

test: lint typecheck trees pytest

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
