#!/usr/bin/env bash
# What the supply chain adds to `publish --env local`, as a share of the build step, printed as a table.
# Each run commits a one-line app change in a copy of the repository (a commit the registry has never
# seen) and publishes it through Dagger on the warm engine: the image is built, then the release engine
# reads what exists (check), reads the SBOM from the layers, makes three KMS signatures (digest, SLSA
# provenance, SBOM) through the sandbox's AWS front and writes the .sig/.att tags (store), then pushes.
# The release engine prints those timings and the build step's duration (from the build record) on one
# line, which this script reads. Target: supply chain <= 15% of the build step (warm).
# BENCH_ARTIFACT=<path> keeps the last run's artifact.json (e.g. to verify it with cosign).
# It uses the sandbox's engine: run it under sandbox-lock, after `go run ./cmd/sandbox up --with-dagger`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${RUNS:-3}
work=$(mktemp -d /var/tmp/delivery-bench-sc.XXXXXX)
trap 'rm -rf "$work"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$work"
ln -s "$root/.sandbox" "$work/.sandbox"
commit() { git -C "$work" -c user.email=bench@local -c user.name=bench commit -qam "$1"; }
git -C "$work" init -q && git -C "$work" add -A && commit "bench $(date +%s)"

ms() { # a Go duration (850ms, 1.2s, 1m3.5s, 900µs) in milliseconds
  awk -v d="$1" 'BEGIN{ t=0; while (match(d, /^[0-9.]+(ms|µs|us|ns|s|m|h)/)) { tok=substr(d,1,RLENGTH); d=substr(d,RLENGTH+1);
    n=tok+0; u=tok; sub(/^[0-9.]+/,"",u);
    t+= (u=="h")?n*3600000:(u=="m")?n*60000:(u=="s")?n*1000:(u=="ms")?n:(u=="ns")?n/1e6:n/1000 } printf "%.0f", t }'
}
printf '| run | build step | check | SBOM | sign (3 KMS) | store | supply chain | share of build | publish wall |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for i in $(seq "$runs"); do
  printf '\n// bench: %s\n' "$(date +%s%N)" >> "$work/app/main.go"
  commit "change $i"
  start=$(date +%s.%N)
  (cd "$work" && ./scripts/dagger-local.sh publish -o "$work/artifact-$i.json") > "$work/run-$i.log" 2>&1 || { tail -40 "$work/run-$i.log"; exit 1; }
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f s", b-a}')
  line=$(grep -o '(check [^;]*; build step [^)]*)' "$work/run-$i.log" | tail -1)
  [ -n "$line" ] || { echo "run $i: the release engine printed no supply-chain timings" >&2; tail -40 "$work/run-$i.log"; exit 1; }
  read -r check sbom sign store build < <(sed -E 's/\(check ([^,]+), SBOM ([^,]+), sign ([^,]+), store ([^;]+); build step ([^)]+)\)/\1 \2 \3 \4 \5/' <<<"$line")
  c=$(ms "$check"); s=$(ms "$sbom"); g=$(ms "$sign"); t=$(ms "$store"); b=$(ms "$build")
  sc=$((c + s + g + t))
  share=$(awk -v a="$sc" -v b="$b" 'BEGIN{ if (b>0) printf "%.1f %%", 100*a/b; else print "n/a" }')
  printf '| %d | %s | %s | %s | %s | %s | %d ms | %s | %s |\n' "$i" "$build" "$check" "$sbom" "$sign" "$store" "$sc" "$share" "$wall"
  [ -z "${BENCH_ARTIFACT:-}" ] || cp "$work/artifact-$i.json" "$BENCH_ARTIFACT" # the last run's, for a check by hand
done
