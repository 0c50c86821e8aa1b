#!/bin/sh
# Hostile: `logoff pts/N` under match = user, with two ssh logins A and B
# of one user, and a third login of that user leaving a process in a
# session of its own (setsid) that holds B's pty open on its stdin, as a
# user would to pass for the owner of B's terminal. Only a controlling
# terminal counts, and only among a session's own processes:
# `logoff pts/B` must end B and leave A.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (sshd, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
make_user

LO_MATCH=user LO_TIMEOUT=10 write_conf
svc=logoff-sshd-tu
cat > "$T/pam.d/$svc" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
lo() { "$top_builddir/logoff" --config "$T/logoff.conf" "$@"; }
start_sshd "$svc"

# login NAME: an ssh login with a pty; sets SID_NAME, PTY_NAME, CLIENT_NAME.
login() {
	ssh_user -tt 127.0.0.1 'echo "id=$LOGOFF_SESSION_ID tty=$(tty)"; exec sleep 1000' \
		> "$T/out/$1.out" 2> "$T/out/$1.err" < /dev/null &
	eval "CLIENT_$1=$!"
	wait_for 15 grep -q '^id=' "$T/out/$1.out" || fail "login $1 did not start: $(cat "$T/out/$1.err")"
	eval "SID_$1=$(sed -n 's/^id=\([^ ]*\) .*/\1/p' "$T/out/$1.out" | tr -d '\r')"
	eval "PTY_$1=$(sed -n 's/.* tty=//p' "$T/out/$1.out" | tr -d '\r')"
}
login A
login B
[ -n "$SID_A" ] && [ -n "$SID_B" ] && [ "$PTY_A" != "$PTY_B" ] && ok "logins $SID_A on $PTY_A, $SID_B on $PTY_B" \
	|| fail "logins: '$SID_A' '$PTY_A' '$SID_B' '$PTY_B'"

# From a third login: a process in a session of its own holding B's pty.
ssh_user 127.0.0.1 "setsid sh -c 'exec sleep 1000' < $PTY_B > /dev/null 2>&1 & echo grab=\$!" \
	> "$T/out/grab.out" 2>&1
grab=$(sed -n 's/^grab=//p' "$T/out/grab.out")
[ -n "$grab" ] && ok "a process of the user holds $PTY_B from another session" || fail "grab: $(cat "$T/out/grab.out")"

lo "${PTY_B#/dev/}" > "$T/out/logoff.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "logoff ${PTY_B#/dev/}: exit 0" || fail "logoff ${PTY_B#/dev/}: exit $rc: $(cat "$T/out/logoff.out")"
wait_for 10 test ! -e "$T/reg/sessions/$SID_B" && ok "session $SID_B (on $PTY_B) logged off" || fail "record $SID_B still there"
wait_for_gone "$CLIENT_B" && ok "B's ssh client saw its connection close" || fail "B's client still connected"
assert_exists "$T/reg/sessions/$SID_A"
assert_alive "$CLIENT_A" "A's ssh client"
kill "$CLIENT_A" "$grab" 2>/dev/null
finish
