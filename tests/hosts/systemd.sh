#!/bin/sh
# tests/hosts/systemd.sh - pam_logoff on a booted Debian 12 with systemd as
# PID 1, systemd-logind and pam_systemd (tests/hosts/lib.sh): the package
# installed with apt-get, then real logins through the host's sshd.
#
#   1. an ssh login leaves a setsid and a nohup process and a file in
#      TMPDIR, and logs out: with logind's KillUserProcesses=no (Debian's
#      default) and =yes, the processes, TMPDIR, the record, logind's
#      session and the scope's processes are gone, pam_logoff logs one
#      line per provider naming both ids, and neither side logs a warning;
#   2. `logoff ID` as root while the ssh session is open: the client is
#      disconnected, logind's session is gone; `logoff --list` shows
#      logind's id beside pam_logoff's;
#   3. `loginctl terminate-session ID`: pam_logoff's close runs and
#      releases what it tracked;
#   4. the login manager SIGKILLed: the session is logged off by
#      logoff-gc.timer firing on its own (a drop-in makes it every 2 s);
#   5. a lingering user: user@UID's manager survives a login's logoff;
#   6. keep_commands = tmux: a tmux server started in the session survives
#      logout; without it, the next login's tmux is ended;
#   7. pam_logoff added by an admin to the systemd-user stack: (sd-pam)
#      closes as the user without an error, and the sweep logs the record
#      off;
#   8. `su -l` from a root shell with no audit session: logind names the
#      session cN, pam_logoff allocates its own id and records logind's
#      beside it; the leftovers, TMPDIR and both sessions are gone after;
#   9. cron with pam_systemd and pam_logoff (providers=tmpdir) in
#      /etc/pam.d/cron: 50 jobs leave no record, no TMPDIR, no logind
#      session and no scope.
. "$(dirname "$0")/lib.sh"

U=$HOST_USER
host_boot systemd
host_install
assert_after_in_common_session pam_systemd

# Only the sweeps the test means: logoff-gc.timer in case 4, and none
# started by an open_session (gc_interval), which could log case 4's
# session off before the timer does.
host_sh 'mkdir -p /etc/security/logoff.conf.d; printf "[logoff]\ngc_interval = 0\n" > /etc/security/logoff.conf.d/lo-test.conf'

# The cron jobs of case 9 run once, at the next full minute (the one
# after when that is less than 5 s away), while the other cases run;
# they are checked at the end.
host_sh "sed -i 's/^@include common-session-noninteractive/&\\nsession optional pam_systemd.so\\nsession optional pam_logoff.so providers=tmpdir/' /etc/pam.d/cron"
i=0
while [ $i -lt 50 ]; do
	echo "MIN HOUR * * * echo \"\$TMPDIR \$XDG_SESSION_ID\" > /var/tmp/cron-out/$i; sleep 1"
	i=$((i + 1))
done > "$H_ROOT/var/tmp/crontab"
at=$(host_sh "mkdir -m 1777 /var/tmp/cron-out
	if [ \$(date +%S) -ge 55 ]; then set -- \$(date -d '+2 min' '+%M %H'); else set -- \$(date -d '+1 min' '+%M %H'); fi
	sed -i \"s/^MIN HOUR /\$1 \$2 /\" /var/tmp/crontab && crontab -u $U /var/tmp/crontab && echo \$2:\$1")
ok "50 cron jobs of $U scheduled once, for $at"

# scope_dir ID: the directory of logind's session-ID.scope on the host's
# cgroup v2 hierarchy, while the session is open; "" when there is none.
scope_dir() {
	host_sh "d=\$(awk '\$9 == \"cgroup2\" { print \$5; exit }' /proc/self/mountinfo)\$(systemctl show -p ControlGroup --value session-$1.scope)
		test -d \"\$d\" && echo \"\$d\""
}
# after_logout WHAT CURSOR: what a logout must leave behind: nothing.
after_logout() {
	if wait_for 10 no_record "$ID"; then ok "$1: record $ID gone"; else fail "$1: record $ID left"; fi
	if hdead $PIDS; then ok "$1: setsid and nohup processes ($PIDS) ended"
	else fail "$1: still alive: $(host_sh "ps -o pid,args -p $(echo $PIDS | tr ' ' ,)")"; fi
	if host_sh "test -e '$TMP'"; then fail "$1: $TMP still there"; else ok "$1: TMPDIR gone"; fi
	if wait_for 10 no_logind_session "$ID"; then ok "$1: logind session $ID gone"
	else fail "$1: logind session $ID left ($(logind_state "$ID"))"; fi
	case $CGDIR in
	*/session-"$ID".scope) ;;
	*) fail "$1: the session ran in '$CGDIR', not logind's session-$ID.scope" ;;
	esac
	if wait_for 10 cg_empty_in "$CGDIR"; then ok "$1: session-$ID.scope has no process"
	else fail "$1: session-$ID.scope left with processes"; fi
	journal_logoff "$1" "$2" "pam_logoff(sshd:session)" "$ID (logind $ID)" \
		'pam_logoff|logoff|systemd-logind|session-[0-9]+\.scope'
}

# ------------------------------------------------------------ 1. logout
for kill in no yes; do
	host_sh "mkdir -p /etc/systemd/logind.conf.d
		printf '[Login]\nKillUserProcesses=$kill\n' > /etc/systemd/logind.conf.d/lo-test.conf
		systemctl restart systemd-logind"
	c=$(jmark)
	leave
	after_logout "KillUserProcesses=$kill" "$c"
done
host_sh 'rm /etc/systemd/logind.conf.d/lo-test.conf; systemctl restart systemd-logind'
echo "--- the journal of the last logout (KillUserProcesses=yes):"
jsince "$c" | grep -E 'sshd|logind|session-|pam_logoff|user@'
echo "---"

# ------------------------------------------------- 2. logoff ID, --list
ssh_in "$U" 'echo $LOGOFF_SESSION_ID > /tmp/id2; exec sleep 1000' > "$T/ssh2.out" 2>&1 &
client=$!
wait_for 10 host_sh 'test -s /tmp/id2' || fail "logoff ID: no session"
ID=$(host_sh 'cat /tmp/id2')
host_sh 'logoff --list' > "$T/list"
if grep -q "^$ID .* $ID\$" "$T/list"; then ok "--list shows logind's id $ID beside pam_logoff's"
else fail "--list: $(cat "$T/list")"; fi
host_sh 'logoff --list --json' > "$T/list.json"
assert_grep "\"logind_session\":\"$ID\"" "$T/list.json"
if host_sh "logoff $ID" > "$T/logoff2.out" 2>&1; then ok "logoff $ID: exit 0"
else fail "logoff $ID: $(cat "$T/logoff2.out")"; fi
if wait_for 10 pids_dead "$client"; then ok "logoff $ID: the ssh client was disconnected"
else fail "logoff $ID: the ssh client is still connected"; kill "$client"; fi
if wait_for 10 no_logind_session "$ID"; then ok "logoff $ID: logind session gone"
else fail "logoff $ID: logind session left ($(logind_state "$ID"))"; fi
if no_record "$ID"; then ok "logoff $ID: record gone"; else fail "logoff $ID: record left"; fi

# ----------------------------------------- 3. loginctl terminate-session
# open_held WHAT: an ssh login of U that leaves a setsid process and stays
# connected; sets client (the ssh client here), ID, TMP, PIDS and CGDIR.
open_held() {
	host_sh 'rm -f /tmp/held'
	ssh_in "$U" 'echo "$LOGOFF_SESSION_ID $TMPDIR" > /tmp/held.new
		setsid sleep 1003 </dev/null >/dev/null 2>&1 & echo $! >> /tmp/held.new
		mv /tmp/held.new /tmp/held; exec sleep 1000' > /dev/null 2>&1 &
	client=$!
	wait_for 10 host_sh 'test -s /tmp/held' || fail "$1: no session"
	set -- $(host_sh 'cat /tmp/held'); ID=$1 TMP=$2 PIDS=$3
	CGDIR=$(scope_dir "$ID")
	[ -n "$CGDIR" ] || fail "$1: no session-$ID.scope"
}
open_held "terminate-session"
c=$(jmark)
host_sh "loginctl terminate-session $ID"
wait_for 10 pids_dead "$client" || kill "$client"
after_logout "loginctl terminate-session" "$c"

# ------------------------------------- 4. a SIGKILLed login manager, the timer
host_sh 'mkdir -p /etc/systemd/system/logoff-gc.timer.d
	printf "[Timer]\nOnActiveSec=1s\nOnUnitActiveSec=2s\nAccuracySec=100ms\n" > /etc/systemd/system/logoff-gc.timer.d/lo-test.conf
	systemctl daemon-reload; systemctl restart logoff-gc.timer'
open_held "SIGKILL"
leader=$(host_sh "sed -n 's/^leader \([0-9]*\) .*/\1/p' /run/logoff/sessions/$ID")
c=$(jmark)
host_sh "kill -KILL $leader"
wait_for 10 pids_dead "$client" || kill "$client"
if wait_for 30 no_record "$ID"; then ok "SIGKILL: record $ID logged off without anyone calling --gc"
else fail "SIGKILL: record $ID left: $(host_sh "logoff --status $ID")"; fi
jsince "$c" "-u logoff-gc.service" > "$T/journal4"
if [ "$(grep -c "logoff\[[0-9]*\]: sweep: session $ID (sshd-$ID, user $U): its login manager is gone: logged off" "$T/journal4")" -eq 1 ]; then
	ok "SIGKILL: logoff-gc.service logged it off"
else
	fail "SIGKILL: no line of logoff-gc.service on session $ID: $(cat "$T/journal4")"
fi
echo "--- the sweep's journal:"; grep 'logoff\[' "$T/journal4"; echo "---"
for p in hooks processes tmpdir; do
	n=$(grep -c "logoff\[[0-9]*\]: session $ID (logind $ID): $p: logged off" "$T/journal4")
	[ "$n" -eq 1 ] && ok "SIGKILL: the sweep's journal line for $p" || fail "SIGKILL: $n sweep lines for $p"
done
if wait_for 10 hdead $PIDS; then ok "SIGKILL: the setsid process ended"; else fail "SIGKILL: $PIDS alive"; fi
if host_sh "test -e '$TMP'"; then fail "SIGKILL: $TMP left"; else ok "SIGKILL: TMPDIR gone"; fi
if wait_for 10 cg_empty_in "$CGDIR"; then ok "SIGKILL: session-$ID.scope has no process"
else fail "SIGKILL: session-$ID.scope left with processes"; fi
if wait_for 10 no_logind_session "$ID"; then ok "SIGKILL: logind session gone"
else fail "SIGKILL: logind session left ($(logind_state "$ID"))"; fi

# ------------------------------------------------------- 5. lingering
host_sh "loginctl enable-linger $U"
wait_for 10 host_sh "systemctl is-active -q user@$HOST_UID.service" || fail "linger: user@$HOST_UID not active"
mgr=$(host_sh "systemctl show -p MainPID --value user@$HOST_UID.service")
c=$(jmark)
leave
after_logout "linger" "$c"
if [ "$mgr" -gt 0 ] && ! hdead "$mgr" && host_sh "systemctl is-active -q user@$HOST_UID.service"; then
	ok "linger: user@$HOST_UID's manager (pid $mgr) lives on"
else
	fail "linger: user@$HOST_UID's manager (pid $mgr) was ended"
fi
host_sh "loginctl disable-linger $U"

# ------------------------------------------------------------- 6. tmux
host_sh 'mkdir -p /etc/security/logoff.conf.d; printf "[processes]\nkeep_commands = tmux\n" > /etc/security/logoff.conf.d/keep.conf'
ssh_in "$U" 'tmux new-session -d -s work sleep 1000; tmux list-sessions -F "#{pid}"; echo $LOGOFF_SESSION_ID' > "$T/tmux" 2>&1
tmux=$(head -1 "$T/tmux") ID=$(sed -n 2p "$T/tmux")
wait_for 10 no_record "$ID" || fail "keep_commands: record $ID of the tmux login left"
if [ -n "$tmux" ] && ! hdead "$tmux" && host_sh "tmux -S /tmp/tmux-$HOST_UID/default list-sessions" >/dev/null 2>&1; then
	ok "keep_commands = tmux: the tmux server (pid $tmux) survives logout"
else
	fail "keep_commands = tmux: the tmux server is gone ($(cat "$T/tmux"))"
fi
host_sh "kill $tmux" 2>/dev/null
host_sh 'rm /etc/security/logoff.conf.d/keep.conf'
wait_for 10 hdead "$tmux" >/dev/null
ssh_in "$U" 'tmux new-session -d -s work sleep 1000; tmux list-sessions -F "#{pid}"' > "$T/tmux" 2>&1
tmux=$(head -1 "$T/tmux")
if [ -n "$tmux" ] && wait_for 10 hdead "$tmux"; then ok "without keep_commands: tmux (pid $tmux) ended at logout"
else fail "without keep_commands: tmux (pid $tmux) lives"; fi

# ---------------------------------------------------- 7. systemd --user
c=$(jmark)
host_sh 'cp /usr/lib/pam.d/systemd-user /etc/pam.d/systemd-user
	echo "session optional pam_logoff.so" >> /etc/pam.d/systemd-user'
host_sh "systemctl stop user@$HOST_UID.service; systemctl start user@$HOST_UID.service"
id7=$(host_sh "grep -l '^service systemd-user' /run/logoff/sessions/* 2>/dev/null | head -1")
if [ -n "$id7" ]; then ok "systemd-user stack: user@$HOST_UID opened session ${id7##*/}"
else fail "systemd-user stack: no record of user@$HOST_UID's session"; fi
host_sh "systemctl stop user@$HOST_UID.service"
if [ -n "$id7" ] && wait_for 30 host_sh "! test -e $id7"; then ok "systemd-user: record ${id7##*/} logged off"
else fail "systemd-user: record $id7 left: $(host_sh "cat $id7")"; fi
jsince "$c" > "$T/journal7"
if grep -q "logoff\\[[0-9]*\\]: sweep: session ${id7##*/} (systemd-user-${id7##*/}, user $U): its login manager is gone: logged off" "$T/journal7"; then
	ok "systemd-user: the sweep (logoff-gc.timer) logged the record off"
else
	fail "systemd-user: no sweep line: $(grep -E 'logoff|sd-pam|systemd-user' "$T/journal7")"
fi
if host_sh "journalctl --no-pager -p warning --after-cursor='$c'" | grep -E 'pam_logoff|logoff\[' > "$T/warn7"; then
	fail "systemd-user: warnings: $(cat "$T/warn7")"
else
	ok "systemd-user: no warning or error from pam_logoff at (sd-pam)'s close as the user"
fi
host_sh 'rm /etc/pam.d/systemd-user'

# ------------------------------------------------------------ 8. su -l
# host_sh's shell is nsenter's, outside any login: when the test runs
# without an audit session of its own, su's session is not an audit
# session either and logind calls it cN, and pam_logoff's id is rN.
c=$(jmark)
set -- $(host_sh "su -l $U -c 'echo \$LOGOFF_SESSION_ID \$XDG_SESSION_ID \$TMPDIR; setsid sleep 1008 </dev/null >/dev/null 2>&1 & echo \$!
	logoff --list | grep \"^\$LOGOFF_SESSION_ID \"; logoff --list --json | grep -c \"\\\"logind_session\\\":\\\"\$XDG_SESSION_ID\\\"\"'")
ID=$1 LOGIND=$2 TMP=$3 PIDS=$4; shift 4
line="$*"
if [ "$(cat /proc/self/sessionid 2>/dev/null)" = 4294967295 ]; then
	case $LOGIND in
	c[0-9]*) [ "$ID" != "$LOGIND" ] && ok "su -l: pam_logoff's id $ID, logind's $LOGIND" || fail "su -l: ids $ID $LOGIND" ;;
	*) fail "su -l: logind id '$LOGIND' (pam_logoff's '$ID')" ;;
	esac
else
	[ -n "$LOGIND" ] && ok "su -l: pam_logoff's id $ID, logind's $LOGIND (the test runs in an audit session)" ||
		fail "su -l: no logind id"
fi
case $line in
"$ID "*" $LOGIND 1") ok "su -l: --list shows $LOGIND in its last column, --json as logind_session" ;;
*) fail "su -l: --list line and json count: '$line'" ;;
esac
if wait_for 10 no_record "$ID"; then ok "su -l: record $ID gone"; else fail "su -l: record $ID left"; fi
if hdead $PIDS; then ok "su -l: the setsid process ended"; else fail "su -l: $PIDS alive"; fi
if host_sh "test -e '$TMP'"; then fail "su -l: $TMP left"; else ok "su -l: TMPDIR gone"; fi
if wait_for 10 no_logind_session "$LOGIND"; then ok "su -l: logind session $LOGIND gone"
else fail "su -l: logind session $LOGIND left ($(logind_state "$LOGIND"))"; fi
n=$(jsince "$c" | grep -c "pam_logoff(su-l:session): session $ID (logind $LOGIND): [a-z]*: logged off")
[ "$n" -eq 3 ] && ok "su -l: three journal lines naming both ids" || fail "su -l: $n lines: $(jsince "$c" | grep pam_logoff)"

# ------------------------------------------------------------- 9. cron
done50() { [ "$(host_sh 'ls /var/tmp/cron-out | wc -l')" -eq 50 ]; }
if wait_for 130 done50; then ok "cron: 50 jobs ran"; else fail "cron: $(host_sh 'ls /var/tmp/cron-out | wc -l') of 50 jobs ran"; fi
no_cron_left() {
	[ -z "$(host_sh "pgrep -u $U -f 'sleep 1\$'")" ] &&
		[ -z "$(host_sh "grep -l '^service cron' /run/logoff/sessions/* 2>/dev/null")" ] &&
		[ -z "$(host_sh "loginctl list-sessions --no-legend | grep -w $U")" ]
}
wait_for 30 no_cron_left || fail "cron: left: $(host_sh "pgrep -a -u $U; ls /run/logoff/sessions; loginctl list-sessions --no-legend")"
host_sh 'cat /var/tmp/cron-out/*' > "$T/cron"
tmps=$(awk '{print $1}' "$T/cron" | sort -u | grep -c /tmp/logoff/)
ids=$(awk '$2 != "" {print $2}' "$T/cron" | sort -u | wc -l)
[ "$tmps" -eq 50 ] && ok "cron: 50 jobs, 50 TMPDIRs" || fail "cron: $tmps distinct TMPDIRs: $(head -3 "$T/cron")"
[ "$ids" -eq 50 ] && ok "cron: 50 logind sessions (pam_systemd)" || fail "cron: $ids logind sessions"
if host_sh "for d in $(awk '{print $1}' "$T/cron" | tr '\n' ' '); do test -e \$d && exit 1; done; exit 0"; then
	ok "cron: every job's TMPDIR gone"
else
	fail "cron: TMPDIRs left"
fi
left=$(host_sh "find /sys/fs/cgroup/unified/user.slice -name 'session-*.scope' -type d | while read d; do grep -qx 'populated 1' \$d/cgroup.events && echo \$d; done")
[ -z "$left" ] && ok "cron: no session scope with processes" || fail "cron: scopes left: $left"

host_finish
