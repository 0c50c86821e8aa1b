#!/bin/sh
# logoff --user NAME on this host: every session of NAME is logged off as
# `logoff SESSION` would (records gone, login managers closed them and
# exited), sessions of other users are left; no session is exit 0; a
# user who is not root may not name another user (exit 3, nothing
# touched: checked as nobody when the tests run as root).
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
# match=audit (the default) and no audit session: only what descends from
# each session's login manager is the session's (see tests/cli/logoff.sh).
LO_TIMEOUT=10 write_conf "exclude_users ="
write_service lt
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }

open_session() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$TEST_USER" 'sleep 300' \
		> "$T/out/s$1.env" 2> "$T/out/s$1.err" &
	LEADER=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s$1.env" || fail "session $1 did not open: $(cat "$T/out/s$1.err")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s$1.env")
}

open_session 1; s1=$SID l1=$LEADER
open_session 2; s2=$SID l2=$LEADER

# Another user's sessions: refused for anyone but root, nothing touched.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0755 "$T"
	runuser -u nobody -- "$LOGOFF" --config "$T/logoff.conf" --user "$TEST_USER" > "$T/out/deny" 2>&1
	rc=$?
	[ "$rc" -eq 3 ] && ok "nobody's --user $TEST_USER: exit 3" || fail "nobody's --user: exit $rc: $(cat "$T/out/deny")"
	assert_grep "permission denied" "$T/out/deny"
	assert_exists "$T/reg/sessions/$s1"
	assert_exists "$T/reg/sessions/$s2"
fi

lo --user lo-no-such-user > "$T/out/none" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "--user with no session: exit 0" || fail "--user with no session: exit $rc"
assert_grep "No sessions of lo-no-such-user" "$T/out/none"

lo --user "$TEST_USER" > "$T/out/user" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "--user $TEST_USER: exit 0" || fail "--user: exit $rc: $(cat "$T/out/user")"
assert_grep "Session $s1 .*logged off" "$T/out/user"
assert_grep "Session $s2 .*logged off" "$T/out/user"
assert_gone "$T/reg/sessions/$s1"
assert_gone "$T/reg/sessions/$s2"
wait_for_gone "$l1" "$l2" && ok "both login managers closed their session and exited" || fail "login managers still running"
finish
