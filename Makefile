# The two commands a new user needs: `make dev` (try it) and `make test` (run every test).
# Needs only Python >= 3.11, git and make: uv is bootstrapped into .bootstrap/ when absent.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .bootstrap/bin/uv)

.PHONY: dev test lint format check bench-quick clean-data

# `make dev PORT=8123 HOST=0.0.0.0` picks the address (default 127.0.0.1:8000). HOST is taken
# from the command line only: some shells export HOST as the machine's name.
DEV_ARGS := $(if $(PORT),--port $(PORT)) $(if $(filter command line,$(origin HOST)),--host $(HOST))

dev: $(UV)
	$(UV) sync --frozen
	$(UV) run candor dev $(DEV_ARGS)

test: $(UV)
	$(UV) sync --frozen
	$(UV) run pytest

lint: $(UV)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports

format: $(UV)
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

check: test lint

bench-quick: $(UV)
	for b in bench/*.py; do case $$b in bench/_*) continue;; esac; $(UV) run python $$b --quick | tail -n 1; done

clean-data:
	rm -rf .candor

.bootstrap/bin/uv:
	$(PYTHON) -m venv .bootstrap
	.bootstrap/bin/python -m pip install --quiet --disable-pip-version-check uv
