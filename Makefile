# Concord — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: run test test-fast lint format vendor bench scaleout clean install install-dev translations messages

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

# LDAP sign-in (requirements-ldap.txt) needs python-ldap, which builds against libldap-dev and libsasl2-dev; its
# tests start their own slapd (ldap-utils loads it). Installed from Debian when missing and apt-get can (root); the
# package's own slapd is left unconfigured and stopped. Without them `make test` still works: the LDAP tests skip
# (and fail under REQUIRE_SERVICES=1).
LDAP_DEBS := slapd ldap-utils libldap-dev libsasl2-dev
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt requirements-ldap.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	@if ! dpkg -s $(LDAP_DEBS) >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    fresh=; dpkg -s slapd >/dev/null 2>&1 || { fresh=1; echo "slapd slapd/no_configuration boolean true" | debconf-set-selections; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 $(LDAP_DEBS) >/dev/null; \
	    [ -z "$$fresh" ] || service slapd stop >/dev/null 2>&1 || true; \
	  else echo "note: for the LDAP tests install the Debian packages $(LDAP_DEBS)"; fi; \
	fi
	@$(PIP) install --quiet -r requirements-ldap.txt \
	  || echo "note: python-ldap did not build (needs libldap-dev, libsasl2-dev): LDAP sign-in tests will skip"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make messages: refresh locale/zh_Hans from the code (needs GNU gettext; developers only)
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'frontend/*' --ignore 'staticfiles/*' --ignore 'tests/*'

translations: $(VENV)/.installed
	$(PY) manage.py compile_catalogue

## make run: install, migrate, load demo data, start web + Celery worker + beat on http://127.0.0.1:8000
run: $(VENV)/.installed translations
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	DEMO_MODE=$${DEMO_MODE:-1} $(PY) scripts/run.py

## make test: the whole suite (SQLite unless DATABASE_URL is set; REQUIRE_SERVICES=1 makes missing services fail)
test: $(VENV)/.installed-dev
	$(PY) manage.py compile_catalogue
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-fast: the edit loop — everything but the slow, browser (e2e) and fault-injection tests
test-fast: $(VENV)/.installed-dev
	$(PY) manage.py compile_catalogue
	$(PY) -m pytest -m "not slow and not e2e and not faults" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make vendor: refresh the front-end libraries under static/vendor from the npm registry (versions in frontend/package.json)
vendor:
	cd frontend && npm ci --no-audit --no-fund
	mkdir -p static/vendor/bootstrap static/vendor/htmx
	cp frontend/node_modules/bootstrap/dist/css/bootstrap.min.css frontend/node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/
	cp frontend/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js frontend/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/
	cp frontend/node_modules/bootstrap/LICENSE static/vendor/bootstrap/LICENSE
	cp frontend/node_modules/htmx.org/dist/htmx.min.js frontend/node_modules/htmx.org/LICENSE static/vendor/htmx/
	mkdir -p static/vendor/chartjs static/vendor/frappe-gantt
	cp frontend/node_modules/chart.js/dist/chart.umd.min.js frontend/node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chartjs/
	cp frontend/node_modules/chart.js/LICENSE.md static/vendor/chartjs/
	cp frontend/node_modules/frappe-gantt/dist/frappe-gantt.umd.js frontend/node_modules/frappe-gantt/dist/frappe-gantt.css static/vendor/frappe-gantt/
	cp frontend/node_modules/frappe-gantt/license.txt static/vendor/frappe-gantt/LICENSE
	mkdir -p tests/e2e/vendor/axe-core
	cp frontend/node_modules/axe-core/axe.min.js frontend/node_modules/axe-core/LICENSE tests/e2e/vendor/axe-core/

## make bench: every bench/bench_*.py and bench/load.py, then one table of figures (not part of make test).
## Needs the local PostgreSQL; load.py needs wrk (installed from Debian here if missing). BENCH="cpm load" narrows it.
BENCH ?=
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run_all.py $(BENCH)

## make scaleout: two web nodes behind HAProxy, two Celery workers and one beat on the local PostgreSQL and Redis;
## one node and one worker SIGKILLed mid-run; throughput, errors and exactly-once checks (bench/scaleout.py, ~7 min;
## not part of make test or CI). Installs haproxy and wrk from Debian if missing.
scaleout: $(VENV)/.installed-dev
	@command -v wrk >/dev/null && command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy >/dev/null; }
	$(PY) bench/scaleout.py

clean:
	rm -rf $(VENV) staticfiles .run .pytest_cache .test-db*.sqlite3*
