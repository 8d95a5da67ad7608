# Shortcuts for development; each target is one documented command.
PY := .venv/bin/python

.PHONY: install test lint snapshots bench bench-sheet dist
install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'
test:
	$(PY) -m pytest
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
snapshots:
	$(PY) -m pytest --snapshot-update
bench:
	$(PY) bench/bench.py
bench-sheet:
	$(PY) bench/sheet_bench.py
dist:
	$(PY) build.py
