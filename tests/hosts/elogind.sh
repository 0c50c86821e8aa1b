#!/bin/sh
# tests/hosts/elogind.sh - pam_logoff on a booted Debian 12 with sysvinit
# as PID 1, elogind and pam_elogind (tests/hosts/lib.sh): the package
# installed with apt-get, then ssh logins through the host's sshd that
# leave a setsid and a nohup process and a file in TMPDIR. With elogind's
# KillUserProcesses=no (Debian's default) and =yes, a logout leaves no
# process, no TMPDIR, no record, no elogind session (not even one in
# `closing`) and no session cgroup of pam_logoff's; `logoff ID` ends an
# open session and elogind's with it. There is no journal on this host
# (no syslog daemon in it): the effects are what is checked.
. "$(dirname "$0")/lib.sh"

U=$HOST_USER
host_boot elogind
host_install
assert_after_in_common_session pam_elogind

for kill in no yes; do
	host_sh "sed -i '/^KillUserProcesses=/d' /etc/elogind/logind.conf
		echo KillUserProcesses=$kill >> /etc/elogind/logind.conf
		/etc/init.d/elogind restart" > /dev/null 2>&1
	wait_for 10 host_sh 'pidof elogind-daemon' > /dev/null || fail "elogind did not start again"
	leave
	w="KillUserProcesses=$kill"
	# elogind makes no per-session cgroup: the session ran in pam_logoff's.
	case $CGDIR in
	*/logoff/"$ID") ok "$w: the session ran in pam_logoff's cgroup $CGDIR" ;;
	*) fail "$w: the session ran in '$CGDIR', not pam_logoff's /logoff/$ID" ;;
	esac
	if wait_for 10 no_record "$ID"; then ok "$w: record $ID gone"; else fail "$w: record $ID left"; fi
	if hdead $PIDS; then ok "$w: setsid and nohup processes ($PIDS) ended"
	else fail "$w: still alive: $(host_sh "ps -o pid,args -p $(echo $PIDS | tr ' ' ,)")"; fi
	if host_sh "test -e '$TMP'"; then fail "$w: $TMP still there"; else ok "$w: TMPDIR gone"; fi
	if wait_for 10 no_logind_session "$ID"; then ok "$w: elogind session $ID gone"
	else fail "$w: elogind session $ID left ($(logind_state "$ID"))"; fi
	if [ -n "$CGDIR" ] && wait_for 5 host_sh "! test -d '$CGDIR'"; then ok "$w: cgroup $CGDIR removed"
	else fail "$w: cgroup '$CGDIR' left"; fi
done

ssh_in "$U" 'echo $LOGOFF_SESSION_ID > /tmp/id2; exec sleep 1000' > /dev/null 2>&1 &
client=$!
wait_for 10 host_sh 'test -s /tmp/id2' || fail "logoff ID: no session"
ID=$(host_sh 'cat /tmp/id2')
host_sh 'logoff --list' > "$T/list"
if grep -q "^$ID .* $ID\$" "$T/list"; then ok "--list shows elogind's id $ID beside pam_logoff's"
else fail "--list: $(cat "$T/list")"; fi
if host_sh "logoff $ID" > "$T/logoff.out" 2>&1; then ok "logoff $ID: exit 0"
else fail "logoff $ID: $(cat "$T/logoff.out")"; fi
if wait_for 10 pids_dead "$client"; then ok "logoff $ID: the ssh client was disconnected"
else fail "logoff $ID: the ssh client is still connected"; kill "$client"; fi
if wait_for 10 no_logind_session "$ID"; then ok "logoff $ID: elogind session gone"
else fail "logoff $ID: elogind session left ($(logind_state "$ID"))"; fi
if no_record "$ID"; then ok "logoff $ID: record gone"; else fail "logoff $ID: record left"; fi
host_finish
