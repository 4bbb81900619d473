#!/usr/bin/env bash
# The README's test command. Installs missing system packages (Debian's chromium and chromium-driver for the
# postMessage suite, postgresql for the multi-instance tests), then runs formatting, lint and the whole test suite.
#   ./scripts/test.sh        # tests only
#   ./scripts/test.sh --ci   # also cargo fmt --check and clippy -D warnings, as CI does
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_pkgs+=(chromium-driver)
# The multi-instance tests start a private PostgreSQL cluster of their own (initdb into a temporary directory).
# The CI examples in docs/ci are run as written by harness/tests/ci_examples.rs: they wait with curl and read the
# host's seed line with jq.
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v jq >/dev/null 2>&1 || need_pkgs+=(jq)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need_pkgs+=(postgresql)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing ${need_pkgs[*]} (needed by the postMessage suite, the multi-instance tests and the CI examples)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

if [ "${1:-}" = "--ci" ]; then
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets -- -D warnings
fi
cargo test --workspace
