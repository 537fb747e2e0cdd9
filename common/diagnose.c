// SPDX-License-Identifier: MIT
/* Turning a failure to get a user namespace into advice. */
#include "common/diagnose.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long fe_read_sysctl(const char *procroot, const char *name)
{
	char path[PATH_MAX], buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	snprintf(path, sizeof(path), "%s/sys/%s", procroot, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	return end == buf || v < 0 ? -1 : v;
}

const char *fe_userns_advice(const char *procroot, int err, char *buf,
			     size_t len)
{
	if (fe_read_sysctl(procroot, "user/max_user_namespaces") == 0)
		snprintf(buf, len, "user namespaces are disabled "
			 "(user.max_user_namespaces = 0); as root, run "
			 "'sysctl -w user.max_user_namespaces=15000'");
	else if (fe_read_sysctl(procroot, "kernel/unprivileged_userns_clone") == 0)
		snprintf(buf, len, "unprivileged user namespaces are disabled "
			 "(kernel.unprivileged_userns_clone = 0); as root, run "
			 "'sysctl -w kernel.unprivileged_userns_clone=1'");
	else if (fe_read_sysctl(procroot,
			     "kernel/apparmor_restrict_unprivileged_userns") == 1)
		snprintf(buf, len, "AppArmor restricts unprivileged user "
			 "namespaces (kernel.apparmor_restrict_unprivileged_userns"
			 " = 1); as root, allow hckns with an AppArmor profile "
			 "(see README) or run 'sysctl -w "
			 "kernel.apparmor_restrict_unprivileged_userns=0'");
	else if (err == ENOSPC || err == EUSERS)
		snprintf(buf, len, "too many user namespaces (%s); raise "
			 "user.max_user_namespaces or end other instances",
			 strerror(err));
	else
		snprintf(buf, len, "%s; run 'hckns' with -v for details and "
			 "check that this kernel allows unprivileged user "
			 "namespaces", strerror(err));
	return buf;
}

int fe_find_in_path(const char *name, const char *path, char *out, size_t len)
{
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	int r = -ENOENT;

	/* Only absolute names, never one relative to the working directory. */
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		if (name[0] != '/')
			return -ENOENT;
		return access(name, X_OK) == 0 ? 0 : -errno;
	}
	while (*p) {
		const char *end = strchrnul(p, ':');
		int n = (int)(end - p);
		struct stat st;

		/*
		 * An empty entry means the working directory to a shell, and
		 * a relative one is relative to it: whoever can write there
		 * (a checkout, /tmp) would choose the program.  Skipped, so
		 * that what is found is always an absolute path.
		 */
		if (n == 0 || p[0] != '/') {
			fe_trace("PATH: skipping the %s entry '%.*s' while "
				 "looking for %s", n ? "relative" : "empty", n,
				 p, name);
			p = *end ? end + 1 : end;
			continue;
		}
		snprintf(out, len, "%.*s/%s", n, p, name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			r = -EACCES;
		}
		p = *end ? end + 1 : end;
	}
	return r;
}

int fe_find_helper(const char *exe, char *out, size_t len)
{
	static const char *const rel[] = {
		"/hckns-helper",
		"/../libexec/hckns/hckns-helper",
	};
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", exe ? exe : "");
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		for (size_t i = 0; i < sizeof(rel) / sizeof(*rel); i++)
			if (snprintf(out, len, "%s%s", dir, rel[i]) < (int)len &&
			    access(out, X_OK) == 0)
				return 0;
	}
	snprintf(out, len, "%s/hckns-helper", HCKNS_LIBEXECDIR);
	return access(out, X_OK) == 0 ? 0 : -ENOENT;
}
