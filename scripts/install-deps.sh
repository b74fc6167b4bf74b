#!/usr/bin/env bash
# install-deps.sh installs what building, running and testing Palisade needs
# on Debian 12, then the npm packages. It only calls apt-get when something
# is missing, so a second run is fast and needs no network.
#
# usage: scripts/install-deps.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()

deb_installed() {
	[[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

need_deb() {
	deb_installed "$1" || missing+=("$1")
}

need_cmd() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null || missing+=("$pkg")
}

# PostgreSQL 15 binaries may be present without the postgresql package.
if [[ ! -x /usr/lib/postgresql/15/bin/initdb || ! -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
	missing+=(postgresql)
fi
need_deb ca-certificates
need_cmd docker-registry docker-registry
need_cmd node nodejs
need_cmd npm npm
need_cmd make make
need_cmd git git
need_cmd runuser util-linux
# Browser for the e2e tests, and debootstrap for the real Debian test image.
need_cmd chromium chromium
need_cmd debootstrap debootstrap
# A private Docker engine and a static busybox for the host benchmark e2e.
need_cmd dockerd docker.io
need_deb busybox-static

# install_debs installs packages without starting their services: the
# postgresql and docker-registry packages would otherwise start a system
# cluster on 5432 and a registry on 5000, and the scripts run their own.
install_debs() {
	local sudo=() made_policy=0
	if [[ $EUID -ne 0 ]]; then
		command -v sudo >/dev/null || die "missing packages ${missing[*]}; run this script as root"
		sudo=(sudo)
	fi
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
		"${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	log "installing ${missing[*]}"
	local rc=0
	{
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
			"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends "${missing[@]}"
	} >&2 || rc=$?
	if [[ $made_policy == 1 ]]; then
		"${sudo[@]}" rm -f /usr/sbin/policy-rc.d
	fi
	[[ $rc == 0 ]] || die "apt-get failed"
}

if [[ ${#missing[@]} -gt 0 ]]; then
	install_debs
fi

command -v go >/dev/null || die "go is missing; install Go $(sed -n 's/^go //p' "$repo_root/go.mod")"

npm_ci_if_stale
