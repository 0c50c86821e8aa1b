#!/bin/sh
# End-to-end: a remote desktop client attached and gone (Windows' Active
# and Disc states, tsdiscon, MaxDisconnectionTime), with the real chain:
# an RDP client (xfreerdp, drawing into an Xvnc of the test's) connects
# to a real xrdp daemon, which logs on through a real xrdp-sesman (its PAM
# service from pam_wrapper: pam_unix, pam_loginuid, pam_logoff); sesman
# starts the session's Xvnc and xrdp connects to it. The test shows:
#  - `logoff --query` says Active with the client attached, and Disc
#    once the client has gone (killed, as a closed laptop is);
#  - a process of the user's that connects to the session's VNC port
#    does not make it attached (hostile);
#  - the client connects again to the same session (Active again);
#  - `logoff --disconnect :N` ends the client's connection (xfreerdp
#    exits) and keeps the session: its X server and window manager live,
#    its record stays, and it is Disc with a disconnected_since;
#  - a user who is not root sees Disc from the record;
#  - [limits] idle with action = disconnect: the sweep disconnects an
#    idle client and keeps the session;
#  - [limits] disconnected = 3s: the sweep logs the session off once it
#    has been disconnected 3 s (not before), and the audit line gives the
#    reason "disconnected limit 3s".
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (xrdp, xrdp-sesman, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
for p in /usr/sbin/xrdp /usr/sbin/xrdp-sesman; do
	[ -x "$p" ] || skip "xrdp not installed (apt-get install xrdp)"
done
command -v Xvnc > /dev/null || skip "Xvnc not installed (apt-get install tigervnc-standalone-server)"
command -v xfreerdp > /dev/null || skip "xfreerdp not installed (apt-get install freerdp2-x11)"
[ -f /etc/xrdp/sesman.ini ] && [ -f /etc/xrdp/xrdp.ini ] || skip "no /etc/xrdp/sesman.ini or xrdp.ini"
# xrdp reads sesman's port from /etc/xrdp/sesman.ini only: the test's
# copy is bound over it in a mount namespace of the test's own.
in_private_mounts "$@" || skip "needs a private mount namespace (unshare -m)"
capture_syslog || skip "cannot set up a private /dev/log"
# The private /dev has no /dev/shm; the X programs want one.
mkdir -m 1777 /dev/shm

LOGOFF="$top_builddir/logoff"
lo() { "$LOGOFF" --config "$T/logoff.conf" "$@"; }
make_user
password="Lo-$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
echo "$E2E_USER:$password" | chpasswd || skip "chpasswd failed"
# limits_conf INI...: the test's config, with INI as [limits].
limits_conf() { LO_MATCH=audit LO_TIMEOUT=15 write_conf "[limits]" "$@"; }
limits_conf
# Under the ASan runtime pam_unix cannot be loaded through pam_wrapper
# (see xrdp.sh): the sanitizer build checks the password with pam_permit.
auth=pam_unix.so
[ -n "${LO_PRELOAD:-}" ] && auth=pam_permit.so
cat > "$T/pam.d/xrdp-sesman" <<SVC
auth     required  $auth
account  required  $auth
session  required  pam_loginuid.so
session  required  $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
cat > "$T/wm.sh" <<WM
#!/bin/sh
echo "wm=\$\$ display=\$DISPLAY id=\$LOGOFF_SESSION_ID" > "$T/out/wm"
exec sleep 1000
WM
chmod 0755 "$T/wm.sh"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sport=$(free_port)
rport=$(free_port)
sed -e "s|^ListenAddress=.*|ListenAddress=127.0.0.1|" -e "s|^ListenPort=.*|ListenPort=$sport|" \
	-e "s|^DefaultWindowManager=.*|DefaultWindowManager=$T/wm.sh|" \
	-e "s|^EnableUserWindowManager=.*|EnableUserWindowManager=false|" \
	-e "s|^LogFile=.*|LogFile=$T/out/sesman.log|" -e "s|^EnableSyslog=.*|EnableSyslog=false|" \
	/etc/xrdp/sesman.ini > "$T/sesman.ini"
mount --bind "$T/sesman.ini" /etc/xrdp/sesman.ini || skip "cannot bind over /etc/xrdp/sesman.ini"
# xrdp on a free loopback port; the Xvnc section logs on at once with the
# client's user name and password (autorun), no login screen.
awk -v p="$rport" -v lf="$T/out/xrdp.log" '
/^\[/ { sec = $0 }
sec == "[Globals]" && /^port=/ { print "port=tcp://127.0.0.1:" p; next }
sec == "[Globals]" && /^autorun=/ { print "autorun=Xvnc"; next }
sec == "[Logging]" && /^LogFile=/ { print "LogFile=" lf; next }
sec == "[Logging]" && /^EnableSyslog=/ { print "EnableSyslog=false"; next }
{ print }' /etc/xrdp/xrdp.ini > "$T/xrdp.ini"
grep -q "^port=tcp://127.0.0.1:$rport" "$T/xrdp.ini" && grep -q '^autorun=Xvnc' "$T/xrdp.ini" ||
	skip "/etc/xrdp/xrdp.ini has no [Globals] port= and autorun= to set"

ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	/usr/sbin/xrdp-sesman --nodaemon --config "$T/sesman.ini" > "$T/out/sesman.out" 2>&1 &
sesman=$!
at_exit 'kill $sesman 2>/dev/null'
mkdir -p /run/xrdp
/usr/sbin/xrdp --nodaemon --config "$T/xrdp.ini" > "$T/out/xrdp.out" 2>&1 &
xrdp=$!
at_exit 'kill $xrdp 2>/dev/null'
wait_for 10 sh -c "ss -ltn | grep -q ':$sport ' && ss -ltn | grep -q ':$rport '" ||
	{ fail "xrdp or xrdp-sesman did not listen: $(cat "$T/out/sesman.out" "$T/out/xrdp.out")"; finish; }

# The client's screen: an Xvnc of root's on a display it picks.
Xvnc -displayfd 5 -localhost -SecurityTypes None -geometry 800x600 5> "$T/out/cdisplay" \
	> "$T/out/client-xvnc" 2>&1 &
cxvnc=$!
at_exit 'kill $cxvnc 2>/dev/null'
wait_for 10 grep -qs '[0-9]' "$T/out/cdisplay" || { fail "no X server for the client: $(cat "$T/out/client-xvnc")"; finish; }
cdisplay=":$(head -1 "$T/out/cdisplay")"

# connect: an RDP client for the user (same size and depth each time, so
# sesman gives it the same session back); sets CLIENT.
nclient=0
connect() {
	nclient=$((nclient + 1))
	DISPLAY="$cdisplay" xfreerdp /v:127.0.0.1:"$rport" /u:"$E2E_USER" /p:"$password" \
		/cert:ignore /size:640x480 /bpp:24 > "$T/out/xfreerdp.$nclient" 2>&1 &
	CLIENT=$!
	at_exit "kill $CLIENT 2>/dev/null"
}
# state: the session's STATE and client in --query --json, as "disc attached".
state() {
	lo --query --json ${1:+"$1"} | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["sessions"] if s["id"]==sys.argv[1]]
print(s[0]["state"], s[0]["client"], s[0]["disconnected_epoch"]) if s else print("none")' "$id"
}
is_state() { state | grep -q "^$1 "; }
# The record's disconnected_since, or nothing.
disc_since() { sed -n 's/^data @core disconnected_since //p' "$T/reg/sessions/$id" 2>/dev/null; }

connect
wait_for 30 grep -qs '^wm=' "$T/out/wm" ||
	{ fail "no session started: $(tail -5 "$T/out/xrdp.log" "$T/out/sesman.log" "$T/out/xfreerdp.1")"; finish; }
id=$(sed -n 's/.* id=\([^ ]*\)$/\1/p' "$T/out/wm")
display=$(sed -n 's/.* display=\(:[0-9]*\).*/\1/p' "$T/out/wm")
wm=$(sed -n 's/^wm=\([0-9]*\).*/\1/p' "$T/out/wm")
xvnc=$(pgrep -u "$E2E_USER" -x Xvnc)
[ -n "$id" ] && [ -n "$display" ] && [ -n "$xvnc" ] || { fail "no session id, display or X server: $(cat "$T/out/wm")"; finish; }
vport=$((5900 + ${display#:}))
ok "xfreerdp logged on through xrdp: session $id on $display, Xvnc $xvnc (VNC port $vport)"

# 1. Attached, then the client is gone.
wait_for 15 is_state active && ok "with the client connected: $(state)" || fail "not active: $(state)"
state | grep -q "^active attached " && ok "client attached" || fail "client: $(state)"
lo --query > "$T/out/query1"
assert_grep "^ $E2E_USER  *$display  *$id  *Active " "$T/out/query1"
kill "$CLIENT"
wait_for 10 is_state disc && ok "the client killed: $(state)" || fail "not disc after the client left: $(state); $(ss -tnp | grep ":$vport")"
lo --query > "$T/out/query2"
assert_grep "^ $E2E_USER  *$display  *$id  *Disc " "$T/out/query2"
assert_alive "$xvnc" "the session's Xvnc"

# 2. Hostile: the user's own connection to the session's VNC port.
runuser -u "$E2E_USER" -- python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").write("connected\n")
time.sleep(120)' "$vport" "$T/out/userconn" > "$T/out/userconn.err" 2>&1 &
userconn=$!
at_exit "kill $userconn 2>/dev/null"
wait_for 10 grep -qs connected "$T/out/userconn" || fail "the user could not connect to $vport: $(cat "$T/out/userconn.err")"
ss -tnp | grep -q "127.0.0.1:$vport .*Xvnc" && ok "the user's connection is accepted by Xvnc" || fail "no connection to Xvnc: $(ss -tnp | grep ":$vport")"
is_state disc && ok "a connection of the user's own is no client: $(state)" || fail "the user's connection counts as a client: $(state)"
kill "$userconn"

# 3. The client comes back to the same session.
connect
wait_for 30 is_state active && ok "the client connected again: $(state)" || fail "not attached again: $(state); $(tail -3 "$T/out/xfreerdp.$nclient")"
[ "$(pgrep -u "$E2E_USER" -x Xvnc)" = "$xvnc" ] && ok "the same session and X server" || fail "another X server: $(pgrep -a -u "$E2E_USER" Xvnc)"

# 4. logoff --disconnect: the client goes, the session stays.
lo --disconnect "$display" > "$T/out/disconnect" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "logoff --disconnect $display exits 0" || fail "logoff --disconnect exit $rc: $(cat "$T/out/disconnect")"
assert_grep "disconnected; the session goes on" "$T/out/disconnect"
wait_for 10 sh -c "! kill -0 $CLIENT 2>/dev/null" && ok "xfreerdp ended: $(grep -o 'ERRINFO_[A-Z_]*' "$T/out/xfreerdp.$nclient" | head -1)" ||
	fail "xfreerdp still runs after --disconnect"
assert_alive "$xvnc" "the session's Xvnc"
assert_alive "$wm" "the session's window manager"
assert_exists "$T/reg/sessions/$id"
is_state disc && ok "disconnected: $(state)" || fail "after --disconnect: $(state)"
[ -n "$(disc_since)" ] && ok "the record keeps disconnected_since $(disc_since)" || fail "no disconnected_since in the record"
# The JSON of --query, with the client's fields, is schema 1.
lo --query --json > "$T/out/query.json"
python3 - "$top_srcdir/docs/logoff-query.schema.json" "$T/out/query.json" "$id" "$(disc_since)" > "$T/out/schema.err" 2>&1 <<'PY' &&
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
s = [s for s in doc["sessions"] if s["id"] == sys.argv[3]][0]
assert (s["state"], s["client"]) == ("disc", "disconnected"), s
assert s["disconnected_epoch"] == int(sys.argv[4]), s
assert s["disconnected_since"].startswith("20"), s
PY
	ok "--query --json validates, disconnected_since $(disc_since)" || fail "--query --json: $(cat "$T/out/schema.err")"
syslog_sync
assert_grep "session $id ($display, user $E2E_USER): client disconnected: disconnect by uid 0" "$T/out/syslog"
# A user who is not root reads Disc from the record.
runuser -u "$E2E_USER" -- "$LOGOFF" --config "$T/logoff.conf" --query > "$T/out/query-user" 2>&1
assert_grep "^.$E2E_USER  *$display  *$id  *Disc " "$T/out/query-user"
runuser -u "$E2E_USER" -- "$LOGOFF" --config "$T/logoff.conf" --disconnect "$display" > "$T/out/disconnect-user" 2>&1
[ $? -eq 3 ] && ok "--disconnect by the user: permission denied" || fail "--disconnect as the user: $(cat "$T/out/disconnect-user")"
lo --disconnect "$display" > "$T/out/disconnect2" 2>&1 && assert_grep "has no client attached" "$T/out/disconnect2" ||
	fail "a second --disconnect: $(cat "$T/out/disconnect2")"

# 5. action = disconnect: an idle client is let go, the session kept.
limits_conf "idle = 2s" "warn = 0" "action = disconnect"
connect
wait_for 30 is_state active || fail "not attached for the idle limit: $(state)"
n=0
until ! kill -0 "$CLIENT" 2>/dev/null || [ $n -ge 20 ]; do
	lo --limits -v >> "$T/out/sweep.log" 2>&1
	n=$((n + 1))
	sleep 1
done
kill -0 "$CLIENT" 2>/dev/null && fail "the idle client was not disconnected: $(tail -5 "$T/out/sweep.log")" ||
	ok "the sweep disconnected the idle client"
assert_grep "^$id .*idle limit 2s: disconnect" "$T/out/sweep.log"
assert_grep "1 disconnected" "$T/out/sweep.log"
assert_alive "$xvnc" "the session's Xvnc"
assert_exists "$T/reg/sessions/$id"
is_state disc && ok "kept, disconnected: $(state)" || fail "after the idle disconnect: $(state)"

# 6. disconnected = 3s: logged off once disconnected that long.
limits_conf "disconnected = 3s" "warn = 0"
: > "$T/out/sweep.log"
lo --limits -v >> "$T/out/sweep.log" 2>&1
since=$(disc_since)
now=$(date +%s)
if [ -n "$since" ] && [ $((now - since)) -lt 3 ]; then
	assert_exists "$T/reg/sessions/$id"
	assert_grep "0 logged off" "$T/out/sweep.log"
fi
n=0
while [ -e "$T/reg/sessions/$id" ] && [ $n -lt 20 ]; do
	sleep 1
	lo --limits -v >> "$T/out/sweep.log" 2>&1
	n=$((n + 1))
done
ended=$(date +%s)
assert_gone "$T/reg/sessions/$id"
[ -n "$since" ] && [ $((ended - since)) -ge 3 ] && ok "logged off $((ended - since)) s after the client left (limit 3 s)" ||
	fail "logged off at $ended, disconnected since '$since'"
assert_grep "^$id .*disconnected limit 3s: logoff" "$T/out/sweep.log"
assert_dead "$xvnc" "the session's Xvnc"
assert_dead "$wm" "the session's window manager"
syslog_sync
assert_grep "logoff: session $id ($display) user $E2E_USER uid [0-9]*.*: reason disconnected limit 3s: result done" "$T/out/syslog"
finish
