# The two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: serve test lint format bench migrate clean browser proxy node fuzz scaled faults load schema

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

serve: migrate
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

# The browser tests (docs pages, web workspace) drive Debian's chromium; Playwright never
# downloads a browser here.
browser:
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# tests/test_tls_proxy.py puts Debian's nginx, terminating TLS, in front of Daphne. Only the
# binary is used: the test runs it with a configuration and ports of its own, never the
# package's service.
proxy:
	test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx)

# Test peers written in JavaScript (Node ws, Socket.IO v4 and v2, the official AsyncAPI parser),
# installed from the npm registry exactly as tests/node/package-lock.json pins them.
NODE_STAMP := tests/node/node_modules/.installed
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node: $(NODE_STAMP)

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python tests/check_services.py
	$(BIN)/ruff check --quiet .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The committed copy of the OpenAPI schema that tests/test_schema.py compares /api/schema/ with:
# run after an intended API change and commit the file with it.
schema: $(STAMP)
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file tests/schema/openapi.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A longer API fuzz than the one in `make test` (8 examples per operation and mode, fixed seed):
# FUZZ_EXAMPLES per operation and mode, new random cases every run. Summary and failures go to
# test-artifacts/fuzz/.
FUZZ_EXAMPLES ?= 50
fuzz: $(STAMP)
	$(BIN)/python tests/check_services.py
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(BIN)/python -m pytest tests/fuzz -q $(PYTEST_ARGS); \
		status=$$?; tail -n 1 test-artifacts/fuzz/summary.txt; exit $$status

bench: $(STAMP)
	$(BIN)/python tests/check_services.py
	$(BIN)/python -m tests.bench

# The scaled topology as local processes (scripts/scaled.py): WEBS Daphne processes and RELAYS
# relay workers on the local PostgreSQL and Redis, in a database of their own; Ctrl-C stops it.
WEBS ?= 2
RELAYS ?= 2
SCALED_PORT ?= 8100
scaled: $(STAMP)
	$(BIN)/python tests/check_services.py
	$(BIN)/python -m scripts.scaled --webs $(WEBS) --relays $(RELAYS) --port $(SCALED_PORT) $(SCALED_ARGS)

# Fault injection and load against that topology (docs/reliability.md "Faults", "Load"); not part
# of `make test`: they take minutes, and `faults` restarts this machine's PostgreSQL and Redis.
# `make faults FAULTS="flood relay-kill"`, `make load LOAD=api` run a part.
faults: $(STAMP)
	$(BIN)/python tests/check_services.py
	$(BIN)/python -m tests.reliability.faults $(FAULTS)

load: $(STAMP)
	$(BIN)/python tests/check_services.py
	$(BIN)/python -m tests.reliability.load $(LOAD)

clean:
	rm -rf $(VENV) staticfiles .mypy_cache tests/node/node_modules
