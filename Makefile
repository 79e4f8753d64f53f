# Two commands on a fresh machine: `make run` and `make test`. Everything else is set-up they share.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DBT_SOURCES := $(shell find dbt/models dbt/macros dbt/tests -type f 2>/dev/null) dbt/dbt_project.yml dbt/profiles.yml
BENCH_SCALE ?= 1.0
# the scale sweep (#19): multiples of the published sizes, and the servers (the embedded one; Debian's PostgreSQL 15, stock)
BENCH_SCALES ?= 0.1,1,10
BENCH_SERVERS ?= embedded,stock
# test files run on two workers (most of the suite waits on PostgreSQL, dbt and Dagster subprocesses)
TEST_WORKERS ?= 2

.PHONY: setup run test test-fast dev bench bench-scale stock-postgres clean db-stop browser deploy-test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

dbt/target/manifest.json: $(STAMP) $(DBT_SOURCES)
	$(BIN)/edu-platform setup

setup: $(STAMP) dbt/target/manifest.json

run: setup
	$(BIN)/edu-platform run

# The fast tier first (no PostgreSQL, under a minute), then everything else on real PostgreSQL, dlt, dbt, Dagster.
test: setup browser stock-postgres
	$(BIN)/python -m pytest -m fast
	$(BIN)/python -m pytest -m "not fast" -n $(TEST_WORKERS) --dist loadfile

# Definitions, asset graph, keys, groups, descriptions, check names, configuration errors: no database is started
# (the tier's warehouse URL points where nothing listens; see edu_platform_tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m fast

# Debian's chromium for the browser test (Playwright drives it; never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium could not be installed: the browser test will say so and skip"

# Debian's PostgreSQL 15 binaries for the scale sweep's stock server (bench/scale.py starts a throw-away cluster of
# its own; the package's main cluster is not created).
stock-postgres:
	@[ -x /usr/lib/postgresql/15/bin/initdb ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  mkdir -p /etc/postgresql-common/createcluster.d && \
	  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/edu-platform.conf && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null) ; } || \
	  echo "PostgreSQL 15 could not be installed: the scale sweep's stock-server test will fail naming /usr/lib/postgresql/15/bin"

dev: setup
	$(BIN)/edu-platform dev

bench: setup
	$(BIN)/python bench/run.py --scale $(BENCH_SCALE)

# How the cost grows (bench/scale.py): OULAD and Dost end to end at each of BENCH_SCALES, on the embedded server and
# on a throw-away stock PostgreSQL 15 cluster; bench/results/scale.json + scale.png. About an hour on 2 cores, most of it 10x.
bench-scale: setup
	@$(BIN)/python -c "import matplotlib" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/scale.py --scales $(BENCH_SCALES) --servers $(BENCH_SERVERS)

db-stop:
	$(BIN)/edu-platform db stop

clean:
	rm -rf dbt/target .edu_platform/landing .edu_platform/dlt_pipelines

# The compose deployment for real with rootful podman (not part of `make test`: image builds take minutes):
# builds the images from local stand-ins for the official base images, brings the stack up, runs an OULAD
# refresh and a Dost week through the webserver's GraphQL API, checks gold as bi_reader, restarts the daemon,
# and tears everything down (deploy/deploy_test.py).
deploy-test: $(STAMP)
	@$(BIN)/python -c "import podman_compose" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[deploy]"
	$(BIN)/python deploy/deploy_test.py
