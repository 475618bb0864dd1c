# Tocsin: `make run` (local stack), `make demo`, `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test bench lint typecheck clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)  ## start the local stack on 127.0.0.1 (Ctrl-C stops it)
	$(PY) -m local.stack

demo: $(STAMP)  ## start the stack, post a crisis, show who was reached, stop
	$(PY) -m local.demo

bench: $(STAMP)  ## figures to bench/results.json (never asserted in tests)
	$(PY) -m bench.trigger_to_first_send

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy app.py chalicelib local tocsin_cli bench

test: lint typecheck  ## lint, types, then every test
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
