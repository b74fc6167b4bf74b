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
started_registry=0
app_pid=""

# shellcheck disable=SC2317 # called from a trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $app_pid ]] && kill -0 "$app_pid" 2>/dev/null; then
		kill -TERM "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
	fi
	if [[ $started_registry == 1 ]]; then
		"$scripts_dir/registry.sh" stop "$repo_root/.data/registry" || true
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

# --- settings for a second terminal -----------------------------------------
# The CLI (palisade scan, registry, feeds) needs the same database and key;
# `. .data/palisade.env` in another terminal gives it them.
(
	umask 077
	{
		printf 'export PALISADE_DATABASE_URL=%q\n' "$PALISADE_DATABASE_URL"
		if [[ -n ${PALISADE_SECRET_KEY_FILE:-} ]]; then
			printf 'export PALISADE_SECRET_KEY_FILE=%q\n' "$PALISADE_SECRET_KEY_FILE"
		fi
	} >"$repo_root/.data/palisade.env"
)

# --- build ------------------------------------------------------------------
"$scripts_dir/build.sh"

# --- container registry -----------------------------------------------------
# A local registry (Debian docker-registry) on 127.0.0.1, with its data in
# .data/registry, connected to Palisade as "local" with scan on push, so a
# new user can push an image and watch it being scanned. Its notifications
# carry the webhook secret Palisade made for it. PALISADE_LOCAL_REGISTRY=off
# skips it.
if [[ ${PALISADE_LOCAL_REGISTRY:-on} != off ]]; then
	reg_dir="$repo_root/.data/registry"
	if ! "$scripts_dir/registry.sh" status "$reg_dir" >/dev/null 2>&1; then
		started_registry=1
	fi
	reg_url="$("$scripts_dir/registry.sh" start "$reg_dir")"
	if ! bin/palisade registry show local >/dev/null 2>&1; then
		bin/palisade registry add --name local --url "$reg_url" --insecure-http >/dev/null
		log "connected the local registry to Palisade as \"local\""
	fi
	hook_env="$(bin/palisade registry show local --format env)"
	hook_url="$(sed -n 's/^PALISADE_WEBHOOK_URL=//p' <<<"$hook_env")"
	hook_secret="$(sed -n 's/^PALISADE_WEBHOOK_SECRET=//p' <<<"$hook_env")"
	# Restart with notifications pointed at Palisade (the config is
	# rewritten on every start).
	"$scripts_dir/registry.sh" stop "$reg_dir"
	reg_url="$("$scripts_dir/registry.sh" start "$reg_dir" "" "$hook_url" "$hook_secret")"
	log "registry: $reg_url (push to ${reg_url#http://}/REPOSITORY:TAG; see the README)"
fi

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
