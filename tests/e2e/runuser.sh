#!/bin/sh
# End-to-end: `runuser -l USER` (PAM service runuser-l) from a root shell:
# the same assertions as su.sh, whose steps it runs: the user's leftover
# process and TMPDIR are gone after the logoff, and the caller's
# processes survive.
LO_SU=runuser
export LO_SU
exec sh "${top_srcdir:-.}/tests/e2e/su.sh"
