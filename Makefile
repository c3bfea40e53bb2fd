# IDIC — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
STAMP   := $(VENV)/.installed-dev

.PHONY: run test lint typecheck bench install clean

# `make run` needs only the runtime; tests, lint and benchmarks add the dev and bench extras.
$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

install: $(STAMP)

run: $(RUNTIME)
	$(BIN)/idic run

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy shared services idic

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
