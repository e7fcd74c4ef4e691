# gradesys — the two everyday commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
EMPLOYEES ?= 200
# Test processes (pytest-xdist): one per core; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto

.PHONY: run serve test deps migrate demo check clean cluster-up cluster-down

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	./scripts/system-deps.sh
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## deps: create .venv and install the pinned requirements with the test and demo tools
## (requirements-dev.txt; a production install takes requirements.txt alone)
deps: $(STAMP)

## run: the site with demo data on SQLite at http://$(HOST):$(PORT)
run: deps
	DEBUG=1 GRADESYS_DEMO=1 $(PY) manage.py migrate --noinput
	DEBUG=1 GRADESYS_DEMO=1 $(PY) manage.py seed_demo --employees $(EMPLOYEES)
	DEBUG=1 GRADESYS_DEMO=1 $(PY) manage.py runserver $(HOST):$(PORT)

## serve: the site as production runs it: gunicorn, DEBUG off, compressed hashed static files.
## Needs SECRET_KEY and ALLOWED_HOSTS (environment or .env); workers from WEB_CONCURRENCY.
serve: deps
	$(PY) manage.py check --deploy
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(VENV)/bin/gunicorn -c gradesys/gunicorn.conf.py gradesys.wsgi:application

## test: the whole suite (SQLite unless DATABASE_URL points elsewhere), including the cluster
## tests (marker `cluster`: nginx, two app servers, a MariaDB primary and replica, Redis, about
## two minutes); PYTEST_ARGS='-m "not cluster"' leaves them out. The tests are shared out
## among TEST_WORKERS processes, each with its own test database, in the order pytest-django
## gives them (those that empty the database after them last); the cluster tests stay together
## in one process (marker xdist_group), so one cluster comes up.
test: deps
	./scripts/system-deps.sh
	./scripts/browser-deps.sh
	./scripts/redis-ready.sh
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## cluster-up / cluster-down: the production topology on this machine (scripts/cluster.py)
cluster-up: deps
	./scripts/system-deps.sh
	$(PY) scripts/cluster.py up --employees $(EMPLOYEES)
cluster-down:
	$(PY) scripts/cluster.py down

## check: Django's system checks and the migrations check
check: deps
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
