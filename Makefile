# Two commands for a fresh machine with Python 3.11+ (see README):
#   make run   set up .venv and start the dashboard on http://127.0.0.1:8501
#   make test  set up .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast lint bench lock clean axe

# Laptop mode, through the launcher dashboard/serve.py (an st.App: no framing, same-origin
# websocket only, no metrics endpoint, short-lived sheet links). The flags repeat the safety settings of .streamlit/config.toml (SEC-1) so that a
# user-level ~/.streamlit/config.toml or a different working folder cannot weaken them; to serve
# a clinic network see docs/safety/deployment.md.
SAFE_FLAGS := --server.address 127.0.0.1 --browser.gatherUsageStats false \
	--client.showErrorDetails none --client.toolbarMode viewer \
	--server.enableXsrfProtection true --server.enableCORS true --server.maxUploadSize 1 \
	--server.fileWatcherType none

run: $(VENV)/.runtime
	$(PY) -m streamlit run dashboard/serve.py $(SAFE_FLAGS)

# The suite includes ruff and mypy (tests/test_lint.py), so `make test` and CI fail on a finding.
test: $(VENV)/.dev axe
	$(PY) -m pytest

# The unit tests only (no PDF rendering, screen, processes or browser): seconds, for while you work.
test-fast: $(VENV)/.dev
	$(PY) -m pytest -q -m "not slow and not browser"

# Just the linter and the type checker (configuration in pyproject.toml).
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(VENV)/.dev
	$(PY) bench/run_all.py

# Installs come from the lock files only, every file checked against its hash (SEC-10, H84).
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes

$(VENV)/.runtime: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed" or 0)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PIP_INSTALL) -r requirements-dev.lock
	touch $@

# After changing a pin in requirements*.txt (and installing it): rewrite both lock files.
lock: $(VENV)/.dev
	$(PY) .ci/lock.py

clean:
	rm -rf $(VENV)

# axe-core for the screen's accessibility checks in the browser tests, from the npm registry at
# the version package-lock.json pins. Without npm those checks are skipped and say how to get it
# (in CI, where .ci/run installs npm, a missing axe-core fails them).
axe:
	@if [ -f node_modules/axe-core/axe.min.js ]; then :; \
	elif command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --ignore-scripts --silent; \
	else echo "npm not found: the axe-core accessibility checks will be skipped (apt-get install npm)"; fi
