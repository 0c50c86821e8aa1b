#!/bin/sh
# Memory check of the module, the helper and logoff(1) under valgrind: a
# whole session opened and closed through libpam, with the helper itself
# run under valgrind (through a wrapper given as helper=); then logoff
# --list, --status, --json, a logoff and --gc of sessions. Any definite or
# indirect leak, or any memory error, fails. Run by tools/test.
. "${top_srcdir:-.}/tests/lib.sh"

command -v valgrind >/dev/null || skip "valgrind not installed"
VG=${LO_VALGRIND:-valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect}

cat > "$T/vg-helper" <<SH
#!/bin/sh
exec $VG --log-file="$T/out/helper.vg.%p" "$HELPER" "\$@"
SH
chmod 0755 "$T/vg-helper"
write_conf
cat > "$T/pam.d/vg" <<SVC
session  required  $MODULE config=$T/logoff.conf helper=$T/vg-helper debug
SVC
hook logon.d 10-a 'echo logon'
hook logoff.d 10-a 'echo logoff'

$VG --log-file="$T/out/module.vg" "$top_builddir/tests/pam/pam_session_test" "$T/pam.d" vg "$TEST_USER" \
	'echo x > "$TMPDIR/f"' > "$T/out/env" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "session under valgrind (module and helper clean)" || fail "exit $rc"
# The logoff in the login manager's own process (no logoff hook, an
# empty TMPDIR): the whole chain under valgrind in this process.
cat > "$T/pam.d/vg-here" <<SVC
session  required  $MODULE config=$T/logoff-here.conf helper=$T/vg-helper debug
SVC
sed "s|^logoff_dir = .*|logoff_dir = $T/no-such-dir|" "$T/logoff.conf" > "$T/logoff-here.conf"
$VG --log-file="$T/out/module-here.vg" "$top_builddir/tests/pam/pam_session_test" "$T/pam.d" vg-here \
	"$TEST_USER" 'echo "tmp=$TMPDIR"' > "$T/out/env-here" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "in-process logoff under valgrind" || fail "in-process: exit $rc"
tmp=$(sed -n 's/^tmp=//p' "$T/out/env-here")
[ -n "$tmp" ] && assert_gone "$tmp"
# logoff(1): every mode on a live session, and a stale one for --gc.
# logoff(1) runs the logoff-helper beside its own program: a copy of it
# beside the valgrind wrapper runs the helper under valgrind.
mkdir "$T/bin"
cp "$top_builddir/logoff" "$T/bin/logoff"
cp "$T/vg-helper" "$T/bin/logoff-helper"
LOGOFF="$T/bin/logoff"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" vg "$TEST_USER" 'sleep 300' > "$T/out/s1" 2>&1 &
wait_for 20 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s1" || fail "session did not open"
s1=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s1")
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" vg "$TEST_USER" 'sleep 300' > "$T/out/s2" 2>&1 &
l2=$!
wait_for 20 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s2" || fail "session did not open"
n=0
for args in "--list" "--list --json" "--status $s1" "--status $s1 --json" "nosuch" "--warn 0 $s1"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	$VG --log-file="$T/out/logoff.vg.$n" "$LOGOFF" --config "$T/logoff.conf" $args \
		> "$T/out/logoff.$n" 2>&1
done
kill -KILL "$l2"; wait "$l2" 2>/dev/null
$VG --log-file="$T/out/logoff.vg.gc" "$LOGOFF" --config "$T/logoff.conf" --gc > "$T/out/logoff.gc" 2>&1
assert_grep "logged off" "$T/out/logoff.gc"
wait_for 20 test "$(records)" -eq 0
for f in "$T/out/module.vg" "$T/out/module-here.vg" "$T"/out/helper.vg.* "$T"/out/logoff.vg.*; do
	[ -f "$f" ] || { fail "no valgrind log $f"; continue; }
	# "==PID==" lines are errors and leaks; "--PID--" lines are valgrind's
	# own notes (syscalls it does not know, such as pidfd_open).
	if grep -q '^==' "$f"; then fail "valgrind reported in $f:"; cat "$f"; else ok "valgrind clean: $(basename "$f")"; fi
done
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
finish
