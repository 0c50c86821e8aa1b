#!/bin/sh
# Faults: a logoff hook or a plugin provider that hangs. close_session must
# return within [logoff] timeout + 1 s, the record must say timed-out (the
# session and the hung provider), every process of the hung hook's or
# plugin's process group must be gone, and the sweep (logoff --gc) must
# complete the session once. tests/pam/pam_confdir.sh covers a lone
# hanging hook and a chatty one; this adds descendants that stay in the
# hook's process group, one that leaves it, and a hanging plugin.
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
PLUGINS="$T/plugins"
mkdir -p "$PLUGINS"
cp "$top_builddir/tests/plugins/.libs/crashy.so" "$PLUGINS/" || { echo "FAIL: crashy.so not built"; exit 1; }
chmod 0755 "$PLUGINS"; chmod 0644 "$PLUGINS/crashy.so"
write_service hang

# close_within WHAT: one session through the real module with the
# current config; exit 2 (close failed) within timeout (2 s) + 1 s. Sets
# $id and $ms.
close_within() {
	# How many processes of the helper's group (the helper and, for a
	# plugin, its forked child and grandchild) exist mid-hang: what must
	# be gone afterwards.
	# The closer (a forked child of the login manager, or logoff-helper
	# for a plugin) is named in the record and leads its process group.
	# Mid-hang is before the hung provider's bound (the chain deadline
	# less a reserve for each provider after it; see lo_chain_logoff).
	# A provider that may block runs in a child leading a process group
	# of its own, inside the closer's session: count the session.
	# Sampled every 50 ms from the start until the closer's session has
	# the three processes a hung plugin makes, for at most 1.5 s (well
	# inside the 2 s hang); the most seen is kept.
	( c= max=0 i=0
	  while [ "$i" -lt 30 ] && [ "$max" -lt 3 ]; do
		sleep 0.05; i=$((i + 1))
		sid=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1.env")
		[ -z "$c" ] && [ -n "$sid" ] && c=$(sed -n 's/^closer \([0-9]*\) .*/\1/p' "$T/reg/sessions/$sid" 2>/dev/null)
		[ -n "$c" ] || continue
		k=$(session_alive "$c" | wc -l)
		[ "$k" -gt "$max" ] && max=$k
	  done
	  echo "$c" > "$T/out/$1.closer"
	  echo "$max" > "$T/out/$1.during" ) &
	start=$(date +%s%N)
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" hang "$TEST_USER" \
		'echo "$TMPDIR" > "'"$T"'/out/tmpdir"' > "$T/out/$1.env" 2> "$T/out/$1.err"
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	id=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/$1.env")
	[ -n "$id" ] || fail "$1: the session did not open: $(cat "$T/out/$1.err")"
	[ "$rc" -eq 2 ] && ok "$1: close_session failed (exit $rc)" || fail "$1: exit $rc, expected 2"
	# timeout + 1 s; a sanitizer build (LO_PRELOAD) gets one more second
	# for its slower start of the helper and of the marking.
	limit=$([ -n "${LO_PRELOAD:-}" ] && echo 4000 || echo 3000)
	[ "$ms" -lt "$limit" ] && ok "$1: close_session returned in $ms ms (timeout 2 s)" \
		|| fail "$1: close_session took $ms ms, timeout 2 s, limit $limit ms"
	wait
	echo "measured: $1: close_session $ms ms; $(cat "$T/out/$1.during") helper processes during the hang, 0 expected after" >> "$T/out/measured"
}

# session_alive SID: the live processes of session SID, one pid a line.
session_alive() {
	ps -e -o pid=,sid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
}
session_gone() { [ -z "$(session_alive "$1")" ]; }

# gone_pids FILE WHAT: every pid listed in FILE is dead.
gone_pids() {
	[ -s "$1" ] || { fail "$2: no pids recorded in $1"; return; }
	wait_for_gone $(cat "$1")
	for p in $(cat "$1"); do assert_dead "$p" "$2"; done
}

# 1. A logoff hook that hangs, with two descendants in its process group
#    (a background sleep and a subshell's sleep) and one that left the
#    group with setsid: the group is killed at the deadline.
hook logoff.d 10-hang 'sleep 301 & echo $! >> "'"$T"'/out/group.pids"
( sleep 302 ) & echo $! >> "'"$T"'/out/group.pids"
echo $$ >> "'"$T"'/out/group.pids"
echo started >> "'"$T"'/out/hang.count"
exec sleep 300'
LO_TIMEOUT=2 LO_HOOK_TIMEOUT=60 write_conf
close_within hook
rec="$T/reg/sessions/$id"
assert_grep "^state timed-out\$" "$rec"
assert_grep "^provider hooks timed-out" "$rec"
gone_pids "$T/out/group.pids" "hung hook's process group"
c=$(cat "$T/out/hook.closer")
[ -n "$c" ] && wait_for 10 session_gone "$c"
[ -n "$c" ] && ok "closer $c was running mid-hang" || fail "no closer in the record mid-hang"
[ -n "$c" ] && session_alive "$c" > "$T/out/left" && [ -s "$T/out/left" ] && fail "closer's session left: $(cat "$T/out/left")" || ok "nothing of closer $c's group left"
"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$T/out/status" 2>&1
assert_grep "hooks .*timed-out" "$T/out/status"
# The sweep completes it once the hook no longer hangs.
rm -f "$T/logoff.d/10-hang"
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/done.count"'
"$LOGOFF" --config "$T/logoff.conf" --gc > "$T/out/gc" 2>&1 \
	&& ok "--gc completed the timed-out session" || fail "--gc: $(cat "$T/out/gc")"
assert_gone "$rec"
assert_gone "$(cat "$T/out/tmpdir")"
[ "$(grep -c "^$id\$" "$T/out/done.count" 2>/dev/null)" -eq 1 ] && ok "the hook completed once" \
	|| fail "the hook completed $(grep -c "^$id\$" "$T/out/done.count") times"
rm -f "$T/logoff.d/"*

# 2. A plugin provider whose logoff hangs (and forked a child that hangs
#    too), between two providers that release: the deadline holds, no
#    helper process of the session is left, the sweep finishes.
LO_TIMEOUT=2 LO_PROVIDERS="tmpdir crashy hooks" LO_LOGOFF_EXTRA="plugin_dir = $PLUGINS" \
	write_conf "[crashy]" "how = hang"
close_within plugin
rec="$T/reg/sessions/$id"
assert_grep "^state timed-out\$" "$rec"
c=$(cat "$T/out/plugin.closer")
[ -n "$c" ] && wait_for 10 session_gone "$c"
[ -n "$c" ] && session_alive "$c" > "$T/out/left" && [ -s "$T/out/left" ] && fail "hung plugin processes left: $(ps -o pid,pgid,args -p "$(cat "$T/out/left" | tr '\n' ',' | sed 's/,$//')")" \
	|| ok "no process of the hung plugin left"
[ "$(cat "$T/out/plugin.during")" -ge 3 ] && ok "the helper, the plugin's child and its child were there mid-hang" \
	|| fail "only $(cat "$T/out/plugin.during") processes in the closer's group mid-hang: the check above proves nothing"
LO_TIMEOUT=2 LO_PROVIDERS="tmpdir crashy hooks" LO_LOGOFF_EXTRA="plugin_dir = $PLUGINS" \
	write_conf "[crashy]" "how = abort"
"$LOGOFF" --config "$T/logoff.conf" --gc -v > "$T/out/gc2" 2>&1
assert_grep "crashy: logoff crashed: signal 6" "$T/out/gc2"
assert_gone "$rec"
assert_gone "$(cat "$T/out/tmpdir")"
[ "$(records)" -eq 0 ] && ok "no record left" || fail "$(records) record(s) left"
cat "$T/out/measured"
finish
