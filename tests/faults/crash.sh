#!/bin/sh
# Faults: a logoff hook or a plugin provider that crashes (SIGSEGV,
# abort) during close_session. The login manager (pam_session_test, the
# process that loaded the module) must survive with a normal exit, every
# other provider must still release (TMPDIR, the sample plugin's file,
# the other hooks), and the signal must be recorded: in the log (a
# private /dev/log) and, for a hook, in the hooks provider's status.
# tests/pam/plugins.sh covers the crash inside the sweep.
. "${top_srcdir:-.}/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "reads the log through a private /dev/log (root, unshare -m)"
in_private_mounts "$@" || skip "needs unshare -m"
capture_syslog || skip "cannot set up a private /dev/log"

LOGOFF="$top_builddir/logoff"
PLUGINS="$T/plugins"
mkdir -p "$PLUGINS" "$T/files"; chmod 0777 "$T/files"
for so in "$top_builddir/examples/providers/.libs/sample.so" "$top_builddir/tests/plugins/.libs/crashy.so"; do
	cp "$so" "$PLUGINS/" || { echo "FAIL: $so not built"; exit 1; }
done
chmod 0755 "$PLUGINS"; chmod 0644 "$PLUGINS"/*.so
write_service crash

# session WHAT: open, note TMPDIR and SAMPLE_FILE, close; sets RC, ID and
# LOG (what reached syslog meanwhile).
session() {
	lines=$(wc -l < "$T/out/syslog")
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" crash "$TEST_USER" \
		'echo "$TMPDIR" > "'"$T"'/out/tmp-'"$1"'"; echo "${SAMPLE_FILE:-}" > "'"$T"'/out/sample-'"$1"'"' \
		> "$T/out/$1.env" 2> "$T/out/$1.err"
	RC=$?
	ID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1.env")
	syslog_sync
	LOG="$T/out/log-$1"
	tail -n +"$((lines + 1))" "$T/out/syslog" > "$LOG"
}

# 1. Logoff hooks that die of SIGSEGV and of SIGABRT, before and after a
#    hook that counts: the counting hook runs, the TMPDIR goes, the
#    status names each signal.
hook logoff.d 10-segv 'kill -SEGV $$'
hook logoff.d 20-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/count"'
hook logoff.d 30-abort 'kill -ABRT $$'
LO_TIMEOUT=10 write_conf
session hooks
[ "$RC" -lt 128 ] && ok "login manager survived crashing hooks (exit $RC)" || fail "login manager died: exit $RC"
echo "measured: crashing hooks: login manager exit $RC" >> "$T/out/measured"
assert_grep "hooks: 10-segv: killed by signal 11" "$LOG"
assert_grep "hooks: 30-abort: killed by signal 6" "$LOG"
assert_grep "10-segv=signal-11" "$LOG"
assert_grep "30-abort=signal-6" "$LOG"
[ "$(grep -c "^$ID\$" "$T/out/count")" -eq 1 ] && ok "the other hook ran once" || fail "the counting hook ran $(grep -c "^$ID\$" "$T/out/count") times"
assert_gone "$(cat "$T/out/tmp-hooks")"
[ "$(records)" -eq 0 ] && ok "no record left: a failed hook is not a subobject left" || fail "$(records) record(s) left"
rm -f "$T/logoff.d/"*

# 2. A plugin whose logoff crashes, between the sample plugin and the
#    built-in providers: in close_session (logoff-helper runs the plugin
#    in a forked child).
hook logoff.d 20-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/count"'
for how in segv abort; do
	sig=$([ "$how" = segv ] && echo 11 || echo 6)
	LO_TIMEOUT=10 LO_PROVIDERS="tmpdir sample crashy hooks" LO_LOGOFF_EXTRA="plugin_dir = $PLUGINS" \
		write_conf "[sample]" "dir = $T/files" "[crashy]" "how = $how"
	session "plugin-$how"
	[ "$RC" -lt 128 ] && ok "$how: login manager survived (exit $RC)" || fail "$how: login manager died: exit $RC"
	echo "measured: crashing plugin ($how): login manager exit $RC" >> "$T/out/measured"
	assert_grep "crashy: logoff crashed: signal $sig" "$LOG"
	[ -n "$(cat "$T/out/sample-plugin-$how")" ] && assert_gone "$(cat "$T/out/sample-plugin-$how")" || fail "$how: no SAMPLE_FILE"
	assert_gone "$(cat "$T/out/tmp-plugin-$how")"
	[ "$(grep -c "^$ID\$" "$T/out/count")" -eq 1 ] && ok "$how: hooks ran once" || fail "$how: hooks ran $(grep -c "^$ID\$" "$T/out/count") times"
	# The crash is a provider failure: the record is gone when nothing
	# is left tracked, or kept, failed, naming the signal.
	if [ -e "$T/reg/sessions/$ID" ]; then
		"$LOGOFF" --config "$T/logoff.conf" --status "$ID" > "$T/out/st-$how" 2>&1
		assert_grep "crashy .*logoff crashed: signal $sig" "$T/out/st-$how"
		echo "measured: crashing plugin ($how): record kept: $(grep crashy "$T/out/st-$how")" >> "$T/out/measured"
	else
		echo "measured: crashing plugin ($how): record deleted" >> "$T/out/measured"
	fi
done
cat "$T/out/measured"
finish
