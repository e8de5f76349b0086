# Charter — run `make help` for the targets.
# `make test` and `make demo` set everything up on a machine that has only
# python3, node and npm: the virtualenv and node_modules are created when
# missing (and refreshed when pyproject.toml / package-lock.json change).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# ape keeps its data (compiler caches, accounts) here unless told otherwise.
export APE_DATA_FOLDER ?= $(HOME)/.ape

VENV_STAMP := $(VENV)/.charter-installed
NODE_STAMP := node_modules/.charter-installed
# agent0-sdk, the third-party ERC-8004 client tests/erc8004 drives Charter with,
# lives in a virtualenv of its own: it brings a newer web3 than ape's.
AGENT0_VENV := .venv-agent0
AGENT0_REQUIREMENTS := tests/erc8004/requirements-agent0.txt
AGENT0_STAMP := $(AGENT0_VENV)/.charter-installed

.PHONY: help setup agent0 compile artifacts test test-fast test-long fork-test chaos demo bench bench-update bench-long lint docs clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "; printf "Charter — make targets\n\n"} \
	     /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@printf "\nEnvironment: the fuzz tests replay fixed sequences; CHARTER_FUZZ=random draws\nnew ones, CHARTER_FUZZ=long draws ten times as many, twice as long.\nCHARTER_FORK_URL=<rpc> makes the fork tests fork that node instead of a seeded local one (docs/fork.md).\n"

$(VENV_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Exactly the pinned list (--no-deps: nothing else is resolved); pip check
# confirms the list is complete. Rebuilt when the list changes.
$(AGENT0_STAMP): $(AGENT0_REQUIREMENTS)
	@test -x $(AGENT0_VENV)/bin/python || $(PYTHON) -m venv $(AGENT0_VENV)
	$(AGENT0_VENV)/bin/python -m pip install --quiet --no-deps -r $(AGENT0_REQUIREMENTS)
	$(AGENT0_VENV)/bin/python -m pip check
	@touch $@

agent0: $(AGENT0_STAMP) ## Create .venv-agent0 (agent0-sdk, pinned) for the third-party client tests

# `npm ci`: exactly the lock, which it never rewrites (a fresh clone stays
# clean). The lock lists every platform's optional anvil binary, as
# `npm install` writes it; only this platform's is downloaded.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Hyperlane's contracts (ABI + bytecode) from the pinned @hyperlane-xyz/core,
# extracted into the ignored .build/hyperlane/ (nothing of Hyperlane's is committed).
HYPERLANE_STAMP := .build/hyperlane/.extracted
$(HYPERLANE_STAMP): $(VENV_STAMP) $(NODE_STAMP) tools/hyperlane_artifacts.py
	$(BIN)/python tools/hyperlane_artifacts.py
	@touch $@

# The headless Chromium that tests/console drive the console in: inflated from the pinned
# @sparticuz/chromium (it ships the browser, brotli-compressed; nothing is downloaded) into the
# ignored .build/chromium/ (binary, SwiftShader, NSS libraries, fonts). Linux x64 only.
CHROMIUM_STAMP := .build/chromium/.extracted
$(CHROMIUM_STAMP): $(NODE_STAMP) tools/chromium.mjs
	node tools/chromium.mjs
	@mkdir -p $(@D) && touch $@

setup: $(VENV_STAMP) $(NODE_STAMP) $(HYPERLANE_STAMP) $(CHROMIUM_STAMP) $(AGENT0_STAMP) ## Create .venv, .venv-agent0 and node_modules, extract Hyperlane's contracts and the headless Chromium, if missing

compile: setup ## Compile the contracts with ape
	ape compile

artifacts: setup ## Rebuild the ABI + init code shipped in src/charter/abi
	$(BIN)/python tools/build_artifacts.py

# The mainnet-fork tests (docs/fork.md) run in an `ape test` of their own on
# ethereum:mainnet-fork:foundry; tools/fork_upstream.py forks $CHARTER_FORK_URL,
# or starts a seeded local anvil with chain id 1 (stopped afterwards) without it.
FORK_NETWORK := ethereum:mainnet-fork:foundry
FORK_TEST = $(BIN)/python tools/fork_upstream.py -- ape test tests/fork --network $(FORK_NETWORK) -p no:cacheprovider

# The rest runs as two `ape test` processes side by side (tools/test_groups.py):
# the in-process titanoboa tests, and everything that drives anvil nodes.
TEST_GROUPS = $(BIN)/python tools/test_groups.py -p no:cacheprovider

test: setup ## Run every test (titanoboa unit + fuzz beside SDK, scripts, docs, two-chain; then the mainnet-fork tests)
	$(TEST_GROUPS)
	$(FORK_TEST)

fork-test: setup ## Run only the mainnet-fork tests (CHARTER_FORK_URL=... for a real upstream)
	$(FORK_TEST)

test-long: setup ## Run every test with the long fuzz profile
	CHARTER_FUZZ=long $(TEST_GROUPS)
	$(FORK_TEST)

# The long chaos run (tools/chaos.py): random faults against `charter relay` and `charter solve` on two
# anvils, then the checker's figures; logs in .build/chaos/long-<seed>/. The short version is in `make test`.
chaos: setup ## Long chaos run: orders + random faults for MINUTES (6), figures at the end (SEED=, RATE=)
	$(BIN)/python tools/chaos.py $(if $(SEED),--seed $(SEED)) $(if $(MINUTES),--minutes $(MINUTES)) $(if $(RATE),--rate $(RATE))

demo: setup ## Run the story on local anvil chains (one, then two for intents)
	$(BIN)/python -m charter.demo

# Results go to .build/bench/ (untracked); UPDATE=1 writes the committed
# reference copies in benchmarks/results/ instead. Every benchmark always runs;
# the target fails if any misses a target. processes.py runs `charter relay` and
# `charter solve` on two interval-mined anvils (~4 min); agents.py times `charter mcp`
# tool calls against direct SDK calls (~40 s); propagation.py times a kill from one chain
# to the other through the relayer (~2 min); attack.py runs and prices a Sybil attack on
# receipt-backed feedback on titanoboa (~40 s); console.py times the console's cache with
# 1,000 grants on two anvils (~25 s); CHARTER_BENCH_LONG=1 adds
# its 10,000-order run (~15 min), which `make bench-long` runs alone.
BENCH_OUT = $(if $(UPDATE),benchmarks/results,.build/bench)
BENCH_LONG = $(BIN)/python benchmarks/processes.py --long --out $(BENCH_OUT)/processes-long.json

bench: setup ## Gas + SDK speed + relayer/solver end to end + charter mcp + kills across chains + Sybil attack price + console cache -> .build/bench/*.json; UPDATE=1: benchmarks/results/
	@status=0; \
	$(BIN)/python benchmarks/gas.py --out $(BENCH_OUT)/gas.json || status=1; \
	$(BIN)/python benchmarks/sdk.py --out $(BENCH_OUT)/sdk.json || status=1; \
	$(BIN)/python benchmarks/processes.py --out $(BENCH_OUT)/processes.json || status=1; \
	$(BIN)/python benchmarks/agents.py --out $(BENCH_OUT)/agents.json || status=1; \
	$(BIN)/python benchmarks/propagation.py --out $(BENCH_OUT)/propagation.json || status=1; \
	$(BIN)/python benchmarks/attack.py --out $(BENCH_OUT)/attack.json || status=1; \
	$(BIN)/python benchmarks/console.py --out $(BENCH_OUT)/console.json || status=1; \
	if [ "$${CHARTER_BENCH_LONG:-}" = 1 ]; then $(BENCH_LONG) || status=1; fi; \
	exit $$status

bench-long: setup ## Relayer + solver with 10,000 orders on 1 s blocks (~15 min) -> .build/bench/processes-long.json
	$(BENCH_LONG)

bench-update: ## Same as `make bench UPDATE=1`: refresh the committed benchmarks/results/
	$(MAKE) bench UPDATE=1

lint: setup ## ruff + mypy
	$(BIN)/ruff check src tests scripts benchmarks tools
	$(BIN)/mypy src/charter

# The site: concepts, tutorials, guides and the references generated at build
# time (SDK from docstrings, CLI from the click commands, gas from
# benchmarks/results/gas.json). Offline and strict: a broken link fails it.
docs: setup ## Build the documentation site into .build/site/ (mkdocs --strict)
	$(BIN)/mkdocs build --strict

clean: ## Remove build outputs (keeps .venv, .venv-agent0 and node_modules)
	rm -rf .build .pytest_cache .hypothesis benchmarks/results/*.tmp
