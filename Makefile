# Arcanum: every target a newcomer needs. `make demo` runs the main job on a local devnet;
# `make test` runs every test (forge and cargo) plus format, lint and freshness checks.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FORGE := tools/bin/forge
CARGO ?= cargo

.PHONY: help tools contracts verifiers bindings check-generated test test-contracts test-rust lint demo bench clean

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

tools: ## Install the pinned toolchain (anvil, forge, cast, solc, OpenZeppelin) into tools/
	@bash tools/setup.sh

contracts: tools ## Compile the Solidity contracts
	cd contracts && ../$(FORGE) build

verifiers: ## Regenerate the Solidity verifiers and proof fixtures from the dev keys
	ARCANUM_BLESS=1 $(CARGO) test -p arcanum-zk --test it -- committed_ --include-ignored
	$(MAKE) bindings

bindings: contracts ## Refresh chain/artifacts (ABI + bytecode for the Rust bindings)
	node tools/export-artifacts.js

check-generated: contracts ## Fail if committed bindings are stale (verifiers are checked by cargo tests)
	node tools/export-artifacts.js --check

test-contracts: contracts ## forge test
	cd contracts && ../$(FORGE) test

lint: tools ## rustfmt, forge fmt and clippy, warnings denied
	$(CARGO) fmt --all --check
	cd contracts && ../$(FORGE) fmt --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: tools ## cargo tests: unit, integration, end to end on Anvil
	$(CARGO) nextest run --workspace --no-fail-fast
	$(CARGO) test --workspace --doc

test: check-generated test-contracts lint test-rust ## Everything CI runs

demo: tools ## Run the demo jobs on a local devnet (Anvil + a requester, 2 workers and 4 data owners, each a node process)
	$(CARGO) run -p arcanum-node --bin arcanum -- devnet

bench: tools ## Measure (ours and peers in the same run); ends with one `name: value` line per figure
	cd tools/bench && npm ci --no-audit --no-fund --loglevel=error
	test -x tools/bench/.venv/bin/python || python3 -m venv tools/bench/.venv
	tools/bench/.venv/bin/pip install --quiet --disable-pip-version-check -r tools/bench/requirements.txt
	$(CARGO) bench -p arcanum-zk --bench prove
	$(CARGO) bench -p arcanum-scheduler --bench matching
	$(CARGO) bench -p arcanum-compute --bench secagg
	$(CARGO) bench -p arcanum-compute --bench elgamal
	$(CARGO) bench -p arcanum-compute --bench fl
	$(CARGO) bench -p arcanum-node --bench node
	$(CARGO) bench -p arcanum-node --bench load
	$(CARGO) bench -p arcanum-node --bench scale
	$(CARGO) bench -p arcanum-p2p --bench fuzz
	$(CARGO) run -p arcanum-node --bin arcanum -- devnet --fl --json > target/devnet-report.json
	@node tools/bench/devnet_report.js target/devnet-report.json
	@tools/bench/.venv/bin/python tools/bench/fl_model_check.py target/devnet-report.json

clean: ## Remove build outputs (keeps tools/)
	$(CARGO) clean
	rm -rf contracts/out contracts/cache .arcanum
