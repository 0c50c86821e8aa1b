#!/bin/sh
# The module argument providers=LIST replaces [logoff] providers for that
# pam.d line (cron gets providers=tmpdir while interactive logins get the
# full chain): only those providers log on and off; [logoff] required
# keeps only names in LIST; a LIST with an unknown provider fails
# open_session and leaves no record.
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
LO_LOGOFF_EXTRA="required = tmpdir processes" write_conf
hook logoff.d 10-mark 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/hook.ran"'
hook logon.d 10-mark 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/logon.ran"'
write_service only-tmpdir "providers=tmpdir"
write_service tmpdir-hooks "providers=tmpdir,hooks"
write_service bogus "providers=tmpdir,bogus"
write_service full

status() { echo "'$LOGOFF' --config '$T/logoff.conf' --status \$LOGOFF_SESSION_ID; echo tmp=\$TMPDIR"; }

# 1. providers=tmpdir: TMPDIR, no hooks, no processes provider.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" only-tmpdir "$TEST_USER" "$(status)" > "$T/out/s1" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "providers=tmpdir: open and close" || fail "exit $rc: $(cat "$T/out/s1")"
s1=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s1")
assert_grep "^  tmpdir .*logged-on" "$T/out/s1"
assert_no_grep "^  processes " "$T/out/s1"
assert_no_grep "^  hooks " "$T/out/s1"
assert_no_grep "^$s1\$" "$T/out/logon.ran"
assert_no_grep "^$s1\$" "$T/out/hook.ran"
assert_gone "$(sed -n 's/^tmp=//p' "$T/out/s1")"

# 2. providers=tmpdir,hooks: the hooks run, in that order's reverse at logoff.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" tmpdir-hooks "$TEST_USER" "$(status)" > "$T/out/s2" 2>&1
s2=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s2")
assert_grep "^  hooks .*logged-on" "$T/out/s2"
assert_no_grep "^  processes " "$T/out/s2"
assert_grep "^$s2\$" "$T/out/logon.ran"
assert_grep "^$s2\$" "$T/out/hook.ran"

# 3. Without the argument the config's providers apply.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" full "$TEST_USER" "$(status)" > "$T/out/s3" 2>&1
assert_grep "^  processes .*logged-on" "$T/out/s3"

# 4. An unknown provider in the argument fails open_session; no record.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" bogus "$TEST_USER" true > "$T/out/s4" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "providers=tmpdir,bogus: open_session fails" || fail "exit $rc, wanted 1: $(cat "$T/out/s4")"
assert_no_grep "^LOGOFF_SESSION_ID=" "$T/out/s4"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
finish
