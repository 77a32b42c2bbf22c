# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.8

.PHONY: run test test-fast lint bench install clean browser monitoring asyncapi-parser gateway lock a11y-tools

$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Both lock files again from pyproject.toml, with hashes, keeping the versions already locked where
# they still fit: requirements.lock is what the image installs (no dev tools, no embedded broker and
# database), requirements-dev.lock adds the extras `dev` and `embedded` at the same versions.
LOCK = UV_CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/uv pip compile pyproject.toml --python-version 3.11 \
  --generate-hashes --quiet

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(LOCK) -o requirements.lock
	$(LOCK) --extra dev --extra embedded -c requirements.lock -o requirements-dev.lock

# Other ports: make run PORT=8080 KAFKA_PORT=19093 MONGO_PORT=27118 METRICS_PORT=9465 MAIL_SINK_PORT=2526
UP_OPTIONS = $(if $(PORT),--port $(PORT)) $(if $(KAFKA_PORT),--kafka-port $(KAFKA_PORT)) \
  $(if $(MONGO_PORT),--mongo-port $(MONGO_PORT)) $(if $(METRICS_PORT),--metrics-port $(METRICS_PORT)) \
  $(if $(MAIL_SINK_PORT),--mail-sink-port $(MAIL_SINK_PORT))

run: $(STAMP)
	$(BIN)/dimm up $(strip $(UP_OPTIONS))

# Headless Chromium renders the HTML report in a test; Debian's package, installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed (and we are not root): the report screenshot test will be skipped"; fi; }

# axe-core from the npm registry, at the version locked in tools/a11y/package-lock.json, for the
# accessibility tests (WCAG 2.1 AA in headless Chromium); without npm they are skipped, saying so.
AXE := tools/a11y/node_modules/axe-core/axe.min.js

a11y-tools:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm is not installed: the accessibility tests (axe-core) will be skipped"; \
	elif [ ! -f $(AXE) ] || [ tools/a11y/package-lock.json -nt $(AXE) ]; then \
	  npm ci --prefix tools/a11y --no-audit --no-fund --ignore-scripts --loglevel=error \
	    || echo "axe-core could not be installed: the accessibility tests will be skipped"; \
	fi

# Prometheus, promtool, Alertmanager and amtool (Debian's packages, extracted without root):
# the alert rules' and routes' tests run them, and `dimm up --monitoring` starts them.
monitoring:
	@sh deploy/fetch-monitoring.sh .tools/monitoring

# The AsyncAPI parser (npm, versions locked by tests/asyncapi/package-lock.json): a test validates every
# service's document with it, and is skipped where npm is missing.
PARSER := .tools/asyncapi-parser
$(PARSER)/.installed: tests/asyncapi/package.json tests/asyncapi/package-lock.json tests/asyncapi/validate.mjs
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(PARSER) && cp $^ $(PARSER)/ && \
	  (cd $(PARSER) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) && touch $@; \
	else echo "npm is not installed: the AsyncAPI parser test will be skipped"; fi

asyncapi-parser: $(PARSER)/.installed

# nginx (Debian's package, extracted without root): a test runs the gateway's configuration in it.
gateway:
	@sh deploy/fetch-nginx.sh .tools/nginx

# The linters first: CI runs `make test`, so a type error or an unformatted file fails it too.
# The end-to-end tier (service processes, SIGKILLs, a real Prometheus) mostly waits on timers:
# it runs beside the rest, its output printed after; both must pass.
test: lint browser monitoring asyncapi-parser gateway a11y-tools
	@mkdir -p var
	@$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e > var/e2e-tests.log 2>&1 & e2e=$$!; \
	$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/e2e; rest=$$?; \
	wait $$e2e; e2e_rc=$$?; echo "--- tests/e2e ---"; cat var/e2e-tests.log; \
	test $$rest -eq 0 && test $$e2e_rc -eq 0

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services shared dimm

bench: $(STAMP)
	$(BIN)/dimm bench bus

clean:
	rm -rf $(VENV) var .tools tools/a11y/node_modules
