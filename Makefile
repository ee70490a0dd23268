# waarborg: make serve (run the demo server), make test (lint, types, tests on SQLite and PostgreSQL)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/waarborg
# Development values, set explicitly: never used unless a make target sets them.
DEV_ENV := WAARBORG_DEBUG=1 WAARBORG_KEK_FILE=var/dev.kek
TEST_ENV := WAARBORG_DEBUG=0 WAARBORG_SECRET_KEY=test-only-$$(head -c 24 /dev/urandom | base64 | tr -d '/+=') \
	WAARBORG_KEK_FILE=var/test.kek WAARBORG_ALLOWED_HOSTS=testserver,127.0.0.1,localhost

.PHONY: install serve test lint test-sqlite test-postgres bench browser clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 ($(PYTHON)) is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(MAKE) --no-print-directory browser
	touch $(STAMP)

# Debian's Chromium for the browser test (Playwright's own browser download is not used), GNU
# gettext, with which the translation test checks that every text has its Dutch, and Dovecot,
# the IMAP server the mail intake test starts (waarborg/intake/tests/dovecot.py).
browser:
	@if ! command -v xgettext >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing GNU gettext for the translation test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; fi
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: install Debian's chromium (apt-get install chromium) to run the browser test"; fi
	@if [ -x /usr/sbin/dovecot ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's dovecot-imapd for the mail intake test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
	else echo "note: install Debian's dovecot-imapd to run the mail intake test"; fi

var:
	mkdir -p var

var/dev.kek: | install var
	$(BIN)/waarborg keys generate > var/dev.kek.tmp && mv var/dev.kek.tmp var/dev.kek
	@echo "Generated a development key-encryption key in var/dev.kek (development only)."

var/test.kek: | install var
	$(BIN)/waarborg keys generate > var/test.kek.tmp && mv var/test.kek.tmp var/test.kek

serve: install var/dev.kek
	$(DEV_ENV) $(BIN)/waarborg migrate --noinput -v0
	$(DEV_ENV) $(BIN)/waarborg policy apply
	$(DEV_ENV) $(BIN)/waarborg demo --customers 250
	$(DEV_ENV) $(BIN)/waarborg demo_billing --agency-key var/demo-agency
	$(DEV_ENV) $(BIN)/waarborg demo_requests
	$(DEV_ENV) $(BIN)/waarborg demo_retention
	@echo ""
	@echo "waarborg is running (development mode, SQLite in var/):"
	@echo "  privacy statement:  http://127.0.0.1:8000/privacy"
	@echo "  versions:           http://127.0.0.1:8000/privacy/versions"
	@echo "  privacy center:     http://127.0.0.1:8000/privacy/center"
	@echo "  staff console:      http://127.0.0.1:8000/console/ (requests: /console/requests)"
	@echo "  API docs:           http://127.0.0.1:8000/api/docs"
	@echo "  mail:               written to var/mail/, not sent (set WAARBORG_SMTP_URL to send)"
	@echo "  worker:             waarborg worker, in the background: carries out confirmed requests"
	@$(DEV_ENV) $(BIN)/waarborg demo_access
	@echo ""
	$(DEV_ENV) $(BIN)/waarborg worker --every 10 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
		$(DEV_ENV) WAARBORG_COLLECTION_AGENCY_RECIPIENT=$$(cat var/demo-agency.pub) $(BIN)/waarborg runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/mypy waarborg bench
	$(TEST_ENV) $(BIN)/lint-imports --no-logo .importlinter

test-sqlite: install var/test.kek
	$(TEST_ENV) DATABASE_URL=sqlite:///var/waarborg-test.sqlite3 $(BIN)/pytest

test-postgres: install var/test.kek
	$(TEST_ENV) DATABASE_URL=$(PG_URL) $(BIN)/pytest

test: lint test-sqlite test-postgres

bench: install var/test.kek
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || \
		echo "note: install wrk (apt-get install wrk) for the API benchmark"
	$(TEST_ENV) $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
