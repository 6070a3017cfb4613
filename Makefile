# spotlake — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
PYTHON ?= python3
VENV := .venv
BIN := bin/spotlake
GOFLAGS_TEST ?= -count=1 -timeout 30m

.PHONY: all build demo test test-go venv chromium java spark-jars bench bench-go bench-ingest bench-spark bench-detect bench-cache lint fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/spotlake

# Generate three days of logs for every format, run the daily pipeline for the
# latest day on the embedded default, print a summary and serve the dashboard
# in the background (stop it with: bin/spotlake --config demo/spotlake.yaml
# cluster down viz).
demo: build
	./$(BIN) demo --dir demo --serve

# The project-local Python environment: pyiceberg reads our tables in tests.
venv: $(VENV)/.stamp
$(VENV)/.stamp: scripts/requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
	touch $@

# Headless Chromium drives the dashboard in tests (Debian's package; a test's
# own browser download cannot work offline). Installed only when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

# Spark (pyspark in the venv) reads our tables in tests through Iceberg's
# Java catalogs. It needs a Java runtime (Debian's, installed only when
# missing) and the jars pinned in scripts/spark-jars.txt, fetched once from
# Maven Central into .cache/jars and checked against their SHA-256.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
	@java -version 2>&1 | head -1

JARS := .cache/jars
MAVEN ?= https://repo1.maven.org/maven2
spark-jars: java $(JARS)/.stamp
$(JARS)/.stamp: scripts/spark-jars.txt
	@mkdir -p $(JARS)
	@grep -v '^#' scripts/spark-jars.txt | while read -r sum path; do \
	  f=$(JARS)/$$(basename $$path); \
	  if ! echo "$$sum  $$f" | sha256sum -c --status 2>/dev/null; then \
	    echo "fetch $$path"; \
	    curl -fsSL --retry 3 -o $$f.part $(MAVEN)/$$path || exit 1; \
	    echo "$$sum  $$f.part" | sha256sum -c --status || { echo "$$f: checksum mismatch, not the pinned jar"; rm -f $$f.part; exit 1; }; \
	    mv $$f.part $$f; \
	  fi; \
	done
	@touch $@

# Browser tests save their screenshots here.
SPOTLAKE_TEST_OUT ?= $(CURDIR)/testout/screenshots
test: venv chromium spark-jars lint
	SPOTLAKE_TEST_OUT=$(SPOTLAKE_TEST_OUT) $(GO) test $(GOFLAGS_TEST) ./...

# Go benchmarks beside the code, then spotlake's ingest against DuckDB on
# the same generated corpus (1 GiB per format; cached in .cache/bench).
bench: bench-go bench-ingest bench-spark bench-detect bench-cache

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./stages/...

BENCH_SIZE ?= 1GiB
bench-ingest:
	$(GO) run ./stages/ingest/benchcmp -size $(BENCH_SIZE) -formats cowrie,vpcflow -threads 1

# engine spark against the embedded engine on the same corpus, on local
# Spark with 2 executor slots: what one machine pays for the scale-out path.
bench-spark: build venv
	$(GO) run ./stages/ingest/benchcmp -size $(BENCH_SIZE) -formats cowrie,vpcflow -threads 2 -engines spotlake,spark -spotlake-bin $(BIN)

# Detection quality and speed on a generated day with planted anomalies:
# per-kind recall@2k, precision, LDA size and fit time, scoring rate.
# Scale 400 is a day of about 10 million events.
DETECT_SCALE ?= 400
bench-detect:
	$(GO) run ./stages/detect/quality -scale $(DETECT_SCALE)

# The hot cache: 30 days of about 1M events each (built once by the real
# generator and pipeline, kept in .cache/bench-cache): a full rebuild against
# the daily one-day refresh, and each dashboard API call's p50/p95 on the
# cache against the same call answered from the Iceberg tables directly.
CACHE_DAYS ?= 30
bench-cache:
	$(GO) run ./orchestrator/cachebench -days $(CACHE_DAYS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin demo .cache
