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
# The scan benchmarks read the debootstrap test image; build it once.
PALISADE_TEST_ROOTFS_TAR="$("$scripts_dir/testimage.sh")"
export PALISADE_TEST_ROOTFS_TAR
pg_throwaway_start

if [[ $# -eq 0 ]]; then
	set -- ./...
fi
# The rematch benchmark seeds 1,000 images first; allow for it.
go test -run '^$' -bench . -benchmem -timeout 60m "$@"
