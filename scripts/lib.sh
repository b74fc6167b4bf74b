# shellcheck shell=bash
# Helpers shared by the scripts in this directory. Source it; don't run it.

set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scripts_dir="$repo_root/scripts"
prog="$(basename "$0")"

log() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

# port_in_use reports whether something listens on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# random_free_port prints a loopback port that is free now.
random_free_port() {
	local port i
	# Stay below the kernel's ephemeral range (32768+) used by outgoing
	# connections.
	for i in $(seq 1 50); do
		port=$((20000 + RANDOM % 12000))
		if ! port_in_use "$port"; then
			echo "$port"
			return 0
		fi
	done
	die "no free port found after $i tries"
}

die() {
	log "error: $*"
	exit 1
}

# npm_ci_if_stale installs node_modules from package-lock.json unless the
# installed tree was made from the same package.json and lock file. The stamp
# holds their hash, so a second run needs no network.
npm_ci_if_stale() {
	local stamp="$repo_root/node_modules/.palisade-lock.sha256"
	local want
	want="$(cd "$repo_root" && cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
	if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
		return 0
	fi
	command -v npm >/dev/null || die "npm is missing; run scripts/install-deps.sh"
	log "installing npm packages (npm ci)"
	(cd "$repo_root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
	printf '%s\n' "$want" >"$stamp"
}

# pg_throwaway_start starts a private cluster in a new directory under .data/
# on a free port and exports TEST_DATABASE_URL. Call pg_throwaway_cleanup from
# an EXIT trap to stop and remove it.
pg_throwaway_dir=""
pg_throwaway_start() {
	mkdir -p "$repo_root/.data"
	pg_throwaway_dir="$(mktemp -d "$repo_root/.data/test-pg-XXXXXX")"
	TEST_DATABASE_URL="$("$scripts_dir/pg.sh" start --fast "$pg_throwaway_dir" 0)"
	export TEST_DATABASE_URL
	log "test database: $TEST_DATABASE_URL"
}

pg_throwaway_cleanup() {
	if [[ -n $pg_throwaway_dir ]]; then
		"$scripts_dir/pg.sh" destroy "$pg_throwaway_dir" || true
		pg_throwaway_dir=""
	fi
}
