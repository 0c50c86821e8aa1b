#!/bin/sh
# An unprivileged close, as systemd's (sd-pam) does it: the session is
# opened as root, and pam_close_session is called by a process that has
# dropped to the user's uid, gid and groups. The logoff needs root, so
# close_session attempts nothing and returns success (no message reaches
# the user); the record stays and, once the opening process is gone,
# shows as stale; `logoff --gc` as root then completes the release
# exactly once: the TMPDIR, the hook, the record. (Ending the processes
# of such a session is the processes provider's part, tested with real
# login managers in tests/e2e; here the opener has no audit session.)
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a root-owned registry and a user to drop to)"
make_user
LOGOFF="$top_builddir/logoff"
# No sweep from open_session: it would log the session off as soon as the
# opener is gone, before the test looks (a fresh gc-stamp, a long interval).
LO_LOGOFF_EXTRA="gc_interval = 3600" write_conf
chmod 0755 "$T"
mkdir -m 0755 "$T/reg" && touch "$T/reg/gc-stamp"
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/hook.ran"'
write_service unpriv

work='echo "tmp=$TMPDIR"'
PAM_TEST_CLOSE_AS="$E2E_USER" "$top_builddir/tests/pam/pam_session_test" "$T/pam.d" unpriv "$E2E_USER" \
	"$work" > "$T/out/s" 2> "$T/out/err"
rc=$?
[ "$rc" -eq 0 ] && ok "close as the user returns success" || fail "exit $rc: $(cat "$T/out/err")"
[ -s "$T/out/err" ] && fail "the user saw: $(cat "$T/out/err")" || ok "nothing reported to the user"
id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s")
tmp=$(sed -n 's/^tmp=//p' "$T/out/s")
[ -n "$id" ] && [ -n "$tmp" ] || { fail "no session: $(cat "$T/out/s")"; finish; }

# Nothing needing root was attempted: all still there.
assert_exists "$T/reg/sessions/$id"
assert_exists "$tmp"
assert_no_grep "^$id\$" "$T/out/hook.ran"

# The opener is gone: the session is stale, and the sweep finishes it.
"$LOGOFF" --config "$T/logoff.conf" --list > "$T/out/list" 2>&1
assert_grep "$id.*stale" "$T/out/list"
"$LOGOFF" --config "$T/logoff.conf" --gc > "$T/out/gc" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "logoff --gc exits 0" || fail "logoff --gc exit $rc: $(cat "$T/out/gc")"
assert_gone "$T/reg/sessions/$id"
assert_gone "$tmp"
[ "$(grep -c "^$id\$" "$T/out/hook.ran")" -eq 1 ] && ok "the logoff hook ran once" ||
	fail "logoff hook ran $(grep -c "^$id\$" "$T/out/hook.ran" 2>/dev/null) times"

# A second sweep finds nothing: released exactly once.
"$LOGOFF" --config "$T/logoff.conf" --gc > "$T/out/gc2" 2>&1
assert_grep "No stale sessions" "$T/out/gc2"
[ "$(grep -c "^$id\$" "$T/out/hook.ran")" -eq 1 ] && ok "still once after a second sweep" ||
	fail "logoff hook ran again"
finish
