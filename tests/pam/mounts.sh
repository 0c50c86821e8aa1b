#!/bin/sh
# The mounts provider through libpam (pam_session_test) as a throwaway
# user: what the session mounted on its per-user mount points is gone
# after close_session, another user's is not; a busy mount is left and
# recorded (lazy = no) or detached (lazy = yes); a symlink the user plants
# never redirects the unmount; nothing is unmounted while the user has
# another session. Root only. Every mount made here is undone on exit.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (mount, useradd)"
command -v mountpoint >/dev/null || skip "mountpoint(1) missing (apt-get install util-linux)"
command -v setpriv >/dev/null || skip "setpriv(1) missing (apt-get install util-linux)"
make_user
U=$E2E_USER
OTHER=nobody
LOGOFF="$top_builddir/logoff"

# Lazily unmount everything below $T, deepest first, until nothing is
# left (make_user's cleanup, which removes the user, runs after).
cleanup() {
	for _round in 1 2 3 4; do
		awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r _m; do umount -l "$_m" 2>/dev/null; done
	done
	[ -s "$T/out/busy.pid" ] && kill -KILL "$(cat "$T/out/busy.pid")" 2>/dev/null
	pkill -KILL -u "$U" 2>/dev/null
}
at_exit cleanup

mkdir -p "$T/mnt/$U/net" "$T/mnt/$U/bind" "$T/mnt/$OTHER/net" "$T/src" "$T/victim"
chown "$U" "$T/mnt/$U"
echo source > "$T/src/file"

# conf LAZY: only the mounts provider, 1 s of retries.
conf() {
	LO_PROVIDERS=mounts write_conf "[mounts]" "paths = $T/mnt/%u/net $T/mnt/%u/bind" \
		"timeout = 1" "lazy = $1" "fuse = no"
}
write_service lmounts
# session NAME SCRIPT: a session of $U whose work is the shell script
# SCRIPT (run as root, as a login manager's child would mount for it).
session() {
	printf '%s\n' "$2" > "$T/$1.sh"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lmounts "$U" "sh $T/$1.sh" \
		> "$T/out/$1.env" 2> "$T/out/$1.err"
	rc=$?
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1.env")
}
mounted() { grep -q " $1 " /proc/self/mountinfo; }
assert_unmounted() {
	if mountpoint -q "$1" || mounted "$1"; then fail "$1 is still mounted"; else ok "$1 unmounted"; fi
}
assert_mounted() {
	if mountpoint -q "$1" && mounted "$1"; then ok "$1 still mounted"; else fail "$1 was unmounted"; fi
}

# 1. A tmpfs, a bind mount and a mount nested in the tmpfs on the user's
#    paths are gone; the same path of another user keeps its mount.
conf no
session s1 "mount -t tmpfs lo-net $T/mnt/$U/net && mkdir $T/mnt/$U/net/sub &&
mount -t tmpfs lo-sub $T/mnt/$U/net/sub && mount --bind $T/src $T/mnt/$U/bind &&
mount -t tmpfs lo-other $T/mnt/$OTHER/net && touch $T/out/s1-mounted"
[ "$rc" -eq 0 ] && ok "session 1 opened and closed" || fail "session 1: exit $rc: $(cat "$T/out/s1.err")"
assert_exists "$T/out/s1-mounted"
assert_unmounted "$T/mnt/$U/net/sub"
assert_unmounted "$T/mnt/$U/net"
assert_unmounted "$T/mnt/$U/bind"
assert_mounted "$T/mnt/$OTHER/net"
assert_exists "$T/src/file"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"

# The session's work ends only once the busy process has its cwd in the
# mount: close_session (a fork, no exec) may otherwise come first.
IN_MOUNT="i=0; until [ \"\$(readlink /proc/\$(cat $T/out/busy.pid)/cwd)\" = $T/mnt/$U/net ] || [ \$i -ge 100 ]; do sleep 0.05; i=\$((i + 1)); done"

# 2. Busy: a process that ignores SIGTERM keeps its cwd in the mount (no
#    processes provider ends it here). lazy = no: left, recorded, failed.
session s2 "mount -t tmpfs lo-busy $T/mnt/$U/net &&
(cd $T/mnt/$U/net && trap '' TERM && exec sleep 300) > /dev/null 2>&1 &
echo \$! > $T/out/busy.pid
$IN_MOUNT"
[ "$rc" -eq 2 ] && ok "close_session reported the busy mount" || fail "session 2: exit $rc, wanted 2"
assert_mounted "$T/mnt/$U/net"
assert_grep "^state failed\$" "$T/reg/sessions/$id"
assert_grep "^provider mounts failed" "$T/reg/sessions/$id"
assert_grep "^subobject mounts mount [0-9]*:[0-9]*:$T/mnt/$U/net\$" "$T/reg/sessions/$id"
"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$T/out/status" 2>&1
assert_grep "mounts .*failed" "$T/out/status"
assert_grep "$T/mnt/$U/net busy, left" "$T/out/status"
assert_grep "mount .*$T/mnt/$U/net" "$T/out/status"
# Once the process is gone the sweep unmounts it (the core's releaser).
kill -KILL "$(cat "$T/out/busy.pid")"
wait_for_gone "$(cat "$T/out/busy.pid")"
"$LOGOFF" --config "$T/logoff.conf" --gc > "$T/out/gc" 2>&1
assert_unmounted "$T/mnt/$U/net"
assert_gone "$T/reg/sessions/$id"

#    lazy = yes: detached at the end of the timeout, the process keeps
#    its (now unreachable) working directory.
conf yes
session s2b "mount -t tmpfs lo-busy $T/mnt/$U/net &&
(cd $T/mnt/$U/net && trap '' TERM && exec sleep 300) > /dev/null 2>&1 &
echo \$! > $T/out/busy.pid
$IN_MOUNT"
[ "$rc" -eq 0 ] && ok "session with a lazily detached mount closed" || fail "session 2b: exit $rc"
assert_unmounted "$T/mnt/$U/net"
assert_alive "$(cat "$T/out/busy.pid")" "the process in the detached mount"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
kill -KILL "$(cat "$T/out/busy.pid")"

# 3. A planted symlink: the user swaps its mount point for a symlink to
#    another mount, before and during the session. Both stay mounted.
conf no
mount -t tmpfs lo-victim "$T/victim" || fail "cannot mount the victim"
mkdir -p "$T/mnt/$OTHER/bind"
mount -t tmpfs lo-victim2 "$T/mnt/$OTHER/bind" || fail "cannot mount the second victim"
rmdir "$T/mnt/$U/net"
setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups ln -s "$T/victim" "$T/mnt/$U/net" ||
	fail "the user could not plant a symlink"
session s3 "setpriv --reuid=$U --regid=$(id -g "$U") --init-groups sh -c 'rmdir $T/mnt/$U/bind && ln -s ../$OTHER/bind $T/mnt/$U/bind' &&
test -L $T/mnt/$U/bind && touch $T/out/s3-planted"
[ "$rc" -eq 0 ] && ok "session 3 closed" || fail "session 3: exit $rc: $(cat "$T/out/s3.err")"
assert_exists "$T/out/s3-planted"
assert_mounted "$T/victim"
assert_mounted "$T/mnt/$OTHER/bind"
rm -f "$T/mnt/$U/net" "$T/mnt/$U/bind"
mkdir "$T/mnt/$U/net" "$T/mnt/$U/bind"

# 4. Another session of the user is open: the user's mount points are
#    shared with it and stay; that session's own logoff unmounts them.
printf '%s\n' "\"$top_builddir/tests/pam/pam_session_test\" \"$T/pam.d\" lmounts \"$U\" true" > "$T/s4b.sh"
session s4 "mount -t tmpfs lo-shared $T/mnt/$U/net && sh $T/s4b.sh > $T/out/s4b.out 2>&1 &&
mountpoint -q $T/mnt/$U/net && touch $T/out/s4-kept"
[ "$rc" -eq 0 ] && ok "outer session closed" || fail "session 4: exit $rc: $(cat "$T/out/s4.err")"
assert_exists "$T/out/s4-kept"
assert_unmounted "$T/mnt/$U/net"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"

finish
