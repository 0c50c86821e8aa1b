#!/bin/sh
# PAM-level: the keyring provider through libpam and the real module. The
# session gets a new session keyring owned by its user (a throwaway
# account) with the user keyring linked in; once the session is logged off
# (close_session, or `logoff --gc` / logoff-helper from a process that
# never possessed it, after the login manager was SIGKILLed, or a rollback)
# a process left over from the session can no longer read its key.
# pam_session_test runs the session's command as root (the caller); the
# keyring still belongs to the PAM user.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: the session keyring is given to another user"
command -v keyctl > /dev/null || skip "keyctl not installed (apt-get install keyutils)"
command -v setpriv > /dev/null || skip "setpriv not installed (util-linux)"
keyctl rdescribe @s > /dev/null 2>&1 || skip "no kernel keyrings here"

LOGOFF="$top_builddir/logoff"
make_user
U=$E2E_USER
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
write_service kr
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
# as_user CMD...: CMD as the session's user, outside the session.
as_user() { setpriv --reuid "$UID_U" --regid "$GID_U" --clear-groups "$@"; }
# serial_of ID: the keyring subobject's serial in session ID's record.
serial_of() { awk '$1 == "subobject" && $3 == "keyring" { print $4 }' "$T/reg/sessions/$1"; }

# A key that can no longer be read: the keyring it hung from is revoked
# ("Permission denied": it is not possessed any more) or the key is gone.
assert_unreadable() {
	if [ "$(cat "$1.rc" 2>/dev/null)" != 0 ] &&
	   grep -q -E 'Permission denied|Required key not available|Key has been revoked' "$1"; then
		ok "$2: key unreadable ($(cat "$1"))"
	else
		fail "$2: key still readable or no result: rc $(cat "$1.rc" 2>/dev/null) $(cat "$1" 2>/dev/null)"
	fi
}

# The keyring is revoked: describing it says so, or it is gone already.
assert_revoked() {
	keyctl describe "$1" > "$T/out/describe.$1" 2>&1 && fail "$2: keyring $1 still there: $(cat "$T/out/describe.$1")"
	if grep -q -E 'Key has been revoked|Required key not available' "$T/out/describe.$1"; then
		ok "$2: keyring $1 revoked ($(cat "$T/out/describe.$1"))"
	else
		fail "$2: keyring $1: $(cat "$T/out/describe.$1")"
	fi
}

# 1. In one process: inside the session @s is a new keyring of the user's
#    with the user keyring linked; a key added to it reads fine; a
#    background process of the session that outlives close_session cannot
#    read the key any more.
in_process() {
	o="$T/out/$1"
	mkdir -p "$o"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" kr "$U" '
		o='"$o"'
		keyctl id @s > $o/ses
		keyctl rdescribe @s > $o/rdescribe
		keyctl show @s > $o/show
		cp "'"$T"'/reg/sessions/$LOGOFF_SESSION_ID" $o/record
		k=$(keyctl add user k secret @s) && echo "$k" > $o/key
		keyctl print "$k" > $o/before 2>&1; echo $? > $o/before.rc
		(
			n=300
			while [ -e "'"$T"'/reg/sessions/$LOGOFF_SESSION_ID" ] && [ $n -gt 0 ]; do
				sleep 0.1; n=$((n - 1))
			done
			keyctl print "$k" > $o/after 2>&1; echo $? > $o/after.rc
		) > /dev/null 2>&1 &' > "$o/env" 2> "$o/err"
	rc=$?
	[ "$rc" -eq 0 ] && ok "$1: open and close succeeded" || fail "$1: pam_session_test exit $rc: $(cat "$o/err")"
	ses=$(cat "$o/ses")
	assert_grep "^keyring;$UID_U;$GID_U;.*;_ses\$" "$o/rdescribe"
	assert_grep "^subobject keyring keyring $ses\$" "$o/record"
	assert_grep "^provider keyring logged-on .* session%20keyring%20$ses" "$o/record"
	if [ "$2" = link ]; then
		assert_grep "keyring: _uid.$UID_U\$" "$o/show"
	else
		assert_no_grep "keyring: _uid.$UID_U\$" "$o/show"
	fi
	[ "$(cat "$o/before.rc")" = 0 ] && grep -qx secret "$o/before" && ok "$1: key readable in the session" \
		|| fail "$1: key not readable in the session: $(cat "$o/before")"
	wait_for 40 test -e "$o/after.rc" || fail "$1: the background process never tried"
	assert_unreadable "$o/after" "$1: after close_session"
	assert_revoked "$ses" "$1"
	[ "$(records)" -eq 0 ] && ok "$1: no record left" || fail "$1: $(records) record(s) left"
}

# 2. Across processes: the login manager is SIGKILLed, so close_session
#    never runs; the session's shell goes on holding the keyring. LOGOFF_CMD
#    (run by this test process, which never possessed the keyring) logs
#    the session off.
across() {
	o="$T/out/$1"
	mkdir -p "$o"
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" kr "$U" '
		o='"$o"'
		k=$(keyctl add user k secret @s) && echo "$k" > $o/key
		keyctl print "$k" > $o/before 2>&1; echo $? > $o/before.rc
		n=600
		while [ ! -e $o/probe ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		keyctl print "$k" > $o/after 2>&1; echo $? > $o/after.rc' > "$o/env" 2> "$o/err" &
	leader=$!
	wait_for 20 test -e "$o/before.rc" || fail "$1: session did not start: $(cat "$o/err")"
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$o/env")
	ses=$(serial_of "$id")
	[ -n "$ses" ] && ok "$1: session $id tracks keyring $ses" || fail "$1: no keyring in record $id"
	[ "$(cat "$o/before.rc")" = 0 ] && ok "$1: key readable in the session" || fail "$1: $(cat "$o/before")"
	# Root in this process neither possesses nor owns it: not even viewable.
	keyctl describe "$ses" > "$o/root-describe" 2>&1 && fail "$1: root could view keyring $ses"
	assert_grep "Permission denied" "$o/root-describe"
	as_user keyctl rdescribe "$ses" > "$o/user-describe" 2>&1
	assert_grep "^keyring;$UID_U;" "$o/user-describe"
	kill -KILL "$leader"
	wait "$leader" 2>/dev/null
	shift
	"$@" > "$o/logoff.out" 2>&1 || fail "$*: $(cat "$o/logoff.out")"
	[ -n "$STATUS_IN" ] && assert_grep "keyring: logged off: revoked keyring $ses\$" "$o/logoff.out"
	assert_gone "$T/reg/sessions/$id"
	assert_revoked "$ses" "$(basename "$o")"
	touch "$o/probe"
	wait_for 10 test -e "$o/after.rc" || fail "the session's shell never tried"
	assert_unreadable "$o/after" "$(basename "$o"): after the logoff"
}

# 3. Rollback: a required provider after keyring (tmpdir, over an unsafe
#    base) fails at logon, so keyring is logged off again inside the login
#    manager. A logon hook between the two inherits the session keyring and
#    leaves a process holding it, which then finds it revoked.
rollback() {
	o="$T/out/rollback"
	mkdir -p "$o" "$T/tmpbase"
	chmod 0777 "$T/tmpbase"
	hook logon.d 10-hold '
		o='"$o"'
		keyctl id @s > $o/ses
		keyctl rdescribe @s > $o/before 2>&1
		(
			exec < /dev/null > /dev/null 2>&1
			n=300
			while [ ! -e $o/probe ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
			keyctl rdescribe @s > $o/after 2>&1; echo $? > $o/after.rc
		) &'
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" kr "$U" 'true' > "$o/env" 2> "$o/err"
	rc=$?
	rm -f "$T/logon.d/10-hold"
	chmod 0711 "$T/tmpbase"
	[ "$rc" -eq 1 ] && ok "rollback: open_session failed" || fail "rollback: exit $rc, expected 1"
	[ "$(records)" -eq 0 ] && ok "rollback: no record" || fail "rollback: $(records) record(s) left"
	assert_grep "^keyring;$UID_U;" "$o/before"
	touch "$o/probe"
	wait_for 40 test -e "$o/after.rc" || fail "rollback: the hook's process never tried"
	if [ "$(cat "$o/after.rc")" != 0 ] && grep -q "Key has been revoked" "$o/after"; then
		ok "rollback: the session keyring $(cat "$o/ses") was revoked"
	else
		fail "rollback: keyring not revoked: $(cat "$o/after")"
	fi
}

LO_PROVIDERS=keyring write_conf
in_process keyring-only link
STATUS_IN=""; across keyring-gc lo --gc
LO_PROVIDERS=keyring write_conf "[keyring]" "link_user = no"
in_process no-link nolink

LO_PROVIDERS="tmpdir keyring processes hooks" write_conf
in_process all-providers link
STATUS_IN=yes; across all-helper sh -c "$HELPER --session \$(sed -n 's/^LOGOFF_SESSION_ID=//p' '$T/out/all-helper/env') --config '$T/logoff.conf'"

LO_PROVIDERS="keyring hooks tmpdir" write_conf "[logoff]" "required = tmpdir"
rollback
finish
