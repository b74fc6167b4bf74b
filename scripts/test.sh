#!/usr/bin/env bash
# test.sh runs every check CI runs: gofmt, go vet, the unit and integration
# tests against a throwaway PostgreSQL cluster, and the e2e tests against the
# built binary. The cluster is stopped and removed on exit, whatever happens.
#
# usage: scripts/test.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$repo_root"
trap pg_throwaway_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$scripts_dir/install-deps.sh"
"$scripts_dir/generate.sh"

log "gofmt"
mapfile -t go_files < <(find . -name node_modules -prune -o -name '.?*' -prune -o \
	-name '*.go' ! -name '*_templ.go' -print)
if [[ ${#go_files[@]} -gt 0 ]]; then
	unformatted="$(gofmt -l "${go_files[@]}")"
	if [[ -n $unformatted ]]; then
		log "these files need gofmt -w:"
		printf '%s\n' "$unformatted" >&2
		exit 1
	fi
fi

has_e2e=0
if compgen -G 'e2e/*.go' >/dev/null; then
	has_e2e=1
fi

log "go vet"
go vet ./...
if [[ $has_e2e == 1 ]]; then
	go vet -tags e2e ./e2e/...
fi

pg_throwaway_start

log "go test"
go test -count=1 ./...

if [[ $has_e2e == 1 ]]; then
	"$scripts_dir/build.sh"
	log "go test (e2e)"
	PALISADE_BIN="$repo_root/bin/palisade" go test -tags e2e -count=1 ./e2e/...
else
	log "no e2e tests yet"
fi
