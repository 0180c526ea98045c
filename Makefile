# tierline: `make demo` and `make test` set up .venv on first use, from the pinned versions in
# constraints.txt (the ones the tests passed with); `make lock` refreshes those pins.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt
LOCK_EXTRAS := --extra test --extra dashboard --extra s3

.PHONY: demo test test-heavy bench schema lock lock-upgrade clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tierline demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-heavy: $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,heavy]'
	$(BIN)/python -m pytest -q -p no:cacheprovider -m heavy

bench: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider benchmarks --benchmark-only

schema: $(STAMP)
	$(BIN)/python -m tierline.scorecard.jsonschema > tierline/scorecard/scorecard.schema.json

# Resolve pyproject.toml's dependencies (core, test, dashboard, s3) into exact pins with
# pip-tools, through pip's own configuration (index, certificates). Pins that still fit are kept;
# `make lock-upgrade` moves every pin to the newest allowed version. Then run `make test`.
# pip-tools lives in a venv of its own (inside .venv/), so the lock never depends on the pins it
# refreshes and the test venv holds only what the constraints pin.
LOCK_BIN := $(VENV)/pip-tools/bin

lock:
	test -x $(LOCK_BIN)/pip-compile || ($(PYTHON) -m venv $(VENV)/pip-tools && \
		$(LOCK_BIN)/python -m pip install --quiet --upgrade pip pip-tools)
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_BIN)/pip-compile --quiet $(LOCK_EXTRAS) --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links $(PIP_COMPILE_FLAGS) -o $(CONSTRAINTS) pyproject.toml

lock-upgrade:
	$(MAKE) lock PIP_COMPILE_FLAGS=--upgrade

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
