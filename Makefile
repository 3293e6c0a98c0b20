# execopt — everyday commands. GNU make; needs only python3 >= 3.11 on a fresh machine.
#
#   make demo    set up .venv (first time only) and take the tour: solvers side by side
#   make test    set up .venv (first time only) and run the whole test suite
#
# Variables: PYTHON (the interpreter that creates .venv), FAST=1 (quick demo, bench and reports).

PYTHON ?= python3
FAST ?= 0

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := out/demo
# Differential evolution's wall-clock limit in the demo (seconds per run).
DEMO_DE_SECONDS := $(if $(filter 1,$(FAST)),1,3)

export EXECOPT_FAST := $(FAST)

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint bench lab reports clean

help: ## list the targets
	@echo "execopt — make targets (variables: PYTHON=$(PYTHON), FAST=$(FAST))"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-8s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install execopt -e .[dev,notebooks] (again only when pyproject.toml changes)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "execopt needs Python >= 3.11; this is " + sys.version.split()[0] + ": run make PYTHON=python3.11 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,notebooks]"
	@touch $@

demo: $(STAMP) ## tour: CRWV, FROG, SOUN at 10,000 shares, every solver, with and without a 1,000-share cap; SOUN power law (writes out/demo/)
	@mkdir -p $(DEMO)
	@for s in CRWV FROG SOUN; do \
	  for cap in none 1000; do \
	    name=$$(echo $$s | tr A-Z a-z)_quadratic_cap-$$cap; \
	    capopt=$$( [ $$cap = none ] || echo "--cap $$cap" ); \
	    echo; echo "== execopt solve --stock $$s --shares 10000 $$capopt --method all --time-limit $(DEMO_DE_SECONDS)"; \
	    $(VENV)/bin/execopt solve --stock $$s --shares 10000 $$capopt --method all \
	      --time-limit $(DEMO_DE_SECONDS) --allow-uncertified --out $(DEMO)/$$name.csv --plot $(DEMO)/$$name.png \
	      --json-out $(DEMO)/$$name.json || exit $$?; \
	  done; \
	done
	@for cap in none 1000; do \
	  name=soun_power_cap-$$cap; \
	  capopt=$$( [ $$cap = none ] || echo "--cap $$cap" ); \
	  echo; echo "== execopt solve --stock SOUN --model power --shares 10000 $$capopt --method all --time-limit $(DEMO_DE_SECONDS)"; \
	  $(VENV)/bin/execopt solve --stock SOUN --model power --shares 10000 $$capopt --method all \
	    --time-limit $(DEMO_DE_SECONDS) --allow-uncertified --out $(DEMO)/$$name.csv --plot $(DEMO)/$$name.png \
	    --json-out $(DEMO)/$$name.json || exit $$?; \
	done
	@echo; echo "== execopt certify $(DEMO)/crwv_quadratic_cap-1000.csv --stock CRWV --shares 10000 --cap 1000"
	@$(VENV)/bin/execopt certify $(DEMO)/crwv_quadratic_cap-1000.csv --stock CRWV --shares 10000 --cap 1000
	@echo
	@echo "With the seed's constant parameters equal allocation is already optimal (Jensen), and a"
	@echo "1,000-share cap does not bind at 10,000 shares (25.6 per minute); the tables show every"
	@echo "solver agreeing with the exact optimum, and how far differential evolution is after"
	@echo "$(DEMO_DE_SECONDS) s. Savings need parameters that vary through the day: see README.md."
	@echo; echo "== execopt fit FROG --model both  (the embedded synthetic FROG-like day: walk every minute's book, fit with CIs)"
	@$(VENV)/bin/execopt fit FROG --model both --plot $(DEMO)/fit_frog.png --json-out $(DEMO)/fit_frog.json
	@echo; echo "== execopt solve --params $(DEMO)/fit_frog.json --model quadratic --shares 10000  (the fitted per-minute profile)"
	@$(VENV)/bin/execopt solve --params $(DEMO)/fit_frog.json --model quadratic --shares 10000 --method exact
	@echo; echo "== execopt backtest FROG --shares 5000  (policies replayed against the synthetic day's books)"
	@$(VENV)/bin/execopt backtest FROG --shares 5000 --policy twap,vwap,static,adaptive,ac,pov,oracle --plot $(DEMO)/backtest_frog.png
	@echo; echo "== execopt study audit --fast  (the seed document's figures, re-derived)"
	@$(VENV)/bin/execopt study audit --fast
	@echo
	@echo "Wrote JSON, CSV (schedules, 'execopt certify' reads them) and PNG files to $(CURDIR)/$(DEMO)/"
	@echo "Real data: EXECOPT_DATA=../shared/data; e.g. execopt fit ../shared/data/mbp10/FROG_2025-04-03.csv.gz"

test: $(STAMP) ## run the whole test suite (slow studies in their fast mode); the 10 slowest tests are listed
	$(PY) -m pytest -q --durations=10

lint: $(STAMP) ## ruff check, ruff format --check, mypy, import-linter layers contract
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy src/execopt
	$(VENV)/bin/lint-imports

bench: $(STAMP) ## measure solvers on this machine; writes reports/bench/bench.json and bench.md (FAST=1: quick run)
	$(PY) benchmarks/bench.py $(if $(filter 1,$(FAST)),--quick,)
	$(PY) benchmarks/scs_scale.py $(if $(filter 1,$(FAST)),--instances 8,)

lab: $(STAMP) ## JupyterLab on notebooks/ (jupytext py:percent files open as notebooks)
	$(VENV)/bin/jupyter lab notebooks/

reports: $(STAMP) ## execute the notebooks into reports/ (FAST=1: quick version)
	@if $(PY) -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("execopt.reporting.build") is None)' 2>/dev/null; then \
	  $(PY) -m execopt.reporting.build $(if $(filter 1,$(FAST)),--fast,); \
	else \
	  echo "make reports: not yet available (execopt.reporting.build does not exist in this checkout)"; exit 1; \
	fi

clean: ## remove build outputs and caches (out/, caches, build/); keeps .venv and reports/
	rm -rf out build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks .import_linter_cache
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
