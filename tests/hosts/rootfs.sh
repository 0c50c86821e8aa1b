#!/bin/sh
# tests/hosts/rootfs.sh KIND... - make sure the cached root file system of
# each test host KIND exists, building it with debootstrap from the Debian
# mirror this machine's apt uses when it is missing or was built from
# another package list. Kinds:
#
#   systemd   Debian 12 with systemd as PID 1, systemd-logind,
#             libpam-systemd, sshd, cron, tmux
#   elogind   Debian 12 with sysvinit-core, elogind, libpam-elogind, sshd
#
# Both also get what libpam-logoff depends on, so that installing the
# package in a booted host needs no download. The cache is
# $LO_HOSTS_CACHE/KIND (default /var/cache/pam-logoff-hosts), outside the
# source tree; a build goes to KIND.new and is renamed when complete, under
# an flock, so a half-built tree is never booted and two runs do not build
# at once. Root only. Exit 0 when every KIND is ready; 77 when debootstrap
# or systemd-nspawn is missing or not root; 1 when a build failed (its log
# is KIND.log in the cache).
set -eu
CACHE=${LO_HOSTS_CACHE:-/var/cache/pam-logoff-hosts}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: rootfs: needs root"; exit 77; }
command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null ||
	{ echo "SKIP: rootfs: needs debootstrap and systemd-nspawn (apt-get install debootstrap systemd-container; tools/deps installs them)"; exit 77; }
MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$MIRROR" ] || { echo "FAIL: rootfs: no Debian mirror in /etc/apt/sources.list.d/debian.sources or sources.list"; exit 1; }
mkdir -p "$CACHE"

# libpam-logoff's run-time dependencies (debian/control, shlibs).
LO_DEPS=libpam-runtime,libinih1,libjson-c5,libkeyutils1,libkrb5-3
pkgs() {
	case $1 in
	systemd) echo systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,procps,cron,tmux,psmisc,$LO_DEPS ;;
	elogind) echo sysvinit-core,elogind,libpam-elogind,dbus,openssh-server,procps,$LO_DEPS ;;
	*) echo "FAIL: rootfs: unknown host kind '$1' (systemd, elogind)" >&2; exit 1 ;;
	esac
}

# elogind replaces libsystemd0 by libelogind0; on a merged-/usr tree the
# replacement loses the libsystemd.so.0 link and dbus-daemon cannot be
# configured, so debootstrap fails. Installing libelogind0 again restores
# the link; then the configuration finishes.
mend_elogind() {
	mount -t proc proc "$1/proc"
	rc=0
	chroot "$1" sh -c 'dpkg -i /var/cache/apt/archives/libelogind0_*.deb && dpkg --configure -a' || rc=$?
	umount "$1/proc"
	[ -e "$1/sbin/start-stop-daemon.REAL" ] && mv "$1/sbin/start-stop-daemon.REAL" "$1/sbin/start-stop-daemon"
	rm -f "$1/usr/sbin/policy-rc.d"
	return $rc
}

build() { # build KIND
	want=$(pkgs "$1")
	[ -f "$CACHE/$1/.lo-packages" ] && [ "$(cat "$CACHE/$1/.lo-packages")" = "$want" ] && return 0
	echo "rootfs: building $1 in $CACHE/$1.new (debootstrap from $MIRROR; minutes)"
	start=$(date +%s)
	rm -rf "$CACHE/$1.new"
	rc=0
	debootstrap --variant=minbase --include="$want" bookworm "$CACHE/$1.new" "$MIRROR" \
		> "$CACHE/$1.log" 2>&1 || rc=$?
	if [ "$1" = elogind ] && [ $rc -ne 0 ]; then
		rc=0; mend_elogind "$CACHE/$1.new" >> "$CACHE/$1.log" 2>&1 || rc=$?
	fi
	[ $rc -eq 0 ] || { echo "FAIL: rootfs: debootstrap of $1 failed (exit $rc); see $CACHE/$1.log"; tail -5 "$CACHE/$1.log"; return 1; }
	# Package lists for apt inside the host (what the booted test installs
	# resolves against them), then no archives kept.
	rm -rf "$CACHE/$1.new/var/cache/apt/archives/"*.deb
	echo "$want" > "$CACHE/$1.new/.lo-packages"
	rm -rf "$CACHE/$1"
	mv "$CACHE/$1.new" "$CACHE/$1"
	echo "rootfs: $1 ready ($(( $(date +%s) - start )) s, $(du -sm "$CACHE/$1" | cut -f1) MB)"
}

exec 9> "$CACHE/lock"
flock 9
for kind in "$@"; do build "$kind"; done
