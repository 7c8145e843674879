# The two commands of the README: `make run` and `make test`.
# Both create .venv and install everything first (llama-cpp-python compiles
# from source the first time: about 13 minutes on 2 cores, then pip caches it).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BRIEF ?= examples/briefs/night-shift-film.yaml
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: setup run test lint benchmark clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/greenroom launch $(BRIEF)

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

benchmark: setup
	$(PY) benchmarks/write_bench.py
	$(PY) benchmarks/launch_bench.py

clean:
	rm -rf $(VENV) .greenroom out .pytest_cache
