# The front door: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e "./core[server]" -e ./plugins/local_orchestrator -e ./plugins/local_artifact_store \
	-e "./plugins/fsspec_artifact_store[s3,azure,gcs]" \
	-e ./plugins/dask_orchestrator -e ./plugins/mlflow_experiment_tracker -e ./plugins/webhook_alerter
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench bytecode clean azurite postgresql chromium

$(STAMP): pyproject.toml core/pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PACKAGES) -e '.[dev,examples]'
	touch $@

# Editable installs get no bytecode when PYTHONDONTWRITEBYTECODE is set; a pip-installed
# runstack has it, so the figures are taken with it.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q core/src plugins benchmarks/workloads > /dev/null

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

test: $(STAMP) azurite postgresql chromium
	$(BIN)/python -m pytest -q

# Azurite, Azure Blob Storage on this machine, for the azure artifact store's tests (3.35.0 is
# the last release that runs on Node.js 20). Without npm, those tests are skipped, saying why.
AZURITE := .tools/node_modules/.bin/azurite-blob
azurite:
	@test -x $(AZURITE) || ! command -v npm > /dev/null || \
		npm install --silent --no-audit --no-fund --prefix .tools azurite@3.35.0

# PostgreSQL's initdb and pg_ctl, for the tests that start a throwaway server: Debian's package,
# installed only when they are missing and only by root. Without them, those tests are skipped,
# saying why.
postgresql:
	@command -v initdb > /dev/null || ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || \
		[ "$$(id -u)" != 0 ] || ! command -v apt-get > /dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends postgresql > /dev/null; } || \
		echo "PostgreSQL could not be installed: its tests will be skipped"

# Debian's chromium, in which the dashboard's tests click through it with Playwright (which
# cannot download browsers of its own here): installed only when missing and only by root.
# Without it, those tests are skipped, saying why.
chromium:
	@command -v chromium > /dev/null || [ "$$(id -u)" != 0 ] || ! command -v apt-get > /dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium > /dev/null; } || \
		echo "chromium could not be installed: the dashboard's browser tests will be skipped"

bench: bytecode postgresql
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .tools
