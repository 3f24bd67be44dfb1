# Rosetta: `make demo` builds the demo project and serves it at http://127.0.0.1:8000;
# `make test` runs lint, format check, types, the layer contract and the tests.
# Both create .venv on first use and reinstall only when pyproject.toml changes.

# The first interpreter that really runs and is 3.11 or newer (pyenv shims may exist for
# versions that are not active, so each candidate is run, not just looked up).
PYTHON ?= $(shell for p in python3 python3.11 python3.12 python3.13; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_ARGS ?= --n 10000 100000

# Debian packages the tests call (they make their media with ffmpeg and sox).
SYSTEM_TOOLS := ffmpeg sox
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-tools demo test bench

$(BIN)/python:
	@test -n "$(PYTHON)" && $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Rosetta needs Python 3.11 or newer; run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

system-tools:
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: $(STAMP)
	$(BIN)/rosetta demo --host $(HOST) --port $(PORT)

test: $(STAMP) system-tools
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: $(STAMP) system-tools
	$(BIN)/python bench/import_export.py $(BENCH_ARGS)
	$(BIN)/python bench/clocks.py
	$(BIN)/python bench/align.py
	$(BIN)/python bench/media.py
