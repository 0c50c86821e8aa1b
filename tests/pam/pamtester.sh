#!/bin/sh
# PAM-level: pamtester under pam_wrapper (the service file comes from the
# work dir; /etc/pam.d is never read) opens and closes a session in one
# run. Asserts on the side effects, never on the exit code alone.
. "${top_srcdir:-.}/tests/lib.sh"

[ -x "${PAMTESTER:-}" ] || skip "pamtester not installed (apt-get install pamtester)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed (apt-get install libpam-wrapper)"

write_conf
write_service pamtester-logoff
hook logon.d 10-mark 'echo "$LOGOFF_SESSION_ID" > "'"$T"'/out/logon.id"; ls -d "'"$T"'/tmpbase/$LOGOFF_SESSION_ID" > "'"$T"'/out/logon.tmpdir"; env > "'"$T"'/out/logon.env"'
hook logoff.d 10-mark 'echo "$LOGOFF_SESSION_ID" > "'"$T"'/out/logoff.id"'

ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	"$PAMTESTER" -v pamtester-logoff "$TEST_USER" open_session close_session \
	> "$T/out/pamtester.log" 2>&1
rc=$?
cat "$T/out/pamtester.log"
[ "$rc" -eq 0 ] && ok "pamtester open_session close_session" || fail "pamtester exit $rc"
id=$(cat "$T/out/logon.id" 2>/dev/null)
[ -n "$id" ] && ok "logon hook ran for session $id" || fail "logon hook did not run"
[ "$(cat "$T/out/logoff.id" 2>/dev/null)" = "$id" ] && ok "logoff hook ran for the same session" \
	|| fail "logoff hook did not run for session $id"
assert_grep "$T/tmpbase/$id" "$T/out/logon.tmpdir"
assert_gone "$T/tmpbase/$id"
assert_gone "$T/reg/sessions/$id"
# pamtester runs with LD_PRELOAD set: the hook must not inherit it.
assert_no_grep "LD_PRELOAD" "$T/out/logon.env"
assert_no_grep "PAM_WRAPPER" "$T/out/logon.env"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
finish
