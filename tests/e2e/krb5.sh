#!/bin/sh
# End to end: the krb5 provider against a real MIT KDC on loopback. A
# throwaway realm lives in $T (KRB5_CONFIG, KRB5_KDC_PROFILE; /etc/krb5.conf
# is never touched); a throwaway user gets tickets with kinit, and PAM
# sessions (the real libpam, pam_env putting KRB5CCNAME into the PAM
# environment before pam_logoff) must destroy exactly their own cache.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (a throwaway user, privileges dropped at logoff)"
grep -q '^#define HAVE_KRB5 1' "$top_builddir/config.h" 2>/dev/null ||
	skip "pam_logoff was built without libkrb5 (install libkrb5-dev, configure --with-krb5)"
PATH="$PATH:/usr/sbin:/sbin"
for tool in krb5kdc kdb5_util kadmin.local kinit klist setpriv python3; do
	command -v "$tool" >/dev/null ||
		skip "$tool not installed (apt-get install krb5-kdc krb5-admin-server krb5-user util-linux python3)"
done

make_user
U=$E2E_USER
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
K="$T/krb"
mkdir -p "$K" "$T/u"
chown "$U:" "$T/u"
chmod 0700 "$T/u"
KDC_PID=
DEFAULT_CC="/tmp/krb5cc_$UID_U"
# The user's persistent keyring outlives the account (it expires on its
# own, after days, and the next account with this uid would see it): its
# caches are destroyed on the way out.
at_exit '[ -n "$KDC_PID" ] && kill "$KDC_PID" 2>/dev/null; rm -f "$DEFAULT_CC"
	command -v kdestroy >/dev/null && setpriv --reuid="$UID_U" --regid="$GID_U" --clear-groups \
		kdestroy -A -q -c "KEYRING:persistent:$UID_U" 2>/dev/null'

# ----------------------------------------------------------- the realm
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$K/krb5.conf" <<EOF
[libdefaults]
	default_realm = LOGOFF.TEST
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	udp_preference_limit = 1
[realms]
	LOGOFF.TEST = {
		kdc = 127.0.0.1:$PORT
	}
EOF
cat > "$K/kdc.conf" <<EOF
[kdcdefaults]
	kdc_ports = 127.0.0.1:$PORT
	kdc_tcp_ports = 127.0.0.1:$PORT
[realms]
	LOGOFF.TEST = {
		database_name = $K/principal
		key_stash_file = $K/stash
		acl_file = $K/kadm5.acl
		kdc_ports = 127.0.0.1:$PORT
		kdc_tcp_ports = 127.0.0.1:$PORT
		max_life = 1h
	}
[logging]
	kdc = FILE:$K/kdc.log
	default = FILE:$K/krb5.log
EOF
chmod 0644 "$K/krb5.conf" "$K/kdc.conf"
: > "$K/kadm5.acl"
KRB5_CONFIG="$K/krb5.conf"
KRB5_KDC_PROFILE="$K/kdc.conf"
export KRB5_CONFIG KRB5_KDC_PROFILE
kdb5_util create -s -P password -r LOGOFF.TEST -d "$K/principal" > "$T/out/kdb5_util" 2>&1 ||
	skip "kdb5_util create failed: $(tail -3 "$T/out/kdb5_util")"
kadmin.local -r LOGOFF.TEST -q "addprinc -pw pw $U" > "$T/out/addprinc" 2>&1 ||
	skip "kadmin.local addprinc failed: $(tail -3 "$T/out/addprinc")"
krb5kdc -n -r LOGOFF.TEST -P "$K/kdc.pid" > "$T/out/krb5kdc" 2>&1 &
KDC_PID=$!
wait_for 10 grep -qs "commencing operation" "$K/kdc.log" ||
	skip "krb5kdc did not start: $(tail -3 "$T/out/krb5kdc" "$K/kdc.log" 2>/dev/null)"

# as_user CMD...: run CMD as the throwaway user, with the realm's config.
as_user() { setpriv --reuid="$UID_U" --regid="$GID_U" --init-groups "$@"; }
# tickets CACHE: kinit as the user into CACHE.
tickets() { echo pw | as_user kinit -c "$1" "$U@LOGOFF.TEST" > "$T/out/kinit" 2>&1 || fail "kinit -c $1: $(cat "$T/out/kinit")"; }
has_tickets() { as_user klist -s -c "$1" 2>/dev/null; }
assert_tickets() { if has_tickets "$1"; then ok "$2: $1 has tickets"; else fail "$2: no tickets in $1"; fi; }
assert_no_tickets() { if has_tickets "$1"; then fail "$2: $1 still has tickets"; else ok "$2: $1 destroyed"; fi; }

tickets "FILE:$T/u/probe"
assert_tickets "FILE:$T/u/probe" "the KDC on 127.0.0.1:$PORT issues tickets"
if command -v ss >/dev/null; then
	ss -Hlntu 2>/dev/null | awk -v p=":$PORT" '$5 ~ p"$"' > "$T/out/listen"
	if grep -q "127.0.0.1:$PORT" "$T/out/listen" && ! grep -v -q "127.0.0.1:$PORT" "$T/out/listen"; then
		ok "the KDC listens on 127.0.0.1:$PORT only"
	else
		fail "the KDC listens on: $(cat "$T/out/listen")"
	fi
fi

# service NAME CACHE: a session stack that puts KRB5CCNAME=CACHE into the
# PAM environment (pam_env, as pam_krb5 or pam_sss would) before
# pam_logoff; CACHE empty: no KRB5CCNAME at all.
service() {
	{
		echo "auth     required  pam_permit.so"
		echo "account  required  pam_permit.so"
		if [ -n "$2" ]; then
			printf 'KRB5CCNAME DEFAULT=%s\n' "$2" > "$T/env-$1.conf"
			echo "session  required  pam_env.so readenv=0 conffile=$T/env-$1.conf"
		fi
		echo "session  required  $MODULE config=$T/logoff.conf helper=$HELPER debug"
	} > "$T/pam.d/$1"
}
session() { "$top_builddir/tests/pam/pam_session_test" "$T/pam.d" "$@"; }
SESSION_TEST="$top_builddir/tests/pam/pam_session_test"
# logoff_by_helper SERVICE OUT: a session of the user logged off by the
# helper from inside it, its output in $T/out/OUT.
logoff_by_helper() {
	session "$1" "$U" '"'"$HELPER"'" --session "$LOGOFF_SESSION_ID" --config "'"$T"'/logoff.conf" > "'"$T"'/out/'"$2"'" 2>&1' \
		> "$T/out/$2.env" 2>&1 || fail "session $1 failed: $(cat "$T/out/$2.env")"
}

LO_PROVIDERS=krb5 write_conf "[krb5]" "retain = no"

# 1. FILE caches, two sessions of the user. B is open while A opens and
#    closes: A's cache is there during A and gone after it, B's survives
#    A's logoff, and goes with B.
tickets "FILE:$T/u/ccA"
tickets "FILE:$T/u/ccB"
service krb5-a "FILE:$T/u/ccA"
service krb5-b "FILE:$T/u/ccB"
# Run inside B: A's whole session, and what B sees before and after it.
cat > "$T/in-b.sh" <<EOF
as() { setpriv --reuid=$UID_U --regid=$GID_U --init-groups "\$@"; }
as klist -s -c "\$KRB5CCNAME" && echo yes > $T/out/B-during
grep -q "^subobject krb5 krb5-ccache $UID_U:$GID_U:\$KRB5CCNAME\\\$" $T/reg/sessions/\$LOGOFF_SESSION_ID &&
	echo yes > $T/out/B-tracked
$SESSION_TEST $T/pam.d krb5-a $U "sh $T/in-a.sh" > $T/out/A.env 2>&1 && echo yes > $T/out/A-closed
as klist -s -c FILE:$T/u/ccA || echo yes > $T/out/A-gone-during-B
as klist -s -c "\$KRB5CCNAME" && echo yes > $T/out/B-after-A
EOF
cat > "$T/in-a.sh" <<EOF
setpriv --reuid=$UID_U --regid=$GID_U --init-groups klist -s -c "\$KRB5CCNAME" && echo yes > $T/out/A-during
EOF
session krb5-b "$U" "sh $T/in-b.sh" > "$T/out/B.env" 2>&1 || fail "session B failed: $(cat "$T/out/B.env")"
assert_grep "^KRB5CCNAME=FILE:$T/u/ccB\$" "$T/out/B.env"
assert_grep "^KRB5CCNAME=FILE:$T/u/ccA\$" "$T/out/A.env"
assert_exists "$T/out/B-during"
assert_exists "$T/out/B-tracked"
assert_exists "$T/out/A-during"
assert_exists "$T/out/A-closed"
assert_exists "$T/out/A-gone-during-B"
assert_exists "$T/out/B-after-A"
assert_gone "$T/u/ccA"
assert_gone "$T/u/ccB"
assert_no_tickets "FILE:$T/u/ccB" "B logged off"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"

# 2. Logged off from another process, as `logoff` and the sweep do (no
#    PAM environment there): the recorded name is what is destroyed, and
#    the status says so. Then retain = yes keeps the cache.
tickets "FILE:$T/u/ccC"
service krb5-c "FILE:$T/u/ccC"
logoff_by_helper krb5-c helper-c
assert_grep "krb5: logged off: destroyed FILE:$T/u/ccC\$" "$T/out/helper-c"
assert_gone "$T/u/ccC"

LO_PROVIDERS=krb5 write_conf "[krb5]" "retain = yes"
tickets "FILE:$T/u/ccC"
logoff_by_helper krb5-c helper-retain
assert_grep "krb5: logged off: retained FILE:$T/u/ccC\$" "$T/out/helper-retain"
assert_tickets "FILE:$T/u/ccC" "retain = yes"
LO_PROVIDERS=krb5 write_conf

# 3. A DIR collection: its primary cache goes, nothing else of the user's.
tickets "DIR:$T/u/ccdir"
has_tickets "DIR:$T/u/ccdir" || fail "no tickets in DIR:$T/u/ccdir"
service krb5-d "DIR:$T/u/ccdir"
logoff_by_helper krb5-d helper-dir
assert_grep "krb5: logged off: destroyed DIR:$T/u/ccdir\$" "$T/out/helper-dir"
assert_no_tickets "DIR:$T/u/ccdir" "DIR collection"
[ -z "$(find "$T/u/ccdir" -name 'tkt*' 2>/dev/null)" ] && ok "no tkt file left in the DIR collection" ||
	fail "left in the collection: $(ls "$T/u/ccdir")"
assert_tickets "FILE:$T/u/ccC" "another cache of the user"

# 4. Only the user's own caches, with the user's privileges: root's cache
#    named in the user's session, the user's cache in a directory only
#    root may write (root could unlink it; the user cannot), and a symlink
#    of the user's to another of the user's caches are all refused and
#    left intact; the record goes (nothing can ever release them).
echo pw | kinit -c "FILE:$T/rootcc" "$U@LOGOFF.TEST" > "$T/out/kinit-root" 2>&1 || fail "root kinit: $(cat "$T/out/kinit-root")"
service krb5-e "FILE:$T/rootcc"
logoff_by_helper krb5-e helper-root
assert_grep "refused FILE:$T/rootcc: $T/rootcc is owned by uid 0" "$T/out/helper-root"
klist -s -c "FILE:$T/rootcc" && ok "root's cache survived the user's logoff" || fail "root's cache was destroyed"
[ "$(records)" -eq 0 ] && ok "a refused cache keeps no record" || fail "$(records) record(s) left"

tickets "FILE:$T/u/moved"
mv "$T/u/moved" "$T/usercc"
service krb5-e "FILE:$T/usercc"
logoff_by_helper krb5-e helper-perm
assert_grep "refused FILE:$T/usercc: .*ermission" "$T/out/helper-perm"
assert_tickets "FILE:$T/usercc" "the user's cache in root's directory (destroyed as the user, not root)"
tickets "FILE:$T/u/victim"
as_user ln -s "$T/u/victim" "$T/u/link"
service krb5-f "FILE:$T/u/link"
logoff_by_helper krb5-f helper-link
assert_grep "refused FILE:$T/u/link: $T/u/link is not a regular file" "$T/out/helper-link"
assert_tickets "FILE:$T/u/victim" "the symlink's target"

# 5. No KRB5CCNAME: nothing is guessed; the default cache stays.
tickets "FILE:$DEFAULT_CC"
service krb5-g ""
logoff_by_helper krb5-g helper-none
assert_grep "krb5: logged off: no KRB5CCNAME in the PAM environment" "$T/out/helper-none"
assert_tickets "FILE:$DEFAULT_CC" "the default cache, never guessed"
rm -f "$DEFAULT_CC"

# 6. open_session rolled back (a required provider after krb5 fails): the
#    login never started, so its cache goes with it, destroyed inside the
#    application's process.
tickets "FILE:$T/u/ccR"
service krb5-r "FILE:$T/u/ccR"
mkdir -p -m 0777 "$T/tmpbase"; chmod 0777 "$T/tmpbase"
LO_PROVIDERS="krb5 tmpdir" LO_LOGOFF_EXTRA="required = tmpdir" write_conf
session krb5-r "$U" > "$T/out/R.env" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "open_session failed for the required tmpdir" || fail "session R exit $rc, expected 1: $(cat "$T/out/R.env")"
assert_gone "$T/u/ccR"
[ "$(records)" -eq 0 ] && ok "rolled back: no record" || fail "$(records) record(s) left"
chmod 0711 "$T/tmpbase"
LO_PROVIDERS=krb5 write_conf

# 7. KEYRING:persistent, where this kernel lets the user have one: kept
#    while the user has another session (every session shares it), then
#    destroyed by the last one.
KR="KEYRING:persistent:$UID_U"
if echo pw | as_user kinit -c "$KR" "$U@LOGOFF.TEST" > "$T/out/kinit-kr" 2>&1 && has_tickets "$KR"; then
	service krb5-k "$KR"
	service krb5-plain ""
	# The keyring session is logged off (by the helper) inside another
	# session of the user.
	session krb5-plain "$U" "$SESSION_TEST $T/pam.d krb5-k $U '$HELPER --session \$LOGOFF_SESSION_ID --config $T/logoff.conf > $T/out/helper-kr 2>&1' > $T/out/K1.env 2>&1" \
		> "$T/out/plain.env" 2>&1 || fail "sessions around the keyring failed: $(cat "$T/out/plain.env" "$T/out/K1.env")"
	assert_grep "krb5: logged off: retained $KR: shared with the user's 1 other session\$" "$T/out/helper-kr"
	assert_tickets "$KR" "kept while the user has another session"
	logoff_by_helper krb5-k helper-kr2
	assert_grep "krb5: logged off: destroyed $KR\$" "$T/out/helper-kr2"
	assert_no_tickets "$KR" "the user's last session"
	[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
	# A cache in the user keyring (another per-uid anchor), named with
	# its subsidiary: destroyed at once, the persistent one untouched.
	echo pw | as_user kinit -c "$KR" "$U@LOGOFF.TEST" > "$T/out/kinit-kr" 2>&1
	KU="KEYRING:user:lo-test:tkt"
	if echo pw | as_user kinit -c "$KU" "$U@LOGOFF.TEST" > "$T/out/kinit-ku" 2>&1 && has_tickets "$KU"; then
		service krb5-u "$KU"
		service krb5-plain ""
		session krb5-plain "$U" "$SESSION_TEST $T/pam.d krb5-u $U > $T/out/U1.env 2>&1" > "$T/out/plain2.env" 2>&1 ||
			fail "sessions around the user keyring failed: $(cat "$T/out/plain2.env" "$T/out/U1.env")"
		assert_no_tickets "$KU" "a named cache of the user keyring, with another session open"
		assert_tickets "$KR" "the persistent keyring beside it"
	else
		echo "skip: KEYRING:user caches do not work here: $(tail -1 "$T/out/kinit-ku")"
	fi
else
	echo "skip: KEYRING:persistent caches do not work here: $(tail -1 "$T/out/kinit-kr")"
fi
finish
