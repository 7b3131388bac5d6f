# The README's two commands: `make bib` (export the shipped records) and `make test`.
# Both work from a fresh clone with nothing but python3 (>= 3.11) and make on the machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BIB ?= eleutherai.bib

.PHONY: bib test test-latest lint lock system-deps clean bench mutation mutation-sample

PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
# Exact versions, every transitive dependency included, each with its hashes (see pyproject's
# ranges; `make lock` writes these files, docs/testing.md says when). pip installs them as they
# are, so a release upstream cannot change what a fresh clone runs.
LOCK := requirements/main.txt
DEV_LOCK := requirements/dev.txt
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml requirements/build.in --universal --python-version 3.11 \
	--generate-hashes --quiet $(if $(UPGRADE),--upgrade)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# bibkit itself is installed from the working tree, without its dependencies (the lock has
# them) and without build isolation (which would fetch an unlocked setuptools and mypy). The
# install compiles the CSL engine's modules with mypyc (setup.py, about a minute), again
# whenever one of them changed: until then an edited module runs as Python
# (bibkit/exporters/csl/native.py), and the tests would not run what a user runs.
NATIVE := setup.py $(wildcard bibkit/exporters/csl/*.py)

$(VENV)/.installed: $(LOCK) pyproject.toml $(NATIVE) | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(DEV_LOCK) pyproject.toml $(NATIVE) | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r $(DEV_LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
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

## The same suite against the newest releases pyproject's ranges allow, in a venv of its own:
## an upgrade is a deliberate, tested commit (docs/testing.md: how to update the lock).
test-latest: system-deps
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --disable-pip-version-check --quiet --upgrade -e '.[test]'
	.venv-latest/bin/python -m pip list --disable-pip-version-check --format=freeze
	.venv-latest/bin/ruff check bibkit tests scripts bench
	.venv-latest/bin/mypy
	npm ci --no-audit --no-fund --loglevel=error
	.venv-latest/bin/python -m pytest

## Rewrite the lock files: the versions pinned now, or with UPGRADE=1 the newest the ranges allow.
lock: $(VENV)/.installed-test
	$(UV_COMPILE) --extra test --extra bench --extra mutation --extra lock -o $(DEV_LOCK)
	$(UV_COMPILE) --constraint $(DEV_LOCK) -o $(LOCK)

clean:
	rm -rf $(VENV) .venv-latest .venv-bib .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants $(BIB) build
	rm -f bibkit/exporters/csl/*.so bibkit/exporters/csl/native.json

## Mutation testing of the exporters, importers, rules, loader and cache ([tool.mutmut] in pyproject.toml;
## docs/testing.md has the score and the survivors). Prints every mutant that survived.
mutation: system-deps $(VENV)/.installed-test
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/mutmut results

## The same measure from a random sample of N mutants (fixed seed), with its 95% interval: the
## whole run takes hours on two cores. Generating the mutants and mapping tests to functions is
## done by running one mutant first.
N ?= 400
mutation-sample: system-deps $(VENV)/.installed-test
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 'bibkit.rules.x_required_fields__mutmut_1'
	$(BIN)/python scripts/mutation_sample.py $(N)

## Time bibkit beside pybtex, bibtexparser, pandoc and citeproc-js; rewrites docs/performance.md.
bench: system-deps $(VENV)/.installed-test
	$(BIN)/python bench/run.py
