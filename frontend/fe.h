/* SPDX-License-Identifier: MIT */
/* hckns front end: declarations shared by its files. */
#ifndef HCKNS_FE_H
#define HCKNS_FE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hckns/proto.h"

/* Exit statuses (DESIGN.md). */
#define FE_EXIT_FAILURE 125	/* hckns itself failed */
#define FE_EXIT_NOEXEC 126	/* command found but not executable */
#define FE_EXIT_NOTFOUND 127	/* command not found */

/* ---- util.c ---------------------------------------------------------- */

extern bool fe_verbose;

/* One line on stderr: "hckns: <message>". */
void fe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A trace line on stderr when verbose: "hckns: [  12.345 ms] <message>". */
void fe_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * fe_clone() - fork a child, optionally into new namespaces.
 * @flags: CLONE_NEW* flags (0 for a plain fork).
 * @pidfd: receives a pidfd (O_CLOEXEC) of the child in the parent.
 *
 * Return: as fork(2): the pid in the parent, 0 in the child, -errno.
 */
pid_t fe_clone(uint64_t flags, int *pidfd);

/* Send @sig through a pidfd.  Return: 0, or -errno. */
int fe_pidfd_signal(int pidfd, int sig);
/* Return: 0, or -errno.  Retries EINTR and short writes. */
int fe_write_all(int fd, const void *buf, size_t len);
/* Write a whole small file (such as /proc/PID/uid_map).  Return 0 or -errno. */
int fe_write_file(const char *path, const char *text);
/* Remove a directory tree we own; does not follow symbolic links. */
int fe_rm_rf(const char *path);
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

/* ---- helper_client.c --------------------------------------------------- */

struct fe_helper {
	pid_t pid;
	int pidfd;
	int sock;		/* SOCK_SEQPACKET to the helper */
	uint32_t seq;
};

struct fe_idmap {
	uid_t outer_uid;	/* mapped to 0 inside */
	gid_t outer_gid;
};

/**
 * fe_helper_spawn() - start hckns-helper in new user+net+mount namespaces.
 * @path: the helper executable (an absolute path).
 * @map: the single-id maps to write from outside.
 * @stderr_fd: the helper's stderr (its fatal messages), or -1 for /dev/null.
 *
 * The child becomes the first process of the namespaces; the front end
 * writes uid_map, setgroups and gid_map, then lets it exec the helper with
 * the socket on descriptor 3 and every other descriptor but 0-2 closed.
 *
 * Return: 0, or -errno with a one-line reason in @why.
 */
int fe_helper_spawn(struct fe_helper *h, const char *path,
		    const struct fe_idmap *map, int stderr_fd,
		    char *why, size_t whylen);

/**
 * fe_helper_call() - send one request and wait for its answer.
 * @reason: receives the helper's reason on failure ("" on success).
 *
 * Return: 0 on success; the helper's error as -errno; -EPIPE when the helper
 * is gone; -EPROTO when the answer is malformed or does not match.
 */
int fe_helper_call(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen);

/*
 * Close the socket (the helper exits on EOF) and reap the helper, killing it
 * after @timeout_ms.  Return: its wait status, or -errno.
 */
int fe_helper_close(struct fe_helper *h, int timeout_ms);

#endif
