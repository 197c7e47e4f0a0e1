# Jigsaw: `make demo` runs it on SQLite with a synthetic local authority; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GOVUK := node_modules/govuk-frontend/dist/govuk
STATIC := jigsaw/static/govuk
DEMO_CHILDREN ?= 2000
# Test processes: one per core (pytest-xdist); each test file runs whole in one of them.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: setup python assets browser demo test test-python test-postgres lint bench clean

## setup: install everything (Python venv in .venv, front-end assets); changes nothing else
setup: python assets

python: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --include=dev --no-audit --no-fund --loglevel=error
	touch $@

## assets: GOV.UK Frontend's fonts, images and script, and one stylesheet compiled from its Sass
## with Jigsaw's own (jigsaw/static_src/) into jigsaw/static/govuk/; rebuilds only what changed
assets: $(STATIC)/.copied $(STATIC)/jigsaw.css
$(STATIC)/.copied: node_modules/.installed
	rm -rf $(STATIC) && mkdir -p $(STATIC)
	cp -r $(GOVUK)/assets $(STATIC)/assets
	cp $(GOVUK)/govuk-frontend.min.js $(GOVUK)/govuk-frontend.min.js.map $(STATIC)/
	touch $@
$(STATIC)/jigsaw.css: $(wildcard jigsaw/static_src/*.scss) $(STATIC)/.copied
	node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map --quiet-deps \
		jigsaw/static_src/jigsaw.scss $@

## browser: Debian's Chromium for the browser tests (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## demo: a synthetic local authority on SQLite, demo logins, the server on http://127.0.0.1:8000
demo: setup
	$(BIN)/jigsaw migrate --verbosity 0
	$(BIN)/jigsaw demo --children $(DEMO_CHILDREN)
	@echo ""
	@echo "Jigsaw is at http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(BIN)/jigsaw worker & trap "kill $$!" EXIT; $(BIN)/jigsaw serve --port 8000

lint: python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy jigsaw
	$(BIN)/python scripts/check_scoped_access.py
	DJANGO_SETTINGS_MODULE=jigsaw.config.settings.test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=jigsaw.config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

## test: install everything, then every check and the whole suite (DATABASE_URL picks the database)
test: setup browser lint test-python

test-python: setup browser
	$(PYTEST)

## test-postgres: the suite against the local PostgreSQL
test-postgres: setup browser
	DATABASE_URL=$${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} $(PYTEST)

## bench: benchmarks; results in benchmarks/results/
bench: setup  ## ONLY=ingest,linkage,search picks some
	$(BIN)/pip install --quiet -e ".[bench]"
	ONLY=$(ONLY) $(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) node_modules $(STATIC) staticfiles
