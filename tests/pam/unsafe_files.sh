#!/bin/sh
# Files pam_logoff trusts are refused, with the file named, when they are
# group or other writable, not owned by root, or a symlink, as root: the
# config file, a hook and the hook directory, a plugin, the registry
# directory and a session record. Each refusal is checked for its effect
# too: the unsafe hook or plugin never ran, the unsafe config's settings
# were not used, nothing was written through an unsafe registry, and a
# record reached through a symlink did not log off the session it names.
# Root only.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (the checks apply to root; chown)"
LOGOFF="$top_builddir/logoff"
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
# expect_refused DESC FILE-IN-MESSAGE FILE: ran with exit $rc, FILE's
# stderr names it; exit 0 is a failure.
expect_refused() {
	[ "$rc" -ne 0 ] && ok "$1: refused (exit $rc)" || fail "$1: accepted"
	assert_grep "$2" "$3"
}
write_service unsafe
open_close() { # open_close OUT [CMD]: one session; rc is pam_session_test's exit
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" unsafe "$TEST_USER" "${2:-true}" > "$T/out/$1" 2>&1
	rc=$?
}

# 1. logoff.conf: group writable, owned by another user, a symlink. The
#    CLI and the module refuse it; its settings (registry here) are never
#    used.
for how in group-writable other-owner symlink; do
	write_conf
	case $how in
	group-writable) chmod 0664 "$T/logoff.conf"; want="logoff.conf: refusing a config file that is not owned by root or is writable";;
	other-owner) chown 65534 "$T/logoff.conf"; want="logoff.conf: refusing a config file that is not owned by root or is writable";;
	symlink) mv "$T/logoff.conf" "$T/real.conf"; ln -s real.conf "$T/logoff.conf"; want="logoff.conf: refusing a config file that is a symlink";;
	esac
	lo --list > "$T/out/conf.out" 2> "$T/out/conf.err"; rc=$?
	expect_refused "logoff.conf $how (logoff --list)" "$T/$want" "$T/out/conf.err"
	open_close conf.pam
	[ "$rc" -eq 1 ] && ok "logoff.conf $how: open_session failed" || fail "logoff.conf $how: pam_session_test exit $rc"
	assert_gone "$T/reg"
	rm -f "$T/logoff.conf" "$T/real.conf"
done

# 2. Hooks: a group-writable hook, one owned by another user and a
#    symlink to a safe hook elsewhere: none runs, each is named in the
#    log and in the provider's status; the safe one runs. The helper is
#    run inside the session so that its log (stderr) can be read.
write_conf
mkdir -p "$T/elsewhere"
hook logoff.d 10-safe 'touch "'"$T"'/out/ran-safe"'
hook logoff.d 20-groupw 'touch "'"$T"'/out/ran-groupw"'; chmod 0775 "$T/logoff.d/20-groupw"
hook logoff.d 30-owner 'touch "'"$T"'/out/ran-owner"'; chown 65534 "$T/logoff.d/30-owner"
printf '#!/bin/sh\ntouch "%s/out/ran-link"\n' "$T" > "$T/elsewhere/hook"; chmod 0755 "$T/elsewhere/hook"
ln -s "$T/elsewhere/hook" "$T/logoff.d/40-link"
in_session_logoff() { # in_session_logoff OUT: the session logs itself off with the helper
	open_close "$1.pam" '"'"$HELPER"'" --session "$LOGOFF_SESSION_ID" --config "'"$T"'/logoff.conf" \
		> "'"$T"'/out/'"$1"'.out" 2> "'"$T"'/out/'"$1"'.err"; echo "helper=$?"'
}
in_session_logoff hooks
assert_exists "$T/out/ran-safe"
for h in groupw owner link; do assert_gone "$T/out/ran-$h"; done
assert_grep "$T/logoff.d/20-groupw: refusing a hook not owned by uid 0 or writable" "$T/out/hooks.err"
assert_grep "$T/logoff.d/30-owner: refusing a hook not owned by uid 0 or writable" "$T/out/hooks.err"
assert_grep "$T/logoff.d/40-link: refusing a hook that is a symlink" "$T/out/hooks.err"
assert_grep "20-groupw=refused 30-owner=refused 40-link=refused" "$T/out/hooks.err"
rm -f "$T/logoff.d/"* "$T/out/ran-"*

#    The hook directory itself: group writable, another owner, a symlink.
hook logoff.d 10-safe 'touch "'"$T"'/out/ran-safe"'
for how in group-writable other-owner symlink; do
	case $how in
	group-writable) chmod 0775 "$T/logoff.d"; want="$T/logoff.d: refusing a hook directory not owned by uid 0 or writable";;
	other-owner) chown 65534 "$T/logoff.d"; want="$T/logoff.d: refusing a hook directory not owned by uid 0 or writable";;
	symlink) mv "$T/logoff.d" "$T/real.d"; ln -s real.d "$T/logoff.d"; want="$T/logoff.d: refusing a hook directory that is a symlink";;
	esac
	in_session_logoff hookdir
	assert_grep "$want" "$T/out/hookdir.err"
	assert_gone "$T/out/ran-safe"
	case $how in
	group-writable) chmod 0755 "$T/logoff.d";; other-owner) chown 0 "$T/logoff.d";;
	symlink) rm "$T/logoff.d"; mv "$T/real.d" "$T/logoff.d";;
	esac
done
rm -f "$T/logoff.d/"*

# 3. A plugin: group writable, another owner, a symlink. The helper
#    refuses to load it (the sample plugin would create a file) and names
#    it. (plugins.sh covers a world-writable one.)
SAMPLE="$top_builddir/examples/providers/.libs/sample.so"
if [ -f "$SAMPLE" ]; then
	mkdir -p "$T/plugins" "$T/files"; chmod 0777 "$T/files"
	for how in group-writable other-owner symlink; do
		rm -f "$T/plugins/"* "$T/files/"*
		cp "$SAMPLE" "$T/plugins/sample.so"; chmod 0644 "$T/plugins/sample.so"
		case $how in
		group-writable) chmod 0664 "$T/plugins/sample.so"; want="plugins/sample.so: refusing a plugin that is not a regular file owned by root";;
		other-owner) chown 65534 "$T/plugins/sample.so"; want="plugins/sample.so: refusing a plugin that is not a regular file owned by root";;
		symlink) mv "$T/plugins/sample.so" "$T/elsewhere/sample.so"; ln -s "$T/elsewhere/sample.so" "$T/plugins/sample.so"
			want="plugins/sample.so: refusing a plugin that is a symlink";;
		esac
		LO_PROVIDERS="tmpdir sample" LO_LOGOFF_EXTRA="plugin_dir = $T/plugins" write_conf "[sample]" "dir = $T/files"
		# The sweep still runs (with the built-in providers): only the
		# message says the plugin was refused.
		"$HELPER" --gc --config "$T/logoff.conf" > "$T/out/plugin.out" 2> "$T/out/plugin.err"
		assert_grep "$T/$want" "$T/out/plugin.err"
		open_close plugin.pam 'ls "'"$T"'/files" > "'"$T"'/out/plugin.files"'
		[ ! -s "$T/out/plugin.files" ] && ok "plugin $how: never ran (no sample file)" \
			|| fail "plugin $how ran: $(cat "$T/out/plugin.files")"
	done
	rm -f "$T/plugins/"*
else
	echo "skip: $SAMPLE not built"
fi

# 4. The registry directory: group writable, another owner, a symlink.
#    Nothing is written into it, and the CLI names it.
write_conf
open_close reg.pam   # creates the registry
for how in group-writable other-owner symlink; do
	case $how in
	group-writable) chmod 0775 "$T/reg"; want="$T/reg: refusing a registry directory not owned by uid 0";;
	other-owner) chown 65534 "$T/reg"; want="$T/reg: refusing a registry directory not owned by uid 0";;
	symlink) mv "$T/reg" "$T/realreg"; ln -s realreg "$T/reg"; want="$T/reg: refusing a registry directory that is a symlink";;
	esac
	before=$(find "$T/reg/" "$T/realreg/" 2>/dev/null | sort | md5sum)
	lo --list > "$T/out/reg.out" 2> "$T/out/reg.err"; rc=$?
	expect_refused "registry $how (logoff --list)" "$want" "$T/out/reg.err"
	open_close reg.pam
	[ "$rc" -eq 1 ] && ok "registry $how: open_session failed" || fail "registry $how: pam_session_test exit $rc"
	[ "$(find "$T/reg/" "$T/realreg/" 2>/dev/null | sort | md5sum)" = "$before" ] && ok "registry $how: nothing written" \
		|| fail "registry $how: written to"
	case $how in
	group-writable) chmod 0755 "$T/reg";; other-owner) chown 0 "$T/reg";;
	symlink) rm "$T/reg"; mv "$T/realreg" "$T/reg";;
	esac
done

# 5. A record: world writable, another owner, a symlink to another
#    session's record. logoff --status and logoff-helper refuse it and
#    name it; the session it points at is not logged off.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" unsafe "$TEST_USER" 'echo $$ > "'"$T"'/out/victim.pid"; exec sleep 300' > "$T/out/victim.env" 2>&1 &
victim_leader=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/victim.env" || fail "the victim session did not open"
victim=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/victim.env")
wait_for 5 test -e "$T/reg/sessions/$victim"
for how in world-writable other-owner symlink; do
	# A file of its own per session: the background shell creates it,
	# and a wait on a reused one could read the last session's id.
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" unsafe "$TEST_USER" 'echo $$ > "'"$T"'/out/rec-'"$how"'.pid"; exec sleep 300' > "$T/out/rec-$how.env" 2>&1 &
	leader=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/rec-$how.env" || fail "session did not open"
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/rec-$how.env")
	[ -n "$id" ] || { fail "no session id: $(cat "$T/out/rec-$how.env")"; break; }
	wait_for 5 test -e "$T/reg/sessions/$id"
	case $how in
	world-writable) chmod 0666 "$T/reg/sessions/$id"; want="sessions/$id: refusing a record that is not a regular file owned by the registry";;
	other-owner) chown 65534 "$T/reg/sessions/$id"; want="sessions/$id: refusing a record that is not a regular file owned by the registry";;
	symlink) mv "$T/reg/sessions/$id" "$T/out/rec.$id"; ln -s "$victim" "$T/reg/sessions/$id"; want="sessions/$id: refusing a record that is a symlink";;
	esac
	lo --status "$id" > "$T/out/rec.out" 2> "$T/out/rec.err"; rc=$?
	expect_refused "record $how (logoff --status)" "$T/reg/$want" "$T/out/rec.err"
	"$HELPER" --session "$id" --config "$T/logoff.conf" > "$T/out/rec.out" 2> "$T/out/rec.err"; rc=$?
	[ "$rc" -eq 2 ] && ok "record $how: logoff-helper exit 2" || fail "record $how: logoff-helper exit $rc: $(cat "$T/out/rec.err")"
	assert_grep "$T/reg/$want" "$T/out/rec.err"
	assert_exists "$T/reg/sessions/$victim"
	assert_exists "$T/tmpbase/$victim"
	assert_alive "$victim_leader" "victim session"
	rm -f "$T/reg/sessions/$id"
	kill "$(cat "$T/out/rec-$how.pid")"; wait "$leader" 2>/dev/null
done
kill "$(cat "$T/out/victim.pid")"; wait "$victim_leader"
assert_gone "$T/reg/sessions/$victim"
finish
