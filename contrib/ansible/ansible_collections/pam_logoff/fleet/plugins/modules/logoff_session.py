#!/usr/bin/python
# -*- coding: utf-8 -*-
# logoff_session - list pam_logoff sessions as facts, log off a session or
# every session of a user (with an optional warning), sweep stale ones.
# Reads `logoff --list --json` (schema documented in logoff(1)), acts with
# logoff(1) itself, so its rules and its one logoff path apply.
#
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: logoff_session
short_description: List and log off pam_logoff sessions
version_added: "1.0.0"
description:
  - Lists the sessions that pam_logoff keeps on the host (C(logoff --list --json))
    and returns them as the fact C(logoff_sessions).
  - With C(session) or C(user), logs that session, or every session of that user,
    off with C(logoff), optionally warning its terminals first.
  - With C(sweep), logs off every stale or failed session (C(logoff --gc)).
  - C(changed) is true only when a session was (or, in check mode, would be)
    logged off.
options:
  session:
    description:
      - A session id or name, as C(logoff --list) shows them.
      - A session that does not exist is already logged off; nothing changes.
    type: str
  user:
    description:
      - Log off every session of this user.
    type: str
  warn:
    description:
      - Seconds to wait after writing a warning to the sessions' terminals.
    type: int
  message:
    description:
      - The warning text (needs C(warn)).
    type: str
  force:
    description:
      - Also log off sessions on a protected terminal (C([logoff] protected_ttys)).
    type: bool
    default: false
  sweep:
    description:
      - Log off every stale or failed session (C(logoff --gc)).
    type: bool
    default: false
  config:
    description:
      - The logoff.conf to read instead of C(/etc/security/logoff.conf).
    type: path
  logoff_path:
    description:
      - The logoff program.
    type: path
    default: logoff
notes:
  - Logging off another user's session needs root (C(ansible_become)).
  - Supports check mode; the sessions that would be logged off are returned in
    C(logged_off).
requirements:
  - pam_logoff (the C(logoff) command) on the managed host.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - pam_logoff developers
'''

EXAMPLES = r'''
- name: Gather the sessions as facts
  pam_logoff.fleet.logoff_session:

- name: Show who is logged in
  ansible.builtin.debug:
    msg: "{{ ansible_facts.logoff_sessions | map(attribute='user') | list }}"

- name: Log alice off everywhere, with two minutes' warning
  become: true
  pam_logoff.fleet.logoff_session:
    user: alice
    warn: 120
    message: Maintenance at 18:00, please save your work.

- name: Log one session off
  become: true
  pam_logoff.fleet.logoff_session:
    session: sshd-7

- name: Sweep stale sessions
  become: true
  pam_logoff.fleet.logoff_session:
    sweep: true
'''

RETURN = r'''
sessions:
  description: The sessions after the run, as C(logoff --list --json) lists them.
  returned: always
  type: list
  elements: dict
  sample:
    - {"id": "7", "name": "sshd-7", "user": "alice", "uid": 1000, "tty": "ssh",
       "service": "sshd", "rhost": "10.0.0.5", "state": "active", "since": 1764900000,
       "idle": 60, "terminals": ["pts/5"]}
logged_off:
  description: The sessions logged off (in check mode, that would be), each id, name and user.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "7", "name": "sshd-7", "user": "alice"}]
ansible_facts:
  description: Facts added.
  returned: always
  type: dict
  contains:
    logoff_sessions:
      description: The same list as C(sessions).
      type: list
      elements: dict
stdout:
  description: What C(logoff) printed when it acted.
  returned: when a logoff ran
  type: str
'''

import json

from ansible.module_utils.basic import AnsibleModule

STALE = ("stale", "failed")


def base_cmd(module):
    cmd = [module.params['logoff_path']]
    if module.params['config']:
        cmd += ['--config', module.params['config']]
    return cmd


def list_sessions(module):
    rc, out, err = module.run_command(base_cmd(module) + ['--list', '--json'])
    if rc != 0:
        module.fail_json(msg="logoff --list --json failed (exit %d): %s" % (rc, err.strip()),
                         rc=rc, stderr=err)
    try:
        return json.loads(out).get('sessions', [])
    except ValueError as e:
        module.fail_json(msg="logoff --list --json: not JSON: %s" % e, stdout=out)


def brief(s):
    return {'id': s.get('id'), 'name': s.get('name'), 'user': s.get('user')}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            session=dict(type='str'),
            user=dict(type='str'),
            warn=dict(type='int'),
            message=dict(type='str'),
            force=dict(type='bool', default=False),
            sweep=dict(type='bool', default=False),
            config=dict(type='path'),
            logoff_path=dict(type='path', default='logoff'),
        ),
        mutually_exclusive=[('session', 'user')],
        required_by={'message': 'warn'},
        supports_check_mode=True,
    )
    p = module.params
    if p['sweep'] and (p['session'] or p['user']):
        module.fail_json(msg="sweep goes alone: not with session or user")
    before = list_sessions(module)

    if p['session']:
        targets = [s for s in before if p['session'] in (s.get('id'), s.get('name'))]
    elif p['user']:
        targets = [s for s in before if s.get('user') == p['user']]
    elif p['sweep']:
        targets = [s for s in before if s.get('state') in STALE]
    else:
        targets = []

    result = dict(changed=False, logged_off=[brief(s) for s in targets])
    if not targets or module.check_mode:
        result['changed'] = bool(targets)
        result['sessions'] = before
        result['ansible_facts'] = dict(logoff_sessions=before)
        module.exit_json(**result)

    cmd = base_cmd(module)
    if p['sweep']:
        cmd.append('--gc')
    else:
        if p['warn'] is not None:
            cmd += ['--warn', str(p['warn'])]
            if p['message'] is not None:
                cmd += ['--message', p['message']]
        if p['force']:
            cmd.append('--force')
        if p['user']:
            cmd += ['--user', p['user']]
        else:
            cmd += ['--', p['session']]
    rc, out, err = module.run_command(cmd)
    after = list_sessions(module)
    gone = set(s.get('id') for s in before) - set(s.get('id') for s in after)
    result.update(changed=bool(gone), stdout=out, stderr=err, rc=rc, sessions=after,
                  ansible_facts=dict(logoff_sessions=after),
                  logged_off=[brief(s) for s in targets if s.get('id') in gone])
    if rc != 0:
        module.fail_json(msg="logoff failed (exit %d): %s" % (rc, err.strip()), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
