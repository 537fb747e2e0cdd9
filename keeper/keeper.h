/* SPDX-License-Identifier: MIT */
/* The keeper process (keeper.c) and the slirp4netns it starts (slirp.c). */
#ifndef HCKNS_KEEPER_KEEPER_H
#define HCKNS_KEEPER_KEEPER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/opts.h"

struct fe_keeper {
	pid_t pid;
	int pidfd;
	int sock;		/* SOCK_SEQPACKET; EOF tells the keeper to end */
	int ready_fd;		/* slirp4netns writes "1" here when ready */
};

/* What a connection to the keeper is to it (keeper.c). */
enum conn_role {
	CONN_FREE = 0,
	CONN_CREATOR,		/* the creating front end's socketpair: a
				 * holder, until it leaves */
	CONN_NEW,		/* accepted, nothing said yet */
	CONN_WAITING,		/* asked to join before the instance was ready */
	CONN_HOLDER,		/* joined */
	CONN_STOPPER,		/* `hckns stop`: told when all is gone (EOF) */
	CONN_LEAVING,		/* the last holder: answered when all is gone */
	CONN_ROLES		/* not a role: how many there are */
};

/*
 * fe_keeper_may_send() - may a connection in @role send the keeper a
 * message of @type (include/hckns/keeper.h)?  The keeper's table: any
 * other message drops the connection.
 */
bool fe_keeper_may_send(enum conn_role role, uint32_t type);
/*
 * fe_keeper_msg_fds() - how many descriptors ride along a message of @type
 * to the keeper (exactly: other counts drop the connection).
 * Return: that, or -1 for a type no one may send it.
 */
int fe_keeper_msg_fds(uint32_t type);

/**
 * fe_slirp_sandbox_works() - can slirp4netns --enable-sandbox work here, and
 * keep forwarding DNS?
 *
 * Its sandbox is a mount namespace where only the host's /etc and /run are
 * left (slirp4netns(1)), and libslirp reads the name server from
 * /etc/resolv.conf there: the file must be under /etc or /run (a
 * systemd-resolved link into /run is fine, WSL's link to
 * /mnt/wsl/resolv.conf is not: DNS would stop, silently).  As root,
 * slirp4netns makes that namespace and drops its capabilities itself, which
 * needs CAP_SYS_ADMIN and CAP_SETPCAP in the bounding set (without them it
 * exits at start).  Runs no program.
 * Return: true, or false with the reason in @why.
 */
bool fe_slirp_sandbox_works(char *why, size_t len);

/* Start slirp4netns for @target's namespaces (keeper.c). */
pid_t fe_spawn_slirp(const struct fe_opts *o, const char *rundir,
		     const char *slirp, pid_t target, int ready_fd,
		     int exit_fd, int *pidfd);

/**
 * fe_keeper_start() - fork the keeper, which owns @rundir and slirp4netns.
 * @slirp: absolute path of slirp4netns.
 * @lock_fd: the instance's lock (fe_instance_lock()), kept by the keeper too.
 * @listen_fd: the listening RUNDIR/keeper.sock, for joiners.
 *
 * When the last holder is gone (the front end's end of the channel and every
 * joiner's connection closed, whatever the reason), the keeper removes the
 * forwards, stops slirp4netns, closes its copy of the helper's socket and
 * waits (bounded) for the helper's end, with which the kernel ends every
 * process of the instance's PID namespace, removes @rundir and exits.
 * Return: 0, or -errno.
 */
int fe_keeper_start(struct fe_keeper *k, const struct fe_opts *o,
		    const char *rundir, const char *slirp, int lock_fd,
		    int listen_fd);

#endif
