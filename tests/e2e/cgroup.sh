#!/bin/sh
# processes, match = cgroup, against a cgroup v2 hierarchy the test makes:
# the login manager (pam_session_test) runs in session-lo<pid>.scope, as
# systemd puts a login in session-N.scope.
#  - close_session ends every process in that cgroup and below it (the
#    login manager itself, an ancestor of the helper, is spared), and no
#    process outside it, even of the same user;
#  - a session whose login manager was SIGKILLed is ended by `logoff --gc`
#    from outside the cgroup with one write to cgroup.kill;
#  - match = auto picks cgroup when the login manager is in such a cgroup.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (cgroup v2)"
CG=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$CG" ]; then
	mkdir -p "$T/cg"
	mount -t cgroup2 lo-test "$T/cg" 2>/dev/null || skip "cannot mount cgroup2"
	CG="$T/cg"
	mounted=yes
fi
scope="$CG/session-lo$$.scope"
mkdir "$scope" || skip "cannot create a cgroup in $CG"
cleanup() {
	for p in $(cat "$scope"/*/cgroup.procs "$scope/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	wait_for 5 cg_empty "$scope"
	rmdir "$scope"/* "$scope" 2>/dev/null
	[ "${mounted:-}" = yes ] && umount "$T/cg"
}
at_exit cleanup

# match = cgroup, not auto: if no session cgroup were found, auto would
# fall back to match = user, and with root not excluded (the session's
# commands here run as root) that would end every root process.
LO_MATCH=cgroup LO_PROVIDERS=processes write_conf "exclude_users = nobody"
write_service lt
LOGOFF="$top_builddir/logoff"

# in_scope OUT CMD: pam_session_test started inside the session cgroup.
in_scope() {
	out=$1; shift
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$scope" \
		"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "${PAM_TEST_USER:-$TEST_USER}" "$@" > "$out" 2>&1 &
	LEADER=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$out" || fail "session did not open: $(cat "$out")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$out")
}

# 1. close_session ends the cgroup's processes, nothing outside.
sleep 1000 & outside=$!
in_scope "$T/out/s1" '"'$LOGOFF'" --config "'"$T"'/logoff.conf" --status $LOGOFF_SESSION_ID; mkdir "'"$scope"'/sub" && sh -c "echo \$\$ > '"$scope"'/sub/cgroup.procs; exec setsid sleep 1000" & setsid sleep 1000 & echo $! > "'"$T"'/out/in1"; "'"$WAIT_FOR"'" 5 grep -q . "'"$scope"'/sub/cgroup.procs"'
s1=$SID
wait "$LEADER"; rc=$?
[ "$rc" -eq 0 ] && ok "session in $scope opened and closed" || fail "pam_session_test exit $rc: $(cat "$T/out/s1")"
assert_grep "match=cgroup" "$T/out/s1"
in1=$(cat "$T/out/in1")
assert_dead "$in1" "setsid sleep in the session cgroup"
wait_for 5 sh -c "! grep -q . '$scope/sub/cgroup.procs'" && ok "the child cgroup is empty" || fail "left in the child cgroup: $(cat "$scope/sub/cgroup.procs")"
assert_alive "$outside" "same user's process outside the cgroup"
assert_gone "$T/reg/sessions/$s1"

# 2. The login manager SIGKILLed: --gc from outside uses cgroup.kill.
in_scope "$T/out/s2" 'setsid sleep 1000 & echo $! > "'"$T"'/out/in2"; sleep 1000'
s2=$SID
wait_for 5 test -s "$T/out/in2"
in2=$(cat "$T/out/in2")
kill -KILL "$LEADER"; wait "$LEADER" 2>/dev/null
"$LOGOFF" --config "$T/logoff.conf" --gc -v > "$T/out/gc" 2>&1
assert_grep "ended [0-9]* process.* with cgroup.kill" "$T/out/gc"
wait_for_gone "$in2"
assert_dead "$in2" "stale session's process"
wait_for 5 sh -c "! grep -q . '$scope/cgroup.procs'" && ok "the session cgroup is empty" || fail "left: $(cat "$scope/cgroup.procs")"
assert_alive "$outside" "same user's process outside the cgroup"
assert_gone "$T/reg/sessions/$s2"
kill "$outside"

# 3. match = auto picks the cgroup inside a session scope, and outside
# one (no logind here) a cgroup of the session's own under cgroup_root
# (for a throwaway user, with root excluded again).
LO_MATCH=auto LO_PROVIDERS=processes write_conf
make_user
PAM_TEST_USER=$E2E_USER in_scope "$T/out/s3" "'$LOGOFF' --config '$T/logoff.conf' --status \$LOGOFF_SESSION_ID"
wait "$LEADER"
assert_grep "match=cgroup: /.*session-lo$$.scope" "$T/out/s3"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$E2E_USER" \
	"'$LOGOFF' --config '$T/logoff.conf' --status \$LOGOFF_SESSION_ID" > "$T/out/s4" 2>&1
assert_grep "processes .*logged-on *match=cgroup: $LO_CGROUP_ROOT/r[0-9]* (own)" "$T/out/s4"

# 4. su or sudo inside a login: the login manager's parent runs in the
# same scope, which is the caller's, not this login's: never taken; the
# session gets a cgroup of its own instead.
sh -c 'echo $$ > "$1/cgroup.procs" && shift && "$@"' sh "$scope" \
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$E2E_USER" \
	"'$LOGOFF' --config '$T/logoff.conf' --status \$LOGOFF_SESSION_ID" > "$T/out/s5" 2>&1
assert_grep "processes .*logged-on *match=cgroup: $LO_CGROUP_ROOT/r[0-9]* (own)" "$T/out/s5"
assert_no_grep "session-lo$$.scope" "$T/out/s5"
finish
