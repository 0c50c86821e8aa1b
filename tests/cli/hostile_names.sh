#!/bin/sh
# Session names and ids cannot escape the registry directory, whether
# they come from the command line (any user may run logoff(1)) or from
# the registry itself (a record whose name line is "../../x", a names/
# entry that is a symlink): refused, and nothing outside the registry is
# touched (canary files with their mtimes), nor another session.
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
[ -x "$LOGOFF" ] || { echo "FAIL: $LOGOFF not built"; exit 1; }
LO_TIMEOUT=10 write_conf
write_service hn
lo() { "$LOGOFF" --config "$T/logoff.conf" --helper "$HELPER" "$@"; }
exit_is() { # exit_is WANT DESC CMD...
	want=$1 desc=$2; shift 2
	"$@" > "$T/out/last.out" 2> "$T/out/last.err"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$desc: exit $got"; else
		fail "$desc: exit $got, wanted $want: $(cat "$T/out/last.out" "$T/out/last.err")"; fi
}

# Canaries where "../" from the registry and its subdirectories leads.
mkdir -p "$T/etc" "$T/reg-victim"
echo canary > "$T/x"; echo canary > "$T/etc/passwd"; echo canary > "$T/reg-victim/x"
touch -d '2001-02-03 04:05:06' "$T/x" "$T/etc/passwd" "$T/reg-victim/x" "$T/etc" "$T/reg-victim"
snapshot() {
	find "$T/x" "$T/etc" "$T/reg-victim" -printf '%p %y %m %s %T@\n' | sort
	# The registry's own tree (names and records), times left out: only
	# what exists and what it says.
	(cd "$T/reg" && find . -path ./lock -prune -o ! -name gc-stamp -printf '%p %y %m %s\n' | sort)
}

# A session that must survive everything below.
"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" hn "$TEST_USER" \
	'echo $$ > "'"$T"'/out/a.pid"; exec sleep 300' > "$T/out/a.env" 2>&1 &
A_LEADER=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/a.env" || { fail "session A did not open: $(cat "$T/out/a.env")"; finish; }
A=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/a.env")
wait_for 5 test -e "$T/reg/sessions/$A"
A_NAME=$(sed -n 's/^name //p' "$T/reg/sessions/$A")
[ -n "$A_NAME" ] && ok "session A: $A ($A_NAME)" || fail "session A has no name"
snapshot > "$T/out/before"

# 1. From the command line.
exit_is 2 "logoff ../../etc" lo ../../etc
assert_grep "'\.\.'" "$T/out/last.err"
exit_is 2 "logoff --status pts/../../x" lo --status 'pts/../../x'
exit_is 2 "logoff pts/../../x" lo 'pts/../../x'
exit_is 2 "logoff --status ../reg-victim/x" lo --status ../reg-victim/x
exit_is 2 "logoff /etc/passwd" lo "$T/etc/passwd"
exit_is 2 "logoff 'pts/42/..'" lo 'pts/42/..'
exit_is 2 "logoff --status with a newline" lo --status "$(printf 'r1\n../x')"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	# Another user, as anyone may run logoff(1).
	exit_is 2 "nobody: logoff --status ../../etc" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$LOGOFF" --config "$T/logoff.conf" --status ../../etc
	# A valid name of another user's session: denied, and it lives on.
	exit_is 3 "nobody: logoff $A_NAME (root's session)" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$LOGOFF" --config "$T/logoff.conf" --helper "$HELPER" "$A_NAME"
	assert_grep "permission denied" "$T/out/last.err"
	assert_alive "$(cat "$T/out/a.pid")" "session A"
fi
snapshot > "$T/out/after1"
cmp -s "$T/out/before" "$T/out/after1" && ok "command line: nothing touched" \
	|| fail "command line: changed: $(diff "$T/out/before" "$T/out/after1" | tr '\n' ' ')"

# 2. A record whose name line is "../../x" (a corrupt or forged record,
#    root-owned as the registry's): refused when read; not listed under
#    that name, and its name never used as a path.
B=r900
sed -e "s/^id .*/id $B/" -e 's|^name .*|name ../../x|' -e "s/^leader .*/leader 1 1/" \
	"$T/reg/sessions/$A" > "$T/reg/sessions/$B"
chmod 0644 "$T/reg/sessions/$B"
snapshot > "$T/out/before2"
exit_is 2 "--status of the record named ../../x" lo --status "$B"
assert_grep "sessions/$B" "$T/out/last.err"
exit_is 2 "logoff ../../x" lo ../../x
lo --list > "$T/out/list" 2> "$T/out/list.err"
assert_no_grep "\.\./\.\./x" "$T/out/list"
assert_grep "^$A " "$T/out/list"
exit_is 2 "logoff $B" lo "$B"
lo --gc > "$T/out/gc.out" 2> "$T/out/gc.err"
snapshot > "$T/out/after2"
# The forged record may have been set aside by the sweep; everything else
# must be as it was.
grep -v "sessions/$B\|sessions/\.corrupt\|sessions/\.bad" "$T/out/before2" > "$T/out/b2"
grep -v "sessions/$B\|sessions/\.corrupt\|sessions/\.bad" "$T/out/after2" > "$T/out/a2"
cmp -s "$T/out/b2" "$T/out/a2" && ok "forged name: nothing else touched" \
	|| fail "forged name: changed: $(diff "$T/out/b2" "$T/out/a2" | tr '\n' ' ')"
assert_alive "$(cat "$T/out/a.pid")" "session A"
rm -f "$T/reg/sessions/$B"

# 3. A names/ entry that is a symlink to a file outside naming A's id:
#    never followed, so the name resolves to nothing; and A's own name
#    replaced by such a symlink does not resolve either.
if [ -d "$T/reg/names" ]; then
	printf '%s\n' "$A" > "$T/reg-victim/id"
	touch -d '2001-02-03 04:05:06' "$T/reg-victim/id" "$T/reg-victim"
	ln -s "$T/reg-victim/id" "$T/reg/names/evil"
	snapshot > "$T/out/before3"
	exit_is 4 "logoff evil (a names/ symlink)" lo evil
	exit_is 4 "logoff --status evil" lo --status evil
	a_file=$(printf '%s' "$A_NAME" | sed 's|/|%2F|g')
	mv "$T/reg/names/$a_file" "$T/out/a.name"
	ln -s "$T/reg-victim/id" "$T/reg/names/$a_file"
	exit_is 4 "logoff $A_NAME (its names/ entry now a symlink)" lo "$A_NAME"
	lo --gc > /dev/null 2>&1
	snapshot > "$T/out/after3"
	grep -v "^\./names/" "$T/out/before3" > "$T/out/b3"; grep -v "^\./names/" "$T/out/after3" > "$T/out/a3"
	cmp -s "$T/out/b3" "$T/out/a3" && ok "names/ symlinks: nothing outside names/ touched" \
		|| fail "names/ symlinks: changed: $(diff "$T/out/b3" "$T/out/a3" | tr '\n' ' ')"
	[ "$(cat "$T/reg-victim/id")" = "$A" ] && ok "the symlink's target is intact" || fail "the symlink's target changed"
	assert_alive "$(cat "$T/out/a.pid")" "session A"
	assert_exists "$T/reg/sessions/$A"
	rm -f "$T/reg/names/evil" "$T/reg/names/$a_file"
	mv "$T/out/a.name" "$T/reg/names/$a_file"
else
	echo "skip: this registry has no names/"
fi

# A is still a normal session: logged off by its name, as usual.
exit_is 0 "logoff $A_NAME" lo "$A_NAME"
wait "$A_LEADER"
assert_gone "$T/reg/sessions/$A"
for f in x etc/passwd reg-victim/x; do
	[ "$(cat "$T/$f")" = canary ] && ok "$T/$f intact" || fail "$T/$f changed"
done
finish
