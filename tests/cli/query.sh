#!/bin/sh
# logoff --query: the sessions as Windows' quser shows them, line by line
# against a registry of real sessions whose times the test sets: the
# logon time (the record's created line) and the last input on each
# session's terminal (its atime, on ptys the test holds), so every IDLE
# TIME form shows. '>' marks the caller's own session (LOGOFF_SESSION_ID);
# USER and SESSION filter; an unknown one is exit 4. --json is validated
# against docs/logoff-query.schema.json, and a document that breaks the
# schema must fail, so the validator is real. Also `logoff /?`.
. "${top_srcdir:-.}/tests/lib.sh"

LOGOFF="$top_builddir/logoff"
SCHEMA="$top_srcdir/docs/logoff-query.schema.json"
[ -x "$LOGOFF" ] || { echo "FAIL: $LOGOFF not built"; exit 1; }
lo() { TZ=UTC "$LOGOFF" --config "$T/logoff.conf" "$@"; }
exit_is() { # exit_is WANT DESC CMD...
	want=$1 desc=$2; shift 2
	"$@" > "$T/out/last.out" 2> "$T/out/last.err"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$desc: exit $got"; else
		fail "$desc: exit $got, wanted $want: $(cat "$T/out/last.out" "$T/out/last.err")"; fi
}

# 0. /? prints the help on stdout, exit 0, as Windows' commands do.
exit_is 0 "logoff /?" "$LOGOFF" '/?'
assert_grep "^usage: logoff" "$T/out/last.out"
assert_grep "query \[USER | SESSION\]" "$T/out/last.out"
[ -s "$T/out/last.err" ] && fail "/? wrote to stderr" || ok "/?: nothing on stderr"

[ "$(id -u)" -eq 0 ] || skip "the rest opens sessions of two users (root)"
make_user
LO_TIMEOUT=10 write_conf "exclude_users ="
write_service q

# Four ptys held open by the test; their names, one a line.
python3 - "$T/out/ptys" <<'PY' &
import os, sys, time
names = []
fds = []
for _ in range(4):
    m, s = os.openpty()
    fds += [m, s]
    names.append(os.ttyname(s))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("\n".join(names) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
PY
PTYS=$!
at_exit 'kill $PTYS 2>/dev/null'
wait_for 5 test -s "$T/out/ptys" || { fail "no ptys"; finish; }
P1=$(sed -n 1p "$T/out/ptys") P2=$(sed -n 2p "$T/out/ptys") P3=$(sed -n 3p "$T/out/ptys") P4=$(sed -n 4p "$T/out/ptys")

# open_session N USER TTY: a session of USER on TTY running sleep; sets
# SID and LEADER.
open_session() {
	PAM_TEST_TTY=$3 "$top_builddir/tests/pam/pam_session_test" "$T/pam.d" q "$2" 'sleep 300' \
		> "$T/out/s$1.env" 2> "$T/out/s$1.err" &
	LEADER=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s$1.env" || fail "session $1 did not open: $(cat "$T/out/s$1.err")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s$1.env")
	wait_for 5 test -e "$T/reg/sessions/$SID"
}
# created ID EPOCH: the record says it was opened then.
created() { sed -i "s/^created .*/created $2/" "$T/reg/sessions/$1"; }

open_session 1 "$TEST_USER" "$P1"; s1=$SID
open_session 2 "$TEST_USER" "$P2"; s2=$SID
open_session 3 "$E2E_USER" "$P3"; s3=$SID
open_session 4 "$E2E_USER" "$P4"; s4=$SID l4=$LEADER
open_session 5 "$E2E_USER" "none"; s5=$SID
# 2025-12-01 08:30:00 UTC, and a day and a minute apart.
created "$s1" 1764577800; created "$s2" 1764664260; created "$s3" 1764750720
created "$s4" 1764837180; created "$s5" 1764837240
now=$(date +%s)
# Last input: 20 s ago (.), 5 min (5), 2 h 5 min (2:05), 3 days 4 h 7 min
# (3+04:07). Session 5 has no terminal: unknown (-).
touch -a -d "@$((now - 20))" "$P1"
touch -a -d "@$((now - 5 * 60 - 10))" "$P2"
touch -a -d "@$((now - 7500 - 10))" "$P3"
touch -a -d "@$((now - 273600 - 420 - 10))" "$P4"
# Session 4's login manager is gone: Stale. Session 2 is being logged
# off by a live process: Closing.
kill -KILL "$l4"; wait "$l4" 2>/dev/null
sleep 300 & closer=$!
at_exit 'kill $closer 2>/dev/null'
cstart=$(awk '{ print $22 }' "/proc/$closer/stat")
sed -i -e "s/^state .*/state closing/" -e "s/^end\$/closer $closer $cstart\nend/" "$T/reg/sessions/$s2"
n1=${P1#/dev/} n2=${P2#/dev/} n3=${P3#/dev/} n4=${P4#/dev/}

# 1. The text: header, then one line per session in id order, '>' before
# the caller's own (session 2 here).
LOGOFF_SESSION_ID=$s2 lo --query > "$T/out/q.txt" 2> "$T/out/q.err" || fail "--query: $(cat "$T/out/q.err")"
line() { printf '%c%-20s %-18s %5s  %-7s %9s  %-16s  %s\n' "$@"; }
{
	line ' ' USERNAME SESSIONNAME ID STATE 'IDLE TIME' 'LOGON TIME' 'NEXT LIMIT'
	line ' ' "$TEST_USER" "$n1" "$s1" Active . '2025-12-01 08:30' -
	line '>' "$TEST_USER" "$n2" "$s2" Closing 5 '2025-12-02 08:31' -
	line ' ' "$E2E_USER" "$n3" "$s3" Active 2:05 '2025-12-03 08:32' -
	line ' ' "$E2E_USER" "$n4" "$s4" Stale 3+04:07 '2025-12-04 08:33' -
	line ' ' "$E2E_USER" "q-$s5" "$s5" Active - '2025-12-04 08:34' -
} > "$T/out/q.want"
i=0
while IFS= read -r want; do
	i=$((i + 1))
	got=$(sed -n "${i}p" "$T/out/q.txt")
	[ "$got" = "$want" ] && ok "line $i: $want" || fail "line $i: got '$got', wanted '$want'"
done < "$T/out/q.want"
[ "$(wc -l < "$T/out/q.txt")" -eq 6 ] && ok "6 lines" || fail "$(wc -l < "$T/out/q.txt") lines: $(cat "$T/out/q.txt")"

# 2. Filters: a user, a session name, an id; the '>' only on the own one.
lo --query "$E2E_USER" > "$T/out/f.txt"
[ "$(grep -c "^ $E2E_USER " "$T/out/f.txt")" -eq 3 ] && ! grep -q "^ $TEST_USER " "$T/out/f.txt" \
	&& ok "--query USER: the user's 3 sessions" || fail "--query USER: $(cat "$T/out/f.txt")"
lo --query "$n3" > "$T/out/f.txt"
[ "$(wc -l < "$T/out/f.txt")" -eq 2 ] && grep -q "^ $E2E_USER  *$n3  *$s3 " "$T/out/f.txt" \
	&& ok "--query SESSIONNAME" || fail "--query $n3: $(cat "$T/out/f.txt")"
LOGOFF_SESSION_ID=$s1 lo --query "$s1" > "$T/out/f.txt"
[ "$(wc -l < "$T/out/f.txt")" -eq 2 ] && grep -q "^>$TEST_USER  *$n1  *$s1 " "$T/out/f.txt" \
	&& ok "--query ID, own" || fail "--query $s1: $(cat "$T/out/f.txt")"
exit_is 4 "--query of an unknown name" lo --query nosuch-user
assert_grep "no session or user 'nosuch-user'" "$T/out/last.err"
[ -s "$T/out/last.out" ] && fail "output for an unknown name" || ok "nothing on stdout"
exit_is 2 "--query with an escape sequence" lo --query "$(printf 'a\033[2Jb')"
if LC_ALL=C grep -q "$(printf '\033')" "$T/out/last.err"; then fail "escape echoed"; else ok "escape not echoed"; fi

# Any user may query, as any may list: root's registry is read only.
if id nobody >/dev/null 2>&1; then
	exit_is 0 "nobody: --query" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env TZ=UTC "$LOGOFF" --config "$T/logoff.conf" --query
	assert_grep "^ $E2E_USER  *$n3  *$s3  *Active  *2:05 " "$T/out/last.out"
fi

# 3. --json: valid against the schema, with the fields in seconds.
LOGOFF_SESSION_ID=$s2 lo --query --json > "$T/out/q.json" || fail "--query --json"
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$SCHEMA" "$T/out/q.json" "$s1" "$s2" "$s3" "$s4" "$s5" "$n3" <<'PY' > "$T/out/json.check" 2>&1 \
		&& ok "JSON valid against the schema, fields right" || fail "JSON: $(cat "$T/out/json.check")"
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
s1, s2, s3, s4, s5, n3 = sys.argv[3:9]
V = jsonschema.Draft202012Validator
V.check_schema(schema)
V(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
assert doc["schema"] == 1 and doc["host"]
by = {s["id"]: s for s in doc["sessions"]}
assert list(by) == [s1, s2, s3, s4, s5], list(by)
assert by[s1]["idle_seconds"] < 60 and by[s1]["state"] == "active"
assert 300 <= by[s2]["idle_seconds"] < 360 and by[s2]["state"] == "closing" and by[s2]["own"]
assert 7500 <= by[s3]["idle_seconds"] < 7560 and by[s3]["session_name"] == n3
assert by[s4]["state"] == "stale" and by[s5]["idle_seconds"] is None
assert by[s1]["logon_time"] == "2025-12-01T08:30:00+00:00" and by[s1]["logon_epoch"] == 1764577800
assert [s["own"] for s in doc["sessions"]].count(True) == 1
assert all(s["next_limit"] is None for s in doc["sessions"])
# The validator is real: documents that break the contract fail.
def broken(mutate):
    d = copy.deepcopy(doc)
    mutate(d)
    try:
        V(schema, format_checker=jsonschema.FormatChecker()).validate(d)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a broken document passed")
broken(lambda d: d.__setitem__("schema", 2))
broken(lambda d: d["sessions"][0].__setitem__("state", "Active"))
broken(lambda d: d["sessions"][0].__setitem__("idle_seconds", "5"))
broken(lambda d: d["sessions"][0].pop("own"))
broken(lambda d: d["sessions"][0].__setitem__("logon_time", "2025-12-01 08:30"))
broken(lambda d: d["sessions"][0].__setitem__("next_limit", {"limit": "idle"}))
PY
else
	skip "python3-jsonschema is not installed (tools/deps): the JSON is not validated"
fi
# 4. NEXT LIMIT: with [limits], the limit that acts next, as the limits
# sweep decides it; the sessions of a user in an exempt group have none.
# The sessions opened long ago, so the active limit is the next for each
# of them. The exempt group has 3,000 members: its entry does not fit
# the first buffer getgrgid_r is given, and must still be found.
big=lo-big-$$
groupadd "$big" && at_exit "groupdel '$big' 2>/dev/null"
usermod -aG "$big" "$E2E_USER"
sed -i "/^$big:/ s/\$/,$(seq -s, -f 'lo-m%05g' 1 3000)/" /etc/group
[ "$(getent group "$big" | wc -c)" -gt 30000 ] && ok "group $big: $(getent group "$big" | wc -c) bytes" \
	|| fail "group $big: $(getent group "$big" | wc -c) bytes"
cat >> "$T/logoff.conf" <<CONF
[limits]
active = 8h
idle = 15min
exempt_groups = $big
CONF
lo --query --json > "$T/out/l.json" || fail "--query --json with limits"
python3 - "$T/out/l.json" "$TEST_USER" "$E2E_USER" <<'PY' > "$T/out/l.check" 2>&1 \
	&& ok "next_limit: active for $TEST_USER, none for $E2E_USER (exempt group)" || fail "next_limit: $(cat "$T/out/l.check")"
import json, sys, time
doc = json.load(open(sys.argv[1]))
mine = [s for s in doc["sessions"] if s["user"] == sys.argv[2] and s["state"] == "active"]
exempt = [s for s in doc["sessions"] if s["user"] == sys.argv[3]]
assert mine and exempt, doc
for s in mine:
    nl = s["next_limit"]
    assert nl and nl["limit"] == "active" and nl["action"] == "logoff", s
    assert nl["at_epoch"] >= int(time.time()) - 5, s
assert all(s["next_limit"] is None for s in exempt), exempt
PY
lo --query "$TEST_USER" > "$T/out/l.txt"
grep "^.$TEST_USER " "$T/out/l.txt" | grep -q " active " && ok "NEXT LIMIT column names the active limit" \
	|| fail "NEXT LIMIT: $(cat "$T/out/l.txt")"
finish
