# sesame: `make setup` once, then `make apply` (sandbox) or `make apply ENV=production`.
ENV ?= sandbox
CONFIG ?= sesame.yaml
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# quoted: `make plan ENV=` is an empty --env, not `--env plan`
SESAME := $(BIN)/sesame --config '$(CONFIG)' --env '$(ENV)'
# the sandbox's public throwaway age key: the shipped secrets.yaml template is encrypted to it
THROWAWAY_RECIPIENT := age1kux76nn09u3n48h9hr8euxu4vew8vjaf0qmxnh5jdzsemcun34rqvv0gn2
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.7
TFLINT := github.com/terraform-linters/tflint@v0.64.0
# built from its module source: the Go proxy refuses its version list, which `go install` reads
TERRAFORM_DOCS := github.com/terraform-docs/terraform-docs@v0.21.0
# root modules `make lint` validates besides terraform/ itself, and modules with generated docs
TF_EXAMPLES := $(patsubst terraform/%/main.tf,%,$(wildcard terraform/examples/*/main.tf))
TF_DOCS_MODULES := . aws cloudflare
# tflint and terraform-docs for `make lint`; `make setup LINT_TOOLS=` skips them (pipelines that only plan/apply)
LINT_TOOLS ?= yes
# The OpenSPF RFC 7208 test suite, shipped in pyspf's source distribution (fetched, never committed)
PYSPF_VERSION := 2.0.14
SPF_SUITE := .sesame/rfc7208-tests.yml
# pytest worker processes for `make test`: single tests go to whichever is free; the tests
# sharing a module-scoped fixture stay together (tests/conftest.py)
TEST_WORKERS ?= 3
# Debian's chromium, for the test that renders report.html; `make setup TEST_BROWSER=` skips it
TEST_BROWSER ?= chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export SOPS_DISABLE_VERSION_CHECK := 1
# sesame's own Terraform CLI configuration (written by `make setup`), for every terraform here
export TF_CLI_CONFIG_FILE := $(CURDIR)/.sesame/terraformrc

.DEFAULT_GOAL := help
.PHONY: help setup lint-tools browser apply plan destroy credentials secrets test lint validate tflint docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  ENV=$(ENV) (sandbox | production)  CONFIG=$(CONFIG)"

setup: ## install everything: Python deps, sops, actionlint, tflint, terraform-docs into .venv; providers; Terraform CLI config
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,sandbox]'
	GOBIN=$(CURDIR)/$(BIN) GOFLAGS=-mod=mod go install $(ACTIONLINT)
	$(BIN)/sesame setup
	$(MAKE) --no-print-directory $(SPF_SUITE)
	@if [ -n "$(LINT_TOOLS)" ]; then $(MAKE) --no-print-directory lint-tools; fi
	@if [ -n "$(TEST_BROWSER)" ]; then $(MAKE) --no-print-directory browser; fi

lint-tools: ## (re)install tflint and terraform-docs into .venv (Go builds; minutes on a cold cache)
	GOBIN=$(CURDIR)/$(BIN) GOFLAGS=-mod=mod go install $(TFLINT)
	dir="$$(go mod download -json $(TERRAFORM_DOCS) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')" && \
	  test -n "$$dir" && cd "$$dir" && GOFLAGS=-mod=mod go build -o $(CURDIR)/$(BIN)/terraform-docs .

# a lint target run where `make setup LINT_TOOLS=` skipped them installs what it lacks
$(BIN)/tflint $(BIN)/terraform-docs &:
	$(MAKE) --no-print-directory lint-tools

$(SPF_SUITE): # the SPF evaluator's reference suite (tests/dns/test_spf_eval.py)
	rm -rf .sesame/pyspf && mkdir -p .sesame/pyspf
	$(BIN)/pip download --quiet --no-deps --no-binary :all: pyspf==$(PYSPF_VERSION) -d .sesame/pyspf
	tar -xzOf .sesame/pyspf/pyspf-$(PYSPF_VERSION).tar.gz pyspf-$(PYSPF_VERSION)/test/rfc7208-tests.yml > $@.tmp
	mv $@.tmp $@ && rm -rf .sesame/pyspf

browser: ## install Debian's chromium (headless) for the HTML report's browser test
	@command -v $(TEST_BROWSER) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get install -y -qq --no-install-recommends $(TEST_BROWSER) >/dev/null || { \
	    $(SUDO) apt-get update -qq && \
	    $(SUDO) apt-get install -y -qq --no-install-recommends $(TEST_BROWSER) >/dev/null; }; }
	@$(TEST_BROWSER) --version 2>/dev/null

# a command run before `make setup`: one line naming the fix, not make's "No such file"
$(BIN)/sesame:
	@test -x $@ || { echo "$@ is missing: no venv yet; fix: run \`make setup\` first" >&2; exit 3; }

plan: | $(BIN)/sesame ## plan every change (no change is made)
	$(SESAME) plan

apply: | $(BIN)/sesame ## plan, then apply exactly that plan, then write sops-encrypted credentials
	$(SESAME) apply

destroy: | $(BIN)/sesame ## remove everything sesame made (production also needs ARGS=--yes)
	$(SESAME) destroy $(ARGS)

credentials: | $(BIN)/sesame ## list senders; `make credentials SENDER=x` exports one (masked unless ARGS=--reveal)
	$(SESAME) credentials $(SENDER) $(ARGS)

secrets: | $(BIN)/sesame ## edit secrets.yaml with sops (after `.venv/bin/sesame init`; opens your editor)
	@if grep -q '$(THROWAWAY_RECIPIENT)' secrets.yaml 2>/dev/null; then \
	  echo "secrets.yaml is the shipped template (public throwaway key); fix: run .venv/bin/sesame init first" >&2; exit 4; fi
	$(BIN)/sops edit secrets.yaml

lint: validate tflint $(BIN)/terraform-docs ## terraform fmt, validate (root, examples), tflint, docs; actionlint + action pins, ruff
	terraform fmt -check -recursive terraform
	@for dir in $(TF_DOCS_MODULES); do \
	  $(BIN)/terraform-docs --config .terraform-docs.yml --output-check terraform/$$dir >/dev/null 2>&1 || { \
	    echo "terraform/$$dir/README.md: Inputs/Outputs are out of date; fix: make docs"; exit 1; }; \
	done
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/pytest -q -p no:cacheprovider tests/test_workflow.py
	$(BIN)/ruff check scripts tests bench
	$(BIN)/ruff format --check scripts tests bench

validate: ## terraform validate the root module and every example
	@# validate a copy: init must not write offline builds' hashes into the committed lock file
	@rm -rf .sesame/validate && mkdir -p .sesame/validate && cp -r terraform .sesame/validate/root
	@for dir in . $(TF_EXAMPLES); do \
	  echo "terraform validate terraform/$$dir"; \
	  TF_DATA_DIR=$(CURDIR)/.sesame/validate/data/$$dir \
	    terraform -chdir=.sesame/validate/root/$$dir init -backend=false -input=false >/dev/null && \
	  TF_DATA_DIR=$(CURDIR)/.sesame/validate/data/$$dir \
	    terraform -chdir=.sesame/validate/root/$$dir validate -no-color >/dev/null || exit 1; \
	done

tflint: $(BIN)/tflint ## tflint the root module, both child modules and every example (.tflint.hcl)
	$(BIN)/tflint --chdir=terraform --recursive --config=$(CURDIR)/.tflint.hcl --minimum-failure-severity=notice

docs: $(BIN)/terraform-docs ## regenerate the Inputs/Outputs tables in the Terraform modules' READMEs (terraform-docs)
	@for dir in $(TF_DOCS_MODULES); do $(BIN)/terraform-docs --config .terraform-docs.yml terraform/$$dir; done

test: lint ## lint, then the whole test suite against the real tools
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup
