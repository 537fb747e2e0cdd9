/* SPDX-License-Identifier: MIT */
/* What every process of hckns shares: messages, processes, descriptors, files. */
#ifndef HCKNS_COMMON_UTIL_H
#define HCKNS_COMMON_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdarg.h>

/* Exit statuses (doc/design.md). */
#define FE_EXIT_FAILURE 125	/* hckns itself failed */
#define FE_EXIT_NOEXEC 126	/* command found but not executable */
#define FE_EXIT_NOTFOUND 127	/* command not found */

/* ---- util.c ---------------------------------------------------------- */

extern bool fe_verbose;
/* The last message of fe_error(), for the status fd's "exited" line. */
extern char fe_last_error[1024];

/* One line on stderr: "hckns: <message>". */
void fe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A trace line on stderr when verbose: "hckns: [  12.345 ms] <message>". */
void fe_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * fe_clone() - fork a child and get a pidfd of it.
 * @flags: extra clone3 flags: namespaces (CLONE_NEW*), CLONE_PARENT; where
 *         clone3 is missing, clone(2) takes them instead.
 * @pidfd: receives a pidfd (O_CLOEXEC) of the child in the parent.
 *
 * Return: as fork(2): the pid in the parent, 0 in the child, -errno.
 */
pid_t fe_clone(uint64_t flags, int *pidfd);

/*
 * fe_pidfd_wait() - waitid(2) on a pidfd (@options: WNOHANG, WNOWAIT...).
 * Return: a wait status as waitpid(2) gives it, -EAGAIN when WNOHANG found
 * it running, or -errno.
 */
int fe_pidfd_wait(int pidfd, int options);
/*
 * fe_child_die() - in a child that cannot go on (a dup2(2), an open(2)
 * failed before its exec): say so on stderr, "hckns: WHAT: strerror(errno)",
 * as bubblewrap's die_with_error() does, and exit FE_EXIT_FAILURE.
 */
void __attribute__((noreturn, format(printf, 1, 2)))
fe_child_die(const char *fmt, ...);
/* For __attribute__((cleanup(fe_closep))): close a descriptor at scope end. */
void fe_closep(int *fd);

/* pidfd_open(2): a pidfd of @pid, or -1 with errno. */
int fe_pidfd_open(pid_t pid);
/* Send @sig through a pidfd.  Return: 0, or -errno. */
int fe_pidfd_signal(int pidfd, int sig);
/* Return: 0, or -errno.  Retries EINTR and short writes. */
int fe_write_all(int fd, const void *buf, size_t len);
/* Write a whole small file (such as /proc/PID/uid_map).  Return 0 or -errno. */
int fe_write_file(const char *path, const char *text);
/* Remove a directory tree we own; does not follow symbolic links. */
int fe_rm_rf(const char *path);
/* The same for the entry @name of directory @dirfd, never through a link. */
int fe_rm_rf_at(int dirfd, const char *name);
/* Close every descriptor >= @from except those in @keep. */
void fe_close_from(int from, const int *keep, size_t nkeep);
/* Restore the default signal mask and dispositions (in a child). */
void fe_reset_signals(void);
/* "exited with status 3" / "killed by signal 9 (Killed)". */
void fe_describe_status(int wstatus, char *buf, size_t len);
/* Shell-style exit status: the status, or 128+N for a signal. */
int fe_exit_code(int wstatus);
/* Monotonic milliseconds since the first call. */
double fe_now_ms(void);

/**
 * fe_ns_check() - may we enter these namespaces?  @fds: FE_NS_COUNT
 * descriptors, FE_NS_* order.  The user namespace must be owned by our uid
 * and be a child of our own user namespace; each other one must be of its
 * type and owned by that user namespace.  Checked before any setns(), so
 * that a keeper that is not what it seems cannot make us enter anything
 * else.  Return: 0, or -EPERM/-EINVAL with the reason in @why.
 */
int fe_ns_check(const int *fds, int n, char *why, size_t whylen);

struct fe_linebuf;
/**
 * fe_linebuf_read() - one read(2) from @fd into the free room of @lb.
 * Return: the number of bytes read; 0 at end of file (@lb->eof is then
 * set); -EAGAIN when there is nothing to read yet; -ENOBUFS when @lb is full
 * (fe_linebuf_next() was not called until it returned 0); other -errno.
 */
ssize_t fe_linebuf_read(struct fe_linebuf *lb, int fd);

#endif
