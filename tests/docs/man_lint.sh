#!/bin/sh
# Every man page lints clean: `groff -ww -z -man` prints nothing (and
# mandoc -Tlint, where it is installed, reports no warning or error).
. "${top_srcdir:-.}/tests/lib.sh"

command -v groff >/dev/null || skip "groff not installed"
for page in "$top_srcdir"/man/*.[1-8]; do
	out=$(groff -ww -z -man "$page" 2>&1)
	if [ -z "$out" ]; then ok "groff: $(basename "$page")"; else fail "groff -ww: $(basename "$page"): $out"; fi
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
		if [ -z "$out" ]; then ok "mandoc: $(basename "$page")"; else fail "mandoc: $(basename "$page"): $out"; fi
	fi
done
# Each page is installed.
for page in logoff.1 logoff-provider.3 logoff.conf.5 pam_logoff.8; do
	[ -f "$top_srcdir/man/$page" ] && ok "$page exists" || fail "$page missing"
done
finish
