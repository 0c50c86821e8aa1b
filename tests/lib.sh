# tests/lib.sh - shared by the make check shell tests: a private work dir,
# a config and PAM service for pam_logoff in it; the assertions, at_exit
# and wait_for come from tests/assert.sh. Source it; it sets T (the work
# dir) and cleans up on exit.

set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"

MODULE="$top_builddir/.libs/pam_logoff.so"
HELPER="$top_builddir/logoff-helper"
. "$top_srcdir/tests/assert.sh"
records() { find "$T/reg/sessions" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l; }

[ -f "$MODULE" ] || { echo "FAIL: $MODULE not built"; exit 1; }

# Programs not built by us (pamtester, su, sshd) that load the module: in
# a sanitizer build the ASan runtime (LO_PRELOAD) must be loaded first, and
# their own leaks are not ours to report.
WRAP_PRELOAD="${LO_PRELOAD:+$LO_PRELOAD }${PAM_WRAPPER_LIB:-}"
if [ -n "${LO_PRELOAD:-}" ]; then
	FOREIGN_ASAN="detect_leaks=0:abort_on_error=1"
else
	FOREIGN_ASAN="${ASAN_OPTIONS:-}"
fi


T=$(mktemp -d /tmp/lo-test.XXXXXX)
chmod 0755 "$T"
at_exit '[ "$FAILED" -eq 0 ] && rm -rf "$T"'
mkdir -p "$T/pam.d" "$T/out" "$T/logon.d" "$T/logoff.d"
# pam_wrapper asks for "other" when it reads a service dir.
printf 'auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_deny.so\n' > "$T/pam.d/other"
chmod 0777 "$T/out"
# $WAIT_FOR SECONDS CMD...: wait_for as a program, for the shells that a
# session, a hook or another user runs (they do not source lib.sh).
WAIT_FOR="$T/wait_for"
cat > "$WAIT_FOR" <<'SH'
#!/bin/sh
n=$(( $1 * 10 )); shift
while [ "$n" -gt 0 ]; do "$@" && exit 0; sleep 0.1; n=$((n - 1)); done
"$@"
SH
chmod 0755 "$WAIT_FOR"
TEST_USER=$(id -un)

# Sessions of this test that get a cgroup of their own get it below
# LO_CGROUP_ROOT, private to the test: the sweep of one test's registry
# must never see another test's session cgroups as orphans. Roots of
# tests that are gone (lo-test-PID and its empty cgroups, kept-ID
# among them) are removed here; a populated one stays.
LO_CGROUP_ROOT="/lo-test-$$"
LO_CG_MNT=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$LO_CG_MNT" ] && [ "$(id -u)" -eq 0 ]; then
	for d in "$LO_CG_MNT"/lo-test-*; do
		[ -d "$d" ] || continue
		kill -0 "${d##*-}" 2>/dev/null || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
fi

# write_conf [EXTRA-INI...]: a logoff.conf with everything inside $T.
write_conf() {
	cat > "$T/logoff.conf" <<CONF
[logoff]
registry = $T/reg
timeout = ${LO_TIMEOUT:-20}
providers = ${LO_PROVIDERS:-tmpdir processes hooks}
${LO_LOGOFF_EXTRA:-}
[tmpdir]
base = $T/tmpbase
[hooks]
logon_dir = $T/logon.d
logoff_dir = $T/logoff.d
timeout = ${LO_HOOK_TIMEOUT:-10}
run_as = ${LO_RUN_AS:-root}
[processes]
match = ${LO_MATCH:-audit}
grace = 2
cgroup_root = $LO_CGROUP_ROOT
CONF
	for extra in "$@"; do printf '%s\n' "$extra" >> "$T/logoff.conf"; done
	chmod 0644 "$T/logoff.conf"
}

# A throwaway account for the end-to-end tests (root only); removed on exit.
make_user() {
	E2E_USER="lo-e2e-$$"
	useradd -m -s /bin/sh "$E2E_USER" >/dev/null 2>&1 || skip "useradd failed"
	usermod -p '*' "$E2E_USER" >/dev/null 2>&1
	at_exit 'end_user "$E2E_USER"'
}
# end_user USER: kill every process of USER, wait until none is left (a
# killed process may take a moment to exit, and userdel refuses a user
# with processes), and remove USER.
end_user() {
	pkill -KILL -u "$1" 2>/dev/null
	wait_for 5 user_idle "$1"
	userdel -r "$1" >/dev/null 2>&1
}
# user_idle USER: no live (not zombie) process runs as USER.
user_idle() { ! ps -u "$1" -o stat= 2>/dev/null | grep -qv '^Z'; }


# runs PID COMM: PID runs the program COMM (it has exec'd it, not only
# forked).
runs() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

# cg_empty DIR: no process in cgroup DIR or below it (or no DIR at all).
cg_empty() { [ ! -d "$1" ] || grep -qx 'populated 0' "$1/cgroup.events" 2>/dev/null; }

# write_service NAME [MODULE-ARGS]: a session-only PAM service file.
write_service() {
	cat > "$T/pam.d/$1" <<SVC
auth     required  pam_permit.so
account  required  pam_permit.so
session  required  $MODULE config=$T/logoff.conf helper=$HELPER debug ${2:-}
SVC
}

# hook DIR NAME BODY: an executable hook script, mode 0755.
hook() {
	printf '#!/bin/sh\n%s\n' "$3" > "$T/$1/$2"
	chmod 0755 "$T/$1/$2"
}

# start_sshd SERVICE: a real sshd on a free loopback port whose PAM service
# SERVICE comes from $T/pam.d through pam_wrapper, for key logins of
# $E2E_USER (make_user first). Sets SSHD_PORT and SSHD_PID; stops it on
# exit. ssh_user ARGS... then logs in as $E2E_USER with the test's key.
start_sshd() {
	SSHD=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$SSHD" ] || skip "sshd not installed (apt-get install openssh-server)"
	command -v ssh >/dev/null || skip "ssh client not installed"
	mkdir -p "$T/ssh" /run/sshd
	chmod 0755 "$T/ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" || fail "host key"
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client" || fail "client key"
	_home=$(getent passwd "$E2E_USER" | cut -d: -f6)
	mkdir -p "$_home/.ssh"
	cp "$T/ssh/client.pub" "$_home/.ssh/authorized_keys"
	chown -R "$E2E_USER:" "$_home/.ssh"
	chmod 700 "$_home/.ssh"; chmod 600 "$_home/.ssh/authorized_keys"
	SSHD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 22$(( $$ % 90 + 10 )))
	cat > "$T/ssh/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $T/ssh/host
PidFile $T/ssh/sshd.pid
UsePAM yes
KbdInteractiveAuthentication no
PasswordAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $E2E_USER
StrictModes no
LogLevel VERBOSE
CFG
	# sshd names its PAM service after the name it was run as.
	ln -s "$SSHD" "$T/ssh/$1"
	ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		"$T/ssh/$1" -D -e -f "$T/ssh/sshd_config" > "$T/out/sshd.log" 2>&1 &
	SSHD_PID=$!
	at_exit 'kill $SSHD_PID 2>/dev/null'
	wait_for 10 grep -q "Server listening" "$T/out/sshd.log" || { fail "sshd did not start: $(cat "$T/out/sshd.log")"; finish; }
}

ssh_user() {
	ssh -q -i "$T/ssh/client" -p "$SSHD_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -l "$E2E_USER" "$@"
}


# in_private_mounts "$@": re-run this test (from its start, after lib.sh
# is sourced) in its own mount namespace, so its mounts (tmpfs, remounts,
# a /dev/log) are invisible to the rest of the machine and vanish with
# it. Returns 0 once inside (LO_PRIVATE_MOUNTS=1), 1 when that cannot be
# done (not root, no unshare -m).
in_private_mounts() {
	[ -n "${LO_PRIVATE_MOUNTS:-}" ] && return 0
	[ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null || return 1
	# The run in the namespace (same pid, so same user name) starts over.
	at_exit_run
	rm -rf "$T"
	LO_PRIVATE_MOUNTS=1 exec unshare -m --propagation private sh "$0" "$@"
}

# capture_syslog: inside in_private_mounts only. /dev becomes a tmpfs with
# the host's null, zero, full, random, urandom and tty bound in, and a
# /dev/log whose datagrams (pam_syslog, syslog(3)) a listener appends to
# $T/out/syslog, one a line. Returns 1 when that cannot be set up.
capture_syslog() {
	[ -n "${LO_PRIVATE_MOUNTS:-}" ] || return 1
	# Each node is carried over through a file bind in $T, unmounted at
	# once: never a bind of the host's /dev directory under $T, which
	# the cleanup's rm -rf would walk into.
	for n in null zero full random urandom tty; do
		touch "$T/.dev-$n" && mount --bind "/dev/$n" "$T/.dev-$n" || return 1
	done
	mount -t tmpfs -o mode=0755 lo-dev /dev || return 1
	for n in null zero full random urandom tty; do
		touch "/dev/$n" && mount --bind "$T/.dev-$n" "/dev/$n" && umount "$T/.dev-$n" || return 1
		rm -f "$T/.dev-$n"
	done
	ln -s /proc/self/fd /dev/fd
	python3 - "$T/devlog" "$T/out/syslog" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(300)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            f.write(s.recv(65536).decode(errors="replace").rstrip("\n") + "\n")
            f.flush()
    except socket.timeout:
        pass
PY
	SYSLOG_PID=$!
	at_exit 'kill $SYSLOG_PID 2>/dev/null'
	wait_for 5 test -S "$T/devlog" || return 1
	ln -s "$T/devlog" /dev/log
}

# syslog_sync: wait until everything logged so far is in $T/out/syslog:
# a marker sent now through /dev/log comes after it (one socket, read in
# order), so once the marker is there, what was logged before is too,
# and what is not there was not logged.
syslog_sync() {
	_mark="lo-test-sync-$$-$(date +%s%N)"
	logger -t lo-test -- "$_mark" 2>/dev/null || { fail "logger: cannot log to /dev/log"; return 1; }
	wait_for 10 grep -q -- "$_mark" "$T/out/syslog" || { fail "syslog marker $_mark did not arrive"; return 1; }
}

# group_alive PGID: the live (not zombie) processes of process group PGID,
# one pid a line. A zombie is dead; reaping it is its parent's business.
group_alive() {
	ps -e -o pid=,pgid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
}
