# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test test-fast install dev migrate setup demo lint format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

migrate: install
	$(PY) -m data_access.migrate

# migrate, then the demo data if the database is empty
setup: install
	$(PY) -m data_access.setup

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: dev
	$(PY) -m pytest -n 2 --dist loadgroup --durations=20 $(PYTEST_ARGS)

# SQLite only, no browser: the quick loop while editing (`make test` before pushing)
test-fast: dev
	$(PY) -m pytest -n 2 --dist loadgroup --durations=20 -m "not browser and not postgres" $(PYTEST_ARGS)

demo: install
	$(PY) -m data_access.demo $(DEMO_ARGS)

lint: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/import_export.py
	$(PY) bench/ticket_list.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
