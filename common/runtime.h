/* SPDX-License-Identifier: MIT */
/* Where instances live: the runtime base, instance directories, the sweep (runtime.c). */
#ifndef HCKNS_COMMON_RUNTIME_H
#define HCKNS_COMMON_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FE_API_SOCK "api.sock"
#define FE_SLIRP_LOG "slirp4netns.log"

/* The directory that holds this user's instances, checked and held. */
struct fe_base {
	int fd;			/* O_DIRECTORY|O_NOFOLLOW, checked; -1 */
	char path[PATH_MAX];	/* the same, for messages and socket paths */
};

/**
 * fe_base_choose() - where this user's instances live: @parent/@name.
 * @xdg, @tmpdir: $XDG_RUNTIME_DIR and $TMPDIR (may be NULL).
 *
 * $XDG_RUNTIME_DIR/hckns when XDG_RUNTIME_DIR is an absolute directory of
 * @uid's with mode 0700; else /run/user/UID/hckns when that is such a
 * directory (the same instances from a shell without XDG_RUNTIME_DIR);
 * else $TMPDIR/hckns-UID (TMPDIR defaulting to /tmp) when TMPDIR is root's
 * or @uid's and not writable by others, unless sticky (for root: not
 * writable by others at all); else, for root, /run/hckns.
 * Return: 0; -EPERM (no trustworthy place, @why says what to set),
 * -ENAMETOOLONG.
 */
int fe_base_choose(const char *xdg, const char *tmpdir, uid_t uid,
		   char *parent, size_t plen, char *name, size_t nlen,
		   char *why, size_t whylen);

/**
 * fe_base_open() - choose the base (fe_base_choose()), check that no
 * directory above it can be changed by others (root's or @uid's, not
 * writable by others unless sticky), create it 0700 when @create, open it
 * with O_NOFOLLOW and check that it is @uid's, mode 0700.  Everything
 * below is reached through @b->fd, or by @b->path once checked so.
 * Return: 0; -ENOENT (!@create and none yet); -errno with a one-line
 * reason naming the path, its owner and what to do in @why.
 */
int fe_base_open(const char *xdg, const char *tmpdir, uid_t uid, bool create,
		 struct fe_base *b, char *why, size_t whylen);
/* fe_base_open() of a base fe_base_choose() gave already. */
int fe_base_open_at(const char *parent, const char *name, uid_t uid,
		    bool create, struct fe_base *b, char *why, size_t whylen);
void fe_base_close(struct fe_base *b);

/* $XDG_RUNTIME_DIR as the XDG spec wants it: absolute, @uid's, 0700. */
bool fe_runtime_xdg_usable(const char *xdg, uid_t uid);

/**
 * fe_instance_dir_check() - open BASE/@name (no link followed) and check
 * that it is ours, mode 0700.
 * Return: its descriptor; -ESRCH (none); -EPERM with @why (not ours).
 */
int fe_instance_dir_check(const struct fe_base *b, const char *name,
			  char *why, size_t whylen);

/* A name hckns gives instance directories: --name's or a pid. */
bool fe_instance_name_like(const char *name);
/*
 * Does BASE/@name look like an instance directory: so named, a real
 * directory (not a link), ours, mode 0700?  What the sweep and ls take.
 */
bool fe_instance_entry(const struct fe_base *b, const char *name);

/**
 * fe_runtime_fits() - @base/@instance in @dir, if its sockets' paths fit a
 * sockaddr_un.  Return: 0, or -ENAMETOOLONG with what to do in @why.
 */
int fe_runtime_fits(const char *base, const char *instance, char *dir,
		    size_t len, char *why, size_t whylen);

/**
 * fe_runtime_create() - create (mode 0700) and check the instance directory.
 * @dir: receives BASE/INSTANCE.
 * Return: 0, or -errno with a one-line reason (and what to do) in @why.
 */
int fe_runtime_create(const struct fe_base *b, const char *instance,
		      char *dir, size_t len, char *why, size_t whylen);

/*
 * fe_runtime_sweep() - remove the runtime directories under @base whose
 * instance is gone (a crash, a power cut: nobody holds their lock), without
 * racing anyone who is creating one.  One sweep at a time (a lock on the
 * base directory): none when another run is sweeping.  Return: how many
 * were removed.
 */
int fe_runtime_sweep(const struct fe_base *b);

#endif
