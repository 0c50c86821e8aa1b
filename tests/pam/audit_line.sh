#!/bin/sh
# The audit line of close_session: every logoff writes exactly one line
# to syslog, facility authpriv, naming the session, the user, the reason
# and the result (src/core/audit.h). Here the login manager's own close:
# reason "logout"; logind's id when pam_systemd set one; a reason carried
# in the record is used only when it passes lo_logoff_reason_valid, so a
# forged one (another uid, control characters) falls back to "logout".
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a user's sessions, a private /dev/log)"
in_private_mounts "$@" || skip "no private mount namespace"
capture_syslog || skip "cannot set up a private /dev/log"
make_user
E2E_UID=$(id -u "$E2E_USER")
LO_MATCH=user write_conf
write_service auditline

# session NAME WORK: one session of the user running WORK; sets ID.
session() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" auditline "$E2E_USER" "$2" \
		> "$T/out/$1" 2> "$T/out/$1.err"
	RC=$?
	syslog_sync
	ID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1")
	[ -n "$ID" ] || fail "$1: no session: $(cat "$T/out/$1" "$T/out/$1.err")"
}
# lines ID: the audit lines of session ID.
lines() { grep -c "logoff: session $1 " "$T/out/syslog"; }

# 1. A plain close: reason logout, result done, at notice in authpriv
# (<85>: facility 10 x 8 + priority 5), exactly once.
session plain ":"
[ "$RC" -eq 0 ] || fail "plain: exit $RC: $(cat "$T/out/plain.err")"
assert_grep "^<85>.*logoff: session $ID (auditline-$ID) user $E2E_USER uid $E2E_UID: reason logout: result done\$" "$T/out/syslog"
[ "$(lines "$ID")" -eq 1 ] && ok "one audit line for $ID" || fail "$(lines "$ID") audit lines for $ID"
assert_gone "$T/reg/sessions/$ID"

# 2. logind's id, when pam_systemd gave one, is named beside ours.
PAM_TEST_PUTENV="XDG_SESSION_ID=c7" session logind ":"
assert_grep "logoff: session $ID (auditline-$ID) user $E2E_USER uid $E2E_UID logind c7: reason logout: result done\$" "$T/out/syslog"

# 3. A reason the record carries is the line's: written into the record
# while the session runs, as logoff(1) or the limits sweep would.
set_reason() { # set_reason ID ENCODED-VALUE: into the running session's record
	sed -i "s/^end\$/data @core reason $2\nend/" "$T/reg/sessions/$1"
}
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" auditline "$E2E_USER" \
	"$WAIT_FOR 10 test -e '$T/out/go.idle'" > "$T/out/idle" 2>&1 &
s=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/idle"
ID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/idle")
set_reason "$ID" "idle%20limit%2015min"
touch "$T/out/go.idle"; wait "$s"
syslog_sync
assert_grep "logoff: session $ID (auditline-$ID) user $E2E_USER uid $E2E_UID: reason idle limit 15min: result done\$" "$T/out/syslog"
[ "$(lines "$ID")" -eq 1 ] && ok "one audit line for $ID" || fail "$(lines "$ID") audit lines for $ID"

# 4. Forged reasons are not taken: another uid's logoff, and one with an
# escape sequence. The line says logout, and no control byte reaches it.
# (One output file per session: a file written by the one before could
# be read before the next one's shell truncates it.)
n=0
for forged in "logoff%20by%20uid%204242" "idle%20limit%1B%5B31m" "root%20did%20it"; do
	n=$((n + 1))
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" auditline "$E2E_USER" \
		"$WAIT_FOR 10 test -e '$T/out/go.forged'" > "$T/out/forged$n" 2>&1 &
	s=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/forged$n"
	ID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/forged$n")
	set_reason "$ID" "$forged"
	touch "$T/out/go.forged"; wait "$s"; rm -f "$T/out/go.forged"
	syslog_sync
	assert_grep "logoff: session $ID (auditline-$ID) user $E2E_USER uid $E2E_UID: reason logout: result done\$" "$T/out/syslog"
done
if LC_ALL=C grep -q "$(printf '\033')" "$T/out/syslog"; then fail "an escape byte reached syslog"; else ok "no escape byte in syslog"; fi

# 5. A logoff stopped at [logoff] timeout (a logoff hook that hangs while
# a file exists): "timed out" at warning (<84>); the sweep finishes it
# later with a line of its own, reason stale.
LO_MATCH=user LO_TIMEOUT=2 write_conf
touch "$T/out/hang"
hook logoff.d 10-hang "while [ -e '$T/out/hang' ]; do sleep 0.1; done"
session hung ":"
[ "$RC" -eq 2 ] && ok "timed out: close_session failed" || fail "timed out: exit $RC"
assert_grep "^<84>.*logoff: session $ID (auditline-$ID) user $E2E_USER uid $E2E_UID: reason logout: result timed out\$" "$T/out/syslog"
rm -f "$T/out/hang"
"$top_builddir/logoff" --config "$T/logoff.conf" --gc > "$T/out/gc.out" 2>&1
syslog_sync
assert_grep "logoff: session $ID (auditline-$ID) user $E2E_USER uid $E2E_UID: reason stale: result done\$" "$T/out/syslog"
[ "$(lines "$ID")" -eq 2 ] && ok "two logoffs of $ID, two lines" || fail "$(lines "$ID") audit lines for $ID"
assert_gone "$T/reg/sessions/$ID"
finish
