#!/usr/bin/env bash
# Stack engine through the Dagger executor: `dagger call plan` and `dagger call apply` wall time against
# the critical path (the stacks' own durations along the longest chain), on the sandbox blueprint
# (12 stand-ins) and on a generated wide fixture (36 stacks, 6 waves). Needs the sandbox with Dagger:
#   go run ./cmd/sandbox up --with-dagger && scripts/bench-stacks.sh
# Prints a table (about 4-7 min on a warm engine: a warm-up call, then 4 measured dagger calls); docs/stack-engine.md records the numbers, with the date
# and the machine's load average, and says how to re-run it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -count=1 -tags e2e -run '^$' -bench BenchmarkStacksThroughDagger -benchtime=1x -timeout 60m ./e2e
