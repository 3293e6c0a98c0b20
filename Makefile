# execopt — everyday commands. GNU make; needs only python3 >= 3.11 on a fresh machine.
#
#   make demo    set up .venv (first time only) and take the tour: solvers side by side
#   make test    set up .venv (first time only) and run the whole test suite
#
# Variables: PYTHON (the interpreter that creates .venv), FAST=1 (quick demo, bench and reports:
# quick bench and reports go to reports/_fast/, never over the committed full results),
# PORT (JupyterLab's port, default 8888).

PYTHON ?= python3
# make test fails when the tests cover less of src/execopt than this (percent of lines)
COVERAGE_FLOOR ?= 90
FAST ?= 0
PORT ?= 8888

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := out/demo
# Differential evolution's wall-clock limit in the demo (seconds per run).
DEMO_DE_SECONDS := $(if $(filter 1,$(FAST)),1,3)
# FAST=1 writes quick reports and benchmarks here (gitignored), never over reports/.
FAST_DIR := reports/_fast

export EXECOPT_FAST := $(FAST)

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint bench lab reports docs clean

help: ## list the targets
	@echo "execopt — make targets (variables: PYTHON=$(PYTHON), FAST=$(FAST))"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-8s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install execopt -e .[dev,notebooks,docs] (again only when pyproject.toml changes)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "execopt needs Python >= 3.11; this is " + sys.version.split()[0] + ": run make PYTHON=python3.11 ...")'
	@echo "[venv] setting up $(VENV): execopt with its dev, notebooks and docs extras (first time: 1-3 min)"
	@test -x $(PY) || { echo "[venv] creating $(VENV) with $(PYTHON) -m venv"; $(PYTHON) -m venv $(VENV); }
	@echo "[venv] upgrading pip"
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "[venv] installing execopt -e .[dev,notebooks,docs] and its dependencies (numpy, cvxpy, solvers, jupyter, mkdocs, ...)"
	@$(PY) -m pip install --progress-bar off -e ".[dev,notebooks,docs]" | grep -E '^(Collecting|Successfully installed)' | cut -c1-100 || true
	@$(PY) -c 'import execopt' || { echo "[venv] installation failed: run $(PY) -m pip install -e '.[dev,notebooks,docs]' to see why"; exit 1; }
	@echo "[venv] ready: run tools as $(VENV)/bin/execopt, or 'source $(VENV)/bin/activate' first"
	@touch $@

demo: $(STAMP) ## tour: every solver on the reference constants, then the fitted intraday profile's optimum vs TWAP (writes out/demo/)
	@mkdir -p $(DEMO)
	@echo; echo "== 1. execopt solve --stock CRWV --shares 10000 --method all  (constant parameters from the reference framework document)"
	@$(VENV)/bin/execopt solve --stock CRWV --shares 10000 --method all --time-limit $(DEMO_DE_SECONDS) --allow-uncertified \
	  --out $(DEMO)/crwv_constant.csv --plot $(DEMO)/crwv_constant.png --json-out $(DEMO)/crwv_constant.json
	@echo
	@echo "   With constant parameters equal allocation (TWAP) is already optimal (Jensen): every"
	@echo "   solver finds the same flat schedule; the table shows how close and how fast each is."
	@echo; echo "== 2. execopt solve --stock SOUN --model power --shares 10000 --method all  (the per-share power law: an exact power cone)"
	@$(VENV)/bin/execopt solve --stock SOUN --model power --shares 10000 --method all --time-limit $(DEMO_DE_SECONDS) --allow-uncertified \
	  --json-out $(DEMO)/soun_power.json
	@echo; echo "== 3. execopt fit FROG --model both  (the embedded synthetic FROG-like day: walk every minute's book, fit with CIs)"
	@$(VENV)/bin/execopt fit FROG --model both --plot $(DEMO)/fit_frog.png --json-out $(DEMO)/fit_frog.json
	@echo; echo "== 4. execopt solve --params $(DEMO)/fit_frog.json --model quadratic --shares 10000 --cap 1000 --method all  (the fitted per-minute profile)"
	@$(VENV)/bin/execopt solve --params $(DEMO)/fit_frog.json --model quadratic --shares 10000 --cap 1000 \
	  --method all --time-limit $(DEMO_DE_SECONDS) --allow-uncertified --out $(DEMO)/frog_fitted.csv --plot $(DEMO)/frog_fitted.png \
	  --json-out $(DEMO)/frog_fitted.json
	@echo
	@echo "   Impact that varies through the day is what makes a schedule beat TWAP: the optimum trades"
	@echo "   where the fitted book is cheap (midday) and little at the open and close; see $(DEMO)/frog_fitted.png."
	@echo; echo "== 5. execopt certify $(DEMO)/frog_fitted.csv --params $(DEMO)/fit_frog.json --model quadratic --shares 10000 --cap 1000"
	@$(VENV)/bin/execopt certify $(DEMO)/frog_fitted.csv --params $(DEMO)/fit_frog.json --model quadratic --shares 10000 --cap 1000
	@echo; echo "== 6. execopt backtest FROG --shares 5000  (policies replayed against the synthetic day's books)"
	@$(VENV)/bin/execopt backtest FROG --shares 5000 --policy twap,vwap,static,adaptive,ac,pov,oracle --plot $(DEMO)/backtest_frog.png
	@echo; echo "== 7. execopt study audit --fast  (the reference framework document's claimed figures, re-derived)"
	@$(VENV)/bin/execopt study audit --fast
	@echo
	@echo "Wrote JSON, CSV (schedules, 'execopt certify' reads them) and PNG files to $(CURDIR)/$(DEMO)/"
	@echo "Run the tools yourself: source $(VENV)/bin/activate (then execopt --help), or $(VENV)/bin/execopt --help."
	@echo "Real data: EXECOPT_DATA=/path/to/data (see README.md, 'Real order-book data')."

test: $(STAMP) ## run the whole test suite (slow studies in their fast mode), the docstring examples and the docs build; coverage of src/ with its floor
	$(PY) -m pytest -q --durations=10 --doctest-modules src/execopt tests \
	  --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

lint: $(STAMP) ## ruff check, ruff format --check, mypy, import-linter layers contract
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy src/execopt
	$(VENV)/bin/lint-imports

bench: $(STAMP) ## measure solvers and 1,000 episodes on this machine; writes reports/bench/ (bench.*, episodes.*; FAST=1: quick run into reports/_fast/bench/)
	$(PY) benchmarks/bench.py $(if $(filter 1,$(FAST)),--quick --out-dir $(FAST_DIR)/bench,)
	$(PY) benchmarks/scs_scale.py $(if $(filter 1,$(FAST)),--instances 8,)
	$(PY) benchmarks/bench_basket.py $(if $(filter 1,$(FAST)),--quick --out-dir $(FAST_DIR)/bench,)
	$(PY) benchmarks/bench_episodes.py $(if $(filter 1,$(FAST)),--quick --out-dir $(FAST_DIR)/bench,)

lab: $(STAMP) ## JupyterLab on notebooks/ (jupytext py:percent files open as notebooks); PORT=8888
	$(VENV)/bin/jupyter lab notebooks/ --port=$(PORT) --no-browser $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

reports: $(STAMP) ## execute the notebooks into reports/ (FAST=1: quick version into reports/_fast/)
	@if $(PY) -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("execopt.reporting.build") is None)' 2>/dev/null; then \
	  $(PY) -m execopt.reporting.build $(if $(filter 1,$(FAST)),--fast --out $(FAST_DIR),); \
	else \
	  echo "make reports: not yet available (execopt.reporting.build does not exist in this checkout)"; exit 1; \
	fi

docs: $(STAMP) ## build the documentation site into site/ (mkdocs build --strict; open site/index.html)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean: ## remove build outputs and caches (out/, caches, build/); keeps .venv and reports/
	rm -rf out build dist site src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks .import_linter_cache
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
