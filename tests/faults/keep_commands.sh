#!/bin/sh
# keep_commands by identity: a kept program is the listed root-owned file
# (device and inode of the program the process runs), never a name or a
# path. A root-owned copy of sleep listed by absolute path survives both
# close_session and `logoff SESSION`; a user's own copy is ended, and so is
# another root-owned program (/bin/sleep) that the user bind-mounts over
# the kept path in an unprivileged user namespace (unshare -Urm), whose
# /proc/PID/exe then names the kept path;
# and a program run from a FUSE mount whose server is stopped neither
# holds the close (the look-up never asks the server) nor is kept.
# Root only; match=user with a throwaway user, so every process of that
# user is the session's.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a throwaway user, bind mounts, FUSE)"
LOGOFF="$top_builddir/logoff"
make_user
K=/tmp/lo-keep-$$		# root's: the kept program
F=/tmp/lo-keepfuse-$$		# a FUSE mount holding a program
mkdir -p "$K" "$F/src" "$F/m"
chmod 0755 "$K" "$F" "$F/src" "$F/m"
cp /bin/sleep "$K/keeper"
chmod 0755 "$K/keeper"
cp /bin/sleep "$F/src/fprog"
chmod 0755 "$F/src/fprog"
UHOME=$(getent passwd "$E2E_USER" | cut -d: -f6)
cp /bin/sleep "$UHOME/mine"
chown "$E2E_USER" "$UHOME/mine"
cleanup_keep() {
	[ -s "$T/out/server" ] && kill -CONT "$(cat "$T/out/server")" 2>/dev/null
	umount -l "$F/m" 2>/dev/null
	pkill -KILL -u "$E2E_USER" 2>/dev/null
	rm -rf "$K" "$F"
}
at_exit cleanup_keep

LO_MATCH=user LO_TIMEOUT=4 LO_PROVIDERS="processes" write_conf \
	"exclude_users = root" "keep_commands = $K/keeper"
sed -i 's/^grace = .*/grace = 1/' "$T/logoff.conf"
write_service keep
asuser() { setpriv --reuid="$E2E_USER" --regid="$E2E_USER" --init-groups sh -c "$1"; }

# Can this user make a user namespace with a mount namespace?
spoof=yes
if ! asuser "unshare -Urm true" 2>/dev/null; then
	spoof=no
	echo "skip part: unprivileged user namespaces are not allowed here (unshare -Urm as $E2E_USER failed)"
fi

# 1. close_session: the kept program lives on; a user's copy of the same
# program and a bind mount over the kept path do not.
work='. '"$T"'/asuser.sh
asuser "'"$K"'/keeper 300 >/dev/null 2>&1 & echo \$! > '"$T"'/out/kept"
asuser "'"$UHOME"'/mine 300 >/dev/null 2>&1 & echo \$! > '"$T"'/out/copy"
if [ '"$spoof"' = yes ]; then
	asuser "unshare -Urm sh -c '"'"'mount --bind /bin/sleep '"$K"'/keeper && echo \$\$ > '"$T"'/out/spoof && exec '"$K"'/keeper 300'"'"' >/dev/null 2>&1 &"
	"'"$WAIT_FOR"'" 5 test -s '"$T"'/out/spoof
	runs_wait '"$T"'/out/spoof keeper
fi
runs_wait '"$T"'/out/kept keeper
runs_wait '"$T"'/out/copy mine'
cat > "$T/asuser.sh" <<EOF
asuser() { setpriv --reuid="$E2E_USER" --regid="$E2E_USER" --init-groups sh -c "\$1"; }
# runs_wait PIDFILE COMM: wait, up to 5 s, until the process in PIDFILE has
# exec'd COMM: only then is it what the logoff must keep or end.
runs_wait() { "$WAIT_FOR" 5 grep -qx "\$2" "/proc/\$(cat "\$1")/comm"; }
EOF
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" keep "$E2E_USER" "$work" > "$T/out/s1" 2> "$T/out/e1"
rc=$?
[ "$rc" -eq 0 ] && ok "close_session succeeded" || fail "close_session exit $rc: $(cat "$T/out/e1")"
kept=$(cat "$T/out/kept" 2>/dev/null)
[ -n "$kept" ] && assert_alive "$kept" "the kept program after close_session" || fail "no kept program started"
copy=$(cat "$T/out/copy" 2>/dev/null)
[ -n "$copy" ] && { wait_for_gone "$copy"; assert_dead "$copy" "a user's copy of the kept program"; } ||
	fail "no copy started"
if [ "$spoof" = yes ]; then
	sp=$(cat "$T/out/spoof" 2>/dev/null)
	if [ -n "$sp" ]; then
		wait_for_gone "$sp"
		assert_dead "$sp" "/bin/sleep bind-mounted over the kept path (unshare -Urm)"
	else
		fail "the spoofed program did not start: $(cat "$T/out/e1")"
	fi
fi
[ "$(records)" -eq 0 ] && ok "the record is gone" || fail "$(records) records left"
kill "$kept" 2>/dev/null

# 2. logoff SESSION: the command ends the session's processes with the same
# policy: the kept program is not signalled, the rest is, and the session
# closes.
work2='. '"$T"'/asuser.sh
asuser "'"$K"'/keeper 300 >/dev/null 2>&1 & echo \$! > '"$T"'/out/kept2"
asuser "sleep 300"'
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" keep "$E2E_USER" "$work2" > "$T/out/s2" 2> "$T/out/e2" &
leader=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s2" || fail "session 2 did not open: $(cat "$T/out/e2")"
id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s2")
wait_for 5 test -s "$T/out/kept2"
kept2=$(cat "$T/out/kept2" 2>/dev/null)
wait_for 5 pgrep -u "$E2E_USER" -x sleep >/dev/null
"$LOGOFF" --config "$T/logoff.conf" -v "$id" > "$T/out/lo" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "logoff $id: exit 0" || fail "logoff $id: exit $rc: $(cat "$T/out/lo")"
assert_grep "signal SIGHUP, SIGTERM to process .*(sleep)" "$T/out/lo"
assert_no_grep "signal .* to process $kept2 " "$T/out/lo"
wait_for_gone "$leader"
assert_dead "$leader" "the login manager, after it closed the session"
[ -n "$kept2" ] && assert_alive "$kept2" "the kept program after logoff SESSION" || fail "no kept program in session 2"
assert_gone "$T/reg/sessions/$id"
kill "$kept2" 2>/dev/null

# 3. A program on a FUSE mount whose server is stopped: with keep_commands
# set, close_session still returns within [logoff] timeout + 1 s, and the
# process is ended (it cannot be shown to be a kept program). The work's
# sleep 1.5 lets the kernel's cached attributes of the mount expire (1 s):
# a clock, not an event, so that a look at the program must ask the
# stopped server.
bindfs -o allow_other "$F/src" "$F/m" 2>"$T/out/bindfs" || skip "bindfs cannot mount: $(cat "$T/out/bindfs")"
pgrep -n -x bindfs > "$T/out/server"
work3='. '"$T"'/asuser.sh
asuser "'"$F"'/m/fprog 300 >/dev/null 2>&1 & echo \$! > '"$T"'/out/fprog"
runs_wait '"$T"'/out/fprog fprog
kill -STOP '"$(cat "$T/out/server")"'
sleep 1.5
date +%s%N > '"$T"'/out/t0'
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" keep "$E2E_USER" "$work3" > "$T/out/s3" 2> "$T/out/e3"
rc=$?
ms=$(( ($(date +%s%N) - $(cat "$T/out/t0")) / 1000000 ))
grep -q "^State:.*stopped" "/proc/$(cat "$T/out/server")/status" &&
	ok "the FUSE server is stopped" || fail "the FUSE server is not stopped"
limit=$([ -n "${LO_PRELOAD:-}" ] && echo 6000 || echo 5000)
[ "$ms" -lt "$limit" ] && ok "close_session returned in $ms ms (timeout 4 s)" ||
	fail "close_session took $ms ms (timeout 4 s, limit $limit ms)"
echo "measured: close_session $ms ms, keep_commands set, a program on a stopped FUSE server"
fp=$(cat "$T/out/fprog" 2>/dev/null)
if [ -n "$fp" ]; then
	wait_for_gone "$fp"
	assert_dead "$fp" "the program on the hung FUSE mount"
else
	fail "the program on the FUSE mount did not start: $(cat "$T/out/e3")"
fi
[ "$rc" -eq 0 ] && ok "close_session succeeded" || fail "close_session exit $rc: $(cat "$T/out/e3")"
kill -CONT "$(cat "$T/out/server")"
umount "$F/m" 2>/dev/null || umount -l "$F/m"
finish
