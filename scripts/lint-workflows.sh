#!/usr/bin/env bash
# Lints .github/workflows with actionlint (its shell steps with Debian's shellcheck). The project's own
# workflow rules (permissions, OIDC, checkout credentials, deploy guards) are Go unit tests in
# internal/workflows (docs/workflows.md). actionlint is built once from the Go module proxy into the
# tool cache, keyed by version (<cache>/tools/actionlint-<version>/, cache = $DELIVERY_CACHE_DIR or
# .cache); shellcheck is installed with apt-get when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
cache="${DELIVERY_CACHE_DIR:-.cache}"
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac
dir="$cache/tools/actionlint-$ACTIONLINT_VERSION"
actionlint="$dir/actionlint"

if [ ! -x "$actionlint" ]; then
  mkdir -p "$dir"
  echo "building actionlint $ACTIONLINT_VERSION from the Go module proxy into $dir (first run only, about a minute)"
  tmp="$(mktemp -d "$dir/.build-XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # Built outside the repository's module: its dependencies are not the project's.
  (cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod nice go install -trimpath -ldflags '-s -w' \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION")
  mv "$tmp/actionlint" "$actionlint"   # a rename: an interrupted build never looks finished
fi

if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing the Debian package shellcheck (actionlint checks the workflows' shell steps with it)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck
  else
    echo "shellcheck is missing: install it with: sudo apt-get install -y shellcheck" >&2
    exit 1
  fi
fi

"$actionlint" -version | head -n 1
"$actionlint" -no-color -shellcheck="$(command -v shellcheck)" -pyflakes= "$@"
echo "workflow lint: actionlint and shellcheck passed on .github/workflows"
