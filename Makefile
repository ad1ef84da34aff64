# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
export GOFLAGS ?= -buildvcs=false

.PHONY: demo test test-unit sandbox-up sandbox-down sandbox-status lint

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
