# sesame: `make setup` once, then `make apply` (sandbox) or `make apply ENV=production`.
ENV ?= sandbox
CONFIG ?= sesame.yaml
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SESAME := $(BIN)/sesame --config $(CONFIG) --env $(ENV)
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.7
# Debian's chromium, for the test that renders report.html; `make setup TEST_BROWSER=` skips it
TEST_BROWSER ?= chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export SOPS_DISABLE_VERSION_CHECK := 1
# sesame's own Terraform CLI configuration (written by `make setup`), for every terraform here
export TF_CLI_CONFIG_FILE := $(CURDIR)/.sesame/terraformrc

.DEFAULT_GOAL := help
.PHONY: help setup browser apply plan destroy credentials test lint

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  ENV=$(ENV) (sandbox | production)  CONFIG=$(CONFIG)"

setup: ## install everything: Python deps, sops, actionlint into .venv; providers; Terraform CLI config
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,sandbox]'
	GOBIN=$(CURDIR)/$(BIN) GOFLAGS=-mod=mod go install $(ACTIONLINT)
	$(BIN)/sesame setup
	@if [ -n "$(TEST_BROWSER)" ]; then $(MAKE) --no-print-directory browser; fi

browser: ## install Debian's chromium (headless) for the HTML report's browser test
	@command -v $(TEST_BROWSER) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get install -y -qq --no-install-recommends $(TEST_BROWSER) >/dev/null || { \
	    $(SUDO) apt-get update -qq && \
	    $(SUDO) apt-get install -y -qq --no-install-recommends $(TEST_BROWSER) >/dev/null; }; }
	@$(TEST_BROWSER) --version 2>/dev/null

plan: ## plan every change (no change is made)
	$(SESAME) plan

apply: ## plan, then apply exactly that plan, then write sops-encrypted credentials
	$(SESAME) apply

destroy: ## remove everything sesame made (production also needs ARGS=--yes)
	$(SESAME) destroy $(ARGS)

credentials: ## list senders; `make credentials SENDER=x` exports one (masked unless ARGS=--reveal)
	$(SESAME) credentials $(SENDER) $(ARGS)

lint: ## terraform fmt + validate, actionlint, ruff
	terraform fmt -check -recursive terraform
	@# validate a copy: init must not write offline builds' hashes into the committed lock file
	rm -rf .sesame/validate && mkdir -p .sesame/validate && cp -r terraform .sesame/validate/root
	TF_DATA_DIR=$(CURDIR)/.sesame/validate/data \
	  sh -c 'terraform -chdir=.sesame/validate/root init -backend=false -input=false >/dev/null && terraform -chdir=.sesame/validate/root validate'
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/ruff check scripts tests bench
	$(BIN)/ruff format --check scripts tests bench

test: lint ## lint, then the whole test suite against the real tools
	$(BIN)/pytest -q
