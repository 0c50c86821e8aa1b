/*
 * rdp.h - whether a remote desktop session (xrdp with Xvnc) has a client
 * attached: Windows' "Active" and "Disc" session states (quser,
 * ../shared/seeds), and `logoff --disconnect` (Windows' tsdiscon), which
 * ends the client's connection and keeps the session.
 *
 * xrdp-sesman starts the session's Xvnc on display :N, listening for VNC
 * on TCP port 5900 + N of the loopback address. While an RDP client is
 * connected, the xrdp process that serves that client (a child of the
 * xrdp daemon, one per connection: xrdp.ini fork = true, Debian's
 * default) holds a TCP connection to that port; when the client leaves,
 * that process exits and the connection is gone, while Xvnc and the
 * session go on. So, read from /proc (proc(5): /proc/PID/fd,
 * /proc/PID/net/tcp and tcp6):
 *   - unknown: no Xvnc of the session (its program Xvnc or Xtigervnc)
 *     listens on port 5900 + N (not an Xvnc session: xorgxrdp sessions
 *     talk to xrdp over a Unix socket and are not measured), or no xrdp
 *     daemon is seen (no xrdp process, below, listens: xrdp not running,
 *     or running a program this check does not recognise), or something
 *     could not be read: never a guess that makes a client look gone;
 *   - attached: an established connection from an xrdp process to that
 *     port, which the session's Xvnc accepted, and xrdp is the
 *     connecting side (its end's port is not one xrdp listens on);
 *   - disconnected: the listener is there, xrdp's daemon is, and no
 *     such connection.
 *
 * An xrdp process is one that runs the file LO_XRDP_PATH names (the same
 * inode; or that path marked " (deleted)" after a package upgrade) and
 * whose real, effective, saved and filesystem uids are all root's or all
 * the uid of the account LO_XRDP_USER. A user cannot start one, so no
 * connection a user's program makes (to the VNC port, from their own
 * copy of xrdp, or from the VNC port to xrdp's RDP port) keeps a session
 * attached. A real RDP client the user runs, anywhere (on this host into
 * the session itself, or through an ssh tunnel), is a client like any
 * other: the active limit is the one no client escapes. Likewise an RDP
 * connection whose xrdp process is pointed at this display's VNC port
 * (an xrdp.ini section with ip=ask, port=ask) is this session's client.
 *
 * Conventions: see core/util.h. Used by logoff(1) only, never by the
 * module.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CLI_RDP_H
#define LO_CLI_RDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The xrdp daemon's program and account (Debian's xrdp.service runs it
 * as User=xrdp; run by hand it is root's). */
#define LO_XRDP_PATH "/usr/sbin/xrdp"
#define LO_XRDP_USER "xrdp"
/* The PAM service of xrdp-sesman, which opens the sessions measured here. */
#define LO_XRDP_SERVICE "xrdp-sesman"
/* Xvnc's VNC port for display :N is LO_VNC_PORT_BASE + N (RFB protocol,
 * RFC 6143 section 1; xrdp-sesman passes no other -rfbport). */
#define LO_VNC_PORT_BASE 5900

/* TCP states as /proc/net/tcp gives them (include/net/tcp_states.h). */
#define LO_TCP_ESTABLISHED 1
#define LO_TCP_LISTEN 10

/* One line of /proc/PID/net/tcp or tcp6. */
struct lo_tcp_sock {
	uint8_t local[16];	/* IPv6; an IPv4 address as ::ffff:a.b.c.d */
	uint8_t remote[16];
	uint16_t lport, rport;	/* host order */
	unsigned state;		/* LO_TCP_* */
	uid_t uid;		/* the socket's owner (sock_i_uid: who made it) */
	uint64_t inode;		/* the socket's inode, as /proc/PID/fd names it */
	uint64_t netns;		/* the network namespace it was read in (caller's tag) */
};

/*
 * Parse one data line of /proc/net/tcp (IPv4: 8 hex digits an address)
 * or /proc/net/tcp6 (IPv6: 32), as the kernel writes them
 * (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock):
 * "sl: LOCAL:PORT REMOTE:PORT ST tx:rx tr:when retrnsmt uid timeout
 * inode ...". Addresses are in the kernel's byte order (each 32-bit word
 * as the host stores it), both ends of one width; uid is decimal (of the
 * reader's user namespace). Returns 0 with *RET filled (netns 0), or
 * -EINVAL for the header line or anything else that is not such a line.
 */
int lo_tcp_parse_line(const char *line, struct lo_tcp_sock *ret);

enum lo_rdp_state {
	LO_RDP_UNKNOWN = 0,	/* not an Xvnc session, or not readable (not root) */
	LO_RDP_ATTACHED,	/* an xrdp client is connected */
	LO_RDP_DISCONNECTED,	/* the session's Xvnc has no xrdp client */
};

/* "unknown", "attached", "disconnected". */
const char *lo_rdp_state_name(enum lo_rdp_state state);

/*
 * The decision above, pure: TAB (N entries, of any network namespaces)
 * is what /proc/PID/net/tcp{,6} gave; SESSION (NS inodes) the sockets
 * the session's VNC server holds; XRDP (NX inodes) those xrdp processes
 * hold; both arrays in ascending order (they are binary-searched).
 * XRDP_UID is the uid of LO_XRDP_USER, (uid_t)-1 when there is none;
 * PORT the VNC port (LO_VNC_PORT_BASE + display). A peer is the entry of
 * the same netns whose local address and port are the other's remote
 * ones and the reverse. With ATTACHED, *RET_XRDP_INODE (may be NULL) is
 * the xrdp end's socket inode.
 * Besides the rules above, a connection to the port that root or the
 * xrdp account made (socket uid) from a process not recognised as xrdp
 * makes a session that would be disconnected unknown: it may be a
 * client. An accepted connection whose peer is in no table read is not
 * one: both ends of xrdp's connection are in the one table read, and
 * such a peer is what a user's own VNC server in a network namespace of
 * theirs gets from user-mode networking, which must not keep a session
 * from counting as disconnected.
 */
enum lo_rdp_state lo_rdp_classify(const struct lo_tcp_sock *tab, size_t n, uint16_t port,
				  const uint64_t *session, size_t ns, const uint64_t *xrdp,
				  size_t nx, uid_t xrdp_uid, uint64_t *ret_xrdp_inode);

/* What lo_rdp_measure found. */
struct lo_rdp_client {
	enum lo_rdp_state state;
	pid_t xrdp_pid;		/* ATTACHED: the xrdp process serving the client */
	uint64_t xrdp_inode;	/* ATTACHED: its end of the connection */
	unsigned long long xrdp_start;	/* its start time, clock ticks since boot */
};

/*
 * Measure the session on display :DISPLAY (0..59635) whose processes are
 * PIDS (N): their sockets from /proc/PID/fd, the TCP tables of their
 * network namespaces, and every xrdp process on the machine (a pass over
 * /proc). Needs root (another user's /proc/PID/fd and exe); a caller that
 * cannot read them gets LO_RDP_UNKNOWN, never a guess.
 * Returns 0 with *RET filled; -EINVAL for a bad display; a negative errno
 * (-ENOMEM, -EMFILE, -EIO) when something that exists could not be read:
 * never a partial answer, which could make an attached client look gone.
 */
int lo_rdp_measure(const pid_t *pids, size_t n, unsigned display, struct lo_rdp_client *ret);

/*
 * End the client connection that lo_rdp_measure found (Windows'
 * tsdiscon): SIGTERM to the xrdp process that serves it, through a pidfd
 * (pidfd_open(2), pidfd_send_signal(2)), after checking, with the pidfd
 * held, that the process is the same one (start time) and still an xrdp
 * process by the rules above. xrdp ends that client's connection on
 * SIGTERM and the session's X server goes on. A process that listens
 * (xrdp.ini fork = false: one process serves every client) is refused,
 * since its end would disconnect every client: the process must be a
 * child of an xrdp process, listen on nothing, and still hold the
 * connection's socket (CLIENT->xrdp_inode).
 * Returns 0; -ESRCH when it is gone already or no longer holds that
 * connection; -EPERM when it is no longer an xrdp process; -EBUSY for
 * one that serves every client; -EINVAL when CLIENT is not ATTACHED; the
 * errno of pidfd_open or pidfd_send_signal, or of reading /proc.
 */
int lo_rdp_disconnect(const struct lo_rdp_client *client);

#endif /* LO_CLI_RDP_H */
