// SPDX-License-Identifier: MIT
/*
 * Running instances of this user: their runtime directories, told alive by
 * a lock the instance holds for its whole life.
 *
 * The front end creates BASE/INSTANCE/lock and holds an exclusive flock on
 * it; the keeper, forked afterwards, shares that open file description, so
 * the lock is held while either lives and vanishes with both, however they
 * end (a lock, not a pid: a dead process holds nothing).
 */
#include "common/instances.h"
#include "common/util.h"
#include "common/runtime.h"
#include "model/opts.h"
#include "hckns/keeper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int fe_instance_lock(const char *rundir, char *why, size_t whylen)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", rundir, FE_LOCK_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;

		snprintf(why, whylen, "cannot lock %s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

bool fe_instance_alive(const char *dir)
{
	char path[4200];
	bool alive;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, FE_LOCK_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	/* Held by a live instance: we cannot have it. */
	alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

static int by_name(const void *a, const void *b)
{
	const struct fe_instance *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int fe_instances_list(const struct fe_base *b, struct fe_instance **out,
		      size_t *n)
{
	struct fe_instance *list = NULL;
	size_t len = 0, cap = 0;
	struct dirent *e;
	int dfd;
	DIR *d;

	*out = NULL;
	*n = 0;
	/* Through the checked base's descriptor, not its path again. */
	dfd = dup(b->fd);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	/* A dup shares the offset: another walk may have left it at the end. */
	if (d)
		rewinddir(d);
	if (!d) {
		int r = -errno;

		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while ((e = readdir(d)) != NULL) {
		struct fe_instance in = { 0 };

		/* Only real directories of ours, named as hckns names them. */
		if (strlen(e->d_name) >= sizeof(in.name) ||
		    !fe_instance_entry(b, e->d_name))
			continue;
		snprintf(in.name, sizeof(in.name), "%s", e->d_name);
		if (snprintf(in.dir, sizeof(in.dir), "%s/%s", b->path, e->d_name) >=
		    (int)sizeof(in.dir) || !fe_instance_alive(in.dir))
			continue;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct fe_instance *l = realloc(list, ncap * sizeof(*l));

			if (!l) {
				free(list);
				closedir(d);
				return -ENOMEM;
			}
			list = l;
			cap = ncap;
		}
		list[len++] = in;
	}
	closedir(d);
	if (len)
		qsort(list, len, sizeof(*list), by_name);
	*out = list;
	*n = len;
	return 0;
}

/* --instance DIR: a runtime directory of ours (no link), mode 0700. */
static int find_dir(const char *sel, struct fe_instance *out, char *why,
		    size_t whylen)
{
	const char *slash;
	struct stat st;
	int fd;

	if (snprintf(out->dir, sizeof(out->dir), "%s", sel) >=
	    (int)sizeof(out->dir)) {
		snprintf(why, whylen, "instance path too long");
		return -ENAMETOOLONG;
	}
	while (strlen(out->dir) > 1 && out->dir[strlen(out->dir) - 1] == '/')
		out->dir[strlen(out->dir) - 1] = '\0';
	slash = strrchr(out->dir, '/');
	snprintf(out->name, sizeof(out->name), "%s", slash + 1);
	fd = open(out->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && st.st_uid != getuid()) {
		close(fd);
		snprintf(why, whylen, "%s is not a runtime directory of yours "
			 "(it belongs to uid %u): give one of yours (see 'hckns "
			 "ls')", out->dir, (unsigned int)st.st_uid);
		return -EPERM;
	}
	/* Ours but open to others: no runtime directory hckns made. */
	if (fd >= 0 && (st.st_mode & 077)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	if (fd < 0 || !fe_instance_alive(out->dir)) {
		snprintf(why, whylen, "no running hckns instance in %s",
			 out->dir);
		return -ESRCH;
	}
	return 0;
}

int fe_instance_by_pid(const struct fe_base *b, const char *sel,
		       struct fe_instance *out)
{
	struct fe_instance *list;
	unsigned int pid;
	size_t n;
	int r = -ESRCH;

	/* A number that is no instance's name: the PID column of ls. */
	if (fe_parse_uint(sel, 1, INT_MAX, &pid) < 0 ||
	    faccessat(b->fd, sel, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    fe_instances_list(b, &list, &n) < 0)
		return -ESRCH;
	for (size_t i = 0; i < n && r < 0; i++) {
		struct fe_km_info info;

		if (fe_instance_query(list[i].dir, &info) == 0 &&
		    info.keeper_pid == (int32_t)pid) {
			*out = list[i];
			r = 0;
		}
	}
	free(list);
	return r;
}

int fe_instance_find(const struct fe_base *b, const char *sel,
		     struct fe_instance *out, char *why, size_t whylen)
{
	struct fe_instance *list;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if (sel && strchr(sel, '/'))
		return find_dir(sel, out, why, whylen);
	if (sel && fe_instance_by_pid(b, sel, out) == 0)
		return 0;
	if (sel) {
		/* A name: --name's, or the pid of the hckns that created it. */
		if (!fe_instance_name_like(sel) ||
		    snprintf(out->dir, sizeof(out->dir), "%s/%s", b->path, sel) >=
		    (int)sizeof(out->dir)) {
			snprintf(why, whylen, "invalid instance '%s'", sel);
			return -EINVAL;
		}
		snprintf(out->name, sizeof(out->name), "%s", sel);
		r = fe_instance_dir_check(b, sel, why, whylen);
		if (r < 0)
			return r;
		close(r);
		if (!fe_instance_alive(out->dir)) {
			snprintf(why, whylen, "no instance '%s' is running "
				 "(see 'hckns ls')", sel);
			return -ESRCH;
		}
		return 0;
	}
	r = fe_instances_list(b, &list, &n);
	if (r < 0) {
		snprintf(why, whylen, "cannot list %s: %s", b->path, strerror(-r));
		return r;
	}
	if (n == 1) {
		*out = list[0];
		free(list);
		return 0;
	}
	if (n == 0) {
		snprintf(why, whylen, "no hckns instance of yours is running "
			 "(looked in %s)", b->path);
		free(list);
		return -ESRCH;
	}
	{
		size_t used = (size_t)snprintf(why, whylen, "%zu instances are "
					       "running (", n);

		for (size_t i = 0; i < n && used < whylen; i++)
			used += (size_t)snprintf(why + used, whylen - used, "%s%s",
						 i ? ", " : "", list[i].name);
		if (used < whylen)
			snprintf(why + used, whylen - used, "): choose one with "
				 "--instance NAME|PID|DIR");
	}
	free(list);
	return -EEXIST;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only to interrupt flock(2) */
}

int fe_flock_wait(int fd, int op, int timeout_ms)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = {
		.it_value = { timeout_ms / 1000, (timeout_ms % 1000) * 1000L },
	}, none = { 0 };
	sigset_t alrm, prev;
	int r, e;

	/* No SA_RESTART: the alarm ends the wait with EINTR. */
	sigaction(SIGALRM, &sa, &old);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &alrm, &prev);
	setitimer(ITIMER_REAL, &it, NULL);
	r = flock(fd, op);
	e = errno;
	setitimer(ITIMER_REAL, &none, NULL);
	sigprocmask(SIG_SETMASK, &prev, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (r == 0)
		return 0;
	return e == EINTR ? -ETIMEDOUT : -e;
}

int fe_name_lock(const char *base, const char *name, int timeout_ms,
		 char *why, size_t whylen)
{
	char path[4200];
	int fd, r;

	/* Beside the instance's directory, so that it outlives it. */
	snprintf(path, sizeof(path), "%s/.%s.lock", base, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	r = fe_flock_wait(fd, LOCK_EX, timeout_ms);
	if (r < 0) {
		snprintf(why, whylen, "instance '%s' is being started or stopped "
			 "by another process that does not finish (%s held "
			 "for %d s): %s", name, path, timeout_ms / 1000,
			 strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

int fe_keeper_listen(const char *rundir, char *why, size_t whylen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", rundir,
			     FE_KEEPER_SOCK) >= sizeof(a.sun_path)) {
		snprintf(why, whylen, "%s/%s is too long for a unix socket "
			 "path; set XDG_RUNTIME_DIR or TMPDIR to a shorter "
			 "directory", rundir, FE_KEEPER_SOCK);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 64) < 0) {
		int r = -errno;

		snprintf(why, whylen, "cannot listen on %s: %s", a.sun_path,
			 strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

int fe_keeper_connect(const char *dir)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, r;

	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir,
			     FE_KEEPER_SOCK) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Believe nothing a keeper of another user would say. */
	r = fe_peer_is_us(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int fe_peer_is_us(int fd)
{
	struct ucred c;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0)
		return -errno;
	if (c.uid != getuid()) {
		fe_trace("peer of socket %d is uid %u, not ours (%u): refused",
			 fd, (unsigned int)c.uid, (unsigned int)getuid());
		return -EPERM;
	}
	return 0;
}

int fe_instance_query(const char *dir, struct fe_km_info *info)
{
	struct fe_keeper_msg m = { .type = FE_KEEPER_QUERY };
	struct pollfd p;
	int fd, r;

	*info = (struct fe_km_info){ 0 };
	fd = fe_keeper_connect(dir);
	if (fd < 0)
		return fd;
	r = fe_keeper_send(fd, &m, NULL, 0);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (r == 0 && poll(&p, 1, 2000) != 1)
		r = -ETIMEDOUT;
	if (r == 0)
		r = fe_keeper_recv(fd, &m, NULL, 0, 0);
	close(fd);
	if (r < 0)
		return r;
	if (m.type != FE_KEEPER_INFO)
		return -EPROTO;
	*info = m.info;
	return 0;
}
