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
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
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
	# (No --helper: only root may name one, tests/cli/helper_option.sh.)
	exit_is 3 "nobody: logoff $A_NAME (root's session)" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$LOGOFF" --config "$T/logoff.conf" "$A_NAME"
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
# A's sleep is root's, which exclude_users (root by default) spares: it
# is ended here, or its login manager would wait the 300 s out.
kill "$(cat "$T/out/a.pid")" 2>/dev/null
wait "$A_LEADER"
assert_gone "$T/reg/sessions/$A"
for f in x etc/passwd reg-victim/x; do
	[ "$(cat "$T/$f")" = canary ] && ok "$T/$f intact" || fail "$T/$f changed"
done

# 4. C1 control characters (U+0080..U+009F; U+009B is CSI, which xterm
#    obeys as ESC [) in what a user or the network sets: PAM_RHOST,
#    PAM_TTY, a file name in the session's TMPDIR, a hook's output, as
#    UTF-8 (\302\233) and as a raw byte (\233). Wherever they reach an
#    administrator (--list, --json, --status, the helper's log lines that
#    logoff(1) relays) they are '?', and no 0x9b byte is left; valid UTF-8
#    (e with acute, \303\251) is kept.
CSI=$(printf '\302\233') RAW=$(printf '\233') E_ACUTE=$(printf '\303\251')
no_c1() { # no_c1 FILE DESC: no 0x9b byte (alone or in \302\233), no \302\205
	n=$(LC_ALL=C grep -c "$RAW\|$(printf '\302\205')" "$1")
	[ "$n" -eq 0 ] && ok "$2: no C1 byte" || { fail "$2: $n line(s) with a C1 byte:"; od -c "$1" | head -20; }
}
hook logoff.d 20-c1 'printf "hook-out %s %s done\n" "$(printf "\302\233")2J" "$(printf "\233")31m"'
c1_work='touch "$TMPDIR/f'"$CSI"'2J'"$RAW"'x"; echo "tmp=$TMPDIR"'
if [ "$(id -u)" -eq 0 ]; then
	# A mount point is left in place by the tmpdir provider and named in
	# its log line.
	c1_work="$c1_work"'; mkdir "$TMPDIR/m'"$CSI$RAW"'" && mount -t tmpfs lo-c1 "$TMPDIR/m'"$CSI$RAW"'" && echo mounted'
fi
PAM_TEST_RHOST="h${E_ACUTE}te${CSI}2J${RAW}31m.example" PAM_TEST_TTY="pts/9${CSI}" \
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" hn "$TEST_USER" \
	"$c1_work; echo \$\$ > '$T/out/c.pid'; exec sleep 300" > "$T/out/c.env" 2>&1 &
C_LEADER=$!
wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/c.env" || { fail "session C did not open: $(cat "$T/out/c.env")"; finish; }
C=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/c.env")
wait_for 5 test -s "$T/out/c.pid"
C_TMP=$(sed -n 's/^tmp=//p' "$T/out/c.env")
ok "session C: $C"
exit_is 0 "C1: --list" lo --list
assert_grep "h${E_ACUTE}te??2J?31m.example" "$T/out/last.out"
no_c1 "$T/out/last.out" "--list"
exit_is 0 "C1: --list --json" lo --list --json
no_c1 "$T/out/last.out" "--list --json"
python3 - "$T/out/last.out" "$C" <<'PY' > "$T/out/c1json.check" 2>&1 && ok "C1: JSON rhost and tty" || fail "C1: JSON: $(cat "$T/out/c1json.check")"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
s = [x for x in doc["sessions"] if x["id"] == sys.argv[2]][0]
assert s["rhost"] == "h\u00e9te??2J?31m.example", repr(s["rhost"])
assert not any(0x80 <= ord(ch) <= 0x9f for v in s.values() if isinstance(v, str) for ch in v), s
PY
exit_is 0 "C1: --status" lo --status "$C"
assert_grep "from h${E_ACUTE}te??2J?31m.example" "$T/out/last.out"
no_c1 "$T/out/last.out" "--status"
exit_is 0 "C1: --status --json" lo --status "$C" --json
no_c1 "$T/out/last.out" "--status --json"
python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$T/out/last.out" \
	&& ok "C1: --status --json is JSON" || fail "C1: --status --json: $(cat "$T/out/last.out")"
# The login manager gone, the sweep runs the chain through logoff-helper
# and relays its log lines (the hook's output, what tmpdir left).
kill -KILL "$C_LEADER"
wait "$C_LEADER" 2>/dev/null
lo --gc -v > "$T/out/c1gc.out" 2>&1
no_c1 "$T/out/c1gc.out" "--gc -v (the helper's lines)"
assert_grep "hook-out ??2J ?31m done" "$T/out/c1gc.out"
if [ "$(id -u)" -eq 0 ] && grep -q '^mounted' "$T/out/c.env"; then
	assert_grep "$C_TMP/m???" "$T/out/c1gc.out"
	# The record stays (failed, the mount left): --status names it safely.
	lo --status "$C" > "$T/out/c1st.out" 2>&1
	no_c1 "$T/out/c1st.out" "--status of the failed session"
	lo --status "$C" --json > "$T/out/c1st.json" 2>&1
	no_c1 "$T/out/c1st.json" "--status --json of the failed session"
	umount "$C_TMP/m$CSI$RAW"
	lo --gc > /dev/null 2>&1
fi
kill "$(cat "$T/out/c.pid")" 2>/dev/null
assert_gone "$T/reg/sessions/$C"
finish
