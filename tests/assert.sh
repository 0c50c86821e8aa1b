# tests/assert.sh - what every shell test of pam_logoff shares: skip
# (exit 77), fail, ok and finish, assertions that name what failed, the
# at_exit list, and wait_for, the one bounded wait on an event. Sourced by
# tests/lib.sh (the make check tests) and tests/hosts/lib.sh (the booted
# hosts); it sets TESTNAME and FAILED, and expects T (the work dir) to be
# set before finish is called.

TESTNAME=$(basename "$0" .sh)
FAILED=0

skip() { echo "SKIP: $TESTNAME: $*"; exit 77; }
fail() { echo "FAIL: $TESTNAME: $*"; FAILED=1; }
ok() { echo "ok: $*"; }
finish() {
	if [ "$FAILED" -ne 0 ]; then
		echo "--- $TESTNAME failed; work dir kept at $T"
		exit 1
	fi
	echo "PASS: $TESTNAME"
	exit 0
}

assert_exists() { if [ -e "$1" ]; then ok "exists: $1"; else fail "missing: $1"; fi; }
assert_gone() { if [ -e "$1" ] || [ -L "$1" ]; then fail "still there: $1"; else ok "gone: $1"; fi; }
assert_grep() { if grep -q -- "$1" "$2" 2>/dev/null; then ok "'$1' in $2"; else fail "'$1' not in $2: $(head -c 2000 "$2" 2>/dev/null)"; fi; }
assert_no_grep() { if grep -q -- "$1" "$2" 2>/dev/null; then fail "'$1' in $2"; else ok "'$1' not in $2"; fi; }
assert_dead() { if pid_alive "$1"; then fail "process $1 ($2) still alive"; else ok "process $1 ($2) dead"; fi; }
assert_alive() { if kill -0 "$1" 2>/dev/null; then ok "process $1 ($2) alive"; else fail "process $1 ($2) dead"; fi; }
# pid_alive PID: PID is a live process; a zombie is dead.
pid_alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]; }

# at_exit CMD...: run CMD (its words joined and evaluated, as trap does)
# when the test exits, however it exits. One EXIT trap runs the whole
# list, the last registered first, each command even when one before it
# failed, and exits with the script's own status (77, a skip, stays 77).
# Nothing else sets an EXIT trap: a second trap would drop the first's
# cleanup. A signal becomes exit 1, so the list runs then too.
_AT_EXIT_N=0
at_exit() {
	_AT_EXIT_N=$((_AT_EXIT_N + 1))
	eval "_AT_EXIT_$_AT_EXIT_N=\$*"
}
# at_exit_run: run the list now and empty it. Each command runs in a
# subshell, so that not even an exit in one keeps the rest from running.
at_exit_run() {
	while [ "$_AT_EXIT_N" -gt 0 ]; do
		eval "_at_exit_cmd=\$_AT_EXIT_$_AT_EXIT_N"
		unset "_AT_EXIT_$_AT_EXIT_N"
		_AT_EXIT_N=$((_AT_EXIT_N - 1))
		(eval "$_at_exit_cmd") || :
	done
}
trap '_at_exit_rc=$?; at_exit_run; exit $_at_exit_rc' EXIT
trap 'exit 1' HUP INT TERM

# wait_for SECONDS CMD...: poll CMD until it succeeds or time runs out.
# The one place that sleeps between looks: every wait on an event of the
# tests is a wait_for with a deadline, never a fixed sleep.
wait_for() {
	_wf_n=$(( $1 * 10 )); shift
	while [ "$_wf_n" -gt 0 ]; do "$@" && return 0; sleep 0.1; _wf_n=$((_wf_n - 1)); done
	"$@"
}

# pids_dead PID...: none of PIDs is alive (pid_alive).
pids_dead() {
	for _p in "$@"; do pid_alive "$_p" && return 1; done
	return 0
}
# wait_for_gone PID...: wait, up to 10 s, until none of PIDs is alive:
# before assert_dead, which then fails for a process that stays.
wait_for_gone() { wait_for 10 pids_dead "$@"; }
