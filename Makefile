# The README's two commands: `make bib` (export the shipped records) and `make test`.
# Both work from a fresh clone with nothing but python3 (>= 3.11) and make on the machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BIB ?= eleutherai.bib

.PHONY: bib test lint system-deps clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

## Export the shipped records to $(BIB) (BibTeX).
bib: $(VENV)/.installed
	$(BIN)/bibkit export --format bibtex --records records -o $(BIB)
	@echo "wrote $(BIB)"

system-deps:
	scripts/install-system-deps

lint: $(VENV)/.installed-test
	$(BIN)/ruff check bibkit tests scripts bench
	$(BIN)/mypy

## Install everything the tests need (Python packages, TeX, biber, pandoc, citeproc-js) and run them.
test: system-deps $(VENV)/.installed-test lint
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis $(BIB)

## Time bibkit beside pybtex, bibtexparser, pandoc and citeproc-js; rewrites docs/performance.md.
bench: system-deps $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/run.py
