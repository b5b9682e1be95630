# Every target creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
STAMP := $(VENV)/.installed

.PHONY: serve test lint typecheck unit bench alert-burden knowledge openapi clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Development mode only when nothing else says otherwise: a CMLCDS_CONFIG_FILE or CMLCDS_MODE wins.
serve: $(STAMP)
	if [ -z "$$CMLCDS_CONFIG_FILE" ] && [ -z "$$CMLCDS_MODE" ]; then export CMLCDS_MODE=development; fi; \
	$(BIN)/cml-cds serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check cds_hooks fhir_mapping tki_resistance smart_app worklist tests $(wildcard bench)
	$(BIN)/ruff format --check cds_hooks fhir_mapping tki_resistance smart_app worklist tests $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy cds_hooks fhir_mapping tki_resistance smart_app worklist tests $(wildcard bench)

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

knowledge: $(STAMP)
	$(BIN)/cml-cds knowledge --output docs/knowledge.md

openapi: $(STAMP)
	$(BIN)/cml-cds openapi --output openapi/cml-cds.openapi.json

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.alert_burden

alert-burden: $(STAMP)
	$(BIN)/python -m bench.alert_burden

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
