#!/usr/bin/env bash
# pg.sh manages a private PostgreSQL 15 cluster in a directory of its own,
# listening on 127.0.0.1 only. See docs/dev-services.md.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat >&2 <<'EOF'
usage: pg.sh start [--fast] DIR [PORT]
       pg.sh stop DIR
       pg.sh status DIR
       pg.sh url DIR
       pg.sh destroy DIR

start    create the cluster in DIR if needed (initdb), start it unless it is
         running, create database "palisade" and print its URL on stdout.
         PORT: a port number, or 0 for any free port. Without PORT: the port
         the cluster used last time, else 5433, else any free port (whichever
         is free). --fast turns off fsync and friends (throwaway clusters).
stop     stop the cluster (fast shutdown) if it runs.
status   print whether it runs; exit 0 running, 3 stopped, 4 no cluster.
url      print the database URL.
destroy  stop the cluster and remove DIR.

PG_BIN overrides the PostgreSQL binaries (default /usr/lib/postgresql/15/bin).
EOF
	exit 2
}

pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
default_port=5433
db_name=palisade
superuser=postgres

# as_pg runs a command as the cluster owner: user postgres when we are root,
# because PostgreSQL refuses to run as root.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

is_cluster() {
	[[ -f $1/PG_VERSION ]]
}

is_running() {
	is_cluster "$1" && as_pg "$pg_bin/pg_ctl" status -D "$1" >/dev/null 2>&1
}

# running_port reads the port from postmaster.pid (its fourth line).
running_port() {
	sed -n 4p "$1/postmaster.pid"
}

# configured_port reads the port the cluster was last started with.
configured_port() {
	sed -n "s/^port = \([0-9]*\)$/\1/p" "$1/palisade.conf" 2>/dev/null || true
}

url_for() {
	echo "postgres://$superuser@127.0.0.1:$1/$db_name?sslmode=disable"
}

# init_cluster runs initdb in DIR. As root, when user postgres cannot reach
# DIR (a repository under /root, say), the cluster goes to a new directory
# under /var/tmp and DIR becomes a symlink to it.
init_cluster() {
	local dir=$1 target
	if [[ -e $dir ]] && [[ -n "$(ls -A "$dir")" ]]; then
		die "$dir exists, is not empty and holds no PostgreSQL cluster"
	fi
	mkdir -p "$dir"
	if [[ $EUID -eq 0 ]] && ! as_pg test -x "$(dirname "$dir")"; then
		target="$(mktemp -d /var/tmp/palisade-pg.XXXXXX)"
		rmdir "$dir"
		ln -s "$target" "$dir"
		log "user postgres cannot reach $dir; it links to $target instead"
		dir=$target
	fi
	chmod 700 "$dir"
	if [[ $EUID -eq 0 ]]; then
		chown postgres:postgres "$dir"
		as_pg test -w "$dir" || die "user postgres cannot write $dir"
	fi
	log "creating cluster in $dir"
	# Trust authentication: the cluster listens on 127.0.0.1 and a socket
	# inside its own directory, and holds development data only.
	as_pg "$pg_bin/initdb" -D "$dir" -U "$superuser" --auth=trust \
		--encoding=UTF8 --no-locale --no-instructions >"$dir.initdb.log" 2>&1 || {
		cat "$dir.initdb.log" >&2
		rm -f "$dir.initdb.log"
		die "initdb failed"
	}
	rm -f "$dir.initdb.log"
	echo "include_if_exists = 'palisade.conf'" | as_pg tee -a "$dir/postgresql.conf" >/dev/null
}

# write_conf writes the settings that pg.sh owns; postgresql.conf includes it.
write_conf() {
	local dir=$1 port=$2 fast=$3 sockdir=$1
	# A unix socket path must fit in 107 bytes; without room, TCP only.
	if ((${#dir} + 20 > 100)); then
		sockdir=""
	fi
	{
		echo "# Written by scripts/pg.sh on every start."
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$sockdir'"
		echo "max_connections = 200"
		if [[ $fast == 1 ]]; then
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | as_pg tee "$dir/palisade.conf" >/dev/null
}

ensure_db() {
	local port=$1 exists
	exists="$("$pg_bin/psql" -h 127.0.0.1 -p "$port" -U "$superuser" -d postgres -XAtq \
		-c "SELECT 1 FROM pg_database WHERE datname = '$db_name'")"
	if [[ $exists != 1 ]]; then
		"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U "$superuser" "$db_name"
	fi
}

# choose_port picks the port to start on: the one asked for, or for none
# asked the last one used or the default if free, or else any free port.
choose_port() {
	local dir=$1 want=$2 p
	if [[ -n $want && $want != 0 ]]; then
		! port_in_use "$want" || die "port $want is in use"
		echo "$want"
		return 0
	fi
	if [[ -z $want ]]; then
		for p in "$(configured_port "$dir")" "$default_port"; do
			if [[ -n $p ]] && ! port_in_use "$p"; then
				echo "$p"
				return 0
			fi
		done
	fi
	random_free_port
}

# start_on tries to start the cluster on one port; it fails if the port is
# taken or the server does not come up.
start_on() {
	local dir=$1 port=$2 fast=$3
	write_conf "$dir" "$port" "$fast"
	as_pg "$pg_bin/pg_ctl" start -D "$dir" -l "$dir/postgres.log" -w -t 60 -s >/dev/null
}

cmd_start() {
	local fast=0
	if [[ ${1:-} == --fast ]]; then
		fast=1
		shift
	fi
	[[ $# -ge 1 && $# -le 2 ]] || usage
	local dir want=${2:-} port tries
	dir="$(realpath -m "$1")"
	[[ -z $want || $want =~ ^[0-9]+$ ]] || die "port must be a number: $want"
	[[ -x $pg_bin/initdb ]] || die "$pg_bin/initdb is missing; run scripts/install-deps.sh"

	if ! is_cluster "$dir"; then
		init_cluster "$dir"
		dir="$(realpath -m "$1")"
	fi
	if is_running "$dir"; then
		port="$(running_port "$dir")"
		log "cluster in $dir already runs on port $port"
		ensure_db "$port"
		url_for "$port"
		return 0
	fi

	for tries in 1 2 3; do
		port="$(choose_port "$dir" "$want")"
		log "starting cluster in $dir on 127.0.0.1:$port"
		if start_on "$dir" "$port" "$fast"; then
			ensure_db "$port"
			url_for "$port"
			return 0
		fi
		# Another process may have taken the port between check and bind;
		# pick again unless the port was given.
		[[ -z $want || $want == 0 ]] || break
		log "start failed (try $tries of 3); last log lines:"
		tail -n 5 "$dir/postgres.log" >&2 || true
	done
	tail -n 20 "$dir/postgres.log" >&2 || true
	die "could not start PostgreSQL in $dir; log: $dir/postgres.log"
}

cmd_stop() {
	[[ $# -eq 1 ]] || usage
	local dir
	dir="$(realpath -m "$1")"
	if is_running "$dir"; then
		log "stopping cluster in $dir"
		as_pg "$pg_bin/pg_ctl" stop -D "$dir" -m fast -w -t 60 -s
	fi
}

cmd_status() {
	[[ $# -eq 1 ]] || usage
	local dir
	dir="$(realpath -m "$1")"
	if ! is_cluster "$dir"; then
		echo "no cluster in $dir"
		return 4
	fi
	if is_running "$dir"; then
		echo "running on 127.0.0.1:$(running_port "$dir") (pid $(head -n 1 "$dir/postmaster.pid"))"
		return 0
	fi
	echo "stopped"
	return 3
}

cmd_url() {
	[[ $# -eq 1 ]] || usage
	local dir port
	dir="$(realpath -m "$1")"
	is_cluster "$dir" || die "no cluster in $dir"
	if is_running "$dir"; then
		port="$(running_port "$dir")"
	else
		port="$(configured_port "$dir")"
	fi
	[[ -n $port ]] || die "cluster in $dir has never been started"
	url_for "$port"
}

cmd_destroy() {
	[[ $# -eq 1 ]] || usage
	local dir
	dir="$(realpath -m "$1")"
	if [[ -e $dir ]]; then
		if ! is_cluster "$dir" && [[ -n "$(ls -A "$dir")" ]]; then
			die "refusing to remove $dir: not empty and holds no PostgreSQL cluster"
		fi
		cmd_stop "$dir"
		rm -rf "$dir"
	fi
	# DIR may be a symlink made by init_cluster.
	if [[ -L $1 ]]; then
		rm -f "$1"
	fi
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status "$@" ;;
url) cmd_url "$@" ;;
destroy) cmd_destroy "$@" ;;
*) usage ;;
esac
