# tierline: `make demo` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-heavy bench schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tierline demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-heavy: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,heavy]'
	$(BIN)/python -m pytest -q -p no:cacheprovider -m heavy

bench: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider benchmarks --benchmark-only

schema: $(STAMP)
	$(BIN)/python -m tierline.scorecard.jsonschema > tierline/scorecard/scorecard.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
