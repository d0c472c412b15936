# The one entry point: CI runs `make test`; a newcomer runs `make demo`.
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install test test-aws lint typecheck unit demo bench sandbox clean system-packages workflow console console-screenshot

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

# What the console and its browser test need from the system, installed where missing (Debian packages):
# graphviz draws the workflow graph; the console's browser test drives Chromium through chromedriver.
SYSTEM_PACKAGES := chromium:chromium chromedriver:chromium-driver dot:graphviz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# Test modules run in parallel, one sandbox (one moto) per worker process.
test: lint typecheck system-packages
	$(BIN)/pytest -q -n auto --dist loadfile

# Opt-in, billed to the account, never in `make test` or CI: the scenario of tests/sandbox/test_scenario_restore_made_whole.py
# against a real account (README: Testing against a real account). Refuses before building anything when AWS_PROFILE,
# AWS_REGION or the sam command is missing. SAM_BUILD_ARGS goes to `sam build` (e.g. --use-container).
test-aws:
	@if [ -z "$$AWS_PROFILE" ] || [ -z "$$AWS_REGION" ]; then \
	  echo "make test-aws deploys restore-sync into a real AWS account, billed to it: set AWS_PROFILE and AWS_REGION," >&2; \
	  echo "e.g. AWS_PROFILE=dev AWS_REGION=eu-west-1 make test-aws (README: Testing against a real account)" >&2; \
	  exit 2; \
	fi
	@command -v sam >/dev/null 2>&1 || { \
	  echo "make test-aws deploys with the AWS SAM CLI, and the sam command is missing: install it" >&2; \
	  echo "(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html)" >&2; \
	  exit 2; }
	@$(MAKE) --no-print-directory install
	SAM_BUILD_ARGS="$(SAM_BUILD_ARGS)" $(PY) -m tests.scenarios.account

demo: $(STAMP)
	$(BIN)/restore-sync demo

sandbox: $(STAMP)
	$(BIN)/restore-sync sandbox

# The workflow picture in docs/, drawn from the definition; a test fails when it is stale.
workflow: $(STAMP) system-packages
	$(PY) -m restore_sync_tools.console.graph statemachine/restore_sync.asl.json docs/workflow

# The console against the deployment your AWS settings point at (AWS_ENDPOINT_URL for the sandbox).
console: $(STAMP) system-packages
	$(BIN)/restore-sync console

# docs/console.png: the browser test's picture of the page on a failed execution in the sandbox.
console-screenshot: $(STAMP) system-packages
	CONSOLE_SCREENSHOT=docs/console.png $(BIN)/pytest -q -p no:warnings tests/sandbox/test_console_browser.py

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
