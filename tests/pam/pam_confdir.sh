#!/bin/sh
# PAM-level: the real module through libpam's pam_start_confdir with a
# service file in the work dir. Asserts on what the session left behind.
. "${top_srcdir:-.}/tests/lib.sh"

write_conf
write_service logoff-test
hook logon.d 10-env 'env | sort > "'"$T"'/out/logon.env"; test -d "'"$T"'/tmpbase/$LOGOFF_SESSION_ID" && echo present > "'"$T"'/out/tmpdir-at-logon"; echo hook says hello'
hook logoff.d 10-env 'env | sort > "'"$T"'/out/logoff.env"'
hook logoff.d 20-fail 'exit 3'
hook logoff.d 'skipped~' 'touch "'"$T"'/out/backup-ran"'
hook logoff.d '.hidden' 'touch "'"$T"'/out/hidden-ran"'
printf '#!/bin/sh\ntouch "%s/out/unsafe-ran"\n' "$T" > "$T/logoff.d/30-unsafe"; chmod 0777 "$T/logoff.d/30-unsafe"

# 1. open, work in TMPDIR, close.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" \
	'echo data > "$TMPDIR/file"; mkdir "$TMPDIR/sub"; ln -s /etc/passwd "$TMPDIR/sub/link"; env > "'"$T"'/out/session.env"' \
	> "$T/out/pamenv" 2> "$T/out/stderr"
rc=$?
[ "$rc" -eq 0 ] && ok "open and close succeeded" || fail "pam_session_test exit $rc: $(cat "$T/out/stderr")"
id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/pamenv")
[ -n "$id" ] && ok "LOGOFF_SESSION_ID=$id exported" || fail "no LOGOFF_SESSION_ID in the PAM environment"
assert_grep "^TMPDIR=$T/tmpbase/$id\$" "$T/out/pamenv"
assert_grep "^TMPDIR=$T/tmpbase/$id\$" "$T/out/session.env"
assert_exists "$T/out/tmpdir-at-logon"
assert_gone "$T/tmpbase/$id"
assert_exists /etc/passwd
# Hooks: ran, exactly the documented environment, right PAM_TYPE.
assert_grep "^PAM_TYPE=open_session\$" "$T/out/logon.env"
assert_grep "^PAM_TYPE=close_session\$" "$T/out/logoff.env"
assert_grep "^LOGOFF_SESSION_ID=$id\$" "$T/out/logoff.env"
assert_grep "^PAM_USER=$TEST_USER\$" "$T/out/logoff.env"
assert_grep "^PAM_SERVICE=logoff-test\$" "$T/out/logoff.env"
assert_grep "^PAM_TTY=pts/42\$" "$T/out/logoff.env"
assert_grep "^PAM_RHOST=192.0.2.7\$" "$T/out/logoff.env"
names=$(sed 's/=.*//' "$T/out/logoff.env" | grep -v -E '^(PWD|SHLVL|_)$' | sort | tr '\n' ' ')
[ "$names" = "HOME LOGOFF_SESSION_ID PAM_RHOST PAM_SERVICE PAM_TTY PAM_TYPE PAM_USER PATH " ] \
	&& ok "hook environment is exactly the documented set" || fail "hook environment: $names"
assert_gone "$T/out/backup-ran"
assert_gone "$T/out/hidden-ran"
assert_gone "$T/out/unsafe-ran"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left in $T/reg/sessions"
assert_gone "$T/reg/users/$(id -u)"

# timed_close WHAT HOOK-BODY: a session whose only logoff hook is HOOK-BODY,
# with [logoff] timeout = 2 and a 60 s hook timeout. close_session must
# report the timeout and return within timeout + 1 s. Sets $id.
timed_close() {
	rm -f "$T/logoff.d/"*
	hook logoff.d 10-slow "$2"
	LO_TIMEOUT=2 LO_HOOK_TIMEOUT=60 write_conf
	start=$(date +%s%N)
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" > "$T/out/timed.env" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$rc" -eq 2 ] && ok "close_session reported the timeout ($1)" || fail "exit $rc, expected 2 ($1)"
	[ "$ms" -lt 3000 ] && ok "close returned in ${ms} ms, timeout 2 s ($1)" || fail "close took ${ms} ms ($1)"
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/timed.env")
	rm -f "$T/logoff.d/"*
}

# 2. A logoff hook that hangs: the record says timed-out, the hung hook is
#    gone, and the helper (the sweep's work, done by hand) completes it.
timed_close "hung hook" 'echo $$ > "'"$T"'/out/hang.pid"; exec sleep 300'
assert_grep "^state timed-out\$" "$T/reg/sessions/$id"
assert_grep "^provider hooks timed-out" "$T/reg/sessions/$id"
[ -s "$T/out/hang.pid" ] && wait_for_gone "$(cat "$T/out/hang.pid")"
[ -s "$T/out/hang.pid" ] && assert_dead "$(cat "$T/out/hang.pid")" "hung hook"
"$HELPER" --session "$id" --config "$T/logoff.conf" && ok "helper completed the timed-out session" \
	|| fail "helper could not complete session $id"
assert_gone "$T/reg/sessions/$id"
assert_gone "$T/tmpbase/$id"

# 2b. A logoff hook that writes without pause cannot hold the deadline either.
timed_close "chatty hook" 'exec yes'
wait_for 3 sh -c '! pgrep -x yes >/dev/null' && ok "the chatty hook is gone" || fail "the chatty hook survived"
"$HELPER" --session "$id" --config "$T/logoff.conf" || fail "helper could not complete session $id"

# 2c. The PAM environment is the user's to touch (pam_env user_readenv):
#     a LOGOFF_SESSION_ID overwritten after open must not make close log
#     off another session. Session A stays open while session B, whose
#     stack sets LOGOFF_SESSION_ID to A's id, opens and closes.
rm -f "$T/logoff.d/"*
write_conf
cat > "$T/pam.d/logoff-envtrick" <<SVC
session  required  $MODULE config=$T/logoff.conf helper=$HELPER debug
session  required  pam_env.so readenv=0 conffile=$T/env.conf
SVC
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" \
	'printf "LOGOFF_SESSION_ID OVERRIDE=%s\n" "$LOGOFF_SESSION_ID" > "'"$T"'/env.conf";
	 "'"$top_builddir"'/tests/pam/pam_session_test" "'"$T"'/pam.d" logoff-envtrick "'"$TEST_USER"'" > "'"$T"'/out/envB" 2>&1;
	 test -e "'"$T"'/reg/sessions/$LOGOFF_SESSION_ID" && echo kept > "'"$T"'/out/A-kept";
	 test -d "$TMPDIR" && echo kept > "'"$T"'/out/A-tmpdir-kept"' > "$T/out/envA" 2>&1
assert_grep "^LOGOFF_SESSION_ID=" "$T/out/envB"
idA=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/envA")
[ "$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/envB")" = "$idA" ] && ok "B's environment names A ($idA)" \
	|| fail "pam_env did not override LOGOFF_SESSION_ID; the test proves nothing"
assert_exists "$T/out/A-kept"
assert_exists "$T/out/A-tmpdir-kept"
[ "$(records)" -eq 0 ] && ok "A and B both logged off, each its own" || fail "$(records) record(s) left"

# 3. A required provider that fails rolls the others back and fails open.
rm -f "$T/logoff.d/"*
chmod 0777 "$T/tmpbase"
LO_PROVIDERS="hooks tmpdir" write_conf "[logoff]" "required = tmpdir"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" > /dev/null 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "open_session failed for a required provider" || fail "exit $rc, expected 1"
[ "$(records)" -eq 0 ] && ok "rolled back: no record" || fail "$(records) record(s) left"
chmod 0711 "$T/tmpbase"

# 4. A broken config: open fails, with the file, line and key in the log.
printf '[logoff]\ntimeout = soon\n' > "$T/logoff.conf"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" > /dev/null 2>&1
[ $? -eq 1 ] && ok "open_session refused a broken config" || fail "broken config accepted"
[ "$(records)" -eq 0 ] && ok "no record for a refused session" || fail "record written"
# 6. A session directory left over under the next id (registry lost, base
#    kept): the new session gets a fresh, empty TMPDIR; the old one is
#    removed at logoff, not in open_session.
write_conf
next=$(cat "$T/reg/next-id")
mkdir -p "$T/tmpbase/r$next/old"; echo stale > "$T/tmpbase/r$next/old/file"
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" \
	'ls -A "$TMPDIR" > "'"$T"'/out/stale-ls"' > "$T/out/stale-env" 2>&1 || fail "session over a stale TMPDIR failed"
[ "$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/stale-env")" = "r$next" ] && ok "session r$next reused the stale name" \
	|| fail "expected session r$next"
[ -f "$T/out/stale-ls" ] && [ ! -s "$T/out/stale-ls" ] && ok "the new TMPDIR started empty" || fail "the new TMPDIR held: $(cat "$T/out/stale-ls")"
[ -z "$(ls -A "$T/tmpbase")" ] && ok "stale and new TMPDIR both removed at logoff" || fail "left in base: $(ls -A "$T/tmpbase")"

# 7. A base planted by a user in a sticky world-writable directory (as
#    anyone can in /tmp) does not block logins: it is moved aside.
if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 1777 "$T/sticky"
	mkdir "$T/sticky/logoff"; chown 65534 "$T/sticky/logoff"; chmod 0777 "$T/sticky/logoff"
	write_conf
	sed -i "s|^base = .*|base = $T/sticky/logoff|" "$T/logoff.conf"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" \
		'stat -c "%u %a" "$(dirname "$TMPDIR")" > "'"$T"'/out/base-stat"' > /dev/null 2>&1 \
		&& ok "session opened despite a planted base" || fail "a planted base blocked the login"
	assert_grep "^0 711\$" "$T/out/base-stat"
	planted=$(find "$T/sticky" -maxdepth 1 -name '.logoff-base.*' -uid 65534 | wc -l)
	[ "$planted" -eq 1 ] && ok "planted base swapped aside" || fail "planted base not swapped aside: $(ls -la "$T/sticky")"
fi

# 5. The registry on a full file system (root: a tiny tmpfs): open_session
#    fails with a clear log line and leaves nothing behind, never a
#    session that could not be logged off.
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/fullreg" && mount -t tmpfs -o size=8k,mode=0700 tmpfs "$T/fullreg" 2>/dev/null; then
	write_conf
	sed -i "s|^registry = .*|registry = $T/fullreg|" "$T/logoff.conf"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" logoff-test "$TEST_USER" > "$T/out/full" 2>&1
	rc=$?
	n=$(find "$T/fullreg/sessions" -mindepth 1 ! -name '.*' 2>/dev/null | wc -l)
	tmps=$(find "$T/fullreg/sessions" -mindepth 1 -name '.tmp*' 2>/dev/null | wc -l)
	if [ "$rc" -eq 0 ]; then
		# It fit after all: then it must also have been logged off.
		[ "$n" -eq 0 ] && ok "session fit in the small registry and was logged off" || fail "$n record(s) left"
	else
		ok "open_session failed on a full registry (exit $rc)"
		[ "$n" -eq 0 ] && ok "no record left on the full registry" || fail "$n record(s) left: $(ls "$T/fullreg/sessions")"
	fi
	[ "$tmps" -eq 0 ] && ok "no temp file left" || fail "$tmps temp file(s) left"
	[ -z "$(ls -A "$T/tmpbase" 2>/dev/null)" ] && ok "no TMPDIR left" || fail "TMPDIR left: $(ls "$T/tmpbase")"
	umount "$T/fullreg"
fi
finish
