#!/usr/bin/python3 -I
# logoff-fleet - run one logoff(1) command on many hosts through the
# ClusterShell library; logoff(1) runs it for `--server NODESET`.
#
#   logoff-fleet expand NODESET         one host a line, as ClusterShell
#                                       expands NODESET (ranges, @groups)
#   logoff-fleet run COMMAND HOST...    COMMAND (one string for the remote
#                                       shell, already quoted) on each HOST
#
# No option parsing: every argument is data, so a node set, a host or a
# command can never be taken for an option of this program. Hosts that
# begin with '-' are refused (ssh would read them as options).
#
# `run` writes one record a line on stdout, fields separated by a tab:
#   HOST o TEXT    a line of the host's standard output
#   HOST O TEXT    a piece of a longer such line (more follows)
#   HOST e TEXT    a line of the host's standard error
#   HOST x STATUS  the host's exit status (255: ssh could not connect)
#   HOST t -       the host did not answer in time
# so no record is longer than logoff's reader takes (LO_PROTOCOL_LINE_MAX).
# `expand` writes "h<TAB>HOST" a host. An error of this program itself is
# "!<TAB>MESSAGE" (logoff reads stdout and stderr as one stream); exit 69
# (EX_UNAVAILABLE) when ClusterShell is not installed, 2 for bad
# arguments.
#
# Each host gets a worker of its own: ClusterShell treats "%hosts" in a
# command as a request to run it once for the whole node set, and a
# --message may contain that text. The connection goes through ssh in
# BatchMode (ClusterShell's ssh worker); LOGOFF_SSH names another ssh
# program, as for one host. Source: ClusterShell's Task API
# (clustershell.readthedocs.io, "Programming Guide": task.shell,
# EventHandler.ev_read/ev_hup/ev_close, NodeSet).
#
# SPDX-License-Identifier: BSD-3-Clause

import os
import shlex
import sys

CHUNK = 900
PACKAGE_HINT = ("a node set in --server needs ClusterShell: "
                "apt-get install python3-clustershell (Debian), "
                "or the clustershell package of your system")


def out(host, kind, text):
    sys.stdout.write("%s\t%s\t%s\n" % (host, kind, text))


def out_line(host, stream, line):
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    line = line.replace("\t", " ").replace("\r", "")
    kind = "o" if stream == "stdout" else "e"
    while kind == "o" and len(line.encode("utf-8")) > CHUNK:
        piece = line[:CHUNK // 4]
        out(host, "O", piece)
        line = line[len(piece):]
    if kind == "e":
        line = line[:CHUNK]
    out(host, kind, line)


def error(msg):
    sys.stdout.write("!\t%s\n" % msg.replace("\t", " ").replace("\n", " ")[:CHUNK])


def usage():
    error("usage: logoff-fleet expand NODESET | logoff-fleet run COMMAND HOST...")
    return 2


def main(argv):
    try:
        from ClusterShell.NodeSet import NodeSet, NodeSetException
        from ClusterShell.Task import task_self
        from ClusterShell.Event import EventHandler
    except ImportError:
        error(PACKAGE_HINT)
        return 69

    if len(argv) == 3 and argv[1] == "expand":
        try:
            hosts = list(NodeSet(argv[2]))
        except (NodeSetException, ValueError) as e:
            error("--server '%s': not a node set: %s" % (argv[2][:80], e))
            return 2
        for h in hosts:
            sys.stdout.write("h\t%s\n" % h)
        return 0
    if len(argv) < 4 or argv[1] != "run":
        return usage()

    command, hosts = argv[2], argv[3:]
    for h in hosts:
        if not h or h.startswith("-") or any(c.isspace() for c in h):
            error("'%s': not a host name" % h[:80])
            return 2

    class Relay(EventHandler):
        def ev_read(self, worker, node, sname, msg):
            out_line(node, sname, msg)
            sys.stdout.flush()

        def ev_hup(self, worker, node, rc):
            out(node, "x", str(rc))
            sys.stdout.flush()

        def ev_close(self, worker, timedout):
            if timedout:
                for node in worker.iter_keys_timeout():
                    out(node, "t", "-")
                sys.stdout.flush()

    task = task_self()
    ssh = os.environ.get("LOGOFF_SSH")
    if ssh:
        task.set_info("ssh_path", shlex.quote(ssh))
    task.set_info("connect_timeout", 10)
    task.set_info("fanout", 64)
    relay = Relay()
    for h in hosts:
        task.shell(command, nodes=h, handler=relay, stderr=True)
    task.resume()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
