#!/usr/bin/env bash
# build.sh generates what the build needs and builds bin/palisade with the
# version from git.
#
# usage: scripts/build.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$repo_root"
"$scripts_dir/generate.sh"

version="$(git describe --always --dirty 2>/dev/null || echo dev)"
log "building bin/palisade $version"
go build -o bin/palisade \
	-ldflags "-X github.com/palisadesec/palisade/internal/buildinfo.Version=$version" \
	./cmd/palisade
