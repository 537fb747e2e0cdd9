// SPDX-License-Identifier: MIT
/* The runtime directory: $XDG_RUNTIME_DIR/hckns/<instance>/. */
#include "fe.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

bool fe_runtime_xdg_usable(const char *xdg, uid_t uid)
{
	struct stat st;

	/* The XDG spec: absolute, a directory, owned by the user. */
	return xdg && xdg[0] == '/' && stat(xdg, &st) == 0 &&
	       S_ISDIR(st.st_mode) && st.st_uid == uid;
}

int fe_runtime_base(const char *xdg, const char *tmpdir, uid_t uid,
		    char *out, size_t len)
{
	int n;

	if (fe_runtime_xdg_usable(xdg, uid))
		n = snprintf(out, len, "%s/hckns", xdg);
	else
		n = snprintf(out, len, "%s/hckns-%u",
			     tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp",
			     (unsigned int)uid);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Create @path 0700 if needed; it must then be ours, 0700, not a link. */
static int private_dir(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		int r = -errno;

		snprintf(why, whylen, "cannot create runtime directory %s: %s; "
			 "set XDG_RUNTIME_DIR or TMPDIR to a directory you can "
			 "write", path, strerror(-r));
		return r;
	}
	if (lstat(path, &st) < 0) {
		int r = -errno;

		snprintf(why, whylen, "cannot check runtime directory %s: %s",
			 path, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077)) {
		snprintf(why, whylen, "runtime directory %s is not a private "
			 "directory of yours (it must be mode 0700 and owned by "
			 "uid %u); remove it or set XDG_RUNTIME_DIR or TMPDIR "
			 "elsewhere", path, (unsigned int)getuid());
		return -EPERM;
	}
	return 0;
}

int fe_runtime_create(const char *base, const char *instance, char *dir,
		      size_t len, char *why, size_t whylen)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	int n, r;

	/* The longest socket name in it decides. */
	const char *longest = strlen(FE_KEEPER_SOCK) > strlen(FE_API_SOCK) ?
			      FE_KEEPER_SOCK : FE_API_SOCK;

	n = snprintf(dir, len, "%s/%s", base, instance);
	if (n < 0 || (size_t)n >= len ||
	    (size_t)n + 1 + strlen(longest) > max) {
		snprintf(why, whylen, "runtime directory %s/%s is too long for "
			 "a unix socket path (%zu bytes with /%s, at most %zu); "
			 "set XDG_RUNTIME_DIR or TMPDIR to a shorter directory",
			 base, instance, (size_t)(n < 0 ? 0 : n) + 1 + strlen(longest),
			 longest, max);
		return -ENAMETOOLONG;
	}
	r = private_dir(base, why, whylen);
	if (r < 0)
		return r;
	/*
	 * A directory of this name is stale: an instance named after a pid
	 * is that front end's, ours now; a named one is created under its
	 * name lock, after a check that it does not run.
	 */
	if (access(dir, F_OK) == 0) {
		fe_trace("removing stale runtime directory %s", dir);
		fe_rm_rf(dir);
	}
	return private_dir(dir, why, whylen);
}

/* All digits: an instance named after its front end's pid. */
static bool pid_name(const char *name, pid_t *pid)
{
	char *end;
	long v = strtol(name, &end, 10);

	if (!*name || *end || v <= 0 || v > INT_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

int fe_runtime_sweep(const char *base)
{
	struct dirent *e;
	int removed = 0;
	DIR *d = opendir(base);

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char dir[4200], lockpath[4300];
		pid_t pid;
		int lock = -1;

		if (e->d_name[0] == '.' ||
		    snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name) >=
		    (int)sizeof(dir) || fe_instance_alive(dir))
			continue;
		if (pid_name(e->d_name, &pid)) {
			/*
			 * Only that pid creates it: a pid that does not run
			 * cannot be creating it now.
			 */
			if (kill(pid, 0) == 0 || errno != ESRCH)
				continue;
		} else {
			/* Its creator holds the name lock: never race it. */
			snprintf(lockpath, sizeof(lockpath), "%s/.%s.lock", base,
				 e->d_name);
			/* Creators open it so too, and never remove it. */
			lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC |
				    O_NOFOLLOW, 0600);
			if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0 ||
			    fe_instance_alive(dir)) {
				if (lock >= 0)
					close(lock);
				continue;
			}
		}
		fe_trace("removing stale runtime directory %s", dir);
		if (fe_rm_rf(dir) == 0)
			removed++;
		if (lock >= 0)
			close(lock);
	}
	closedir(d);
	return removed;
}
