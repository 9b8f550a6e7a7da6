# Retail intelligence workbench: `make help` lists the targets.
# Works from a fresh clone with only Python 3.11 and make: every target creates .venv when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.workbench-installed
KERNEL := workbench
MONTH ?=
RAW := data/raw
NBVAL := --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-kernel-name $(KERNEL) \
	--nbval-cell-timeout 600

.PHONY: help setup sample report test test-spark lab lint clean bench screenshots

help: ## Show this help
	@echo "Retail intelligence workbench - make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-8s %s\n", $$1, $$2}'
	@echo "Examples: make report MONTH=2026-10   make test"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	@# pyarrow's jemalloc pool in the kernel (frames.kernel_memory_pool: less memory on large months);
	@# `workbench run` sets it for its own kernels, the kernelspec for JupyterLab's
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (workbench)" \
		--env ARROW_DEFAULT_MEMORY_POOL jemalloc
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv, install the workbench and its Jupyter kernel (fast when done)

sample: setup ## Generate the sample data into data/raw (only if data/raw holds no table)
	@if [ -n "$$(find $(RAW) -maxdepth 1 \( -name '*.parquet' -o -name '*.csv' \) -print -quit 2>/dev/null)" ]; then \
		echo "data/raw already holds tables: sample not generated"; \
	else \
		$(VENV)/bin/workbench sample; \
	fi

report: sample ## Run every notebook for a month (MONTH=YYYY-MM, default last complete month)
	$(VENV)/bin/workbench run $(if $(MONTH),--month $(MONTH))

screenshots: setup ## PNG of every page of a month with headless Chromium (MONTH=YYYY-MM, default last report)
	$(VENV)/bin/workbench screenshots $(if $(MONTH),--month $(MONTH))

test: sample ## Run the tests, check every notebook with nbval, then the DuckDB/Spark parity (with Java)
	$(PY) -m pytest tests notebooks -m "not spark" $(NBVAL)
	@if command -v java >/dev/null; then $(MAKE) --no-print-directory test-spark; else \
		echo "Java not found: DuckDB/Spark parity tests not run (apt-get install openjdk-17-jre-headless, then make test-spark)"; fi

test-spark: sample ## Install pyspark (extra 'spark', needs Java 17) and run the DuckDB/Spark parity tests
	$(PY) -m pip install -e '.[dev,spark]'
	@command -v java >/dev/null || { echo "Java not found: Spark 4 needs Java 17 (apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(PY) -m pytest tests/test_spark_parity.py -m spark -rs

lab: setup ## Open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

lint: setup ## Check the code style with ruff
	$(VENV)/bin/ruff check src tests benchmarks

bench: sample ## Run the benchmarks, QUICK=1 for small sizes (figures in reports/benchmarks.md)
	$(PY) benchmarks/run_all.py $(if $(QUICK),--quick)

clean: ## Remove generated reports, processed data and caches (keeps data/raw, .venv and reports/benchmarks.md)
	find reports -mindepth 1 -maxdepth 1 ! -name .gitkeep ! -name README.md ! -name benchmarks.md -exec rm -rf {} +
	find data/processed -mindepth 1 -maxdepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache \
		-o -name .ipynb_checkpoints \) -type d -print -exec rm -rf {} +
