# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
export GOFLAGS ?= -buildvcs=false

.PHONY: demo test test-unit test-cosign sandbox-up sandbox-down sandbox-status lint lint-workflows dagger-cli

## demo: bring up the local sandbox (installing what is missing) and deploy to it with Dagger
demo:
	./scripts/demo.sh

## test: every test: unit, sandbox integration, Dagger end-to-end (what CI runs)
test:
	./scripts/test.sh

## test-unit: unit tests only, no sandbox
test-unit:
	go test ./... && (cd app && go test ./...) && (cd ci && go test ./...)

## test-cosign: what publish signs and attests is accepted by the real cosign, and the deploy gate reads
## what cosign writes (docs/supply-chain.md). cosign is built once from the Go module proxy into the
## tool cache (about 15 min on 2 cores); later runs take seconds. Not part of `make test`.
COSIGN_VERSION := v2.6.1
COSIGN := $(abspath $(or $(DELIVERY_CACHE_DIR),.cache))/tools/cosign-$(COSIGN_VERSION)/cosign
test-cosign:
	@test -x $(COSIGN) || { mkdir -p $(dir $(COSIGN)) && echo "building cosign $(COSIGN_VERSION) into $(dir $(COSIGN)) (first run only, about 15 min)" && \
	  CGO_ENABLED=0 GOBIN=$(dir $(COSIGN)) nice go install -trimpath -ldflags '-s -w' github.com/sigstore/cosign/v2/cmd/cosign@$(COSIGN_VERSION); }
	COSIGN=$(COSIGN) go test -count=1 -tags cosign -run Cosign -v ./pkg/supplychain/

sandbox-up:
	go run ./cmd/sandbox up --with-dagger
sandbox-down:
	go run ./cmd/sandbox down
sandbox-status:
	go run ./cmd/sandbox status

## lint: blueprint conventions and wiring, for any tree: go run ./cmd/stacks lint --root <dir>
lint:
	go run ./cmd/stacks lint

## lint-workflows: actionlint (built once into the tool cache) with shellcheck on .github/workflows
lint-workflows:
	./scripts/lint-workflows.sh

## dagger-cli: the pinned Dagger CLI (dagger.json engineVersion) built from tools/dagger into .cache/bin/
DAGGER_VERSION := $(shell sed -n 's/.*"engineVersion": *"\(v[^"]*\)".*/\1/p' dagger.json)
dagger-cli:
	@mkdir -p .cache/bin
	cd tools/dagger && CGO_ENABLED=0 GOWORK=off GONOSUMDB=github.com/dagger/dagger GOFLAGS="-buildvcs=false -mod=readonly" \
	  go build -trimpath -ldflags "-s -w -X github.com/dagger/dagger/engine.Version=$(DAGGER_VERSION) -X github.com/dagger/dagger/engine.Tag=$(DAGGER_VERSION)" \
	  -o ../../.cache/bin/dagger github.com/dagger/dagger/cmd/dagger
	@.cache/bin/dagger version
