# outpace — run `make help` for the targets.
GO ?= go
BIN := bin/outpace
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# buf comes from npm into .tools/ (git-ignored); only the generate and
# proto-check targets need it, never build, run or test.
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf
BUF_STAMP := .tools/buf-$(BUF_VERSION).stamp

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/outpace
	$(GO) build -o $(BIN) ./cmd/outpace

.PHONY: run
run: build ## the main job: serve the demo campaign from Badger in ./data with the simulated backend (Ctrl-C stops)
	$(BIN) serve --data data

.PHONY: demo
demo: build ## two-hour simulator runs of S3, progressive then predictive, with readable reports
	@for m in progressive predictive; do \
		$(BIN) sim -q --scenario bench/scenarios/S3.yaml --set duration=2h --set task.pacing.mode=$$m || exit 1; echo; \
	done

.PHONY: test
test: ## run every test (what CI runs)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s): scenarios and --set, list lines and files
	$(GO) test ./sim/ -run '^$$' -fuzz '^FuzzScenario$$' -fuzztime $(FUZZTIME)
	@for t in FuzzNormalize FuzzParseLine FuzzReader; do \
		$(GO) test ./store/lists/ -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

.PHONY: bench
bench: ## run the Go benchmarks (engine, simulator, pacers, store, server under load, API)
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./bench/ ./pacing/... ./fsm/ ./store/... ./api/ ./ctl/

.PHONY: lint
lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

.PHONY: generate
generate: $(BUF_STAMP) ## regenerate committed generated files (state-machine diagrams, gRPC code from proto/)
	$(GO) run ./internal/gendiagrams docs/state-machines.md
	find proto -name '*.pb.go' -delete
	$(BUF) generate

.PHONY: generate-check
generate-check: generate ## fail when the committed generated files differ from what generate makes
	@git diff --exit-code -- . || (echo "generated files are stale: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- proto docs)" || \
		(git status --porcelain --untracked-files=all -- proto docs; echo "generate made files that are not committed" >&2; exit 1)

.PHONY: proto-lint
proto-lint: $(BUF_STAMP) ## buf lint of proto/ (STANDARD and comment rules)
	$(BUF) lint

.PHONY: proto-breaking
proto-breaking: $(BUF_STAMP) ## buf breaking of proto/ against the last release tag (or the previous commit)
	BUF=$(BUF) .ci/buf-breaking

$(BUF_STAMP):
	npm install --prefix .tools --no-audit --no-fund --no-save @bufbuild/buf@$(BUF_VERSION)
	$(BUF) --version
	touch $@

.PHONY: pacing-report
pacing-report: build ## rewrite the pacing scoreboard, bench/scoreboard.md (20+ minutes on two cores)
	$(BIN) report --out bench/scoreboard.md --eval-seeds 20
