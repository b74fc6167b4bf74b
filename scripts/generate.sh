#!/usr/bin/env bash
# generate.sh makes the files that `go build` needs but git does not hold:
# Go code from templ files, and static/vendor/htmx.min.js from npm.
#
# usage: scripts/generate.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$repo_root"

# templ skips node_modules and dot directories such as .data by itself.
if [[ -n "$(find . -name node_modules -prune -o -name '.?*' -prune -o -name '*.templ' -print -quit)" ]]; then
	go tool templ generate
fi

npm_ci_if_stale
mkdir -p static/vendor
# Copy only on change, so that go build's cache keys stay put.
if ! cmp -s node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js; then
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
fi
