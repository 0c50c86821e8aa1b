#!/bin/sh
# logoff(1) runs logoff-helper to log a session off, as root under sudo:
# a sudoers rule for logoff must never become a root shell. The caller
# cannot name the helper (--helper is no option); logoff runs the
# logoff-helper beside its own program when there is one (a build
# tree), else the installed one. The one beside is refused when it or a
# directory above it is not owned by root or is writable by group or
# others (a sticky /tmp is fine). A refused helper never runs: each
# candidate is a script that leaves a marker beside itself before it
# runs the real helper, and the stale session it would log off stays.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (files of other owners)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
[ -x "$top_builddir/logoff" ] || { echo "FAIL: logoff not built"; exit 1; }
# No sweep from open_session (it would log the stale session off itself).
LO_LOGOFF_EXTRA="gc_interval = 3600" write_conf
mkdir -m 0755 "$T/reg" && touch "$T/reg/gc-stamp"
write_service ho

# candidate DIR: a copy of logoff in DIR and a helper script beside it,
# root-owned, mode 0755, that leaves DIR/logoff-helper.ran when it runs.
candidate() {
	mkdir -p "$1"
	cp "$top_builddir/logoff" "$1/logoff"
	printf '#!/bin/sh\n: > "%s.ran"\nexec "%s" "$@"\n' "$1/logoff-helper" "$HELPER" > "$1/logoff-helper"
	chmod 0755 "$1/logoff-helper"
}

# A session whose login manager is gone: --gc runs the helper for it.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" ho "$TEST_USER" 'echo $$ > "'"$T"'/out/sleep.pid"; exec sleep 300' \
	> "$T/out/s.env" 2>&1 &
leader=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s.env" || { fail "no session: $(cat "$T/out/s.env")"; finish; }
S=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s.env")
wait_for 5 test -e "$T/reg/sessions/$S"
kill -KILL "$leader"
wait "$leader" 2>/dev/null
# The session's sleep outlives its login manager (that is what makes the
# session stale); it is this test's to end, whatever the logoff did.
at_exit 'kill -KILL "$(cat "$T/out/sleep.pid" 2>/dev/null)" 2>/dev/null'

# refused DESC DIR: DIR/logoff --gc refuses the helper beside it (exit 3,
# the path named), it did not run, and S is still there.
refused() {
	desc=$1 dir=$2
	"$dir/logoff" --config "$T/logoff.conf" --gc > "$T/out/r.out" 2> "$T/out/r.err"
	rc=$?
	[ "$rc" -eq 3 ] && ok "$desc: exit 3" || fail "$desc: exit $rc: $(cat "$T/out/r.out" "$T/out/r.err")"
	assert_grep "$dir/logoff-helper refused" "$T/out/r.err"
	assert_gone "$dir/logoff-helper.ran"
	assert_exists "$T/reg/sessions/$S"
}

# 1. --helper is no option: a usage error, and what it names never runs.
candidate "$T/named"
"$top_builddir/logoff" --config "$T/logoff.conf" --helper "$T/named/logoff-helper" --gc \
	> "$T/out/n.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "--helper: usage error" || fail "--helper: exit $rc: $(cat "$T/out/n.out")"
assert_grep "unknown option '--helper'" "$T/out/n.out"
assert_gone "$T/named/logoff-helper.ran"
assert_exists "$T/reg/sessions/$S"

# 2. A helper beside logoff owned by another user.
candidate "$T/owned"; chown nobody "$T/owned/logoff-helper"
refused "owned by nobody" "$T/owned"
assert_grep "not owned by root or is writable by group or others" "$T/out/r.err"

# 3. Writable by group, by others.
candidate "$T/gw"; chmod 0775 "$T/gw/logoff-helper"
refused "group-writable" "$T/gw"
candidate "$T/ow"; chmod 0757 "$T/ow/logoff-helper"
refused "world-writable" "$T/ow"

# 4. In a directory others may write (anyone could replace it), in one
#    owned by nobody, and one level further up.
candidate "$T/wdir"; chmod 0777 "$T/wdir"
refused "in a world-writable directory" "$T/wdir"
assert_grep "directory $T/wdir is not owned by root" "$T/out/r.err"
candidate "$T/ndir"; chown nobody "$T/ndir"
refused "in a directory owned by nobody" "$T/ndir"
candidate "$T/up/sub"; chmod 0777 "$T/up"
refused "below a world-writable directory" "$T/up/sub"

# 5. A good one (root's, 0755, in root's directories below the sticky
#    /tmp): taken, run, and the stale session is logged off. Shows the
#    marker would tell a run.
candidate "$T/ok"
"$T/ok/logoff" --config "$T/logoff.conf" --gc > "$T/out/g.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "root, a root-owned helper: --gc exit 0" || fail "--gc exit $rc: $(cat "$T/out/g.out")"
assert_exists "$T/ok/logoff-helper.ran"
assert_grep "$S .*logged off" "$T/out/g.out"
assert_gone "$T/reg/sessions/$S"
finish
