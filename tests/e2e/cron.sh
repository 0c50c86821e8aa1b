#!/bin/sh
# End-to-end: Debian's cron daemon runs a throwaway user's crontab, twice
# at once, each cron in its own mount namespace with its own spool, /run,
# empty /etc/crontab and /etc/cron.d, so neither a system cron nor the
# machine's /etc/pam.d is touched:
#
#  A. The shipped policy: a copy of /etc/pam.d and of /usr/share/pam-configs
#     with debian/pam-configs/logoff added, put in place by pam-auth-update
#     itself. The profile is interactive-only, so common-session gets
#     pam_logoff and common-session-noninteractive (which /etc/pam.d/cron
#     includes) does not: no job gets a record or a TMPDIR, and no process
#     a job leaves behind is ended.
#  B. An admin adds pam_logoff with providers=tmpdir to the cron service
#     (Debian's /etc/pam.d/cron plus one line): 100 jobs in one minute each
#     get their own TMPDIR, and every record is released, so 100 jobs leave
#     0 records and 0 TMPDIRs; the processes provider is not in the list,
#     so the jobs' leftover processes live on.
#
# The service files are bind-mounted in the namespaces rather than given
# through pam_wrapper: cron hands its environment (LD_PRELOAD included) to
# every job, and each process that loads pam_wrapper takes one of its few
# /tmp/pam.X directories, which 100 jobs exhaust.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (cron, a throwaway user, mount namespaces)"
# Most of this test is waiting for cron's next minute; the plain build
# runs it, and the sanitizer build (LO_PRELOAD) does not wait again.
[ -z "${LO_PRELOAD:-}" ] || skip "run by the plain build; not repeated under the sanitizers (a minute of waiting for cron)"
CRON=$(command -v cron || echo /usr/sbin/cron)
[ -x "$CRON" ] || skip "cron not installed (apt-get install cron)"
[ -f /etc/pam.d/cron ] || skip "no /etc/pam.d/cron"
command -v pam-auth-update >/dev/null || skip "pam-auth-update not installed (libpam-runtime)"
unshare -m true 2>/dev/null || skip "needs unshare -m"
make_user
write_conf
crongroup=$(stat -c %G /var/spool/cron/crontabs 2>/dev/null || echo root)

# spool DIR JOBS-FILE PIDS-FILE N: a crontab of N jobs for $E2E_USER.
spool() {
	mkdir -p "$1"
	: > "$1/$E2E_USER"
	i=0
	while [ "$i" -lt "$4" ]; do
		echo "* * * * * echo \"$i \$TMPDIR\" >> $2; setsid sleep 600 </dev/null >/dev/null 2>&1 & echo \$! >> $3" >> "$1/$E2E_USER"
		i=$((i + 1))
	done
	chown "$E2E_USER:$crongroup" "$1/$E2E_USER"
	chmod 0600 "$1/$E2E_USER"
	chown "root:$crongroup" "$1"
	chmod 1730 "$1"
}

# Namespace A: the shipped profile, applied by pam-auth-update.
mkdir -p "$T/A/run" "$T/A/crond" "$T/B/run" "$T/B/crond"
: > "$T/A/crontab"; : > "$T/B/crontab"
cp -a /etc/pam.d "$T/A/pam.d"
cp -a /usr/share/pam-configs "$T/A/pam-configs"
cp -a /var/lib/pam "$T/A/varlibpam"
sed "s|pam_logoff.so|$MODULE config=$T/logoff.conf helper=$HELPER|" \
	"$top_srcdir/debian/pam-configs/logoff" > "$T/A/pam-configs/logoff"
spool "$T/A/spool" "$T/out/jobsA" "$T/out/pidsA" 5
# Namespace B: Debian's cron service plus pam_logoff providers=tmpdir.
{ cat /etc/pam.d/cron
  echo "session  optional  $MODULE config=$T/logoff.conf helper=$HELPER providers=tmpdir"; } > "$T/B/cron"
spool "$T/B/spool" "$T/out/jobsB" "$T/out/pidsB" 100

run_cron() { # run_cron NS SETUP: cron -f in a new mount namespace
	unshare -m --propagation private sh -ec "$2
		mount --bind '$T/$1/spool' /var/spool/cron/crontabs
		mount --bind '$T/$1/run' /run
		mount --bind '$T/$1/crond' /etc/cron.d
		mount --bind '$T/$1/crontab' /etc/crontab
		exec env ASAN_OPTIONS='$FOREIGN_ASAN' ${LO_PRELOAD:+LD_PRELOAD='$LO_PRELOAD'} '$CRON' -f -L 15" > "$T/out/cron$1.log" 2>&1 &
}
run_cron A "mount --bind '$T/A/pam.d' /etc/pam.d
	mount --bind '$T/A/pam-configs' /usr/share/pam-configs
	mount --bind '$T/A/varlibpam' /var/lib/pam
	DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable logoff
	cp /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive '$T/out/'"
pidA=$!
run_cron B "mount --bind '$T/B/cron' /etc/pam.d/cron"
pidB=$!
at_exit 'kill $pidA $pidB 2>/dev/null'

# The jobs run at the start of the next minute.
wait_for 130 sh -c "[ \$(cat '$T/out/jobsB' 2>/dev/null | wc -l) -ge 100 ] && [ \$(cat '$T/out/jobsA' 2>/dev/null | wc -l) -ge 5 ]" \
	&& ok "cron ran the jobs of both crontabs" ||
	fail "jobs ran: A $(wc -l < "$T/out/jobsA" 2>/dev/null), B $(wc -l < "$T/out/jobsB" 2>/dev/null): $(tail -5 "$T/out/cronA.log" "$T/out/cronB.log")"
kill "$pidA" "$pidB" 2>/dev/null
wait_for 30 sh -c "[ \$(find '$T/reg/sessions' -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l) -eq 0 ]"
# (A job of the next minute may have started before cron was stopped.)

# A: pam-auth-update put pam_logoff in the interactive stack only.
assert_grep "pam_logoff.so" "$T/out/common-session"
assert_no_grep "pam_logoff" "$T/out/common-session-noninteractive"
ranA=$(wc -l < "$T/out/jobsA")
[ "$(grep -c " $T/tmpbase/" "$T/out/jobsA")" -eq 0 ] && ok "A: none of $ranA jobs got a TMPDIR from pam_logoff" ||
	fail "A: jobs got a TMPDIR: $(head -3 "$T/out/jobsA")"
alive=0
for p in $(cat "$T/out/pidsA"); do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
[ "$alive" -eq "$ranA" ] && ok "A: all $ranA leftover processes of cron jobs live on" ||
	fail "A: $alive of $ranA leftover processes alive"

# B: each job had its own TMPDIR and left no record and no TMPDIR.
ranB=$(wc -l < "$T/out/jobsB")
with_tmp=$(grep -c " $T/tmpbase/[0-9a-z-]*$" "$T/out/jobsB")
[ "$with_tmp" -eq "$ranB" ] && ok "B: every one of $ranB jobs had its own TMPDIR" ||
	fail "B: $with_tmp of $ranB jobs had a TMPDIR: $(head -3 "$T/out/jobsB")"
[ "$(awk '{print $2}' "$T/out/jobsB" | sort -u | wc -l)" -eq "$ranB" ] && ok "B: no two jobs shared one" || fail "B: jobs shared a TMPDIR"
[ "$(records)" -eq 0 ] && ok "B: $ranB jobs left 0 records" || fail "B: $(records) records left"
left=$(find "$T/tmpbase" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
[ "$left" -eq 0 ] && ok "B: no TMPDIR left" || fail "B: $left TMPDIRs left"
alive=0
for p in $(cat "$T/out/pidsB"); do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
[ "$alive" -eq "$ranB" ] && ok "B: providers=tmpdir ends no process ($alive leftovers alive)" ||
	fail "B: $alive of $ranB leftover processes alive"
finish
