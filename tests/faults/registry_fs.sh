#!/bin/sh
# Faults: the registry on a full file system (a 64 KiB tmpfs, filled) and
# on a read-only one (remount,ro), in a private mount namespace.
# open_session must fail with a log line naming the registry and the
# error, leave no record, no half-written record and no temp file;
# existing records must stay readable (logoff --list shows them) and be
# logged off normally once the file system is writable again. There is no
# option to open a session without a record: every session must be
# loggable off by the sweep, so a login is refused when its record cannot
# be written.
. "${top_srcdir:-.}/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "mounts a tmpfs (root)"
in_private_mounts "$@" || skip "needs unshare -m"
capture_syslog || skip "cannot set up a private /dev/log"

LOGOFF="$top_builddir/logoff"
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
mkdir -m 0700 "$T/reg"
mount -t tmpfs -o size=64k,mode=0700 lo-reg "$T/reg" || skip "cannot mount a tmpfs"
# The sessions are root's (the test user): exclude_users would keep them.
LO_TIMEOUT=5 write_conf "exclude_users ="
write_service fs
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/count"'

# open N: a session that stays open (sleep 300); sets SID and LEADER.
open() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" fs "$TEST_USER" 'sleep 300' > "$T/out/s$1" 2>&1 &
	LEADER=$!
	wait_for 10 grep -qs '^LOGOFF_SESSION_ID=' "$T/out/s$1" || fail "session $1 did not open: $(cat "$T/out/s$1")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s$1")
}
# refused WHAT ERRNO-TEXT: one more login is refused, says why, leaves nothing.
refused() {
	: > "$T/out/syslog.mark"; lines=$(wc -l < "$T/out/syslog")
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" fs "$TEST_USER" 'touch "'"$T"'/out/ran-'"$1"'"' \
		> "$T/out/$1" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && ok "$1: open_session refused (exit 1)" || fail "$1: exit $rc, expected 1: $(cat "$T/out/$1")"
	assert_gone "$T/out/ran-$1"
	syslog_sync
	tail -n +"$((lines + 1))" "$T/out/syslog" > "$T/out/log-$1"
	assert_grep "cannot create the session record in $T/reg: $2" "$T/out/log-$1"
	[ "$(records)" -eq 2 ] && ok "$1: only the two earlier records" || fail "$1: $(records) records: $(ls -a "$T/reg/sessions")"
	n=$(find "$T/reg" -name '.tmp*' | wc -l)
	[ "$n" -eq 0 ] && ok "$1: no temp file" || fail "$1: temp files: $(find "$T/reg" -name '.tmp*')"
	[ -z "$(ls -A "$T/tmpbase")" ] || [ "$(ls "$T/tmpbase" | wc -l)" -eq 2 ] && ok "$1: no TMPDIR of the refused login" \
		|| fail "$1: TMPDIRs: $(ls "$T/tmpbase")"
	lo --list > "$T/out/list-$1" 2>&1 && ok "$1: --list exit 0" || fail "$1: --list: $(cat "$T/out/list-$1")"
	assert_grep "^$s1 .*$S1_STATE" "$T/out/list-$1"
	assert_grep "^$s2 .*active" "$T/out/list-$1"
	for id in $s1 $s2; do
		lo --status "$id" > "$T/out/st" 2>&1 && tail -1 "$T/reg/sessions/$id" | grep -qx end \
			&& ok "$1: record $id whole and readable" || fail "$1: record $id: $(cat "$T/out/st")"
	done
}

open 1; s1=$SID l1=$LEADER S1_STATE=active
open 2; s2=$SID l2=$LEADER

# 1. Full: fill what is left, then one more login.
dd if=/dev/zero of="$T/reg/filler" bs=1k 2>/dev/null
echo "measured: tmpfs 64k, filler $(du -k "$T/reg/filler" | cut -f1) KiB, free $(df -k --output=avail "$T/reg" | tail -1) KiB" >> "$T/out/measured"
refused full "No space left on device"
# 1b. One page free: the name file fits, the record's temp file does not.
truncate -s -4k "$T/reg/filler"
refused page "No space left on device"
truncate -s +4k "$T/reg/filler" 2>/dev/null
dd if=/dev/zero bs=1k 2>/dev/null >> "$T/reg/filler"
# 1c. logoff of an open session while the registry is full: its
# processes are signalled and its login manager exits, but nothing can
# be marked closing, so nothing is released and the record stays whole
# (stale: its login manager is gone) for the sweep, once there is room.
lo -v "$s1" > "$T/out/full-logoff" 2>&1; rc=$?
[ "$rc" -ne 0 ] && ok "logoff on a full registry fails (exit $rc)" || fail "logoff on a full registry: exit 0"
assert_grep "session $s1: cannot mark it closing: No space left on device; not logged off" "$T/out/full-logoff"
wait "$l1"; rc=$?
[ "$rc" -eq 2 ] && ok "its login manager's close_session failed (exit 2)" || fail "login manager exit $rc"
tail -1 "$T/reg/sessions/$s1" | grep -qx end && ok "record $s1 whole" || fail "record $s1 cut: $(cat "$T/reg/sessions/$s1")"
assert_exists "$T/tmpbase/$s1"
echo "measured: logoff on a full registry: exit $rc" >> "$T/out/measured"

# 2. Read-only (space freed, then remounted ro).
rm -f "$T/reg/filler"
S1_STATE=stale
mount -o remount,ro "$T/reg" || fail "remount ro"
refused ro "Read-only file system"
mount -o remount,rw "$T/reg"

# 3. Writable again: the sweep completes the first session, the second
# is logged off normally; each logoff hook runs once.
lo --gc > "$T/out/gc" 2>&1 || fail "--gc: $(cat "$T/out/gc")"
assert_grep "$s1 (fs-$s1, user $TEST_USER): its login manager is gone: logged off" "$T/out/gc"
lo "$s2" > "$T/out/close2" 2>&1 || fail "logoff $s2: $(cat "$T/out/close2")"
wait "$l2"; rc=$?
[ "$rc" -eq 0 ] && ok "session $s2 closed by its login manager (exit 0)" || fail "close of $s2: exit $rc"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
for id in $s1 $s2; do
	[ "$(grep -c "^$id\$" "$T/out/count")" -eq 1 ] && ok "$id logged off once" || fail "$id logged off $(grep -c "^$id\$" "$T/out/count") times"
done
[ -z "$(ls -A "$T/tmpbase")" ] && ok "no TMPDIR left" || fail "TMPDIRs left: $(ls "$T/tmpbase")"
cat "$T/out/measured"
umount "$T/reg"
finish
