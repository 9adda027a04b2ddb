# dummy-chat: install, build, run and test. Every target installs and builds what is missing.
SHELL := bash
.DEFAULT_GOAL := help

INSTALLED := node_modules/.installed
BUILT := dist/.built
SOURCES := $(shell find src e2e check report -name '*.ts' -not -name '*.test.ts' -not -path 'check/tests/*')
BIN := node_modules/.bin
# Passed through from the command line or the environment: make run-server PORT=9000
ADDRESS_FLAGS = $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

.PHONY: help install system-deps build run-server run-client run-cluster test e2e record check bench bench-check typecheck clean

help:
	@echo "make run-server [PORT=8080] [HOST=localhost]   start the chat server"
	@echo "make run-client [PORT=8080] [HOST=localhost] [NICK=name]   open a chat client"
	@echo "make run-cluster [PORTS='8080 8081'] [REDIS_URL=redis://...]   one room on two servers through Redis (CLUSTER.md)"
	@echo "make test      every test: unit, integration, client, end-to-end"
	@echo "make e2e       replay every scenario in real terminals (UPDATE=1 records fixtures)"
	@echo "make record    record fixtures for new or changed scenarios (same as make e2e UPDATE=1)"
	@echo "make check SERVER='python3 server.py' [CLIENT='python3 client.py']   check your own chat against PROTOCOL.md (CHECKING.md)"
	@echo "make bench     benchmarks against ncat --chat (QUICK=1: a quick look); make bench-check times the checker"

# npm ci only when node_modules is missing or older than the lock file.
$(INSTALLED): package.json package-lock.json
	@echo "Installing dependencies (npm ci)..."
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(INSTALLED)

$(BUILT): $(INSTALLED) $(SOURCES) tsconfig.json tsconfig.build.json tsconfig.check.json
	@rm -rf dist
	@$(BIN)/tsc -p tsconfig.build.json & server=$$!; $(BIN)/tsc -p tsconfig.check.json & check=$$!; \
	  wait $$server; built=$$?; wait $$check && exit $$built
	@chmod +x dist/server/main.js dist/client/main.js dist/check/main.js
	@touch $@

build: $(BUILT)

# Through its #! line, which gives node the server's flags (src/server/main.ts).
run-server: $(BUILT)
	@dist/server/main.js $(ADDRESS_FLAGS)

# Starts redis-server (Debian's, installed where missing) unless REDIS_URL names one, and a server per port of PORTS.
run-cluster: $(BUILT)
	@$(if $(REDIS_URL),,bash scripts/system-deps.sh redis-server &&) $(BIN)/tsx scripts/run-cluster.ts

run-client: $(BUILT)
	@node dist/client/main.js $(ADDRESS_FLAGS) $(if $(NICK),--nick "$(NICK)")

typecheck: $(INSTALLED)
	@$(BIN)/tsc -p tsconfig.json

# Debian packages the tests run for real (the checker's Python implementations, its sandbox).
system-deps:
	@bash scripts/system-deps.sh

# Ends with one line "N passed, N failed" over everything that ran.
test: $(BUILT) system-deps
	@node scripts/run-tests.mjs

e2e: $(BUILT)
	@node scripts/run-tests.mjs --project e2e

record: $(BUILT)
	@UPDATE=1 node scripts/run-tests.mjs --project e2e

# Checks another implementation: make check SERVER="python3 server.py" CLIENT="python3 client.py" [CHECK_ARGS="--json out.json"]
check: $(BUILT)
	@node dist/check/main.js $(if $(SERVER),--server "$(SERVER)") $(if $(CLIENT),--client "$(CLIENT)") $(CHECK_ARGS)

# Installs ncat when missing (Debian package), then runs every workload against both servers.
# make bench QUICK=1: a quick look (one short round, no profiles, BENCHMARKS.md untouched).
bench: $(BUILT)
	@$(BIN)/tsx bench/main.ts $(if $(QUICK),--quick) $(BENCH_ARGS)

# How long dummy-chat-check takes on one implementation (CHECKING.md, Speed).
bench-check: $(BUILT)
	@$(BIN)/tsx bench/check-speed.ts $(BENCH_ARGS)

clean:
	rm -rf dist artifacts .test-results
