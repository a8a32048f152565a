# ecowatch build. `make demo` runs the main job; `make test` runs every check CI runs.
GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME      ?= 20000x
BIN           := bin/ecowatch
DEMO_DIR      ?= $(CURDIR)/.demo

.PHONY: all build ui demo e2e test vet staticcheck fmt-check gotest fuzz clean

all: build

# The binary with the real UI embedded (-tags ui). `go build ./cmd/ecowatch`
# without make gives a binary whose UI is a placeholder page.
build: ui
	$(GO) build -tags ui -o $(BIN) ./cmd/ecowatch

ui: web/dist/index.html

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(shell find web/src web/index.html web/vite.config.ts -type f 2>/dev/null)
	cd web && npm run build

# A live province on this machine: seeded Hunan, simulated enterprises and
# devices, demo accounts; prints the URL and the accounts; Ctrl-C stops it.
demo: build
	./scripts/demo.sh $(BIN) $(DEMO_DIR)

# Browser tests: headless Debian Chromium (/usr/bin/chromium) driven by
# playwright-core against a seeded server fed by the simulator.
e2e:
	./scripts/e2e.sh

test: fmt-check vet staticcheck gotest fuzz e2e

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

gotest:
	$(GO) test -race -count=1 ./...

# A short pass of every fuzz target over its committed corpus and a fixed
# number of new inputs. A count, not a duration: a duration races Go 1.26's
# fuzz coordinator and fails with a spurious "context deadline exceeded" on a
# loaded machine (golang/go#75804, fixed in Go 1.27).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin $(DEMO_DIR) web/dist
