#!/bin/sh
# tests/hosts/lightdm.sh - pam_logoff under a real display manager: lightdm
# on a booted Debian 12 with systemd and logind (tests/hosts/lib.sh, kind
# lightdm), the package installed with apt-get, lightdm's seat0 on a
# headless X server (Xvfb), autologin of the test user into an X session
# whose command is a script of this test (lo-test.desktop). lightdm opens
# it with the PAM service lightdm-autologin, which includes
# common-session, so pam_logoff is in it as pam-auth-update put it there.
#
#   1. the autologin session is recorded by pam_logoff named after its X
#      display (":0": lightdm sets PAM_TTY to the display), with service
#      lightdm-autologin, its own TMPDIR and logind's session id beside
#      pam_logoff's; `logoff --list` and `--list --json` show it;
#   2. the session script starts a `setsid sleep` and exits (when told
#      to, so that 1 can look at the running session first): lightdm
#      closes the session and pam_logoff logs it off: the record, the
#      setsid process, TMPDIR, logind's session and every process of its
#      scope (Xsession's ssh-agent too) are gone, one journal line per
#      provider and no warning; lightdm goes back to its greeter and does
#      not log in again;
#   3. `logoff :0` as root, the display's name, while a session whose
#      script runs `sleep 1000` in the foreground is open: exit 0, and by
#      then the record is gone; the script, its setsid process, TMPDIR,
#      logind's session and its scope's processes are gone, lightdm shows
#      its greeter again and no new session was started (autologin
#      happens when lightdm starts, not after a logout);
#   4. lightdm restarted while a session is open: the next autologin
#      session is named :0 even when the old one's record was left stale
#      (its worker exited without a PAM close), the stale record is
#      renamed to its id and the sweep logs it off; `logoff :0` ends the
#      new one.
#
# What the container lacks, and what stands in for it:
#   - a real greeter: lo-test-greeter (tests/hosts/rootfs.sh), a greeter
#     session that only waits; lightdm-greeter's PAM stack has no
#     pam_logoff, so it is never recorded;
#   - virtual terminals: lightdm 1.26 puts seat0's X server on VT 7 and
#     passes "vt7 -novtswitch", which Xvfb refuses: xserver-command is
#     lo-xvfb, which drops them; lightdm also sets XDG_VTNR=7, which
#     logind refuses on a seat without VTs ("Seat has no VTs but VT
#     number not 0"), so the lightdm-autologin stack unsets it with
#     pam_env before common-session: pam_systemd then registers the
#     session on seat0 as on a machine with VTs.
. "$(dirname "$0")/lib.sh"

U=$HOST_USER
host_boot lightdm
host_install

# The X server, the session, the greeter and autologin.
cat > "$H_ROOT/usr/local/bin/lo-xvfb" <<'EOF'
#!/bin/sh
# lightdm's X server for seat0, headless: Xvfb without lightdm's VT options.
for a do
	shift
	case $a in vt[0-9]*|-novtswitch) ;; *) set -- "$@" "$a" ;; esac
done
exec Xvfb "$@"
EOF
# The session: one line per session in /var/tmp/lo-x/sessions (pam_logoff's
# id, logind's, TMPDIR, DISPLAY, the script's pid, the setsid process's;
# "-" for what is not set), then, by /etc/lo-xsession.mode, exit when
# /var/tmp/lo-x/ID.exit appears or run sleep 1000 in the foreground.
cat > "$H_ROOT/usr/local/bin/lo-xsession" <<'EOF'
#!/bin/sh
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
id=${LOGOFF_SESSION_ID:--}
echo "$id ${XDG_SESSION_ID:--} ${TMPDIR:--} ${DISPLAY:--} $$ $!" >> /var/tmp/lo-x/sessions
if [ "$(cat /etc/lo-xsession.mode)" = exit ]; then
	while [ ! -e "/var/tmp/lo-x/$id.exit" ]; do sleep 0.1; done
	exit 0
fi
exec sleep 1000
EOF
chmod 755 "$H_ROOT/usr/local/bin/lo-xvfb" "$H_ROOT/usr/local/bin/lo-xsession"
mkdir -m 1777 "$H_ROOT/var/tmp/lo-x"
printf '%s\n' '[Desktop Entry]' 'Name=lo-test' 'Exec=/usr/local/bin/lo-xsession' 'Type=Application' \
	> "$H_ROOT/usr/share/xsessions/lo-test.desktop"
mkdir -p "$H_ROOT/etc/lightdm/lightdm.conf.d"
printf '%s\n' '[Seat:*]' 'xserver-command=lo-xvfb' 'greeter-session=lo-test-greeter' \
	"autologin-user=$U" 'autologin-session=lo-test' 'user-session=lo-test' \
	> "$H_ROOT/etc/lightdm/lightdm.conf.d/50-lo-test.conf"
echo 'XDG_VTNR DEFAULT= OVERRIDE=' > "$H_ROOT/etc/security/lo-no-vt.conf"
host_sh "sed -i 's|^@include common-session\$|session required pam_env.so readenv=0 conffile=/etc/security/lo-no-vt.conf\\n&|' /etc/pam.d/lightdm-autologin"
if host_sh 'grep -A1 lo-no-vt /etc/pam.d/lightdm-autologin' | grep -qx '@include common-session'; then
	ok "lightdm-autologin: XDG_VTNR unset before common-session"
else
	fail "lightdm-autologin: $(host_sh 'grep -n -E "pam_env|common-session" /etc/pam.d/lightdm-autologin')"
fi

# nsessions N: N sessions have started (lines in /var/tmp/lo-x/sessions).
nsessions() { [ "$(host_sh 'cat /var/tmp/lo-x/sessions 2>/dev/null' | grep -c .)" -eq "$1" ]; }
# session N: ID LOGIND TMP DISPLAY SCRIPT BG of the Nth session.
session() {
	set -- $(host_sh "sed -n '${1}p' /var/tmp/lo-x/sessions")
	ID=${1:-} LOGIND=${2:-} TMP=${3:-} DPY=${4:-} SCRIPT=${5:-} BG=${6:-}
}
# greeter_up [OLD]: lightdm's greeter (lo-test-greeter's sleep, as user
# lightdm) runs, another than OLD.
greeter() { host_sh 'pgrep -u lightdm -x sleep' | head -1; }
greeter_up() { _g=$(greeter); [ -n "$_g" ] && [ "$_g" != "${1:-}" ]; }
# in_scope WHAT: CGDIR, the cgroup directory (cgroup v2) of the running
# session script, is logind's session-LOGIND.scope.
in_scope() {
	CGDIR=$(host_sh "d=\$(awk '\$9 == \"cgroup2\" { print \$5; exit }' /proc/self/mountinfo)\$(sed -n 's/^0:://p' /proc/$SCRIPT/cgroup)
		test -d \"\$d\" && echo \"\$d\"")
	case $CGDIR in
	*/session-"$LOGIND".scope) ok "$1: the session runs in $CGDIR" ;;
	*) fail "$1: the session runs in '$CGDIR', not logind's session-$LOGIND.scope" ;;
	esac
}
# gone WHAT: once the record is gone (the caller waits for that), the
# session's processes and TMPDIR are gone; logind's session and every
# process of its scope go too.
gone() {
	if hdead "$SCRIPT" "$BG"; then ok "$1: the session script ($SCRIPT) and its setsid process ($BG) ended"
	else fail "$1: still alive: $(host_sh "ps -o pid,user,args -p $SCRIPT,$BG")"; fi
	if host_sh "test -e '$TMP'"; then fail "$1: $TMP still there"; else ok "$1: TMPDIR $TMP gone"; fi
	if wait_for 10 no_logind_session "$LOGIND"; then ok "$1: logind session $LOGIND gone"
	else fail "$1: logind session $LOGIND left ($(logind_state "$LOGIND"))"; fi
	if [ -n "$CGDIR" ] && wait_for 10 cg_empty_in "$CGDIR"; then ok "$1: session-$LOGIND.scope has no process"
	else fail "$1: session-$LOGIND.scope ('$CGDIR') left with: $(host_sh "xargs -r ps -o pid,user,args -p < '$CGDIR/cgroup.procs'")"; fi
}
# journal WHAT CURSOR: one line of pam_logoff per provider's logoff in the
# lightdm-autologin stack, and no warning of pam_logoff or logoff.
journal() {
	journal_logoff "$1" "$2" "lightdm\[[0-9]*\]: pam_logoff(lightdm-autologin:session)" \
		"$ID (logind $LOGIND)" 'pam_logoff|logoff\['
}

# ------------------------------- 1. the autologin session, named ":0"
echo exit > "$H_ROOT/etc/lo-xsession.mode"
c=$(jmark)
host_sh 'systemctl start lightdm'
if wait_for 30 nsessions 1; then ok "lightdm started and logged $U in on its own"
else fail "no autologin session: $(host_sh 'tail -20 /var/log/lightdm/lightdm.log')"; host_finish; fi
session 1
if [ "${ID:--}" != - ] && [ "$LOGIND" = "$ID" ] && [ "$TMP" = "/tmp/logoff/$ID" ] && [ "$DPY" = :0 ]; then
	ok "session $ID on display $DPY: TMPDIR $TMP, logind session $LOGIND"
else
	fail "session: id '$ID', logind '$LOGIND', TMPDIR '$TMP', DISPLAY '$DPY'"; host_finish
fi
host_sh "cat /run/logoff/sessions/$ID" > "$T/record"
assert_grep '^name :0$' "$T/record"
assert_grep '^tty :0$' "$T/record"
assert_grep '^service lightdm-autologin$' "$T/record"
assert_grep "^logind $ID\$" "$T/record"
host_sh 'logoff --list' > "$T/list"
if awk -v id="$ID" -v u="$U" '$1 == id && $2 == ":0" && $3 == u && $4 == ":0" &&
		$5 == "lightdm-autologin" && $NF == id { f = 1 } END { exit !f }' "$T/list"; then
	ok "--list: $(grep "^$ID " "$T/list" | tr -s ' ')"
else
	fail "--list: $(cat "$T/list")"
fi
host_sh 'logoff --list --json' | tr -d ' \n' > "$T/list.json"
assert_grep "\"id\":\"$ID\",\"name\":\":0\",\"user\":\"$U\",\"uid\":$HOST_UID,\"tty\":\":0\",\"service\":\"lightdm-autologin\"" "$T/list.json"
if host_sh "test -d '$TMP'" && ! hdead "$SCRIPT" && ! hdead "$BG"; then ok "the session's TMPDIR, script and setsid process are there"
else fail "while open: TMPDIR or processes missing"; fi
in_scope "while open"

# ----------------------------- 2. the session script exits: logged off
old_greeter=$(greeter)
host_sh "touch /var/tmp/lo-x/$ID.exit"
if wait_for 10 no_record "$ID"; then ok "script exited: record $ID gone"
else fail "script exited: record $ID left: $(host_sh "logoff --status $ID")"; fi
gone "script exited"
journal "script exited" "$c"
if wait_for 20 greeter_up "$old_greeter"; then ok "script exited: lightdm shows its greeter (pid $(greeter))"
else fail "script exited: no greeter: $(host_sh 'tail -20 /var/log/lightdm/lightdm.log')"; fi
if nsessions 1 && [ -z "$(host_sh 'ls /run/logoff/sessions/')" ]; then
	ok "script exited: no new session, no record (the greeter's stack has no pam_logoff)"
else
	fail "script exited: sessions: $(host_sh 'cat /var/tmp/lo-x/sessions; logoff --list')"
fi

# ------------------------------------------------ 3. logoff :0 as root
echo stay > "$H_ROOT/etc/lo-xsession.mode"
host_sh 'systemctl restart lightdm'
if wait_for 30 nsessions 2; then ok "lightdm restarted: a new autologin session"
else fail "no second autologin session: $(host_sh 'tail -20 /var/log/lightdm/lightdm.log')"; host_finish; fi
session 2
if [ "${ID:--}" != - ] && [ "$LOGIND" = "$ID" ] && [ "$DPY" = :0 ] &&
		[ "$(host_sh "sed -n 's/^name //p' /run/logoff/sessions/$ID")" = :0 ]; then
	ok "session $ID (logind $LOGIND) named :0, its script (pid $SCRIPT) running"
else
	fail "second session: id '$ID', logind '$LOGIND', DISPLAY '$DPY': $(host_sh 'logoff --list')"; host_finish
fi
hdead "$SCRIPT" && fail "the session script $SCRIPT is not running"
in_scope "second session"
c=$(jmark)
if host_sh 'logoff :0' > "$T/logoff.out" 2>&1; then ok "logoff :0: exit 0 ($(cat "$T/logoff.out"))"
else fail "logoff :0: $(cat "$T/logoff.out")"; fi
if no_record "$ID"; then ok "logoff :0: record $ID gone when logoff returned"
else fail "logoff :0: record $ID left: $(host_sh "logoff --status $ID")"; fi
gone "logoff :0"
journal "logoff :0" "$c"
if grep -q "logoff\[[0-9]*\]: session $ID (:0, user $U) logged off (requested by root, uid 0)" "$T/journal"; then
	ok "logoff :0: logoff's journal line"
else
	fail "logoff :0: no journal line of logoff: $(grep 'logoff\[' "$T/journal")"
fi
if wait_for 20 greeter_up; then ok "logoff :0: lightdm shows its greeter (pid $(greeter))"
else fail "logoff :0: no greeter: $(host_sh 'tail -20 /var/log/lightdm/lightdm.log')"; fi
if nsessions 2 && [ -z "$(host_sh 'ls /run/logoff/sessions/')" ] && host_sh 'systemctl is-active -q lightdm'; then
	ok "logoff :0: lightdm runs on, no new session was started"
else
	fail "logoff :0: after: $(host_sh 'cat /var/tmp/lo-x/sessions; logoff --list; systemctl is-active lightdm')"
fi

# ------------------------- 4. lightdm restarted with a session open
# lightdm's session worker may then exit without closing PAM: its record
# goes stale. The next autologin session is named :0 all the same (the
# stale holder's name is taken over, the stale record renamed to its
# id), and the sweep logs the stale one off.
host_sh 'systemctl restart lightdm'
wait_for 30 nsessions 3 || { fail "no third autologin session"; host_finish; }
session 3
old_id=$ID old_tmp=$TMP old_script=$SCRIPT old_bg=$BG
host_sh 'systemctl restart lightdm'
if wait_for 30 nsessions 4; then ok "lightdm restarted with session $old_id open: a new session"
else fail "no fourth autologin session: $(host_sh 'tail -20 /var/log/lightdm/lightdm.log')"; host_finish; fi
session 4
if wait_for 10 host_sh "test -e /run/logoff/sessions/$ID" &&
		[ "$(host_sh "sed -n 's/^name //p' /run/logoff/sessions/$ID")" = :0 ]; then
	ok "the new session $ID is named :0"
else
	fail "the new session $ID: $(host_sh 'logoff --list')"
fi
if no_record "$old_id"; then
	ok "lightdm closed session $old_id itself"
else
	name=$(host_sh "sed -n 's/^name //p' /run/logoff/sessions/$old_id")
	[ "$name" = "$old_id" ] && ok "stale session $old_id renamed to its id" ||
		fail "stale session $old_id is named '$name'"
	host_sh 'logoff --gc' > "$T/gc.out" 2>&1
	if no_record "$old_id"; then ok "logoff --gc logged stale $old_id off"; else fail "--gc: $(cat "$T/gc.out")"; fi
fi
if host_sh "test -e '$old_tmp'"; then fail "$old_tmp of $old_id left"; else ok "TMPDIR of $old_id gone"; fi
if hdead "$old_script" "$old_bg"; then ok "the processes of $old_id ended"; else fail "processes of $old_id alive"; fi
if host_sh 'logoff :0' > "$T/logoff4.out" 2>&1 && no_record "$ID"; then ok "logoff :0 ends the new session $ID"
else fail "logoff :0 after the restart: $(cat "$T/logoff4.out")"; fi

host_finish
