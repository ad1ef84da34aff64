#!/usr/bin/env bash
# The newcomer's first command: bring up the local sandbox (installing what is missing) and run the
# pipeline's main job, deploy, against it with Dagger.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
go run ./cmd/sandbox up --with-dagger
# shellcheck disable=SC1091
set -a; . .sandbox/env; set +a
exec ./scripts/dagger-local.sh deploy "$@"
