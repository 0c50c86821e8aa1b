#!/bin/sh
# `make install` honours DESTDIR, --prefix, --sysconfdir, --libexecdir,
# --with-securedir and --with-systemdsystemunitdir: a build configured
# with each set to its own place installs every file exactly there, under
# DESTDIR, and nothing outside it. Run by tools/test (it builds the tree
# once more, out of tree).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/lo-layout.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILED=0
fail() { echo "FAIL: layout: $*"; FAILED=1; }
ok() { echo "ok: $*"; }

[ -x "$top/configure" ] || { echo "SKIP: layout: run autoreconf first"; exit 77; }
mkdir "$T/build" "$T/root"
[ -e /opt/lo ] && { echo "SKIP: layout: /opt/lo exists on this machine"; exit 77; }
( cd "$T/build" && "$top/configure" -q --prefix=/opt/lo --sysconfdir=/opt/lo/etc \
	--libexecdir=/opt/lo/libexec --with-securedir=/opt/lo/security \
	--with-systemdsystemunitdir=/opt/lo/units > "$T/configure.log" 2>&1 &&
  make -s -j"$(nproc 2>/dev/null || echo 2)" > "$T/make.log" 2>&1 &&
  make -s install DESTDIR="$T/root" > "$T/install.log" 2>&1 ) ||
	{ fail "build or install failed: $(tail -20 "$T"/*.log)"; exit 1; }

R="$T/root/opt/lo"
for f in security/pam_logoff.so libexec/logoff/logoff-helper bin/logoff \
	etc/security/logoff.conf etc/cron.d/logoff-gc units/logoff-gc.service units/logoff-gc.timer \
	etc/cron.d/logoff-limits units/logoff-limits.service units/logoff-limits.timer \
	include/logoff/provider.h lib/pkgconfig/logoff-provider.pc \
	share/man/man1/logoff.1 share/man/man3/logoff-provider.3 share/man/man5/logoff.conf.5 \
	share/man/man8/pam_logoff.8 share/bash-completion/completions/logoff \
	share/doc/pam_logoff/logoff-query.schema.json; do
	[ -f "$R/$f" ] && ok "$f" || fail "not installed: /opt/lo/$f"
done
for d in etc/security/logoff/logon.d etc/security/logoff/logoff.d etc/security/logoff.conf.d \
	lib/logoff/providers; do
	[ -d "$R/$d" ] && ok "$d/" || fail "no directory /opt/lo/$d"
done
[ -e "$R/security/pam_logoff.la" ] && fail "the libtool .la of the module is installed" || ok "no .la"
grep -q "ExecStart=/opt/lo/bin/logoff --gc" "$R/units/logoff-gc.service" && ok "unit runs /opt/lo/bin/logoff" \
	|| fail "logoff-gc.service: $(grep ExecStart "$R/units/logoff-gc.service")"
grep -q "/opt/lo/bin/logoff --gc" "$R/etc/cron.d/logoff-gc" && ok "cron line runs /opt/lo/bin/logoff" || fail "cron line"
grep -q "ExecStart=/opt/lo/bin/logoff --limits" "$R/units/logoff-limits.service" \
	&& ok "limits unit runs /opt/lo/bin/logoff --limits" \
	|| fail "logoff-limits.service: $(grep ExecStart "$R/units/logoff-limits.service")"
grep -q "/opt/lo/bin/logoff --limits" "$R/etc/cron.d/logoff-limits" && ok "limits cron line" \
	|| fail "limits cron line"
grep -q "^plugindir=\${libdir}/logoff/providers" "$R/lib/pkgconfig/logoff-provider.pc" && ok "plugindir in the .pc" || fail "plugindir"
# The paths are built in: the helper the module runs, the config it reads.
strings "$R/security/pam_logoff.so" | grep -q "^/opt/lo/libexec/logoff/logoff-helper$" \
	&& ok "module runs /opt/lo/libexec/logoff/logoff-helper" || fail "helper path not built into the module"
strings "$R/security/pam_logoff.so" | grep -q "^/opt/lo/etc/security/logoff.conf$" \
	&& ok "module reads /opt/lo/etc/security/logoff.conf" || fail "config path not built into the module"
# Nothing outside DESTDIR: the prefix itself was never made.
[ ! -e /opt/lo ] && ok "nothing installed in /opt/lo itself" || fail "/opt/lo exists: install ignored DESTDIR"
[ "$FAILED" -eq 0 ] && { echo "PASS: layout"; exit 0; }
exit 1
