# The one entry point: CI runs `make test`; a newcomer runs `make demo`.
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install test lint typecheck unit demo bench sandbox clean

install: $(STAMP)

$(STAMP): pyproject.toml functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[sandbox,dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Test modules run in parallel, one sandbox (one moto) per worker process.
test: lint typecheck
	$(BIN)/pytest -q -n auto --dist loadfile

demo: $(STAMP)
	$(BIN)/restore-sync demo

sandbox: $(STAMP)
	$(BIN)/restore-sync sandbox

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
