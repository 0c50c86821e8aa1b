#!/bin/sh
# Memory check of the module and the helper under valgrind: a whole
# session opened and closed through libpam, with the helper itself run
# under valgrind (through a wrapper given as helper=). Any definite or
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
for f in "$T/out/module.vg" "$T"/out/helper.vg.*; do
	[ -f "$f" ] || { fail "no valgrind log $f"; continue; }
	# "==PID==" lines are errors and leaks; "--PID--" lines are valgrind's
	# own notes (syscalls it does not know, such as pidfd_open).
	if grep -q '^==' "$f"; then fail "valgrind reported in $f:"; cat "$f"; else ok "valgrind clean: $(basename "$f")"; fi
done
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
finish
