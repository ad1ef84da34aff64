# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
export GOFLAGS ?= -buildvcs=false

.PHONY: demo test test-unit sandbox-up sandbox-down sandbox-status lint dagger-cli

## demo: bring up the local sandbox (installing what is missing) and deploy to it with Dagger
demo:
	./scripts/demo.sh

## test: every test: unit, sandbox integration, Dagger end-to-end (what CI runs)
test:
	./scripts/test.sh

## test-unit: unit tests only, no sandbox
test-unit:
	go test ./... && (cd app && go test ./...) && (cd ci && go test ./...)

sandbox-up:
	go run ./cmd/sandbox up --with-dagger
sandbox-down:
	go run ./cmd/sandbox down
sandbox-status:
	go run ./cmd/sandbox status

## lint: blueprint conventions and wiring, for any tree: go run ./cmd/stacks lint --root <dir>
lint:
	go run ./cmd/stacks lint

## dagger-cli: the pinned Dagger CLI (dagger.json engineVersion) built from tools/dagger into .cache/bin/
DAGGER_VERSION := $(shell sed -n 's/.*"engineVersion": *"\(v[^"]*\)".*/\1/p' dagger.json)
dagger-cli:
	@mkdir -p .cache/bin
	cd tools/dagger && CGO_ENABLED=0 GOWORK=off GONOSUMDB=github.com/dagger/dagger GOFLAGS="-buildvcs=false -mod=readonly" \
	  go build -trimpath -ldflags "-s -w -X github.com/dagger/dagger/engine.Version=$(DAGGER_VERSION) -X github.com/dagger/dagger/engine.Tag=$(DAGGER_VERSION)" \
	  -o ../../.cache/bin/dagger github.com/dagger/dagger/cmd/dagger
	@.cache/bin/dagger version
