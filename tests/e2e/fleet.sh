#!/bin/sh
# End-to-end `logoff --server NODESET` through ClusterShell, against four
# "hosts" on this machine (root; skipped with 77 otherwise, or without
# pam_wrapper or ClusterShell: tools/deps installs python3-clustershell).
#
# The hosts: four real sshd on 127.0.0.2 .. 127.0.0.5 (loopback only),
# one port, named node1 .. node4 by a test ssh_config (Host nodeN ->
# HostName, Port, IdentityFile, User root, no known-hosts file). logoff
# reaches it as an admin would reach a site ssh config: LOGOFF_SSH names
# a program that runs `ssh -F CONFIG "$@"` (used by the one-host ssh path
# and, as ClusterShell's ssh_path, by the node-set path).
#
# Each node is a host of its own as far as pam_logoff is concerned: its
# sshd runs its own PAM service directory (pam_wrapper), whose
# pam_logoff line has config= that node's logoff.conf, with that node's
# registry, TMPDIR base and session cgroup root (hosts do not share a
# cgroup tree: with one root, each node's sweep would take the other
# nodes' session cgroups for orphans of its own); and its sshd sets PATH (sshd_config SetEnv)
# so that `logoff` in a session there is a wrapper running the built
# logoff with --config of that node's logoff.conf, as /usr/bin/logoff
# reads /etc/security/logoff.conf on a real host. Root's own ssh logins
# (the remote logoff commands) are left out of pam_logoff with
# pam_succeed_if, so the registries hold only the test user's logins.
#
# Shown:
#  - `logoff --server 'node[1-4]' --list --json` lists the user's session
#    on all four, in one document of schema logoff-hosts/1; --list as one
#    table with a HOST column; one host keeps the plain ssh path;
#  - a node set or host beginning with '-' is refused before anything
#    runs (no ssh option injection);
#  - `--user NAME --warn 2 --message TEXT` with shell metacharacters and
#    ClusterShell's "%hosts": the text arrives intact on every login's
#    terminal (ssh -tt client output) and runs nothing; then every
#    session ends: records gone, ssh clients exit;
#  - with node3's sshd stopped, the sessions on the other three are
#    still ended, node3 is named on stderr, the exit status is not 0,
#    and node3's session is untouched;
#  - the Ansible module and role (contrib/ansible) over ssh against
#    node1: check mode, a real run, an idempotent second run.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (sshd on 127.0.0.2-5, a throwaway user)"
[ -f "${PAM_WRAPPER_LIB:-}" ] || skip "pam_wrapper not installed"
/usr/bin/python3 -c 'import ClusterShell' 2>/dev/null || skip "ClusterShell not installed (tools/deps: python3-clustershell)"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] && command -v ssh >/dev/null || skip "openssh-server/client not installed"
make_user

LO_MATCH=auto LO_TIMEOUT=10 write_conf
mkdir -p "$T/ssh" /run/sshd
chmod 0755 "$T/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client" || fail "client key"
cp "$T/ssh/client.pub" "$T/ssh/authorized_keys"
chmod 0644 "$T/ssh/authorized_keys"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0)); print(s.getsockname()[1])')

# The ssh config that names the nodes, and the ssh logoff is told to use.
cat > "$T/ssh/config" <<CFG
Host node1
	HostName 127.0.0.2
Host node2
	HostName 127.0.0.3
Host node3
	HostName 127.0.0.4
Host node4
	HostName 127.0.0.5
Host *
	Port $PORT
	User root
	IdentityFile $T/ssh/client
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
CFG
printf '#!/bin/sh\nexec ssh -F "%s" "$@"\n' "$T/ssh/config" > "$T/ssh/ssh"
chmod 0755 "$T/ssh/ssh"
export LOGOFF_SSH="$T/ssh/ssh"
LOGOFF="$top_builddir/logoff"

# start_node N: node N's config, registry, PAM service, logoff, sshd.
start_node() {
	d="$T/node$1"
	mkdir -p "$d/pam.d" "$d/bin"
	sed -e "s|$T/reg|$d/reg|" -e "s|$T/tmpbase|$d/tmp|" \
		-e "s|^cgroup_root = .*|cgroup_root = /lo-test-node$1-$$|" "$T/logoff.conf" > "$d/logoff.conf"
	chmod 0644 "$d/logoff.conf"
	cp "$T/pam.d/other" "$d/pam.d/other"
	cat > "$d/pam.d/sshd-fleet" <<SVC
auth     required   pam_deny.so
account  required   pam_permit.so
session  required   pam_loginuid.so
session  [success=1 default=ignore] pam_succeed_if.so quiet uid eq 0
session  required   $MODULE config=$d/logoff.conf helper=$HELPER debug
SVC
	printf '#!/bin/sh\nexec "%s" --config "%s" "$@"\n' "$LOGOFF" "$d/logoff.conf" > "$d/bin/logoff"
	chmod 0755 "$d" "$d/bin" "$d/bin/logoff"
	cat > "$d/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.$(($1 + 1))
HostKey $T/ssh/host
PidFile $d/sshd.pid
UsePAM yes
KbdInteractiveAuthentication no
PasswordAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers root $E2E_USER
AuthorizedKeysFile $T/ssh/authorized_keys
StrictModes no
SetEnv PATH=$d/bin:/usr/sbin:/usr/bin:/sbin:/bin
LogLevel VERBOSE
CFG
	# sshd names its PAM service after the name it was run as.
	ln -sf "$SSHD" "$d/sshd-fleet"
	ASAN_OPTIONS="$FOREIGN_ASAN" LD_PRELOAD="$WRAP_PRELOAD" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$d/pam.d" \
		"$d/sshd-fleet" -D -e -f "$d/sshd_config" > "$d/sshd.log" 2>&1 &
	eval "SSHD$1=$!"
	at_exit "kill $! 2>/dev/null"
	wait_for 10 grep -q "Server listening" "$d/sshd.log" || fail "node$1's sshd did not start: $(cat "$d/sshd.log")"
}

# login N: an interactive ssh login (-tt) of the test user on node N that
# stays open; sets SID_N (its session id) and CLIENT_N (the ssh client).
ROUND=1
login() {
	"$LOGOFF_SSH" -tt -l "$E2E_USER" "node$1" 'echo "id=$LOGOFF_SESSION_ID"; exec sleep 1000' \
		> "$T/out/login$1.$ROUND.out" 2> "$T/out/login$1.$ROUND.err" < /dev/null &
	eval "CLIENT_$1=$!"
	wait_for 15 grep -q '^id=.' "$T/out/login$1.$ROUND.out" ||
		fail "login on node$1 did not start: $(cat "$T/out/login$1.$ROUND.err"; tail -5 "$T/node$1/sshd.log")"
	eval "SID_$1=$(sed -n 's/^id=//p' "$T/out/login$1.$ROUND.out" | tr -d '\r')"
}
sid() { eval "echo \$SID_$1"; }
client() { eval "echo \$CLIENT_$1"; }

for n in 1 2 3 4; do start_node $n; done
for n in 1 2 3 4; do
	login $n
	[ -e "$T/node$n/reg/sessions/$(sid $n)" ] && ok "node$n: session $(sid $n) recorded in node$n's registry" ||
		fail "node$n: no record for '$(sid $n)'"
done

# 1. One JSON document for the four hosts.
"$LOGOFF" --server 'node[1-4]' --list --json > "$T/out/list.json" 2> "$T/out/list.err"
rc=$?
[ "$rc" -eq 0 ] && ok "--server 'node[1-4]' --list --json: exit 0" || fail "--list --json: exit $rc: $(cat "$T/out/list.err")"
python3 - "$T/out/list.json" "$E2E_USER" "$(sid 1)" "$(sid 2)" "$(sid 3)" "$(sid 4)" > "$T/out/list.check" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
user, sids = sys.argv[2], sys.argv[3:]
assert doc["schema"] == "logoff-hosts/1", doc["schema"]
hosts = [h["host"] for h in doc["hosts"]]
assert hosts == ["node1", "node2", "node3", "node4"], hosts
for h, sid in zip(doc["hosts"], sids):
    assert h["status"] == 0, h
    assert "error" not in h, h
    mine = [s for s in h["sessions"] if s["user"] == user]
    assert [s["id"] for s in mine] == [sid], (h["host"], mine, sid)
print("all four hosts list the user's session")
PY
[ $? -eq 0 ] && ok "$(cat "$T/out/list.check")" || fail "JSON: $(cat "$T/out/list.check" "$T/out/list.json")"

"$LOGOFF" --server 'node[1-4]' --list > "$T/out/list.txt" 2>&1 || fail "--list: $(cat "$T/out/list.txt")"
assert_grep "^HOST  *ID  *NAME  *USER" "$T/out/list.txt"
for n in 1 2 3 4; do assert_grep "^node$n  *$(sid $n) .*$E2E_USER" "$T/out/list.txt"; done
[ "$(grep -c '^HOST ' "$T/out/list.txt")" -eq 1 ] && ok "one header" || fail "headers: $(cat "$T/out/list.txt")"
# One host: the plain ssh path, the remote table as it is.
"$LOGOFF" --server node2 --list > "$T/out/one.txt" 2>&1 || fail "--server node2: $(cat "$T/out/one.txt")"
assert_grep "^$(sid 2) .*$E2E_USER" "$T/out/one.txt"
assert_no_grep "^node2 " "$T/out/one.txt"

# 2. A host or node set that ssh would read as an option never runs.
for bad in '-oProxyCommand=touch@x' '-n[1-2]' 'node1,-oProxyCommand' '@-x'; do
	"$LOGOFF" --server "$bad" --user "$E2E_USER" > "$T/out/bad.out" 2>&1
	rc=$?
	[ "$rc" -eq 2 ] && ok "--server '$bad' refused (exit 2)" || fail "--server '$bad': exit $rc: $(cat "$T/out/bad.out")"
done
for n in 1 2 3 4; do assert_exists "$T/node$n/reg/sessions/$(sid $n)"; done

# 3. --user with a warning whose text is hostile to a shell and to
# ClusterShell: it arrives intact on each terminal, runs nothing, and
# every session of the user ends.
msg='Save now: $(touch '"$T"'/pwned1) `touch '"$T"'/pwned2`; touch '"$T"'/pwned3 %hosts %h "it'"'"'s" | cat >'"$T"'/pwned4 &'
start=$(date +%s)
"$LOGOFF" --server 'node[1-4]' --user "$E2E_USER" --warn 2 --message "$msg" > "$T/out/user.out" 2> "$T/out/user.err"
rc=$?
end=$(date +%s)
[ "$rc" -eq 0 ] && ok "--server 'node[1-4]' --user --warn 2: exit 0" || fail "--user: exit $rc: $(cat "$T/out/user.out" "$T/out/user.err")"
[ $((end - start)) -ge 2 ] && ok "waited the warning time" || fail "returned after $((end - start)) s"
for n in 1 2 3 4; do
	grep -qF -- "$msg" "$T/out/login$n.1.out" && ok "node$n: the message arrived on the login's terminal, intact" ||
		fail "node$n: message not on the terminal: $(cat -v "$T/out/login$n.1.out")"
	assert_grep "^node$n: Session $(sid $n) .*logged off" "$T/out/user.out"
	wait_for_gone "$(client $n)" && ok "node$n: the ssh client saw its connection close" || fail "node$n: ssh client still connected"
	assert_gone "$T/node$n/reg/sessions/$(sid $n)"
done
for f in pwned1 pwned2 pwned3 pwned4; do assert_gone "$T/$f"; done

# 4. node3 down: the others are still logged off, node3 is named, the
# exit status says not every host succeeded.
ROUND=2
for n in 1 2 3 4; do login $n; done
kill "$SSHD3"
wait_for_gone "$SSHD3" && ok "node3's sshd stopped" || fail "node3's sshd still running"
"$LOGOFF" --server 'node[1-4]' --user "$E2E_USER" > "$T/out/down.out" 2> "$T/out/down.err"
rc=$?
[ "$rc" -ne 0 ] && ok "node3 down: exit $rc" || fail "node3 down: exit 0"
assert_grep "^logoff: node3: " "$T/out/down.err"
for n in 1 2 4; do
	assert_no_grep "node$n" "$T/out/down.err"
	wait_for_gone "$(client $n)" && ok "node$n: ssh client saw its connection close" || fail "node$n: ssh client still connected"
	assert_gone "$T/node$n/reg/sessions/$(sid $n)"
done
# node3's login was never reached: its record and client are as they were
# (the logoff above has returned, so nothing is still on its way).
assert_exists "$T/node3/reg/sessions/$(sid 3)"
assert_alive "$(client 3)" "node3's ssh client"
kill "$(client 3)" 2>/dev/null

# 5. The Ansible module over ssh, against node1 as an inventory host
# reached through the same ssh config: check mode reports the login it
# would log off and leaves it; the real run logs it off; a second run
# changes nothing.
if command -v ansible-playbook > /dev/null; then
	ROUND=3
	login 1
	export ANSIBLE_COLLECTIONS_PATH="$top_srcdir/contrib/ansible" ANSIBLE_NOCOLOR=1 \
		ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP="$T/ansible-local" \
		ANSIBLE_REMOTE_TEMP="$T/ansible-remote" ANSIBLE_CONFIG="$T/ansible.cfg"
	printf '[defaults]\n' > "$T/ansible.cfg"
	printf 'node1 ansible_connection=ssh ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args="-F %s"\n' \
		"$T/ssh/config" > "$T/inventory"
	cat > "$T/node1.yml" <<YML
- name: logoff_session on node1
  hosts: node1
  gather_facts: false
  tasks:
    - name: Log the user off
      pam_logoff.fleet.logoff_session:
        user: "$E2E_USER"
        config: "$T/node1/logoff.conf"
        logoff_path: "$LOGOFF"
      register: r
    - name: Check what it reported
      ansible.builtin.assert:
        that:
          - r.changed == (expect_changed | bool)
          - r.logged_off | length == (expect_n | int)
YML
	node1_play() { ansible-playbook -i "$T/inventory" "$T/node1.yml" "$@" > "$T/out/ansible.$1.out" 2>&1; }
	node1_play -C -e expect_changed=true -e expect_n=1 && ok "ansible over ssh, check mode: would log off 1" \
		|| fail "ansible check mode: $(tail -30 "$T/out/ansible.-C.out")"
	assert_exists "$T/node1/reg/sessions/$(sid 1)"
	assert_alive "$(client 1)" "node1's ssh client after check mode"
	node1_play -e expect_changed=true -e expect_n=1 && ok "ansible over ssh: logged off 1" \
		|| fail "ansible run: $(tail -30 "$T/out/ansible.-e.out")"
	wait_for_gone "$(client 1)" && ok "node1: the ssh client saw its connection close" || fail "node1: ssh client still connected"
	assert_gone "$T/node1/reg/sessions/$(sid 1)"
	node1_play -e expect_changed=false -e expect_n=0 && ok "ansible over ssh, again: nothing changed" \
		|| fail "ansible second run: $(tail -30 "$T/out/ansible.-e.out")"

	# The role over ssh, installing nothing and leaving PAM alone (its
	# pam-auth-update step is tests/e2e/ansible.sh's, in a namespace):
	# it writes a logoff.conf of node1's from variables, validated by
	# logoff --check-config; check mode writes nothing; again, nothing.
	cat > "$T/role.yml" <<YML
- name: The logoff role on node1
  hosts: node1
  gather_facts: false
  roles:
    - role: pam_logoff.fleet.logoff
      vars:
        logoff_install: false
        logoff_pam_auth_update: false
        logoff_conf_path: "$T/node1/role.conf"
        logoff_command: "$LOGOFF"
        logoff_config:
          logoff:
            timeout: 7
            registry: "$T/node1/reg"
YML
	ansible-playbook -i "$T/inventory" "$T/role.yml" -C > "$T/out/role.check" 2>&1 \
		&& assert_grep "node1 .*changed=[1-9].*failed=0" "$T/out/role.check" || fail "role check mode: $(tail -30 "$T/out/role.check")"
	assert_gone "$T/node1/role.conf"
	ansible-playbook -i "$T/inventory" "$T/role.yml" > "$T/out/role.run" 2>&1 \
		&& assert_grep "node1 .*changed=1 .*failed=0" "$T/out/role.run" || fail "role run: $(tail -30 "$T/out/role.run")"
	assert_grep "^timeout = 7" "$T/node1/role.conf"
	ansible-playbook -i "$T/inventory" "$T/role.yml" > "$T/out/role.again" 2>&1 \
		&& assert_grep "node1 .*changed=0 .*failed=0" "$T/out/role.again" || fail "role again: $(tail -30 "$T/out/role.again")"
fi
finish
