// SPDX-License-Identifier: MIT
/*
 * The runtime directory: BASE/<instance>/, BASE chosen so that no other
 * user can choose or change it (README, "Runtime directory"; SECURITY.md,
 * "Another local user").
 */
#include "common/runtime.h"
#include "common/util.h"
#include "common/instances.h"
#include "model/opts.h"
#include "hckns/keeper.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* "uid 1001 (bob)": an owner, for a refusal. */
static void owner_words(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "uid %u (%s)", (unsigned int)uid, res->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned int)uid);
}

/* A directory only @uid can use: @uid's, no group or other bits. */
static bool private_st(const struct stat *st, uid_t uid)
{
	return S_ISDIR(st->st_mode) && st->st_uid == uid &&
	       (st->st_mode & 077) == 0;
}

bool fe_runtime_xdg_usable(const char *xdg, uid_t uid)
{
	struct stat st;

	/* The XDG spec: absolute, a directory, the user's, mode 0700. */
	return xdg && xdg[0] == '/' && stat(xdg, &st) == 0 &&
	       private_st(&st, uid);
}

/*
 * In a user namespace of its own (hckns inside hckns, unshare -r), the
 * host's root owns / and /tmp as the overflow uid (65534): unmapped owners
 * all look so.  Taken as root's there, for directories others cannot
 * write (or sticky ones): who could rename entries in those is no more
 * than root or the owner, as in the initial namespace.
 */
static bool unmapped_root(uid_t owner)
{
	static int nested = -1;
	static uid_t overflow = 65534;

	if (nested < 0) {
		char line[128] = "";
		unsigned long v;
		FILE *f = fopen("/proc/self/uid_map", "re");

		nested = !f || !fgets(line, sizeof(line), f) ||
			 strcmp(line, "         0          0 4294967295\n") != 0;
		if (f)
			fclose(f);
		f = fopen("/proc/sys/kernel/overflowuid", "re");
		if (f && fgets(line, sizeof(line), f)) {
			char *end;

			v = strtoul(line, &end, 10);
			if (end != line)
				overflow = (uid_t)v;
		}
		if (f)
			fclose(f);
	}
	return nested && owner == overflow;
}

/* One directory of trusted_path(): root's or @uid's, not others' to change. */
static int trusted_one(const char *dir, uid_t uid, bool strict, char *why,
		       size_t whylen)
{
	char owner[320];
	struct stat st;
	bool ok_owner;

	if (stat(dir, &st) < 0) {
		int r = -errno;

		snprintf(why, whylen, "cannot check %s: %s", dir, strerror(-r));
		return r;
	}
	ok_owner = st.st_uid == 0 || st.st_uid == uid || unmapped_root(st.st_uid);
	if (ok_owner && !(st.st_mode & 022))
		return 0;
	if (ok_owner && !strict && (st.st_mode & S_ISVTX))
		return 0;
	owner_words(st.st_uid, owner, sizeof(owner));
	snprintf(why, whylen, "%s belongs to %s with mode %04o: others could "
		 "change what it holds", dir, owner,
		 (unsigned int)(st.st_mode & 07777));
	return -EPERM;
}

/*
 * Can no one but @uid and root change what @dir is or holds?  Every
 * directory from / down to @dir (links resolved) belongs to root or @uid
 * and is not writable by group or others, unless it has the sticky bit
 * (then others cannot rename or remove what is ours in it: /tmp).
 * @strict: @dir itself not even that (where root's base may go).
 */
static int trusted_path(const char *dir, uid_t uid, bool strict, char *why,
			size_t whylen)
{
	char *real = realpath(dir, NULL);
	size_t n;
	int r;

	if (!real) {
		r = -errno;
		snprintf(why, whylen, "cannot resolve %s: %s", dir, strerror(-r));
		return r;
	}
	n = strlen(real);
	r = trusted_one("/", uid, strict && n == 1, why, whylen);
	for (size_t i = 1; r == 0 && i <= n; i++) {
		char prefix[PATH_MAX];

		if (i < n && real[i] != '/')
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)i, real);
		r = trusted_one(prefix, uid, strict && i == n, why, whylen);
	}
	free(real);
	return r;
}

/*
 * fe_base_choose() - where this user's instances live; see runtime.h.
 */
int fe_base_choose(const char *xdg, const char *tmpdir, uid_t uid,
		   char *parent, size_t plen, char *name, size_t nlen,
		   char *why, size_t whylen)
{
	const char *inside = getenv("HCKNS_RUNTIME_DIR");
	char run_user[64], scratch[PATH_MAX + 400];
	const char *tmp = tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp";
	struct stat st;
	int n;

	snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned int)uid);
	/*
	 * Inside an instance (hckns sets HCKNS_RUNTIME_DIR for its command):
	 * that instance's base, whatever XDG_RUNTIME_DIR and TMPDIR say there,
	 * so that `hckns fwd`, `ls`, `stop` inside mean it.  Checked as any.
	 */
	if (inside && inside[0] == '/' && strrchr(inside, '/') != inside) {
		const char *slash = strrchr(inside, '/');

		n = snprintf(parent, plen, "%.*s", (int)(slash - inside), inside);
		slash = strrchr(parent, '/');
		if (slash && slash != parent && n > 0 && (size_t)n < plen) {
			snprintf(name, nlen, "%s", slash + 1);
			parent[slash - parent] = '\0';
			return 0;
		}
	}
	if (fe_runtime_xdg_usable(xdg, uid)) {
		n = snprintf(parent, plen, "%s", xdg);
		snprintf(name, nlen, "hckns");
	} else if (fe_runtime_xdg_usable(run_user, uid)) {
		n = snprintf(parent, plen, "%s", run_user);
		snprintf(name, nlen, "hckns");
	} else if (stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) &&
		   trusted_one(tmp, uid, /* strict= */ uid == 0, scratch,
			       sizeof(scratch)) == 0) {
		n = snprintf(parent, plen, "%s", tmp);
		snprintf(name, nlen, "hckns-%u", (unsigned int)uid);
	} else if (uid == 0) {
		/* Never a directory others can write: /run is root's. */
		n = snprintf(parent, plen, "/run");
		snprintf(name, nlen, "hckns");
	} else {
		char what[160];

		if (stat(tmp, &st) < 0)
			snprintf(what, sizeof(what), "does not exist (%s)",
				 strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			snprintf(what, sizeof(what), "is not a directory");
		else
			snprintf(what, sizeof(what), "is writable by others "
				 "(mode %04o, uid %u): they could change what it "
				 "holds", (unsigned int)(st.st_mode & 07777),
				 (unsigned int)st.st_uid);
		snprintf(why, whylen, "no runtime directory for hckns: "
			 "XDG_RUNTIME_DIR is unset or not a directory of yours "
			 "with mode 0700, and TMPDIR %s %s; set XDG_RUNTIME_DIR "
			 "or TMPDIR to a directory of yours (mode 0700)", tmp,
			 what);
		return -EPERM;
	}
	if (n < 0 || (size_t)n >= plen) {
		snprintf(why, whylen, "the runtime directory's path is too "
			 "long: set XDG_RUNTIME_DIR or TMPDIR to a shorter "
			 "directory");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Why @path (an entry @name of @parentfd) is not ours to use: one line. */
static int not_ours(int parentfd, const char *name, const char *path,
		    uid_t uid, char *why, size_t whylen)
{
	char owner[320];
	struct stat st;

	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		st = (struct stat){ .st_uid = uid, .st_mode = S_IFDIR };
	owner_words(st.st_uid, owner, sizeof(owner));
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
		snprintf(why, whylen, "runtime directory %s is %s of %s, not "
			 "a directory of yours: remove it (as its owner or "
			 "root), or set XDG_RUNTIME_DIR to a directory of yours "
			 "(mode 0700)", path, S_ISLNK(st.st_mode) ?
			 "a symbolic link" : "a file", owner);
	else if (st.st_uid != uid)
		snprintf(why, whylen, "runtime directory %s belongs to %s, not "
			 "to you: remove it (as its owner or root), or set "
			 "XDG_RUNTIME_DIR to a directory of yours (mode 0700)",
			 path, owner);
	else
		snprintf(why, whylen, "runtime directory %s is mode %04o, open "
			 "to others: run 'chmod 0700 %s'", path,
			 (unsigned int)(st.st_mode & 07777), path);
	return -EPERM;
}

int fe_base_open(const char *xdg, const char *tmpdir, uid_t uid, bool create,
		 struct fe_base *b, char *why, size_t whylen)
{
	char parent[PATH_MAX], name[32];
	int r = fe_base_choose(xdg, tmpdir, uid, parent, sizeof(parent), name,
			       sizeof(name), why, whylen);

	b->fd = -1;
	return r < 0 ? r : fe_base_open_at(parent, name, uid, create, b, why,
					   whylen);
}

int fe_base_open_at(const char *parent, const char *name, uid_t uid,
		    bool create, struct fe_base *b, char *why, size_t whylen)
{
	struct stat st;
	int pfd, r;

	b->fd = -1;
	if (snprintf(b->path, sizeof(b->path), "%s/%s", parent, name) >=
	    (int)sizeof(b->path)) {
		snprintf(why, whylen, "the runtime directory's path is too "
			 "long: set XDG_RUNTIME_DIR or TMPDIR to a shorter one");
		return -ENAMETOOLONG;
	}
	r = trusted_path(parent, uid, uid == 0, why, whylen);
	if (r < 0) {
		size_t used = strlen(why);

		snprintf(why + used, whylen - used, "; set XDG_RUNTIME_DIR or "
			 "TMPDIR to a directory of yours (mode 0700)");
		return r;
	}
	pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot open %s: %s", parent, strerror(-r));
		return r;
	}
	if (create && mkdirat(pfd, name, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whylen, "cannot create runtime directory %s: %s; "
			 "%s", b->path, strerror(-r), r == -ENOSPC ?
			 "free space there, or set TMPDIR elsewhere" :
			 "set XDG_RUNTIME_DIR or TMPDIR to a directory you can "
			 "write");
		close(pfd);
		return r;
	}
	b->fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		       O_CLOEXEC);
	if (b->fd < 0 && errno == ENOENT && !create) {
		snprintf(why, whylen, "no runtime directory %s", b->path);
		close(pfd);
		return -ENOENT;
	}
	if (b->fd < 0 || fstat(b->fd, &st) < 0 || !private_st(&st, uid)) {
		/* A link, a file, or a directory we may not even open. */
		r = b->fd < 0 && errno != ELOOP && errno != ENOTDIR &&
		    errno != EACCES ? -errno : -EPERM;
		if (r == -EPERM)
			not_ours(pfd, name, b->path, uid, why, whylen);
		else
			snprintf(why, whylen, "cannot open runtime directory "
				 "%s: %s", b->path, strerror(-r));
		fe_base_close(b);
		close(pfd);
		return r;
	}
	close(pfd);
	return 0;
}

void fe_base_close(struct fe_base *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

int fe_instance_dir_check(const struct fe_base *b, const char *name,
			  char *why, size_t whylen)
{
	char path[PATH_MAX + 64];
	struct stat st;
	int fd = openat(b->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);

	snprintf(path, sizeof(path), "%s/%s", b->path, name);
	if (fd < 0 && errno == ENOENT) {
		snprintf(why, whylen, "no instance '%s' is running (see 'hckns "
			 "ls')", name);
		return -ESRCH;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || !private_st(&st, getuid())) {
		if (fd >= 0)
			close(fd);
		return not_ours(b->fd, name, path, getuid(), why, whylen);
	}
	return fd;
}

int fe_runtime_fits(const char *base, const char *instance, char *dir,
		    size_t len, char *why, size_t whylen)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	/* The longest socket name in it decides. */
	const char *longest = strlen(FE_KEEPER_SOCK) > strlen(FE_API_SOCK) ?
			      FE_KEEPER_SOCK : FE_API_SOCK;
	int n = snprintf(dir, len, "%s/%s", base, instance);

	if (n < 0 || (size_t)n >= len ||
	    (size_t)n + 1 + strlen(longest) > max) {
		snprintf(why, whylen, "runtime directory %s/%s is too long for "
			 "a unix socket path (%zu bytes with /%s, at most %zu); "
			 "set XDG_RUNTIME_DIR or TMPDIR to a shorter directory",
			 base, instance,
			 (size_t)(n < 0 ? 0 : n) + 1 + strlen(longest), longest,
			 max);
		return -ENAMETOOLONG;
	}
	return 0;
}

int fe_runtime_create(const struct fe_base *b, const char *instance,
		      char *dir, size_t len, char *why, size_t whylen)
{
	int fd, r = fe_runtime_fits(b->path, instance, dir, len, why, whylen);

	if (r < 0)
		return r;
	/*
	 * A directory of this name is stale: an instance named after a pid
	 * is that front end's, ours now; a named one is created under its
	 * name lock, after a check that it does not run.  Through the base's
	 * descriptor, never following a link.
	 */
	if (faccessat(b->fd, instance, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		fe_trace("removing stale runtime directory %s", dir);
		fe_rm_rf_at(b->fd, instance);
	}
	if (mkdirat(b->fd, instance, 0700) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot create runtime directory %s: %s; "
			 "%s", dir, strerror(-r), r == -ENOSPC ? "free space "
			 "there, or set TMPDIR elsewhere" : "remove it, or set "
			 "XDG_RUNTIME_DIR or TMPDIR elsewhere");
		return r;
	}
	fd = fe_instance_dir_check(b, instance, why, whylen);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
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

/* A name hckns gives an instance directory: --name's, or a pid. */
bool fe_instance_name_like(const char *name)
{
	pid_t pid;

	return pid_name(name, &pid) || fe_name_check(name) == NULL;
}

bool fe_instance_entry(const struct fe_base *b, const char *name)
{
	struct stat st;

	return name[0] != '.' && fe_instance_name_like(name) &&
	       fstatat(b->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       private_st(&st, getuid());
}

int fe_runtime_sweep(const struct fe_base *b)
{
	int dfd = dup(b->fd), removed = 0;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	/*
	 * One sweep at a time, through a lock on the base directory itself
	 * (no file of its own): a run that finds another sweeping leaves the
	 * work to it, which removes the same stale entries.  Many instances
	 * that start at once then do not each read the whole base while the
	 * others create their directories in it.
	 */
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		fe_trace("runtime base: another run is sweeping it");
		closedir(d);
		return 0;
	}
	/* A dup shares the offset: another walk may have left it at the end. */
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		char dir[PATH_MAX + 256], lockname[300];
		pid_t pid;
		int lock = -1;

		/*
		 * Only what looks like one of our instance directories: a
		 * real directory (never a link), ours, private, named as
		 * hckns names them.
		 */
		if (!fe_instance_entry(b, e->d_name))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", b->path, e->d_name);
		if (fe_instance_alive(dir))
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
			snprintf(lockname, sizeof(lockname), ".%s.lock", e->d_name);
			/* Creators open it so too, and never remove it. */
			lock = openat(b->fd, lockname, O_RDWR | O_CREAT | O_CLOEXEC |
				      O_NOFOLLOW, 0600);
			if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0 ||
			    fe_instance_alive(dir)) {
				if (lock >= 0)
					close(lock);
				continue;
			}
		}
		fe_trace("removing stale runtime directory %s", dir);
		if (fe_rm_rf_at(b->fd, e->d_name) == 0)
			removed++;
		if (lock >= 0)
			close(lock);
	}
	closedir(d);
	return removed;
}
