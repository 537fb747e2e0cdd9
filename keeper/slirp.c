// SPDX-License-Identifier: MIT
/*
 * The keeper: a fork of the front end that owns the runtime directory and
 * slirp4netns, and holds the instance's helper (its PID 1).  It outlives
 * nothing: when the last holder's channel closes (normal exit, crash or
 * SIGKILL), it stops slirp4netns, lets the helper go, with which the kernel
 * ends every process of the instance, removes the runtime directory and
 * exits (keeper/keeper.c).
 */
#include "keeper/keeper.h"
#include "common/util.h"
#include "common/runtime.h"
#include "model/opts.h"
#include "model/topology.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Descriptor numbers slirp4netns gets for -r and -e. */
#define SLIRP_READY_FD 3
#define SLIRP_EXIT_FD 4

static bool in_etc_or_run(const char *p)
{
	return strncmp(p, "/etc/", 5) == 0 || strncmp(p, "/run/", 5) == 0;
}

bool fe_slirp_sandbox_works(char *why, size_t len)
{
	char *real;

	if (geteuid() == 0 && (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN) != 1 ||
			       prctl(PR_CAPBSET_READ, CAP_SETPCAP) != 1)) {
		snprintf(why, len, "root whose bounding set lacks CAP_SYS_ADMIN or "
			 "CAP_SETPCAP, which its sandbox needs");
		return false;
	}
	/* No file (a dangling link): the same in the sandbox, no DNS. */
	real = realpath("/etc/resolv.conf", NULL);
	if (real && !in_etc_or_run(real)) {
		snprintf(why, len, "/etc/resolv.conf leads to %s, outside /etc "
			 "and /run, which its sandbox would hide (DNS would stop)",
			 real);
		free(real);
		return false;
	}
	free(real);
	return true;
}

/* slirp4netns @argv, in the child: its output, its two descriptors, no more. */
static void __attribute__((noreturn))
exec_slirp(const struct fe_opts *o, const char *slirp, char *const argv[],
	   const char *log, int ready_fd, int exit_fd)
{
	static char *const slirp_env[] = { "PATH=/usr/bin:/bin", NULL };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!o->verbose) {
		/* Its banner and chatter go to a log we show when it fails. */
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			      O_NOFOLLOW, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0)
			fe_child_die("cannot open slirp4netns's log %s", log);
	} else {
		dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	if (dup2(ready_fd, SLIRP_READY_FD) < 0 ||
	    dup2(exit_fd, SLIRP_EXIT_FD) < 0)
		fe_child_die("cannot give slirp4netns its descriptors");
	fe_close_from(SLIRP_EXIT_FD + 1, NULL, 0);
	fe_reset_signals();
	/*
	 * Nothing of the caller's environment (LD_PRELOAD, LD_LIBRARY_PATH,
	 * locale, glib's and libslirp's debug switches: the only variables
	 * it reads, and none it needs).  A fixed PATH without "." all the
	 * same, for a slirp4netns that is a wrapper script: a shell without
	 * PATH falls back to a default list, bash's ending in ".".
	 */
	execve(slirp, argv, slirp_env);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", slirp, strerror(errno));
	_exit(FE_EXIT_FAILURE);
}

pid_t fe_spawn_slirp(const struct fe_opts *o, const char *rundir,
			 const char *slirp, pid_t target, int ready_fd,
			 int exit_fd, int *pidfd)
{
	char sock[256], log[256], mtu[16], pid[16], why[PATH_MAX + 128];
	char line[1024] = "";
	struct fe_topology t;
	char *argv[20];
	int argc = 0;
	pid_t child;

	/* The front end checked it already: this cannot fail, but be sure. */
	if (fe_topology_build(o, &t, NULL, 0) < 0)
		return -EINVAL;
	snprintf(sock, sizeof(sock), "%s/%s", rundir, FE_API_SOCK);
	snprintf(log, sizeof(log), "%s/%s", rundir, FE_SLIRP_LOG);
	snprintf(mtu, sizeof(mtu), "%u", o->mtu);
	snprintf(pid, sizeof(pid), "%d", (int)target);
	argv[argc++] = "slirp4netns";
	argv[argc++] = "--ready-fd=3";
	argv[argc++] = "--exit-fd=4";
	argv[argc++] = "--api-socket";
	argv[argc++] = sock;
	argv[argc++] = "--mtu";
	argv[argc++] = mtu;
	if (!o->host_loopback)
		argv[argc++] = "--disable-host-loopback";
	/* Its network: the gateway, DNS and DHCP addresses follow. */
	argv[argc++] = "--cidr";
	argv[argc++] = t.cidr;
	if (t.ipv6)
		argv[argc++] = "--enable-ipv6";
	/*
	 * Hardening, in every slirp4netns since 0.4.0 (hckns's minimum): a
	 * seccomp filter that kills it on execve, ptrace, mount, setns,
	 * unshare and the like, and a sandbox (SECURITY.md).
	 */
	argv[argc++] = "--enable-seccomp";
	if (fe_slirp_sandbox_works(why, sizeof(why)))
		argv[argc++] = "--enable-sandbox";
	else
		fe_trace("slirp4netns: no --enable-sandbox: %s", why);
	argv[argc++] = pid;
	argv[argc++] = FE_TAP_NAME;
	argv[argc] = NULL;
	for (int i = 0; fe_verbose && i < argc; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s%s", i ? " " : "", argv[i]);
	fe_trace("slirp4netns command: %s", line);

	child = fe_clone(0, pidfd);
	if (child != 0)
		return child;
	/* The child: becomes slirp4netns. */
	exec_slirp(o, slirp, argv, log, ready_fd, exit_fd);
}
