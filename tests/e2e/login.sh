#!/bin/sh
# End-to-end: util-linux login on a pty (`script -qec "login -f USER"`),
# PAM service `login` from pam_wrapper with pam_loginuid before
# pam_logoff. The user's shell leaves `setsid sleep` behind and a file in
# TMPDIR and exits; login's close_session ends the sleep, removes TMPDIR
# and the record. While the session runs, `logoff --list` names it after
# its tty (pts/N).
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (login -f, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
command -v login >/dev/null || skip "no login(1)"
command -v script >/dev/null || skip "no script(1)"
# Under the ASan runtime, pam_wrapper's dlopen of libpam with
# RTLD_DEEPBIND aborts login (sanitizers issue 611); su and sshd are not
# affected. The plain build runs this test.
[ -n "${LO_PRELOAD:-}" ] && skip "login under the ASan runtime: pam_wrapper's RTLD_DEEPBIND dlopen is refused"
make_user

LO_MATCH=auto write_conf
cat > "$T/pam.d/login" <<SVC
auth     required   pam_permit.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
mkdir -p "$T/bin"
cp "$top_builddir/logoff" "$T/bin/logoff"
# logoff runs the logoff-helper beside it (the build's, not an installed one).
cp "$HELPER" "$T/bin/logoff-helper"
chmod 0755 "$T/bin" "$T/bin/logoff"

cat > "$T/cmds" <<CMDS
setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! > $T/out/bg
echo "\$TMPDIR" > $T/out/tmpdir; echo data > "\$TMPDIR/file"
echo "\$LOGOFF_SESSION_ID" > $T/out/id; tty > $T/out/tty
$T/bin/logoff --config $T/logoff.conf --list > $T/out/list 2>&1
exit
CMDS
# pam_wrapper (and, in a sanitizer build, the ASan runtime) go to login
# only: script(1) does not link libpam, and pam_wrapper would dlopen it
# there with RTLD_DEEPBIND, which the ASan runtime refuses.
timeout 60 script -qec "ASAN_OPTIONS='$FOREIGN_ASAN' LD_PRELOAD='$WRAP_PRELOAD' PAM_WRAPPER=1 \
	PAM_WRAPPER_SERVICE_DIR='$T/pam.d' login -f $E2E_USER" /dev/null < "$T/cmds" > "$T/out/script.log" 2>&1
rc=$?
wait_for 10 test -s "$T/out/list" || fail "the login shell did not run: rc $rc: $(cat "$T/out/script.log")"
id=$(cat "$T/out/id" 2>/dev/null)
tty=$(cat "$T/out/tty" 2>/dev/null)
tmpdir=$(cat "$T/out/tmpdir" 2>/dev/null)
bg=$(cat "$T/out/bg" 2>/dev/null)
[ -n "$id" ] && ok "session $id on $tty" || fail "no LOGOFF_SESSION_ID: $(cat "$T/out/script.log")"
[ "$tmpdir" = "$T/tmpbase/$id" ] && ok "TMPDIR $tmpdir" || fail "TMPDIR '$tmpdir'"
name=${tty#/dev/}
assert_grep "^$id  *$name  *$E2E_USER .*login .*active" "$T/out/list"
wait_for 10 test ! -e "$T/reg/sessions/$id" && ok "record gone" || fail "record $id still there"
[ -n "$bg" ] && { wait_for_gone "$bg"; assert_dead "$bg" "setsid sleep left by the login shell"; }
assert_gone "$tmpdir"
finish
