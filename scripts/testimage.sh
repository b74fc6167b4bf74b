#!/usr/bin/env bash
# testimage.sh builds the root filesystem of the real Debian test image once
# and caches it outside git as an uncompressed tar, then prints its path.
# The e2e tests push that tar as a one-layer image (e2e/harness/testimage.go).
#
# usage: scripts/testimage.sh [--rebuild]
#
# The image is `debootstrap --variant=minbase` bookworm plus python3-jinja2,
# python3-urllib3 (Debian packages with real Python metadata) and containerd
# (a Go program). debootstrap uses the same Debian mirror as apt on this
# machine, read from /etc/apt/sources.list.d/*.sources or
# /etc/apt/sources.list. It needs root (it chroots into the new tree).
#
# Environment:
#   PALISADE_TEST_ROOTFS_TAR  cache path of the tar
#                             (default /var/cache/palisade-test/bookworm-rootfs.tar)
#   PALISADE_DEBIAN_MIRROR    Debian mirror URL (default: the one apt uses)
#
# A build takes about a minute on 2 cores with a nearby mirror; the tar is
# about 250 MB. The tar is rebuilt only when it is missing or --rebuild is
# given. Concurrent runs wait for each other (flock) instead of building twice.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

suite=bookworm
packages=python3-jinja2,python3-urllib3,containerd
tar_path="${PALISADE_TEST_ROOTFS_TAR:-/var/cache/palisade-test/bookworm-rootfs.tar}"

usage() {
	sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# apt_mirror prints the first Debian mirror apt uses for $suite: deb822
# .sources files first (Debian 12's default), then the one-line format.
apt_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		uri="$(awk -v suite="$suite" '
			BEGIN { RS = ""; FS = "\n" }
			{
				uris = ""; suites = ""; types = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) uris = substr($i, 6)
					if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
					if ($i ~ /^Types:/) types = " " substr($i, 7) " "
				}
				if (types ~ / deb / && suites ~ (" " suite " ")) {
					split(uris, u, " "); print u[1]; exit
				}
			}' "$f")"
		if [[ -n $uri ]]; then
			echo "$uri"
			return 0
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		uri="$(awk -v suite="$suite" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) { print $i; exit }
			}' "$f")"
		if [[ -n $uri ]]; then
			echo "$uri"
			return 0
		fi
	done
	return 1
}

# unmount_under unmounts whatever debootstrap left mounted inside $1 (it
# mounts /proc and /sys in the target and a failed run can leave them).
unmount_under() {
	local dir=$1 m
	[[ -d $dir ]] || return 0
	while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

work=""
cleanup() {
	if [[ -n $work ]]; then
		unmount_under "$work"
		rm -rf --one-file-system "$work"
	fi
}

build() {
	local mirror=$1 start end root tmp_tar
	work="$(mktemp -d "$(dirname "$tar_path")/build.XXXXXX")"
	root="$work/rootfs"
	log "debootstrap $suite from $mirror into $root (takes a minute or so)"
	start=$(date +%s)
	if ! debootstrap --variant=minbase --include="$packages" \
		"$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -n 30 "$work/debootstrap.log" >&2
		[[ ! -f $root/debootstrap/debootstrap.log ]] ||
			tail -n 30 "$root/debootstrap/debootstrap.log" >&2
		die "debootstrap failed; is $mirror reachable? (set PALISADE_DEBIAN_MIRROR)"
	fi
	unmount_under "$root"

	# An image carries no device nodes, no kernel filesystems and no apt
	# download state; the package database (var/lib/dpkg) stays whole.
	rm -rf --one-file-system "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* \
		"${root:?}"/run/* "${root:?}"/tmp/* "${root:?}"/var/cache/apt/archives/*.deb \
		"${root:?}"/var/lib/apt/lists/*_* "${root:?}"/var/log/*.log

	# Entries are named "etc/passwd", not "./etc/passwd", as in images that
	# docker and buildkit produce.
	tmp_tar="$work/rootfs.tar"
	(cd "$root" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort |
		tar -cf "$tmp_tar" --sort=name --numeric-owner --xattrs -T -)
	mv -f "$tmp_tar" "$tar_path"
	end=$(date +%s)
	{
		echo "suite=$suite"
		echo "packages=$packages"
		echo "mirror=$mirror"
		echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "seconds=$((end - start))"
		echo "bytes=$(stat -c %s "$tar_path")"
	} >"$tar_path.info"
	log "built $tar_path ($(du -h "$tar_path" | cut -f1)) in $((end - start))s"
}

rebuild=0
case ${1:-} in
"") ;;
--rebuild) rebuild=1 ;;
*) usage ;;
esac
[[ $# -le 1 ]] || usage

mkdir -p "$(dirname "$tar_path")"
# One build at a time per cache path: parallel test processes wait here and
# then find the tar made by the first one.
exec 9>"$tar_path.lock"
flock 9

if [[ $rebuild == 1 || ! -s $tar_path ]]; then
	[[ $EUID -eq 0 ]] || die "building the test image needs root (debootstrap chroots)"
	command -v debootstrap >/dev/null || die "debootstrap is missing; run scripts/install-deps.sh"
	mirror="${PALISADE_DEBIAN_MIRROR:-}"
	if [[ -z $mirror ]]; then
		mirror="$(apt_mirror)" || die "no $suite mirror found in apt's sources; set PALISADE_DEBIAN_MIRROR"
	fi
	trap cleanup EXIT
	build "$mirror"
fi
echo "$tar_path"
