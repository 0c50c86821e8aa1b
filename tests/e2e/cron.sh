#!/bin/sh
# End-to-end: Debian's cron daemon, its PAM service `cron` from
# pam_wrapper with pam_logoff and the module argument providers=tmpdir
# (the shipped pam-auth-update profile is interactive-only, so cron jobs
# get no pam_logoff unless an admin adds it like this). A throwaway
# user's crontab runs 100 jobs in one minute, each leaving a process
# behind: every job gets a TMPDIR, and every job's record is released,
# so 100 jobs leave 0 records and 0 directories.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (cron, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
CRON=$(command -v cron || echo /usr/sbin/cron)
[ -x "$CRON" ] || skip "cron not installed (apt-get install cron)"
command -v crontab >/dev/null || skip "crontab not installed"
command -v unshare >/dev/null && unshare -m true 2>/dev/null || skip "needs unshare -m"
make_user

write_conf
cat > "$T/pam.d/cron" <<SVC
auth     required   pam_permit.so
account  required   pam_permit.so
session  required   $MODULE config=$T/logoff.conf helper=$HELPER providers=tmpdir
SVC
N=100
: > "$T/crontab"
i=0
while [ "$i" -lt "$N" ]; do
	echo "* * * * * echo \"$i \$TMPDIR\" >> $T/out/jobs; setsid sleep 600 </dev/null >/dev/null 2>&1 &" >> "$T/crontab"
	i=$((i + 1))
done
# A cron of our own, in a private mount namespace: its crontab spool and
# /run (its pid file) are the test's, so a system cron that may run
# beside it neither sees the crontab nor blocks this one.
mkdir -p "$T/spool" "$T/run"
cp "$T/crontab" "$T/spool/$E2E_USER"
chown "$E2E_USER:$(stat -c %G /var/spool/cron/crontabs 2>/dev/null || echo root)" "$T/spool/$E2E_USER"
chmod 0600 "$T/spool/$E2E_USER"
chmod 1730 "$T/spool"
ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	unshare -m sh -c 'mount --bind "$1" /var/spool/cron/crontabs && mount --bind "$2" /run && exec "$3" -f -L 0' \
	sh "$T/spool" "$T/run" "$CRON" > "$T/out/cron.log" 2>&1 &
cron_pid=$!
trap 'kill $cron_pid 2>/dev/null; [ "$FAILED" -eq 0 ] && rm -rf "$T"; pkill -KILL -u "$E2E_USER" 2>/dev/null; userdel -r "$E2E_USER" >/dev/null 2>&1' EXIT
# The jobs run at the start of the next minute.
wait_for 130 sh -c "[ \$(cat '$T/out/jobs' 2>/dev/null | wc -l) -ge $N ]" \
	&& ok "$N cron jobs ran" || fail "only $(wc -l < "$T/out/jobs" 2>/dev/null) of $N jobs ran: $(tail -5 "$T/out/cron.log")"
kill "$cron_pid" 2>/dev/null
wait_for 20 sh -c "[ \$(find '$T/reg/sessions' -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l) -eq 0 ]"
# (A job of the next minute may have started before cron was stopped.)
ran=$(wc -l < "$T/out/jobs")
with_tmp=$(grep -c " $T/tmpbase/r[0-9]*\$" "$T/out/jobs")
[ "$with_tmp" -eq "$ran" ] && ok "every one of $ran jobs had its own TMPDIR" || fail "$with_tmp of $ran jobs had a TMPDIR: $(head -3 "$T/out/jobs")"
[ "$(sort -u -k2 "$T/out/jobs" | wc -l)" -eq "$ran" ] && ok "no two jobs shared one" || fail "jobs shared a TMPDIR"
[ "$(records)" -eq 0 ] && ok "$ran jobs left 0 records" || fail "$(records) records left"
left=$(find "$T/tmpbase" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
[ "$left" -eq 0 ] && ok "no TMPDIR left" || fail "$left TMPDIRs left"
# providers=tmpdir: the processes provider never ran, so the jobs'
# leftovers are still there (cron's profile leaves them alone).
[ "$(pgrep -u "$E2E_USER" -x sleep | wc -l)" -ge 1 ] && ok "the jobs' leftover processes were not ended" \
	|| fail "the jobs' processes were ended"
finish
