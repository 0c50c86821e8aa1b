#!/bin/sh
# End-to-end: the terminals of an ssh session (sshd on loopback, its PAM
# service from pam_wrapper). sshd sets PAM_TTY to "ssh" at open_session
# and allocates the pty afterwards, so the record's tty names no
# terminal; logoff finds them from the session's processes:
#  - an ssh login with a pty is listed with TTY pts/N and a numeric IDLE,
#    and `--list --json` names the pty in "terminals";
#  - a ControlMaster connection with a second channel holds two ptys; the
#    session's idle time is that of the most recently used one (each
#    pty's atime set by the test), so a busy second channel keeps it;
#  - a pty the session's user does not own (chown'd to root by the test)
#    is not counted: not for idle, not for `logoff pts/N`;
#  - `logoff pts/N` (the second channel's pty) logs the whole session off;
#    with -v it prints each provider's state as sshd's close_session
#    (another process) writes it to the record (a logoff hook that takes
#    a second keeps the hooks provider logging off long enough to see);
#  - on a terminal, without -v, logoff keeps one progress line while it
#    waits (time left, processes left); not on a pipe.
# A second ssh login (no pty) stays open throughout, so the views look at
# more than one session: through one /proc index (lo_proc_index_build),
# not a scan per session; the other login must not get the ptys.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (sshd, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
make_user

LO_MATCH=auto LO_TIMEOUT=10 write_conf
svc=logoff-sshd-tty
cat > "$T/pam.d/$svc" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
lo() { "$top_builddir/logoff" --config "$T/logoff.conf" "$@"; }
hook logoff.d 10-slow 'sleep 1'
start_sshd "$svc"
ctl="$T/ctl"

# jq-free field access: field SESSION KEY from `--list --json`.
field() {
	lo --list --json | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["sessions"] if s["id"]==sys.argv[1]]
print(json.dumps(s[0][sys.argv[2]]) if s else "missing")' "$1" "$2"
}

ssh_user 127.0.0.1 'echo "id=$LOGOFF_SESSION_ID"; exec sleep 1000' \
	> "$T/out/other.out" 2> "$T/out/other.err" < /dev/null &
other=$!
wait_for 15 grep -q '^id=' "$T/out/other.out" || fail "other login did not start: $(cat "$T/out/other.err")"
osid=$(sed -n 's/^id=//p' "$T/out/other.out")

# 1. A master connection with a pty.
ssh_user -tt -M -S "$ctl" -o ControlPersist=no 127.0.0.1 \
	'echo "id=$LOGOFF_SESSION_ID tty=$(tty)"; exec sleep 1000' \
	> "$T/out/master.out" 2> "$T/out/master.err" < /dev/null &
master=$!
wait_for 15 grep -q '^id=' "$T/out/master.out" || fail "master did not start: $(cat "$T/out/master.err"; tail -5 "$T/out/sshd.log")"
sid=$(sed -n 's/^id=\([^ ]*\) .*/\1/p' "$T/out/master.out" | tr -d '\r')
pty1=$(sed -n 's/.* tty=//p' "$T/out/master.out" | tr -d '\r')
case "$pty1" in /dev/pts/[0-9]*) ok "master pty $pty1" ;; *) fail "master tty '$pty1'" ;; esac
[ "$(stat -c %U "$pty1")" = "$E2E_USER" ] && ok "$pty1 owned by $E2E_USER" || fail "$pty1 owner $(stat -c %U "$pty1")"
assert_grep "^tty ssh$" "$T/reg/sessions/$sid"
lo --list > "$T/out/list1.txt"
assert_grep "^$sid .* ${pty1#/dev/} .* active .*[0-9:] [.0-9]" "$T/out/list1.txt"
[ "$(field "$sid" terminals)" = "[\"${pty1#/dev/}\"]" ] && ok "terminals [${pty1#/dev/}]" || fail "terminals $(field "$sid" terminals)"
idle=$(field "$sid" idle)
case "$idle" in [0-9]*) ok "idle $idle s" ;; *) fail "idle '$idle'" ;; esac
[ "$(field "$osid" terminals)" = "[]" ] && ok "login $osid without a pty has no terminal" \
	|| fail "login $osid terminals $(field "$osid" terminals)"
[ "$(field "$osid" idle)" = "null" ] && ok "login $osid idle unknown" || fail "login $osid idle $(field "$osid" idle)"

# 2. A second channel over the master: same session, a second pty.
ssh_user -tt -S "$ctl" 127.0.0.1 'echo "id=$LOGOFF_SESSION_ID tty=$(tty)"; exec sleep 1000' \
	> "$T/out/chan.out" 2> "$T/out/chan.err" < /dev/null &
chan=$!
wait_for 15 grep -q '^id=' "$T/out/chan.out" || fail "channel did not start: $(cat "$T/out/chan.err")"
pty2=$(sed -n 's/.* tty=//p' "$T/out/chan.out" | tr -d '\r')
[ "$(sed -n 's/^id=\([^ ]*\) .*/\1/p' "$T/out/chan.out" | tr -d '\r')" = "$sid" ] \
	&& ok "second channel is in session $sid" || fail "second channel: $(cat "$T/out/chan.out")"
[ -n "$pty2" ] && [ "$pty2" != "$pty1" ] && ok "second pty $pty2" || fail "second pty '$pty2'"
wait_for 5 sh -c "'$top_builddir/logoff' --config '$T/logoff.conf' --list --json | grep -q '\"${pty2#/dev/}\"'" \
	&& ok "both ptys listed" || fail "terminals $(field "$sid" terminals)"

# Idle is that of the most recently used terminal: both 10 minutes old
# gives 10 minutes; the second one used now gives under a minute. (The
# record says the session opened an hour ago: idle is never longer than
# the session.)
sed -i "s/^created .*/created $(( $(date +%s) - 3600 ))/" "$T/reg/sessions/$sid"
touch -a -d '-10 min' "$pty1" "$pty2"
idle=$(field "$sid" idle)
[ "$idle" -ge 600 ] 2>/dev/null && [ "$idle" -lt 700 ] && ok "both idle: $idle s" || fail "both idle: '$idle'"
lo --list | grep -q "^$sid .* 10m " && ok "--list IDLE 10m" || fail "--list: $(lo --list)"
touch -a "$pty2"
idle=$(field "$sid" idle)
[ "$idle" -lt 60 ] 2>/dev/null && ok "busy second channel: idle $idle s" || fail "busy second channel: idle '$idle'"

# An access time set before the logon (the user's own touch -a) counts
# as the logon: idle is the session's age, not decades.
touch -a -d '1990-01-01' "$pty1" "$pty2"
idle=$(field "$sid" idle)
[ "$idle" -ge 3590 ] 2>/dev/null && [ "$idle" -le 3700 ] && ok "atime before logon: idle $idle s, the session's age" \
	|| fail "atime before logon: idle '$idle'"
touch -a -d '-10 min' "$pty1" "$pty2"

# 3. A pty the user does not own is not the session's: not counted for
# idle, not found by `logoff pts/N`.
chown root "$pty2"
idle=$(field "$sid" idle)
[ "$idle" -ge 600 ] 2>/dev/null && ok "root-owned $pty2 not counted: idle $idle s" || fail "root-owned pty counted: idle '$idle'"
lo "${pty2#/dev/}" > "$T/out/notours.out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && ok "logoff ${pty2#/dev/} of a root-owned pty: exit $rc" || fail "logoff of a root-owned pty succeeded"
assert_grep "no session '${pty2#/dev/}'" "$T/out/notours.out"
assert_exists "$T/reg/sessions/$sid"
chown "$E2E_USER" "$pty2"

# 4. `logoff pts/N` by the second channel's pty ends the whole session.
lo -v "${pty2#/dev/}" > "$T/out/logoff.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "logoff ${pty2#/dev/}: exit 0" || fail "logoff ${pty2#/dev/}: exit $rc: $(cat "$T/out/logoff.out")"
wait_for 10 test ! -e "$T/reg/sessions/$sid" && ok "session $sid logged off" || fail "record $sid still there"
wait_for_gone "$master" "$chan" && ok "both ssh clients saw the connection close" || fail "ssh clients still connected"
assert_grep "^  provider hooks: logging-off" "$T/out/logoff.out"
assert_no_grep "s left" "$T/out/logoff.out"

# 5. On a terminal: the progress line, rewritten in place, then erased.
python3 - "$top_builddir/logoff" "$T/logoff.conf" "$osid" > "$T/out/tty.out" 2>&1 <<'PY'
import os, subprocess, sys
m, s = os.openpty()
p = subprocess.Popen([sys.argv[1], "--config", sys.argv[2], sys.argv[3]],
                     stdin=subprocess.DEVNULL, stdout=s, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
print("exit", p.wait())
sys.stdout.write(out.decode(errors="replace").replace("\r", "<CR>").replace("\033", "<ESC>"))
PY
assert_grep "^exit 0" "$T/out/tty.out"
assert_grep "<CR>logoff: session $osid: [0-9]* s left, [0-9]* process" "$T/out/tty.out"
assert_grep "<CR><ESC>\[K" "$T/out/tty.out"
wait_for 10 test ! -e "$T/reg/sessions/$osid" && ok "login $osid logged off" || fail "record $osid still there"
wait_for_gone "$other" && ok "its ssh client saw the connection close" || fail "ssh client $other still connected"
assert_alive "$SSHD_PID" "sshd listener"
finish
