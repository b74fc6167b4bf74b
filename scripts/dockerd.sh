#!/usr/bin/env bash
# dockerd.sh runs a private Docker engine in a directory of its own: its own
# data root, exec root, pid file and unix socket, no iptables rules, no
# default bridge and the vfs storage driver, so that it works in sandboxes
# and touches nothing of a system engine. See docs/dev-services.md.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat >&2 <<'USAGE'
usage: dockerd.sh start DIR
       dockerd.sh stop DIR

start  install Debian's docker.io and busybox-static if dockerd or busybox
       is missing, start dockerd on unix://DIR/docker.sock unless it runs,
       wait until it answers, and print the socket address on stdout.
       The log is DIR/dockerd.log.
stop   stop that dockerd (its containers stop with it) and wait for it.
USAGE
	exit 2
}

install_if_missing() {
	local missing=()
	command -v dockerd >/dev/null || [[ -x /usr/sbin/dockerd ]] || missing+=(docker.io)
	[[ -x /bin/busybox ]] || missing+=(busybox-static)
	[[ ${#missing[@]} -eq 0 ]] && return 0
	[[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root to install them"
	local made_policy=0 rc=0
	# Keep the packages' own services (a system dockerd) from starting.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	log "installing ${missing[*]}"
	{
		DEBIAN_FRONTEND=noninteractive apt-get update -q &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	} >&2 || rc=$?
	[[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
	[[ $rc == 0 ]] || die "apt-get install ${missing[*]} failed"
}

dockerd_bin() {
	command -v dockerd 2>/dev/null || echo /usr/sbin/dockerd
}

docker_cli() {
	# Debian's client matches Debian's engine; any other docker works too.
	if [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker; else command -v docker; fi
}

running_pid() {
	local dir=$1 pid
	[[ -f $dir/pid ]] || return 1
	pid="$(cat "$dir/pid")"
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers() {
	"$(docker_cli)" -H "unix://$1/docker.sock" version >/dev/null 2>&1
}

start() {
	local dir=$1
	install_if_missing
	mkdir -p "$dir"
	dir="$(cd "$dir" && pwd)"
	if running_pid "$dir" >/dev/null && answers "$dir"; then
		echo "unix://$dir/docker.sock"
		return 0
	fi
	# A unix socket path is limited to 107 bytes; containerd's lives deeper.
	[[ ${#dir} -le 60 ]] || die "DIR $dir is too long for the engine's sockets (60 characters at most)"
	setsid "$(dockerd_bin)" \
		--iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
		--data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
		-H "unix://$dir/docker.sock" </dev/null >"$dir/dockerd.log" 2>&1 &
	local i
	for i in $(seq 1 150); do
		if answers "$dir"; then
			echo "unix://$dir/docker.sock"
			return 0
		fi
		sleep 0.2
	done
	tail -20 "$dir/dockerd.log" >&2 || true
	die "dockerd did not answer on $dir/docker.sock within 30s (log: $dir/dockerd.log)"
}

stop() {
	local dir=$1 pid i
	dir="$(cd "$dir" && pwd)"
	if pid="$(running_pid "$dir")"; then
		kill -TERM "$pid"
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "dockerd $pid did not stop in 20s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	unmount_under "$dir"
}

# unmount_under removes what dockerd leaves mounted in DIR (the default
# network namespace under the exec root), deepest first, so DIR can be
# deleted.
unmount_under() {
	local m
	awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r |
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "cannot unmount $m"
		done
}

[[ $# -eq 2 ]] || usage
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
*) usage ;;
esac
