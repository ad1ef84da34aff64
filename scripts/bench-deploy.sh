#!/usr/bin/env bash
# Benchmark: a cold `deploy --env local` (the Dagger engine starts from an empty cache: module runtime,
# tool container, app image all built from scratch) against a warm re-run with no source change.
# Target: warm < 10% of cold. Prints a table with the per-step durations from the pipeline's summary.
# It restarts the sandbox's engine twice (on a scratch state dir, then back), so run it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

scratch=$(mktemp -d /var/tmp/delivery-bench-engine.XXXXXX)
restore() { go run ./cmd/sandbox up --with-dagger >/dev/null; rm -rf "$scratch"; }
trap restore EXIT

SANDBOX_ENGINE_DIR="$scratch" go run ./cmd/sandbox up --with-dagger >/dev/null

run() { # run NAME: deploy, record wall seconds and the summary's step lines
  local start end
  start=$(date +%s.%N)
  SANDBOX_ENGINE_DIR="$scratch" ./scripts/dagger-local.sh deploy > "/tmp/bench-$1.log" 2>&1
  end=$(date +%s.%N)
  awk -v n="$1" -v a="$start" -v b="$end" 'BEGIN{printf "%s %.1f\n", n, b-a}' >> /tmp/bench-wall.txt
}
rm -f /tmp/bench-wall.txt
run cold
run warm

step() { # step RUN NAME: the duration column of a step line in the summary
  awk -v s="$2" '$1 == s && $0 ~ /(ok|no change|skipped|failed)/ {for (i=2;i<=NF;i++) if ($i ~ /^[0-9.]+(ms|s|m[0-9.]+s)$/) {print $i; exit}}' "/tmp/bench-$1.log"
}
cold=$(awk '$1=="cold"{print $2}' /tmp/bench-wall.txt)
warm=$(awk '$1=="warm"{print $2}' /tmp/bench-wall.txt)
printf '| run | wall | publish | deploy-ecs | deploy-eks | verify | verdict |\n|---|---:|---:|---:|---:|---:|---|\n'
for r in cold warm; do
  w=$([ "$r" = cold ] && echo "$cold" || echo "$warm")
  printf '| %s | %.1fs | %s | %s | %s | %s | %s |\n' "$r" "$w" "$(step $r publish)" "$(step $r deploy-ecs)" "$(step $r deploy-eks)" "$(step $r verify)" \
    "$(grep -oE 'deploy local: [a-zA-Z ]+' /tmp/bench-$r.log | head -1 | sed 's/deploy local: //')"
done
awk -v w="$warm" -v c="$cold" 'BEGIN{printf "\nwarm / cold = %.1f%% (target < 10%%)\n", 100*w/c}'
