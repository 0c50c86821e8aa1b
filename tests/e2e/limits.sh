#!/bin/sh
# End-to-end session time limits ([limits], `logoff --limits`) against
# real ssh logins with a pty (ssh -tt; sshd on loopback, its PAM service
# from pam_wrapper). Each client reads its input from a FIFO the test
# holds open, so the test types into the session's terminal, and its
# output (the session's terminal) is a file the test reads. The test runs
# the sweep itself, as the logoff-limits timer would:
#  - idle: the warning reaches the session's terminal; input during the
#    warning cancels it ("logoff cancelled" on the terminal); without
#    input the session is logged off at the limit (client disconnected,
#    record gone);
#  - active: a session that is typed into all along is warned and ended;
#  - exempt_users, protected_ttys: such a session is left alone;
#  - a bad value is refused by --check-config and at open_session;
#  - a symlink planted as a session's state file is refused, not
#    followed, and its target left as it was.
# Idle is a terminal's atime, which Linux moves at most once per 8-second
# bucket (tty_update_time): the idle limit minus the warning is more than
# 8 s, so the input after a warning always moves it.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (sshd, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
make_user

svc=logoff-limits
cat > "$T/pam.d/$svc" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
# limits_conf INI: the test's config with INI appended as [limits].
limits_conf() { LO_MATCH=auto LO_TIMEOUT=10 write_conf "[limits]" "$@"; }
limits_conf "idle = 20s" "warn = 6s"
"$top_builddir/logoff" --check-config "$T/logoff.conf" > "$T/out/check.out" 2>&1 \
	&& ok "--check-config accepts the test's [limits]" || fail "--check-config: $(cat "$T/out/check.out")"
start_sshd "$svc"
lo() { "$top_builddir/logoff" --config "$T/logoff.conf" "$@"; }

# ssh_session N: an ssh login with a pty whose command is cat (it reads
# the terminal: every line typed is input). Input comes from FIFO
# $T/in.N, held open by fd 3+N here; sets SID, CLIENT.
ssh_session() {
	mkfifo "$T/in.$1"
	eval "exec $(($1 + 3))<>\"\$T/in.$1\""
	ssh_user -tt 127.0.0.1 'echo "id=$LOGOFF_SESSION_ID tty=$(tty)"; exec cat' \
		< "$T/in.$1" > "$T/out/ssh$1.out" 2> "$T/out/ssh$1.err" &
	CLIENT=$!
	wait_for 15 grep -qs '^id=' "$T/out/ssh$1.out" || fail "ssh session $1 did not start: $(cat "$T/out/ssh$1.err"; tail -5 "$T/out/sshd.log")"
	SID=$(sed -n 's/^id=\([^ ]*\) .*/\1/p' "$T/out/ssh$1.out" | tr -d '\r')
	[ -n "$SID" ] && [ -e "$T/reg/sessions/$SID" ] && ok "ssh session $1 is $SID" || fail "no record for ssh session $1 ('$SID')"
}
# type_into N TEXT: a line typed on session N's terminal.
type_into() { printf '%s\n' "$2" >&"$(($1 + 3))"; }
# sweep_until SECONDS CMD...: run the sweep (-v, appended to
# $T/out/sweep.log) once a second until CMD succeeds; fails after SECONDS.
sweep_until() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		lo --limits -v >> "$T/out/sweep.log" 2>&1
		"$@" && return 0
		_n=$((_n - 1))
		sleep 1
	done
	return 1
}
count() { grep -c -- "$1" "$2" 2>/dev/null || true; }

# 1. Idle: warned, input cancels, then without input logged off.
ssh_session 1
s1=$SID c1=$CLIENT
sweep_until 40 grep -q "will be logged off in" "$T/out/ssh1.out" \
	&& ok "idle warning on the session's terminal" || fail "no warning: $(cat "$T/out/ssh1.out"; tail -5 "$T/out/sweep.log")"
assert_grep "(idle limit 20s). Press a key" "$T/out/ssh1.out"
assert_grep "^$s1 .*idle limit 20s: warn" "$T/out/sweep.log"
assert_exists "$T/reg/limits/$s1"
type_into 1 "still here"
wait_for 5 grep -q "still here" "$T/out/ssh1.out" || fail "input did not reach the session"
sweep_until 10 grep -q "logoff cancelled" "$T/out/ssh1.out" \
	&& ok "input during the warning cancelled the logoff" || fail "not cancelled: $(tail -5 "$T/out/sweep.log")"
assert_gone "$T/reg/limits/$s1"
assert_alive "$c1" "ssh client of the cancelled session"
assert_exists "$T/reg/sessions/$s1"
# No more input: warned again, then logged off at the limit.
sweep_until 40 sh -c "[ \$(grep -c 'will be logged off in' '$T/out/ssh1.out') -ge 2 ]" \
	&& ok "warned again once idle again" || fail "no second warning: $(tail -5 "$T/out/sweep.log")"
sweep_until 20 sh -c "! kill -0 $c1 2>/dev/null" \
	&& ok "idle session $s1 logged off: the ssh client saw it end" || fail "ssh client $c1 still connected: $(tail -5 "$T/out/sweep.log")"
assert_gone "$T/reg/sessions/$s1"
assert_gone "$T/reg/limits/$s1"
assert_grep "^$s1 .*idle limit 20s: logoff" "$T/out/sweep.log"
assert_grep "Session $s1 .* logged off" "$T/out/sweep.log"
# Its warning came at least `warn` before the action: the sweep said how
# long it would wait.
assert_grep "^$s1 .*idle limit 20s: warned, logoff in [1-6] s" "$T/out/sweep.log"

# 2. Active: ended while busy. A planted symlink as its state file is
# refused first.
limits_conf "active = 14s" "warn = 4s"
ssh_session 2
s2=$SID c2=$CLIENT
mkdir -p -m 0700 "$T/reg/limits"
echo "warned $(( $(date +%s) - 100 )) active" > "$T/out/planted"
cp "$T/out/planted" "$T/out/planted.orig"
ln -s "$T/out/planted" "$T/reg/limits/$s2"
lo --limits -v > "$T/out/hostile.log" 2>&1
assert_grep "refusing its limits state file" "$T/out/hostile.log"
cmp -s "$T/out/planted" "$T/out/planted.orig" && ok "symlink target untouched" || fail "symlink target changed"
[ -L "$T/reg/limits/$s2" ] && fail "planted symlink still there" || ok "planted symlink removed"
assert_exists "$T/reg/sessions/$s2"
assert_no_grep "will be" "$T/out/ssh2.out"
# Type all along: a line a second until the client ends.
( while kill -0 "$c2" 2>/dev/null; do type_into 2 busy; sleep 1; done ) &
typist=$!
at_exit "kill $typist 2>/dev/null"
sweep_until 30 grep -q "will be logged off in" "$T/out/ssh2.out" \
	&& ok "active warning on the busy session's terminal" || fail "no active warning: $(tail -5 "$T/out/sweep.log")"
assert_grep "(active limit 14s). Save your work" "$T/out/ssh2.out"
sweep_until 20 sh -c "! kill -0 $c2 2>/dev/null" \
	&& ok "busy session $s2 ended at its active limit" || fail "busy session still there: $(tail -5 "$T/out/sweep.log")"
assert_gone "$T/reg/sessions/$s2"
assert_grep "^$s2 .*active limit 14s: logoff" "$T/out/sweep.log"
[ "$(count busy "$T/out/ssh2.out")" -ge 3 ] && ok "it was typed into all along" || fail "too little input: $(count busy "$T/out/ssh2.out")"
assert_no_grep "logoff cancelled" "$T/out/ssh2.out"
kill "$typist" 2>/dev/null

# 3. Exempt: a limit already passed, no warning, no action.
limits_conf "active = 1s" "warn = 0" "exempt_users = root, $E2E_USER"
t3=$(date +%s)
ssh_session 3
s3=$SID c3=$CLIENT
# A second login: a run over several sessions (one /proc index for all).
ssh_session 4
s4=$SID c4=$CLIENT
# Past its active limit for sure (the clock passes a point: no fixed
# sleep); had the user not been exempt, this sweep, which returns only
# after it logged a session off, would have ended it.
wait_for 10 sh -c "[ \$(date +%s) -ge $((t3 + 3)) ]"
# On a protected tty (sshd's PAM_TTY is "ssh"): skipped the same way.
LO_LOGOFF_EXTRA="protected_ttys = console, ssh" limits_conf "active = 1s" "warn = 0"
lo --limits -v > "$T/out/protected.log" 2>&1
assert_grep "^$s3 .*on a protected tty; skipped" "$T/out/protected.log"
assert_alive "$c3" "protected session's ssh client"
limits_conf "active = 1s" "warn = 0" "exempt_users = root, $E2E_USER"
lo --limits -v > "$T/out/exempt.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "--limits: exit 0" || fail "--limits: exit $rc: $(cat "$T/out/exempt.log")"
assert_grep "^$s3 .*exempt; skipped" "$T/out/exempt.log"
assert_grep "^$s4 .*exempt; skipped" "$T/out/exempt.log"
assert_grep "0 sessions checked: 0 warned, 0 cancelled, 0 logged off, 0 disconnected, 0 failed" "$T/out/exempt.log"
assert_alive "$c3" "exempt session's ssh client"
assert_exists "$T/reg/sessions/$s3"
assert_no_grep "will be logged off" "$T/out/ssh3.out"
# The same session, no longer exempt: ended by the next sweep (the
# control that the exemption above was what kept it).
limits_conf "active = 1s" "warn = 0"
lo --limits -v > "$T/out/control.log" 2>&1
assert_grep "^$s3 .*active limit 1s: logoff" "$T/out/control.log"
assert_grep "^$s4 .*active limit 1s: logoff" "$T/out/control.log"
assert_grep "2 sessions checked: 0 warned, 0 cancelled, 2 logged off, 0 disconnected, 0 failed" "$T/out/control.log"
wait_for_gone "$c3" "$c4" && ok "not exempt: both logged off" || fail "session 3 or 4 still there"
assert_gone "$T/reg/sessions/$s3"
assert_gone "$T/reg/sessions/$s4"

# 4. A bad [limits] value: --check-config names file, line and key, and
# open_session refuses the login as for any other bad config.
limits_conf "idle = 15 minutes" "action = kill"
lo --check-config > "$T/out/bad.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "--check-config of a bad [limits]: exit 2" || fail "--check-config: exit $rc"
assert_grep "logoff.conf:[0-9]*: \[limits\] idle = '15 minutes': expected a duration" "$T/out/bad.out"
assert_grep "logoff.conf:[0-9]*: \[limits\] action = 'kill': not one of the allowed values: logoff, disconnect" "$T/out/bad.out"
n_before=$(records)
ssh_user -tt 127.0.0.1 'echo opened-$LOGOFF_SESSION_ID' > "$T/out/bad.ssh" 2>&1 < /dev/null
assert_no_grep "opened-" "$T/out/bad.ssh"
[ "$(records)" -eq "$n_before" ] && ok "no record for the refused login" || fail "a record was made"
wait_for 5 grep -q "idle = '15 minutes'" "$T/out/sshd.log" \
	&& ok "open_session logged the bad value" || fail "no config error in sshd's log: $(tail -5 "$T/out/sshd.log")"

# --limits needs root (the user runs a copy it can reach).
limits_conf "idle = 15min"
mkdir -p "$T/bin"
cp "$top_builddir/logoff" "$T/bin/logoff"
cp "$HELPER" "$T/bin/logoff-helper"
chmod 0755 "$T/bin" "$T/bin/logoff"
runuser -u "$E2E_USER" -- "$T/bin/logoff" --config "$T/logoff.conf" --limits > "$T/out/user.out" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "user's --limits: exit 3" || fail "user's --limits: exit $rc: $(cat "$T/out/user.out")"
assert_grep "limits needs root" "$T/out/user.out"
finish
