#!/bin/sh
# Faults: logoff-helper SIGKILLed in the middle of a release (while the
# session's logoff hook sleeps). The record stays, marked closing with the
# dead closer, listed as stale; `logoff --gc` completes the release: the
# hook completes once, the TMPDIR is released once, the hook the helper
# left behind is ended. Then the pid-reuse guard: a stale record whose
# process subobjects name live processes that are not the session's (same
# pid, another start time) must not get them signalled, while the one whose
# pid and start time match is ended.
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
[ "$(id -u)" -eq 0 ] || skip "logoff --gc on a registry owned by root, and editing its records, need root"
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
write_conf
write_service hk
# The first run sleeps (and is killed with its helper); later runs do not.
hook logoff.d 10-count 'echo "start $LOGOFF_SESSION_ID $$" >> "'"$T"'/out/count"
if [ ! -e "'"$T"'/out/slept" ]; then : > "'"$T"'/out/slept"; sleep 30; fi
echo "done $LOGOFF_SESSION_ID" >> "'"$T"'/out/count"'

# 1. The helper dies in the middle of close_session.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" hk "$TEST_USER" 'echo "$TMPDIR" > "'"$T"'/out/tmpdir"' \
	> "$T/out/s1.env" 2> "$T/out/s1.err" &
leader=$!
wait_for 10 grep -qs "^start " "$T/out/count" || fail "the logoff hook did not start"
id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s1.env")
rec="$T/reg/sessions/$id"
hookpid=$(sed -n 's/^start [^ ]* //p' "$T/out/count")
# The closer (a forked child of the login manager) is named in the record.
helper=$(sed -n 's/^closer \([0-9]*\) .*/\1/p' "$rec")
[ -n "$helper" ] && kill -0 "$helper" 2>/dev/null && ok "closer $helper runs the logoff of $id" || fail "no closer for $id"
kill -KILL $helper
wait "$leader"; rc=$?
[ "$rc" -eq 2 ] && ok "close_session failed once its helper was killed (exit $rc)" || fail "exit $rc, expected 2: $(cat "$T/out/s1.err")"
assert_exists "$rec"
assert_grep "^state closing\$" "$rec"
assert_grep "^closer $helper " "$rec"
assert_grep "^provider hooks logging-off" "$rec"
assert_grep "^subobject hooks process $hookpid:" "$rec"
assert_grep "^subobject tmpdir path " "$rec"
assert_exists "$(cat "$T/out/tmpdir")"
assert_alive "$hookpid" "the hook the killed helper left"
lo --list > "$T/out/list" 2>&1
assert_grep "^$id .*stale" "$T/out/list"
lo --status "$id" > "$T/out/status" 2>&1
assert_grep "hooks .*logging-off" "$T/out/status"

# 2. The sweep completes it, once; a second sweep finds nothing.
lo --gc -v > "$T/out/gc" 2>&1 && ok "--gc exit 0" || fail "--gc: $(cat "$T/out/gc")"
assert_grep "$id (hk-$id, user $TEST_USER): its logoff was interrupted: logged off" "$T/out/gc"
assert_gone "$rec"
assert_gone "$(cat "$T/out/tmpdir")"
assert_dead "$hookpid" "the left-over hook"
n=$(grep -c "^done $id\$" "$T/out/count"); s=$(grep -c "^start $id " "$T/out/count")
[ "$n" -eq 1 ] && ok "the hook completed once (started $s times: the killed run and the sweep's)" \
	|| fail "the hook completed $n times"
n=$(grep -c "tmpdir: released path $(cat "$T/out/tmpdir")\$" "$T/out/gc")
[ "$n" -eq 1 ] && ok "the TMPDIR was released once" || fail "the TMPDIR was released $n times: $(cat "$T/out/gc")"
n=$(grep -c "ended (SIGKILL)" "$T/out/gc")
[ "$n" -eq 1 ] && ok "one process ended by the sweep (the left-over hook)" || fail "$n processes ended: $(cat "$T/out/gc")"
lo --gc > "$T/out/gc2" 2>&1
assert_grep "No stale sessions" "$T/out/gc2"
echo "measured: hook runs started $s, completed $(grep -c "^done $id\$" "$T/out/count")" >> "$T/out/measured"

# 3. A stale record naming processes: one is the session's (pid and start
# time match), one is an unrelated process whose pid the record names with
# another start time (what a reused pid looks like), one names a pid with
# the start time of the process before. Only the first is signalled.
rm -f "$T/logoff.d/"*
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" hk "$TEST_USER" 'sleep 300' > "$T/out/s2.env" 2>&1 &
leader=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s2.env"
id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s2.env")
rec="$T/reg/sessions/$id"
sleep 301 & mine=$!
sleep 302 & other=$!
sleep 303 & third=$!
for p in $mine $other $third; do wait_for 5 runs "$p" sleep; done
start_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }
kill -KILL "$leader"; wait "$leader" 2>/dev/null
st_mine=$(start_of "$mine"); st_other=$(start_of "$other"); st_third=$(start_of "$third")
[ -n "$st_mine" ] && [ -n "$st_other" ] || fail "no start times"
sed "s|^end\$|subobject processes process $mine:$st_mine\\
subobject processes process $other:$((st_other + 1))\\
subobject hooks process $third:$((st_third - 1))\\
end|" "$rec" > "$T/reg/sessions/.edit" && chmod 0644 "$T/reg/sessions/.edit" && mv "$T/reg/sessions/.edit" "$rec"
assert_grep "^subobject processes process $other:" "$rec"
lo --list > "$T/out/list3" 2>&1
assert_grep "^$id .*stale" "$T/out/list3"
lo --gc -v > "$T/out/gc3" 2>&1 && ok "--gc exit 0" || fail "--gc: $(cat "$T/out/gc3")"
assert_gone "$rec"
wait_for 3 sh -c "[ \"\$(awk '{print \$3}' /proc/$mine/stat 2>/dev/null)\" != S ]"
assert_dead "$mine" "the session's process (pid and start time match)"
assert_alive "$other" "an unrelated process with the recorded pid, other start time"
assert_alive "$third" "an unrelated process with the recorded pid, earlier start time"
wait "$mine" 2>/dev/null; echo "measured: mine exit $?" >> "$T/out/measured"
kill "$other" "$third"; wait "$other" "$third" 2>/dev/null
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
cat "$T/out/measured"
finish
