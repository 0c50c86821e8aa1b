#!/bin/sh
# A user who controls PAM environment variables (pam_putenv by the
# application, as sshd does for SetEnv; pam_env user files), and an
# application with a hostile environment, stray fds and ignored signals,
# cannot get anything into a hook: the hook (tests/pam/hook_probe,
# installed as the hook itself so no shell adds to it) records its
# environment, fds, signal mask and dispositions, and credentials, and
# the test compares them with what pam_logoff(8) and
# logoff.conf(5) document. run_as = user: the user's uid, gid and groups,
# no capabilities (root only).
. "${top_srcdir:-.}/tests/lib.sh"

PROBE="$top_builddir/tests/pam/hook_probe"
[ -x "$PROBE" ] || { echo "FAIL: $PROBE not built (make check builds it)"; exit 1; }
cp "$PROBE" "$T/logon.d/10-probe"
cp "$PROBE" "$T/logoff.d/10-probe"
chmod 0755 "$T/logon.d/10-probe" "$T/logoff.d/10-probe"
mkdir -p "$T/evil"
# What a hostile variable would run or load if anything honoured it.
printf '#!/bin/sh\ntouch "%s/out/evil-ran"\n' "$T" > "$T/evil/evil.sh"
chmod 0755 "$T/evil/evil.sh"
cp "$T/evil/evil.sh" "$T/evil/env"

HOSTILE="LD_PRELOAD=$T/evil/libevil.so
LD_LIBRARY_PATH=$T/evil
BASH_ENV=$T/evil/evil.sh
ENV=$T/evil/evil.sh
IFS=/
PATH=$T/evil:/usr/bin:/bin
PAM_AUTHTOK=hunter2
PAM_USER=root
PAM_TYPE=evil
HOME=/root/evil
LOGOFF_SESSION_ID=r999999"

# expect_env TYPE USER HOME ID: the probe's environment is exactly the
# documented set, with these values.
expect_env() {
	f="$T/out/probe-$1.env"
	[ -s "$f" ] || { fail "the $1 hook did not run (no $f)"; return; }
	tr '\0' '\n' < "$f" | sort > "$T/out/got-$1.env"
	sort > "$T/out/want-$1.env" <<EOF
HOME=$3
LOGOFF_SESSION_ID=$4
PAM_RHOST=192.0.2.7
PAM_SERVICE=hostile
PAM_TTY=pts/42
PAM_TYPE=$1
PAM_USER=$2
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
	if cmp -s "$T/out/want-$1.env" "$T/out/got-$1.env"; then
		ok "$1 hook: exactly the documented environment"
	else
		fail "$1 hook environment differs: $(diff "$T/out/want-$1.env" "$T/out/got-$1.env" | tr '\n' ' ')"
	fi
	assert_no_grep "hunter2" "$f"
}

# expect_fds TYPE: 0 is /dev/null, 1 and 2 the same pipe, nothing else.
expect_fds() {
	f="$T/out/probe-$1.fds"
	other=$(awk '$1 > 2' "$f" | tr '\n' ' ')
	[ -z "$other" ] && ok "$1 hook: no fd above 2" || fail "$1 hook inherited fds: $other"
	assert_grep "^0 /dev/null\$" "$f"
	p1=$(sed -n 's/^1 //p' "$f"); p2=$(sed -n 's/^2 //p' "$f")
	case $p1 in pipe:*) [ "$p1" = "$p2" ] && ok "$1 hook: stdout and stderr on one pipe" \
		|| fail "$1 hook: fd 1 $p1, fd 2 $p2";; *) fail "$1 hook: fd 1 is $p1, not a pipe";; esac
}

# session USER: one session of USER through the service "hostile",
# the application's own environment and fds made hostile as well.
session() {
	rm -f "$T"/out/probe-*
	(
		export LD_LIBRARY_PATH="$T/evil" BASH_ENV="$T/evil/evil.sh" ENV="$T/evil/evil.sh" \
			IFS=/ PAM_AUTHTOK=hunter2 PAM_TEST_PUTENV="$HOSTILE"
		# A stray fd without close-on-exec (7), the application's
		# stdin closed, as a daemon may run, and signals it ignores
		# (ignored dispositions survive execve).
		exec 7< /etc/passwd 0<&-
		trap '' TERM HUP INT USR1
		"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" hostile "$1"
	) > "$T/out/session.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && ok "session of $1 opened and closed" || fail "session of $1: exit $rc: $(cat "$T/out/session.out")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/session.out" | head -1)
}

# 1. pam_putenv from the application, a hostile application environment,
#    run_as = root.
LO_PROVIDERS=hooks write_conf
write_service hostile
session "$TEST_USER"
grep -q "^LD_PRELOAD=$T/evil/libevil.so\$" "$T/out/session.out" && ok "the PAM environment did hold LD_PRELOAD" \
	|| fail "pam_putenv did not take: the test proves nothing"
for type in open_session close_session; do
	expect_env "$type" "$TEST_USER" / "$SID"
	expect_fds "$type"
	# Default dispositions and an empty mask, whatever the application had.
	assert_grep "^SigIgn:	0000000000000000\$" "$T/out/probe-$type.status"
	assert_grep "^SigBlk:	0000000000000000\$" "$T/out/probe-$type.status"
done
assert_gone "$T/out/evil-ran"
# The logoff hook's parent is the closer: with built-in providers only a
# forked child of the login manager (the same program image, so
# /proc/PID/environ still shows the block it was forked with, while its
# environment is PATH alone: the hook's own, checked above, is built from
# nothing of it); logoff-helper when a plugin is configured, exec'd with
# PATH alone (pam_logoff(8) ENVIRONMENT).
f="$T/out/probe-close_session.parent"
case $(head -n 1 "$f") in
*/logoff-helper)
	ok "the logoff hook's parent is logoff-helper"
	helper_env=$(tail -n +2 "$f" | tr '\0' '\n')
	[ "$helper_env" = "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ] && ok "logoff-helper's environment is PATH alone" \
		|| fail "logoff-helper's environment: $(printf '%s' "$helper_env" | tr '\n' ' ')" ;;
*/pam_session_test)
	ok "the logoff hook's parent is the closer forked from the login manager" ;;
*)	fail "the logoff hook's parent is $(head -n 1 "$f")" ;;
esac
if [ "$(id -u)" -eq 0 ]; then
	for type in open_session close_session; do
		f="$T/out/probe-$type.status"
		assert_grep "^Uid:	0	0	0	0\$" "$f"
		assert_grep "^Gid:	0	0	0	0\$" "$f"
		assert_grep "^Groups:[[:space:]]*\$" "$f"
		assert_grep "^umask 0022\$" "$f"
		assert_grep "^cwd /\$" "$f"
		assert_grep "^sid-leader 1\$" "$f"
	done
fi

[ "$(id -u)" -eq 0 ] || { echo "the rest needs root (a user, pam_env user files, run_as = user)"; finish; }

# 2. pam_env user files: the user's ~/.pam_environment, read with
#    user_readenv=1 by pam_env earlier in the stack.
make_user
U=$E2E_USER
UHOME=$(getent passwd "$U" | cut -d: -f6)
groupadd "lo-e2e-g$$" && usermod -a -G "lo-e2e-g$$" "$U" || fail "cannot give $U a supplementary group"
at_exit 'groupdel "lo-e2e-g$$" 2>/dev/null'
printf '%s\n' "$HOSTILE" | sed 's/^\([^=]*\)=\(.*\)$/\1 DEFAULT="\2"/' > "$UHOME/.pam_environment"
chown "$U:" "$UHOME/.pam_environment"
cat > "$T/pam.d/hostile" <<SVC
session  required  pam_env.so readenv=0 user_readenv=1
session  required  $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
PAM_TEST_PUTENV= session "$U"
grep -q "^BASH_ENV=$T/evil/evil.sh\$" "$T/out/session.out" && ok "pam_env read the user's file" \
	|| fail "pam_env did not read $UHOME/.pam_environment: the test proves nothing: $(cat "$T/out/session.out")"
for type in open_session close_session; do
	expect_env "$type" "$U" / "$SID"
	expect_fds "$type"
done
assert_gone "$T/out/evil-ran"

# 3. run_as = user: the user's uid, gid and supplementary groups in every
#    slot, and none of root's capabilities.
LO_PROVIDERS=hooks LO_RUN_AS=user write_conf
write_service hostile
session "$U"
uid=$(id -u "$U"); gid=$(id -g "$U")
groups=$(id -G "$U" | tr ' ' '\n' | sort -n | tr '\n' ' ')
for type in open_session close_session; do
	expect_env "$type" "$U" "$UHOME" "$SID"
	expect_fds "$type"
	f="$T/out/probe-$type.status"
	assert_grep "^Uid:	$uid	$uid	$uid	$uid\$" "$f"
	assert_grep "^Gid:	$gid	$gid	$gid	$gid\$" "$f"
	got=$(sed -n 's/^Groups:[[:space:]]*//p' "$f" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
	[ "$got" = "$groups" ] && ok "$type hook: groups $got" || fail "$type hook: groups '$got', want '$groups'"
	for cap in CapInh CapPrm CapEff CapAmb; do
		assert_grep "^$cap:	0000000000000000\$" "$f"
	done
	# Not set by spawn.c: recorded so docs/security.md says what it is.
	sed -n 's/^NoNewPrivs:[[:space:]]*/no_new_privs /p' "$f"
done
finish
