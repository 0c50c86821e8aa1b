#!/bin/sh
# Faults: records in the registry that must never be trusted: truncated,
# corrupt (binary, NUL bytes, empty), of a future format version, not
# owned by root, writable by others, a symlink, a FIFO, a directory. Each
# is a stale-looking session whose subobject is a real directory (a
# victim): `logoff --list`, `--status` and `--gc` must refuse it with a
# message naming the file, never act on it (the victim stays), never hang
# on it (FIFO) and never crash; a good stale session beside them is still
# logged off by the sweep.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "a registry owned by root and a record owned by another uid need root"
LOGOFF="$top_builddir/logoff"
lo() { timeout 20 "$LOGOFF" --config "$T/logoff.conf" "$@"; }
LO_TIMEOUT=5 write_conf
write_service br
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/count"'

# A real session, made stale (its login manager SIGKILLed).
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" br "$TEST_USER" 'sleep 300' > "$T/out/s1" 2>&1 &
leader=$!
wait_for 10 grep -qs '^LOGOFF_SESSION_ID=' "$T/out/s1" || fail "session did not open: $(cat "$T/out/s1")"
good=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s1")
kill -KILL "$leader"; wait "$leader" 2>/dev/null
S="$T/reg/sessions"

# bad ID TEXT: a record of ID, stale (leader pid 1 with another start
# time), whose subobject is the victim directory $T/victim-ID.
rec_text() {
	mkdir -p "$T/victim-$1"
	printf 'logoff-record %s\nid %s\nuser %s\nuid 0\ngid 0\nhome /root\nservice br\ntty pts/42\nrhost -\nname %s\nleader 999999 1\naudit 0\ncreated 1\nstate active\nprovider tmpdir logged-on 0 0 1 x\nsubobject tmpdir path %s\nend\n' \
		"${2:-1}" "$1" "$TEST_USER" "$1" "$T/victim-$1"
}
rec_text r901 > "$S/r901"; head -c 200 "$S/r901" > "$S/.t" && mv "$S/.t" "$S/r901"     # truncated
rec_text r902 2 > "$S/r902"                                                              # format 2
rec_text r903 > "$S/r903"; chown 65534 "$S/r903"                                         # not root's
rec_text r904 > "$S/r904"; chmod 0666 "$S/r904"                                          # writable by others
rec_text r905 > "$T/r905.real"; ln -s "$T/r905.real" "$S/r905"                           # symlink
mkfifo "$S/r906"; mkdir -p "$T/victim-r906"                                              # FIFO
{ rec_text r907; printf '\0\1\2\377'; } > "$S/r907"                                      # NUL bytes
: > "$S/r908"                                                                            # empty
mkdir "$S/r909"                                                                          # directory
head -c 3000 /dev/urandom > "$S/r910"                                                    # noise
chmod 0644 "$S/r901" "$S/r902" "$S/r903" "$S/r907" "$S/r908" "$S/r910"
bad="r901 r902 r903 r904 r905 r906 r907 r908 r909 r910"
for id in $bad; do mkdir -p "$T/victim-$id"; done

# --list: the good session listed as stale; each bad file named on stderr.
lo --list > "$T/out/list" 2> "$T/out/list.err"; rc=$?
[ "$rc" -lt 128 ] && [ "$rc" -ne 124 ] && ok "--list exit $rc" || fail "--list crashed or hung: exit $rc"
echo "measured: --list with 10 bad records: exit $rc" >> "$T/out/measured"
assert_grep "^$good .*stale" "$T/out/list"
for id in $bad; do
	grep -q "^$id " "$T/out/list" && fail "--list shows bad record $id"
	assert_grep "$S/$id" "$T/out/list.err"
done
assert_grep "$S/r901: malformed line" "$T/out/list.err"
assert_grep "$S/r902: record format version not supported" "$T/out/list.err"
assert_grep "$S/r903: refusing a record that is not a regular file owned by the registry's owner" "$T/out/list.err"
assert_grep "$S/r904: refusing a record that is not a regular file owned by the registry's owner, or is writable by group or others" "$T/out/list.err"
assert_grep "$S/r905: refusing a record that is a symlink" "$T/out/list.err"
assert_grep "$S/r906: refusing a record that is not a regular file" "$T/out/list.err"
assert_grep "$S/r907: record contains a NUL byte" "$T/out/list.err"
assert_grep "$S/r908: record is truncated or incomplete" "$T/out/list.err"
assert_grep "$S/r909: refusing a record that is not a regular file" "$T/out/list.err"
[ "$rc" -eq 1 ] && ok "--list exit 1: the listing is incomplete" || fail "--list exit $rc, expected 1"

# --status of each: refused with the file named, never a crash.
for id in $bad; do
	lo --status "$id" > "$T/out/st-$id" 2>&1; rc=$?
	[ "$rc" -eq 2 ] && ok "--status $id: exit $rc" || fail "--status $id: exit $rc: $(cat "$T/out/st-$id")"
	assert_grep "$S/$id" "$T/out/st-$id"
	echo "measured: --status $id: exit $rc: $(head -1 "$T/out/st-$id")" >> "$T/out/measured"
done
# logoff ID of each: the same.
for id in r901 r906; do
	lo "$id" > "$T/out/lo-$id" 2>&1; rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ok "logoff $id: exit $rc" || fail "logoff $id: exit $rc: $(cat "$T/out/lo-$id")"
	assert_grep "$S/$id" "$T/out/lo-$id"
done

# --gc: the good session logged off, every bad one refused, left alone,
# its victim intact.
lo --gc > "$T/out/gc" 2> "$T/out/gc.err"; rc=$?
[ "$rc" -eq 1 ] && ok "--gc exit 1: not every stale session logged off" || fail "--gc: exit $rc, expected 1"
echo "measured: --gc with 10 bad records: exit $rc" >> "$T/out/measured"
assert_grep "1 stale session logged off, 10 not" "$T/out/gc"
assert_grep "$good (br-$good, user $TEST_USER): its login manager is gone: logged off" "$T/out/gc"
assert_gone "$S/$good"
[ "$(grep -c "^$good\$" "$T/out/count")" -eq 1 ] && ok "the good session logged off once" || fail "good session: $(cat "$T/out/count")"
for id in $bad; do
	assert_grep "$S/$id: .*; skipped" "$T/out/gc.err"
	assert_exists "$T/victim-$id"
	[ -e "$S/$id" ] || [ -L "$S/$id" ] && ok "$id left in place" || fail "$id removed"
done
assert_exists "$T/r905.real"
cat "$T/out/measured"
rm -rf "$S"/r9*
finish
