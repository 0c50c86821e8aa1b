#!/bin/sh
# Faults: concurrency. LO_WORKERS (8) processes each open and close
# LO_SESSIONS (500) sessions through the real module (session_loop: the
# loop in-process through libpam with pam_start_confdir, no exec per
# session besides the module's own helper and hook), while `logoff --list`
# and `logoff --gc` run in loops beside them. Every session must be
# logged off exactly once (its logoff hook ran once, its TMPDIR is gone),
# no record, temp file or name left, the lock free, no record ever
# refused by the listing, no live session ever taken by the sweep.
# As root the registry is a tmpfs of its own, as /run/logoff (the
# default) is: on a disk each record write's fsync costs milliseconds.
. "${top_srcdir:-.}/tests/lib.sh"
REGFS=disk
if in_private_mounts "$@"; then
	mkdir -m 0700 "$T/reg" && mount -t tmpfs -o mode=0700 lo-reg "$T/reg" && REGFS=tmpfs
fi

WORKERS=${LO_WORKERS:-8}
# Under the sanitizers (LO_PRELOAD) 8 x 100: the same races at a fifth of
# the ASan build's time; the plain build runs the 8 x 500.
SESSIONS=${LO_SESSIONS:-$([ -n "${LO_PRELOAD:-}" ] && echo 100 || echo 500)}
LOOP="$top_builddir/tests/faults/session_loop"
LOGOFF="$top_builddir/logoff"
[ -x "$LOOP" ] || { echo "FAIL: $LOOP not built"; exit 1; }
LO_TIMEOUT=20 write_conf
write_service cc
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/count"'
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
: > "$T/out/list.err"; : > "$T/out/gc.out"

# The listing and the sweep loop until the sessions are done.
( while [ ! -e "$T/out/stop" ]; do
	lo --list > /dev/null 2>> "$T/out/list.err" || echo "list exit $?" >> "$T/out/list.err"
	echo x >> "$T/out/lists"
	sleep 0.05
done ) &
lister=$!
gc_ok=1
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: the concurrent sweep (logoff --gc needs root)"
	gc_ok=0
else
	( while [ ! -e "$T/out/stop" ]; do
		lo --gc >> "$T/out/gc.out" 2>&1 || echo "gc exit $?" >> "$T/out/gc.out"
		echo x >> "$T/out/gcs"
		sleep 0.05
	done ) &
	sweeper=$!
fi

LOAD=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s%N)
SESSION_LOOP_KEEP="$MODULE" "$LOOP" "$T/pam.d" cc "$TEST_USER" "$WORKERS" "$SESSIONS" > "$T/out/opened" 2> "$T/out/loop.err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
touch "$T/out/stop"
wait $lister
[ "$gc_ok" -eq 1 ] && wait $sweeper
total=$((WORKERS * SESSIONS))
[ "$rc" -eq 0 ] && ok "$total open/close pairs succeeded in $ms ms" || fail "session_loop exit $rc: $(tail -5 "$T/out/loop.err")"
echo "measured: registry on $REGFS: $WORKERS x $SESSIONS = $total sessions in $ms ms, load average $LOAD at the start ($(tail -1 "$T/out/loop.err")); $(wc -l < "$T/out/lists" 2>/dev/null || echo 0) --list and $(wc -l < "$T/out/gcs" 2>/dev/null || echo 0) --gc runs beside them" >> "$T/out/measured"

opened=$(sort -u "$T/out/opened" | wc -l)
[ "$opened" -eq "$total" ] && ok "$opened distinct session ids" || fail "$opened distinct ids of $(wc -l < "$T/out/opened") opens, expected $total"
sed -n 's/^open //p' "$T/out/opened" | sort > "$T/out/ids"
sort "$T/out/count" > "$T/out/counted"
twice=$(uniq -d "$T/out/counted" | wc -l)
[ "$twice" -eq 0 ] && ok "no session logged off twice" || fail "$twice sessions logged off more than once: $(uniq -d "$T/out/counted" | head)"
missing=$(comm -23 "$T/out/ids" "$T/out/counted" | wc -l)
[ "$missing" -eq 0 ] && ok "every session's logoff hook ran" || fail "$missing sessions without a logoff: $(comm -23 "$T/out/ids" "$T/out/counted" | head)"
extra=$(comm -13 "$T/out/ids" "$T/out/counted" | sort -u | wc -l)
[ "$extra" -eq 0 ] && ok "no logoff of an unknown session" || fail "$extra unknown sessions logged off"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left: $(ls "$T/reg/sessions" | head)"
n=$(find "$T/reg" -name '.tmp*' | wc -l)
[ "$n" -eq 0 ] && ok "no temp file in the registry" || fail "temp files: $(find "$T/reg" -name '.tmp*' | head)"
n=$(find "$T/reg/names" "$T/reg/users" -mindepth 1 ! -type d 2>/dev/null | wc -l)
[ "$n" -eq 0 ] && ok "no name or user index entry left" || fail "$n index entries left: $(find "$T/reg/names" "$T/reg/users" -mindepth 1 ! -type d | head)"
[ -z "$(ls -A "$T/tmpbase")" ] && ok "no TMPDIR left" || fail "$(ls "$T/tmpbase" | wc -l) TMPDIRs left"
if command -v flock > /dev/null; then
	flock -n "$T/reg/lock" true && ok "the registry lock is free" || fail "the registry lock is held"
fi
[ ! -s "$T/out/list.err" ] && ok "--list never refused a record or failed" || fail "--list: $(sort "$T/out/list.err" | uniq -c | head)"
if [ "$gc_ok" -eq 1 ]; then
	grep -v -e '^No stale sessions' "$T/out/gc.out" > "$T/out/gc.other"
	[ ! -s "$T/out/gc.other" ] && ok "the sweep never took a session" || fail "the sweep: $(sort "$T/out/gc.other" | uniq -c | head)"
fi
# Wall time depends on what else the machine runs: over 90 s is a
# failure only when the load average was below the number of CPUs.
if [ "$ms" -lt 90000 ]; then
	ok "under 90 s"
elif awk -v l="$LOAD" -v n="$(nproc)" 'BEGIN { exit !(l >= n) }'; then
	echo "note: $ms ms, over 90 s with a load average of $LOAD on $(nproc) CPUs at the start: not counted"
else
	fail "took $ms ms (load average $LOAD at the start)"
fi
cat "$T/out/measured"
[ "$REGFS" = tmpfs ] && umount "$T/reg"
finish
