# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test screenshots lint format migrations-check deploy-check messages clean cluster-up cluster-down

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## Run the application on SQLite with demo data at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL). Chromium and
## redis-server are installed when missing (as root), or the exact command to run is printed.
test: $(STAMP)
	@scripts/test-services check
	scripts/test-services run $(BIN)/pytest $(PYTEST_ARGS)

## Save the screenshots of docs/screenshots/ (desktop and 320 px), from the browser tests
screenshots: $(STAMP)
	SCREENSHOTS=1 $(BIN)/pytest tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

## `check --deploy` with production-like values (no real secret involved)
deploy-check: $(STAMP)
	DEBUG=false ALLOWED_HOSTS=viareferents.example.fr \
	SECRET_KEY="deploy-check-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## Extract and compile the translations (locale/)
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l fr -l en --ignore=.venv --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

## nginx (TLS, :8443) + 2 gunicorn + PostgreSQL + Redis of their own, on this machine (docs/deployment.md)
cluster-up: $(STAMP)
	deploy/local-cluster.sh start

cluster-down:
	deploy/local-cluster.sh stop

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
