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
 * SOCK_SEQPACKET datagram each, all of one size (struct fe_keeper_msg).
 * The creating front end's socketpair and every connection to
 * RUNDIR/keeper.sock that joined are the instance's holders: the instance
 * lives while one of them is open.  Who may send which the keeper says in
 * its table (keeper/keeper.c, doc/design.md "The keeper protocol").
 */
enum fe_keeper_msg_type {
	FE_KEEPER_START = 1,	/* creator: .start; the FE_NS_COUNT
				 * namespace descriptors ride along */
	FE_KEEPER_STARTED,	/* keeper: .started */
	FE_KEEPER_FAILED,	/* keeper: .failed */
	FE_KEEPER_SLIRP_EXITED,	/* keeper, to every holder: .slirp_exited */
	FE_KEEPER_READY,	/* creator: configured, joiners may come */
	FE_KEEPER_JOIN,		/* joiner: let me in */
	FE_KEEPER_JOINED,	/* keeper: .joined, and the FE_NS_COUNT
				 * namespace descriptors */
	FE_KEEPER_QUERY,	/* `hckns ls` */
	FE_KEEPER_INFO,		/* keeper: .info */
	FE_KEEPER_STOP,		/* `hckns stop` (nothing); the keeper, to
				 * every holder: .stop */
	FE_KEEPER_LEAVE,	/* holder: I am leaving */
	FE_KEEPER_LEFT,		/* keeper: .left; the last holder's comes
				 * once all is gone, after a SLIRP_EXITED
				 * when slirp4netns ended before it was
				 * stopped */
	FE_KEEPER_HELPER,	/* creator, once the helper answered hello:
				 * .helper; a copy of its socket and a
				 * pidfd of it ride along: the keeper holds
				 * the instance (its PID 1) from now */
	FE_KEEPER_MSG_TYPES	/* not a message: one past the last */
};

/* START: start slirp4netns for the helper's namespaces. */
struct fe_km_start {
	int32_t helper_pid;
};

/* STARTED: slirp4netns runs. */
struct fe_km_started {
	int32_t slirp_pid;
};

/* FAILED: the keeper refused (START, or JOIN once stopping). */
struct fe_km_failed {
	int32_t err;		/* an errno */
};

/* SLIRP_EXITED: slirp4netns ended before it was stopped. */
struct fe_km_slirp_exited {
	int32_t status;		/* its wait status */
};

/* JOINED: the joiner is a holder now. */
struct fe_km_joined {
	int32_t keeper_pid;
	int32_t fingerprint;	/* fe_network_fingerprint() of the instance */
	int32_t flags;		/* FE_KEEPER_F_* */
};

/* INFO: the answer to a QUERY. */
struct fe_km_info {
	int64_t started;	/* when, CLOCK_REALTIME seconds */
	int32_t holders;
	int32_t keeper_pid;
	int32_t flags;		/* FE_KEEPER_F_* */
};

/* STOP, from the keeper: who asked (to the keeper it carries nothing). */
struct fe_km_stop {
	int32_t by;		/* the pid of the `hckns stop` */
};

/* LEFT: how many holders remain (0: all is gone). */
struct fe_km_left {
	int32_t holders;
};

/* HELPER: the helper whose socket and pidfd ride along. */
struct fe_km_helper {
	int32_t helper_pid;
};

/*
 * One message: its type and that type's fields, no others (READY, JOIN,
 * QUERY, LEAVE have none).  Whatever the type, the datagram is the whole
 * struct, zeroed where the type has nothing.
 */
struct fe_keeper_msg {
	uint32_t type;		/* enum fe_keeper_msg_type */
	uint32_t reserved;	/* 0: the union's alignment, stated */
	union {
		struct fe_km_start start;
		struct fe_km_started started;
		struct fe_km_failed failed;
		struct fe_km_slirp_exited slirp_exited;
		struct fe_km_joined joined;
		struct fe_km_info info;
		struct fe_km_stop stop;
		struct fe_km_left left;
		struct fe_km_helper helper;
	};
};

/* The datagram's size: every message, whatever its type. */
#define FE_KEEPER_MSG_SIZE 32
_Static_assert(sizeof(struct fe_keeper_msg) == FE_KEEPER_MSG_SIZE,
	       "the keeper's messages are FE_KEEPER_MSG_SIZE bytes");

/* The instance lets 10.0.2.2 reach the host's loopback (--host-loopback). */
#define FE_KEEPER_F_HOST_LOOPBACK 1

/* The keeper's socket for joiners, queries and stops, in the runtime dir. */
#define FE_KEEPER_SOCK "keeper.sock"
/* How long `hckns stop` lets the commands end after SIGTERM. */
#define FE_STOP_TIMEOUT_MS 5000

/*
 * fe_keeper_msg_size() - how many bytes of the union @type uses: its
 * struct's size, 0 for the types without fields.
 * Return: that, or -1 for a type that is none.
 */
int fe_keeper_msg_size(uint32_t type);

/*
 * fe_keeper_send() - one message, with @nfds (at most FE_NS_COUNT)
 * descriptors (SCM_RIGHTS).  Only @m's type and its type's fields are
 * sent; every other byte of the datagram is 0.
 * Return: 0, or -errno (-EINVAL: no such type).
 */
int fe_keeper_send(int sock, const struct fe_keeper_msg *m, const int *fds,
		   int nfds);
/*
 * fe_keeper_recv() - one message, and up to @nfds descriptors into @fds
 * (received close-on-exec; more than @nfds is malformed, all closed).  The
 * type is not checked: the reader checks it is one it expects.
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
