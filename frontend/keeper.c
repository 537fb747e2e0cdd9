// SPDX-License-Identifier: MIT
/*
 * The keeper: a fork of the front end that owns the runtime directory and
 * slirp4netns.  It outlives nothing: when the front end's end of its channel
 * closes (normal exit, crash or SIGKILL), it kills every process left in the
 * instance's user namespace, slirp4netns among them, removes the runtime
 * directory and exits.
 */
#include "fe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Descriptor numbers slirp4netns gets for -r and -e. */
#define SLIRP_READY_FD 3
#define SLIRP_EXIT_FD 4

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int fe_sweep_userns(uint64_t dev, uint64_t ino)
{
	int killed = 0;

	/*
	 * Bounded: each round kills what it finds and waits for it; a
	 * process forked between a scan and a kill is found by the next.
	 */
	for (int round = 0; round < 20; round++) {
		int found = 0;
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (!d)
			return killed;
		while ((e = readdir(d)) != NULL) {
			char path[64];
			struct stat st;
			struct pollfd p;
			char *end;
			long pid = strtol(e->d_name, &end, 10);
			int fd;

			if (*end || pid <= 1 || pid == getpid())
				continue;
			/*
			 * Pin the process first, then look at its namespace:
			 * if the pid was reused in between, both the pidfd
			 * and the check refer to the new process.
			 */
			fd = pidfd_open_((pid_t)pid);
			if (fd < 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
			if (stat(path, &st) == 0 && (uint64_t)st.st_dev == dev &&
			    (uint64_t)st.st_ino == ino &&
			    fe_pidfd_signal(fd, SIGKILL) == 0) {
				found++;
				p = (struct pollfd){ .fd = fd, .events = POLLIN };
				poll(&p, 1, 200);
			}
			close(fd);
		}
		closedir(d);
		killed += found;
		if (!found)
			break;
	}
	return killed;
}

static pid_t spawn_slirp(const struct fe_opts *o, const char *rundir,
			 const char *slirp, pid_t target, int ready_fd,
			 int exit_fd, int *pidfd)
{
	char sock[256], log[256], mtu[16], pid[16];
	char *argv[16];
	int argc = 0;
	pid_t child;

	snprintf(sock, sizeof(sock), "%s/%s", rundir, FE_API_SOCK);
	snprintf(log, sizeof(log), "%s/%s", rundir, FE_SLIRP_LOG);
	snprintf(mtu, sizeof(mtu), "%u", o->mtu);
	snprintf(pid, sizeof(pid), "%d", (int)target);
	argv[argc++] = "slirp4netns";
	argv[argc++] = "--ready-fd=3";
	argv[argc++] = "--exit-fd=4";
	argv[argc++] = "--api-socket";
	argv[argc++] = sock;
	argv[argc++] = "--mtu";
	argv[argc++] = mtu;
	if (!o->host_loopback)
		argv[argc++] = "--disable-host-loopback";
	argv[argc++] = pid;
	argv[argc++] = FE_TAP_NAME;
	argv[argc] = NULL;

	child = fe_clone(0, pidfd);
	if (child != 0)
		return child;

	/* The child: becomes slirp4netns. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!o->verbose) {
		/* Its banner and chatter go to a log we show when it fails. */
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			      O_NOFOLLOW, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0)
			_exit(FE_EXIT_FAILURE);
	} else {
		dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	if (dup2(ready_fd, SLIRP_READY_FD) < 0 ||
	    dup2(exit_fd, SLIRP_EXIT_FD) < 0)
		_exit(FE_EXIT_FAILURE);
	fe_close_from(SLIRP_EXIT_FD + 1, NULL, 0);
	fe_reset_signals();
	execv(slirp, argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", slirp, strerror(errno));
	_exit(FE_EXIT_FAILURE);
}

static void keeper_send(int sock, uint32_t type, int32_t value)
{
	struct fe_keeper_msg m = { .type = type, .value = value };

	send(sock, &m, sizeof(m), MSG_NOSIGNAL);
}

static void __attribute__((noreturn))
keeper_main(const struct fe_opts *o, const char *rundir, const char *slirp,
	    int sock, int ready_w)
{
	int exit_pipe[2] = { -1, -1 };
	int slirp_pidfd = -1;
	pid_t slirp_pid = -1;
	struct fe_keeper_msg m = { 0 };
	bool have_ns = false;

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

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = slirp_pidfd, .events = POLLIN },
		};
		struct fe_keeper_msg in;
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			siginfo_t si = { 0 };
			int status;

			waitid(P_PIDFD, (id_t)slirp_pidfd, &si, WEXITED);
			status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
							  : si.si_status & 0x7f;
			close(slirp_pidfd);
			slirp_pidfd = -1;
			slirp_pid = -1;
			keeper_send(sock, FE_KEEPER_SLIRP_EXITED, status);
		}
		if (!p[0].revents)
			continue;
		n = recv(sock, &in, sizeof(in), 0);
		if (n <= 0)
			break;	/* the front end is gone: tear down */
		if (n != sizeof(in) || in.type != FE_KEEPER_START ||
		    slirp_pid > 0 || have_ns)
			break;	/* not from our front end: tear down */
		m = in;
		have_ns = true;
		if (pipe2(exit_pipe, O_CLOEXEC) < 0) {
			keeper_send(sock, FE_KEEPER_FAILED, errno);
			continue;
		}
		slirp_pid = spawn_slirp(o, rundir, slirp, m.pid, ready_w,
					exit_pipe[0], &slirp_pidfd);
		/* Only slirp4netns holds these now: its exit makes EOF. */
		close(ready_w);
		ready_w = -1;
		close(exit_pipe[0]);
		if (slirp_pid < 0)
			keeper_send(sock, FE_KEEPER_FAILED, -slirp_pid);
		else
			keeper_send(sock, FE_KEEPER_STARTED, slirp_pid);
	}

	/*
	 * Teardown.  Closing the exit pipe asks slirp4netns to stop; the
	 * sweep then kills whatever is left in the namespace, slirp4netns
	 * included if it has not stopped yet.
	 */
	if (exit_pipe[1] >= 0)
		close(exit_pipe[1]);
	if (have_ns)
		fe_sweep_userns(m.userns_dev, m.userns_ino);
	if (slirp_pidfd >= 0) {
		struct pollfd p = { .fd = slirp_pidfd, .events = POLLIN };

		if (poll(&p, 1, 1000) == 0)
			fe_pidfd_signal(slirp_pidfd, SIGKILL);
		waitid(P_PIDFD, (id_t)slirp_pidfd, &(siginfo_t){ 0 }, WEXITED);
	}
	fe_rm_rf(rundir);
	_exit(0);
}

int fe_keeper_start(struct fe_keeper *k, const struct fe_opts *o,
		    const char *rundir, const char *slirp, int lock_fd)
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
		int keep[] = { sv[1], ready[1], lock_fd };
		size_t nkeep = lock_fd >= 0 ? 3 : 2;

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
		keeper_main(o, rundir, slirp, sv[1], ready[1]);
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
