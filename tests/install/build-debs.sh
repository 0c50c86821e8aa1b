#!/bin/sh
# tests/install/build-debs.sh OUTDIR - build the Debian packages
# (libpam-logoff, libpam-logoff-dev) from this source tree, in a copy of
# it under OUTDIR/src (tracked files and new ones not ignored, no build
# products; in a dist tree without git, everything but _build*), and leave
# the .debs and .changes in OUTDIR and dpkg-buildpackage's output in
# OUTDIR/build.log. Exit status: dpkg-buildpackage's. Used by
# tests/install/deb.sh and tests/hosts/lib.sh.
#
# LO_DEB_BUILD_OPTIONS (default "nocheck": tools/test has run make check
# on the same tree) goes into DEB_BUILD_OPTIONS.
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1/src"
out=$(cd "$1" && pwd)
if git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -z -c -o --exclude-standard |
		tar --null --ignore-failed-read -cf - -T - 2>/dev/null) | tar -xf - -C "$out/src"
else
	(cd "$top_srcdir" && tar --exclude='./_build*' -cf - .) | tar -xf - -C "$out/src"
fi
cd "$out/src"
DEB_BUILD_OPTIONS="${LO_DEB_BUILD_OPTIONS:-nocheck} parallel=$(nproc 2>/dev/null || echo 2)" \
	dpkg-buildpackage -us -uc -b > "$out/build.log" 2>&1
