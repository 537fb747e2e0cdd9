// SPDX-License-Identifier: MIT
/* Start hckns-helper in new namespaces and talk to it. */
#include "frontend/helper_client.h"
#include "common/util.h"
#include "hckns/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/*
 * The test hook (SECURITY.md: "What the helper and slirp4netns get from
 * the caller"): the one library the integration and fault tests preload
 * into the helper (the shims in tests/tools), named by this variable of the
 * front end's own environment, never by LD_PRELOAD; with it, and only with
 * it, the HCKNS_TEST_* variables that the shims read go along.
 */
#define HELPER_PRELOAD_VAR "HCKNS_TEST_HELPER_PRELOAD"
#define HELPER_TEST_PREFIX "HCKNS_TEST_"
/* At most this many HCKNS_TEST_* variables go along; the rest do not. */
#define HELPER_TEST_VARS 4

/*
 * helper_env() - the helper's whole environment, in @envp (NULL-ended,
 * HELPER_TEST_VARS + 2 entries), built in @buf.
 *
 * Empty: nothing of the caller's environment reaches the helper, not
 * LD_PRELOAD, LD_LIBRARY_PATH, locale or anything else.  The one exception
 * is the test hook above, and only for an absolute path naming one
 * library; it is said in the trace.
 */
static void helper_env(char **envp, char *buf, size_t len)
{
	const char *lib = getenv(HELPER_PRELOAD_VAR);
	size_t n = 0;

	envp[0] = NULL;
	if (!lib || !*lib)
		return;
	if (lib[0] != '/' || strpbrk(lib, ": \t") ||
	    snprintf(buf, len, "LD_PRELOAD=%s", lib) >= (int)len) {
		fe_trace("helper: %s ignored: not one absolute path", HELPER_PRELOAD_VAR);
		return;
	}
	envp[n++] = buf;
	for (char **e = environ; *e && n < HELPER_TEST_VARS + 1; e++)
		if (strncmp(*e, HELPER_TEST_PREFIX, strlen(HELPER_TEST_PREFIX)) == 0 &&
		    strncmp(*e, HELPER_PRELOAD_VAR "=",
			    strlen(HELPER_PRELOAD_VAR "=")) != 0)
			envp[n++] = *e;
	envp[n] = NULL;
	fe_trace("helper: test hook %s: %s, with %zu HCKNS_TEST_* variables",
		 HELPER_PRELOAD_VAR, buf, n - 1);
}

static void __attribute__((noreturn))
child_exec_helper(const char *path, char *const envp[], int sock, int gate,
		  int stderr_fd)
{
	char *const argv[] = { "hckns-helper", NULL };
	char c;
	int null, r;

	/* Wait for our id maps; EOF without a byte means the parent gave up. */
	if (read(gate, &c, 1) != 1)
		_exit(FE_EXIT_FAILURE);
	/* With --map-root=subids our own ids are not mapped: take 0's. */
	r = fe_idmap_become_root();
	if (r < 0) {
		dprintf(STDERR_FILENO, "hckns: cannot become root of the new "
			"user namespace: %s\n", strerror(-r));
		_exit(FE_EXIT_FAILURE);
	}
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
		fe_child_die("cannot give the helper its descriptors");
	fe_close_from(HELPER_SOCK_FD + 1, NULL, 0);
	fe_reset_signals();
	execve(path, argv, envp);
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
	char *envp[HELPER_TEST_VARS + 2], preload[PATH_MAX + 16];
	pid_t pid;

	*h = (struct fe_helper){ .pid = -1, .pidfd = -1, .sock = -1 };
	helper_env(envp, preload, sizeof(preload));
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
		child_exec_helper(path, envp, sv[1], gate[0], stderr_fd);
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

int fe_helper_send(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen)
{
	unsigned char buf[PROTO_MSG_MAX + 1];
	int len, r;

	if (rlen)
		reason[0] = '\0';
	len = proto_encode(op, ++h->seq, payload, plen, buf, sizeof(buf));
	if (len < 0)
		return len;
	if (send(h->sock, buf, (size_t)len, MSG_NOSIGNAL) != len) {
		r = errno == EPIPE || errno == ECONNRESET ? -EPIPE : -errno;
		if (rlen)
			snprintf(reason, rlen, "the helper is gone");
		return r;
	}
	return 0;
}

int fe_helper_recv(struct fe_helper *h, uint16_t op, char *reason,
		   size_t rlen)
{
	unsigned char buf[PROTO_MSG_MAX + 1];
	char why[PROTO_REASON_MAX];
	struct proto_msg ans;
	ssize_t n;

	h->notes = 0;
	do
		n = recv(h->sock, buf, sizeof(buf), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (rlen)
			snprintf(reason, rlen, "the helper is gone");
		return n == 0 || errno == ECONNRESET ? -EPIPE : -errno;
	}
	/* MSG_TRUNC: the real length, which proto_decode() refuses as too long. */
	if (proto_decode(buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n,
			 &ans, why, sizeof(why)) < 0) {
		if (rlen)
			snprintf(reason, rlen, "malformed answer from the helper: %s",
				 why);
		return -EPROTO;
	}
	if (ans.hdr.op != (PROTO_ANS | op) || ans.hdr.seq != h->answered + 1) {
		if (rlen)
			snprintf(reason, rlen, "malformed answer from the helper: "
				 "%s seq %u, expected %s seq %u",
				 proto_op_name(ans.hdr.op), ans.hdr.seq,
				 proto_op_name((uint16_t)(PROTO_ANS | op)),
				 h->answered + 1);
		return -EPROTO;
	}
	h->answered++;
	h->notes = ans.u.answer.notes;
	if (ans.u.answer.err == 0)
		return 0;
	if (rlen)
		snprintf(reason, rlen, "%s", ans.u.answer.reason);
	return -ans.u.answer.err;
}

int fe_helper_call(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen)
{
	int r = fe_helper_send(h, op, payload, plen, reason, rlen);

	return r < 0 ? r : fe_helper_recv(h, op, reason, rlen);
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

/* "NAME:\t..." in /proc/PID/status: the value after the tab, or NULL. */
static const char *status_field(const char *status, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = status; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (strncmp(l, name, n) == 0 && l[n] == ':')
			return l + n + 1 + strspn(l + n + 1, " \t");
	return NULL;
}

const char *fe_helper_status_check(const char *status, char *why, size_t len)
{
	static const struct {
		const char *name;
		unsigned long long want;
		bool hex;
		const char *what;
	} fields[] = {
		{ "Seccomp", 2, false, "its system call filter is not loaded" },
		{ "NoNewPrivs", 1, false, "no_new_privs is not set" },
		{ "CapInh", 0, true, "it has inheritable capabilities" },
		{ "CapPrm", FE_HELPER_CAPS, true, "it may take other "
		  "capabilities than CAP_NET_ADMIN and CAP_SYS_ADMIN" },
		{ "CapEff", FE_HELPER_CAPS, true, "it holds other capabilities "
		  "than CAP_NET_ADMIN and CAP_SYS_ADMIN" },
		{ "CapBnd", FE_HELPER_CAPS, true, "its bounding set is not "
		  "CAP_NET_ADMIN and CAP_SYS_ADMIN" },
		{ "CapAmb", 0, true, "it has ambient capabilities" },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		const char *v = status_field(status, fields[i].name);
		unsigned long long got = 0;
		char *end = NULL;

		if (v) {
			errno = 0;
			got = strtoull(v, &end, fields[i].hex ? 16 : 10);
		}
		if (!v || end == v || errno || (*end && *end != '\n')) {
			snprintf(why, len, "no %s field in its /proc status",
				 fields[i].name);
			return why;
		}
		if (got != fields[i].want) {
			if (fields[i].hex)
				snprintf(why, len, "%s is %016llx, not %016llx (%s)",
					 fields[i].name, got, fields[i].want,
					 fields[i].what);
			else
				snprintf(why, len, "%s is %llu, not %llu (%s)",
					 fields[i].name, got, fields[i].want,
					 fields[i].what);
			return why;
		}
	}
	return NULL;
}

int fe_helper_check_confined(pid_t pid, char *why, size_t len)
{
	char path[64], text[4096];
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(why, len, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	n = read(fd, text, sizeof(text) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (n < 0) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	text[n] = '\0';
	return fe_helper_status_check(text, why, len) ? -EPERM : 0;
}
