#!/bin/sh
# Where close_session runs the logoff chain. With tmpdir, processes and
# hooks, no logoff hook and an empty TMPDIR, nothing the session tracks
# can block: the chain runs in the login manager's own process, no closer
# is forked. A file in the TMPDIR (its removal may meet a mount) or a
# logoff hook (a process of its own) gets the forked closer, as before.
# In process no parent enforces [logoff] timeout, so the processes
# provider's waits end there themselves: a process that ignores SIGTERM,
# with a grace far beyond the timeout, is killed with SIGKILL at the
# deadline. Under su or sudo (mixed ids) the closer is always forked.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a user whose processes are ended, a private /dev/log)"
in_private_mounts "$@" || skip "no private mount namespace"
capture_syslog || skip "cannot set up a private /dev/log"
make_user
LO_MATCH=user write_conf
write_service inproc

# session NAME WORK: one session of the user running WORK (as root, in
# the session's environment); sets ID and TMP, RC the exit status.
session() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" inproc "$E2E_USER" \
		"echo \"tmp=\$TMPDIR\"; $2" > "$T/out/$1" 2> "$T/out/$1.err"
	RC=$?
	syslog_sync
	ID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1")
	TMP=$(sed -n 's/^tmp=//p' "$T/out/$1")
	[ -n "$ID" ] && [ -n "$TMP" ] || fail "$1: no session: $(cat "$T/out/$1" "$T/out/$1.err")"
}

# 1. Nothing that can block: in this process.
session plain ":"
[ "$RC" -eq 0 ] && ok "plain: close succeeded" || fail "plain: exit $RC: $(cat "$T/out/plain.err")"
assert_gone "$TMP"
assert_gone "$T/reg/sessions/$ID"
assert_grep "session $ID: every provider logged off in this process" "$T/out/syslog"
assert_no_grep "session $ID: tracks what may block" "$T/out/syslog"

# 2. A file in the TMPDIR: a forked closer removes the tree.
session filled 'echo data > "$TMPDIR/file"; mkdir "$TMPDIR/d"; echo x > "$TMPDIR/d/f"'
[ "$RC" -eq 0 ] && ok "filled: close succeeded" || fail "filled: exit $RC: $(cat "$T/out/filled.err")"
assert_gone "$TMP"
assert_gone "$T/reg/sessions/$ID"
assert_grep "session $ID: tracks what may block; logged off by a forked closer" "$T/out/syslog"
assert_no_grep "session $ID: every provider logged off in this process" "$T/out/syslog"

# 3. A logoff hook: it runs under the forked closer, never under the
# login manager (here pam_session_test).
hook logoff.d 10-parent 'cat /proc/$PPID/comm > "'"$T"'/out/hook-parent"'
session hooked ":"
[ "$RC" -eq 0 ] && ok "hooked: close succeeded" || fail "hooked: exit $RC: $(cat "$T/out/hooked.err")"
assert_grep "^logoff-close\$" "$T/out/hook-parent"
assert_gone "$TMP"
assert_gone "$T/reg/sessions/$ID"
assert_no_grep "session $ID: every provider logged off in this process" "$T/out/syslog"
rm -f "$T/logoff.d/10-parent"

# 4. In process, the deadline: timeout 1 s, grace 30 s, and a process of
# the user that ignores SIGTERM. The provider's SIGTERM wait ends at the
# deadline, SIGKILL follows: the process is dead and the session logged
# off. (A forked closer would have been killed at 1 s instead, leaving the
# process alive until the sweep.)
LO_MATCH=user LO_TIMEOUT=1 write_conf
sed -i 's/^grace = .*/grace = 30/' "$T/logoff.conf"
start=$(date +%s%N)
session deadline "setpriv --reuid=$E2E_USER --regid=\$(id -g $E2E_USER) --init-groups \
	setsid sh -c 'trap \"\" TERM; echo \$\$ > $T/out/stubborn.tmp; mv $T/out/stubborn.tmp $T/out/stubborn.pid; exec sleep 300' \
	< /dev/null > /dev/null 2>&1 &
	n=0; while [ ! -s $T/out/stubborn.pid ] && [ \$n -lt 100 ]; do sleep 0.1; n=\$((n + 1)); done"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
pid=$(cat "$T/out/stubborn.pid" 2>/dev/null)
[ -n "$pid" ] || fail "the stubborn process did not start"
[ "$RC" -eq 0 ] && ok "deadline: close succeeded" || fail "deadline: exit $RC: $(cat "$T/out/deadline.err")"
[ -n "$pid" ] && assert_dead "$pid" "ignores SIGTERM, killed at the deadline"
assert_grep "session $ID: processes: logged off: match=user: ended 1 process (1 with SIGKILL)" "$T/out/syslog"
assert_grep "session $ID: every provider logged off in this process" "$T/out/syslog"
# Far below the 30 s grace a wait without the deadline would take.
[ "$ms" -lt 10000 ] && ok "deadline: the session took $ms ms (timeout 1 s, grace 30 s)" ||
	fail "deadline: the session took $ms ms"
assert_gone "$TMP"
assert_gone "$T/reg/sessions/$ID"
finish
