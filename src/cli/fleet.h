/*
 * fleet.h - logoff(1) across a node set: `--server NODESET` runs the same
 * command on every host through ClusterShell (logoff-fleet, a Python
 * helper on its Task API) and gathers the answers: one --list table with
 * a HOST column, one --json document, each other output line prefixed
 * with its host. One host keeps the plain ssh path (logoff.c).
 *
 * The model is the Windows logoff command's /server:NAME, widened to the
 * node sets of ClusterShell (clustershell.readthedocs.io, "Node sets
 * handling": ranges "node[1-4]", lists "a,b", groups "@login"), which
 * expands them: there is no node set parser here.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_FLEET_H
#define LO_FLEET_H

#include <stddef.h>

#include "cli/cli.h"

/* The "schema" of `logoff --server NODESET --list --json`; documented in
 * logoff(1). Any change to the fields it names is a new version. */
#define LO_FLEET_SCHEMA "logoff-hosts/1"

/* Seconds a node set run may take beyond --warn's before the hosts that
 * have not answered are reported as timed out. */
#define LO_FLEET_TIMEOUT 600

/*
 * Expand NODESET (lo_cli_nodeset_valid) with ClusterShell, through
 * logoff-fleet, into a malloc'd array of malloc'd host names
 * (*RET_HOSTS, *RET_N; free with lo_strv_free). Every host must pass
 * lo_cli_host_valid (so none starts with '-'), else nothing is returned.
 * Returns 0; -EINVAL (not a node set, an invalid host, or an empty set),
 * -ENOPKG (ClusterShell is not installed), -ENOMEM, or the -errno of
 * starting the helper; each failure but -ENOMEM is also said on stderr.
 */
int lo_fleet_expand(const char *nodeset, char ***ret_hosts, size_t *ret_n);

/*
 * Run the command OPTS describes (lo_cli_remote_args: `logoff` and its
 * options, each word shell-quoted) on HOSTS (N, as lo_fleet_expand gave
 * them) through ClusterShell's ssh worker (BatchMode; LOGOFF_SSH names
 * another ssh), all at once up to its fan-out, and print the gathered
 * result on stdout: --list and --query as one table with a HOST column,
 * --json (of --list or --query, whose "sessions" are taken) as one
 * object {"schema", "hosts": [{"host", "status", "sessions" | "session" |
 * "error"}]}, anything else as "HOST: line". Every line from a host is
 * made safe for a terminal first. A host that fails (status not 0, or
 * unreachable: ssh's 255, or no answer within LO_FLEET_TIMEOUT seconds
 * after --warn's) is named on stderr with its own error lines; the
 * others go on. Returns the exit status for logoff(1): 0 when every host
 * exited 0, else the largest host status (255 for unreachable or timed
 * out), or LO_EXIT_USAGE when the helper could not run at all.
 */
int lo_fleet_run(const struct lo_cli_opts *opts, char *const *hosts, size_t n);

#endif /* LO_FLEET_H */
