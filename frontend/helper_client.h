/* SPDX-License-Identifier: MIT */
/* Starting hckns-helper in new namespaces (helper_client.c) and its id maps (idmap.c). */
#ifndef HCKNS_FRONTEND_HELPER_CLIENT_H
#define HCKNS_FRONTEND_HELPER_CLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/subids.h"

struct fe_helper {
	pid_t pid;
	int pidfd;
	int sock;		/* SOCK_SEQPACKET to the helper */
	uint32_t seq;		/* of the last request sent */
	uint32_t answered;	/* of the last answer read: requests go ahead */
	uint32_t notes;		/* of the last answer read: hello's PROTO_NOTE_* */
	bool idmap_failed;	/* fe_helper_spawn() failed at the id maps */
};

#define FE_TOOL_PATH_MAX 4096

struct fe_idmap {
	uid_t outer_uid;	/* mapped to 0 inside */
	gid_t outer_gid;
	/*
	 * --map-subids (fe_idmap_subids()): ids 1..count inside are these
	 * ranges outside, written by newuidmap and newgidmap at these
	 * absolute paths, or by the front end itself when they are ""
	 * (root may write any map).
	 */
	bool subids;
	/*
	 * --map-root=subids: 0..count-1 inside are the ranges, and
	 * outer_uid/outer_gid are not mapped at all (subids is set too).
	 */
	bool root_subid;
	struct fe_subid_range uid_range, gid_range;
	char newuidmap[FE_TOOL_PATH_MAX];
	char newgidmap[FE_TOOL_PATH_MAX];
};

/**
 * fe_idmap_subids() - prepare @map for --map-subids (idmap.c): the
 * caller's first ranges in /etc/subuid and /etc/subgid, and (unless the
 * caller is root) the absolute paths of newuidmap and newgidmap found in
 * @path (a PATH list).
 * Return: 0, or -errno with a one-line message that says what to do in
 * @why.
 */
int fe_idmap_subids(struct fe_idmap *map, const char *path, char *why,
		    size_t whylen);

/**
 * fe_idmap_become_root() - in a process that just created or entered a
 * user namespace: become its uid and gid 0 when it is not already (with
 * --map-root=subids the caller's own ids are unmapped there), with no
 * supplementary groups.  Call it before PR_SET_PDEATHSIG, which a change
 * of ids clears.
 * Return: 0, or -errno.
 */
int fe_idmap_become_root(void);

/**
 * fe_idmap_write_subids() - write the maps of @map into the user namespace
 * of @pid: through newuidmap and newgidmap (each bounded in time, its
 * output in @why when it fails), or directly as root.  setgroups(2) stays
 * allowed.
 * Return: 0, or -errno with a one-line message in @why.
 */
int fe_idmap_write_subids(pid_t pid, const struct fe_idmap *map, char *why,
			  size_t whylen);

/**
 * fe_helper_spawn() - start hckns-helper in new user+net+mount namespaces.
 * @path: the helper executable (an absolute path).
 * @map: the id maps to write from outside.
 * @stderr_fd: the helper's stderr (its fatal messages), or -1 for /dev/null.
 *
 * The child becomes the first process of the namespaces; the front end
 * writes uid_map, setgroups ("deny") and gid_map, or has newuidmap and
 * newgidmap write the maps of @map->subids, then lets it exec the helper
 * with the socket on descriptor 3 and every other descriptor but 0-2
 * closed.
 *
 * Return: 0, or -errno with a one-line reason in @why; @h->idmap_failed
 * tells that the id maps failed, @why then says what to do.
 */
int fe_helper_spawn(struct fe_helper *h, const char *path,
		    const struct fe_idmap *map, int stderr_fd,
		    char *why, size_t whylen);

/* CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21): all the helper holds. */
#define FE_HELPER_CAPS ((1ull << 12) | (1ull << 21))

/**
 * fe_helper_status_check() - does @status, the text of the helper's
 * /proc/PID/status, show it confined: "Seccomp: 2" (its filter loaded),
 * "NoNewPrivs: 1", CapPrm, CapEff and CapBnd exactly FE_HELPER_CAPS, and
 * CapInh and CapAmb 0?  The one check of the helper's confinement: the
 * kernel's account, read by its one peer, which decides whether to go on
 * (the helper does not read its own back).
 * Return: NULL when it does, else @why saying the first field that differs.
 */
const char *fe_helper_status_check(const char *status, char *why, size_t len);

/**
 * fe_helper_check_confined() - fe_helper_status_check() of the running
 * helper @pid (an unreaped child, so the pid is still its).
 * Return: 0, or -errno (-EPERM: not confined) with a reason in @why.
 */
int fe_helper_check_confined(pid_t pid, char *why, size_t len);

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
 * The two halves of fe_helper_call(), for a caller that waits in between
 * or sends ahead: fe_helper_recv() reads the answer to the oldest request
 * not yet answered (the helper answers in order), which must be @op, and
 * keeps its notes in @h->notes (hello's: what the helper's start-up could
 * not do, PROTO_NOTE_*).  A malformed answer is -EPROTO with
 * "malformed answer from the helper: <why>" in @reason.
 */
int fe_helper_send(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen);
int fe_helper_recv(struct fe_helper *h, uint16_t op, char *reason,
		   size_t rlen);

/*
 * Close the socket (the helper exits on EOF) and reap the helper, killing it
 * after @timeout_ms.  Return: its wait status, or -errno.
 */
int fe_helper_close(struct fe_helper *h, int timeout_ms);

#endif
