#!/bin/sh
# Issue 14: processes that try to outlive their session, run by a real
# user through the real module, with pam_logoff in su-l's and in a
# private sshd's session stack (through pam_wrapper; /etc/pam.d is not
# touched), under [processes] match = auto, audit, user and cgroup.
#
# The escapes (tests/faults/escapee.c, one mode each):
#   chain         forks and lets its parent exit, over and over
#   zombie        main thread pthread_exit()s while a thread runs (leader Z)
#   setsid        on SIGTERM forks a child that calls setsid(); the child
#                 keeps the handler, so it does so again on every SIGTERM
#   pgrp          the same, into a new session and a new process group
#   setsid_sleep  control: a plain `setsid sleep 1000 &`
#   nohup_sleep   control: a plain `nohup sleep 1000 &`
#   bomb          a fork bomb held by `ulimit -u 500` (set in a subshell of
#                 the user's shell before it starts): all gone within
#                 grace + 2 s of the logoff's start
#
# match = audit under su: su-l's stack has pam_loginuid then, as an admin
# who chooses audit would set it up (su makes no audit session without
# it); sshd's stack always has it, so auto means audit there and user
# under su. [processes] grace = 2 (write_conf), [logoff] timeout = 10.
#
# One session per login manager, match and escape. The user's command
# starts the escape, waits until it is armed (DIR/ready), then waits for
# the test to say "go" (DIR/go): in between, the test reads the session's
# record (its login manager's pid) and sees the escape's heartbeat beat,
# which proves that the checks below can fail. After "go" the user's
# shell exits and the login manager runs close_session: su exits after it
# returns; sshd's login manager (the record's leader_pid, sshd's monitor
# for that connection) exits after it returns.
#
# "Nothing of the session is alive" is then asserted without a fixed
# sleep, three ways:
#  1. every pid an escapee recorded ("PID STARTTIME" in DIR/pids, written
#     by each process as it starts) is dead, or is a new process that
#     reused the pid (another start time). A process whose thread-group
#     leader is a zombie counts as alive while any of its threads is not
#     (/proc/PID/task/*/stat), unlike a checker that reads Z as dead;
#  2. no process of the throwaway user exists at all: the user has nothing
#     but this session, so whatever runs under its uid was left behind;
#  3. the heartbeat: every escapee process rewrites DIR/hb every 50 ms.
#     The test reads it, then waits for a positive event, a control
#     escapee run by root beside the test (same program, same period)
#     beating HB_BEATS more times, and reads it again: a live escapee,
#     even one hidden from 1 and 2, would have changed it meanwhile.
# Before survivors are named they are all stopped at once (kill -STOP -1
# as the user): a chain moves to a new pid faster than /proc is read.
# Where something survives, the logoff must not have reported success:
# the record is kept, `logoff --status ID` shows the processes provider
# failed, naming a surviving pid. Where nothing survives the record is
# gone.
#
# On the code before issue 14's fixes several cases fail; that is the
# point. Each failure names the login manager, the match mode, the escape
# and the surviving pids. Whatever happens, every process of the user is
# killed (kill -KILL -1 as the user, which a fork chain cannot outrun)
# after each case and on exit, the sshd and the control are stopped and
# the user removed.
#
# LO_ESCAPE_CASES: space-separated shell patterns over LM:MATCH:ESCAPE
# (e.g. 'su:user:* sshd:*:chain') to run a subset; default all (56
# sessions, about 90 s on two cores). Under the sanitizers (LO_PRELOAD)
# the su cases alone: they run every match mode's code in the module and
# the closer; the sshd ones ran in the plain build.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (su, sshd, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
command -v su >/dev/null || skip "no su"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
command -v python3 >/dev/null || skip "no python3"
ESCAPEE="$top_builddir/tests/faults/escapee"
[ -x "$ESCAPEE" ] || { echo "FAIL: $ESCAPEE not built"; exit 1; }

# Under a subreaper of the test's own (escapee reaper), which reaps every
# orphan of the test's sessions at once: a fork chain leaves thousands of
# zombies a second to whoever adopts them, and a PID 1 that reaps slowly
# would let them fill the machine's pid space (pid_max may be 32768).
if [ -z "${LO_ESCAPE_REAPED:-}" ]; then
	at_exit_run
	LO_ESCAPE_REAPED=1 exec "$ESCAPEE" reaper sh "$0" "$@"
fi

GRACE=2
HB_BEATS=6
CASES=${LO_ESCAPE_CASES:-$([ -n "${LO_PRELOAD:-}" ] && echo 'su:*:*' || echo '*')}
LOGOFF="$top_builddir/logoff"

make_user
uid=$(id -u "$E2E_USER")
gid=$(id -g "$E2E_USER")

# The user runs the escapee from a copy it can reach.
mkdir -p "$T/bin" "$T/c" "$T/reg"
cp "$ESCAPEE" "$T/bin/escapee"
chmod 0755 "$T/bin" "$T/bin/escapee" "$T/c"

# alive.py UID PIDFILE...: what is alive of the recorded pids (same start
# time) and of every process of UID (real or effective), one
# "PID STATE(leader STATE) COMM" a line. Alive: any thread not Z or X, so
# a zombie leader with a live thread is alive and a zombie waiting to be
# reaped is not.
cat > "$T/alive.py" <<'PY'
import os, sys

def stat(path):
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return s[s.index("(") + 1:s.rindex(")")], rest[0], rest[19]

def live(pid):
    """(state, comm) when some thread of PID is neither Z nor X."""
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for t in tids:
        st = stat("/proc/%d/task/%s/stat" % (pid, t))
        if st and st[1] not in "ZX":
            return st
    return None

uid = int(sys.argv[1])
out = {}
for path in sys.argv[2:]:
    try:
        lines = open(path).read().split("\n")
    except OSError:
        continue
    for line in lines:
        w = line.split()
        if len(w) != 2:
            continue
        pid, start = int(w[0]), w[1]
        st = stat("/proc/%d/stat" % pid)
        l = live(pid) if st and st[2] == start else None
        if l:
            out[pid] = l
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/status" % d) as f:
            ids = [l.split()[1:3] for l in f if l.startswith("Uid:")][0]
    except (OSError, IndexError):
        continue
    l = live(int(d)) if str(uid) in ids else None
    if l:
        out[int(d)] = l
for pid in sorted(out):
    leader = stat("/proc/%d/stat" % pid)
    print(pid, "%s(leader %s)" % (out[pid][1], leader[1] if leader else "?"), out[pid][0])
PY

# status.py JSON PIDS...: exit 0 when the processes provider is failed
# and its message names one of PIDS (with "any": any number) as a word.
cat > "$T/status.py" <<'PY'
import json, re, sys
try:
    j = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(1)
for p in j.get("providers", []):
    if p.get("name") == "processes":
        words = set(re.findall(r"\d+", p.get("message") or ""))
        named = words & set(sys.argv[2:]) or ("any" in sys.argv[2:] and words)
        if p.get("state") == "failed" and named:
            sys.exit(0)
        print("processes: %s: %s" % (p.get("state"), p.get("message")))
sys.exit(1)
PY

alive() { python3 "$T/alive.py" "$uid" "$@"; }
hb_count() { awk '{ print $2 }' "$1" 2>/dev/null; }

# kill_user: every process of the user, by kill(-1) run as the user: the
# kernel signals all of them in one pass that a fork cannot slip through.
kill_user() {
	for _i in $(seq 50); do
		[ -z "$(alive)" ] && return 0
		setpriv --reuid="$uid" --regid="$gid" --clear-groups kill -KILL -1 2>/dev/null
		sleep 0.1
	done
	echo "could not end the processes of $E2E_USER: $(alive | tr '\n' ';')"
	return 1
}

# On exit (start_sshd's cleanup stops the sshd before this runs, and
# make_user's removes the user after).
CONTROL_PID=
cleanup() {
	[ -n "$CONTROL_PID" ] && kill -KILL "$CONTROL_PID" 2>/dev/null
	kill_user
}
at_exit cleanup

# The control heartbeat, root's, beside the test for its whole run.
mkdir -p "$T/control"
"$ESCAPEE" control "$T/control" 900 </dev/null >/dev/null 2>&1 &
CONTROL_PID=$!
wait_for 5 test -e "$T/control/ready" || { fail "control escapee did not start"; finish; }

# beats_passed N0: the control has beaten HB_BEATS times since it read N0.
beats_passed() { [ "$(hb_count "$T/control/hb")" -ge $(( $1 + HB_BEATS )) ]; }
wait_beats() {
	_n0=$(hb_count "$T/control/hb")
	wait_for 10 beats_passed "$_n0" || case_fail "the control heartbeat stopped"
}

cat > "$T/su-l.svc" <<SVC
auth     sufficient pam_rootok.so
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
# match = audit needs an audit session, which su makes only with
# pam_loginuid (as an admin who chooses audit would set it up).
sed 's/^session .*pam_logoff.*/session  required   pam_loginuid.so\n&/' "$T/su-l.svc" > "$T/su-l-audit.svc"

SSHD_OK=
svc=logoff-escape-sshd
cat > "$T/pam.d/$svc" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER debug
SVC
if command -v sshd >/dev/null || [ -x /usr/sbin/sshd ]; then
	if command -v ssh >/dev/null; then
		start_sshd "$svc"
		SSHD_OK=yes
	fi
fi
[ -n "$SSHD_OK" ] || echo "note: no sshd or ssh client: the sshd cases are not run"

# launch ESCAPE DIR: the user's shell words that start ESCAPE.
launch() {
	_q='</dev/null >/dev/null 2>&1'
	case $1 in
	setsid_sleep|nohup_sleep)
		_cmd=$([ "$1" = setsid_sleep ] && echo setsid || echo nohup)
		echo "$_cmd sleep 1000 $_q & echo \"\$! \$(cut -d' ' -f22 /proc/\$!/stat)\" >> $2/pids; touch $2/ready;" ;;
	bomb)
		echo "(ulimit -u 500 2>/dev/null || ulimit -p 500; exec $T/bin/escapee bomb $2) $_q &" ;;
	*)
		echo "$T/bin/escapee $1 $2 $_q &" ;;
	esac
}

SUMMARY="$T/summary"
: > "$SUMMARY"

# case_fail WHY: a failure of the running case, for the log and summary.
case_fail() {
	fail "$name: $*"
	case_bad="${case_bad:+$case_bad; }$*"
}

# run_case LM MATCH ESCAPE
run_case() {
	lm=$1 match=$2 esc=$3 name="$1 match=$2 $3"
	case_bad=
	c="$T/c/$lm-$match-$esc"
	mkdir -p "$c"; chmod 0777 "$c"
	LO_MATCH=$match LO_TIMEOUT=10 write_conf
	sed -i "s|^registry = .*|registry = $T/reg/$lm-$match-$esc|" "$T/logoff.conf"
	ucmd="echo \"\$LOGOFF_SESSION_ID\" > $c/id; cat /proc/self/sessionid > $c/audit; $(launch "$esc" "$c")
n=0; while [ ! -e $c/ready ] && [ \$n -lt 300 ]; do sleep 0.05; n=\$((n+1)); done
n=0; while [ ! -e $c/go ] && [ \$n -lt 600 ]; do sleep 0.05; n=\$((n+1)); done"

	case $lm in
	su)
		svcfile=su-l; [ "$match" = audit ] && svcfile=su-l-audit
		cp "$T/$svcfile.svc" "$T/pam.d/su-l"
		ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 \
			PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
			timeout -k 5 90 su -l "$E2E_USER" -c "$ucmd" > "$c/login.out" 2>&1 < /dev/null &
		;;
	sshd)
		timeout -k 5 90 ssh -q -i "$T/ssh/client" -p "$SSHD_PORT" -o BatchMode=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -l "$E2E_USER" \
			127.0.0.1 "$ucmd" > "$c/login.out" 2>&1 < /dev/null &
		;;
	esac
	client=$!

	if ! wait_for 20 test -e "$c/ready" -a -s "$c/id"; then
		case_fail "the escape did not start: $(cat "$c/login.out")"
		touch "$c/go"; wait "$client"; kill_user
		echo "$name: FAIL: did not run" >> "$SUMMARY"
		return
	fi
	id=$(cat "$c/id")
	"$LOGOFF" --config "$T/logoff.conf" --status "$id" --json > "$c/status-before.json" 2>&1
	leader=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leader_pid"])' \
		"$c/status-before.json" 2>/dev/null)
	[ -n "$leader" ] || case_fail "no record of session '$id' during the session: $(cat "$c/status-before.json")"
	"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$c/status-before.txt" 2>&1
	# The escape runs: its heartbeat beats (the checks below can fail).
	if [ -e "$c/hb" ]; then
		h0=$(hb_count "$c/hb")
		wait_for 10 sh -c "[ \"\$(awk '{print \$2}' '$c/hb')\" != '$h0' ]" \
			|| case_fail "the escape's heartbeat does not beat before the logoff"
	fi
	before=$(alive "$c/pids" | wc -l)
	[ "$before" -gt 0 ] || case_fail "nothing of the escape alive before the logoff"

	t0=$(date +%s%N)
	touch "$c/go"
	wait "$client"; rc=$?
	if [ "$lm" = sshd ] && [ -n "$leader" ]; then
		wait_for 30 pids_dead "$leader" \
			|| case_fail "sshd's login manager $leader did not finish close_session in 30 s"
	fi
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	[ "$rc" -eq 0 ] || case_fail "$lm exit $rc: $(cat "$c/login.out")"

	# 1 and 2: nothing recorded, nothing of the user.
	alive "$c/pids" > "$c/survivors"
	# 3: the heartbeat stands still while the control beats.
	hb_moved=
	if [ -e "$c/hb" ]; then
		h1=$(cat "$c/hb")
		wait_beats
		[ "$(cat "$c/hb")" = "$h1" ] || hb_moved=yes
	fi
	"$LOGOFF" --config "$T/logoff.conf" --status "$id" --json > "$c/status-after.json" 2>/dev/null
	"$LOGOFF" --config "$T/logoff.conf" --status "$id" > "$c/status-after.txt" 2>&1
	record="$T/reg/$lm-$match-$esc/sessions/$id"
	why=
	if [ -s "$c/survivors" ] || [ -n "$hb_moved" ]; then
		# Stop them all at once (kill -STOP -1 as the user, which a
		# fork chain cannot outrun), then name them: a chain moves on
		# to a new pid faster than /proc can be read.
		setpriv --reuid="$uid" --regid="$gid" --clear-groups kill -STOP -1 2>/dev/null
		alive "$c/pids" >> "$c/survivors"
		sort -un "$c/survivors" -o "$c/survivors"
		surv=$(awk '{ print $1 }' "$c/survivors" | tr '\n' ' ')
		# A chain's pid at the logoff is long gone: any pid named will do.
		[ "$esc" = chain ] && surv="$surv any"
		nsurv=$(wc -l < "$c/survivors")
		why="alive after the logoff (${ms} ms): $nsurv process(es): $(head -8 "$c/survivors" | tr '\n' ';')$([ "$nsurv" -gt 8 ] && echo ' ...')${hb_moved:+ heartbeat still beating}"
		if [ ! -e "$record" ]; then
			why="$why; and the record was deleted (the logoff reported success)"
		elif ! python3 "$T/status.py" "$c/status-after.json" $surv > "$c/status.why"; then
			why="$why; the record is kept but does not name a survivor as failed: $(cat "$c/status.why")"
		fi
	elif [ -e "$record" ]; then
		why="nothing survived, but the record is kept: $(grep -E '^ *processes' "$c/status-after.txt")"
	fi
	if [ "$esc" = bomb ] && [ "$ms" -gt $(( (GRACE + 2) * 1000 )) ]; then
		why="${why:+$why; }the logoff took $ms ms (more than grace + 2 s)"
	fi
	if [ -n "$why" ]; then
		case_fail "$why"
	fi
	kill_user || case_fail "the user's processes could not be ended after the case"
	if [ -n "$case_bad" ]; then
		echo "$name: FAIL: $case_bad" >> "$SUMMARY"
	else
		ok "$name: nothing alive, record gone (${ms} ms; $before process(es) before)"
		echo "$name: ok (${ms} ms)" >> "$SUMMARY"
	fi
}

# selected LM MATCH ESCAPE: in LO_ESCAPE_CASES (patterns, never file names).
selected() {
	set -f
	for _p in $CASES; do
		case "$1:$2:$3" in $_p) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

start=$(date +%s)
for lm in su sshd; do
	[ "$lm" = sshd ] && [ -z "$SSHD_OK" ] && continue
	for match in auto audit user cgroup; do
		for esc in setsid_sleep nohup_sleep chain zombie setsid pgrp bomb; do
			selected "$lm" "$match" "$esc" && run_case "$lm" "$match" "$esc"
		done
	done
done
[ -s "$SUMMARY" ] || fail "no case matches LO_ESCAPE_CASES='$CASES'"
echo "--- summary ($(( $(date +%s) - start )) s):"
cat "$SUMMARY"
finish
