# boxoffice: run `make help` for the targets.
GO        ?= go
BIN       ?= bin/boxoffice
BENCH_RUNS     ?= 3
BENCH_DURATION ?= 10s
SOAK_DURATION  ?= 30m
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# Packages whose tests run under the race detector. actors/ and cluster/
# run without it: protoactor-go itself races (member list, endpoint
# manager), which the detector reports inside the library. The root package
# runs in both passes: under -race its seat-map simulation is shortened and
# its 100 KiB memory bound is not checked (the detector enlarges
# allocations), so the plain pass runs them at full size.
RACE_PKGS  = $(shell $(GO) list ./... | grep -v -e /actors -e /cluster -e /cmd/)
PLAIN_PKGS = $(shell $(GO) list . && $(GO) list ./... | grep -e /actors -e /cluster -e /cmd/)

# Development defaults for `make run`; printed as such at start. Override
# them in the environment for anything but a laptop.
BOXOFFICE_ADMIN_EMAIL    ?= admin@boxoffice.local
BOXOFFICE_ADMIN_PASSWORD ?= admin-password
export BOXOFFICE_ADMIN_EMAIL BOXOFFICE_ADMIN_PASSWORD

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## run one node with the embedded store and demo data on http://127.0.0.1:8080
	@echo "dev defaults: admin $(BOXOFFICE_ADMIN_EMAIL) / $(BOXOFFICE_ADMIN_PASSWORD) (set BOXOFFICE_ADMIN_EMAIL/PASSWORD to change)"
	$(GO) run ./cmd/boxoffice serve --demo

.PHONY: build
build: ## build the binary into bin/boxoffice
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/boxoffice

.PHONY: test
test: lint ## vet, format check and every test (PostgreSQL ones need BOXOFFICE_TEST_DATABASE_URL)
	$(GO) test -race -count=1 -timeout 10m $(RACE_PKGS)
	$(GO) test -count=1 -timeout 10m $(PLAIN_PKGS)
	@if command -v docker-compose >/dev/null 2>&1; then \
		echo "docker-compose config"; docker-compose -f docker-compose.yml config -q; \
	else echo "docker-compose not installed: compose file not checked"; fi
	@$(MAKE) --no-print-directory alerts

.PHONY: alerts
alerts: ## check the Prometheus config and unit-test the alert rules of deploy/ (promtool, Debian package prometheus)
	@if command -v promtool >/dev/null 2>&1; then \
		promtool check config deploy/prometheus/prometheus.yml && \
		promtool check rules deploy/prometheus/rules/boxoffice.yml && \
		promtool test rules deploy/prometheus/rules/boxoffice_test.yml; \
	elif [ -n "$$CI" ]; then echo "promtool missing (apt-get install prometheus): the alert rules must be tested in CI"; exit 1; \
	else echo "promtool not installed (apt-get install prometheus): alert rules not tested"; fi

.PHONY: lint
lint: ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: proto
proto: ## regenerate actors/boxoffice.pb.go (needs protoc; installs protoc-gen-go)
	@command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler"; exit 1; }
	GOBIN=$(CURDIR)/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	PATH=$(CURDIR)/bin:$$PATH protoc --go_out=. --go_opt=module=github.com/boxoffice/boxoffice actors/boxoffice.proto

.PHONY: bench
bench: build ## the performance table in one run (BOXOFFICE_TEST_DATABASE_URL: pgbench baselines, a node on that server, SQLite, the engine alone; BENCH_RUNS, BENCH_DURATION) into BENCHMARKS.md; plus the in-memory Go benchmarks
	@if [ -z "$$BOXOFFICE_TEST_DATABASE_URL" ]; then \
		echo "make bench: set BOXOFFICE_TEST_DATABASE_URL to a PostgreSQL server (the SQL baselines and the node run on it)"; exit 2; fi
	$(GO) test -run '^$$' -bench 'SeatMap' -benchmem .
	$(GO) test -run '^$$' -bench 'BenchmarkShowtimeHold' -benchtime 3s ./actors/
	$(GO) run ./loadtest/bench --bin $(BIN) --database-url "$$BOXOFFICE_TEST_DATABASE_URL" \
		--runs $(BENCH_RUNS) --duration $(BENCH_DURATION) --markdown BENCHMARKS.md --svg docs/bench-scale.svg

FAULTS_RUNS    ?= 10
FAULTS_NEMESES ?=
.PHONY: faults
faults: ## the fault harness as root: a flash sale on 3 nodes in network namespaces under every nemesis, FAULTS_RUNS runs each (FAULTS_NEMESES=a,b to choose; FAULTS_SEED=n replays one run), table into FAULTS.md, runs in faults-out/
	BOXOFFICE_FAULTS=1 FAULTS_RUNS=$(FAULTS_RUNS) FAULTS_NEMESES=$(FAULTS_NEMESES) \
		$(GO) test -count=1 -v -timeout 120m -run '^TestFaults$$' ./loadtest/faults/
	@# disk-full: SQLite on a 4 MB tmpfs filling up, a process test of its own.
	@case ",$(FAULTS_NEMESES)," in ,,|*,disk-full,*) \
		echo "disk-full: $(FAULTS_RUNS) runs"; \
		BOXOFFICE_FAULTS=1 $(GO) test -count=$(FAULTS_RUNS) -v -timeout 60m -run '^TestDiskFull$$' ./cmd/boxoffice/ ;; \
	esac

.PHONY: soak
soak: build ## 3 nodes on PostgreSQL (BOXOFFICE_TEST_DATABASE_URL) under the mixed scenario at half their max rate for SOAK_DURATION (30m); fails if a series grows; curves in FAULTS.md and docs/soak.svg
	@if [ -z "$$BOXOFFICE_TEST_DATABASE_URL" ]; then \
		echo "make soak: set BOXOFFICE_TEST_DATABASE_URL to a PostgreSQL server (the cluster makes and drops databases soak_*)"; exit 2; fi
	$(GO) run ./loadtest/soak --bin $(BIN) --database-url "$$BOXOFFICE_TEST_DATABASE_URL" \
		--duration $(SOAK_DURATION) --svg docs/soak.svg --markdown FAULTS.md

.PHONY: fuzz
fuzz: ## run the fuzz targets for a minute each
	$(GO) test -run=^$$ -fuzz=FuzzSeatMap -fuzztime=60s .
	$(GO) test -run=^$$ -fuzz=FuzzHandlers -fuzztime=60s ./http/

.PHONY: clean
clean: ## remove build output and the local data directory
	rm -rf bin data
