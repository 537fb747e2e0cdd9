/* SPDX-License-Identifier: MIT */
/* The keeper protocol: the messages between the keeper and the processes that use its instance (protocol/keeper.c). */
#ifndef HCKNS_KEEPER_H
#define HCKNS_KEEPER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The instance's namespaces, in the order a process enters them (the user
 * namespace first, which gives it the capabilities the others need).
 * Descriptors of them travel in this order.
 */
enum { FE_NS_USER, FE_NS_NET, FE_NS_MNT, FE_NS_PID, FE_NS_COUNT };

/*
 * Messages between the keeper and the processes that use its instance, one
 * SOCK_SEQPACKET datagram each.  The creating front end's socketpair and
 * every connection to RUNDIR/keeper.sock that joined are the instance's
 * holders: the instance lives while one of them is open.
 */
enum fe_keeper_msg_type {
	FE_KEEPER_START = 1,	/* creator: start slirp4netns for .pid (the
				 * helper); the FE_NS_COUNT namespace
				 * descriptors ride along (SCM_RIGHTS) */
	FE_KEEPER_STARTED,	/* keeper: slirp4netns runs, .value = its pid */
	FE_KEEPER_FAILED,	/* keeper: refused, .value = errno */
	FE_KEEPER_SLIRP_EXITED,	/* keeper, to every holder: .value = status */
	FE_KEEPER_READY,	/* creator: configured, joiners may come */
	FE_KEEPER_JOIN,		/* joiner: let me in */
	FE_KEEPER_JOINED,	/* keeper: .pid = its pid, .value = the
				 * fingerprint of its network options, and
				 * the FE_NS_COUNT namespace descriptors */
	FE_KEEPER_QUERY,	/* `hckns ls` */
	FE_KEEPER_INFO,		/* keeper: .value = holders, .pid = its pid,
				 * .started = when (CLOCK_REALTIME s) */
	FE_KEEPER_STOP,		/* `hckns stop`; keeper, to every holder:
				 * .value = the pid of who asked */
	FE_KEEPER_LEAVE,	/* holder: I am leaving */
	FE_KEEPER_LEFT,		/* keeper: .value = holders that remain;
				   the last holder's comes once all is gone,
				   after a SLIRP_EXITED when slirp4netns
				   ended before it was stopped */
	FE_KEEPER_HELPER,	/* creator, once the helper answered hello:
				 * .pid = the helper; a copy of its socket
				 * and a pidfd of it ride along: the keeper
				 * holds the instance (its PID 1) from now */
};

struct fe_keeper_msg {
	uint32_t type;
	int32_t value;
	int32_t pid;
	int32_t flags;		/* JOINED, INFO: FE_KEEPER_F_* of the instance */
	int64_t started;	/* INFO */
};

/* The instance lets 10.0.2.2 reach the host's loopback (--host-loopback). */
#define FE_KEEPER_F_HOST_LOOPBACK 1

/* The keeper's socket for joiners, queries and stops, in the runtime dir. */
#define FE_KEEPER_SOCK "keeper.sock"
/* How long `hckns stop` lets the commands end after SIGTERM. */
#define FE_STOP_TIMEOUT_MS 5000

/*
 * fe_keeper_send() - one message, with @nfds (at most FE_NS_COUNT)
 * descriptors (SCM_RIGHTS).
 * Return: 0, or -errno.
 */
int fe_keeper_send(int sock, const struct fe_keeper_msg *m, const int *fds,
		   int nfds);
/*
 * fe_keeper_recv() - one message, and up to @nfds descriptors into @fds
 * (received close-on-exec; more than @nfds is malformed, all closed).
 * Return: the number of descriptors received, -EPIPE at EOF, -EPROTO for a
 * malformed message, -errno.
 */
int fe_keeper_recv(int sock, struct fe_keeper_msg *m, int *fds, int nfds,
		   int flags);

/*
 * The transport under them, for any datagram of a size both ends know
 * (frontend/links.c passes one descriptor and a number with it).
 * fe_seqpacket_send() - @len bytes, with @nfds (at most FE_NS_COUNT)
 * descriptors.  Return: 0, or -errno.
 * fe_seqpacket_recv() - one datagram of exactly @len bytes, and up to @nfds
 * descriptors, as fe_keeper_recv().
 */
int fe_seqpacket_send(int sock, const void *buf, size_t len, const int *fds,
		      int nfds);
int fe_seqpacket_recv(int sock, void *buf, size_t len, int *fds, int nfds,
		      int flags);

#endif
