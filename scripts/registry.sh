#!/usr/bin/env bash
# registry.sh runs a private container registry (Debian's docker-registry,
# CNCF distribution 2.8) in a directory of its own, listening on 127.0.0.1
# only. See docs/dev-services.md.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat >&2 <<'EOF'
usage: registry.sh start DIR [PORT] [NOTIFY_URL NOTIFY_SECRET]
       registry.sh stop DIR
       registry.sh status DIR
       registry.sh url DIR

start    write DIR/config.yml, start the registry in the background unless
         it runs, wait until it answers, and print its URL
         (http://127.0.0.1:PORT) on stdout. Images live in DIR/data and are
         kept across restarts. PORT: a port number, or 0 for any free port.
         Without PORT (or with ""): the port used last time, else 5000, else
         any free port (whichever is free). With NOTIFY_URL and
         NOTIFY_SECRET, every manifest push and delete is POSTed to
         NOTIFY_URL with "Authorization: Bearer NOTIFY_SECRET".
stop     stop the registry if it runs; DIR and its images stay.
status   print whether it runs; exit 0 running, 3 stopped, 4 never set up.
url      print the registry URL.

The log is DIR/registry.log, the pid DIR/registry.pid.
REGISTRY_BIN overrides the binary (default /usr/bin/docker-registry).
EOF
	exit 2
}

registry_bin="${REGISTRY_BIN:-/usr/bin/docker-registry}"
default_port=5000

# pid_of prints the pid of the registry running for DIR, if any. A pid file
# left by a crash may name a process that is now something else, so the
# command line must be ours.
pid_of() {
	local dir=$1 pid
	[[ -f $dir/registry.pid ]] || return 1
	pid="$(cat "$dir/registry.pid")"
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "serve $dir/config.yml" || return 1
	echo "$pid"
}

configured_port() {
	sed -n 's/^  addr: 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$1/config.yml" 2>/dev/null || true
}

url_for() {
	echo "http://127.0.0.1:$1"
}

# yaml_quote quotes a string for YAML (single quotes, doubled inside).
yaml_quote() {
	local s=${1//\'/\'\'}
	printf "'%s'" "$s"
}

# write_config writes DIR/config.yml for distribution 2.8. The HTTP
# secret signs upload state; it is made once so uploads survive a restart.
write_config() {
	local dir=$1 port=$2 notify_url=$3 notify_secret=$4 http_secret
	if [[ ! -s $dir/http-secret ]]; then
		(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/http-secret")
	fi
	http_secret="$(cat "$dir/http-secret")"
	(
		umask 077
		cat >"$dir/config.yml" <<EOF
# Written by scripts/registry.sh on every start; edits are lost.
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $(yaml_quote "$dir/data")
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
  secret: $(yaml_quote "$http_secret")
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
		if [[ -n $notify_url ]]; then
			# Blob pushes and pulls are ignored: Palisade scans manifests.
			# The registry retries a failed delivery after backoff, and
			# after threshold failures in a row backs off before each try.
			cat >>"$dir/config.yml" <<EOF
notifications:
  events:
    includereferences: true
  endpoints:
    - name: palisade
      url: $(yaml_quote "$notify_url")
      headers:
        Authorization: [$(yaml_quote "Bearer $notify_secret")]
      timeout: 5s
      threshold: 5
      backoff: 2s
      ignoredmediatypes:
        - application/octet-stream
      ignore:
        mediatypes:
          - application/octet-stream
        actions:
          - pull
EOF
		fi
	)
}

# wait_ready waits until the registry started as pid logs that it listens
# on port (so another server on that port cannot pass for it) and GET /v2/
# answers 200, or the process dies. Log lines before byte offset are from
# earlier runs.
wait_ready() {
	local dir=$1 port=$2 pid=$3 offset=$4 i status
	for i in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		if tail -c "+$((offset + 1))" "$dir/registry.log" | grep -qF "listening on 127.0.0.1:$port"; then
			# shellcheck disable=SC2016 # $0 expands in the inner shell
			status="$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
				printf "GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 &&
				head -n 1 <&3' "$port" 2>/dev/null || true)"
			if [[ $status == *" 200 "* ]]; then
				return 0
			fi
		fi
		sleep 0.1
	done
	return 1
}

cmd_start() {
	[[ $# -eq 1 || $# -eq 2 || $# -eq 4 ]] || usage
	local dir want=${2:-} notify_url=${3:-} notify_secret=${4:-} port pid tries offset p
	dir="$(realpath -m "$1")"
	[[ -z $want || $want =~ ^[0-9]+$ ]] || die "port must be a number: $want"
	[[ $# -ne 4 || (-n $notify_url && -n $notify_secret) ]] ||
		die "NOTIFY_URL and NOTIFY_SECRET must both be non-empty"
	[[ -x $registry_bin ]] || die "$registry_bin is missing; run scripts/install-deps.sh"

	if pid="$(pid_of "$dir")"; then
		port="$(configured_port "$dir")"
		log "registry in $dir already runs on port $port (pid $pid)"
		url_for "$port"
		return 0
	fi
	mkdir -p "$dir/data"

	for tries in 1 2 3; do
		if [[ -n $want && $want != 0 ]]; then
			! port_in_use "$want" || die "port $want is in use"
			port=$want
		else
			port=""
			if [[ -z $want ]]; then
				for p in "$(configured_port "$dir")" "$default_port"; do
					if [[ -n $p ]] && ! port_in_use "$p"; then
						port=$p
						break
					fi
				done
			fi
			[[ -n $port ]] || port="$(random_free_port)"
		fi
		write_config "$dir" "$port" "$notify_url" "$notify_secret"
		offset="$(stat -c %s "$dir/registry.log" 2>/dev/null || echo 0)"
		# docker-registry logs its configuration, notification headers (the
		# webhook secret) included, at every start: keep the log private.
		touch "$dir/registry.log"
		chmod 600 "$dir/registry.log"
		log "starting registry in $dir on 127.0.0.1:$port"
		# setsid: the registry outlives this script and is not hit by
		# signals meant for the caller's process group.
		setsid "$registry_bin" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$dir/registry.pid"
		if wait_ready "$dir" "$port" "$pid" "$offset"; then
			url_for "$port"
			return 0
		fi
		kill "$pid" 2>/dev/null || true
		rm -f "$dir/registry.pid"
		# Another process may have taken the port between check and bind;
		# pick again unless the port was given.
		[[ -z $want || $want == 0 ]] || break
		log "start failed (try $tries of 3); last log lines:"
		tail -n 5 "$dir/registry.log" >&2 || true
	done
	tail -n 20 "$dir/registry.log" >&2 || true
	die "could not start the registry in $dir; log: $dir/registry.log"
}

cmd_stop() {
	[[ $# -eq 1 ]] || usage
	local dir pid i
	dir="$(realpath -m "$1")"
	pid="$(pid_of "$dir")" || {
		rm -f "$dir/registry.pid"
		return 0
	}
	log "stopping registry in $dir (pid $pid)"
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "registry did not stop within 10s of SIGTERM; killing it"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/registry.pid"
}

cmd_status() {
	[[ $# -eq 1 ]] || usage
	local dir pid
	dir="$(realpath -m "$1")"
	if [[ ! -f $dir/config.yml ]]; then
		echo "no registry in $dir"
		return 4
	fi
	if pid="$(pid_of "$dir")"; then
		echo "running on 127.0.0.1:$(configured_port "$dir") (pid $pid)"
		return 0
	fi
	echo "stopped"
	return 3
}

cmd_url() {
	[[ $# -eq 1 ]] || usage
	local dir port
	dir="$(realpath -m "$1")"
	port="$(configured_port "$dir")"
	[[ -n $port ]] || die "no registry has been started in $dir"
	url_for "$port"
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status "$@" ;;
url) cmd_url "$@" ;;
*) usage ;;
esac
