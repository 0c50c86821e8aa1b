# tests/hosts/lib.sh - the test bed of real hosts: a Debian 12 booted by
# systemd-nspawn from a cached root file system (tests/hosts/rootfs.sh),
# pam_logoff installed in it from the project's own Debian packages with
# apt-get as an admin would, and logins through the host's real sshd.
# Sourced by tests/hosts/*.sh; root only, exit 77 where a host cannot be
# booted. It sets T (a work dir under /var/tmp, kept when a test fails)
# and, after host_boot: H_ROOT (the host's root directory seen from
# here), H_PID (its PID 1 in our pid namespace), H_PORT (its sshd's port
# on 127.0.0.1). Each booted host is stopped, every process of it ended
# and its tree removed when the test exits.
#
# The container shares this machine's network namespace (nspawn without
# --private-network), so its sshd listens on 127.0.0.1 only, on a port of
# its own; its processes are visible here in its own pid namespace.

set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/assert.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (boots a container with systemd-nspawn)"
for _c in systemd-nspawn debootstrap nsenter ssh ssh-keygen flock; do
	command -v "$_c" >/dev/null || skip "$_c missing (tools/deps installs it)"
done
[ -f /etc/debian_version ] || skip "not a Debian machine (the hosts are Debian 12 from its mirror)"

T=$(mktemp -d /var/tmp/lo-host.XXXXXX) && [ -d "$T" ] || { echo "FAIL: $TESTNAME: mktemp -d in /var/tmp"; exit 1; }
at_exit '[ "$FAILED" -eq 0 ] && rm -rf "$T"'
H_PID="" H_PIDNS="" H_NSPAWN="" H_ROOT="" H_PORT="" H_KIND=""
HOST_USER=lotest
HOST_UID=4711

# host_debs: DEB is the libpam-logoff package to install; taken from
# LO_DEB_OUT (tools/test puts the packages tests/install/deb.sh built
# there), else built into $top_srcdir/_build/debs, again whenever a file
# of the tree is newer than the package there.
host_debs() {
	_out=${LO_DEB_OUT:-$top_srcdir/_build/debs}
	DEB=$(ls -t "$_out"/libpam-logoff_*.deb 2>/dev/null | head -1)
	[ -n "$DEB" ] && [ -n "${LO_DEB_OUT:-}" ] && return 0
	[ -n "$DEB" ] && [ -z "$(cd "$top_srcdir" && git ls-files -z src pam include etc man debian configure.ac Makefile.am 2>/dev/null |
		xargs -0 -r sh -c 'find "$@" -maxdepth 0 -newer "$0" -print -quit' "$DEB" 2>/dev/null | head -1)" ] &&
		return 0
	rm -f "$_out"/*.deb
	command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage missing (tools/deps installs dpkg-dev)"
	echo "building the packages into $_out"
	mkdir -p "$_out"
	_tmp=$(mktemp -d /var/tmp/lo-debs.XXXXXX)
	if ! sh "$top_srcdir/tests/install/build-debs.sh" "$_tmp"; then
		tail -30 "$_tmp/build.log"; rm -rf "$_tmp"; echo "FAIL: $TESTNAME: dpkg-buildpackage failed"; exit 1
	fi
	cp "$_tmp"/*.deb "$_out/"; rm -rf "$_tmp"
	DEB=$(ls "$_out"/libpam-logoff_*.deb | head -1)
}

# free_port: a TCP port nothing listens on at 127.0.0.1.
free_port() {
	_p=$(( 20000 + $$ % 20000 ))
	while grep -qi "^ *[0-9]*: [0-9A-F]*:$(printf %04X "$_p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
		_p=$((_p + 1))
	done
	echo "$_p"
}

# host_sh CMD: run the shell command CMD as root inside the booted host,
# in all its namespaces, with a clean environment.
host_sh() {
	nsenter -t "$H_PID" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 /bin/sh -c "$*"
}

# ssh_in USER [CMD]: log in to the host through its sshd as USER, with the
# test's key, running CMD (a login shell without CMD).
ssh_in() {
	_u=$1; shift
	ssh -i "$T/key" -p "$H_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10 "$_u@127.0.0.1" "$@"
}

# host_boot KIND: copy the cached root file system of KIND (systemd,
# elogind, or lightdm: systemd's plus lightdm), make its sshd listen on
# 127.0.0.1:H_PORT with the test's key for root and HOST_USER (uid
# HOST_UID), boot it, and wait until it has booted and sshd answers.
host_boot() {
	H_KIND=$1
	_rc=0; sh "$top_srcdir/tests/hosts/rootfs.sh" "$H_KIND" || _rc=$?
	[ $_rc -eq 77 ] && skip "no root file system for a $H_KIND host"
	[ $_rc -eq 0 ] || { echo "FAIL: $TESTNAME: tests/hosts/rootfs.sh $H_KIND failed"; exit 1; }
	H_ROOT="$T/root"
	cp -a --reflink=auto "${LO_HOSTS_CACHE:-/var/cache/pam-logoff-hosts}/$H_KIND" "$H_ROOT"
	at_exit host_stop
	H_PORT=$(free_port)
	echo "lohost-$H_KIND" > "$H_ROOT/etc/hostname"
	printf 'Port %s\nListenAddress 127.0.0.1\nPasswordAuthentication no\nUseDNS no\n' "$H_PORT" \
		> "$H_ROOT/etc/ssh/sshd_config.d/lo-test.conf"
	ssh-keygen -q -t ed25519 -N '' -f "$T/key"
	chroot "$H_ROOT" useradd -m -u "$HOST_UID" -s /bin/bash "$HOST_USER"
	for _h in "$H_ROOT/root" "$H_ROOT/home/$HOST_USER"; do
		mkdir -p "$_h/.ssh"; cp "$T/key.pub" "$_h/.ssh/authorized_keys"
	done
	chroot "$H_ROOT" chown -R "$HOST_USER:" "/home/$HOST_USER/.ssh"
	host_debs
	mkdir -p "$H_ROOT/root/debs"; cp "$DEB" "$H_ROOT/root/debs/"
	_env=""
	# elogind cannot mount its cgroups under nspawn's read-only hybrid
	# /sys/fs/cgroup; a unified hierarchy it can use.
	[ "$H_KIND" = elogind ] && _env=SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
	env $_env setsid systemd-nspawn -q -D "$H_ROOT" -b --register=no --keep-unit \
		-M "lohost$$" < /dev/null > "$T/console.log" 2>&1 &
	H_NSPAWN=$!
	wait_for 30 _host_pid || { cat "$T/console.log"; echo "FAIL: $TESTNAME: the $H_KIND host did not start"; FAILED=1; exit 1; }
	if [ "$H_KIND" != elogind ]; then
		wait_for 30 host_sh 'test -S /run/systemd/private' || :
		_st=$(host_sh 'timeout 60 systemctl is-system-running --wait' 2>&1) || :
		case $_st in running|degraded) ;; *) fail "boot: $_st"; tail -30 "$T/console.log"; exit 1 ;; esac
	fi
	wait_for 60 ssh_in root true 2>/dev/null ||
		{ tail -30 "$T/console.log"; fail "no ssh into the $H_KIND host"; exit 1; }
	ok "booted a $H_KIND host (pid $H_PID, sshd on 127.0.0.1:$H_PORT)"
}
# _host_pid: H_PID is nspawn's child in a pid namespace of its own (the
# host's PID 1, not a setup child that nspawn runs in ours); H_PIDNS that
# namespace, by which host_stop finds every process of the host.
_host_pid() {
	H_PID=""
	for _c in $(pgrep -P "$H_NSPAWN"); do
		_ns=$(readlink "/proc/$_c/ns/pid" 2>/dev/null) || continue
		[ "$_ns" != "$(readlink /proc/self/ns/pid)" ] && H_PID=$_c H_PIDNS=$_ns && return 0
	done
	return 1
}
# host_procs: the processes of the host's pid namespace, "PID ARGS" each.
host_procs() {
	for _d in /proc/[0-9]*; do
		[ "$(readlink "$_d/ns/pid" 2>/dev/null)" = "$H_PIDNS" ] &&
			echo "${_d#/proc/} $(tr '\0' ' ' < "$_d/cmdline" 2>/dev/null)"
	done
}

# host_stop: power the host off (systemd as PID 1: every kind but
# elogind) or end its PID 1 (sysvinit, which ignores SIGTERM from
# outside); SIGKILL to its PID 1 ends every process of its pid namespace.
# Then check that none is left and remove its tree.
host_stop() {
	[ -n "$H_NSPAWN" ] || return 0
	if [ "$H_KIND" != elogind ] && [ -n "$H_PID" ]; then
		host_sh 'systemctl poweroff' >/dev/null 2>&1
		wait_for 20 pids_dead "$H_NSPAWN" >/dev/null
	fi
	# Only while nspawn lives is H_PID surely the host's PID 1.
	pid_alive "$H_NSPAWN" && [ -n "$H_PID" ] && kill -KILL "$H_PID" 2>/dev/null
	wait_for 10 pids_dead "$H_NSPAWN" || kill -KILL "$H_NSPAWN" 2>/dev/null
	wait "$H_NSPAWN" 2>/dev/null
	H_NSPAWN=""
	if [ -n "$H_PIDNS" ] && ! wait_for 10 _no_host_procs; then
		fail "processes of the host left: $(host_procs)"
		host_procs | while read -r _p _a; do kill -KILL "$_p"; done
	fi
	case $H_ROOT in
	/var/tmp/lo-host.*/root) [ "$FAILED" -eq 0 ] && rm -rf "$H_ROOT" ;;
	esac
}

_no_host_procs() { [ -z "$(host_procs)" ]; }

# host_finish: stop the host (host_stop, which fails the test when a
# process of it is left), then finish.
host_finish() {
	host_stop
	finish
}

# host_install: install libpam-logoff in the host with apt-get, as an admin
# would; pam-auth-update puts it into common-session.
host_install() {
	if host_sh "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/debs/${DEB##*/}" > "$T/apt.log" 2>&1; then
		ok "apt-get install ./${DEB##*/} in the host"
	else
		tail -20 "$T/apt.log"; fail "apt-get install in the host failed"; exit 1
	fi
}

# assert_after_in_common_session MODULE: the host's common-session has
# MODULE (pam_systemd, pam_elogind) and then pam_logoff, once each, as
# pam-auth-update put them.
assert_after_in_common_session() {
	host_sh "grep -n -E 'pam_(${1#pam_}|logoff)\.so' /etc/pam.d/common-session" > "$T/cs"
	if [ "$(grep -c . "$T/cs")" -eq 2 ] && head -1 "$T/cs" | grep -q "$1"; then
		ok "common-session: pam_logoff after $1"
	else
		fail "common-session: $(cat "$T/cs")"
	fi
}

# jmark: a cursor at the end of the host's journal now.
jmark() { host_sh 'journalctl -n 0 --show-cursor --no-pager' | sed -n 's/^-- cursor: //p'; }
# jsince CURSOR [ARGS]: the host's journal after CURSOR.
jsince() { host_sh "journalctl --no-pager -o short --after-cursor='$1' ${2:-}"; }

# journal_logoff WHAT CURSOR SOURCE WHO ERE: since CURSOR, one journal
# line "SOURCE: session WHO: PROVIDER: logged off" for each built-in
# provider (WHO: "ID (logind N)"), and no line of priority warning or
# worse matching ERE (the programs whose warnings count).
journal_logoff() {
	jsince "$2" > "$T/journal"
	for _pv in hooks processes tmpdir; do
		_n=$(grep -c "$3: session $4: $_pv: logged off" "$T/journal")
		if [ "$_n" -eq 1 ]; then ok "$1: one journal line for $_pv's logoff"
		else fail "$1: $_n journal lines for $_pv's logoff: $(grep -E 'pam_logoff|logoff\[' "$T/journal")"; fi
	done
	host_sh "journalctl --no-pager -o short -p warning --after-cursor='$2'" | grep -E "$5" > "$T/warn"
	if [ -s "$T/warn" ]; then fail "$1: warnings in the journal: $(cat "$T/warn")"
	else ok "$1: no warning matching $5"; fi
}

# hdead PID...: none of the host's PIDs lives (a zombie is dead).
hdead() {
	for _p in "$@"; do
		host_sh "s=\$(awk '{print \$3}' /proc/$_p/stat 2>/dev/null) && [ \"\$s\" != Z ]" && return 1
	done
	return 0
}
# no_logind_session ID: logind has no session ID (not even closing).
no_logind_session() { ! host_sh "loginctl show-session $1" >/dev/null 2>&1; }
# no_record ID: pam_logoff has no record ID.
no_record() { [ -z "$(host_sh "ls /run/logoff/sessions/ 2>/dev/null | grep -x '$1'")" ]; }
logind_state() { host_sh "loginctl show-session -p State --value $1" 2>/dev/null; }

# leave: log in as HOST_USER, leave a setsid and a nohup process and a file
# in TMPDIR, log out. Sets ID (pam_logoff's and logind's), TMP, PIDS, and
# CGDIR, the session's cgroup directory on the host's cgroup v2 hierarchy
# (checked to exist while the session ran; "" when the login had none).
leave() {
	set -- $(ssh_in "$HOST_USER" 'echo "$LOGOFF_SESSION_ID $XDG_SESSION_ID $TMPDIR"
		cg=$(awk '"'"'$9 == "cgroup2" { print $5; exit }'"'"' /proc/self/mountinfo)$(sed -n "s/^0:://p" /proc/self/cgroup)
		test -d "$cg/" && echo "$cg" || echo -
		setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!
		nohup sleep 1001 </dev/null >/dev/null 2>&1 & echo $!
		touch "$TMPDIR/left"')
	ID=$1 LOGIND=$2 TMP=$3 CGDIR=$4; shift 4; PIDS="$*"
	[ "$CGDIR" = - ] && CGDIR=""
	[ -n "$ID" ] && [ "$ID" = "$LOGIND" ] && [ -n "$TMP" ] && [ -n "$PIDS" ] ||
		fail "login: id '$ID', logind '$LOGIND', TMPDIR '$TMP', pids '$PIDS'"
}

# cg_empty_in DIR: the host's cgroup DIR is gone or has no process.
cg_empty_in() { host_sh "[ ! -d '$1' ] || grep -qx 'populated 0' '$1/cgroup.events'"; }
