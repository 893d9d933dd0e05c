# keycouncil: two commands for a newcomer (`make demo`, `make test`), plus bench and proto.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench proto lint check-proto contracts check-contracts hardhat clean chaos mutants soak bytecode

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements/chain.txt requirements/chain-dev.txt
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps -r requirements/chain.txt -r requirements/chain-dev.txt
	touch $(STAMP)

# Bytecode of the packages every member and CLI process imports, written once here: with
# PYTHONDONTWRITEBYTECODE set, each process would compile them from source again, about 0.3 s of
# CPU per process start (docs/decisions.md, 114). Only stale files are rewritten.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 council cli dumps recovery

# The demo anchors the council log on a local Hardhat node (without one it says so and skips that).
demo: $(STAMP) hardhat bytecode
	$(BIN)/keycouncil demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check council dumps recovery cli tests tools benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy council dumps

check-proto: $(STAMP)
	$(BIN)/python tools/gen_proto.py --check

HARDHAT_DIR := tools/hardhat

# The local Hardhat 2 node for the chain end-to-end tests (pinned by package-lock.json); needs node/npm.
hardhat: $(HARDHAT_DIR)/node_modules/.package-lock.json

$(HARDHAT_DIR)/node_modules/.package-lock.json: $(HARDHAT_DIR)/package.json $(HARDHAT_DIR)/package-lock.json
	cd $(HARDHAT_DIR) && npm ci --no-audit --no-fund --loglevel=error

check-contracts: $(STAMP)
	$(BIN)/python tools/build_contracts.py --check

# Three workers on two cores, one test file each at a time (module fixtures stay on one worker):
# most tests wait on member processes, so a third file keeps both cores busy; the longest files
# are dealt first (tests/conftest.py, FILE_SECONDS), not by test count (docs/decisions.md, 122).
PYTEST_WORKERS ?= 3
test: $(STAMP) lint check-proto check-contracts hardhat bytecode
	$(BIN)/python -m pytest tests -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench: $(STAMP) bytecode
	$(BIN)/pip install -q -e '.[dev,bench]' || echo "bench: a peer could not be installed; its section will say so"
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

proto: $(STAMP)
	$(BIN)/python tools/gen_proto.py

contracts: $(STAMP)
	$(BIN)/python tools/build_contracts.py

# The fault campaign (docs/reliability.md): SEED is printed (random if not given), RUNS runs.
RUNS ?= 10
chaos: $(STAMP)
	$(BIN)/python -m tools.chaos $(if $(SEED),--seed $(SEED)) --runs $(RUNS) $(CHAOS_ARGS)

# Curated one-line bugs, each planted alone; fails if one survives its tests (tools/mutants).
mutants: $(STAMP)
	$(BIN)/python -m tools.mutants $(MUTANTS_ARGS)

# Steady load with restarts; RSS, fds and disk of every member sampled and fitted (tools/soak).
MINUTES ?= 10
soak: $(STAMP)
	$(BIN)/python -m tools.soak --minutes $(MINUTES) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
