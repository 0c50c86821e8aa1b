#!/bin/sh
# End-to-end logoff(1) against real ssh sessions (sshd on loopback, its PAM
# service from pam_wrapper, pam_loginuid before pam_logoff):
#  - --list shows the ssh session; `logoff --warn 2 NAME` from root writes
#    to the session's terminal (ssh -tt), then ends it: the ssh client sees
#    the connection close, the record, TMPDIR and the session's processes
#    are gone, the logoff hook ran once (in sshd's close_session);
#  - the user's own `logoff` of root's session is denied (exit 3) and
#    touches nothing;
#  - a session whose sshd monitor was SIGKILLed shows as stale, and
#    `logoff --gc` releases it: processes, TMPDIR, record.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (sshd, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
make_user

LO_MATCH=auto LO_TIMEOUT=10 write_conf
svc=logoff-sshd-cli
cat > "$T/pam.d/$svc" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/logoff.count"'
write_service root-svc
# The user runs logoff from a copy it can reach (the build tree may not be).
mkdir -p "$T/bin"
cp "$top_builddir/logoff" "$T/bin/logoff"
# logoff runs the logoff-helper beside it (the build's, not an installed one).
cp "$HELPER" "$T/bin/logoff-helper"
chmod 0755 "$T/bin" "$T/bin/logoff"
LOGOFF="$T/bin/logoff"
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
start_sshd "$svc"

# ssh_session N: an interactive session (ssh -tt) that leaves a process
# and a file in TMPDIR; sets SID, CLIENT.
ssh_session() {
	ssh_user -tt 127.0.0.1 'echo "id=$LOGOFF_SESSION_ID tmp=$TMPDIR tty=$(tty)"; setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo "bg=$!"; echo data > "$TMPDIR/file"; exec sleep 1000' \
		> "$T/out/ssh$1.out" 2> "$T/out/ssh$1.err" < /dev/null &
	CLIENT=$!
	wait_for 15 grep -q '^bg=' "$T/out/ssh$1.out" || fail "ssh session $1 did not start: $(cat "$T/out/ssh$1.err"; tail -5 "$T/out/sshd.log")"
	SID=$(sed -n 's/^id=\([^ ]*\) .*/\1/p' "$T/out/ssh$1.out" | tr -d '\r')
	BG=$(sed -n 's/^bg=//p' "$T/out/ssh$1.out" | tr -d '\r')
	TMP=$(sed -n 's/.* tmp=\([^ ]*\) .*/\1/p' "$T/out/ssh$1.out" | tr -d '\r')
}

# 1. The ssh session is listed, with its name; root logs it off by name.
ssh_session 1
s1=$SID c1=$CLIENT bg1=$BG tmp1=$TMP
[ -n "$s1" ] && [ -e "$T/reg/sessions/$s1" ] && ok "ssh session $s1 has a record" || fail "no record for '$s1'"
lo --list --json > "$T/out/list.json" || fail "--list --json failed"
name=$(python3 -c 'import json,sys; print([s["name"] for s in json.load(open(sys.argv[1]))["sessions"] if s["id"]==sys.argv[2]][0])' "$T/out/list.json" "$s1")
[ -n "$name" ] && ok "ssh session $s1 is named $name" || fail "no name for $s1: $(cat "$T/out/list.json")"
lo --list > "$T/out/list.txt"
assert_grep "^$s1 .*$E2E_USER .*$svc .*127.0.0.1 .*active" "$T/out/list.txt"

# 2. The user may not log off root's session (opened through libpam here).
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" root-svc root 'echo $$ > "'"$T"'/out/root.pid"; exec sleep 300' > "$T/out/root.env" 2>&1 &
rootleader=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/root.env" || fail "root session did not open"
rs=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/root.env")
runuser -u "$E2E_USER" -- "$LOGOFF" --config "$T/logoff.conf" "$rs" > "$T/out/deny.out" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "user's logoff of root's session: exit 3" || fail "user's logoff of root's session: exit $rc: $(cat "$T/out/deny.out")"
assert_grep "permission denied" "$T/out/deny.out"
assert_exists "$T/reg/sessions/$rs"
assert_alive "$rootleader" "root's session"
# --gc on root's registry needs root.
runuser -u "$E2E_USER" -- "$LOGOFF" --config "$T/logoff.conf" --gc > "$T/out/usergc" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "user's --gc: exit 3" || fail "user's --gc: exit $rc: $(cat "$T/out/usergc")"
assert_grep "gc needs root" "$T/out/usergc"
# The user still sees the list (records are readable, like utmp).
runuser -u "$E2E_USER" -- "$LOGOFF" --config "$T/logoff.conf" --list > "$T/out/userlist" 2>&1
assert_grep "^$rs " "$T/out/userlist"
lo "$rs" > /dev/null 2>&1
assert_gone "$T/reg/sessions/$rs"
# Root's processes are kept (exclude_users = root): they are the test's
# to end.
kill -KILL "$(cat "$T/out/root.pid")" "$rootleader" 2>/dev/null

# 3. --warn 2: the message reaches the session's terminal first; then the
# session ends and the ssh client sees the connection close.
start=$(date +%s)
lo -v --warn 2 --message "logoff test: save your work" "$name" > "$T/out/logoff1.out" 2>&1
rc=$?
end=$(date +%s)
[ "$rc" -eq 0 ] && ok "logoff --warn 2 $name: exit 0" || fail "logoff $name: exit $rc: $(cat "$T/out/logoff1.out")"
[ $((end - start)) -ge 2 ] && ok "waited the warning time" || fail "returned after $((end - start)) s"
assert_grep "logoff test: save your work" "$T/out/ssh1.out"
assert_grep "warned /dev/pts/" "$T/out/logoff1.out"
wait_for_gone "$c1" && ok "ssh client saw the connection close" || fail "ssh client still connected"
assert_gone "$T/reg/sessions/$s1"
assert_gone "$tmp1"
assert_dead "$bg1" "the session's setsid sleep"
[ "$(grep -c "^$s1\$" "$T/out/logoff.count" 2>/dev/null)" = 1 ] && ok "logoff hook ran once" || fail "logoff hook ran $(grep -c "^$s1\$" "$T/out/logoff.count" 2>/dev/null) times"
assert_alive "$SSHD_PID" "sshd listener"

# 4. sshd's monitor SIGKILLed: the session is stale; --gc releases it.
ssh_session 2
s2=$SID c2=$CLIENT bg2=$BG tmp2=$TMP
leader=$(python3 -c 'import json,sys; print([s["leader_pid"] for s in json.load(open(sys.argv[1]))["sessions"] if s["id"]==sys.argv[2]][0])' /dev/stdin "$s2" <<EOF
$(lo --list --json)
EOF
)
[ -n "$leader" ] && kill -KILL "$leader" && ok "SIGKILLed sshd monitor $leader" || fail "no leader for $s2"
wait_for 5 sh -c "'$LOGOFF' --config '$T/logoff.conf' --list | grep -q '^$s2 .*stale'" && ok "$s2 shows as stale" || fail "$s2 not stale: $(lo --list)"
assert_exists "$tmp2"
assert_alive "$bg2" "stale session's process before --gc"
lo --gc > "$T/out/gc.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "--gc: exit 0" || fail "--gc: exit $rc: $(cat "$T/out/gc.out")"
assert_grep "$s2 (.*user $E2E_USER): its login manager is gone: logged off" "$T/out/gc.out"
assert_gone "$T/reg/sessions/$s2"
assert_gone "$tmp2"
wait_for_gone "$bg2"
assert_dead "$bg2" "stale session's setsid sleep"
kill "$c2" 2>/dev/null

# 5. `logoff` with no argument inside an ssh login, as the user, without
# LOGOFF_SESSION_ID: the audit session names the session; the user's own
# processes are signalled, sshd closes the session, the record goes.
ssh_user 127.0.0.1 "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo bg=\$!; echo id=\$LOGOFF_SESSION_ID; unset LOGOFF_SESSION_ID; exec '$LOGOFF' --config '$T/logoff.conf' -v" \
	> "$T/out/self.out" 2> "$T/out/self.err"
s5=$(sed -n 's/^id=//p' "$T/out/self.out")
bg5=$(sed -n 's/^bg=//p' "$T/out/self.out")
[ -n "$s5" ] && ok "own ssh session $s5" || fail "no id: $(cat "$T/out/self.out" "$T/out/self.err")"
# (What it prints may not reach the client: sshd's process that relays
# output is one of the session's processes.)
wait_for 10 test ! -e "$T/reg/sessions/$s5" && ok "own session $s5 logged off" || fail "own session $s5 still there: $(lo --list)"
assert_dead "$bg5" "own session's setsid sleep"
assert_gone "$T/tmpbase/$s5"
finish
