# Tocsin: `make run` (local stack), `make demo`, `make test`. Everything installs into .venv;
# the deployment toolchain (CDK, cfn-lint, checkov: ~900 MB) into .venv-infra, only for
# `make synth` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
INFRA_VENV := .venv-infra
INFRA_PY := $(CURDIR)/$(INFRA_VENV)/bin/python
INFRA_STAMP := $(INFRA_VENV)/.installed

# The local stack's ports: `make run AWS_PORT=5300 API_PORT=8300` when 5000 or 8000 is taken.
AWS_PORT ?= 5000
API_PORT ?= 8000

# Deployment parameters for `make synth` (never edit code to change them). The optional ones
# are left out of the context when empty, e.g.
#   make synth SMS_ORIGINATION=arn:aws:sms-voice:eu-west-1:123456789012:pool/pool-0123456789abcdef \
#              VOICE_ORIGINATION=arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-01234567
STAGE ?= example
SENDER ?= alerts@example.com
OPS_EMAIL ?= ops@example.com
SMS_ORIGINATION ?=
VOICE_ORIGINATION ?=
DISPATCH_CONCURRENCY ?=
EVALUATE_CONCURRENCY ?=
RESERVED_CONCURRENCY ?=
SMS_STATUS_LOG_GROUPS ?=
comma := ,
optional = $(if $(2),$(comma)"$(1)":"$(2)")
CONTEXT = {"stage":"$(STAGE)","senderEmail":"$(SENDER)","opsEmail":"$(OPS_EMAIL)"$(call \
	optional,smsOriginationArn,$(SMS_ORIGINATION))$(call \
	optional,voiceOriginationArn,$(VOICE_ORIGINATION))$(call \
	optional,dispatchConcurrency,$(DISPATCH_CONCURRENCY))$(call \
	optional,evaluateConcurrency,$(EVALUATE_CONCURRENCY))$(call \
	optional,reservedConcurrency,$(RESERVED_CONCURRENCY))$(call \
	optional,smsStatusLogGroups,$(SMS_STATUS_LOG_GROUPS))}

# The link-page test drives Debian's Chromium (not a browser downloaded by a test tool).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run demo drill test test-app test-infra bench chaos synth lint typecheck clean

$(STAMP): requirements.txt requirements-dev.txt
	@echo "Setting up $(VENV): installing Tocsin's Python packages (the first time takes about a minute)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .  # the tocsin command
	@touch $(STAMP)
	@echo "$(VENV) is ready."

$(INFRA_STAMP): requirements.txt infra/requirements.txt
	@echo "Setting up $(INFRA_VENV): the deployment toolchain (CDK, cfn-lint, checkov; a few minutes)..."
	test -x $(INFRA_PY) || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_PY) -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $(INFRA_STAMP)

run: $(STAMP)  ## start the local stack on 127.0.0.1 (Ctrl-C stops it)
	$(PY) -m local.stack --aws-port $(AWS_PORT) --api-port $(API_PORT)

demo: $(STAMP)  ## start the stack, post a crisis, show who was reached, stop
	$(PY) -m local.demo

drill: $(STAMP)  ## a simulation drill on the stack, scripted answers; its report to .local/drill-report.html
	$(PY) -m local.drill

bench: $(STAMP)  ## figures to bench/results.json and RESULTS.md (SCALE=1: 100,000 recipients)
	$(PY) -m bench.run $(if $(SCALE),--scale)

# The fault harness: SEEDS, INCIDENTS (200: about 11,000 notifications), FAULT_RATE (0.2).
SEEDS ?= 1 2 3
INCIDENTS ?= 200
FAULT_RATE ?= 0.2
chaos: $(STAMP)  ## guarantees under faults, per seed, to bench/chaos.json and CHAOS.md
	$(PY) -m bench.chaos --seeds $(SEEDS) --incidents $(INCIDENTS) --fault-rate $(FAULT_RATE)

synth: $(INFRA_STAMP)  ## CloudFormation template into infra/cdk.out, offline
	cd infra && CDK_CONTEXT_JSON='$(CONTEXT)' $(INFRA_PY) cdk_app.py
	@ls -l infra/cdk.out/$(STAGE).template.json

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP) $(INFRA_STAMP)
	$(VENV)/bin/mypy app.py chalicelib local tocsin_cli bench fakes
	cd infra && MYPYPATH=.. ../$(VENV)/bin/mypy --python-executable $(INFRA_PY) tocsin_infra cdk_app.py

test: lint typecheck test-app test-infra  ## lint, types, then every test

# The browser tests need Debian's chromium: installed with apt-get (sudo when not root). Where it
# cannot be installed they are skipped with a message; CI (.ci/run) makes that skip a failure.
$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests (apt-get$(if $(SUDO), with sudo))..."
	-$(SUDO) apt-get install -y --no-install-recommends chromium \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium) \
		|| echo "warning: chromium could not be installed; the browser tests will be skipped"

# The suite runs on every CPU (pytest-xdist), a test file to a worker: the files that start a
# local stack share it between their tests. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto
test-app: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-infra: $(INFRA_STAMP)  ## synthesise, CDK assertions, cfn-lint, checkov
	cd infra && $(INFRA_PY) -m pytest tests -p no:cacheprovider

clean:
	rm -rf $(VENV) $(INFRA_VENV) .local .pytest_cache .mypy_cache .ruff_cache infra/cdk.out infra/chalice.out
