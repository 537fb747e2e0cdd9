// SPDX-License-Identifier: MIT
/* Start hckns-helper in new namespaces and talk to it. */
#include "fe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The helper finds its socket here (helper/hckns-helper.c). */
#define HELPER_SOCK_FD 3

/*
 * The namespaces of an instance.  The kernel creates the user namespace
 * first, so it owns the others; the child is the PID namespace's PID 1.
 */
#define HELPER_NS_FLAGS \
	(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID)

static void __attribute__((noreturn))
child_exec_helper(const char *path, int sock, int gate, int stderr_fd)
{
	char c;
	int null;

	/* Wait for our id maps; EOF without a byte means the parent gave up. */
	if (read(gate, &c, 1) != 1)
		_exit(FE_EXIT_FAILURE);
	/*
	 * Its own session: a terminal's Ctrl-C or hangup is not for it.  No
	 * parent-death signal: the instance outlives this front end while
	 * the keeper holds the socket (hckns-helper.c, PID 1).
	 */
	setsid();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(stderr_fd >= 0 ? stderr_fd : null, STDERR_FILENO) < 0 ||
	    dup2(sock, HELPER_SOCK_FD) < 0)
		_exit(FE_EXIT_FAILURE);
	fe_close_from(HELPER_SOCK_FD + 1, NULL, 0);
	fe_reset_signals();
	execl(path, "hckns-helper", (char *)NULL);
	dprintf(STDERR_FILENO, "hckns: cannot run the helper %s: %s\n", path,
		strerror(errno));
	_exit(FE_EXIT_FAILURE);
}

static int write_maps(pid_t pid, const struct fe_idmap *map, char *why,
		      size_t whylen)
{
	char path[64], text[64];
	int r;

	/* Through newuidmap and newgidmap; setgroups(2) stays allowed. */
	if (map->subids)
		return fe_idmap_write_subids(pid, map, why, whylen);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(text, sizeof(text), "0 %u 1\n", (unsigned int)map->outer_uid);
	r = fe_write_file(path, text);
	if (r < 0) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-r));
		return r;
	}
	/* Required before an unprivileged gid_map; harmless for root. */
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	r = fe_write_file(path, "deny\n");
	if (r < 0 && r != -ENOENT) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(text, sizeof(text), "0 %u 1\n", (unsigned int)map->outer_gid);
	r = fe_write_file(path, text);
	if (r < 0) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

int fe_helper_spawn(struct fe_helper *h, const char *path,
		    const struct fe_idmap *map, int stderr_fd,
		    char *why, size_t whylen)
{
	int sv[2], gate[2], pidfd = -1, r;
	pid_t pid;

	*h = (struct fe_helper){ .pid = -1, .pidfd = -1, .sock = -1 };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		snprintf(why, whylen, "socketpair: %s", strerror(errno));
		return r;
	}
	if (pipe2(gate, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	/* The child is born in its namespaces, or the clone fails. */
	pid = fe_clone(HELPER_NS_FLAGS, &pidfd);
	if (pid == 0) {
		close(gate[1]);
		close(sv[0]);
		child_exec_helper(path, sv[1], gate[0], stderr_fd);
	}
	close(gate[0]);
	close(sv[1]);
	if (pid < 0) {
		r = pid;
		snprintf(why, whylen, "cannot create user, network, mount and "
			 "PID namespaces: %s", strerror(-r));
		close(gate[1]);
		close(sv[0]);
		return r;
	}
	h->pid = pid;
	h->pidfd = pidfd;
	h->sock = sv[0];
	r = write_maps(pid, map, why, whylen);
	h->idmap_failed = r < 0;
	if (r == 0 && write(gate[1], "g", 1) != 1) {
		r = -errno;
		snprintf(why, whylen, "cannot start the helper: %s", strerror(errno));
	}
	close(gate[1]);
	if (r < 0) {
		fe_helper_close(h, 1000);
		return r;
	}
	return 0;
}

int fe_helper_call(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen)
{
	unsigned char buf[PROTO_MSG_MAX + 1];
	struct proto_msg ans;
	uint32_t seq = ++h->seq;
	ssize_t n;
	int len, r;

	if (rlen)
		reason[0] = '\0';
	len = proto_encode(op, seq, payload, plen, buf, sizeof(buf));
	if (len < 0)
		return len;
	if (send(h->sock, buf, (size_t)len, MSG_NOSIGNAL) != len) {
		r = errno == EPIPE || errno == ECONNRESET ? -EPIPE : -errno;
		if (rlen)
			snprintf(reason, rlen, "the helper is gone");
		return r;
	}
	do
		n = recv(h->sock, buf, sizeof(buf), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (rlen)
			snprintf(reason, rlen, "the helper is gone");
		return n == 0 || errno == ECONNRESET ? -EPIPE : -errno;
	}
	if ((size_t)n > sizeof(buf) || proto_decode(buf, (size_t)n, &ans) < 0 ||
	    ans.hdr.op != (PROTO_ANS | op) || ans.hdr.seq != seq) {
		if (rlen)
			snprintf(reason, rlen, "malformed answer from the helper");
		return -EPROTO;
	}
	if (ans.u.answer.err == 0)
		return 0;
	if (rlen)
		snprintf(reason, rlen, "%s", ans.u.answer.reason);
	return -ans.u.answer.err;
}

int fe_helper_close(struct fe_helper *h, int timeout_ms)
{
	int status = 0, r = 0;

	if (h->sock >= 0)
		close(h->sock);
	h->sock = -1;
	if (h->pid > 0) {
		struct pollfd p = { .fd = h->pidfd, .events = POLLIN };

		if (poll(&p, 1, timeout_ms) == 0) {
			/* It should have exited on EOF; do not wait forever. */
			fe_pidfd_signal(h->pidfd, SIGKILL);
			r = -ETIMEDOUT;
		}
		if (waitpid(h->pid, &status, 0) < 0 && r == 0)
			r = -errno;
		else if (r == 0)
			r = status;
	}
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pid = -1;
	h->pidfd = -1;
	return r;
}
