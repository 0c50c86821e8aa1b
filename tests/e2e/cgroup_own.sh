#!/bin/sh
# processes, match = auto, no logind: every session gets a cgroup of its
# own, <cgroup_root>/<id>, on the cgroup v2 hierarchy, and is ended by it.
#  1. through the real module (pam_session_test, closed in its own
#     process): the session's shell runs in <root>/<id>; after the logoff
#     the directory is gone and what ran in it (a plain child, setsid,
#     nohup, a child cgroup's) is dead; a process of exclude_users is
#     alive in <root>/kept-<id>; the same user's process outside lives;
#  2. a real `su -l` of a throwaway user (through pam_wrapper): the
#     user's shell is in the session cgroup, the caller of su is not;
#  3. keep_commands (a forked closer): the kept program lives on, apart;
#  4. the sweep: a session whose login manager was SIGKILLed is ended and
#     its cgroup removed by `logoff --gc`; orphan cgroups under the root
#     (empty, populated, an empty kept one) are removed, others left;
#  5. a cgroup removed and made again under the session's name between
#     logon and logoff is another cgroup: nothing in it is ended;
#  6. LO_LOOP (1000) sessions opened and closed leave no cgroup behind.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (cgroup v2)"
[ -d /run/systemd/system ] && skip "systemd manages the cgroup tree here: no cgroup of our own"
CGM=$LO_CG_MNT
[ -n "$CGM" ] || skip "no cgroup v2 hierarchy"
ROOT="$CGM$LO_CGROUP_ROOT"
mkdir "$ROOT" 2>/dev/null || skip "cannot create a cgroup in $CGM"
rmdir "$ROOT"
LOGOFF="$top_builddir/logoff"
make_user
cleanup() {
	for p in $(cat $(find "$ROOT" -name cgroup.procs 2>/dev/null) 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	[ -n "${outside:-}" ] && kill -KILL "$outside" 2>/dev/null
	wait_for 5 cg_empty "$ROOT"
	find "$ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
}
at_exit cleanup

LO_MATCH=auto LO_PROVIDERS=processes write_conf "exclude_users = nobody"
write_service lt
uid=$(id -u "$E2E_USER")
NOBODY_GID=$(id -g nobody)

# The same user's process outside every session.
setpriv --reuid="$uid" --regid="$(id -g "$E2E_USER")" --clear-groups sleep 1000 &
outside=$!

# 1. The session through the real module.
O="$T/out"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$E2E_USER" '
	cat /proc/$$/cgroup > "'"$O"'/shell.cg"
	test -d "'"$CGM"'$(sed -n "s/^0:://p" /proc/$$/cgroup)" && echo yes > "'"$O"'/existed"
	sleep 1000 & echo $! > "'"$O"'/plain"
	setsid sleep 1000 & echo $! > "'"$O"'/setsid"
	nohup sleep 1000 >/dev/null 2>&1 & echo $! > "'"$O"'/nohup"
	cg=$(sed -n "s/^0:://p" /proc/$$/cgroup)
	mkdir "'"$CGM"'$cg/sub" && sh -c "echo \$\$ > '"$CGM"'$cg/sub/cgroup.procs; exec sleep 1000" & echo $! > "'"$O"'/sub"
	setpriv --reuid=nobody --regid='"$NOBODY_GID"' --clear-groups sleep 1000 & echo $! > "'"$O"'/excl"
	for f in plain setsid nohup sub excl; do "'"$WAIT_FOR"'" 5 test -s "'"$O"'/$f"; done
	# setpriv runs as root until it has changed its uid: wait for nobody.
	"'"$WAIT_FOR"'" 5 grep -q "^Uid:[[:space:]]*'"$(id -u nobody)"'[[:space:]]" /proc/$(cat "'"$O"'/excl")/status
	' > "$O/s1" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "session opened and closed" || fail "pam_session_test exit $rc: $(cat "$O/s1")"
SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$O/s1")
[ -n "$SID" ] || fail "no session id: $(cat "$O/s1")"
assert_grep "^0::$LO_CGROUP_ROOT/$SID\$" "$O/shell.cg"
assert_exists "$O/existed"
for f in plain setsid nohup sub; do
	assert_dead "$(cat "$O/$f")" "$f sleep of the session"
done
assert_gone "$ROOT/$SID"
excl=$(cat "$O/excl")
assert_alive "$excl" "process of exclude_users"
assert_grep "^0::$LO_CGROUP_ROOT/kept-$SID\$" "/proc/$excl/cgroup"
assert_alive "$outside" "same user's process outside the session"
assert_gone "$T/reg/sessions/$SID"
kill -KILL "$excl"

# 2. A real `su -l` of the throwaway user.
if [ -f "${PAM_WRAPPER_LIB:-}" ] && command -v su >/dev/null; then
	cat > "$T/pam.d/su-l" <<SVC
auth     sufficient pam_rootok.so
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER
SVC
	cat > "$T/rootshell.sh" <<SH
echo \$\$ > "$O/caller.pid"
ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \\
	su -l "$E2E_USER" -c 'cat /proc/\$\$/cgroup > "$O/su-shell.cg"; cat /proc/\$(cat "$O/caller.pid")/cgroup > "$O/su-caller.cg"; echo \$LOGOFF_SESSION_ID > "$O/su.id"; setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! > "$O/su-bg"'
echo "su exit \$?" > "$O/su.rc"
SH
	sh "$T/rootshell.sh" > "$O/rootshell.log" 2>&1
	assert_grep "su exit 0" "$O/su.rc"
	suid=$(cat "$O/su.id" 2>/dev/null)
	assert_grep "^0::$LO_CGROUP_ROOT/$suid\$" "$O/su-shell.cg"
	assert_no_grep "$LO_CGROUP_ROOT" "$O/su-caller.cg"
	assert_dead "$(cat "$O/su-bg")" "setsid sleep under su"
	assert_gone "$ROOT/$suid"
else
	echo "skipped: su -l (no pam_wrapper or su)"
fi

# 3. keep_commands: the kept program is moved apart and survives.
cp /bin/sleep "$T/keepme"; chmod 0755 "$T/keepme"
LO_MATCH=auto LO_PROVIDERS=processes write_conf "exclude_users = nobody" "keep_commands = $T/keepme"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$E2E_USER" '
	"'"$T"'/keepme" 1000 & echo $! > "'"$O"'/kept"
	sleep 1000 & echo $! > "'"$O"'/notkept"
	"'"$WAIT_FOR"'" 5 grep -qx keepme /proc/$(cat "'"$O"'/kept")/comm' > "$O/s3" 2>&1 || fail "session 3: $(cat "$O/s3")"
SID3=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$O/s3")
kept=$(cat "$O/kept")
assert_alive "$kept" "kept program"
assert_grep "^0::$LO_CGROUP_ROOT/kept-$SID3\$" "/proc/$kept/cgroup"
assert_dead "$(cat "$O/notkept")" "sleep beside the kept program"
assert_gone "$ROOT/$SID3"
kill -KILL "$kept"; wait_for 5 sh -c "! grep -q . '$ROOT/kept-$SID3/cgroup.procs'"

# 4. The sweep.
LO_MATCH=auto LO_PROVIDERS=processes write_conf "exclude_users = nobody"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$E2E_USER" \
	'setsid sleep 1000 & echo $! > "'"$O"'/in4"; sleep 1000' > "$O/s4" 2>&1 &
leader=$!
wait_for 10 test -s "$O/in4" || fail "session 4 did not start: $(cat "$O/s4")"
SID4=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$O/s4")
kill -KILL "$leader"; wait "$leader" 2>/dev/null
mkdir "$ROOT/r999999" "$ROOT/r999998" "$ROOT/notasession"
sh -c "echo \$\$ > '$ROOT/r999998/cgroup.procs'; exec sleep 1000" &
orphan=$!
wait_for 5 grep -q "$orphan" "$ROOT/r999998/cgroup.procs"
"$LOGOFF" --config "$T/logoff.conf" --gc -v > "$O/gc" 2>&1
assert_dead "$(cat "$O/in4")" "process of the session whose login manager was killed"
assert_gone "$ROOT/$SID4"
assert_gone "$T/reg/sessions/$SID4"
assert_gone "$ROOT/r999999"
assert_gone "$ROOT/r999998"
assert_dead "$orphan" "process in an orphan session cgroup"
assert_gone "$ROOT/kept-$SID3"
assert_exists "$ROOT/notasession"
rmdir "$ROOT/notasession"
assert_alive "$outside" "same user's process outside the session"

# 5. The session's cgroup removed and made again under its name: another
# cgroup, never ended.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$E2E_USER" '
	cg="'"$CGM"'$(sed -n "s/^0:://p" /proc/$$/cgroup)"
	echo $PPID > "'"$CGM"'/cgroup.procs"; echo $$ > "'"$CGM"'/cgroup.procs"
	rmdir "$cg" && mkdir "$cg" && echo "$cg" > "'"$O"'/remade"
	sh -c "echo \$\$ > $cg/cgroup.procs; exec sleep 1000" & echo $! > "'"$O"'/impostor"
	"'"$WAIT_FOR"'" 5 grep -q . "$cg/cgroup.procs"' > "$O/s5" 2>&1 || fail "session 5: $(cat "$O/s5")"
assert_exists "$O/remade"
assert_alive "$(cat "$O/impostor")" "process in the remade cgroup"
assert_exists "$(cat "$O/remade")"
kill -KILL "$(cat "$O/impostor")"
wait_for 5 sh -c "! grep -q . '$(cat "$O/remade")/cgroup.procs'"
rmdir "$(cat "$O/remade")"

# 6. Many sessions leave no cgroup behind.
LOOPS=${LO_LOOP:-1000}
start=$(date +%s%N)
SESSION_LOOP_KEEP="$MODULE" "$top_builddir/tests/faults/session_loop" "$T/pam.d" lt "$E2E_USER" 1 "$LOOPS" > "$O/loop" 2> "$O/loop.err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 0 ] && ok "$LOOPS sessions in $ms ms" || fail "session_loop exit $rc: $(tail -3 "$O/loop.err")"
grep -q "^open " "$O/loop" && ok "sessions had ids" || fail "no session opened"
left=$(find "$ROOT" -mindepth 1 -type d | wc -l)
[ "$left" -eq 0 ] && ok "no cgroup left under $LO_CGROUP_ROOT after $LOOPS sessions" || fail "$left cgroups left: $(find "$ROOT" -mindepth 1 -type d | head)"
echo "measured: $LOOPS sessions with a cgroup each in $ms ms"
finish
