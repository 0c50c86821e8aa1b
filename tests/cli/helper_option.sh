#!/bin/sh
# logoff(1) --helper PATH names the program logoff runs to log a session
# off, as root under sudo: a sudoers rule for logoff must never become a
# root shell. Refused for a caller that is not root, and for root when
# the file or a directory above it is not owned by root or is writable by
# group or others (a sticky /tmp is fine). A refused helper never runs:
# each candidate is a script that leaves a marker beside itself before it
# runs the real helper, and the stale session it would log off stays.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (files of other owners, a caller to drop to)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
LOGOFF="$top_builddir/logoff"
[ -x "$LOGOFF" ] || { echo "FAIL: $LOGOFF not built"; exit 1; }
# No sweep from open_session (it would log the stale session off itself).
LO_LOGOFF_EXTRA="gc_interval = 3600" write_conf
mkdir -m 0755 "$T/reg" && touch "$T/reg/gc-stamp"
write_service ho
NOGROUP=$(id -gn nobody)

# candidate PATH: a helper script at PATH, root-owned, mode 0755.
candidate() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/sh\n: > "%s.ran"\nexec "%s" "$@"\n' "$1" "$HELPER" > "$1"
	chmod 0755 "$1"
}

# A session whose login manager is gone: --gc runs the helper for it.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" ho "$TEST_USER" 'exec sleep 300' \
	> "$T/out/s.env" 2>&1 &
leader=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s.env" || { fail "no session: $(cat "$T/out/s.env")"; finish; }
S=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s.env")
wait_for 5 test -e "$T/reg/sessions/$S"
kill -KILL "$leader"
wait "$leader" 2>/dev/null

# refused DESC PATH [RUNNER...]: logoff --gc with --helper PATH is refused
# (exit 3, the option and path named), PATH did not run, S is still there.
refused() {
	desc=$1 path=$2; shift 2
	"$@" "$LOGOFF" --config "$T/logoff.conf" --helper "$path" --gc > "$T/out/r.out" 2> "$T/out/r.err"
	rc=$?
	[ "$rc" -eq 3 ] && ok "$desc: exit 3" || fail "$desc: exit $rc: $(cat "$T/out/r.out" "$T/out/r.err")"
	assert_grep "\-\-helper $path" "$T/out/r.err"
	assert_gone "$path.ran"
	assert_exists "$T/reg/sessions/$S"
}

# 1. Not root: refused whatever the file (this one root's and fine).
candidate "$T/ok/helper"
refused "nobody" "$T/ok/helper" setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups
assert_grep "only root may name the helper" "$T/out/r.err"

# 2. Root, a file owned by another user.
candidate "$T/owned/helper"; chown nobody "$T/owned/helper"
refused "owned by nobody" "$T/owned/helper"
assert_grep "not owned by root or is writable by group or others" "$T/out/r.err"

# 3. Root, a file writable by group, by others.
candidate "$T/gw/helper"; chmod 0775 "$T/gw/helper"
refused "group-writable" "$T/gw/helper"
candidate "$T/ow/helper"; chmod 0757 "$T/ow/helper"
refused "world-writable" "$T/ow/helper"

# 4. Root, a good file in a directory others may write (anyone could
#    replace it), in one owned by nobody, and one level further up.
candidate "$T/wdir/helper"; chmod 0777 "$T/wdir"
refused "in a world-writable directory" "$T/wdir/helper"
assert_grep "directory $T/wdir is not owned by root" "$T/out/r.err"
candidate "$T/ndir/helper"; chown nobody "$T/ndir"
refused "in a directory owned by nobody" "$T/ndir/helper"
candidate "$T/up/sub/helper"; chmod 0777 "$T/up"
refused "below a world-writable directory" "$T/up/sub/helper"

# 5. Root, a symlink to the good helper placed in a world-writable
#    directory: the link's target is checked and run, never the link.
mkdir -m 1777 "$T/sticky" && ln -s "$T/ok/helper" "$T/sticky/link"
candidate "$T/sticky/own/helper"

# 6. Root, good files (root's, 0755, in root's directories below the
#    sticky /tmp and a sticky directory of our own): taken, run, and the
#    stale session is logged off. Shows the marker would tell a run.
"$LOGOFF" --config "$T/logoff.conf" --helper "$T/sticky/own/helper" --list > "$T/out/l.out" 2>&1 \
	&& ok "a helper below a sticky directory is taken" || fail "sticky: $(cat "$T/out/l.out")"
"$LOGOFF" --config "$T/logoff.conf" --helper "$T/sticky/link" --gc > "$T/out/g.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "root, a root-owned helper: --gc exit 0" || fail "--gc exit $rc: $(cat "$T/out/g.out")"
assert_exists "$T/ok/helper.ran"
assert_gone "$T/sticky/link.ran"
assert_grep "$S .*logged off" "$T/out/g.out"
assert_gone "$T/reg/sessions/$S"
finish
