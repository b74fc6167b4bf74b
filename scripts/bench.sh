#!/usr/bin/env bash
# bench.sh runs the benchmarks (no tests) with a throwaway PostgreSQL cluster
# for those that need a database.
#
# usage: scripts/bench.sh [go test arguments, default ./...]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$repo_root"
trap pg_throwaway_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$scripts_dir/install-deps.sh"
"$scripts_dir/generate.sh"
pg_throwaway_start

if [[ $# -eq 0 ]]; then
	set -- ./...
fi
go test -run '^$' -bench . -benchmem "$@"
