// SPDX-License-Identifier: MIT
/* Small helpers of the front end: messages, processes, files. */
#include "common/util.h"
#include "model/fwd.h"
#include "hckns/keeper.h"

#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool fe_verbose;
char fe_last_error[1024];

void fe_error(const char *fmt, ...)
{
	char *line = fe_last_error;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(fe_last_error), fmt, ap);
	va_end(ap);
	/* One write, so that lines of concurrent processes do not mix. */
	dprintf(STDERR_FILENO, "hckns: %s\n", line);
}

void fe_child_die(const char *fmt, ...)
{
	char msg[512];
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "hckns: %s: %s\n", msg, strerror(err));
	_exit(FE_EXIT_FAILURE);
}

void fe_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int fe_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

double fe_now_ms(void)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (t0.tv_sec == 0 && t0.tv_nsec == 0)
		t0 = t;
	return (double)(t.tv_sec - t0.tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

void fe_trace(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!fe_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "hckns: [%9.3f ms] %s\n", fe_now_ms(), line);
}

pid_t fe_clone(uint64_t flags, int *pidfd)
{
	struct clone_args args = {
		.flags = flags | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		/* CLONE_PARENT: the caller's own, which clone3 wants as 0. */
		.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
	};
	long r;

	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0)
		return (pid_t)r;
	if (errno != ENOSYS)
		return -errno;
	/*
	 * No clone3 (container seccomp profiles answer ENOSYS): fork, or
	 * clone(2) with the flags and no new stack (the child returns here,
	 * as from fork), then a pidfd of the child.  It cannot be reaped
	 * before we do, so its pid cannot be reused in between.
	 */
	if (flags == 0)
		r = fork();
	else
		r = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0L, 0L,
			    0L, 0L);
	if (r <= 0)
		return r < 0 ? -errno : 0;
	*pidfd = fe_pidfd_open((pid_t)r);
	if (*pidfd < 0) {
		int e = errno;

		kill((pid_t)r, SIGKILL);
		waitpid((pid_t)r, NULL, 0);
		return -e;
	}
	return (pid_t)r;
}

int fe_pidfd_wait(int pidfd, int options)
{
	siginfo_t si = { 0 };

	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | options) < 0)
		return -errno;
	if (si.si_pid == 0)
		return -EAGAIN;		/* WNOHANG: still running */
	if (si.si_code == CLD_EXITED)
		return W_EXITCODE(si.si_status, 0);
	return si.si_status & 0x7f;
}

int fe_pidfd_signal(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int fe_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fe_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return -errno;
	r = fe_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* NOLINTNEXTLINE(misc-no-recursion): only as deep as a runtime directory */
static int rm_rf_at(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int r = 0;

	if (!d) {
		close(dirfd);
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno == EISDIR || errno == EPERM) {
			int sub = openat(dirfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				int s = rm_rf_at(sub);

				if (s < 0 && r == 0)
					r = s;
			}
			if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0 &&
			    errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		if (r == 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

int fe_rm_rf_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	int r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = rm_rf_at(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int fe_rm_rf(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = rm_rf_at(fd);
	if (rmdir(path) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

void fe_close_from(int from, const int *keep, size_t nkeep)
{
	int lo = from;

	/* keep[] is small and sorted ascending by the callers. */
	for (size_t i = 0; i < nkeep; i++) {
		if (keep[i] < lo)
			continue;
		if (keep[i] > lo)
			close_range((unsigned int)lo, (unsigned int)keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	close_range((unsigned int)lo, ~0u, 0);
}

void fe_reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void fe_describe_status(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)));
	else
		snprintf(buf, len, "stopped (status 0x%x)", (unsigned int)wstatus);
}

int fe_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return FE_EXIT_FAILURE;
}

/* st_dev/st_ino of a namespace: the same namespace, the same pair. */
static bool same_file(int fd, const struct stat *b)
{
	struct stat a;

	return fstat(fd, &a) == 0 && a.st_dev == b->st_dev &&
	       a.st_ino == b->st_ino;
}

int fe_ns_check(const int *fds, int n, char *why, size_t whylen)
{
	static const int types[FE_NS_COUNT] = {
		CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID,
	};
	static const char *const names[FE_NS_COUNT] = {
		"user", "network", "mount", "PID",
	};
	struct stat self, user;
	uid_t owner = (uid_t)-1;
	int parent;

	if (n != FE_NS_COUNT || stat("/proc/self/ns/user", &self) < 0 ||
	    fstat(fds[FE_NS_USER], &user) < 0) {
		snprintf(why, whylen, "cannot look at the namespaces received");
		return -EINVAL;
	}
	if (ioctl(fds[FE_NS_USER], NS_GET_NSTYPE) != CLONE_NEWUSER ||
	    ioctl(fds[FE_NS_USER], NS_GET_OWNER_UID, &owner) < 0 ||
	    owner != getuid()) {
		snprintf(why, whylen, "the user namespace received is not one "
			 "of yours (its owner is uid %d)", (int)owner);
		return -EPERM;
	}
	/* A child of ours, not some other user namespace we could enter. */
	parent = ioctl(fds[FE_NS_USER], NS_GET_PARENT);
	if (parent < 0 || !same_file(parent, &self)) {
		if (parent >= 0)
			close(parent);
		snprintf(why, whylen, "the user namespace received is not a "
			 "child of yours");
		return -EPERM;
	}
	close(parent);
	for (int i = 0; i < n; i++) {
		int ns;

		if (i == FE_NS_USER)
			continue;
		ns = ioctl(fds[i], NS_GET_USERNS);
		if (ioctl(fds[i], NS_GET_NSTYPE) != types[i] || ns < 0 ||
		    !same_file(ns, &user)) {
			if (ns >= 0)
				close(ns);
			snprintf(why, whylen, "the %s namespace received is not "
				 "one of the instance's user namespace", names[i]);
			return -EPERM;
		}
		close(ns);
	}
	return 0;
}

ssize_t fe_linebuf_read(struct fe_linebuf *lb, int fd)
{
	size_t room = fe_linebuf_room(lb);
	ssize_t n;

	if (room == 0)
		return -ENOBUFS;
	do
		n = read(fd, lb->buf + lb->len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		lb->eof = true;
	lb->len += (size_t)n;
	return n;
}
