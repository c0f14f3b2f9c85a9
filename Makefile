# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Running needs the runtime dependencies only; the test extras (pytest, schemathesis,
# playwright, mypy, ...) are several times their size, so only the targets that use them add them.
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-pg lint typecheck bench install install-test clean e2e-deps system-deps

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(TEST_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/heedful migrate --noinput
	$(BIN)/heedful demo --if-empty
	$(BIN)/heedful serve --host $(HOST) --port $(PORT) --no-migrate

# Browser tests need Debian's Chromium, IMAP tests Debian's Dovecot (dovecot-imapd); install
# whichever is missing when we may (root with apt-get).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "missing:$$missing (the tests that need it are skipped outside CI)"; fi; \
	fi

e2e-deps: system-deps

test: $(TEST_STAMP) system-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --dist loadfile

# The same suite against PostgreSQL (HEEDFUL_TEST_DATABASE_URL or the local server).
test-pg: $(TEST_STAMP)
	HEEDFUL_DATABASE_URL=$${HEEDFUL_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/heedful} \
	  $(BIN)/pytest -n 2 --dist loadfile

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

bench: $(RUN_STAMP)
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) build *.egg-info
