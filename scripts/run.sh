#!/usr/bin/env bash
# run.sh builds Palisade and runs `palisade serve` in the foreground with the
# services it needs. Without PALISADE_DATABASE_URL it starts the private
# PostgreSQL cluster in .data/pg and stops it again on exit, unless that
# cluster was already running. Ctrl-C stops everything this script started.
#
# usage: scripts/run.sh [extra arguments for palisade serve]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$repo_root"

pg_dir="$repo_root/.data/pg"
started_pg=0
app_pid=""

# shellcheck disable=SC2317 # called from a trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $app_pid ]] && kill -0 "$app_pid" 2>/dev/null; then
		kill -TERM "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
	fi
	if [[ $started_pg == 1 ]]; then
		"$scripts_dir/pg.sh" stop "$pg_dir" || true
	fi
	exit "$rc"
}

# on_signal asks palisade to shut down and lets the wait loop below see it
# exit. Before palisade runs there is nothing to wait for: leave at once.
# shellcheck disable=SC2317 # called from a trap
on_signal() {
	if [[ -z $app_pid ]]; then
		exit 130
	fi
	log "stopping palisade"
	kill -TERM "$app_pid" 2>/dev/null || true
}

trap cleanup EXIT
trap on_signal INT TERM

"$scripts_dir/install-deps.sh"

# --- PostgreSQL -------------------------------------------------------------
if [[ -z ${PALISADE_DATABASE_URL:-} ]]; then
	if ! "$scripts_dir/pg.sh" status "$pg_dir" >/dev/null; then
		started_pg=1
	fi
	PALISADE_DATABASE_URL="$("$scripts_dir/pg.sh" start "$pg_dir")"
	export PALISADE_DATABASE_URL
	log "database: $PALISADE_DATABASE_URL"
else
	log "database: PALISADE_DATABASE_URL from the environment"
fi

# --- secret key -------------------------------------------------------------
# serve needs PALISADE_SECRET_KEY. Unless one is given, use a development key
# made once and kept in .data, so that credentials stored in .data/pg stay
# readable across runs.
if [[ -z ${PALISADE_SECRET_KEY:-} && -z ${PALISADE_SECRET_KEY_FILE:-} ]]; then
	key_file="$repo_root/.data/dev-secret-key"
	if [[ ! -s $key_file ]]; then
		mkdir -p "$repo_root/.data"
		(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key_file")
	fi
	export PALISADE_SECRET_KEY_FILE="$key_file"
fi

# --- advisory feeds ---------------------------------------------------------
# Development machines often cannot reach the public OSV bucket, and a sync
# that cannot connect only fills the log. Scheduled syncs are off here unless
# PALISADE_FEED_SYNC_INTERVAL is set; `palisade feeds import` loads files.
export PALISADE_FEED_SYNC_INTERVAL="${PALISADE_FEED_SYNC_INTERVAL:-0}"

# --- container registry -----------------------------------------------------
# Reserved for the local registry (Debian docker-registry) that later issues
# start here, with its notifications endpoint pointed at Palisade. Start it
# like PostgreSQL above: only when no registry is configured, remember what
# was started, and stop it in cleanup().

# --- build and run ----------------------------------------------------------
"$scripts_dir/build.sh"

log "starting palisade serve; Ctrl-C stops it"
bin/palisade serve "$@" &
app_pid=$!

# wait returns early when a trapped signal arrives; keep waiting until
# palisade has exited, then collect its exit status.
while kill -0 "$app_pid" 2>/dev/null; do
	wait "$app_pid" || true
done
rc=0
wait "$app_pid" || rc=$?
exit "$rc"
