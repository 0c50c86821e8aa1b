#!/bin/sh
# The audit line of the logoffs logoff(1) asks for (src/core/audit.h):
# `logoff SESSION` names "logoff by uid N" whether the login manager
# closes the session (the reason carried in the record) or logoff(1)
# runs the chain itself; `logoff --gc` names "stale"; a release that
# fails is "partial" with what lives on; a user name with control
# characters reaches the line made safe. Exactly one line per logoff.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a private /dev/log, mounts)"
in_private_mounts "$@" || skip "no private mount namespace"
capture_syslog || skip "cannot set up a private /dev/log"
LOGOFF="$top_builddir/logoff"
LO_TIMEOUT=4 write_conf "exclude_users ="
write_service al
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }

# open_session N CMD: a session running CMD; sets SID and LEADER.
open_session() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" al "$TEST_USER" "$2" \
		> "$T/out/s$1.env" 2> "$T/out/s$1.err" &
	LEADER=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s$1.env" || fail "session $1 did not open: $(cat "$T/out/s$1.err")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s$1.env")
	wait_for 5 test -e "$T/reg/sessions/$SID"
}
lines() { grep -c "logoff: session $1 " "$T/out/syslog"; }
one_line() {
	[ "$(lines "$1")" -eq 1 ] && ok "one audit line for $1" || fail "$(lines "$1") audit lines for $1: $(grep "session $1 " "$T/out/syslog")"
}
UID0=$(id -u)

# 1. logoff SESSION; the login manager closes it: its close_session
# writes the line, with the reason logoff(1) left in the record.
open_session 1 'sleep 300'
s1=$SID l1=$LEADER
lo "$s1" > "$T/out/l1.out" 2>&1 || fail "logoff $s1: $(cat "$T/out/l1.out")"
wait "$l1"
syslog_sync
assert_grep "pam_session_test: logoff: session $s1 (al-$s1) user $TEST_USER uid $UID0: reason logoff by uid $UID0: result done\$" "$T/out/syslog"
one_line "$s1"

# 2. logoff SESSION; the login manager does not close it (its work
# ignores the hangup and keeps running): logoff(1) runs the chain and
# writes the line itself.
# Its close_session afterwards finds no record and writes nothing.
open_session 2 'trap "" HUP TERM; while [ ! -e "'"$T"'/out/go2" ]; do sleep 0.2; done'
s2=$SID l2=$LEADER
lo "$s2" > "$T/out/l2.out" 2>&1 || fail "logoff $s2: $(cat "$T/out/l2.out")"
touch "$T/out/go2"
wait "$l2"
syslog_sync
assert_grep "logoff\[[0-9]*\]: logoff: session $s2 (al-$s2) user $TEST_USER uid $UID0: reason logoff by uid $UID0: result done\$" "$T/out/syslog"
one_line "$s2"

# 3. logoff --gc: a stale session, reason stale.
open_session 3 'sleep 300'
s3=$SID l3=$LEADER
kill -KILL "$l3"; wait "$l3" 2>/dev/null
lo --gc > "$T/out/gc3.out" 2>&1
syslog_sync
assert_grep "logoff: session $s3 (al-$s3) user $TEST_USER uid $UID0: reason stale: result done\$" "$T/out/syslog"
one_line "$s3"

# 4. A release that fails (a mount in the TMPDIR): partial, naming what
# lives on, at warning (<84>).
open_session 4 'mkdir "$TMPDIR/m" && mount -t tmpfs lo-test "$TMPDIR/m" && echo m > "'"$T"'/out/mounted4"; sleep 300'
s4=$SID l4=$LEADER
wait_for 5 test -s "$T/out/mounted4" || fail "no mount in session $s4's TMPDIR"
kill -KILL "$l4"; wait "$l4" 2>/dev/null
lo --gc > "$T/out/gc4.out" 2>&1
syslog_sync
assert_grep "^<84>.*logoff: session $s4 (al-$s4) user $TEST_USER uid $UID0: reason stale: result partial: path $T/tmpbase/$s4\$" "$T/out/syslog"
umount "$T/tmpbase/$s4/m"
lo --gc > /dev/null 2>&1
assert_gone "$T/reg/sessions/$s4"

# 5. A user name with an escape sequence, a space and a colon (NSS may
# give one): made safe, one token, no control byte in syslog.
open_session 5 'sleep 300'
s5=$SID l5=$LEADER
kill -KILL "$l5"; wait "$l5" 2>/dev/null
sed -i 's/^user .*/user ev%1B%5D0;il:%20result%20done/' "$T/reg/sessions/$s5"
lo --gc > "$T/out/gc5.out" 2>&1
syslog_sync
grep -F "logoff: session $s5 (al-$s5) user ev?]0;il??result?done uid $UID0: reason stale: result done" "$T/out/syslog" > /dev/null \
	&& ok "hostile user name made safe" || fail "hostile user: $(grep "session $s5 " "$T/out/syslog")"
if LC_ALL=C grep -q "$(printf '\033')" "$T/out/syslog"; then fail "an escape byte reached syslog"; else ok "no escape byte in syslog"; fi
finish
