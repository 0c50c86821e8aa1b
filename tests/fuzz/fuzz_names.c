/*
 * fuzz_names.c - libFuzzer harness of the validators that stand between
 * a name someone typed (or a record holds) and a path or a command line:
 * lo_id_valid (session ids, file names under sessions/),
 * lo_session_name_valid (session names, names/ entries), the CLI's
 * lo_cli_session_invalid (SESSION of logoff(1)), lo_plugin_name_valid
 * (plugin_dir/NAME.so), lo_cli_host_valid (the --server argument to ssh)
 * and lo_cli_sanitize (a --message written to terminals).
 *
 * Properties checked (the input is the name; the harness gives it with
 * and without its NUL bytes):
 *  - an accepted id is 1..LO_ID_MAX of [A-Za-z0-9_-], not starting with
 *    '-': no '/', no '.', nothing a path could climb with;
 *  - an accepted name is 1..LO_NAME_MAX printable ASCII bytes of
 *    [A-Za-z0-9_.:/-], without "..", "//", a leading '.', '/' or '-', or
 *    a trailing '/': no part between '/' is empty or "..", so "/dev/" +
 *    a name stays below /dev, and names/<name with '/' as %2F> is one
 *    file in names/ ("pts/3" is the form the registry gives ttys);
 *  - logoff(1) takes exactly what is an id or a name, and refuses any
 *    string with a NUL inside its given length;
 *  - a plugin name is 1..32 of [a-z0-9_];
 *  - a host never starts with '-' (ssh would take it as an option) and
 *    holds no space, quote or control;
 *  - sanitised text has no control character but tab, and "\r\n" pairs,
 *    is valid UTF-8 with no C1 control, and fits its buffer;
 *  - lo_text_safe (log lines, logoff(1)'s output and --json) leaves no
 *    control character at all (C0, DEL, C1 in UTF-8 or raw) and only
 *    valid UTF-8, changes nothing but the bytes it replaces by '?' (tab
 *    by ' '), keeps every character the oracle below calls printable,
 *    and fits its buffer, also in place. The oracle decodes UTF-8 with
 *    libc's mbrtowc (C.UTF-8), not with a copy of lo_text_char, and is
 *    checked at startup against every code point and table 3-7 of
 *    Unicode's well-formed byte sequences.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "cli/cli.h"
#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "fuzz.h"

static bool only(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static void check_id(const char *s)
{
	size_t len = strlen(s);

	if (!lo_id_valid(s))
		return;
	FUZZ_ASSERT(len >= 1 && len <= LO_ID_MAX);
	FUZZ_ASSERT(only(s, "_-") && s[0] != '-');
	FUZZ_ASSERT(!strchr(s, '/') && !strchr(s, '.'));
}

static void check_name(const char *s)
{
	size_t len = strlen(s);

	if (!lo_session_name_valid(s))
		return;
	FUZZ_ASSERT(len >= 1 && len <= LO_NAME_MAX);
	FUZZ_ASSERT(only(s, "_.:/-"));
	FUZZ_ASSERT(!strstr(s, "..") && !strstr(s, "//"));
	FUZZ_ASSERT(s[0] != '.' && s[0] != '/' && s[0] != '-' && s[len - 1] != '/');
	/* No component is empty or "..": "/dev/" + a name (logoff(1) reads a
	 * tty's idle time so) stays below /dev. A later "." component
	 * ("pts/.") is accepted and harmless: it names the directory itself,
	 * and names/ holds the name with '/' encoded, as one file. */
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "/");
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(!(n == 2 && p[0] == '.' && p[1] == '.'));
		p += n;
		if (*p == '/')
			p++;
	}
}

static void check_cli(const char *data, size_t size, const char *s)
{
	const char *why = lo_cli_session_invalid(data, size);
	bool has_nul = memchr(data, '\0', size) != NULL;

	if (has_nul)
		FUZZ_ASSERT(why != NULL);
	else
		FUZZ_ASSERT((why == NULL) == (lo_id_valid(s) || lo_session_name_valid(s)));
	if (!has_nul && why == NULL)
		FUZZ_ASSERT(!strstr(s, "..") && s[0] != '/' && s[0] != '.');
}

static void check_plugin(const char *s)
{
	size_t len = strlen(s);

	if (!lo_plugin_name_valid(s))
		return;
	FUZZ_ASSERT(len >= 1 && len <= 32);
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT((s[i] >= 'a' && s[i] <= 'z') || isdigit((unsigned char)s[i]) ||
			    s[i] == '_');
}

static void check_host(const char *s)
{
	if (!lo_cli_host_valid(s))
		return;
	FUZZ_ASSERT(s[0] && s[0] != '-' && strlen(s) <= LO_HOST_MAX);
	for (const char *p = s; *p; p++)
		FUZZ_ASSERT(*p > 0x20 && *p < 0x7f && !strchr("'\"\\`$;&|<>()*?! ", *p));
}

/* The oracle's UTF-8 is libc's: C.UTF-8's mbrtowc, under uselocale so
 * that the code under test keeps running in the "C" locale. It shares no
 * code with lo_text_char; LLVMFuzzerInitialize checks it against Unicode
 * itself before any input is run. */
static locale_t utf8_locale;

/* The character of the UTF-8 sequence at S (NUL-terminated) as libc
 * decodes it: its length, with its code point in *RET_CP; 0 when there
 * is none (malformed, overlong, a surrogate, cut by the NUL) or it is
 * past U+10FFFF, which glibc decodes from F4 90.. and F5..F7. */
static size_t libc_decode(const unsigned char *s, unsigned *ret_cp)
{
	locale_t old = uselocale(utf8_locale);
	mbstate_t st;
	wchar_t wc;
	size_t n;

	memset(&st, 0, sizeof(st));
	/* Never more than 4 bytes, and none past the NUL. */
	n = mbrtowc(&wc, (const char *)s, strnlen((const char *)s, 4), &st);
	uselocale(old);
	if (n == 0 || n > 4 || (unsigned long)wc > 0x10ffff)	/* (size_t)-1, -2 */
		return 0;
	*ret_cp = (unsigned)wc;
	return n;
}

/* Length of the UTF-8 sequence at S if it is a printable character past
 * ASCII (a code point of at least U+00A0, not a bidirectional or
 * invisible format character), else 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned cp;
	size_t n = libc_decode(s, &cp);

	if (n < 2 || cp < 0xa0)
		return 0;
	/* Format characters that reorder or hide text (UAX #9). */
	switch (cp) {
	case 0x61c: case 0x200b: case 0x200c: case 0x200d: case 0x200e: case 0x200f:
	case 0x2028: case 0x2029: case 0x202a: case 0x202b: case 0x202c: case 0x202d:
	case 0x202e: case 0x2060: case 0x2061: case 0x2062: case 0x2063: case 0x2064:
	case 0x2065: case 0x2066: case 0x2067: case 0x2068: case 0x2069: case 0xfeff:
		return 0;
	}
	return n;
}

/* CP (1..U+10FFFF) encoded as UTF-8 into BUF, NUL-terminated; its
 * length. Surrogates are encoded too, for the self-check to refuse. */
static size_t utf8_encode(unsigned cp, unsigned char *buf)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };

	for (size_t i = n - 1; i > 0; i--, cp >>= 6)
		buf[i] = (unsigned char)(0x80 | (cp & 0x3f));
	buf[0] = (unsigned char)(lead[n] | cp);
	buf[n] = '\0';
	return n;
}

/* Unicode's table 3-7 of well-formed UTF-8 byte sequences: the length of
 * the multi-byte one at S, or 0. */
static size_t well_formed_len(const unsigned char *s)
{
	static const struct {
		unsigned char first_lo, first_hi, second_lo, second_hi;
		size_t len;
	} rows[] = {
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 }, { 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 }, { 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 }, { 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 }, { 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].first_lo || s[0] > rows[r].first_hi)
			continue;
		if (s[1] < rows[r].second_lo || s[1] > rows[r].second_hi)
			return 0;
		for (size_t i = 2; i < rows[r].len; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		return rows[r].len;
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Before any input: the oracle's decoder decodes every code point but
 * the surrogates from its encoding, and takes exactly the byte sequences
 * of table 3-7 (every first and second byte, the third and fourth at
 * the bounds of a continuation byte and past them). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const unsigned char tails[] = { 0x00, 0x01, 0x7f, 0x80, 0x81, 0x8f, 0x90,
					       0x9f, 0xa0, 0xbf, 0xc0, 0xff };
	unsigned char buf[5];
	unsigned cp;

	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	FUZZ_ASSERT(utf8_locale != (locale_t)0);
	for (unsigned c = 1; c <= 0x10ffff; c++) {
		size_t n = utf8_encode(c, buf);
		if (c >= 0xd800 && c <= 0xdfff)
			FUZZ_ASSERT(libc_decode(buf, &cp) == 0);
		else
			FUZZ_ASSERT(libc_decode(buf, &cp) == n && cp == c);
	}
	for (unsigned b0 = 0x80; b0 <= 0xff; b0++)
		for (unsigned b1 = 0; b1 <= 0xff; b1++)
			for (size_t i = 0; i < sizeof(tails) * sizeof(tails); i++) {
				buf[0] = (unsigned char)b0;
				buf[1] = (unsigned char)b1;
				buf[2] = tails[i / sizeof(tails)];
				buf[3] = tails[i % sizeof(tails)];
				buf[4] = '\0';
				FUZZ_ASSERT(libc_decode(buf, &cp) == well_formed_len(buf));
			}
	return 0;
}

static void check_sanitize(const char *s, size_t bufsize)
{
	char buf[600];
	size_t n;

	memset(buf, 'X', sizeof(buf));
	n = lo_cli_sanitize(s, buf, bufsize);
	if (bufsize == 0) {
		FUZZ_ASSERT(n == 0 && buf[0] == 'X');
		return;
	}
	FUZZ_ASSERT(n < bufsize && buf[n] == '\0' && strlen(buf) == n);
	FUZZ_ASSERT(buf[bufsize] == 'X');
	for (size_t i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)buf + i;
		if (*p == '\r') {
			FUZZ_ASSERT(i + 1 < n && p[1] == '\n');
			i += 2;
		} else if (*p == '\t' || (*p >= 0x20 && *p < 0x7f)) {
			i++;
		} else {
			size_t u = utf8_len(p);
			FUZZ_ASSERT(u > 0 && i + u <= n);
			i += u;
		}
	}
}

/* The oracle's printable character at P: its length, or 0. */
static size_t printable(const unsigned char *p)
{
	return *p >= 0x20 && *p < 0x7f ? 1 : utf8_len(p);
}

static void check_text_safe(const char *s, size_t bufsize)
{
	char buf[600], copy[600];
	size_t n, len = strlen(s);

	memset(buf, 'X', sizeof(buf));
	n = lo_text_safe(buf, bufsize, s);
	if (bufsize == 0) {
		FUZZ_ASSERT(n == 0 && buf[0] == 'X');
		return;
	}
	FUZZ_ASSERT(n < bufsize && n <= len && buf[n] == '\0' && strlen(buf) == n);
	FUZZ_ASSERT(buf[bufsize] == 'X');
	/* Walk input and output together: one byte out per byte in. */
	for (size_t i = 0; i < n;) {
		const unsigned char *in = (const unsigned char *)s + i;
		size_t u = printable(in);
		if (u > 0) {
			FUZZ_ASSERT(i + u <= n && memcmp(buf + i, s + i, u) == 0);
			i += u;
		} else {
			FUZZ_ASSERT(buf[i] == (*in == '\t' ? ' ' : '?'));
			i++;
		}
	}
	/* Stopped only where the next character would not fit. */
	if (n < len) {
		size_t u = printable((const unsigned char *)s + n);
		FUZZ_ASSERT(n + (u ? u : 1) >= bufsize);
	}
	for (size_t i = 0; i < n;) {
		size_t u = printable((const unsigned char *)buf + i);
		FUZZ_ASSERT(u > 0 || buf[i] == '?');
		i += u ? u : 1;
	}
	/* In place gives the same (S is at most 512 bytes, BUFSIZE < 600). */
	memcpy(copy, s, len + 1);
	FUZZ_ASSERT(lo_text_safe(copy, bufsize, copy) == n && strcmp(copy, buf) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 512)
		return 0;
	/* The bytes up to the first NUL, as a C caller would pass them. */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	check_id(s);
	check_name(s);
	check_cli((const char *)data, size, s);
	check_plugin(s);
	check_host(s);
	check_sanitize(s, 0);
	check_sanitize(s, 6);
	check_sanitize(s, size % 64 + 1);
	check_sanitize(s, 599);
	check_text_safe(s, 0);
	check_text_safe(s, 6);
	check_text_safe(s, size % 64 + 1);
	check_text_safe(s, 599);
	free(s);
	return 0;
}
