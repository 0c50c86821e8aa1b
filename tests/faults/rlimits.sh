#!/bin/sh
# Faults: the PAM application's own limits. A login manager may call the
# module with few file descriptors (RLIMIT_NOFILE set low, soft and hard).
# At each limit open_session either works and the whole session is
# released at close, its logoff hook included (the helper and hooks get
# at least 1024 descriptors again), or fails leaving no record and no
# TMPDIR: never a half-opened session. The failure is logged when the
# process has a descriptor left for syslog(3)'s socket; below that (about
# 8 here) nothing can be logged, and the test reports it. (RLIMIT_NPROC
# does not bind: the module runs with euid 0, which the kernel exempts.)
. "${top_srcdir:-.}/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "reads the log through a private /dev/log (root, unshare -m)"
in_private_mounts "$@" || skip "needs unshare -m"
capture_syslog || skip "cannot set up a private /dev/log"

hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/hook.ran"'
write_conf
write_service rl
worked=0 refused=0
# CAP_SYS_RESOURCE (bit 24) lets root raise a hard limit again.
cap=$(sed -n 's/^CapEff:\t*//p' /proc/self/status)
sys_resource=$([ $(( 0x$cap >> 24 & 1 )) -eq 1 ] && echo yes || echo no)
echo "note: CAP_SYS_RESOURCE: $sys_resource"
for lim in 5 6 8 10 12 16 64; do
	: > "$T/out/syslog"
	sh -c "ulimit -n $lim && exec '$top_builddir/tests/pam/pam_session_test' '$T/pam.d' rl '$TEST_USER' 'echo tmp=\$TMPDIR'" \
		> "$T/out/o$lim" 2>&1
	rc=$?
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/o$lim")
	tmp=$(sed -n 's/^tmp=//p' "$T/out/o$lim")
	case $rc in
	0)	worked=$((worked + 1))
		[ -n "$tmp" ] && [ ! -e "$tmp" ] && ok "nofile $lim: opened, TMPDIR $tmp released" ||
			fail "nofile $lim: no TMPDIR or still there: $(cat "$T/out/o$lim")"
		if [ "$(grep -c "^$id\$" "$T/out/hook.ran" 2>/dev/null)" = 1 ]; then
			ok "nofile $lim: the logoff hook ran once"
		elif [ "$sys_resource" = no ] && grep -q "10-count: cannot start: Too many open files" "$T/out/syslog"; then
			# Without CAP_SYS_RESOURCE (a container) the helper cannot
			# raise the hard limit; the hook that could not start is
			# logged, naming it and why.
			echo "note: nofile $lim: no CAP_SYS_RESOURCE to raise the hard limit; logged: 10-count: cannot start: Too many open files"
		else
			fail "nofile $lim: the logoff hook ran $(grep -c "^$id\$" "$T/out/hook.ran" 2>/dev/null) times: $(grep pam_logoff "$T/out/syslog" | tail -5)"
		fi ;;
	1)	refused=$((refused + 1))
		[ -z "$id" ] && ok "nofile $lim: open_session refused, no session id" || fail "nofile $lim: refused but exported $id"
		wait_for 2 grep -q "pam_logoff" "$T/out/syslog"
		if grep -q "pam_logoff.*\(Too many open files\|cannot\|failed\)" "$T/out/syslog"; then
			ok "nofile $lim: the log says why: $(grep pam_logoff "$T/out/syslog" | head -1 | cut -c1-160)"
		elif [ -s "$T/out/syslog" ]; then
			fail "nofile $lim: the log does not say why: $(cat "$T/out/syslog")"
		else
			echo "note: nofile $lim: refused with nothing logged: no descriptor left for syslog's socket"
		fi ;;
	*)	fail "nofile $lim: exit $rc: $(cat "$T/out/o$lim")" ;;
	esac
	[ "$(records)" -eq 0 ] && ok "nofile $lim: no record left" || fail "nofile $lim: $(records) record(s) left"
	left=$(find "$T/tmpbase" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	[ "$left" -eq 0 ] && ok "nofile $lim: no TMPDIR left" || fail "nofile $lim: $left TMPDIR(s) left"
done
echo "measured: $worked limits worked, $refused refused"
[ "$worked" -ge 1 ] && ok "the usual limits work" || fail "no limit worked"
finish
