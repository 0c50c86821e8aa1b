#!/bin/sh
# End-to-end: `su -l USER` from a root shell, with pam_logoff in su-l's
# session stack (through pam_wrapper: /etc/pam.d is not touched). The
# user's leftover process and TMPDIR are gone after the logoff; the root
# shell and a root process beside it survive. tests/e2e/runuser.sh runs
# the same with `runuser -l` (LO_SU=runuser, service runuser-l).
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (su, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
SU=${LO_SU:-su}
command -v "$SU" >/dev/null || skip "no $SU"
make_user

LO_MATCH=auto LO_RUN_AS=user write_conf
cat > "$T/pam.d/$SU-l" <<SVC
auth     sufficient pam_rootok.so
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
hook logoff.d 10-mark 'echo "$PAM_USER $LOGOFF_SESSION_ID" > "'"$T"'/out/logoff.ran"'
# run_as = user: the hook sees the user's uid, gid and groups, nothing of root's.
hook logon.d 10-id 'echo "uid=$(id -u) ruid=$(id -ru) gid=$(id -g) groups=$(id -G) home=$HOME" > "'"$T"'/out/hook.id"'

# The "root shell": runs su, and keeps a root process of its own beside.
cat > "$T/rootshell.sh" <<SH
sleep 300 &
echo \$! > "$T/out/root-bg.pid"
echo \$\$ > "$T/out/root-shell.pid"
ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \\
	$SU -l "$E2E_USER" -c 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! > "$T/out/user-bg.pid"; echo data > "\$TMPDIR/file"; echo "\$TMPDIR" > "$T/out/tmpdir"; stat -c "%U %a" "\$TMPDIR" > "$T/out/tmpdir.stat"; echo "\$LOGOFF_SESSION_ID" > "$T/out/id"'
echo "$SU exit \$?" > "$T/out/su.rc"
# Alive once the logoff is over (the record goes last), when whatever it
# would wrongly have ended is ended.
"$WAIT_FOR" 10 test ! -e "$T/reg/sessions/\$(cat "$T/out/id" 2>/dev/null)"
echo alive > "$T/out/root-shell-after"
SH
sh "$T/rootshell.sh" > "$T/out/rootshell.log" 2>&1 &
shell=$!
wait_for 20 test -s "$T/out/root-shell-after" || fail "root shell did not finish: $(cat "$T/out/rootshell.log")"
assert_grep "$SU exit 0" "$T/out/su.rc"
id=$(cat "$T/out/id" 2>/dev/null)
tmpdir=$(cat "$T/out/tmpdir" 2>/dev/null)
[ -n "$id" ] && ok "session $id, TMPDIR $tmpdir" || fail "no LOGOFF_SESSION_ID in the $SU session"
[ "$tmpdir" = "$T/tmpbase/$id" ] && ok "TMPDIR is the session's" || fail "TMPDIR='$tmpdir'"
assert_dead "$(cat "$T/out/user-bg.pid")" "user's setsid sleep"
assert_gone "$tmpdir"
assert_gone "$T/reg/sessions/$id"
assert_grep "$E2E_USER $id" "$T/out/logoff.ran"
assert_grep "^$E2E_USER 700\$" "$T/out/tmpdir.stat"
uid=$(id -u "$E2E_USER"); gid=$(id -g "$E2E_USER"); groups=$(id -G "$E2E_USER")
home=$(getent passwd "$E2E_USER" | cut -d: -f6)
assert_grep "^uid=$uid ruid=$uid gid=$gid groups=$groups home=$home\$" "$T/out/hook.id"
assert_exists "$T/out/root-shell-after"
assert_alive "$(cat "$T/out/root-bg.pid")" "root's sleep beside the shell"
kill "$(cat "$T/out/root-bg.pid")" 2>/dev/null
wait "$shell" 2>/dev/null
finish
