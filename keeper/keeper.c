// SPDX-License-Identifier: MIT
/*
 * The keeper's life: one poll loop that owns the instance.
 *
 * Its holders are the creating front end's socketpair and every connection
 * to RUNDIR/keeper.sock that joined.  A holder leaves by closing its end,
 * whatever the reason (exit, crash, SIGKILL): the kernel closes it, so the
 * count is never wrong (connections, not pid lists).  When none remains,
 * the keeper takes the instance down in doc/design.md's order: no new joiners,
 * every forward removed while slirp4netns still runs, slirp4netns stopped,
 * the helper let go (its socket closed, its end awaited: the kernel ends
 * every process of its PID namespace first), the runtime directory
 * removed.
 *
 * Holding a copy of the helper's socket is what keeps the instance: the
 * helper, PID 1 of the instance's PID namespace, exits on EOF
 * (helper/hckns-helper.c), and the creating front end's copy and ours are
 * the only ones.  Whoever dies, nothing started inside survives the last
 * of us.
 */
#include "keeper/keeper.h"
#include "common/util.h"
#include "common/runtime.h"
#include "common/instances.h"
#include "common/slirp_api.h"
#include "model/opts.h"
#include "model/fwd.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Connections at once: holders, and queries or stops being answered. */
#define MAX_CONNS 256
/*
 * How long the helper may take to end once let go (it waits for the
 * kernel to end its namespace's processes), and again after SIGKILL.
 */
#define HELPER_END_MS 2000

struct conn {
	int fd;
	enum conn_role role;
};

struct keeper {
	const struct fe_opts *o;
	const char *rundir;
	const char *slirp;
	char api_sock[4200];
	struct conn conns[MAX_CONNS];	/* [0] is the creator */
	int listen_fd;
	int ready_w;		/* slirp4netns's ready pipe, until it starts */
	int exit_w;		/* slirp4netns's exit pipe: closing it stops it */
	int slirp_pidfd;
	int timer;		/* `hckns stop`'s deadline */
	int ns[FE_NS_COUNT];	/* user, net, mnt, pid of the instance */
	int helper_sock;	/* our copy of the helper's socket */
	int helper_pidfd;
	bool have_ns, ready, stopping;
	int holders;
	time_t started;
};

/* Whether @role holds the instance (the creator does, until it leaves). */
static bool holds(enum conn_role role)
{
	return role == CONN_CREATOR || role == CONN_HOLDER;
}

/* A message of the keeper's; one that cannot go is one the peer missed. */
static void send_msg(int fd, const struct fe_keeper_msg *m)
{
	fe_keeper_send(fd, m, NULL, 0);
}

static void send_failed(int fd, int err)
{
	send_msg(fd, &(struct fe_keeper_msg){ .type = FE_KEEPER_FAILED,
					      .failed = { .err = err } });
}

static void broadcast(struct keeper *k, const struct fe_keeper_msg *m)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (holds(k->conns[i].role))
			send_msg(k->conns[i].fd, m);
}

static void drop(struct keeper *k, int i)
{
	if (holds(k->conns[i].role))
		k->holders--;
	close(k->conns[i].fd);
	k->conns[i] = (struct conn){ .fd = -1, .role = CONN_FREE };
}

static int32_t instance_flags(const struct keeper *k)
{
	return k->o->host_loopback ? FE_KEEPER_F_HOST_LOOPBACK : 0;
}

static void joined(struct keeper *k, int i)
{
	struct fe_keeper_msg m = {
		.type = FE_KEEPER_JOINED,
		.joined = { .keeper_pid = (int32_t)getpid(),
			    .fingerprint = fe_network_fingerprint(k->o),
			    .flags = instance_flags(k) },
	};

	if (fe_keeper_send(k->conns[i].fd, &m, k->ns, FE_NS_COUNT) < 0) {
		drop(k, i);
		return;
	}
	k->conns[i].role = CONN_HOLDER;
	k->holders++;
}

/*
 * One function per message a connection may send, called by handle() once
 * the table below has let it through: the sender's role and the
 * descriptors that came (@fds, the function's to keep or close) are the
 * table's.  Each returns false when the connection is to be dropped.
 */

/* The creator's START: slirp4netns for the helper's namespaces. */
static bool on_start(struct keeper *k, int i, const struct fe_keeper_msg *m,
		     const int *ns)
{
	int creator = k->conns[i].fd;
	int exit_pipe[2];
	pid_t pid;

	if (k->have_ns || k->slirp_pidfd >= 0) {
		for (int j = 0; j < FE_NS_COUNT; j++)
			close(ns[j]);
		send_failed(creator, EALREADY);
		return true;
	}
	memcpy(k->ns, ns, sizeof(k->ns));
	k->have_ns = true;
	if (pipe2(exit_pipe, O_CLOEXEC) < 0) {
		send_failed(creator, errno);
		return true;
	}
	pid = fe_spawn_slirp(k->o, k->rundir, k->slirp, m->start.helper_pid,
			     k->ready_w, exit_pipe[0], &k->slirp_pidfd);
	/* Only slirp4netns holds these now: its exit makes EOF. */
	close(k->ready_w);
	k->ready_w = -1;
	close(exit_pipe[0]);
	k->exit_w = exit_pipe[1];
	if (pid < 0) {
		k->slirp_pidfd = -1;
		send_failed(creator, -pid);
	} else {
		send_msg(creator, &(struct fe_keeper_msg){
				 .type = FE_KEEPER_STARTED,
				 .started = { .slirp_pid = pid } });
	}
	return true;
}

/* The creator's HELPER: from now on we hold the instance too. */
static bool on_helper(struct keeper *k, int i, const struct fe_keeper_msg *m,
		      const int *fds)
{
	(void)i;
	(void)m;	/* the pidfd says which process it is */
	if (k->helper_sock >= 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	k->helper_sock = fds[0];
	k->helper_pidfd = fds[1];
	return true;
}

/* The creator's READY: the joiners that came too early join now. */
static bool on_ready(struct keeper *k, int i, const struct fe_keeper_msg *m,
		     const int *fds)
{
	(void)i;
	(void)m;
	(void)fds;
	k->ready = true;
	for (int j = 1; j < MAX_CONNS; j++)
		if (k->conns[j].role == CONN_WAITING)
			joined(k, j);
	return true;
}

/* A joiner: held now, or once the creator says READY; none once stopping. */
static bool on_join(struct keeper *k, int i, const struct fe_keeper_msg *m,
		    const int *fds)
{
	(void)m;
	(void)fds;
	if (k->stopping) {
		send_failed(k->conns[i].fd, ESHUTDOWN);
		return false;
	}
	if (k->ready)
		joined(k, i);
	else
		k->conns[i].role = CONN_WAITING;
	return true;
}

/* One answer, then the connection is done. */
static bool on_query(struct keeper *k, int i, const struct fe_keeper_msg *m,
		     const int *fds)
{
	(void)m;
	(void)fds;
	send_msg(k->conns[i].fd, &(struct fe_keeper_msg){
			 .type = FE_KEEPER_INFO,
			 .info = { .started = k->started,
				   .holders = k->holders,
				   .keeper_pid = (int32_t)getpid(),
				   .flags = instance_flags(k) } });
	return false;
}

/* `hckns stop`: holders are told; the stopper hears EOF when all is gone. */
static bool on_stop(struct keeper *k, int i, const struct fe_keeper_msg *m,
		    const int *fds)
{
	struct itimerspec t = {
		.it_value = { FE_STOP_TIMEOUT_MS / 1000,
			      (FE_STOP_TIMEOUT_MS % 1000) * 1000000L },
	};

	(void)m;
	(void)fds;
	k->conns[i].role = CONN_STOPPER;
	if (!k->stopping) {
		struct ucred c = { 0 };
		socklen_t len = sizeof(c);

		k->stopping = true;
		/*
		 * Each holder SIGTERMs its command; SIGKILL at the
		 * deadline.  They are told who asked: its pid.
		 */
		getsockopt(k->conns[i].fd, SOL_SOCKET, SO_PEERCRED, &c, &len);
		broadcast(k, &(struct fe_keeper_msg){
				  .type = FE_KEEPER_STOP,
				  .stop = { .by = (int32_t)c.pid } });
		timerfd_settime(k->timer, 0, &t, NULL);
	}
	return true;
}

/* A holder that leaves: told how many remain, the last one how it ended. */
static bool on_leave(struct keeper *k, int i, const struct fe_keeper_msg *m,
		     const int *fds)
{
	(void)m;
	(void)fds;
	/* Counted out now, so that the answer is right. */
	k->conns[i].role = CONN_NEW;
	k->holders--;
	if (k->holders == 0) {
		/* The last one hears how the teardown went. */
		k->conns[i].role = CONN_LEAVING;
		return true;
	}
	send_msg(k->conns[i].fd, &(struct fe_keeper_msg){
			 .type = FE_KEEPER_LEFT,
			 .left = { .holders = k->holders } });
	return false;
}

#define ROLE(r) (1U << (r))

/*
 * Who may send the keeper what (doc/design.md, "The keeper protocol"), how
 * many descriptors ride along, and what it does then.  The keeper's own
 * messages (STARTED, FAILED, SLIRP_EXITED, JOINED, INFO, LEFT) come from
 * no one.  Anything else drops the connection: a message from another
 * role, with other descriptors, of no type.
 */
static const struct rule {
	unsigned int from;	/* ROLE() of each role that may send it */
	int nfds;
	bool (*fn)(struct keeper *k, int i, const struct fe_keeper_msg *m,
		   const int *fds);
} rules[FE_KEEPER_MSG_TYPES] = {
	[FE_KEEPER_START] = { ROLE(CONN_CREATOR), FE_NS_COUNT, on_start },
	/* the helper's socket, a pidfd of it */
	[FE_KEEPER_HELPER] = { ROLE(CONN_CREATOR), 2, on_helper },
	[FE_KEEPER_READY] = { ROLE(CONN_CREATOR), 0, on_ready },
	[FE_KEEPER_JOIN] = { ROLE(CONN_NEW), 0, on_join },
	[FE_KEEPER_QUERY] = { ROLE(CONN_NEW), 0, on_query },
	[FE_KEEPER_STOP] = { ROLE(CONN_NEW), 0, on_stop },
	[FE_KEEPER_LEAVE] = { ROLE(CONN_CREATOR) | ROLE(CONN_HOLDER), 0,
			      on_leave },
};

static const struct rule *rule_of(uint32_t type)
{
	return type < FE_KEEPER_MSG_TYPES && rules[type].fn ? &rules[type]
							     : NULL;
}

bool fe_keeper_may_send(enum conn_role role, uint32_t type)
{
	const struct rule *r = rule_of(type);

	return r && (unsigned int)role < CONN_ROLES && (r->from & ROLE(role));
}

int fe_keeper_msg_fds(uint32_t type)
{
	const struct rule *r = rule_of(type);

	return r ? r->nfds : -1;
}

/* What a connection said; returns false when it is to be dropped. */
static bool handle(struct keeper *k, int i)
{
	struct fe_keeper_msg m;
	int fds[FE_NS_COUNT] = { -1, -1, -1, -1 };
	int r = fe_keeper_recv(k->conns[i].fd, &m, fds, FE_NS_COUNT,
			       MSG_DONTWAIT);
	const struct rule *rule;

	if (r == -EAGAIN)
		return true;
	if (r < 0)
		return false;	/* EOF or garbage: this one is gone */
	rule = rule_of(m.type);
	if (!rule || !fe_keeper_may_send(k->conns[i].role, m.type) ||
	    r != rule->nfds) {
		for (int j = 0; j < r; j++)
			close(fds[j]);
		return false;
	}
	return rule->fn(k, i, &m, fds);
}

static void accept_conn(struct keeper *k)
{
	/* cppcheck-suppress nullPointer ; accept4(2) takes NULL, NULL (gnu.cfg: no) */
	int fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* Only our own uid may join, ask, stop (SECURITY.md). */
	if (fe_peer_is_us(fd) < 0) {
		close(fd);
		return;
	}
	for (int i = 1; i < MAX_CONNS; i++)
		if (k->conns[i].role == CONN_FREE) {
			k->conns[i] = (struct conn){ .fd = fd, .role = CONN_NEW };
			return;
		}
	close(fd);	/* full: the joiner is told by EOF */
}

static void slirp_exited(struct keeper *k)
{
	int status = fe_pidfd_wait(k->slirp_pidfd, 0);

	close(k->slirp_pidfd);
	k->slirp_pidfd = -1;
	broadcast(k, &(struct fe_keeper_msg){
			  .type = FE_KEEPER_SLIRP_EXITED,
			  .slirp_exited = { .status = status } });
}

/* Every forward, whoever added it, while slirp4netns still runs. */
static void remove_forwards(struct keeper *k)
{
	struct fe_fwd *list = NULL;
	char why[FE_FWD_ERR_MAX];
	size_t n = 0;

	if (k->slirp_pidfd < 0 || !k->ready ||
	    fe_api_list(k->api_sock, &list, &n, why, sizeof(why)) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int r = fe_api_remove(k->api_sock, list[i].id, why, sizeof(why));

		fe_trace("forward %d removed: %s", list[i].id, r == 0 ? "ok" : why);
	}
	free(list);
}

/*
 * Let the helper go and wait (bounded) for its end.  Every holder has
 * closed its copy of its socket (the creator before it leaves), so closing
 * ours makes it exit; the kernel then kills every process of its PID
 * namespace, nested namespaces and all, and its pidfd turns readable only
 * once they are gone.  One that does not end is killed, with the same
 * effect.
 */
static void end_helper(struct keeper *k)
{
	struct pollfd p = { .fd = k->helper_pidfd, .events = POLLIN };

	if (k->helper_sock >= 0)
		close(k->helper_sock);
	k->helper_sock = -1;
	if (k->helper_pidfd < 0)
		return;
	if (poll(&p, 1, HELPER_END_MS) == 0) {
		fe_pidfd_signal(k->helper_pidfd, SIGKILL);
		if (poll(&p, 1, HELPER_END_MS) == 0)
			fe_trace("the helper has not ended within %d ms",
				 2 * HELPER_END_MS);
	}
	close(k->helper_pidfd);
	k->helper_pidfd = -1;
}

static void __attribute__((noreturn)) teardown(struct keeper *k)
{
	char path[4200];
	int slirp_status = -1;

	/* No one joins an instance that is going away. */
	close(k->listen_fd);
	snprintf(path, sizeof(path), "%s/%s", k->rundir, FE_KEEPER_SOCK);
	unlink(path);
	for (int i = 1; i < MAX_CONNS; i++)
		if (k->conns[i].role == CONN_WAITING || k->conns[i].role == CONN_NEW)
			drop(k, i);
	remove_forwards(k);
	/* Ended before it was asked to: the last holder is told below. */
	if (k->slirp_pidfd >= 0 &&
	    poll(&(struct pollfd){ .fd = k->slirp_pidfd, .events = POLLIN },
		 1, 0) == 1) {
		slirp_status = fe_pidfd_wait(k->slirp_pidfd, 0);
		close(k->slirp_pidfd);
		k->slirp_pidfd = -1;
	}
	/*
	 * Closing the exit pipe asks slirp4netns to stop (1 s, then SIGKILL);
	 * then the helper goes, and every process of the instance with it.
	 * slirp4netns is not in the instance's PID namespace (it is our
	 * child), so it ends by its exit pipe, not with the namespace.
	 */
	if (k->exit_w >= 0)
		close(k->exit_w);
	if (k->slirp_pidfd >= 0) {
		struct pollfd p = { .fd = k->slirp_pidfd, .events = POLLIN };

		if (poll(&p, 1, 1000) == 0)
			fe_pidfd_signal(k->slirp_pidfd, SIGKILL);
		waitid(P_PIDFD, (id_t)k->slirp_pidfd, &(siginfo_t){ 0 }, WEXITED);
	}
	end_helper(k);
	fe_rm_rf(k->rundir);
	for (int i = 0; i < MAX_CONNS; i++) {
		const struct fe_keeper_msg exited = {
			.type = FE_KEEPER_SLIRP_EXITED,
			.slirp_exited = { .status = slirp_status },
		}, left = { .type = FE_KEEPER_LEFT, .left = { .holders = 0 } };

		if (k->conns[i].role != CONN_LEAVING)
			continue;
		if (slirp_status >= 0)
			send_msg(k->conns[i].fd, &exited);
		send_msg(k->conns[i].fd, &left);
	}
	/* `hckns stop` waits for our exit: its connection's EOF. */
	_exit(0);
}

static void __attribute__((noreturn))
keeper_main(const struct fe_opts *o, const char *rundir, const char *slirp,
	       int sock, int ready_w, int listen_fd)
{
	static struct keeper k;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Its own session: a terminal's Ctrl-C or hangup is not for it. */
	setsid();
	prctl(PR_SET_NAME, "hckns-keeper");
	/* Keep stderr for messages; a script's pipes must not wait on us. */
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	fe_reset_signals();
	signal(SIGPIPE, SIG_IGN);

	k = (struct keeper){
		.o = o, .rundir = rundir, .slirp = slirp,
		.listen_fd = listen_fd, .ready_w = ready_w, .exit_w = -1,
		.slirp_pidfd = -1, .ns = { -1, -1, -1, -1 }, .holders = 1,
		.helper_sock = -1, .helper_pidfd = -1,
		.started = time(NULL),
		.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC),
	};
	snprintf(k.api_sock, sizeof(k.api_sock), "%s/%s", rundir, FE_API_SOCK);
	for (int i = 0; i < MAX_CONNS; i++)
		k.conns[i] = (struct conn){ .fd = -1, .role = CONN_FREE };
	k.conns[0] = (struct conn){ .fd = sock, .role = CONN_CREATOR };

	while (k.holders > 0) {
		/*
		 * Only the open connections: poll(2) refuses more entries
		 * than RLIMIT_NOFILE, and a caller may run with a low one.
		 */
		struct pollfd p[MAX_CONNS + 3];
		int idx[MAX_CONNS], n = 0, nconn;

		for (int i = 0; i < MAX_CONNS; i++)
			if (k.conns[i].role != CONN_FREE) {
				idx[n] = i;
				p[n++] = (struct pollfd){ .fd = k.conns[i].fd,
							  .events = POLLIN };
			}
		nconn = n;
		p[n++] = (struct pollfd){ .fd = k.listen_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = k.slirp_pidfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = k.timer, .events = POLLIN };
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int j = 0; j < nconn; j++)
			if (p[j].revents && k.conns[idx[j]].role != CONN_FREE &&
			    !handle(&k, idx[j]))
				drop(&k, idx[j]);
		if (p[nconn].revents)
			accept_conn(&k);
		if (p[nconn + 1].revents && k.slirp_pidfd >= 0)
			slirp_exited(&k);
		if (p[nconn + 2].revents) {
			uint64_t ticks;

			/*
			 * `hckns stop`: the commands had their chance.  The
			 * helper's death ends its PID namespace: the kernel
			 * kills every process in it, and each holder, its
			 * command gone, leaves.
			 */
			if (read(k.timer, &ticks, sizeof(ticks)) > 0 &&
			    k.helper_pidfd >= 0)
				fe_pidfd_signal(k.helper_pidfd, SIGKILL);
		}
	}
	teardown(&k);
}

int fe_keeper_start(struct fe_keeper *k, const struct fe_opts *o,
		    const char *rundir, const char *slirp, int lock_fd,
		    int listen_fd)
{
	int sv[2], ready[2], pidfd = -1, r;
	pid_t pid;

	*k = (struct fe_keeper){ .pid = -1, .pidfd = -1, .sock = -1,
				 .ready_fd = -1 };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (pipe2(ready, O_CLOEXEC) < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	pid = fe_clone(0, &pidfd);
	if (pid == 0) {
		int keep[] = { sv[1], ready[1], lock_fd, listen_fd };
		size_t nkeep = 4;

		/*
		 * Nothing of the front end's but these; the lock's open file
		 * description is shared, so the instance stays locked while
		 * either of us lives.
		 */
		for (size_t i = 0; i < nkeep; i++)
			for (size_t j = i + 1; j < nkeep; j++)
				if (keep[j] < keep[i]) {
					int t = keep[i];

					keep[i] = keep[j];
					keep[j] = t;
				}
		fe_close_from(3, keep, nkeep);
		keeper_main(o, rundir, slirp, sv[1], ready[1], listen_fd);
	}
	close(sv[1]);
	close(ready[1]);
	if (pid < 0) {
		close(sv[0]);
		close(ready[0]);
		return pid;
	}
	k->pid = pid;
	k->pidfd = pidfd;
	k->sock = sv[0];
	k->ready_fd = ready[0];
	return 0;
}
