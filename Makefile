# Mitra's two set-up commands are `go run ./cmd/mitra demo` and `make test`.
GO ?= go

.PHONY: test deps vet build bench bench-telegram bench-telegraf bench-broadcast soak-broadcast run

## test: everything CI checks — vet, the race-enabled tests (real redis-server,
## real headless Chromium), the flow files and their conversation tests.
test: deps vet
	$(GO) test -race -count=1 ./...
	$(GO) run ./cmd/mitra flows check
	$(GO) run ./cmd/mitra flows test

## deps: make sure redis-server and Chromium are installed (apt-get as root).
deps:
	@bash .ci/deps

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt would change:"; gofmt -l .; exit 1; }

## build: a static binary in ./bin.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/mitra ./cmd/mitra

## bench: the pipeline benchmark whose figures the README quotes.
bench: deps
	$(GO) run ./cmd/mitra bench

run:
	$(GO) run ./cmd/mitra demo

## bench-telegram: the whole program against an emulated Bot API with a
## 50 ms round trip: updates per second and the first reply's latency.
bench-telegram: deps
	$(GO) run ./cmd/mitra bench --telegram

## bench-telegraf: the bench-telegram run with the Telegraf 4 bot in
## internal/bench/telegraf (Node.js 18+ and npm: apt-get install nodejs npm)
## instead of Mitra.
bench-telegraf: deps
	npm ci --prefix internal/bench/telegraf --no-audit --no-fund
	$(GO) run ./cmd/mitra bench --telegram --telegram-bot "node internal/bench/telegraf/bot.mjs"

## bench-broadcast: a preview over 1,000,000 contacts (target 10 s) and a
## campaign sent at a channel's rate (target 95% of it, no second over).
bench-broadcast: deps
	$(GO) run ./cmd/mitra bench --broadcast

## soak-broadcast: the broadcasts' reliability test: 10,000 simulated
## recipients, the processes feeding and sending them killed with SIGKILL
## at random moments and started again until the campaign is done (a
## few minutes); everyone eligible gets exactly one message, nobody
## else any.
soak-broadcast: deps
	$(GO) test -tags soak -run TestSoakBroadcast -count=1 -v -timeout 20m ./internal/broadcast
