#!/bin/sh
# tests/install/deb.sh - the Debian packages, installed on this machine:
# build libpam-logoff and libpam-logoff-dev from the source tree (a copy in
# a temp dir, nothing is left in the tree), install them with apt-get, and
# check that pam-auth-update put pam_logoff into /etc/pam.d/common-session
# after pam_loginuid/pam_systemd (or pam_unix). Then a real `su -l` of a
# throwaway user goes through common-session with the installed module,
# its default logoff.conf and a plugin built against the -dev package:
# during the session `logoff --list` shows it; after it the user's
# leftover process, its TMPDIR, the plugin's file and the session record
# are gone. Then `apt-get purge`: common-* are byte-identical to before,
# the profile, logoff.conf and /run/logoff are gone.
#
# Root only; it changes the system while it runs (packages, /etc/pam.d,
# a user), and puts /etc/pam.d/common-* and /var/lib/pam back on exit
# whatever happens. Not in TESTS: tools/test runs it after distcheck.
#
#   sh tests/install/deb.sh       from the top of the source tree
# The packages are built by tests/install/build-debs.sh (which reads
# LO_DEB_BUILD_OPTIONS); with LO_DEB_OUT set, the .debs are copied there
# for the booted hosts of tests/hosts/.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
TESTNAME=deb
FAILED=0
T=""
U=""
BG=""
ADDED=""    # files this test put into the system, removed on exit
start=$(date +%s)

skip() { echo "SKIP: $TESTNAME: $*"; exit 77; }
fail() { echo "FAIL: $TESTNAME: $*"; FAILED=1; }
ok() { echo "ok: $*"; }
elapsed() { echo "$(( $(date +%s) - start ))s"; }
assert_exists() { if [ -e "$1" ]; then ok "exists: $1"; else fail "missing: $1"; fi; }
assert_gone() { if [ -e "$1" ] || [ -L "$1" ]; then fail "still there: $1"; else ok "gone: $1"; fi; }
assert_grep() { if grep -q -- "$1" "$2" 2>/dev/null; then ok "'$1' in $2"; else fail "'$1' not in $2: $(head -c 2000 "$2" 2>/dev/null)"; fi; }
assert_no_grep() { if grep -q -- "$1" "$2" 2>/dev/null; then fail "'$1' in $2"; else ok "'$1' not in $2"; fi; }
wait_for() {
	n=$(( $1 * 10 )); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
dead() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
pkg_state() { dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null; }
# line N of the first line of FILE matching the ERE, 0 when none.
line_of() { grep -n -E "$1" "$2" 2>/dev/null | head -1 | cut -d: -f1 | grep . || echo 0; }

[ "$(id -u)" -eq 0 ] || skip "needs root (installs packages, edits /etc/pam.d through pam-auth-update, adds a user)"
[ -f /etc/debian_version ] && command -v dpkg >/dev/null && command -v apt-get >/dev/null ||
	skip "not a Debian system (no /etc/debian_version, dpkg or apt-get)"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage missing (apt-get install dpkg-dev; tools/deps installs it)"
command -v dh >/dev/null || skip "debhelper missing (apt-get install debhelper; tools/deps installs it)"
command -v pam-auth-update >/dev/null || skip "pam-auth-update missing (libpam-runtime)"
[ -f /etc/pam.d/common-session ] || skip "no /etc/pam.d/common-session"
command -v su >/dev/null || skip "no su"
[ -f "$top_srcdir/debian/control" ] || { echo "FAIL: $top_srcdir/debian/control missing"; exit 1; }
for p in libpam-logoff libpam-logoff-dev; do
	st=$(pkg_state "$p")
	[ -z "$st" ] || [ "$st" = not-installed ] ||
		skip "$p is on this machine ($st); the test would purge it"
done
# An unpackaged install (make install) would be taken over and then purged.
[ -e /etc/security/logoff.conf ] && skip "/etc/security/logoff.conf exists: pam_logoff is installed by hand here"
[ -e /run/logoff ] && skip "/run/logoff exists: records of another pam_logoff install, which the purge would remove"
# The tmpdir provider's base, made by the first login; removed on exit when
# the test made it.
tmpbase_made=yes
[ -e /tmp/logoff ] && tmpbase_made=no

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
PLUGINDIR=/usr/lib/$MA/logoff/providers
export DEBIAN_FRONTEND=noninteractive

T=$(mktemp -d /tmp/lo-deb.XXXXXX)
chmod 0755 "$T"    # apt's _apt user reads the .debs from here
mkdir -p "$T/saved/pam.d" "$T/saved/varlibpam" "$T/out" "$T/files"
chmod 0777 "$T/out" "$T/files"
for f in /etc/pam.d/common-*; do cp -p "$f" "$T/saved/pam.d/"; done
[ -d /var/lib/pam ] && cp -p /var/lib/pam/* "$T/saved/varlibpam/" 2>/dev/null

# Whatever happened: the packages and what the test added go, then
# /etc/pam.d/common-* and pam-auth-update's state are put back as they were.
cleanup() {
	[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null
	[ -n "$ADDED" ] && rm -f $ADDED
	for p in libpam-logoff-dev libpam-logoff; do
		st=$(pkg_state "$p")
		if [ -n "$st" ] && [ "$st" != not-installed ]; then
			echo "cleanup: purging $p ($st)"
			apt-get purge -y -qq "$p" >/dev/null 2>&1 || dpkg --purge "$p" >/dev/null 2>&1
		fi
	done
	for f in "$T"/saved/pam.d/*; do
		cmp -s "$f" "/etc/pam.d/${f##*/}" || { echo "cleanup: restoring /etc/pam.d/${f##*/}"; cp -p "$f" /etc/pam.d/; }
	done
	if [ -d /var/lib/pam ]; then
		for f in /var/lib/pam/*; do [ -e "$T/saved/varlibpam/${f##*/}" ] || rm -f "$f"; done
		cp -p "$T"/saved/varlibpam/* /var/lib/pam/ 2>/dev/null
	fi
	[ -n "$U" ] && userdel -r -f "$U" >/dev/null 2>&1
	[ "$tmpbase_made" = yes ] && rmdir /tmp/logoff 2>/dev/null
	[ "$FAILED" -eq 0 ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "FAIL: $TESTNAME: interrupted"; exit 1' HUP INT TERM

finish() {
	echo "time: $(elapsed) in all"
	if [ "$FAILED" -ne 0 ]; then
		echo "--- $TESTNAME failed; work dir kept at $T"
		exit 1
	fi
	echo "PASS: $TESTNAME"
	exit 0
}

# ---------------------------------------------------------------- build
echo "building the packages in $T ($(elapsed))"
sh "$top_srcdir/tests/install/build-debs.sh" "$T" ||
	{ fail "dpkg-buildpackage failed:"; tail -40 "$T/build.log"; finish; }
deb=$(ls "$T"/libpam-logoff_*.deb 2>/dev/null | head -1)
devdeb=$(ls "$T"/libpam-logoff-dev_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] && [ -f "$devdeb" ] || { fail "no .debs: $(ls "$T")"; finish; }
ok "built $(cd "$T" && ls ./*.deb | tr '\n' ' ')($(elapsed))"
[ -n "${LO_DEB_OUT:-}" ] && mkdir -p "$LO_DEB_OUT" && cp "$deb" "$devdeb" "$LO_DEB_OUT/"

if command -v lintian >/dev/null; then
	if lintian --fail-on error "$T"/*.changes > "$T/out/lintian" 2>&1; then
		ok "lintian: no errors ($(grep -c '^W:' "$T/out/lintian") warnings)"
	else
		fail "lintian: $(grep -E '^E:' "$T/out/lintian" | head -20)"
	fi
else
	echo "note: lintian not installed, not run"
fi

# -------------------------------------------------------------- install
apt-get install -y --no-install-recommends "$deb" "$devdeb" > "$T/out/install.log" 2>&1 ||
	{ fail "apt-get install failed: $(tail -20 "$T/out/install.log")"; finish; }
[ "$(pkg_state libpam-logoff)" = installed ] && ok "libpam-logoff installed ($(elapsed))" ||
	{ fail "libpam-logoff is '$(pkg_state libpam-logoff)': $(tail -20 "$T/out/install.log")"; finish; }

cs=/etc/pam.d/common-session
lo=$(line_of '^session[[:space:]]+optional[[:space:]]+pam_logoff\.so' $cs)
if [ "$lo" -gt 0 ]; then ok "common-session line $lo: $(sed -n "${lo}p" $cs)"; else
	fail "pam_logoff.so not in $cs (pam-auth-update said: $(grep -i pam-auth-update "$T/out/install.log"))"; fi
after=0
for m in pam_systemd pam_loginuid; do
	n=$(line_of "^[^#]*[[:space:]]$m\.so" $cs)
	[ "$n" -gt "$after" ] && after=$n
done
[ "$after" -eq 0 ] && after=$(line_of '^[^#]*[[:space:]]pam_unix\.so' $cs)
[ "$after" -gt 0 ] || fail "neither pam_systemd, pam_loginuid nor pam_unix in $cs"
[ "$lo" -gt "$after" ] && ok "pam_logoff (line $lo) comes after line $after: $(sed -n "${after}p" $cs)" ||
	fail "pam_logoff (line $lo) is not after line $after of $cs: $(cat $cs)"
assert_no_grep pam_logoff /etc/pam.d/common-session-noninteractive
for f in /usr/lib/"$MA"/security/pam_logoff.so /usr/libexec/logoff/logoff-helper /usr/bin/logoff \
	/etc/security/logoff/logon.d /etc/security/logoff/logoff.d "$PLUGINDIR" \
	/usr/share/pam-configs/logoff /etc/cron.d/logoff-gc /lib/systemd/system/logoff-gc.timer \
	/etc/systemd/system/timers.target.wants/logoff-gc.timer /usr/include/logoff/provider.h \
	/usr/share/doc/libpam-logoff/logoff-query.schema.json \
	/etc/cron.d/logoff-limits /lib/systemd/system/logoff-limits.service \
	/lib/systemd/system/logoff-limits.timer /etc/systemd/system/timers.target.wants/logoff-limits.timer; do
	assert_exists "$f"
done
dpkg-query -W -f '${Conffiles}\n' libpam-logoff > "$T/out/conffiles"
assert_grep " /etc/security/logoff.conf " "$T/out/conffiles"

# A plugin built from the -dev package's example against the installed
# header, put where the .pc file says the packaged helper loads plugins.
pcdir=$(pkg-config --variable=plugindir logoff-provider 2>/dev/null)
[ "$pcdir" = "$PLUGINDIR" ] && ok "logoff-provider.pc: plugindir=$pcdir" || fail "logoff-provider.pc: plugindir='$pcdir', want $PLUGINDIR"
ex=/usr/share/doc/libpam-logoff-dev/examples/sample.c
# shellcheck disable=SC2046
if cc -shared -fPIC -o "$T/sample.so" "$ex" $(pkg-config --cflags logoff-provider) 2> "$T/out/cc.err"; then
	ADDED="$ADDED $PLUGINDIR/sample.so"
	install -m 0644 "$T/sample.so" "$PLUGINDIR/sample.so"
	ok "the example plugin builds against the installed header"
else
	fail "cc $ex: $(cat "$T/out/cc.err")"
fi
ADDED="$ADDED /etc/security/logoff.conf.d/lo-deb-test.conf"
printf '[logoff]\nproviders = tmpdir processes hooks sample\n[sample]\ndir = %s\n' "$T/files" \
	> /etc/security/logoff.conf.d/lo-deb-test.conf
chmod 0644 /etc/security/logoff.conf.d/lo-deb-test.conf

# ------------------------------------------------------- a real login
U="lo-deb-$$"
useradd -m -s /bin/sh "$U" >/dev/null 2>&1 || { fail "useradd $U failed"; finish; }
usermod -p '*' "$U" >/dev/null 2>&1
O="$T/out"
# su -l: /etc/pam.d/su-l includes su, which includes common-session.
su -l "$U" -c "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo \$! > $O/bg.pid
	echo \"\$LOGOFF_SESSION_ID\" > $O/id; echo \"\$TMPDIR\" > $O/tmpdir; echo \"\$SAMPLE_FILE\" > $O/sample
	test -d \"\$TMPDIR\" && echo yes > $O/tmpdir.existed; test -f \"\$SAMPLE_FILE\" && echo yes > $O/sample.existed
	logoff --list > $O/list 2>&1; echo \$? > $O/list.rc" > "$O/su.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "su -l $U exited 0 ($(elapsed))" || fail "su -l $U: exit $rc: $(cat "$O/su.log")"
id=$(cat "$O/id" 2>/dev/null)
BG=$(cat "$O/bg.pid" 2>/dev/null)
[ -n "$id" ] && ok "LOGOFF_SESSION_ID=$id in the su session" || fail "no LOGOFF_SESSION_ID in the su session"
assert_grep '^0$' "$O/list.rc"
if [ -n "$id" ] && awk -v id="$id" -v u="$U" '$1 == id && $0 ~ u { f = 1 } END { exit !f }' "$O/list" 2>/dev/null; then
	ok "logoff --list in the session showed it: $(grep -E "^ *$id " "$O/list" | head -1)"
else
	fail "logoff --list did not show session '$id' of $U: $(cat "$O/list" 2>/dev/null)"
fi
assert_grep "^/tmp/logoff/$id\$" "$O/tmpdir"
assert_grep '^yes$' "$O/tmpdir.existed"
assert_grep "^$T/files/sample-$id\$" "$O/sample"
assert_grep '^yes$' "$O/sample.existed"
if [ -n "$BG" ] && wait_for 15 dead "$BG"; then ok "the user's leftover setsid sleep ($BG) was ended"
else fail "the user's leftover sleep ($BG) is still running"; fi
[ -n "$id" ] && { assert_gone "/run/logoff/sessions/$id"; assert_gone "/tmp/logoff/$id"; assert_gone "$T/files/sample-$id"; }
echo "login: done ($(elapsed))"

# ---------------------------------------------------------------- purge
rm -f $ADDED; ADDED=""
apt-get purge -y libpam-logoff-dev libpam-logoff > "$T/out/purge.log" 2>&1 ||
	fail "apt-get purge failed: $(tail -20 "$T/out/purge.log")"
st=$(pkg_state libpam-logoff)
[ -z "$st" ] || [ "$st" = not-installed ] && ok "libpam-logoff purged ($(elapsed))" || fail "libpam-logoff is '$st' after purge"
for f in "$T"/saved/pam.d/*; do
	if cmp -s "$f" "/etc/pam.d/${f##*/}"; then ok "/etc/pam.d/${f##*/} is as before"
	else fail "/etc/pam.d/${f##*/} differs from before: $(diff "$f" "/etc/pam.d/${f##*/}")"; fi
done
for f in /usr/share/pam-configs/logoff /etc/security/logoff.conf /etc/security/logoff /etc/cron.d/logoff-gc \
	/usr/lib/"$MA"/security/pam_logoff.so /usr/bin/logoff /usr/libexec/logoff "$PLUGINDIR" \
	/etc/systemd/system/timers.target.wants/logoff-gc.timer /run/logoff /usr/include/logoff \
	/etc/cron.d/logoff-limits /etc/systemd/system/timers.target.wants/logoff-limits.timer; do
	assert_gone "$f"
done
finish
