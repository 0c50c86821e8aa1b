#!/bin/sh
# Every config key the parser accepts ([logoff] and each built-in
# provider's declared keys, as tests/docs/dump_keys prints them) is
# documented in logoff.conf(5), in its own section, as a ".BI "KEY = "
# entry; and every section documented there is one the parser knows.
. "${top_srcdir:-.}/tests/lib.sh"

MAN="$top_srcdir/man/logoff.conf.5"
"$top_builddir/tests/docs/dump_keys" > "$T/out/keys" || { fail "dump_keys failed"; finish; }
[ "$(wc -l < "$T/out/keys")" -ge 10 ] && ok "$(wc -l < "$T/out/keys") keys" || fail "too few keys: $(cat "$T/out/keys")"
# Split the page into sections: the text from ".SH THE [name] SECTION" to
# the next ".SH".
while read -r section key; do
	awk -v s="$section" '
		/^\.SH / { inside = ($0 == ".SH THE [" s "] SECTION") ; next }
		inside { print }' "$MAN" > "$T/out/section"
	[ -s "$T/out/section" ] || { fail "logoff.conf.5 has no section [$section]"; continue; }
	if grep -q "^\.BI \"$key = \"" "$T/out/section"; then
		ok "[$section] $key documented"
	else
		fail "[$section] $key is accepted by the parser but not documented in logoff.conf.5"
	fi
done < "$T/out/keys"
# The other way: a documented section the parser does not know.
grep '^\.SH THE \[' "$MAN" | sed 's/^\.SH THE \[\(.*\)\] SECTION$/\1/' | while read -r section; do
	grep -q "^$section " "$T/out/keys" && ok "section [$section] is known" \
		|| echo "FAIL: $TESTNAME: logoff.conf.5 documents [$section], which the parser does not know" >> "$T/out/extra"
done
[ -s "$T/out/extra" ] && { cat "$T/out/extra"; FAILED=1; }
finish
