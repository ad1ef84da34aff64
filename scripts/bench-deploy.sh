#!/usr/bin/env bash
# Benchmark of `deploy --env local`, printed as a table:
#   cold    the Dagger engine starts from an empty cache (module runtime, tool container and app image all
#           built) on a commit the registry has never seen;
#   warm    the same commit again: published already, so nothing is built or pushed, nothing deployed;
#   change  a one-line app change, committed: build, push, deploy to ECS and EKS, verify (the edit loop).
# For each: the wall time, the steps, and the concurrent deploys' wall time against the slower target.
# Targets: warm <= 5% of cold; change <= 25 s. It restarts the sandbox's engine twice (on a scratch state
# dir, then back), so run it alone (under sandbox-lock).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
root=$(pwd)

scratch=$(mktemp -d /var/tmp/delivery-bench-engine.XXXXXX)
work=$(mktemp -d /var/tmp/delivery-bench-repo.XXXXXX)
restore() { (cd "$root" && go run ./cmd/sandbox up --with-dagger >/dev/null); rm -rf "$scratch" "$work"; }
trap restore EXIT

# A copy of the repository with its own git history: its commits are new to the registry.
git ls-files -z | xargs -0 cp --parents -t "$work"
ln -s "$root/.sandbox" "$work/.sandbox"
commit() { git -C "$work" -c user.email=bench@local -c user.name=bench commit -qam "$1"; }
git -C "$work" init -q && git -C "$work" add -A && commit "bench $(date +%s)"

SANDBOX_ENGINE_DIR="$scratch" go run ./cmd/sandbox up --with-dagger >/dev/null
logs=$(mktemp -d)
run() { # run NAME: deploy from the copy, record the wall seconds
  local start end
  start=$(date +%s.%N)
  (cd "$work" && SANDBOX_ENGINE_DIR="$scratch" ./scripts/dagger-local.sh deploy) > "$logs/$1.log" 2>&1 || { tail -40 "$logs/$1.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}' > "$logs/$1.wall"
}
run cold
run warm
printf '\n// bench: a one-line change %s\n' "$(date +%s%N)" >> "$work/app/main.go"
commit "one-line change"
run change

step() { # step RUN NAME: the duration column of a step line in the summary
  awk -v s="$2" '$1 == s && $0 ~ /(ok|no change|skipped|failed)/ {for (i=2;i<=NF;i++) if ($i ~ /^[0-9.]+(ms|s|m[0-9.]+s)$/) {print $i; exit}}' "$logs/$1.log"
}
deploys() { # the concurrent deploys' wall time ("deploys  ecs ∥ eks in 3.9s (...)")
  sed -n 's/^ *deploys  ecs ∥ eks in \([^ ]*\) .*/\1/p' "$logs/$1.log" | head -1
}
slower() { # the slower of the two deploy steps
  awk -v a="$(step "$1" deploy-ecs)" -v b="$(step "$1" deploy-eks)" 'function s(x){ if (x ~ /ms$/) return x/1000; if (x ~ /m/) { split(x,p,"m"); return p[1]*60+p[2] } return x+0 } BEGIN{ printf "%.1fs", (s(a) > s(b) ? s(a) : s(b)) }'
}
printf '| run | wall | publish | deploy-ecs | deploy-eks | deploys (ecs ∥ eks) | slower target | verify | verdict |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
for r in cold warm change; do
  printf '| %s | %ss | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "$(cat "$logs/$r.wall")" "$(step $r publish)" "$(step $r deploy-ecs)" \
    "$(step $r deploy-eks)" "$(deploys $r)" "$(slower $r)" "$(step $r verify)" \
    "$(grep -oE 'deploy local: [a-zA-Z ]+' "$logs/$r.log" | head -1 | sed 's/deploy local: //')"
done
awk -v w="$(cat "$logs/warm.wall")" -v c="$(cat "$logs/cold.wall")" -v x="$(cat "$logs/change.wall")" \
  'BEGIN{printf "\nwarm / cold = %.1f%% (target <= 5%%); one-line change to verified = %.1fs (target <= 25s)\n", 100*w/c, x}'
echo "logs: $logs"
