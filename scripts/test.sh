#!/usr/bin/env bash
# Runs every test of the project on this machine: unit tests, then the sandbox (started by the project's
# own command, installing what is missing), then the integration and end-to-end tests against it.
#   KEEP_SANDBOX=1  leave the sandbox running afterwards (faster next run)
#   SKIP_E2E=1      stop after the integration tests (never set in CI)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

# A failing stage is recorded and the next stages still run (a unit failure does not hide what the
# sandbox stages would say); the script fails at the end, naming every failed stage.
failed=()
stage() {
  local name=$1; shift
  step "$name"
  if ! ( set -euo pipefail; "$@" ); then
    failed+=("$name")
    printf '=== FAILED: %s\n' "$name"
  fi
}
tidy() {
  for mod in . app ci; do
    if [ -f "$mod/go.mod" ]; then
      (cd "$mod" && go mod tidy -diff) || { echo "run: (cd $mod && go mod tidy)" >&2; return 1; }
    fi
  done
}
unit() { go vet ./... && go test -count=1 ./...; }
unit_in() { (cd "$1" && go vet ./... && go test -count=1 ./...); }

stage "go.mod files are tidy (go mod tidy -diff)" tidy
stage "unit tests: root module" unit
for mod in app ci; do
  if [ -f "$mod/go.mod" ]; then
    stage "unit tests: $mod module" unit_in "$mod"
  fi
done
stage "workflow lint: actionlint + shellcheck (the project's own workflow rules are unit tests in internal/workflows)" ./scripts/lint-workflows.sh

step "sandbox up"
go run ./cmd/sandbox up --with-dagger
if [ "${KEEP_SANDBOX:-}" != "1" ]; then
  trap 'step "sandbox down"; go run ./cmd/sandbox down' EXIT
fi

stage "integration tests (sandbox)" go test -count=1 -tags integration -timeout 40m ./...

if [ "${SKIP_E2E:-}" != "1" ] && [ -d e2e ]; then
  stage "end-to-end tests (dagger call against the sandbox)" go test -count=1 -tags e2e -timeout 50m -v ./e2e/...
fi
stage "sandbox lifecycle (stops and restarts the shared sandbox: runs alone, last)" \
  go test -count=1 -tags 'integration sandbox_lifecycle' -run Lifecycle ./internal/sandbox/

if [ ${#failed[@]} -gt 0 ]; then
  step "FAILED stages: ${#failed[@]}"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
step "all tests passed"
