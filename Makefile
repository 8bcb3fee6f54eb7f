# invflow: two commands do everything on a fresh machine.
#   make demo   set up .venv, then run the embedded default example end to end (CPU, no downloads)
#   make test   set up .venv, check notebooks and package are in sync, clean and in the house style, run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo study test sync-check nbtest pytest browser export readme docs tutorials bench venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/invflow demo

# The default study the tutorials read (two inversion seed sets, finetunings at three learning rates): 47 min here.
study: $(STAMP)
	$(BIN)/invflow demo --study

# pytest first: its quick run (killed once, then resumed) is the one the notebook tests read afterwards.
test: $(STAMP) sync-check
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	INVFLOW_TUTORIAL_RUN=$$tmp/run $(MAKE) --no-print-directory pytest; p=$$?; \
	INVFLOW_TUTORIAL_RUN=$$tmp/run $(MAKE) --no-print-directory nbtest; n=$$?; \
	[ $$p = 0 ] && [ $$n = 0 ] || { echo "make test: pytest exit $$p, nbtest exit $$n"; exit 1; }

# Fails when nbdev-export or nbdev-clean would change a file: the notebooks are the source.
sync-check: $(STAMP)
	@before=$$(find nbs invflow -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 md5sum); \
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean; \
	after=$$(find nbs invflow -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 md5sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev-export/nbdev-clean changed these files (commit them; the notebooks are the source):"; \
	  diff <(echo "$$before") <(echo "$$after") | sed -n 's/^> *[0-9a-f]* *//p'; exit 1; fi; \
	echo "notebooks and invflow/ are in sync and clean"
	@$(BIN)/python docs/readme.py --check
	@$(BIN)/python .ci/style.py --check

# The tutorials share one quick study (toy sizes) through INVFLOW_TUTORIAL_RUN; their stored outputs are the default's.
nbtest: $(STAMP)
	@n=$$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -not -name '_*' | wc -l); \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	INVFLOW_TUTORIAL_RUN=$${INVFLOW_TUTORIAL_RUN:-$$tmp/run} $(BIN)/nbdev-test --n-workers 2 --timing && echo "notebooks: $$n passed, 0 failed"

# Process-level and browser tests (the quick demo end to end, resume after a kill, the report in headless Chromium,
# the explorer in JupyterLab driven by headless Chromium).
pytest: $(STAMP) browser
	$(BIN)/python -m pytest -q --durations=12 tests

browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the report's browser test"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v chromedriver >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium-driver for the explorer's JupyterLab test"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium-driver >/dev/null; }

export: $(STAMP)
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean
	$(BIN)/python docs/readme.py

# The docs site, offline: notebooks executed, charts drawn with a site-wide Vega bundle, API pages from show_doc.
docs: $(STAMP)
	$(BIN)/python docs/build.py

# Run the tutorials on the default study (runs/study, else runs/demo: < 10 minutes when neither is there); store outputs.
tutorials: $(STAMP)
	$(BIN)/python docs/build.py --tutorials

readme: $(STAMP)
	$(BIN)/python docs/readme.py

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python benchmarks/cka_matrix.py
	$(BIN)/python benchmarks/stir_analysis.py
	$(BIN)/python benchmarks/transforms2d_generate.py
	$(BIN)/python benchmarks/distributed.py
