#!/usr/bin/env bash
# Runs every test of the project on this machine: unit tests, then the sandbox (started by the project's
# own command, installing what is missing), then the integration and end-to-end tests against it.
#   KEEP_SANDBOX=1  leave the sandbox running afterwards (faster next run)
#   SKIP_E2E=1      stop after the integration tests (never set in CI)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "go.mod files are tidy (go mod tidy -diff)"
for mod in . app ci; do
  if [ -f "$mod/go.mod" ]; then
    (cd "$mod" && go mod tidy -diff) || { echo "run: (cd $mod && go mod tidy)" >&2; exit 1; }
  fi
done

step "unit tests: root module"
go vet ./...
go test -count=1 ./...

for mod in app ci; do
  if [ -f "$mod/go.mod" ]; then
    step "unit tests: $mod module"
    (cd "$mod" && go vet ./... && go test -count=1 ./...)
  fi
done

step "workflow lint: actionlint + shellcheck (the project's own workflow rules are unit tests in internal/workflows)"
./scripts/lint-workflows.sh

step "sandbox up"
go run ./cmd/sandbox up --with-dagger
if [ "${KEEP_SANDBOX:-}" != "1" ]; then
  trap 'step "sandbox down"; go run ./cmd/sandbox down' EXIT
fi

step "integration tests (sandbox)"
go test -count=1 -tags integration -timeout 40m ./...

if [ "${SKIP_E2E:-}" != "1" ] && [ -d e2e ]; then
  step "end-to-end tests (dagger call against the sandbox)"
  go test -count=1 -tags e2e -timeout 45m -v ./e2e/...
fi
step "sandbox lifecycle (stops and restarts the shared sandbox: runs alone, last)"
go test -count=1 -tags 'integration sandbox_lifecycle' -run Lifecycle ./internal/sandbox/

step "all tests passed"
