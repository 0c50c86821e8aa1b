#!/bin/sh
# Every provider gets its turn: a plugin provider whose logoff hangs
# (crashy, how = hang) comes before tmpdir in logoff order (providers =
# "tmpdir crashy hooks": logoff order hooks, crashy, tmpdir). close_session
# returns within [logoff] timeout + 1 s, tmpdir still logs off in the same
# close (TMPDIR gone), the hung one is timed-out in the record with its
# retries counted; each `logoff --gc` retries it, and past [logoff]
# retries the sweep abandons it (LOG_CRIT line) and deletes the record.
# `logoff --gc --abandon PROVIDER SESSION` does the same at once, and is
# refused for non-root, an unknown provider and an unknown session.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (logoff --gc)"
LOGOFF="$top_builddir/logoff"
PLUGINS="$T/plugins"
mkdir -p "$PLUGINS"
cp "$top_builddir/tests/plugins/.libs/crashy.so" "$PLUGINS/" || { echo "FAIL: crashy.so not built"; exit 1; }
chmod 0755 "$PLUGINS"; chmod 0644 "$PLUGINS/crashy.so"
write_service phang
LO_TIMEOUT=3 LO_PROVIDERS="tmpdir crashy hooks" LO_LOGOFF_EXTRA="plugin_dir = $PLUGINS
retries = 2" write_conf "[crashy]" "how = hang"

# close_one NAME: open and close one session; sets $id, $tmp, $ms.
close_one() {
	start=$(date +%s%N)
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" phang "$TEST_USER" \
		'echo "TMP=$TMPDIR"' > "$T/out/$1.env" 2> "$T/out/$1.err"
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1.env")
	tmp=$(sed -n 's/^TMP=//p' "$T/out/$1.env")
	[ -n "$id" ] && [ -n "$tmp" ] || fail "$1: the session did not open: $(cat "$T/out/$1.err")"
	[ "$rc" -eq 2 ] && ok "$1: close_session reported the timeout (exit 2)" \
		|| fail "$1: exit $rc, expected 2: $(cat "$T/out/$1.err")"
	limit=$([ -n "${LO_PRELOAD:-}" ] && echo 5000 || echo 4000)
	[ "$ms" -lt "$limit" ] && ok "$1: close_session returned in $ms ms (timeout 3 s)" \
		|| fail "$1: close_session took $ms ms, timeout 3 s, limit $limit ms"
	echo "measured: $1: close_session $ms ms" >> "$T/out/measured"
}

# 1. The close: crashy stopped at its bound, tmpdir after it logged off.
close_one s1
rec="$T/reg/sessions/$id"
assert_gone "$tmp"
assert_grep "^provider tmpdir logged-off" "$rec"
assert_grep "^provider hooks logged-off" "$rec"
assert_grep "^provider crashy timed-out" "$rec"
assert_grep "^retries crashy 1\$" "$rec"
assert_grep "^state timed-out\$" "$rec"
"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$T/out/status1" 2>&1
assert_grep "crashy .*timed-out" "$T/out/status1"

# 2. The sweep retries it: a second timed-out logoff, counted.
"$LOGOFF" --config "$T/logoff.conf" --gc -v > "$T/out/gc1" 2>&1
assert_grep "^retries crashy 2\$" "$rec"
assert_grep "^provider crashy timed-out" "$rec"
assert_no_grep "abandoned" "$T/out/gc1"
# 3. The last retry (retries = 2: the close and two more) times out too:
#    abandoned, logged loudly, the record deleted.
"$LOGOFF" --config "$T/logoff.conf" --gc -v > "$T/out/gc2" 2>&1
assert_grep "session $id (user $TEST_USER): provider crashy abandoned (timed out 3 times)" "$T/out/gc2"
assert_gone "$rec"
# Nothing of the hung plugin is left running: the sweep that abandoned it
# ended its helper, which may take a moment to exit.
wait_for 10 sh -c "! pgrep -f -- '--session $id ' >/dev/null"
if pgrep -f -- "--session $id " > "$T/out/left1"; then fail "processes of session $id's helper left: $(cat "$T/out/left1")"; else ok "no helper process of session $id left"; fi

# 4. --abandon at once, for a second session.
close_one s2
rec2="$T/reg/sessions/$id"
assert_gone "$tmp"
assert_grep "^provider crashy timed-out" "$rec2"
# Refused: not root, an unknown provider, an unknown session, wrong use.
setpriv --reuid=65534 --regid=65534 --clear-groups "$LOGOFF" --config "$T/logoff.conf" \
	--gc --abandon crashy "$id" > "$T/out/nonroot" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "--abandon as non-root: exit 3" || fail "--abandon as non-root: exit $rc: $(cat "$T/out/nonroot")"
assert_grep "permission denied: --abandon needs root" "$T/out/nonroot"
assert_exists "$rec2"
"$LOGOFF" --config "$T/logoff.conf" --gc --abandon nosuch "$id" > "$T/out/noprov" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "--abandon of an unknown provider: exit 2" || fail "unknown provider: exit $rc"
assert_grep "session $id has no provider 'nosuch'" "$T/out/noprov"
assert_exists "$rec2"
"$LOGOFF" --config "$T/logoff.conf" --gc --abandon crashy 99999$$ > "$T/out/nosess" 2>&1
rc=$?
[ "$rc" -eq 4 ] && ok "--abandon of an unknown session: exit 4" || fail "unknown session: exit $rc: $(cat "$T/out/nosess")"
"$LOGOFF" --config "$T/logoff.conf" --abandon crashy "$id" > "$T/out/nogc" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "--abandon without --gc: usage error" || fail "--abandon without --gc: exit $rc"
assert_grep "abandon goes with --gc" "$T/out/nogc"
assert_exists "$rec2"
# Done at once by root.
"$LOGOFF" --config "$T/logoff.conf" --gc --abandon crashy "$id" > "$T/out/abandon" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "--abandon: exit 0" || fail "--abandon: exit $rc: $(cat "$T/out/abandon")"
assert_grep "provider crashy abandoned (logoff --gc --abandon)" "$T/out/abandon"
assert_grep "$id: provider crashy abandoned, session logged off" "$T/out/abandon"
assert_gone "$rec2"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
cat "$T/out/measured"
finish
