PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000

STAMP := $(VENV)/.installed

.PHONY: run test lint bench models clean

# (Re)install whenever pyproject.toml changes; create the venv only if missing.
$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install -e '.[test]'
	touch $@

run: $(STAMP)
	$(VENV)/bin/lstm-lens serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/engine.py

# Retrains every shipped model into model/trained (two at a time; see model/recipes.py).
models: $(STAMP)
	$(VENV)/bin/lstm-lens models
	$(VENV)/bin/lstm-lens results

# Removes build outputs, caches and the install stamp; keeps the venv itself.
clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache $(STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
