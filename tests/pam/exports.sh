#!/bin/sh
# pam_logoff.so exports nothing but the PAM entry points and links libpam.
. "${top_srcdir:-.}/tests/lib.sh"

command -v nm >/dev/null || skip "nm not installed (binutils)"
syms=$(nm -D --defined-only "$MODULE" | awk '$2 ~ /^[A-Za-z]$/ && $2 != "A" {print $3}' | sort | tr '\n' ' ')
[ "$syms" = "pam_sm_close_session pam_sm_open_session " ] && ok "exports: $syms" \
	|| fail "pam_logoff.so exports: $syms"
if command -v readelf >/dev/null; then
	readelf -d "$MODULE" | grep -q 'NEEDED.*libpam\.so' && ok "links libpam" || fail "does not link libpam"
fi
finish
