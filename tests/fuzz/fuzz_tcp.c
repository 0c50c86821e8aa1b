/*
 * fuzz_tcp.c - libFuzzer harness of what logoff(1) reads to tell whether
 * an xrdp client is attached (src/cli/rdp.h): lo_tcp_parse_line on each
 * line of the input, as /proc/PID/net/tcp and tcp6 give them, then
 * lo_rdp_classify over the table of the lines it accepted.
 *
 * Properties checked:
 *  - an accepted line comes back the same when written again the way the
 *    kernel writes it (the address words with %08X, the ports with %04X,
 *    the state with %02X, the uid and inode in decimal): nothing is read
 *    from outside the line's own fields;
 *  - an IPv4 line's addresses are IPv4-mapped;
 *  - the decision over the table: unknown when no socket of the
 *    session's listens on the port or none of xrdp's listens at all, and
 *    otherwise only when a socket of root's or the xrdp account's (uid
 *    0 or XRDP_UID) is in the table; attached only when the xrdp
 *    end it names is in the xrdp set and not in the session's, and never
 *    without the xrdp set; the inode sets are taken from the table itself
 *    (the session's: inodes whose low bit is 0; xrdp's: the others).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cli/rdp.h"
#include "fuzz.h"

#define MAX_LINES 64
/* The xrdp account's uid in these tables. */
#define XRDP_UID 120

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool mapped4(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };
	return memcmp(a, prefix, 12) == 0;
}

/* S written again as the kernel would, into BUF. */
static void reformat(const struct lo_tcp_sock *s, bool v4, char *buf, size_t size)
{
	char l[40] = "", r[40] = "";
	uint32_t w[4];

	if (v4) {
		memcpy(w, s->local + 12, 4);
		snprintf(l, sizeof(l), "%08X", w[0]);
		memcpy(w, s->remote + 12, 4);
		snprintf(r, sizeof(r), "%08X", w[0]);
	} else {
		memcpy(w, s->local, 16);
		snprintf(l, sizeof(l), "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
		memcpy(w, s->remote, 16);
		snprintf(r, sizeof(r), "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
	}
	snprintf(buf, size, "0: %s:%04X %s:%04X %02X 0:0 0:0 0 %u 0 %llu\n", l, s->lport, r,
		 s->rport, s->state, (unsigned)s->uid, (unsigned long long)s->inode);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lo_tcp_sock tab[MAX_LINES];
	uint64_t session[MAX_LINES], xrdp[MAX_LINES], ino;
	size_t n = 0, ns = 0, nx = 0;
	bool privileged = false;
	char *text, *save = NULL;

	if (size > 8192)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line && n < MAX_LINES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct lo_tcp_sock s, again;
		char buf[256];
		const char *colon = strchr(line, ':');
		bool v4;

		if (lo_tcp_parse_line(line, &s) < 0)
			continue;
		/* "sl: ADDR:PORT": 8 hex digits of ADDR is IPv4, 32 IPv6. */
		{
			const char *a = colon + 1;
			a += strspn(a, " ");
			v4 = strspn(a, "0123456789abcdefABCDEF") == 8;
		}
		if (v4)
			FUZZ_ASSERT(mapped4(s.local) && mapped4(s.remote));
		reformat(&s, v4, buf, sizeof(buf));
		FUZZ_ASSERT(lo_tcp_parse_line(buf, &again) == 0);
		FUZZ_ASSERT(memcmp(&s, &again, sizeof(s)) == 0);
		s.netns = s.inode % 3;
		privileged |= s.uid == 0 || s.uid == XRDP_UID;
		tab[n++] = s;
		if (s.inode & 1)
			xrdp[nx++] = s.inode;
		else
			session[ns++] = s.inode;
	}
	/* lo_rdp_classify takes its inode sets in ascending order. */
	qsort(session, ns, sizeof(*session), cmp_u64);
	qsort(xrdp, nx, sizeof(*xrdp), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		enum lo_rdp_state st;
		bool listener = false, daemon = false;

		for (size_t k = 0; k < n; k++) {
			if (tab[k].state != LO_TCP_LISTEN || !tab[k].inode)
				continue;
			if (tab[k].inode & 1)
				daemon = true;
			else if (tab[k].lport == tab[i].lport)
				listener = true;
		}
		ino = 0;
		st = lo_rdp_classify(tab, n, tab[i].lport, session, ns, xrdp, nx, XRDP_UID, &ino);
		if (st != LO_RDP_UNKNOWN)
			FUZZ_ASSERT(listener && daemon);
		else if (listener && daemon)
			FUZZ_ASSERT(privileged);
		if (st == LO_RDP_ATTACHED)
			FUZZ_ASSERT(ino != 0 && (ino & 1));
		FUZZ_ASSERT(lo_rdp_classify(tab, n, tab[i].lport, session, ns, NULL, 0, XRDP_UID,
					    NULL) != LO_RDP_ATTACHED);
	}
	free(text);
	return 0;
}
