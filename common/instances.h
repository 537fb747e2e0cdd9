/* SPDX-License-Identifier: MIT */
/* Running instances: their locks, lists, lookups, and the keeper's socket (instances.c). */
#ifndef HCKNS_COMMON_INSTANCES_H
#define HCKNS_COMMON_INSTANCES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/runtime.h"
#include "hckns/keeper.h"

#define FE_LOCK_FILE "lock"

struct fe_instance {
	char name[64];		/* the directory's name: the front end's pid */
	char dir[4096];		/* its runtime directory */
};

/*
 * fe_instance_lock() - create RUNDIR/lock and hold it exclusively.
 * Return: the descriptor (close-on-exec; the keeper shares it), or -errno.
 */
int fe_instance_lock(const char *rundir, char *why, size_t whylen);
/* Is an instance alive in @dir (its lock held)? */
bool fe_instance_alive(const char *dir);
/* The live instances under @base, sorted by name.  Return: 0 or -errno. */
int fe_instances_list(const struct fe_base *b, struct fe_instance **out,
		      size_t *n);
/**
 * fe_instance_find() - the instance a subcommand acts on.
 * @sel: --instance (a name or pid, or a directory if it has a '/'), or NULL
 *       for the only running instance.
 * Return: 0; -ESRCH (none), -EEXIST (several, listed in @why), -EINVAL.
 */
int fe_instance_find(const struct fe_base *b, const char *sel,
		     struct fe_instance *out, char *why, size_t whylen);
/*
 * fe_instance_by_pid() - the instance whose keeper has pid @sel, the PID
 * column of `hckns ls`, when @sel is a number that names no instance.
 * Return: 0, or -ESRCH.
 */
int fe_instance_by_pid(const struct fe_base *b, const char *sel,
		       struct fe_instance *out);

/* flock(2) that gives up after @timeout_ms.  Return: 0, -ETIMEDOUT, -errno. */
int fe_flock_wait(int fd, int op, int timeout_ms);
/*
 * fe_name_lock() - hold BASE/.NAME.lock while deciding to create or join
 * instance NAME (bounded).  Return: the descriptor, or -errno with @why.
 */
int fe_name_lock(const char *base, const char *name, int timeout_ms,
		 char *why, size_t whylen);
/* Listen on RUNDIR/keeper.sock.  Return: the descriptor, or -errno. */
int fe_keeper_listen(const char *rundir, char *why, size_t whylen);
/*
 * Connect to DIR/keeper.sock, whose keeper must be ours (SO_PEERCRED).
 * Return: the descriptor; -EPERM (another user's keeper), -errno.
 */
int fe_keeper_connect(const char *dir);
/* Is the peer of unix socket @fd of our uid?  Return: 0, -EPERM, -errno. */
int fe_peer_is_us(int fd);
/* Ask the keeper in @dir about its instance (INFO).  Return: 0 or -errno. */
int fe_instance_query(const char *dir, struct fe_km_info *info);

#endif
