# Every target creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
EHR_PORT ?= 8081
STAMP := $(VENV)/.installed
# The locks: every transitive dependency pinned with its hashes (make lock); pip refuses anything else.
LOCKS := requirements/build.txt requirements/dev.txt
COMPILE := $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --no-header --quiet

.PHONY: serve demo test lint typecheck unit bench alert-burden knowledge openapi lock clean

$(STAMP): pyproject.toml $(LOCKS)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes $(addprefix -r ,$(LOCKS))
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve the locks from pyproject.toml (after changing a pin there): the newest versions that fit.
lock: $(STAMP)
	$(COMPILE) pyproject.toml -o requirements/service.txt
	$(COMPILE) pyproject.toml --extra dev -o requirements/dev.txt
	echo "setuptools>=69" | $(COMPILE) - -o requirements/build.txt

# Development mode only when nothing else says otherwise: a CMLCDS_CONFIG_FILE or CMLCDS_MODE wins.
serve: $(STAMP)
	if [ -z "$$CMLCDS_CONFIG_FILE" ] && [ -z "$$CMLCDS_MODE" ]; then export CMLCDS_MODE=development; fi; \
	$(BIN)/cml-cds serve --host $(HOST) --port $(PORT)

# The service, a real FHIR server (sekmet-fhir, own venv under .cache/) with named patients and a SMART EHR
# launch, all on 127.0.0.1 (docs/demo.md); Ctrl-C stops everything. SANDBOX=http://127.0.0.1:8090 allows a locally
# built CDS Hooks Sandbox served from that origin (the public one is allowed already).
demo: $(STAMP)
	$(BIN)/python -m demo --port $(PORT) --ehr-port $(EHR_PORT) $(if $(SANDBOX),--sandbox $(SANDBOX))

lint: $(STAMP)
	$(BIN)/ruff check cds_hooks fhir_mapping tki_resistance smart_app demo worklist tests $(wildcard bench)
	$(BIN)/ruff format --check cds_hooks fhir_mapping tki_resistance smart_app demo worklist tests $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy cds_hooks fhir_mapping tki_resistance smart_app demo worklist tests $(wildcard bench)

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
