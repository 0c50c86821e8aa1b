#!/bin/sh
# logoff(1) against real sessions: pam_session_test opens each one through
# libpam and the real module, runs a command inside it and closes it when
# the command ends, like a login manager. Asserts on effects: records,
# processes, temp dirs, exit statuses, what reached a terminal.
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
[ -x "$LOGOFF" ] || { echo "FAIL: $LOGOFF not built"; exit 1; }
# match=audit (the default): these sessions have no audit session of their
# own, so only what descends from their login manager is theirs, and no
# other process of the user running the tests is ever ended. The user
# runs the tests (root, usually): exclude_users must not spare it, since
# logoff SESSION keeps exclude_users as close_session does.
LO_TIMEOUT=10 write_conf "exclude_users ="
write_service lt
# The hook's sleep is its work: it keeps a logoff going long enough for a
# second, concurrent one to meet it (5.).
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/logoff.count"; sleep 1'

lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }

# open_session N CMD: a session running CMD; sets SID (its id) and LEADER.
open_session() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$TEST_USER" "$2" \
		> "$T/out/s$1.env" 2> "$T/out/s$1.err" &
	LEADER=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s$1.env" || fail "session $1 did not open: $(cat "$T/out/s$1.err")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s$1.env")
}

# exit_is WANT DESC CMD...: run CMD, assert its exit status.
exit_is() {
	want=$1 desc=$2; shift 2
	"$@" > "$T/out/last.out" 2> "$T/out/last.err"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$desc: exit $got"; else
		fail "$desc: exit $got, wanted $want: $(cat "$T/out/last.out" "$T/out/last.err")"; fi
}

# 1. --list and --json show the session with its name; --status its providers.
open_session 1 'sleep 300'
s1=$SID l1=$LEADER
wait_for 5 test -e "$T/reg/sessions/$s1"
exit_is 0 "--list" lo --list
assert_grep "^$s1 .*lt-$s1 .*$TEST_USER .*pts/42 .*lt .*192.0.2.7 .*active" "$T/out/last.out"
exit_is 0 "--list --json" lo -l --json
python3 - "$T/out/last.out" "$s1" <<'PY' > "$T/out/json.check" 2>&1 && ok "JSON fields" || fail "JSON: $(cat "$T/out/json.check")"
import json, sys
doc = json.load(open(sys.argv[1]))
s = [x for x in doc["sessions"] if x["id"] == sys.argv[2]][0]
for k in ("id", "name", "user", "uid", "tty", "service", "rhost", "state", "reason", "since", "idle", "leader_pid", "audit_session", "terminals"):
    assert k in s, k
assert s["name"] == "lt-" + sys.argv[2] and s["state"] == "active" and s["rhost"] == "192.0.2.7"
assert isinstance(s["since"], int) and "host" in doc
PY
exit_is 0 "--status" lo --status "lt-$s1"
assert_grep "tmpdir .*logged-on" "$T/out/last.out"
assert_grep "path .*$T/tmpbase/$s1" "$T/out/last.out"
exit_is 0 "--status --json" lo --status "$s1" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [p["name"] for p in d["providers"]]==["tmpdir","processes","hooks"]; assert d["subobjects"][0]["kind"]=="path"' \
	"$T/out/last.out" && ok "status JSON" || fail "status JSON: $(cat "$T/out/last.out")"

# 2. Bad SESSION arguments touch nothing and say why: exit 2.
ls -R "$T/reg" > "$T/out/reg.before"
exit_is 2 "../../etc/passwd" lo ../../etc/passwd
assert_grep "'\.\.'" "$T/out/last.err"
exit_is 2 "empty session" lo ""
exit_is 2 "overlong session" lo "$(printf 'a%.0s' $(seq 1 80))"
exit_is 2 "non-ASCII session" lo "pts/é"
exit_is 2 "/etc/passwd" lo --status /etc/passwd
exit_is 2 "unknown option" lo --bogus
exit_is 2 "--json without --list" lo --json "$s1"
exit_is 2 "--warn not a number" lo --warn soon "$s1"
ls -R "$T/reg" > "$T/out/reg.after"
cmp -s "$T/out/reg.before" "$T/out/reg.after" && ok "registry untouched" || fail "registry changed"
assert_alive "$l1" "session 1"

# 3. Unknown session: exit 4 with the close matches.
exit_is 4 "unknown session" lo "lt-${s1}9"
assert_grep "close matches" "$T/out/last.err"
assert_grep "lt-$s1 ($s1" "$T/out/last.err"

# 4. logoff NAME -v: its processes are signalled, the login manager closes
# the session, the record and TMPDIR are gone, the hook ran once.
exit_is 0 "logoff lt-$s1 -v" lo -v "lt-$s1"
assert_grep "signal SIGHUP, SIGTERM to process .*(sleep)" "$T/out/last.out"
assert_grep "Session $s1 (lt-$s1) of $TEST_USER logged off" "$T/out/last.out"
assert_gone "$T/reg/sessions/$s1"
assert_gone "$T/tmpbase/$s1"
wait_for_gone "$l1"
assert_dead "$l1" "session 1's login manager exited after closing"
[ "$(grep -c "^$s1\$" "$T/out/logoff.count")" -eq 1 ] && ok "logoff hook ran once" || fail "logoff hook ran $(grep -c "^$s1\$" "$T/out/logoff.count") times"
# A second logoff of it: gone.
exit_is 4 "logoff of an ended session" lo "$s1"

# 5. Two logoffs of one session at once: one does the work, the other
# waits and reports the same result; the hook runs once.
open_session 2 'sleep 300'
s2=$SID
wait_for 5 test -e "$T/reg/sessions/$s2"
lo "$s2" > "$T/out/c1.out" 2>&1 & c1=$!
lo "$s2" > "$T/out/c2.out" 2>&1 & c2=$!
wait $c1; r1=$?
wait $c2; r2=$?
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] && ok "both concurrent logoffs exit 0" || fail "concurrent logoffs: $r1 $r2: $(cat "$T/out/c1.out" "$T/out/c2.out")"
assert_grep "logged off" "$T/out/c1.out"
assert_grep "logged off" "$T/out/c2.out"
[ "$(grep -c "^$s2\$" "$T/out/logoff.count")" -eq 1 ] && ok "concurrent: hook ran once" || fail "concurrent: hook ran $(grep -c "^$s2\$" "$T/out/logoff.count") times"
assert_gone "$T/reg/sessions/$s2"

# 6. A session whose login manager was SIGKILLed shows as stale; --gc logs
# it off (tmpdir, record), and a live session is left alone. --gc needs
# the registry's owner: root, or here, run as a user, that user (a user
# facing root's registry gets exit 3: tests/e2e/sshd_logoff.sh and the
# unit tests cover that).
open_session 3 'sleep 300'
s3=$SID l3=$LEADER
open_session 4 'sleep 300'
s4=$SID l4=$LEADER
wait_for 5 test -e "$T/reg/sessions/$s4"
kill -KILL "$l3"
wait "$l3" 2>/dev/null
exit_is 0 "--list after SIGKILL" lo --list
assert_grep "^$s3 .*stale" "$T/out/last.out"
assert_grep "^$s4 .*active" "$T/out/last.out"
exit_is 0 "--gc" lo --gc
assert_grep "$s3 (lt-$s3, user $TEST_USER): its login manager is gone: logged off" "$T/out/last.out"
assert_gone "$T/reg/sessions/$s3"
assert_gone "$T/tmpbase/$s3"
[ "$(grep -c "^$s3\$" "$T/out/logoff.count")" -eq 1 ] && ok "stale $s3: logoff hook ran once" \
	|| fail "stale $s3: logoff hook ran $(grep -c "^$s3\$" "$T/out/logoff.count") times"
assert_exists "$T/reg/sessions/$s4"
assert_alive "$l4" "live session 4"
exit_is 0 "--gc with nothing stale" lo --gc
assert_grep "No stale sessions" "$T/out/last.out"

# 7. A protected tty is refused (exit 5) unless root says --force.
LO_LOGOFF_EXTRA="protected_ttys = console pts/42" LO_TIMEOUT=10 write_conf "exclude_users ="
exit_is 5 "protected tty" lo "$s4"
assert_grep "protected tty" "$T/out/last.err"
assert_alive "$l4" "protected session"
if [ "$(id -u)" -eq 0 ]; then
	exit_is 0 "--force on a protected tty" lo --force "$s4"
	assert_gone "$T/reg/sessions/$s4"
else
	echo "skip: --force needs root"
	LO_TIMEOUT=10 write_conf "exclude_users ="
	exit_is 0 "logoff once the tty is not protected" lo "$s4"
	assert_gone "$T/reg/sessions/$s4"
fi
LO_TIMEOUT=10 write_conf "exclude_users ="

# 8. --warn reaches the session's terminal before it ends; Ctrl-C cancels.
if command -v script >/dev/null; then
	script -qfec "PAM_TEST_TTY=\$(tty) '$top_builddir/tests/pam/pam_session_test' '$T/pam.d' lt '$TEST_USER' 'sleep 300'" \
		"$T/out/typescript" > /dev/null 2>&1 < /dev/null &
	sc=$!
	wait_for 10 sh -c "ls '$T/reg/names/' | grep -q '^pts%2F'" || fail "no session on a pty"
	name=$(ls "$T/reg/names/" | sed -n 's/^pts%2F/pts\//p' | head -1)
	"$LOGOFF" --config "$T/logoff.conf" --warn 5 \
		--message "maintenance:
please log out" "$name" > "$T/out/cancel.out" 2>&1 & w=$!
	# Once the warning is on the terminal (slow under a sanitizer).
	wait_for 10 grep -q "please log out" "$T/out/typescript"
	kill -INT "$w"
	wait "$w"; rc=$?
	[ "$rc" -eq 130 ] && ok "Ctrl-C cancels --warn: exit 130" || fail "--warn cancel: exit $rc: $(cat "$T/out/cancel.out")"
	assert_grep "^please log out" "$T/out/typescript"
	assert_grep "maintenance:" "$T/out/typescript"
	assert_no_grep "maintenance:?" "$T/out/typescript"
	assert_grep "logoff cancelled" "$T/out/typescript"
	lo --list | grep -q "^[^ ]* *$name " && ok "cancelled session $name still there" || fail "cancelled session gone"
	exit_is 0 "--warn 1 $name" lo --warn 1 "$name"
	assert_grep "will be logged off" "$T/out/typescript"
	wait_for_gone "$sc" && ok "the session's terminal closed" || fail "script still running"
	lo --list | grep -q " $name " && fail "$name still listed" || ok "$name gone from the list"
else
	echo "skip: no script(1) for the --warn test"
fi

# 9. --server runs the same command through ssh in BatchMode: LOGOFF_SSH
# stands in for ssh and runs the remote command line here.
cat > "$T/fake-ssh" <<EOF
#!/bin/sh
echo "\$*" > "$T/out/ssh.args"
while [ "\$1" != "--" ]; do shift; done
shift 2
cmd="\$*"
eval "'$LOGOFF' --config '$T/logoff.conf' \${cmd#logoff }"
EOF
chmod 0755 "$T/fake-ssh"
open_session 5 'sleep 300'
s5=$SID
LOGOFF_SSH="$T/fake-ssh" "$LOGOFF" --server fleet-7 --list --json > "$T/out/remote.json" 2> "$T/out/remote.err"
rc=$?
[ "$rc" -eq 0 ] && ok "--server --list --json" || fail "--server: exit $rc: $(cat "$T/out/remote.err")"
assert_grep "BatchMode=yes -- fleet-7 logoff '--list' '--json'" "$T/out/ssh.args"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(s["id"]==sys.argv[2] for s in d["sessions"])' \
	"$T/out/remote.json" "$s5" && ok "remote JSON lists $s5" || fail "remote JSON: $(cat "$T/out/remote.json")"
exit_is 2 "--server with an option for a host" env LOGOFF_SSH="$T/fake-ssh" "$LOGOFF" --server -oProxyCommand=x --list
exit_is 0 "/v /server:HOST SESSION" env LOGOFF_SSH="$T/fake-ssh" "$LOGOFF" /v /server:fleet-7 "$s5"
assert_grep "fleet-7 logoff '-v' '--' '$s5'" "$T/out/ssh.args"
assert_gone "$T/reg/sessions/$s5"

# 10. logoff with no argument logs off the caller's own session.
open_session 6 "LOGOFF_SESSION_ID=\$LOGOFF_SESSION_ID '$LOGOFF' --config '$T/logoff.conf' > '$T/out/self.out' 2>&1; sleep 300"
s6=$SID l6=$LEADER
wait_for 15 test ! -e "$T/reg/sessions/$s6" && ok "own session $s6 logged off" || fail "own session $s6 still there"
wait_for_gone "$l6"
assert_dead "$l6" "own session's login manager"
assert_gone "$T/tmpbase/$s6"

# 12. Bash completion offers the ids and names of open sessions.
if command -v bash >/dev/null; then
	open_session 9 'sleep 300'
	s9=$SID
	mkdir -p "$T/cbin"
	printf '#!/bin/sh\nexec "%s" --config "%s" "$@"\n' "$LOGOFF" "$T/logoff.conf" > "$T/cbin/logoff"
	chmod 0755 "$T/cbin/logoff"
	PATH="$T/cbin:$PATH" bash -c '. "$1"; COMP_WORDS=(logoff lt-); COMP_CWORD=1; _logoff; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$top_srcdir/etc/bash-completion/logoff" > "$T/out/complete" 2>&1
	assert_grep "^lt-$s9\$" "$T/out/complete"
	PATH="$T/cbin:$PATH" bash -c '. "$1"; COMP_WORDS=(logoff --st); COMP_CWORD=1; _logoff; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$top_srcdir/etc/bash-completion/logoff" > "$T/out/complete2" 2>&1
	assert_grep "^--status\$" "$T/out/complete2"
	lo "$s9" > /dev/null 2>&1
	assert_gone "$T/reg/sessions/$s9"
else
	echo "skip: no bash for the completion test"
fi

# 13. A partial release: exit 1, saying what was not released; the record
# stays, and --gc completes it once the cause is gone.
if [ "$(id -u)" -eq 0 ]; then
	open_session 10 'mkdir "$TMPDIR/m" && mount -t tmpfs lo-test "$TMPDIR/m" && echo mounted > "'"$T"'/out/mounted"; sleep 300'
	s10=$SID
	wait_for 5 test -s "$T/out/mounted" || fail "no mount in the session's TMPDIR"
	exit_is 1 "logoff with a mount inside TMPDIR" lo "$s10"
	assert_grep "logoff incomplete" "$T/out/last.err"
	assert_grep "not released: tmpdir path $T/tmpbase/$s10" "$T/out/last.err"
	assert_exists "$T/reg/sessions/$s10"
	lo --list | grep -q "^$s10 .*failed" && ok "$s10 listed as failed" || fail "$s10 not failed: $(lo --list)"
	umount "$T/tmpbase/$s10/m"
	exit_is 0 "--gc after the mount is gone" lo --gc
	assert_gone "$T/reg/sessions/$s10"
	assert_gone "$T/tmpbase/$s10"
else
	echo "skip: the partial-release test mounts a tmpfs (root)"
fi

# 14. Every action goes to syslog (authpriv) with who asked: /dev/log is
# the test's own socket in a private mount namespace (a tmpfs on /dev
# with only /dev/null and /dev/log).
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	python3 - "$T/devlog" "$T/out/syslog" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(15)
with open(sys.argv[2], "w") as f:
    try:
        while True:
            f.write(s.recv(8192).decode(errors="replace") + "\n")
            f.flush()
    except socket.timeout:
        pass
PY
	listener=$!
	wait_for 5 test -S "$T/devlog"
	open_session 11 'sleep 300'
	s11=$SID
	# A stale session whose logoff fails (a mount in its TMPDIR), with
	# logind's id from pam_systemd: the sweep's provider lines and its
	# error reach syslog naming both ids; the error reaches stderr too,
	# unless stderr is the journal's stream (JOURNAL_STREAM).
	export PAM_TEST_PUTENV="XDG_SESSION_ID=c3"
	open_session 12 'mkdir "$TMPDIR/m" && mount -t tmpfs lo-test "$TMPDIR/m" && echo m > "'"$T"'/out/mounted12"; sleep 300'
	unset PAM_TEST_PUTENV
	s12=$SID l12=$LEADER
	wait_for 5 test -s "$T/out/mounted12" || fail "no mount in session $s12's TMPDIR"
	lo --list | grep -q "^$s12 .* c3\$" && ok "--list: LOGIND c3 last" || fail "--list: $(lo --list)"
	lo --list --json | grep -q '"logind_session":"c3"' && ok "--json: logind_session c3" || fail "--json: no logind_session"
	lo --status "$s12" | grep -q '^logind:  session c3$' && ok "--status: logind session c3" || fail "--status: $(lo --status "$s12")"
	kill -KILL "$l12"; wait "$l12" 2>/dev/null
	: > "$T/out/gc12.err"
	unshare -m sh -c "mount -t tmpfs lo-dev /dev && mknod -m 666 /dev/null c 1 3 && ln -s '$T/devlog' /dev/log && \
		'$LOGOFF' --config '$T/logoff.conf' '$s11' > '$T/out/sl.out' 2>&1; \
		'$LOGOFF' --config '$T/logoff.conf' nosuch-session >> '$T/out/sl.out' 2>&1; \
		'$LOGOFF' --config '$T/logoff.conf' --gc >> '$T/out/sl.out' 2>&1; \
		JOURNAL_STREAM=\$(stat -c %d:%i '$T/out/gc12.err') '$LOGOFF' --config '$T/logoff.conf' --gc > /dev/null 2>> '$T/out/gc12.err'"
	wait_for 5 sh -c "[ \$(grep -c 'session $s12 (logind c3): tmpdir: logoff failed' '$T/out/syslog') -ge 2 ]"
	kill "$listener" 2>/dev/null
	assert_grep "logoff\[[0-9]*\]: session $s12 (logind c3): hooks: logged off" "$T/out/syslog"
	[ "$(grep -c "logoff\[[0-9]*\]: session $s12 (logind c3): tmpdir: logoff failed" "$T/out/syslog")" -eq 2 ] &&
		ok "both sweeps' tmpdir errors in syslog" || fail "tmpdir errors in syslog: $(grep "$s12" "$T/out/syslog")"
	assert_grep "session $s12 (logind c3): tmpdir: logoff failed" "$T/out/sl.out"
	assert_no_grep "tmpdir" "$T/out/gc12.err"
	umount "$T/tmpbase/$s12/m"
	lo --gc > /dev/null 2>&1
	assert_gone "$T/reg/sessions/$s12"
	assert_grep "logoff\[[0-9]*\]: logoff of session $s11 (lt-$s11, user $TEST_USER, service lt) (requested by $TEST_USER, uid 0)" "$T/out/syslog"
	assert_grep "session $s11 (lt-$s11, user $TEST_USER) logged off (requested by" "$T/out/syslog"
	assert_grep "sweep of stale sessions (requested by" "$T/out/syslog"
	# <86>: facility authpriv (10), priority info/notice range.
	grep -q "^<8[0-7]>" "$T/out/syslog" && ok "facility authpriv" || fail "not authpriv: $(head -3 "$T/out/syslog")"
	assert_gone "$T/reg/sessions/$s11"
else
	echo "skip: the syslog test needs root and unshare -m"
fi

# 11. open_session starts the sweep, at most once per gc_interval: a stale
# session is released by the next login, without `logoff --gc`.
if [ "$(id -u)" -eq 0 ]; then
	LO_LOGOFF_EXTRA="gc_interval = 1" LO_TIMEOUT=10 write_conf "exclude_users ="
	open_session 7 'sleep 300'
	s7=$SID l7=$LEADER
	wait_for 5 test -e "$T/reg/sessions/$s7"
	kill -KILL "$l7"; wait "$l7" 2>/dev/null
	# The sweep is due once gc-stamp (written by session 7's login) is
	# a whole second old, by the module's clock of whole seconds.
	wait_for 5 sh -c "[ ! -e '$T/reg/gc-stamp' ] || [ \$(( \$(date +%s) - \$(stat -c %Y '$T/reg/gc-stamp') )) -ge 1 ]"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$TEST_USER" 'true' > /dev/null 2>&1
	wait_for 10 test ! -e "$T/reg/sessions/$s7" && ok "the next login's sweep released stale $s7" \
		|| fail "stale $s7 still there after a login"
	assert_gone "$T/tmpbase/$s7"
	[ -e "$T/reg/gc-stamp" ] && ok "gc-stamp written" || fail "no gc-stamp"
	# Within the interval no sweep runs: a new stale session stays.
	LO_LOGOFF_EXTRA="gc_interval = 3600" LO_TIMEOUT=10 write_conf "exclude_users ="
	# A login starts the sweep only after writing gc-stamp (lo_gc_due):
	# an unchanged stamp after the login proves that it started none.
	touch -d "@$(( $(date +%s) - 10 ))" "$T/reg/gc-stamp"
	stamp=$(stat -c %Y "$T/reg/gc-stamp")
	open_session 8 'sleep 300'
	s8=$SID l8=$LEADER
	wait_for 5 test -e "$T/reg/sessions/$s8"
	kill -KILL "$l8"; wait "$l8" 2>/dev/null
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$TEST_USER" 'true' > /dev/null 2>&1
	[ "$(stat -c %Y "$T/reg/gc-stamp")" = "$stamp" ] && ok "no sweep started within gc_interval" \
		|| fail "gc-stamp rewritten within gc_interval: a sweep was started"
	assert_exists "$T/reg/sessions/$s8"
	lo --gc > /dev/null 2>&1
	assert_gone "$T/reg/sessions/$s8"
else
	echo "skip: the sweep at open_session runs only as root"
fi

finish
