#!/bin/sh
# The Ansible collection in contrib/ansible (pam_logoff.fleet), run by
# ansible-playbook against localhost (connection local). Root only: the
# role runs pam-auth-update, so the whole test runs in a private mount
# namespace where /etc/pam.d, /var/lib/pam and /usr/share/pam-configs
# are copies bound over the real ones, which it never touches. Skipped
# with 77 without ansible-playbook (tools/deps: ansible-core).
#
# The module (logoff_session), against sessions opened through libpam
# (pam_session_test) in a registry of the test's own:
#  - facts list the sessions; check mode logs nothing off and reports
#    the sessions that would go (changed, logged_off); the real run logs
#    them off (records gone, the sessions' processes dead); a second run
#    changes nothing;
#  - sweep: a session whose login manager was SIGKILLed is stale; check
#    mode reports it and leaves it; the real run removes it; again:
#    nothing changes.
# The role (logoff), with logoff_install false (installing the .deb is
# tests/install/deb.sh's job; here its tasks get a syntax check only):
#  - check mode writes nothing and enables nothing;
#  - the real run writes logoff.conf from variables, validated by
#    logoff --check-config, and pam-auth-update puts pam_logoff into
#    common-session;
#  - a second run changes nothing; a config with an unknown key fails
#    validation and the file in place stays as it was.
# ansible-lint is clean on the collection.
. "${top_srcdir:-.}/tests/lib.sh"

command -v ansible-playbook >/dev/null || skip "ansible-playbook not installed (tools/deps: ansible-core)"
[ "$(id -u)" -eq 0 ] || skip "needs root (pam-auth-update in a private mount namespace)"
in_private_mounts "$@" || skip "cannot make a private mount namespace (unshare -m)"

COLL="$top_srcdir/contrib/ansible"
LOGOFF="$top_builddir/logoff"
export ANSIBLE_COLLECTIONS_PATH="$COLL" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_LOCAL_TEMP="$T/ansible-local" ANSIBLE_REMOTE_TEMP="$T/ansible-remote"
printf '[defaults]\n' > "$T/ansible.cfg"
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_CONFIG="$T/ansible.cfg"
# match=audit: these sessions have no audit session, so only what descends
# from their login manager is theirs (see tests/cli/logoff.sh).
LO_TIMEOUT=10 write_conf "exclude_users ="
write_service lt

open_session() {
	"$top_builddir/tests/pam/pam_session_test" "$T/pam.d" lt "$TEST_USER" 'sleep 300' \
		> "$T/out/s$1.env" 2> "$T/out/s$1.err" &
	LEADER=$!
	wait_for 10 grep -q '^LOGOFF_SESSION_ID=' "$T/out/s$1.env" || fail "session $1 did not open: $(cat "$T/out/s$1.err")"
	SID=$(sed -n 's/^LOGOFF_SESSION_ID=//p' "$T/out/s$1.env")
}

cat > "$T/module.yml" <<'YML'
- name: logoff_session
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Run logoff_session
      pam_logoff.fleet.logoff_session:
        user: "{{ lo_user | default(omit) }}"
        sweep: "{{ lo_sweep | default(omit) }}"
        warn: "{{ lo_warn | default(omit) }}"
        message: "{{ lo_message | default(omit) }}"
        config: "{{ lo_config }}"
        logoff_path: "{{ lo_path }}"
      register: r
    - name: Check what it reported
      ansible.builtin.assert:
        that:
          - r.changed == (expect_changed | bool)
          - r.logged_off | length == (expect_n | int)
          - ansible_facts.logoff_sessions | length == (expect_left | int)
YML

# play NAME [ansible-playbook args...]: run, output in $T/out/NAME.
play() {
	_n=$1; shift
	ansible-playbook -i localhost, "$@" > "$T/out/$_n" 2>&1
}
vars() { printf '{"lo_config":"%s","lo_path":"%s"%s}' "$T/logoff.conf" "$LOGOFF" "$1"; }

# 1. Facts, check mode, real run, second run.
open_session 1; s1=$SID l1=$LEADER
open_session 2; s2=$SID l2=$LEADER
play facts "$T/module.yml" -e "$(vars ',"expect_changed":false,"expect_n":0,"expect_left":2')" &&
	ok "facts: the two sessions" || fail "facts: $(cat "$T/out/facts")"
play check "$T/module.yml" --check -e "$(vars ',"lo_user":"'"$TEST_USER"'","lo_warn":0,"lo_message":"$(id) x","expect_changed":true,"expect_n":2,"expect_left":2')" &&
	ok "check mode: changed, two sessions would be logged off" || fail "check mode: $(cat "$T/out/check")"
assert_exists "$T/reg/sessions/$s1"
assert_exists "$T/reg/sessions/$s2"
assert_alive "$l1" "session 1's login manager after check mode"
play real "$T/module.yml" -e "$(vars ',"lo_user":"'"$TEST_USER"'","lo_warn":0,"expect_changed":true,"expect_n":2,"expect_left":0')" &&
	ok "real run: changed, two sessions logged off" || fail "real run: $(cat "$T/out/real")"
assert_gone "$T/reg/sessions/$s1"
assert_gone "$T/reg/sessions/$s2"
wait_for_gone "$l1" "$l2" && ok "the sessions' login managers closed them and exited" || fail "login managers still running"
play again "$T/module.yml" -e "$(vars ',"lo_user":"'"$TEST_USER"'","expect_changed":false,"expect_n":0,"expect_left":0')" &&
	ok "second run: not changed" || fail "second run: $(cat "$T/out/again")"

# 2. The sweep: a stale session.
open_session 3; s3=$SID l3=$LEADER
kill -KILL "$l3"
wait_for 5 sh -c "'$LOGOFF' --config '$T/logoff.conf' --list | grep -q '^$s3 .*stale'" && ok "$s3 is stale" || fail "$s3 not stale"
play sweepcheck "$T/module.yml" --check -e "$(vars ',"lo_sweep":true,"expect_changed":true,"expect_n":1,"expect_left":1')" &&
	ok "sweep, check mode: would log off 1" || fail "sweep check: $(cat "$T/out/sweepcheck")"
assert_exists "$T/reg/sessions/$s3"
play sweep "$T/module.yml" -e "$(vars ',"lo_sweep":true,"expect_changed":true,"expect_n":1,"expect_left":0')" &&
	ok "sweep: logged off 1" || fail "sweep: $(cat "$T/out/sweep")"
assert_gone "$T/reg/sessions/$s3"
play sweepagain "$T/module.yml" -e "$(vars ',"lo_sweep":true,"expect_changed":false,"expect_n":0,"expect_left":0')" &&
	ok "sweep again: not changed" || fail "sweep again: $(cat "$T/out/sweepagain")"

# 3. The role, with PAM's files as private copies.
for d in /etc/pam.d /var/lib/pam /usr/share/pam-configs; do
	mkdir -p "$T/root$d" "$d"
	cp -a "$d/." "$T/root$d/"
	mount --bind "$T/root$d" "$d" || skip "cannot bind a copy over $d"
done
cp "$top_srcdir/debian/pam-configs/logoff" /usr/share/pam-configs/logoff
grep -q pam_logoff.so /etc/pam.d/common-session && fail "pam_logoff already in common-session"
mkdir -p "$T/etc"
cat > "$T/role.yml" <<YML
- name: The logoff role
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: pam_logoff.fleet.logoff
      vars:
        logoff_install: false
        logoff_conf_path: $T/etc/logoff.conf
        logoff_command: $LOGOFF
        logoff_config: "{{ conf }}"
YML
good='{"conf":{"logoff":{"registry":"'"$T"'/reg2","timeout":15,"protected_ttys":["console","tty1"]},"processes":{"keep_commands":["tmux"]}}}'
play syntax "$T/role.yml" --syntax-check -e "$good" -e logoff_install=true -e logoff_package_path=/nonexistent.deb &&
	ok "role: syntax check with the install tasks" || fail "syntax: $(cat "$T/out/syntax")"
play rolecheck "$T/role.yml" --check -e "$good" && ok "role, check mode: ran" || fail "role check: $(cat "$T/out/rolecheck")"
assert_grep "localhost .*changed=[1-9]" "$T/out/rolecheck"
assert_gone "$T/etc/logoff.conf"
assert_no_grep pam_logoff.so /etc/pam.d/common-session
play role "$T/role.yml" -e "$good" && ok "role: ran" || fail "role: $(cat "$T/out/role")"
assert_grep "localhost .*changed=2 .*failed=0" "$T/out/role"
assert_grep "^timeout = 15$" "$T/etc/logoff.conf"
assert_grep "^protected_ttys = console tty1$" "$T/etc/logoff.conf"
assert_grep "^keep_commands = tmux$" "$T/etc/logoff.conf"
"$LOGOFF" --check-config "$T/etc/logoff.conf" > /dev/null 2>&1 && ok "logoff --check-config accepts the written config" || fail "written config refused"
assert_grep "pam_logoff.so" /etc/pam.d/common-session
play role2 "$T/role.yml" -e "$good" && ok "role again: ran" || fail "role again: $(cat "$T/out/role2")"
assert_grep "localhost .*changed=0 .*failed=0" "$T/out/role2"
cp "$T/etc/logoff.conf" "$T/out/conf.before"
play rolebad "$T/role.yml" -e '{"conf":{"logoff":{"bogus_key":1}}}'
assert_grep "failed=1" "$T/out/rolebad"
assert_grep "bogus_key" "$T/out/rolebad"
cmp -s "$T/out/conf.before" "$T/etc/logoff.conf" && ok "a refused config left the file in place" || fail "config changed by a refused run"

# 4. ansible-lint on the collection.
if command -v ansible-lint >/dev/null; then
	(cd "$COLL/ansible_collections/pam_logoff/fleet" && HOME="$T" ansible-lint --offline galaxy.yml meta roles/logoff plugins) > "$T/out/lint" 2>&1 &&
		ok "ansible-lint: clean" || fail "ansible-lint: $(cat "$T/out/lint")"
fi
finish
