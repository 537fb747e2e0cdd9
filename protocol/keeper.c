// SPDX-License-Identifier: MIT
/*
 * The keeper protocol's transport: one struct fe_keeper_msg a datagram on a
 * SOCK_SEQPACKET socket, with descriptors riding along (SCM_RIGHTS).  The
 * messages are include/hckns/keeper.h's; who may send which is the
 * keeper's table (keeper/keeper.c).
 */
#include "hckns/keeper.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The fields of each type: the union's member it uses, or none. */
static const int msg_size[FE_KEEPER_MSG_TYPES] = {
	[0] = -1,
	[FE_KEEPER_START] = sizeof(struct fe_km_start),
	[FE_KEEPER_STARTED] = sizeof(struct fe_km_started),
	[FE_KEEPER_FAILED] = sizeof(struct fe_km_failed),
	[FE_KEEPER_SLIRP_EXITED] = sizeof(struct fe_km_slirp_exited),
	[FE_KEEPER_READY] = 0,
	[FE_KEEPER_JOIN] = 0,
	[FE_KEEPER_JOINED] = sizeof(struct fe_km_joined),
	[FE_KEEPER_QUERY] = 0,
	[FE_KEEPER_INFO] = sizeof(struct fe_km_info),
	[FE_KEEPER_STOP] = sizeof(struct fe_km_stop),
	[FE_KEEPER_LEAVE] = 0,
	[FE_KEEPER_LEFT] = sizeof(struct fe_km_left),
	[FE_KEEPER_HELPER] = sizeof(struct fe_km_helper),
};

int fe_keeper_msg_size(uint32_t type)
{
	return type < FE_KEEPER_MSG_TYPES ? msg_size[type] : -1;
}

int fe_keeper_send(int sock, const struct fe_keeper_msg *m, const int *fds,
		   int nfds)
{
	const size_t at = offsetof(struct fe_keeper_msg, start);
	struct fe_keeper_msg wire;
	int size = fe_keeper_msg_size(m->type);

	if (size < 0)
		return -EINVAL;
	/*
	 * The type's fields, zeros elsewhere: an initializer of one union
	 * member need not zero the union's other bytes.
	 */
	memset(&wire, 0, sizeof(wire));
	wire.type = m->type;
	memcpy((char *)&wire + at, (const char *)m + at, (size_t)size);
	return fe_seqpacket_send(sock, &wire, sizeof(wire), fds, nfds);
}

int fe_keeper_recv(int sock, struct fe_keeper_msg *m, int *fds, int nfds,
		   int flags)
{
	return fe_seqpacket_recv(sock, m, sizeof(*m), fds, nfds, flags);
}

int fe_seqpacket_send(int sock, const void *buf, size_t len, const int *fds,
		      int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FE_NS_COUNT)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > FE_NS_COUNT)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		return -errno;
	return 0;
}

int fe_seqpacket_recv(int sock, void *buf, size_t len, int *fds, int nfds,
		      int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	int got = 0, r = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	if (n == 0)
		return -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int),
			       sizeof(int));
			if (got < nfds)
				fds[got] = fd;
			else
				close(fd);	/* not expected: not kept */
			got++;
		}
	}
	if (n != (ssize_t)len || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    got > nfds)
		r = -EPROTO;
	if (r < 0) {
		for (int i = 0; i < got && i < nfds; i++)
			close(fds[i]);
		return r;
	}
	return got;
}
