// SPDX-License-Identifier: MIT
/* The runtime directory: $XDG_RUNTIME_DIR/hckns/<instance>/. */
#include "fe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static bool usable_xdg(const char *xdg, uid_t uid)
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

	if (usable_xdg(xdg, uid))
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

	n = snprintf(dir, len, "%s/%s", base, instance);
	if (n < 0 || (size_t)n >= len ||
	    (size_t)n + 1 + strlen(FE_API_SOCK) > max) {
		snprintf(why, whylen, "runtime directory %s/%s is too long for "
			 "a unix socket path (%zu bytes with /%s, at most %zu); "
			 "set XDG_RUNTIME_DIR or TMPDIR to a shorter directory",
			 base, instance, (size_t)(n < 0 ? 0 : n) + 1 + strlen(FE_API_SOCK),
			 FE_API_SOCK, max);
		return -ENAMETOOLONG;
	}
	r = private_dir(base, why, whylen);
	if (r < 0)
		return r;
	/*
	 * A directory of this name is stale: instances are named after the
	 * front end's pid, which is ours now, so nobody else uses it.
	 */
	if (access(dir, F_OK) == 0) {
		fe_trace("removing stale runtime directory %s", dir);
		fe_rm_rf(dir);
	}
	return private_dir(dir, why, whylen);
}
