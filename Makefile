# keycouncil: two commands for a newcomer (`make demo`, `make test`), plus bench and proto.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench proto lint check-proto clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/keycouncil demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check council dumps recovery cli tests tools benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy council dumps

check-proto: $(STAMP)
	$(BIN)/python tools/gen_proto.py --check

test: $(STAMP) lint check-proto
	$(BIN)/python -m pytest tests -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[dev,bench]' || echo "bench: a peer could not be installed; its section will say so"
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

proto: $(STAMP)
	$(BIN)/python tools/gen_proto.py

clean:
	rm -rf $(VENV) build *.egg-info
