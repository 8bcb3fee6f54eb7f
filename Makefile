# invflow: two commands do everything on a fresh machine.
#   make demo   set up .venv, then run the embedded default example end to end (CPU, no downloads)
#   make test   set up .venv, check notebooks and package are in sync and clean, run the notebook tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test sync-check nbtest export clean-nbs bench venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/invflow demo

test: $(STAMP) sync-check nbtest

# Fails when nbdev-export or nbdev-clean would change a file: the notebooks are the source.
sync-check: $(STAMP)
	@before=$$(find nbs invflow -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 md5sum); \
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean; \
	after=$$(find nbs invflow -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 md5sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev-export/nbdev-clean changed these files (commit them; the notebooks are the source):"; \
	  diff <(echo "$$before") <(echo "$$after") | sed -n 's/^> *[0-9a-f]* *//p'; exit 1; fi; \
	echo "notebooks and invflow/ are in sync and clean"

nbtest: $(STAMP)
	@n=$$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -not -name '_*' | wc -l); \
	$(BIN)/nbdev-test --n-workers 2 --timing && echo "notebooks: $$n passed, 0 failed"

export: $(STAMP)
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python benchmarks/cka_matrix.py
