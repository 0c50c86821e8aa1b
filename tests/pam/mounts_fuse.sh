#!/bin/sh
# The mounts provider's FUSE rule through libpam (pam_session_test), with
# bindfs as a throwaway user: a FUSE mount the user made during the
# session is unmounted at logoff; one made before the session, and one of
# another user, are not; while the user has another session open nothing
# is, and that session's logoff unmounts what appeared after its logon.
# Root only. Every mount made here is undone on exit.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (useradd, FUSE mounts of other users)"
command -v bindfs >/dev/null || skip "bindfs not installed (apt-get install bindfs fuse3)"
command -v mountpoint >/dev/null || skip "mountpoint(1) missing (apt-get install util-linux)"
command -v setpriv >/dev/null || skip "setpriv(1) missing (apt-get install util-linux)"
[ -c /dev/fuse ] || skip "/dev/fuse is missing: this kernel or container has no FUSE"
grep -qw fuse /proc/filesystems || modprobe fuse 2>/dev/null
grep -qw fuse /proc/filesystems || skip "the kernel has no fuse file system (modprobe fuse failed)"
make_user
U=$E2E_USER
OTHER=nobody

cleanup() {
	for _round in 1 2 3 4; do
		awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r _m; do umount -l "$_m" 2>/dev/null; done
	done
	pkill -KILL -u "$U" 2>/dev/null
}
at_exit cleanup

mkdir -p "$T/fuse/src" "$T/fuse/before" "$T/fuse/during" "$T/fuse/second" "$T/fuse/other"
echo data > "$T/fuse/src/file"
chown "$U" "$T/fuse/before" "$T/fuse/during" "$T/fuse/second"
chown "$OTHER" "$T/fuse/other"

# fuse_as USER SRC DIR ($T/fuse_as.sh, also for the sessions): USER
# mounts SRC on DIR with bindfs. Normally through the setuid fusermount3,
# as any user would. Where /dev/fuse is root's alone (mode 0600, as on
# some VMs) users cannot mount FUSE at all: bindfs then runs with USER's
# real uid and root's effective uid, and libfuse mounts directly. The
# kernel records user_id=USER either way, which is all the provider reads.
if setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups sh -c 'test -r /dev/fuse && test -w /dev/fuse'; then
	cat > "$T/fuse_as.sh" <<'EOF'
exec setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups bindfs --no-allow-other "$2" "$3"
EOF
	echo "note: users mount FUSE through fusermount3"
else
	command -v python3 >/dev/null || skip "/dev/fuse is mode $(stat -c %a /dev/fuse) and python3 is missing"
	cat > "$T/fuse_as.sh" <<'EOF'
exec python3 -c 'import os, sys
u, g = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([]); os.setresgid(g, 0, 0); os.setresuid(u, 0, 0)
os.execvp("bindfs", ["bindfs", sys.argv[3], sys.argv[4]])' "$(id -u "$1")" "$(id -g "$1")" "$2" "$3"
EOF
	echo "note: /dev/fuse is mode $(stat -c %a /dev/fuse) here, so users cannot mount FUSE; bindfs runs with the user's real uid"
fi
fuse_as() { sh "$T/fuse_as.sh" "$@"; }
fuse_of() { grep " $1 " /proc/self/mountinfo | grep -q "user_id=$2\(,\|\$\)"; }

fuse_as "$U" "$T/fuse/src" "$T/fuse/before" 2> "$T/out/bindfs.err" ||
	skip "bindfs cannot mount here: $(cat "$T/out/bindfs.err")"
fuse_of "$T/fuse/before" "$(id -u "$U")" && ok "the user's FUSE mount says user_id=$(id -u "$U")" \
	|| fail "no FUSE mount with the user's user_id: $(grep "$T/fuse" /proc/self/mountinfo)"
fuse_as "$OTHER" "$T/fuse/src" "$T/fuse/other" || fail "bindfs as $OTHER failed"

LO_PROVIDERS=mounts write_conf "[mounts]" "timeout = 2"
write_service lfuse
# session NAME SCRIPT: a session of $U running the shell script SCRIPT.
session() {
	printf '%s\n' "$2" > "$T/$1.sh"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lfuse "$U" "sh $T/$1.sh" \
		> "$T/out/$1.env" 2> "$T/out/$1.err"
	rc=$?
}
# (mountinfo, not mountpoint(1): root may not stat a FUSE mount made
# without allow_other, as users' FUSE mounts are.)
mounted() { grep -q " $1 " /proc/self/mountinfo; }
assert_unmounted() {
	if mounted "$1"; then fail "$1 is still mounted"; else ok "$1 unmounted"; fi
}
assert_mounted() {
	if mounted "$1"; then ok "$1 still mounted"; else fail "$1 was unmounted"; fi
}

# 1. Made during the session: unmounted. Before it, or another user's: kept.
session s1 "sh $T/fuse_as.sh $U $T/fuse/src $T/fuse/during &&
setpriv --reuid=$U --regid=$(id -g "$U") --init-groups cat $T/fuse/during/file > $T/out/s1-read"
[ "$rc" -eq 0 ] && ok "session 1 closed" || fail "session 1: exit $rc: $(cat "$T/out/s1.err")"
assert_grep "^data\$" "$T/out/s1-read"
assert_unmounted "$T/fuse/during"
assert_mounted "$T/fuse/before"
assert_mounted "$T/fuse/other"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"

# 2. Another session of the user is open: the FUSE mount an inner session
#    makes may be the outer one's too, and stays; the outer session's
#    logoff unmounts it (it appeared after the outer logon).
printf '%s\n' "sh $T/fuse_as.sh $U $T/fuse/src $T/fuse/second" > "$T/inner.sh"
session s2 "\"$top_builddir/tests/pam/pam_session_test\" \"$T/pam.d\" lfuse $U \"sh $T/inner.sh\" > $T/out/inner.out 2>&1 &&
grep -q ' $T/fuse/second ' /proc/self/mountinfo && touch $T/out/s2-kept"
[ "$rc" -eq 0 ] && ok "outer session closed" || fail "session 2: exit $rc: $(cat "$T/out/s2.err")"
assert_exists "$T/out/s2-kept"
assert_unmounted "$T/fuse/second"
assert_mounted "$T/fuse/before"
assert_mounted "$T/fuse/other"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"

finish
