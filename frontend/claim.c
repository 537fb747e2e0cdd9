// SPDX-License-Identifier: MIT
/*
 * Claiming an instance: create its runtime directory, or join the running
 * instance of that name.
 *
 * Without --name: a new instance named after our pid.  With --name NAME,
 * under BASE/.NAME.lock so that concurrent starts agree: join the running
 * instance NAME, or create it (a stale directory, whose lock nobody holds,
 * is removed first).  An instance that is going away is waited for, then
 * created anew.  `hckns enter` only joins.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "common/runtime.h"
#include "common/instances.h"
#include "common/netinfo.h"
#include "model/opts.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Our own new instance in BASE/NAME: directory, lock, joiners' socket. */
static int create_rundir(struct run *run, const struct fe_base *base,
			 const char *name)
{
	char why[PATH_MAX + 256];
	int r;

	r = fe_runtime_create(base, name, run->rundir, sizeof(run->rundir),
			      why, sizeof(why));
	if (r < 0) {
		fe_error("%s", why);
		return r;
	}
	run->have_rundir = true;
	fe_trace("runtime directory: %s", run->rundir);
	snprintf(run->api_sock, sizeof(run->api_sock), "%s/%s", run->rundir,
		 FE_API_SOCK);
	run->lock_fd = fe_instance_lock(run->rundir, why, sizeof(why));
	if (run->lock_fd < 0) {
		fe_error("%s", why);
		return run->lock_fd;
	}
	run->listen_fd = fe_keeper_listen(run->rundir, why, sizeof(why));
	if (run->listen_fd < 0) {
		fe_error("%s", why);
		return run->listen_fd;
	}
	return 0;
}

/*
 * Ask the keeper on @fd to let us in, and wait (bounded, through the loop)
 * until it has: the instance may still be setting up.  Return: 0 with the
 * namespaces in run->ns, -ESRCH when it is going away, or -errno said.
 */
static int join_wait(struct run *run, int fd, const char *name,
		     struct fe_keeper_msg *m)
{
	struct keeper_answer *a = &run->kanswer;
	int r, waited = 0;

	run->keeper.sock = fd;
	*m = (struct fe_keeper_msg){ .type = FE_KEEPER_JOIN };
	r = fe_keeper_ask(run, m, NULL, 0, SLIRP_PROGRESS_MS);
	while (r == -ETIMEDOUT) {
		waited += SLIRP_PROGRESS_MS;
		if (waited >= SLIRP_READY_TIMEOUT_MS) {
			fe_error("instance '%s' did not become ready within %d s: "
				 "its creator is stuck in its setup; 'hckns stop %s' "
				 "ends it", name, waited / 1000, name);
			return -ETIMEDOUT;
		}
		dprintf(STDERR_FILENO, "hckns: waiting for instance '%s' to be "
			"ready (%d s)...\n", name, waited / 1000);
		r = fe_keeper_answer(run, m, SLIRP_PROGRESS_MS);
	}
	if (r == -EINTR || r == -ECHILD)
		return r;
	if (r < 0 || m->type != FE_KEEPER_JOINED || a->nfds != FE_NS_COUNT) {
		/*
		 * It is going away (stopping, or its last holder just left):
		 * `hckns enter` says so; --name waits and creates it anew.
		 */
		if (run->o.join_only)
			fe_error("cannot join instance '%s': %s", name,
				 r == 0 && m->type == FE_KEEPER_FAILED ?
				 "it is stopping" : "it ended meanwhile");
		return -ESRCH;
	}
	memcpy(run->ns, a->fds, sizeof(run->ns));
	a->nfds = 0;
	return 0;
}

/* A joiner's network options are the instance's, or none. */
static int joined_options_match(const struct run *run, const char *dir,
				const char *name, int32_t fingerprint)
{
	char theirs[2048], ours[2048], a[256], b[256];

	if (!fe_network_opts_given(&run->o) ||
	    fe_network_fingerprint(&run->o) == fingerprint)
		return 0;
	/* Name the option, where the instance says what it runs with. */
	if (fe_netinfo_options(dir, theirs, sizeof(theirs)) == 0 &&
	    fe_network_describe(&run->o, ours, sizeof(ours)) > 0 &&
	    fe_network_differ(theirs, ours, a, sizeof(a), b, sizeof(b)))
		fe_error("instance '%s' runs with %s, not %s; join it without "
			 "network or id options (or with the ones it was started "
			 "with), or choose another --name", name, a, b);
	else
		fe_error("instance '%s' runs with other network or id options "
			 "than these; join it without them (or with the ones it "
			 "was started with), or choose another --name", name);
	return -EINVAL;
}

/*
 * Join the instance in @dir through its keeper on @fd.  Return: 0, or
 * -errno with the message said (-ESRCH: it is going away, said for enter).
 */
static int join(struct run *run, const char *dir, int fd, const char *name)
{
	struct fe_keeper_msg m;
	char why[256];
	int r = join_wait(run, fd, name, &m);

	if (r < 0)
		return r;
	r = fe_ns_check(run->ns, FE_NS_COUNT, why, sizeof(why));
	if (r < 0) {
		fe_error("cannot join instance '%s': %s; refusing it: it is not "
			 "an instance of yours (see 'hckns ls')", name, why);
		return r;
	}
	run->joined = true;
	run->host_loopback = m.joined.flags & FE_KEEPER_F_HOST_LOOPBACK;
	r = joined_options_match(run, dir, name, m.joined.fingerprint);
	if (r < 0)
		return r;
	run->keeper.pid = m.joined.keeper_pid;
	run->keeper.pidfd = fe_pidfd_open(m.joined.keeper_pid);
	snprintf(run->rundir, sizeof(run->rundir), "%s", dir);
	snprintf(run->api_sock, sizeof(run->api_sock), "%s/%s", dir, FE_API_SOCK);
	fe_trace("joined instance '%s' (keeper pid %d)", name,
		 (int)m.joined.keeper_pid);
	return 0;
}

/* A keeper that would not let us in, or is not ours: one line. */
static int keeper_refused(const char *name, const char *dir, int r)
{
	if (r == -EPERM)
		fe_error("the keeper of instance '%s' (%s/%s) is not yours: "
			 "refusing it; see 'hckns ls' for your instances", name,
			 dir, FE_KEEPER_SOCK);
	else
		fe_error("no instance '%s' is running (see 'hckns ls')", name);
	return r == -EPERM ? -EPERM : -ESRCH;
}

/* The instance directory @name in @b is one hckns made, of ours. */
static int dir_ok(const struct fe_base *b, const char *name)
{
	char why[PATH_MAX + 256];
	int fd = fe_instance_dir_check(b, name, why, sizeof(why));

	if (fd < 0) {
		fe_error("%s", why);
		return fd;
	}
	close(fd);
	return 0;
}

/* `hckns enter NAME|PID`: join, never create. */
static int claim_join_only(struct run *run, const struct fe_base *b,
			   const char *name)
{
	char dir[PATH_MAX + 64];
	struct fe_instance in;
	int fd, r;

	/* `hckns enter PID`, the PID column of `hckns ls`. */
	if (fe_instance_by_pid(b, name, &in) == 0) {
		snprintf(run->o_name, sizeof(run->o_name), "%s", in.name);
		name = run->o_name;
	}
	snprintf(dir, sizeof(dir), "%s/%s", b->path, name);
	r = dir_ok(b, name);
	if (r < 0)
		return r;
	fd = fe_instance_alive(dir) ? fe_keeper_connect(dir) : -ESRCH;
	if (fd < 0)
		return keeper_refused(name, dir, fd);
	r = join(run, dir, fd, name);
	return r < 0 ? r : 1;
}

/* The instance in @dir is ending: wait (bounded) until it is gone. */
static void wait_gone(const char *dir, const char *name)
{
	char lockpath[PATH_MAX + 80];
	int lfd;

	fe_trace("instance '%s' is ending; waiting", name);
	snprintf(lockpath, sizeof(lockpath), "%s/%s", dir, FE_LOCK_FILE);
	lfd = open(lockpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lfd >= 0) {
		fe_flock_wait(lfd, LOCK_SH, 10000);
		close(lfd);
	}
}

/* --name NAME: join it when it runs, else create it. */
static int claim_named(struct run *run, const struct fe_base *b,
		       const char *name)
{
	char dir[PATH_MAX + 64], why[PATH_MAX + 256];
	int r;

	snprintf(dir, sizeof(dir), "%s/%s", b->path, name);
	for (int attempt = 0; attempt < 3; attempt++) {
		int lock = fe_name_lock(b->path, name, 10000, why, sizeof(why));
		int fd;

		if (lock < 0) {
			fe_error("%s", why);
			return lock;
		}
		if (!fe_instance_alive(dir)) {
			r = create_rundir(run, b, name);
			/* Joiners may come now: the keeper's socket exists. */
			close(lock);
			return r;
		}
		r = dir_ok(b, name);
		fd = r < 0 ? r : fe_keeper_connect(dir);
		close(lock);
		if (r < 0)
			return r;
		if (fd == -EPERM)
			return keeper_refused(name, dir, fd);
		r = fd >= 0 ? join(run, dir, fd, name) : -ESRCH;
		if (r != -ESRCH)
			return r < 0 ? r : 1;
		if (run->keeper.sock >= 0)
			close(run->keeper.sock);
		run->keeper.sock = -1;
		wait_gone(dir, name);
	}
	fe_error("instance '%s' keeps ending and starting; try again", name);
	return -EAGAIN;
}

/* Where this user's instances live, checked and held in @base. */
static int open_base(const struct run *run, const char *name,
		     struct fe_base *base)
{
	char parent[PATH_MAX], bname[32], inst[PATH_MAX + 160];
	char why[PATH_MAX + 256];
	int r;

	r = fe_base_choose(getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), getuid(),
			   parent, sizeof(parent), bname, sizeof(bname), why,
			   sizeof(why));
	/* Nothing is made for an instance whose sockets could not be bound. */
	if (r == 0) {
		char base_path[PATH_MAX + 64];

		snprintf(base_path, sizeof(base_path), "%.*s/%s", PATH_MAX - 40,
			 parent, bname);
		r = fe_runtime_fits(base_path, name, inst, sizeof(inst), why,
				    sizeof(why));
	}
	/* Checked first: nothing below is touched before.  enter makes none. */
	if (r == 0)
		r = fe_base_open_at(parent, bname, getuid(),
				    /* create= */ !run->o.join_only, base, why,
				    sizeof(why));
	if (r == -ENOENT && run->o.join_only) {
		fe_error("no instance '%s' is running (see 'hckns ls')", name);
		return -ESRCH;
	}
	if (r < 0) {
		fe_error("%s", why);
		return r;
	}
	fe_trace("runtime base: %s", base->path);
	return 0;
}

int fe_claim(struct run *run)
{
	char pidname[32];
	const char *name = run->o.name;
	struct fe_base base;
	int r;

	snprintf(pidname, sizeof(pidname), "%d", (int)getpid());
	r = open_base(run, name ? name : pidname, &base);
	if (r < 0)
		return r;
	/*
	 * What crashed instances left behind is swept once the command runs
	 * (fe_run_sweep()), off the start-up path: a name of ours that a
	 * crash left is handled below, under its own rules.
	 */
	run->sweep_due = true;
	if (!name)
		r = create_rundir(run, &base, pidname);
	else if (run->o.join_only)
		r = claim_join_only(run, &base, name);
	else
		r = claim_named(run, &base, name);
	fe_base_close(&base);
	return r;
}
