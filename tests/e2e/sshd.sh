#!/bin/sh
# End-to-end: a real sshd on 127.0.0.1, started through a symlink so its
# PAM service is the test's own (pam_wrapper supplies the service dir),
# with pam_loginuid before pam_logoff. A throwaway user logs in with a
# key, leaves `setsid sleep 1000 &` and a file in $TMPDIR, and logs out.
# Within the grace period: the sleep is gone, the dir is gone, the record
# is gone, the logoff hook ran.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (sshd, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
make_user

LO_MATCH=auto write_conf
svc=logoff-sshd-test
cat > "$T/pam.d/$svc" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
hook logoff.d 10-mark 'echo "$PAM_USER $PAM_SERVICE $LOGOFF_SESSION_ID" > "'"$T"'/out/logoff.ran"'

start_sshd "$svc"
sshd_pid=$SSHD_PID

ssh_user 127.0.0.1 \
	'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo "bg=$!"; echo data > "$TMPDIR/file"; echo "tmpdir=$TMPDIR"; echo "id=$LOGOFF_SESSION_ID"; echo "audit=$(cat /proc/self/sessionid)"' \
	> "$T/out/ssh.out" 2> "$T/out/ssh.err"
rc=$?
[ "$rc" -eq 0 ] && ok "ssh login ran the command" || fail "ssh exit $rc: $(cat "$T/out/ssh.err") -- $(tail -20 "$T/out/sshd.log")"
bg=$(sed -n 's/^bg=//p' "$T/out/ssh.out")
tmpdir=$(sed -n 's/^tmpdir=//p' "$T/out/ssh.out")
id=$(sed -n 's/^id=//p' "$T/out/ssh.out")
audit=$(sed -n 's/^audit=//p' "$T/out/ssh.out")
[ -n "$id" ] && [ "$id" = "$audit" ] && ok "session id $id is the login's audit session" \
	|| fail "LOGOFF_SESSION_ID '$id' vs audit session '$audit'"
[ "$tmpdir" = "$T/tmpbase/$id" ] && ok "TMPDIR $tmpdir" || fail "TMPDIR '$tmpdir'"
# The logoff runs when sshd closes the session: within the grace period.
wait_for 10 test -s "$T/out/logoff.ran" || fail "logoff hook did not run"
assert_grep "$E2E_USER $svc $id" "$T/out/logoff.ran"
wait_for 5 test ! -e "$T/reg/sessions/$id"
[ -n "$bg" ] && assert_dead "$bg" "setsid sleep left behind"
assert_gone "$tmpdir"
assert_gone "$T/reg/sessions/$id"
assert_alive "$sshd_pid" "sshd listener"
finish
