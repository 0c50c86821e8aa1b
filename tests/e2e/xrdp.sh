#!/bin/sh
# End-to-end: xrdp, the Linux terminal server. A real xrdp-sesman (its
# PAM service xrdp-sesman from pam_wrapper: pam_unix for the password,
# pam_loginuid, pam_logoff) starts an Xvnc session for a throwaway user
# with a password through xrdp-sesrun. `logoff --list` shows the session
# under its X display (PAM_TTY ":N"); `logoff :N` ends it as the Windows
# command ends a terminal-server session: the X server, the window
# manager and the process it left behind are gone, sesman's session
# process closes the PAM session, and the record and TMPDIR are gone,
# with the logoff hook run once.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (xrdp-sesman, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
SESMAN=$(command -v xrdp-sesman || echo /usr/sbin/xrdp-sesman)
SESRUN=$(command -v xrdp-sesrun || echo /usr/sbin/xrdp-sesrun)
[ -x "$SESMAN" ] && [ -x "$SESRUN" ] || skip "xrdp not installed (apt-get install xrdp)"
command -v Xvnc >/dev/null || skip "Xvnc not installed (apt-get install tigervnc-standalone-server)"
[ -f /etc/xrdp/sesman.ini ] || skip "no /etc/xrdp/sesman.ini"
LOGOFF="$top_builddir/logoff"
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
make_user
password="Lo-$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
echo "$E2E_USER:$password" | chpasswd || skip "chpasswd failed"
write_conf
hook logoff.d 10-count 'echo "$LOGOFF_SESSION_ID" >> "'"$T"'/out/hook.ran"'
# Under the ASan runtime, pam_unix loaded through pam_wrapper's
# RTLD_DEEPBIND dlopen calls a null function (SEGV in pam_unix.so): the
# sanitizer build checks the password with pam_permit instead, and the
# wrong-password step is left to the plain build.
auth=pam_unix.so
[ -n "${LO_PRELOAD:-}" ] && auth=pam_permit.so
cat > "$T/pam.d/xrdp-sesman" <<SVC
auth     required  $auth
account  required  $auth
session  required  pam_loginuid.so
session  required  $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
# The session's window manager: notes its environment, leaves a process
# behind in its own session (setsid), and waits.
cat > "$T/wm.sh" <<WM
#!/bin/sh
echo "wm=\$\$ display=\$DISPLAY tmp=\$TMPDIR id=\$LOGOFF_SESSION_ID" > "$T/out/wm"
echo "xauthority=\$XAUTHORITY" >> "$T/out/wm"
setsid sleep 600 </dev/null >/dev/null 2>&1 &
echo "left=\$!" >> "$T/out/wm"
exec sleep 1000
WM
chmod 0755 "$T/wm.sh"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# xrdp binds "127.0.0.1" as ::1 while xrdp-sesrun connects to
# ::ffff:127.0.0.1; the mapped address works for both.
sed -e "s|^ListenAddress=.*|ListenAddress=::ffff:127.0.0.1|" -e "s|^ListenPort=.*|ListenPort=$port|" \
	-e "s|^DefaultWindowManager=.*|DefaultWindowManager=$T/wm.sh|" \
	-e "s|^EnableUserWindowManager=.*|EnableUserWindowManager=false|" \
	-e "s|^LogFile=.*|LogFile=$T/out/sesman.log|" -e "s|^EnableSyslog=.*|EnableSyslog=false|" \
	/etc/xrdp/sesman.ini > "$T/sesman.ini"
ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	"$SESMAN" --nodaemon --config "$T/sesman.ini" > "$T/out/sesman.out" 2>&1 &
sesman=$!
at_exit 'kill $sesman 2>/dev/null'
wait_for 10 sh -c "ss -ltn | grep -q ':$port '" || { fail "xrdp-sesman did not listen: $(cat "$T/out/sesman.out")"; finish; }

# A wrong password is refused by pam_unix: no session, no record.
if [ "$auth" = pam_unix.so ]; then
	printf 'wrong\n' > "$T/badpw"
	"$SESRUN" -c "$T/sesman.ini" -t Xvnc -g 640x480 -F 3 "$E2E_USER" 3< "$T/badpw" > "$T/out/bad" 2>&1
	[ "$(records)" -eq 0 ] && ok "a wrong password makes no record" || fail "$(records) record(s) after a wrong password"
fi

printf '%s\n' "$password" > "$T/pw"; chmod 0600 "$T/pw"
"$SESRUN" -c "$T/sesman.ini" -t Xvnc -g 640x480 -F 3 "$E2E_USER" 3< "$T/pw" > "$T/out/sesrun" 2>&1
rc=$?
rm -f "$T/pw"
if [ "$rc" -ne 0 ] || ! grep -q "^ok" "$T/out/sesrun"; then
	fail "xrdp-sesrun exit $rc: $(cat "$T/out/sesrun"; tail -20 "$T/out/sesman.log")"; finish
fi
ok "xrdp-sesrun started a session: $(cat "$T/out/sesrun")"
display=$(sed -n 's/.*display=\(:[0-9]*\).*/\1/p' "$T/out/sesrun")
wait_for 20 grep -qs '^left=' "$T/out/wm" || { fail "the window manager did not start: $(tail -20 "$T/out/sesman.log")"; finish; }
id=$(sed -n 's/.* id=\([^ ]*\)$/\1/p' "$T/out/wm")
tmp=$(sed -n 's/.* tmp=\([^ ]*\) id=.*/\1/p' "$T/out/wm")
wm=$(sed -n 's/^wm=\([0-9]*\).*/\1/p' "$T/out/wm")
left=$(sed -n 's/^left=//p' "$T/out/wm")
xvnc=$(pgrep -u "$E2E_USER" -x Xvnc)
[ -n "$id" ] && [ -n "$xvnc" ] || { fail "no session id or X server: $(cat "$T/out/wm")"; finish; }
assert_exists "$tmp"
assert_exists "$T/reg/sessions/$id"

lo --list > "$T/out/list" 2>&1
assert_grep "^$id  *$display  *$E2E_USER .*xrdp-sesman.*active" "$T/out/list"

# IDLE is the X server's own count (MIT-SCREEN-SAVER, asked as the
# user): it grows while nothing happens, and input (an XTEST pointer
# motion through xdotool, as the user) resets it. The sequence is
# ordered by the idle values themselves, not by sleeping.
x_idle() {
	lo --list --json | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["sessions"] if s["id"]==sys.argv[1]]
print(s[0]["idle"] if s and s[0]["idle"] is not None else "null")' "$id"
}
xidle_ge() { i=$(x_idle); [ "$i" != null ] && [ "$i" -ge "$1" ]; }
wait_for 20 xidle_ge 3 && ok "X idle time counts: $(x_idle) s" || fail "X idle time: $(x_idle): $(cat "$T/out/wm"; ps -o args= -p "$xvnc"; "$LOGOFF" --config "$T/logoff.conf" -v --list 2>&1 | tail -3)"
if command -v xdotool > /dev/null; then
	# sesman starts Xvnc with -auth .Xauthority in the user's home and
	# sets no XAUTHORITY.
	xauth=$(sed -n 's/^xauthority=//p' "$T/out/wm")
	[ -n "$xauth" ] || xauth="$(getent passwd "$E2E_USER" | cut -d: -f6)/.Xauthority"
	runuser -u "$E2E_USER" -- env DISPLAY="$display" XAUTHORITY="$xauth" xdotool mousemove_relative 5 5 \
		> "$T/out/xdotool" 2>&1 || fail "xdotool: $(cat "$T/out/xdotool")"
	i=$(x_idle)
	[ "$i" != null ] && [ "$i" -lt 3 ] && ok "input reset the X idle time: $i s" || fail "after input, X idle $i"
else
	skip_note="xdotool missing: input not driven"
	echo "note: $skip_note"
fi

# The warning reaches the display, which has no terminal: an X message
# window of the user's (no notification service runs in this session),
# while logoff waits out the warning.
xauth=$(sed -n 's/^xauthority=//p' "$T/out/wm")
[ -n "$xauth" ] || xauth="$(getent passwd "$E2E_USER" | cut -d: -f6)/.Xauthority"
x_windows() { runuser -u "$E2E_USER" -- env DISPLAY="$display" XAUTHORITY="$xauth" xwininfo -root -tree 2>&1; }
lo "$display" -v --warn 4 --message "xrdp test: save your work" > "$T/out/logoff" 2>&1 &
lopid=$!
if command -v xwininfo > /dev/null; then
	wait_for 4 sh -c "runuser -u '$E2E_USER' -- env DISPLAY='$display' XAUTHORITY='$xauth' xwininfo -root -tree 2>&1 | grep -q '\"xmessage\"'" \
		&& ok "the warning is an X message window on $display" || fail "no xmessage window: $(x_windows | head -20)"
fi
wait "$lopid"
rc=$?
assert_grep "warned display $display" "$T/out/logoff"
[ "$rc" -eq 0 ] && ok "logoff $display exits 0" || fail "logoff $display exit $rc: $(cat "$T/out/logoff")"
# Done means every process of the session has ended: no wait here.
assert_dead "$xvnc" "Xvnc when logoff returned"
pid_alive "$xvnc" && { echo "--- logoff -v output:"; cat "$T/out/logoff"; ps -o pid,stat,comm,cgroup -p "$xvnc"; cat /proc/$xvnc/cgroup; }
assert_dead "$wm" "the window manager"
assert_dead "$left" "the process the window manager left"
wait_for 10 sh -c "[ ! -e '$T/reg/sessions/$id' ]" || true
assert_gone "$T/reg/sessions/$id"
assert_gone "$tmp"
[ "$(grep -c "^$id\$" "$T/out/hook.ran" 2>/dev/null)" = 1 ] && ok "the logoff hook ran once" ||
	fail "logoff hook ran $(grep -c "^$id\$" "$T/out/hook.ran" 2>/dev/null) times"
# (A zombie is dead; reaping it is its parent's business.)
live=$(ps -o pid=,stat=,comm= -u "$E2E_USER" | awk '$2 !~ /^Z/')
[ -z "$live" ] && ok "no live process of $E2E_USER left" || fail "left: $live"
kill -0 "$sesman" 2>/dev/null && ok "xrdp-sesman still serves" || fail "xrdp-sesman died: $(cat "$T/out/sesman.out")"
assert_grep "Calling auth_stop_session" "$T/out/sesman.log"
assert_grep "terminated session: *username $E2E_USER, display $display" "$T/out/sesman.log"
finish
