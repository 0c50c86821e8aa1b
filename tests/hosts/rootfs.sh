#!/bin/sh
# tests/hosts/rootfs.sh KIND... - make sure the cached root file system of
# each test host KIND exists, building it with debootstrap from the Debian
# mirror this machine's apt uses when it is missing or was built from
# another package list. Kinds:
#
#   systemd   Debian 12 with systemd as PID 1, systemd-logind,
#             libpam-systemd, sshd, cron, tmux
#   elogind   Debian 12 with sysvinit-core, elogind, libpam-elogind, sshd
#   lightdm   the systemd kind plus lightdm and Xvfb, with lo-test-greeter
#             (built here: a stand-in for lightdm-gtk-greeter that shows
#             nothing) and lightdm.service not enabled: installed with
#             apt-get --no-install-recommends in a copy of the systemd kind
#
# All also get what libpam-logoff depends on, so that installing the
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
	# The systemd kind's list (a rebuild of it rebuilds this one), what
	# apt-get adds, and the greeter's version.
	lightdm) echo "$(pkgs systemd)+lightdm,xvfb,lo-test-greeter=$GREETER_VERSION" ;;
	*) echo "FAIL: rootfs: unknown host kind '$1' (systemd, elogind, lightdm)" >&2; exit 1 ;;
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

# greeter_deb DIR: build lo-test-greeter.deb into DIR. lightdm depends on
# lightdm-gtk-greeter | lightdm-greeter; a real greeter pulls in GTK and
# is never looked at here. lo-test-greeter provides lightdm-greeter: a
# greeter session (/usr/share/xgreeters/lo-test-greeter.desktop) that
# only waits, as a greeter nobody logs in at would.
GREETER_VERSION=1
greeter_deb() {
	g=$(mktemp -d)
	mkdir -p "$g/DEBIAN" "$g/usr/share/xgreeters"
	printf '%s\n' "Package: lo-test-greeter" "Version: $GREETER_VERSION" "Architecture: all" \
		"Maintainer: pam_logoff tests <root@localhost>" "Provides: lightdm-greeter" \
		"Description: pam_logoff test bed: a lightdm greeter that shows nothing" > "$g/DEBIAN/control"
	printf '%s\n' "[Desktop Entry]" "Name=lo-test-greeter" "Type=Application" \
		"Exec=sleep infinity" > "$g/usr/share/xgreeters/lo-test-greeter.desktop"
	dpkg-deb --root-owner-group -b "$g" "$1/lo-test-greeter.deb" > /dev/null
	rm -rf "$g"
}

# apt_in TREE CMD: run the shell command CMD in TREE with /proc mounted
# and no service started by a maintainer script (policy-rc.d).
apt_in() {
	mount -t proc proc "$1/proc"
	printf '#!/bin/sh\nexit 101\n' > "$1/usr/sbin/policy-rc.d"; chmod +x "$1/usr/sbin/policy-rc.d"
	rc=0
	chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		LANG=C.UTF-8 /bin/sh -c "$2" || rc=$?
	rm -f "$1/usr/sbin/policy-rc.d"
	umount "$1/proc"
	return $rc
}

# lightdm: a copy of the systemd kind (built first), apt-get install in
# it from the mirror the systemd kind was debootstrapped from, and
# lightdm.service disabled: a test configures autologin, then starts it.
build_lightdm() {
	cp -a --reflink=auto "$CACHE/systemd" "$CACHE/lightdm.new" &&
	rm -f "$CACHE/lightdm.new/.lo-packages" &&
	greeter_deb "$CACHE/lightdm.new/root" &&
	apt_in "$CACHE/lightdm.new" 'apt-get update -q &&
		apt-get install -y -q --no-install-recommends lightdm xvfb /root/lo-test-greeter.deb &&
		systemctl disable lightdm.service && apt-get clean && rm /root/lo-test-greeter.deb'
}

build() { # build KIND
	[ "$1" != lightdm ] || build systemd || return 1
	want=$(pkgs "$1")
	[ -f "$CACHE/$1/.lo-packages" ] && [ "$(cat "$CACHE/$1/.lo-packages")" = "$want" ] && return 0
	start=$(date +%s)
	rm -rf "$CACHE/$1.new"
	rc=0
	if [ "$1" = lightdm ]; then
		echo "rootfs: building $1 in $CACHE/$1.new (the systemd kind plus apt-get install from $MIRROR; minutes)"
		build_lightdm > "$CACHE/$1.log" 2>&1 || rc=$?
	else
		echo "rootfs: building $1 in $CACHE/$1.new (debootstrap from $MIRROR; minutes)"
		debootstrap --variant=minbase --include="$want" bookworm "$CACHE/$1.new" "$MIRROR" \
			> "$CACHE/$1.log" 2>&1 || rc=$?
	fi
	if [ "$1" = elogind ] && [ $rc -ne 0 ]; then
		rc=0; mend_elogind "$CACHE/$1.new" >> "$CACHE/$1.log" 2>&1 || rc=$?
	fi
	[ $rc -eq 0 ] || { echo "FAIL: rootfs: the build of $1 failed (exit $rc); see $CACHE/$1.log"; tail -5 "$CACHE/$1.log"; return 1; }
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
