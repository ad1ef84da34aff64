#!/usr/bin/env bash
# Runs `dagger call <function> --env local ...` (or --env $DELIVERY_ENV, another sandbox environment) against the local sandbox: passes the sandbox's host
# services (AWS APIs, Kubernetes API, registry) and its kubeconfig to the module. Any dagger call
# arguments can follow, e.g.
#   scripts/dagger-local.sh deploy
#   scripts/dagger-local.sh rollback --target eks
# A deploy lock taken by the call names DELIVERY_LOCK_OWNER, default user@host.
set -euo pipefail
# Relative paths in the arguments (-o artifact.json, --artifact artifact.json) are the caller's: the
# module is loaded from this repository with -m, the working directory stays where the caller is.
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$repo/.sandbox/env" ] || { echo "the sandbox is not up: run go run ./cmd/sandbox up --with-dagger" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
. "$repo/.sandbox/env"
set +a
export DAGGER_NO_NAG=1
: "${SANDBOX_DAGGER:?the sandbox env has no SANDBOX_DAGGER: run go run ./cmd/sandbox up --with-dagger}"
fn="${1:?usage: scripts/dagger-local.sh <function> [args...]}"; shift
env_args=(--env "${DELIVERY_ENV:-local}")
for a in "$@"; do
  case "$a" in --env|--env=*) env_args=() ;; esac # the caller names the environment itself
done
aws="${AWS_ENDPOINT_URL#http://}"
args=(-m "$repo" call
  --aws-endpoint "tcp://${aws}"
  --kube-api "tcp://127.0.0.1:6443"
  --registry "tcp://${SANDBOX_REGISTRY}"
  --kubeconfig "file://${KUBECONFIG}"
  --lock-owner "${DELIVERY_LOCK_OWNER:-${USER:-$(id -un)}@$(hostname)}"
  "$fn" "${env_args[@]}" "$@")
# The call runs under `stacks guard`: Ctrl-C (or SIGTERM) closes its cancel beacon, every terraform in the
# run is interrupted gracefully (state written, lock released), and only then does dagger stop.
# DELIVERY_NO_GUARD=1 runs dagger bare (a cancel then kills terraform: the e2e test of a killed run).
if [ -n "${DELIVERY_NO_GUARD:-}" ]; then
  exec "$SANDBOX_DAGGER" "${args[@]}"
fi
# One guard binary per checkout, rebuilt when the source changed (go build is a no-op otherwise); the
# lock keeps concurrent calls from writing it at the same time. -trimpath: the compiled packages do not
# depend on the checkout's path, so a fresh clone (the e2e tests make one per test) reuses the build cache.
guard="$repo/.sandbox/bin/stacks"
mkdir -p "$(dirname "$guard")"
flock "$repo/.sandbox/bin/.build.lock" go -C "$repo" build -trimpath -o "$guard" ./cmd/stacks
exec "$guard" guard -- "$SANDBOX_DAGGER" "${args[@]}"
