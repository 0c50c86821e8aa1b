/*
 * check_rdp.c - is an xrdp client attached (src/cli/rdp.h): the
 * /proc/net/tcp{,6} line parser, and the decision over a table of
 * sockets, with the connections a user could make to look attached.
 *
 * The tables are written as the kernel writes them (each 32-bit word of
 * an address printed with %08X as the host stores it) and read back with
 * lo_tcp_parse_line, as logoff does.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <arpa/inet.h>

#include "testutil.h"
#include "cli/rdp.h"
#include "core/proc.h"

/* ADDR ("127.0.0.1" or an IPv6 address) as the kernel prints it. */
static void kaddr(const char *addr, char *buf, size_t size)
{
	uint8_t b[16];
	uint32_t w[4];

	if (inet_pton(AF_INET, addr, b) == 1) {
		memcpy(w, b, 4);
		snprintf(buf, size, "%08X", w[0]);
		return;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, addr, b), 1);
	memcpy(w, b, 16);
	snprintf(buf, size, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
}

struct tab {
	struct lo_tcp_sock v[32];
	size_t n;
};

/* The uid of the xrdp account in these tables, and a user's. */
#define XRDP_UID 120
#define USER_UID 1001

/* Add a socket that UID made to T through a line the kernel would print. */
static void add_as(struct tab *t, unsigned uid, const char *laddr, unsigned lport,
		   const char *raddr, unsigned rport, unsigned state, uint64_t inode,
		   uint64_t netns)
{
	char l[40], r[40], line[512];

	kaddr(laddr, l, sizeof(l));
	kaddr(raddr, r, sizeof(r));
	snprintf(line, sizeof(line),
		 "%4zu: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000 %5u        0 "
		 "%llu 1 0000000000000000 20 4 30 10 -1\n",
		 t->n, l, lport, r, rport, state, uid, (unsigned long long)inode);
	ck_assert_uint_lt(t->n, 32);
	ck_assert_msg(lo_tcp_parse_line(line, &t->v[t->n]) == 0, "not parsed: %s", line);
	ck_assert_uint_eq(t->v[t->n].uid, uid);
	t->v[t->n++].netns = netns;
}

/* A socket a user made. */
static void add(struct tab *t, const char *laddr, unsigned lport, const char *raddr,
		unsigned rport, unsigned state, uint64_t inode, uint64_t netns)
{
	add_as(t, USER_UID, laddr, lport, raddr, rport, state, inode, netns);
}

#define EST LO_TCP_ESTABLISHED
#define LISTEN LO_TCP_LISTEN
#define NS 4026531840ULL

START_TEST(test_parse_lines)
{
	struct lo_tcp_sock s;
	uint8_t lo4[16] = { [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1 };
	uint8_t lo6[16] = { [15] = 1 };
	uint32_t w;
	char line[256], a[16];

	/* 127.0.0.1:5910 from 127.0.0.1:53092, as /proc/net/tcp has it. */
	memcpy(&w, (uint8_t[]){ 127, 0, 0, 1 }, 4);
	snprintf(a, sizeof(a), "%08X", w);
	snprintf(line, sizeof(line), "   3: %s:1716 %s:CF64 01 00000000:00000000 00:00000000 "
		 "00000000  1001        0 3720087 1 0000000000000000 20 4 30 10 -1\n", a, a);
	ck_assert_int_eq(lo_tcp_parse_line(line, &s), 0);
	ck_assert_uint_eq(s.lport, 5910);
	ck_assert_uint_eq(s.rport, 53092);
	ck_assert_uint_eq(s.state, EST);
	ck_assert_uint_eq(s.inode, 3720087);
	ck_assert_uint_eq(s.uid, 1001);
	ck_assert_mem_eq(s.local, lo4, 16);
	ck_assert_mem_eq(s.remote, lo4, 16);

	/* IPv6 ::1, and ::ffff:127.0.0.1 reads as the same as 127.0.0.1. */
	{
		struct tab t = { .n = 0 };
		add(&t, "::1", 5910, "::", 0, LISTEN, 77, NS);
		ck_assert_mem_eq(t.v[0].local, lo6, 16);
		ck_assert_uint_eq(t.v[0].state, LISTEN);
		ck_assert_uint_eq(t.v[0].inode, 77);
		add(&t, "::ffff:127.0.0.1", 53092, "::ffff:127.0.0.1", 5910, EST, 78, NS);
		ck_assert_mem_eq(t.v[1].local, lo4, 16);
	}

	/* The header and anything that is not a whole line are refused. */
	ck_assert_int_eq(lo_tcp_parse_line("  sl  local_address rem_address   st tx_queue "
					   "rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
					   &s), -EINVAL);
	ck_assert_int_eq(lo_tcp_parse_line("", &s), -EINVAL);
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007F:1716 0100007F:CF64 01\n", &s), -EINVAL);
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007G:1716 0100007F:CF64 01 00000000:00000000 "
					   "00:00000000 00000000 0 0 12 1\n", &s), -EINVAL);
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007F:1716 0100007F:CF64 01 00000000:00000000 "
					   "00:00000000 00000000 0 0 x12 1\n", &s), -EINVAL);
	/* A uid that is no number, or wider than a uid. */
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007F:1716 0100007F:CF64 01 00000000:00000000 "
					   "00:00000000 00000000 -1 0 12 1\n", &s), -EINVAL);
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007F:1716 0100007F:CF64 01 00000000:00000000 "
					   "00:00000000 00000000 4294967296 0 12 1\n", &s), -EINVAL);
	/* An IPv4 and an IPv6 end in one line (no table has both). */
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007F:1716 0000000000000000FFFF00000100007F:CF64 "
					   "01 00000000:00000000 00:00000000 00000000 0 0 12 1\n", &s),
			 -EINVAL);
	/* An address of 3 words, a port of 3 digits. */
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0000000000000000FFFF0000:1716 0100007F:CF64 01 "
					   "00000000:00000000 00:00000000 00000000 0 0 12 1\n", &s),
			 -EINVAL);
	ck_assert_int_eq(lo_tcp_parse_line("   0: 0100007F:171 0100007F:CF64 01 00000000:00000000 "
					   "00:00000000 00000000 0 0 12 1\n", &s), -EINVAL);
}
END_TEST

/* The session of display :10 as xrdp and Xvnc leave it with a client
 * connected (seen on Debian 12, xrdp 0.9.21, tigervnc 1.12): Xvnc
 * listens on 5910 and holds the accepted end; xrdp's connection process
 * holds the other end, over IPv6 with a mapped address; the xrdp
 * daemon listens on 3389. */
static const uint64_t session[] = { 100, 101, 102 };
static const uint64_t xrdp[] = { 200, 201, 202 };

static void xvnc(struct tab *t)
{
	add(t, "127.0.0.1", 5910, "0.0.0.0", 0, LISTEN, 100, NS);
	add(t, "::1", 5910, "::", 0, LISTEN, 101, NS);
	add_as(t, XRDP_UID, "127.0.0.1", 3389, "0.0.0.0", 0, LISTEN, 201, NS);
	add_as(t, XRDP_UID, "127.0.0.1", 3389, "127.0.0.1", 40000, EST, 202, NS); /* RDP client */
}

START_TEST(test_attached_and_disconnected)
{
	struct tab t = { .n = 0 };
	uint64_t ino = 0;

	/* Not an Xvnc session: nothing of it listens on 5910. */
	add(&t, "127.0.0.1", 5910, "0.0.0.0", 0, LISTEN, 999, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_UNKNOWN);
	t.n = 0;
	xvnc(&t);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 53092, EST, 102, NS);
	add(&t, "::ffff:127.0.0.1", 53092, "::ffff:127.0.0.1", 5910, EST, 200, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, &ino),
			 LO_RDP_ATTACHED);
	ck_assert_uint_eq(ino, 200);
	/* The same table for another display's port: not its client. */
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5911, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_UNKNOWN);
	/* Without xrdp's sockets (no xrdp seen: not running, or a program
	 * not recognised as xrdp): unknown, never disconnected. */
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, NULL, 0, XRDP_UID, NULL),
			 LO_RDP_UNKNOWN);
	/* Only the connection's process seen, not the daemon's listener:
	 * unknown too. */
	{
		const uint64_t child[] = { 200 };
		ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, child, 1, XRDP_UID, NULL),
				 LO_RDP_UNKNOWN);
	}
}
END_TEST

/* The connections a user can make to keep a disconnected session from
 * counting as disconnected: none of them is a client. */
START_TEST(test_hostile_not_attached)
{
	struct tab t;
	/* 103: a socket of the user's; 300: a process that is not xrdp. */
	const uint64_t with_user[] = { 100, 101, 102, 103 };

	/* A process of the user's connects to its own Xvnc. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50001, EST, 102, NS);
	add(&t, "127.0.0.1", 50001, "127.0.0.1", 5910, EST, 103, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, with_user, 4, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);

	/* Another user's program (not xrdp's) connects to it. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50002, EST, 102, NS);
	add(&t, "127.0.0.1", 50002, "127.0.0.1", 5910, EST, 300, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);

	/* The user binds a socket to the VNC port (SO_REUSEPORT) and
	 * connects it to xrdp's RDP port: xrdp holds the accepted end, but
	 * xrdp did not dial it. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 3389, EST, 102, NS);
	add(&t, "127.0.0.1", 3389, "127.0.0.1", 5910, EST, 200, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);

	/* A connection in a network namespace of the user's (unshare -rn)
	 * with the same addresses: xrdp's socket of the same addresses is
	 * in another namespace, not the peer. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50003, EST, 102, NS + 7);
	add(&t, "127.0.0.1", 50003, "127.0.0.1", 5910, EST, 200, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);

	/* xrdp connected to another session's Xvnc (:11): not this one's. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5911, "127.0.0.1", 50004, EST, 400, NS);
	add(&t, "127.0.0.1", 50004, "127.0.0.1", 5911, EST, 200, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);

	/* A socket that both sides hold (one the session got from xrdp) is
	 * the session's, never xrdp's alone. */
	{
		const uint64_t both[] = { 100, 101, 102, 200 };
		t.n = 0;
		xvnc(&t);
		add(&t, "127.0.0.1", 5910, "127.0.0.1", 50005, EST, 102, NS);
		add(&t, "127.0.0.1", 50005, "127.0.0.1", 5910, EST, 200, NS);
		ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, both, 4, xrdp, 3, XRDP_UID, NULL),
				 LO_RDP_DISCONNECTED);
	}
}
END_TEST

/* A connection to the VNC port that root or the xrdp account made from
 * a process not recognised as xrdp may be a client: the session is not
 * known to have none. No user can make such a socket; the connections a
 * user can make still leave it disconnected. */
START_TEST(test_privileged_unknown)
{
	struct tab t;
	uint64_t ino = 0;

	/* Root's viewer (or an xrdp process not recognised) on :10. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50010, EST, 102, NS);
	add_as(&t, 0, "127.0.0.1", 50010, "127.0.0.1", 5910, EST, 500, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_UNKNOWN);
	/* The xrdp account's, too; but not when there is no such account
	 * (then 120 is a user's uid). */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50011, EST, 102, NS);
	add_as(&t, XRDP_UID, "127.0.0.1", 50011, "127.0.0.1", 5910, EST, 501, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_UNKNOWN);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, (uid_t)-1, NULL),
			 LO_RDP_DISCONNECTED);
	/* With xrdp's own connection there as well: attached. */
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50012, EST, 102, NS);
	add_as(&t, XRDP_UID, "127.0.0.1", 50012, "127.0.0.1", 5910, EST, 200, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, &ino),
			 LO_RDP_ATTACHED);
	ck_assert_uint_eq(ino, 200);

	/* Root's connection to another display's port, or one whose other
	 * end is no socket of this session's Xvnc: not this session's. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5911, "127.0.0.1", 50013, EST, 400, NS);
	add_as(&t, 0, "127.0.0.1", 50013, "127.0.0.1", 5911, EST, 502, NS);
	add_as(&t, 0, "127.0.0.1", 50014, "127.0.0.1", 5910, EST, 503, NS);
	add(&t, "127.0.0.1", 5910, "127.0.0.1", 50014, EST, 401, NS);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);

	/* Hostile: the user's own Xvnc in a network namespace of theirs
	 * accepts a connection that user-mode networking (slirp4netns)
	 * brings in: its peer is in no table read. It keeps nothing. */
	t.n = 0;
	xvnc(&t);
	add(&t, "127.0.0.1", 5910, "10.0.2.2", 50015, EST, 102, NS + 9);
	ck_assert_int_eq(lo_rdp_classify(t.v, t.n, 5910, session, 3, xrdp, 3, XRDP_UID, NULL),
			 LO_RDP_DISCONNECTED);
}
END_TEST

START_TEST(test_measure_refuses)
{
	struct lo_rdp_client c = { .state = LO_RDP_ATTACHED, .xrdp_pid = 1 };
	pid_t self = getpid();

	ck_assert_int_eq(lo_rdp_measure(&self, 1, 65535, &c), -EINVAL);
	/* This test's own process listens on no VNC port: unknown. */
	ck_assert_int_eq(lo_rdp_measure(&self, 1, 10, &c), 0);
	ck_assert_int_eq(c.state, LO_RDP_UNKNOWN);
	/* Only an attached client can be disconnected. */
	c.state = LO_RDP_DISCONNECTED;
	c.xrdp_pid = self;
	ck_assert_int_eq(lo_rdp_disconnect(&c), -EINVAL);
	/* A process that is not xrdp is never signalled. */
	c.state = LO_RDP_ATTACHED;
	c.xrdp_pid = self;
	ck_assert_int_eq(lo_proc_starttime(self, &c.xrdp_start), 0);
	ck_assert_int_eq(lo_rdp_disconnect(&c), -EPERM);
	/* Another start time: the pid names another process now. */
	c.xrdp_start++;
	ck_assert_int_eq(lo_rdp_disconnect(&c), -ESRCH);
	ck_assert_str_eq(lo_rdp_state_name(LO_RDP_DISCONNECTED), "disconnected");
	ck_assert_str_eq(lo_rdp_state_name(LO_RDP_ATTACHED), "attached");
	ck_assert_str_eq(lo_rdp_state_name(LO_RDP_UNKNOWN), "unknown");
}
END_TEST

static Suite *rdp_suite(void)
{
	Suite *s = suite_create("rdp");
	TCase *tc = tcase_create("rdp");

	tcase_add_test(tc, test_parse_lines);
	tcase_add_test(tc, test_attached_and_disconnected);
	tcase_add_test(tc, test_hostile_not_attached);
	tcase_add_test(tc, test_privileged_unknown);
	tcase_add_test(tc, test_measure_refuses);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(rdp_suite)
