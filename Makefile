# 侨心 Qiaoxin. `make run` serves the portal with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000
# Two test processes (pytest-xdist): the machines this runs on have two cores.
PYTEST_ARGS ?= -n 2

.DEFAULT_GOAL := help
.PHONY: help install messages makemessages migrate seed run worker test test-e2e lint format check-deploy bench bench-register bench-signups bench-faults bench-volunteers lock clean

help:
	@echo "make run      serve the portal with demo data at http://$(ADDR)/ (Ctrl-C stops it)"
	@echo "make test     run the whole test suite (SQLite by default; set DATABASE_URL etc. for PostgreSQL)"
	@echo "make lint     ruff check, ruff format --check, makemigrations --check"
	@echo "make bench    run the benchmarks in bench/ (PostgreSQL + gunicorn), results in bench/results/"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compile_translations

# Developers only: refresh the .po files after changing UI text (needs GNU gettext).
makemessages: $(STAMP)
	$(PY) manage.py makemessages --no-obsolete -l zh_Hans -l zh_Hant -l en \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*' --ignore 'tests/*'
	$(PY) manage.py fill_translations

migrate: messages
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "Serving at http://$(ADDR)/ — press Ctrl-C to stop."
	$(PY) manage.py rundev $(ADDR)

worker: $(STAMP)
	$(BIN)/celery -A portal worker --beat --loglevel=INFO

test: messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.production $(PY) manage.py check --deploy --fail-level WARNING

bench: messages
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; } || \
		{ echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/signups.py

# Sign-ups against a logged-in POST that does nothing on the same server (BENCH_ENDPOINTS=1), the
# seat lock's hold time, then 200 people at once for 50 seats: exactly 50 confirmed, 150 waiting.
# Its own database: BENCH_SIGNUPS_DATABASE_URL; Redis: BENCH_REDIS_URL, BENCH_BROKER_URL.
bench-signups: messages
	$(PY) bench/signups.py $(BENCH_ARGS)

# Redis stopped 18 s, then PostgreSQL cut 6 s, under browsing, logins and sign-ups: no 500, no
# sign-up lost, every notice delivered once per channel afterwards (~5 min, mostly the sweeper).
bench-faults: messages
	$(PY) bench/faults.py $(BENCH_ARGS)

# 5,000 volunteers beside a 1,000,000-member register: proposing volunteers for a request
# (in-process and the admin page over HTTP, beside /healthz), then 100 volunteers at once for
# the 20 places of a shift: exactly 20 taken, 0 errors. Builds its register once (~5 min) in
# BENCH_VOLUNTEERS_DATABASE_URL; Redis DBs 2 and 3.
bench-volunteers: messages
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; } || \
		{ echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) bench/volunteers.py $(BENCH_ARGS)

# The register at a million members (generates the files once into var/bench; ~30 min).
bench-register: messages
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; } || \
		{ echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) bench/register.py $(BENCH_ARGS)

# Refresh constraints.txt from what is installed (after changing pyproject.toml).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' | grep -iv '^qiaoxin' > constraints.txt

clean:
	rm -rf $(VENV) var
