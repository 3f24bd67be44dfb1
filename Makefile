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

# Debian packages the tests call (they make their media with ffmpeg and sox; the browser
# tests drive Chromium).
SYSTEM_TOOLS := ffmpeg sox chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-tools web demo test screenshots bench fuzz openapi soak

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
	@# rosetta backup/restore on PostgreSQL run pg_dump, pg_restore and psql (a major version at least the server's)
	@command -v pg_dump >/dev/null || { echo "installing Debian packages: postgresql-client"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql-client; }

demo: $(STAMP) web
	$(BIN)/rosetta demo --host $(HOST) --port $(PORT)

# the web workspace's dependencies and tools (tests also regenerate and type-check the client)
web/node_modules/.installed: web/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null || \
		{ echo "The web workspace needs Node.js 20.19 or newer with npm (found: $$(node --version 2>/dev/null || echo none))"; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@

# the web workspace, built into the package (src/rosetta/web_dist, served at /app) when
# any of its sources changed since the last build (its index.html is the stamp)
WEB_BUILT := src/rosetta/web_dist/index.html
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json web/package-lock.json

$(WEB_BUILT): $(WEB_SOURCES) web/node_modules/.installed
	cd web && npm run build
	@touch $@

web: $(WEB_BUILT)

test: $(STAMP) system-tools web
	cd web && npm run typecheck && npm test
	$(BIN)/ruff check src tests bench scripts web/src
	$(BIN)/ruff format --check src tests bench scripts web/src
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

# the browser tests again, keeping their screenshots in docs/screenshots (the docs show them)
screenshots: $(STAMP) system-tools web
	ROSETTA_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser

# regenerate the OpenAPI document and the TypeScript client's types from the app
openapi: $(STAMP) web/node_modules/.installed
	$(BIN)/python scripts/openapi.py
	cd web && npm run gen:api

# schemathesis and the importer fuzzer with many examples (make test runs a few)
fuzz: $(STAMP) system-tools
	ROSETTA_FUZZ_EXAMPLES=$${ROSETTA_FUZZ_EXAMPLES:-300} ROSETTA_FUZZ_SCENARIOS=$${ROSETTA_FUZZ_SCENARIOS:-500} $(BIN)/pytest tests/test_fuzz_api.py
	ROSETTA_FUZZ_EXAMPLES=$${ROSETTA_FUZZ_EXAMPLES:-500} $(BIN)/pytest tests/test_fuzz_importers.py

# the 10-minute load test on SQLite and PostgreSQL, 20 kills of the server under writes and
# the long fuzz runs (docs/reliability.md); PostgreSQL at ROSETTA_TEST_PG
soak: $(STAMP) system-tools fuzz
	$(BIN)/python bench/soak.py --store sqlite --duration 600
	$(BIN)/python bench/soak.py --store postgresql --duration 600
	ROSETTA_CRASH_ROUNDS=20 $(BIN)/pytest tests/test_crash_safety.py

bench: $(STAMP) system-tools web
	$(BIN)/python bench/import_export.py $(BENCH_ARGS)
	$(BIN)/python bench/clocks.py
	$(BIN)/python bench/align.py
	$(BIN)/python bench/media.py
	$(BIN)/python bench/qa_batch.py --n 100000
	$(BIN)/python bench/coco_export.py
	$(BIN)/python bench/timed_import.py --n 100000
	$(BIN)/python bench/workspace_scale.py --runs 3
