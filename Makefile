# Two commands for a newcomer: `make run` (the demo service/pipeline) and `make test` (everything).
# While working: `make test-fast`, the suite less PostgreSQL, `ceasefire serve` and slow tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DB     ?= var/demo.db

.PHONY: run test test-fast lint bench clean web

# The virtual environment is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The web page's browser files (MapLibre, the basemap), from the npm registry at the versions
# of package-lock.json, built into the package (ceasefire.web.assets); never fetched at run time.
WEB := src/ceasefire/web/static/vendor/.built
$(WEB): package.json package-lock.json src/ceasefire/web/assets.py $(BIN)/.installed
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(BIN)/python -m ceasefire.web.assets node_modules
	touch $@

## web: install and build the web page's browser files (part of run and test)
web: $(WEB)

## run: set up, load the demo scenario into $(DB) (kept as it is once it holds users), then serve it at http://127.0.0.1:8000 (Ctrl-C stops)
run: $(BIN)/.installed $(WEB)
	$(BIN)/ceasefire demo --db $(DB) --keep
	$(BIN)/ceasefire serve --db $(DB) --host 127.0.0.1 --port $(or $(PORT),8000) \
		--sign-key $(dir $(DB))demo-keys/log.key \
		--cosigner $(dir $(DB))demo-keys/RU.key.pub --cosigner $(dir $(DB))demo-keys/UA.key.pub

## test: set up with the test extras, then lint, type-check and run the whole suite
test: $(BIN)/.installed-test $(WEB)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

## test-fast: the quick loop while working (under 90 s on two cores): the suite less the tests
## marked postgresql, served (they start `ceasefire serve`) or slow (several seconds each: scale,
## timing and fuzz runs); no lint, no mypy; one worker per core (pytest-xdist). Not a gate:
## `make test` (what .ci/run runs, one process) is.
test-fast: $(BIN)/.installed-test $(WEB)
	$(BIN)/pytest -n auto -m "not postgresql and not served and not slow"

lint: $(BIN)/.installed-test
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

$(BIN)/.installed-bench: $(BIN)/.installed-test
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@

## bench: the quick benchmarks (one JSON line per measurement), peers installed first
bench: $(BIN)/.installed-bench
	@for b in benchmarks/*.py; do $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) var node_modules src/ceasefire/web/static/vendor .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
