#!/bin/sh
# What a user plants in their TMPDIR never makes the release touch
# anything outside it: symlinks to a root-owned canary file and dir,
# FIFOs, device nodes (made by root here, as if the user had them),
# 100,000 files, a bind mount of the canary dir, and a directory that a
# racing loop keeps renaming and replacing with a symlink to the canary
# while the release runs. The canary's entries, modes, owners, sizes and
# mtimes are compared before and after; what could not be removed is
# named in the session's status. Root only (a user, mknod, mount).
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a user, mknod, mount)"
command -v setpriv >/dev/null || skip "setpriv(1) missing (apt-get install util-linux)"
command -v python3 >/dev/null || skip "python3 missing (it plants the files quickly)"
make_user
U=$E2E_USER
LOGOFF="$top_builddir/logoff"
cleanup() {
	[ -s "$T/out/racer.pid" ] && kill -KILL "$(cat "$T/out/racer.pid")" 2>/dev/null
	for _m in $(awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$_m" 2>/dev/null
	done
	pkill -KILL -u "$U" 2>/dev/null
}
at_exit cleanup

as_user() { setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups "$@"; }

# The canary and the tmpdir base share one file system, so that a bind
# mount of the canary has the st_dev of TMPDIR; a tmpfs also keeps the
# 100,000 files quick where /tmp is an overlay.
mkdir -p "$T/fs"
mount -t tmpfs -o size=256m,mode=0755 lo-hostile "$T/fs" || skip "cannot mount a tmpfs"
# The canary: root-owned, what a user may point at but not change.
mkdir -p "$T/fs/canary/sub/deep"
echo precious > "$T/fs/canary/keep"
echo deeper > "$T/fs/canary/sub/deep/file"
mkfifo "$T/fs/canary/fifo"
chmod 0755 "$T/fs/canary" "$T/fs/canary/sub" "$T/fs/canary/sub/deep"
touch -d '2001-02-03 04:05:06' "$T/fs/canary/keep" "$T/fs/canary/sub/deep/file" "$T/fs/canary/sub/deep" \
	"$T/fs/canary/sub" "$T/fs/canary"
snapshot() { find "$T/fs/canary" -printf '%p %y %m %U %G %s %T@ %C@\n' | sort; }
snapshot > "$T/out/canary.before"
assert_canary() {
	snapshot > "$T/out/canary.after"
	if cmp -s "$T/out/canary.before" "$T/out/canary.after"; then
		ok "canary intact, mtimes and ctimes unchanged ($1)"
	else
		fail "canary changed ($1): $(diff "$T/out/canary.before" "$T/out/canary.after" | tr '\n' ' ')"
	fi
}

LO_PROVIDERS=tmpdir write_conf
sed -i "s|^base = .*|base = $T/fs/tmpbase|" "$T/logoff.conf"
write_service htmp
# session NAME SCRIPT: a session of $U whose work is the shell script
# SCRIPT (run as root; it plants as the user with as_user). Sets rc, id.
session() {
	_t0=$(date +%s%N)
	{ printf 'as_user() { setpriv --reuid=%s --regid=%s --init-groups "$@"; }\n' "$U" "$(id -g "$U")"
	  printf '%s\n' "$2"; printf 'date +%%s%%N > "%s/out/%s.worked"\n' "$T" "$1"; } > "$T/$1.sh"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" htmp "$U" "sh -e $T/$1.sh" \
		> "$T/out/$1.env" 2> "$T/out/$1.err"
	rc=$?
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1.env")
	[ -n "$id" ] || fail "$1: no session: $(cat "$T/out/$1.err")"
	_t1=$(date +%s%N)
	echo "$1: session took $(( (_t1 - _t0) / 1000000 )) ms, its close $(( (_t1 - $(cat "$T/out/$1.worked" 2>/dev/null || echo "$_t1")) / 1000000 )) ms"
}

# 1. Symlinks to a file, a dir and /, FIFOs, a char and a block device,
#    100,000 files in 100 directories: all removed, nothing outside.
session s1 '
as_user ln -s "'"$T"'/fs/canary/keep" "$TMPDIR/to-file"
as_user ln -s "'"$T"'/fs/canary" "$TMPDIR/to-dir"
as_user ln -s / "$TMPDIR/to-root"
as_user ln -s "'"$T"'/fs/canary/sub/deep/file" "$TMPDIR/hard-would-be"
as_user mkfifo "$TMPDIR/fifo"
as_user python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$TMPDIR/sock"
as_user ln -s "'"$T"'/fs/canary/fifo" "$TMPDIR/to-fifo"
mknod "$TMPDIR/null" c 1 3; mknod "$TMPDIR/disk" b 7 0; chown '"$U"' "$TMPDIR/null" "$TMPDIR/disk"
as_user python3 -c "
import os, sys
os.chdir(os.environ[\"TMPDIR\"])
for d in range(1, 101):
    os.mkdir(\"d%d\" % d)
    for f in range(1, 1001):
        os.close(os.open(\"d%d/f%d\" % (d, f), os.O_CREAT | os.O_WRONLY, 0o600))
    os.symlink(sys.argv[1], \"d%d/out\" % d)
" "'"$T"'/fs/canary"
find "$TMPDIR" -type f | wc -l > "'"$T"'/out/s1.files"
ls -l "$TMPDIR" > "'"$T"'/out/s1.ls"'
[ "$rc" -eq 0 ] && ok "s1: open and close succeeded" || fail "s1: exit $rc: $(cat "$T/out/s1.err")"
[ "$(cat "$T/out/s1.files" 2>/dev/null)" -ge 100000 ] && ok "s1: $(cat "$T/out/s1.files") files planted" \
	|| fail "s1: only $(cat "$T/out/s1.files" 2>/dev/null) files planted"
assert_grep "^p.* fifo\$" "$T/out/s1.ls"
assert_grep "^s.* sock\$" "$T/out/s1.ls"
assert_grep "^c.* null\$" "$T/out/s1.ls"
assert_grep "^b.* disk\$" "$T/out/s1.ls"
assert_gone "$T/fs/tmpbase/$id"
assert_gone "$T/reg/sessions/$id"
assert_canary "symlinks, fifos, devices, 100k files"
[ -c /dev/null ] && ok "/dev/null still a char device" || fail "/dev/null damaged"

# 2. A bind mount of the canary dir inside TMPDIR: the same file system
#    as TMPDIR, so only its mount id gives it away. Left in place, never
#    entered, and named in the status. And a bind mount of the canary
#    file over a file: unlinking a mount point fails, the file is intact.
session s2 '
as_user mkdir "$TMPDIR/bind" "$TMPDIR/sub"
as_user touch "$TMPDIR/sub/file" "$TMPDIR/file" "$TMPDIR/fbind"
mount --bind "'"$T"'/fs/canary" "$TMPDIR/bind"
mount --bind "'"$T"'/fs/canary/keep" "$TMPDIR/fbind"'
[ "$rc" -eq 2 ] && ok "s2: close_session reported the release failure" || fail "s2: exit $rc, expected 2"
assert_canary "bind mount inside TMPDIR"
assert_gone "$T/fs/tmpbase/$id/sub"
assert_gone "$T/fs/tmpbase/$id/file"
assert_exists "$T/fs/tmpbase/$id/bind/keep"
"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$T/out/s2.status" 2>&1
assert_grep "tmpdir .*failed" "$T/out/s2.status"
assert_grep "left $T/fs/tmpbase/$id/f*bind" "$T/out/s2.status"
[ "$(cat "$T/fs/canary/keep")" = precious ] && ok "the bind-mounted canary file keeps its contents" \
	|| fail "canary file changed"
umount "$T/fs/tmpbase/$id/bind" "$T/fs/tmpbase/$id/fbind"
"$HELPER" --session "$id" --config "$T/logoff.conf" > "$T/out/s2.helper" 2>&1 \
	&& ok "s2: the helper completed the session once the mount was gone" \
	|| fail "s2: helper: $(cat "$T/out/s2.helper")"
assert_gone "$T/fs/tmpbase/$id"
assert_canary "after the second logoff"

# 3. A racing loop, as the user, keeps renaming a subdir and putting a
#    symlink to the canary (and to the canary's subdir) in its place, and
#    moving it back, while the release removes 20,000 files around it.
session s3 '
as_user sh -c "cd \"\$TMPDIR\" && mkdir -p a/b/c && for d in \$(seq 1 20); do mkdir a/b/c/d\$d &&
	(cd a/b/c/d\$d && seq 1 1000 | xargs touch) || exit 1; done"
cat > "'"$T"'/racer.sh" <<EOF
cd "\$TMPDIR" || exit 1
while :; do
	mv a/b a/b.moved 2>/dev/null; ln -s "'"$T"'/fs/canary" a/b 2>/dev/null
	rm -f a/b 2>/dev/null; mv a/b.moved a/b 2>/dev/null
	mv a/b/c a/c.moved 2>/dev/null; ln -s "'"$T"'/fs/canary/sub" a/b/c 2>/dev/null
	rm -f a/b/c 2>/dev/null; mv a/c.moved a/b/c 2>/dev/null
	mkdir -p a/b 2>/dev/null; ln -s "'"$T"'/fs/canary" a/b/x 2>/dev/null
	[ -e "'"$T"'/out/racer.ran" ] || : > "'"$T"'/out/racer.ran"
done
EOF
chmod 0755 "'"$T"'/racer.sh"
TMPDIR="$TMPDIR" setsid setpriv --reuid='"$U"' --regid='"$(id -g "$U")"' --init-groups sh "'"$T"'/racer.sh" < /dev/null > /dev/null 2>&1 &
echo $! > "'"$T"'/out/racer.pid"
"'"$WAIT_FOR"'" 5 test -e "'"$T"'/out/racer.ran"'
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "s3: exit $rc: $(cat "$T/out/s3.err")"
kill -KILL "$(cat "$T/out/racer.pid")" 2>/dev/null && ok "s3: the racer ran through the release" \
	|| fail "s3: the racer was not running at the end"
rm -f "$T/out/racer.pid"
pkill -KILL -u "$U" 2>/dev/null
assert_canary "a directory renamed and swapped for symlinks during the release"
# The release may lose to the racer (it re-creates a/b); what it says then
# names what it left, and the helper finishes the job once the race is over.
if [ "$rc" -eq 2 ]; then
	"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$T/out/s3.status" 2>&1
	assert_grep "tmpdir .*failed" "$T/out/s3.status"
	"$HELPER" --session "$id" --config "$T/logoff.conf" > /dev/null 2>&1 || fail "s3: helper failed"
fi
assert_gone "$T/fs/tmpbase/$id"
assert_canary "after s3"
finish
