# Two commands do everything on a fresh machine (see README.md):
#   make demo   set up .venv and run the main job on the bundled sample
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint bench sample clean browser postgres

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The ray engine's equality test needs Ray (an optional extra: the local engine never imports it).
$(BIN)/.installed-ray: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/silobridge demo

test: $(BIN)/.installed-ray browser postgres
	$(BIN)/pytest

# The sql connector is tested against a real PostgreSQL server that the tests start themselves.
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql for the sql connector's tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null; } || \
	  echo "warning: could not install postgresql; its tests are skipped (they fail under CI=1)"; }

# The report's HTML is checked in a real browser: Debian's chromium, driven by Playwright.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the report's browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; } || \
	  echo "warning: could not install chromium; the browser test runs only where it is"; }

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# the layers, no import cycles, private modules ([tool.importlinter], docs/architecture.md)
	$(BIN)/lint-imports
	@# mypy needs the package under its import name; the repository root is that package.
	mkdir -p .mypy-src && ln -sfn .. .mypy-src/silobridge
	cd .mypy-src && MYPYPATH=. ../$(BIN)/mypy --config-file ../pyproject.toml \
		-p silobridge.pipeline -p silobridge.extractors -p silobridge.config \
		-p silobridge.cli -p silobridge.commands -p silobridge.errors \
		-p silobridge.classifiers -m silobridge.taxonomy -m silobridge._version

bench: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_understand.py
	$(BIN)/python benchmarks/bench_discover.py
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/pip install --quiet -e '.[dev,bench,ray]'
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_startup.py

sample: $(BIN)/.installed
	$(BIN)/python data/sample/generate.py --out data/sample

clean:
	rm -rf $(VENV) .silobridge .silobridge-demo benchmarks/out
