// SPDX-License-Identifier: MIT
/*
 * hckns: run a command in a private network of its own, unprivileged.
 *
 * The front end parses and checks everything, creates the runtime directory,
 * forks the keeper (which owns the directory and slirp4netns), starts
 * hckns-helper in new user, network, mount and PID namespaces (it is their
 * PID 1), hands the keeper a copy of its socket, has the keeper start
 * slirp4netns, builds the network through the helper, runs the command in
 * the namespaces and tears everything down when it ends.  One
 * thread, one poll loop over a signalfd and pidfds; no work in signal
 * handlers, no sleeps.
 */
#include "fe.h"
#include "fwd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long slirp4netns may take to be ready, and progress after that. */
#define SLIRP_READY_TIMEOUT_MS 10000
#define SLIRP_PROGRESS_MS 2000
/* How long a command may take to end after SIGTERM when hckns stops it. */
#define STOP_GRACE_MS 1000
/* How long the helper and the keeper may take to end at teardown. */
#define HELPER_EXIT_MS 1000
#define KEEPER_EXIT_MS 5000

static const char usage[] =
"Usage: hckns [OPTIONS] [--] [COMMAND [ARG...]]\n"
"\n"
"Run COMMAND (default: your shell) as root of new user, network and mount\n"
"namespaces, in a private network reached through slirp4netns:\n"
"  br_world  10.0.2.100/24, holds tap_host, default route via 10.0.2.2\n"
"  br_ctrl   192.168.100.100/24\n"
"  br_test, br_debug  no address\n"
"  /etc/resolv.conf   nameserver 10.0.2.3 (inside only)\n"
"Everything is removed when COMMAND ends.  No root, setuid or PAM needed.\n"
"\n"
"Options:\n"
"  --name NAME      a shared instance: start it, or join it when it runs\n"
"  --detach         with --name: return once it runs, and let it run on\n"
"                   (COMMAND, default 'sleep infinity') until hckns stop\n"
"  -p, --publish SPEC  forward a host port into the namespace, repeatable;\n"
"                   SPEC is [tcp:|udp:][HOST_ADDR:]HOST_PORT\n"
"                   [:[GUEST_ADDR:]GUEST_PORT] (HOST_ADDR 127.0.0.1,\n"
"                   GUEST_ADDR 10.0.2.100, GUEST_PORT HOST_PORT by default)\n"
"  --status-fd FD   write JSON status lines (ready, started, exited) to FD\n"
"  --control-fd FD[,OUT]  read JSON requests from FD, answer on OUT (or FD)\n"
"  --host-loopback  let 10.0.2.2 reach this host's 127.0.0.1 (off by default)\n"
"  --mtu N          MTU of tap_host and the uplink, 576..65521 (1500)\n"
"  --map-subids     map your /etc/subuid and /etc/subgid ranges to ids 1..N\n"
"                   inside (newuidmap, newgidmap), so setgroups works\n"
"  --map-root=self|subids  who root inside is: you (self, the default;\n"
"                   for root, host root), or, root only, root's first\n"
"                   subordinate id with host uid 0 unmapped (subids)\n"
"  -v, --verbose    trace every step and helper request on stderr\n"
"                   (also HCKNS_VERBOSE=1)\n"
"  -h, --help       show this help and exit\n"
"  -V, --version    show the version and exit\n"
"\n"
"The network (see hckns(1), CUSTOM TOPOLOGY):\n"
"  --bridge NAME[:ADDR/PREFIX]  add a bridge, or give a default one an\n"
"                   IPv4 address; repeatable\n"
"  --no-default-bridges  without br_world, br_ctrl, br_test and br_debug\n"
"  --uplink BRIDGE  the bridge that holds tap_host and the default route\n"
"                   (default: br_world, else the first --bridge)\n"
"  --cidr A.B.C.D/N slirp4netns's network, prefix 8..25 (10.0.2.0/24): its\n"
"                   gateway is .2, DNS .3, DHCP .15-.30, the uplink .100\n"
"  --dns ADDR       the name server of /etc/resolv.conf (default: slirp's)\n"
"  --ipv6           slirp4netns's IPv6: fd00::100/64 on the uplink, default\n"
"                   route via fd00::2\n"
"  --txqueuelen N   tap_host's transmit queue length, 1..1000000\n"
"\n"
"COMMAND's environment tells it where it is: HCKNS_INSTANCE (the name),\n"
"HCKNS_RUNTIME_DIR, HCKNS_API_SOCKET (slirp4netns's API) and AUTOHCK_SLIRP\n"
"(the same socket, for AutoHCK).  Repeated single-valued options must agree.\n"
"\n"
"Exit status: COMMAND's; 128+N when it was killed by signal N; 125 when\n"
"hckns failed; 126 when COMMAND cannot be executed; 127 when not found.\n"
"\n"
"Subcommands:\n"
"  hckns enter NAME [--] [COMMAND]  run COMMAND in the running instance NAME\n"
"  hckns ls [--json]      list your running instances\n"
"  hckns stop NAME        end an instance (SIGTERM, SIGKILL 5 s later)\n"
"  hckns fwd add SPEC     add a port forward to a running instance\n"
"  hckns fwd list|ls      list its port forwards\n"
"  hckns fwd rm PORT|ID|SPEC  remove a port forward\n"
"                         (fwd: --instance NAME|PID|DIR, --json)\n"
"  hckns doctor           check that this host can run hckns\n"
"  hckns help, hckns version  as --help, --version\n"
"A program with one of these names runs with 'hckns -- NAME'.\n"
"\n"
"Examples:\n"
"  hckns -- bin/auto_hck -t ...          a whole run in a private network\n"
"  hckns --name lab -p 5900 -- qemu ...  a shared instance with a forward\n"
"  hckns enter lab                       a shell in it, from another terminal\n"
"  hckns fwd add --instance lab 15901:10.0.2.15:5900  a guest's VNC\n"
"See hckns(1).\n";

static const char enter_usage[] =
"Usage: hckns enter NAME [OPTIONS] [--] [COMMAND [ARG...]]\n"
"\n"
"Run COMMAND (default: your shell) in the running instance NAME (its\n"
"--name; for one started without --name, the number 'hckns ls' shows as\n"
"its name), in your working directory.\n"
"It only joins: an instance that does not run is an error.  OPTIONS are\n"
"hckns's (-p, --status-fd, --control-fd, -v); network options must be\n"
"the instance's own or absent.  See hckns(1).\n";

/* Everything one run holds, so that one teardown can release it. */
struct run {
	struct fe_opts o;
	char rundir[PATH_MAX];
	char helper_path[PATH_MAX];
	char slirp_path[PATH_MAX];
	char cwd[PATH_MAX];
	bool have_rundir;
	int lock_fd;		/* held while the instance lives */
	struct fe_keeper keeper;
	bool keeper_dead;
	struct fe_helper helper;
	uint64_t userns_dev, userns_ino;
	bool have_userns;
	int ns[FE_NS_COUNT];	/* the instance's user, net, mnt and pid ns */
	int listen_fd;		/* RUNDIR/keeper.sock, handed to the keeper */
	bool joined;		/* we joined a running instance */
	bool host_loopback;	/* the instance's --host-loopback */
	pid_t keeper_pid;	/* when joined: the keeper (not our child) */
	int sfd;		/* signalfd */
	int interrupted;	/* the signal that aborted the setup */
	pid_t cmd_pid;
	int cmd_pidfd;
	char api_sock[PATH_MAX + 16];
	struct fe_fwd publish[FE_PUBLISH_MAX];	/* -p, parsed */
	struct fe_topology topo;	/* the network, from the options */
	char guest_addr[INET_ADDRSTRLEN];	/* the uplink's: forwards lead there */
	bool slirp_gone;	/* no forwards to remove at the end */
	int status_fd;		/* --status-fd, -1 once it fails */
	bool status_lost;	/* its reader went away: the script is gone */
	struct fe_linebuf ctl;	/* --control-fd input */
	char failure[256];	/* why hckns failed, for the exited line */
	char o_name[64];	/* `enter PID`: the name of that instance */
	int detach_fd;		/* --detach: told once the command runs */
};

/* The signals hckns takes through its signalfd. */
static void relayed_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* Sent by a process (kill, sigqueue), not by the terminal or the kernel. */
static bool from_process(const struct signalfd_siginfo *si)
{
	return si->ssi_code == SI_USER || si->ssi_code == SI_QUEUE ||
	       si->ssi_code == SI_TKILL;
}

/*
 * Wait until @fd is readable, watching the signalfd (@fd -1: only the
 * signalfd).  Return: 1 readable, 0 timed out, -EINTR when a signal
 * aborted the setup.
 */
static int wait_fd(struct run *run, int fd, int timeout_ms)
{
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = run->sfd, .events = POLLIN },
			/* Either dying during the setup ends it, at once. */
			{ .fd = run->helper.pidfd, .events = POLLIN },
			{ .fd = run->keeper.pidfd, .events = POLLIN },
		};
		int n = poll(p, 4, timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(run->sfd, &si, sizeof(si)) == sizeof(si) &&
			    (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM ||
			     si.ssi_signo == SIGHUP || si.ssi_signo == SIGQUIT)) {
				run->interrupted = (int)si.ssi_signo;
				return -EINTR;
			}
			continue;
		}
		/* A death first: EOF on @fd may be its consequence. */
		if (p[2].revents || p[3].revents) {
			bool helper = p[2].revents;
			int pidfd = helper ? run->helper.pidfd : run->keeper.pidfd;
			char desc[128];

			fe_describe_status(fe_pidfd_wait(pidfd, WNOHANG | WNOWAIT),
					   desc, sizeof(desc));
			fe_error("%s %s during the setup", helper ?
				 "hckns-helper" : "the keeper process", desc);
			if (!helper)
				run->keeper_dead = true;	/* said */
			return -ECHILD;
		}
		return p[0].revents ? 1 : 0;
	}
}

static int find_helper(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	return fe_find_helper(exe, out, len);
}

/*
 * The descriptors of --status-fd and --control-fd must be open; they are
 * made close-on-exec, so that the command does not hold them (a script
 * waiting for EOF on the status pipe gets it when hckns ends).
 */
static int check_script_fds(struct run *run)
{
	const struct {
		int fd;
		const char *opt;
	} fds[] = {
		{ run->o.status_fd, "--status-fd" },
		{ run->o.control_in, "--control-fd" },
		{ run->o.control_out, "--control-fd" },
	};

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++) {
		int flags;

		if (fds[i].fd < 0)
			continue;
		flags = fcntl(fds[i].fd, F_GETFD);
		if (flags < 0 || fds[i].fd <= STDERR_FILENO) {
			fe_error("%s %d: %s; give a descriptor the caller opened "
				 "for hckns (3 or above)", fds[i].opt, fds[i].fd,
				 flags < 0 ? "not an open descriptor"
					   : "not for standard input, output or error");
			return -EBADF;
		}
		fcntl(fds[i].fd, F_SETFD, flags | FD_CLOEXEC);
	}
	run->status_fd = run->o.status_fd;
	return 0;
}

/* One status line; a reader that went away just ends the status lines. */
static void status_emit(struct run *run, json_t *obj)
{
	char *text;

	if (!obj)
		return;
	if (run->status_fd >= 0) {
		text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (text && (fe_write_all(run->status_fd, text, strlen(text)) < 0 ||
			     fe_write_all(run->status_fd, "\n", 1) < 0)) {
			fe_trace("status fd: %s; no more status lines",
				 strerror(errno));
			run->status_fd = -1;
			run->status_lost = true;
		}
		free(text);
	}
	json_decref(obj);
}

static json_t *forwards_json(const struct fe_fwd *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, fe_control_entry(&v[i]));
	return a;
}

static void status_ready(struct run *run)
{
	char ns[FE_NS_COUNT][64];
	static const char *const kinds[FE_NS_COUNT] = { "user", "net", "mnt",
							"pid" };
	json_t *nsobj = json_object();

	for (int i = 0; i < FE_NS_COUNT; i++) {
		/* A joiner has no helper: its own descriptors name them. */
		if (run->joined)
			snprintf(ns[i], sizeof(ns[i]), "/proc/%d/fd/%d",
				 (int)getpid(), run->ns[i]);
		else
			snprintf(ns[i], sizeof(ns[i]), "/proc/%d/ns/%s",
				 (int)run->helper.pid, kinds[i]);
		json_object_set_new(nsobj, kinds[i], json_string(ns[i]));
	}
	status_emit(run, json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:b, s:o, s:o}",
				   "event", "ready",
				   "pid", (int)getpid(),
				   "helper_pid", run->joined ? 0 : (int)run->helper.pid,
				   "instance", strrchr(run->rundir, '/') + 1,
				   "runtime_dir", run->rundir,
				   "api_socket", run->api_sock,
				   "joined", run->joined,
				   "namespaces", nsobj,
				   "forwards", forwards_json(run->publish,
							     run->o.npublish)));
}

static void status_exited(struct run *run, int code, int wstatus, bool ran)
{
	json_t *o;

	if (fe_last_error[0] && code == FE_EXIT_FAILURE)
		o = json_pack("{s:s, s:i, s:s, s:s}", "event", "exited",
			      "exit_status", code, "how", "failed",
			      "error", fe_last_error);
	else if (ran && WIFSIGNALED(wstatus))
		o = json_pack("{s:s, s:i, s:s, s:i, s:s}", "event", "exited",
			      "exit_status", code, "how", "killed",
			      "signal", WTERMSIG(wstatus),
			      "signal_name", sigabbrev_np(WTERMSIG(wstatus)) ?
			      sigabbrev_np(WTERMSIG(wstatus)) : "?");
	else if (ran)
		o = json_pack("{s:s, s:i, s:s, s:i}", "event", "exited",
			      "exit_status", code, "how", "exited",
			      "code", WEXITSTATUS(wstatus));
	else
		o = json_pack("{s:s, s:i, s:s, s:s}", "event", "exited",
			      "exit_status", code, "how", "failed",
			      "error", fe_last_error[0] ? fe_last_error
							: "interrupted");
	status_emit(run, o);
}

/* Checks that need nothing created: fail before anything exists. */
static int preflight(struct run *run)
{
	char err[512];
	struct stat st;
	int r;

	/* subids.h says why it is root's only. */
	if (run->o.map_root == FE_MAP_ROOT_SUBIDS && getuid() != 0) {
		fe_error("--map-root=subids is for root only: it keeps host root "
			 "out of root's instances, and root of yours is you, "
			 "never host root; leave it out (--map-subids gives you "
			 "more ids)");
		return -EPERM;
	}
	if (find_helper(run->helper_path, sizeof(run->helper_path)) < 0) {
		fe_error("cannot find hckns-helper next to hckns or in %s: "
			 "reinstall hckns ('make install')", HCKNS_LIBEXECDIR);
		return -ENOENT;
	}
	fe_trace("helper: %s", run->helper_path);
	r = fe_find_in_path("slirp4netns", getenv("PATH"), run->slirp_path,
			    sizeof(run->slirp_path));
	if (r < 0) {
		fe_error("slirp4netns not found in PATH: install it (Debian and "
			 "Ubuntu: 'apt install slirp4netns')");
		return r;
	}
	fe_trace("slirp4netns: %s", run->slirp_path);
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		r = -errno;
		if (r == -ENOENT)
			fe_error("/dev/net/tun does not exist: slirp4netns needs "
				 "it; as root, run 'modprobe tun'");
		else
			fe_error("/dev/net/tun is not accessible (%s): slirp4netns "
				 "needs it; as root, run 'chmod 0666 /dev/net/tun' "
				 "(the usual default)", strerror(-r));
		return r;
	}
	/*
	 * Root passes access(2) whatever the mode; the helper's tap-add,
	 * as a subordinate id, needs the device open to others.
	 */
	if (run->o.map_root == FE_MAP_ROOT_SUBIDS &&
	    stat("/dev/net/tun", &st) == 0 && (st.st_mode & 0006) != 0006) {
		fe_error("/dev/net/tun is mode %04o: with --map-root=subids the "
			 "helper opens it as root's first subordinate id, an "
			 "other user to it; as root, run 'chmod 0666 "
			 "/dev/net/tun' (the usual default)",
			 (unsigned int)(st.st_mode & 07777));
		return -EACCES;
	}
	/* The network: every value checked, every clash refused, now. */
	r = fe_topology_build(&run->o, &run->topo, err, sizeof(err));
	if (r < 0) {
		fe_error("%s", err);
		return r;
	}
	snprintf(run->guest_addr, sizeof(run->guest_addr), "%s",
		 fe_topology_guest_addr(&run->topo));
	for (size_t i = 0; i < run->o.npublish; i++) {
		char why[FE_FWD_ERR_MAX];

		if (fe_fwd_parse(run->o.publish[i], run->guest_addr,
				 &run->publish[i], why, sizeof(why)) < 0) {
			fe_error("%s", why);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (fe_fwd_match(&run->publish[j], &run->publish[i])) {
				fe_error("-p %s duplicates -p %s (the same host "
					 "port): give each forward once",
					 run->o.publish[i], run->o.publish[j]);
				return -EINVAL;
			}
	}
	r = check_script_fds(run);
	if (r < 0)
		return r;
	if (!getcwd(run->cwd, sizeof(run->cwd))) {
		r = -errno;
		fe_error("cannot get the working directory: %s; %s", strerror(-r),
			 r == -ENOENT ? "it was removed: cd to a directory that "
			 "exists and run hckns again" : "cd to a directory you "
			 "can read and run hckns again");
		return r;
	}
	return 0;
}

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
 * Ask the keeper of the instance in @dir to let us in, and wait (bounded,
 * watching signals) until it has: the instance may still be setting up.
 * Return: 0, or -errno with the message said.
 */
static int join(struct run *run, const char *dir, int fd, const char *name)
{
	struct fe_keeper_msg m = { .type = FE_KEEPER_JOIN };
	char why[256];
	struct stat st;
	int r, waited = 0;

	run->keeper.sock = fd;
	r = fe_keeper_send(fd, &m, NULL, 0);
	while (r == 0) {
		r = wait_fd(run, fd, SLIRP_PROGRESS_MS);
		if (r > 0)
			break;
		if (r < 0)
			return r;
		waited += SLIRP_PROGRESS_MS;
		if (waited >= SLIRP_READY_TIMEOUT_MS) {
			fe_error("instance '%s' did not become ready within %d s",
				 name, waited / 1000);
			return -ETIMEDOUT;
		}
		dprintf(STDERR_FILENO, "hckns: waiting for instance '%s' to be "
			"ready (%d s)...\n", name, waited / 1000);
	}
	r = fe_keeper_recv(fd, &m, run->ns, FE_NS_COUNT, 0);
	if (r != FE_NS_COUNT || m.type != FE_KEEPER_JOINED) {
		/*
		 * It is going away (stopping, or its last holder just left):
		 * `hckns enter` says so; --name waits and creates it anew.
		 */
		if (run->o.join_only)
			fe_error("cannot join instance '%s': %s", name,
				 r >= 0 && m.type == FE_KEEPER_FAILED ?
				 "it is stopping" : "it ended meanwhile");
		for (int i = 0; i < r && i < FE_NS_COUNT; i++) {
			close(run->ns[i]);
			run->ns[i] = -1;
		}
		return -ESRCH;
	}
	r = fe_ns_check(run->ns, FE_NS_COUNT, why, sizeof(why));
	if (r < 0) {
		fe_error("cannot join instance '%s': %s; refusing it", name, why);
		return r;
	}
	run->joined = true;
	run->host_loopback = m.flags & FE_KEEPER_F_HOST_LOOPBACK;
	/*
	 * A joiner's network options are the instance's, or none: the
	 * network was built when it was created.
	 */
	if (fe_network_opts_given(&run->o) &&
	    fe_network_fingerprint(&run->o) != m.value) {
		char theirs[2048], ours[2048], a[256], b[256];

		/* Name the option, where the instance says what it runs with. */
		if (fe_netinfo_options(dir, theirs, sizeof(theirs)) == 0 &&
		    fe_network_describe(&run->o, ours, sizeof(ours)) > 0 &&
		    fe_network_differ(theirs, ours, a, sizeof(a), b, sizeof(b)))
			fe_error("instance '%s' runs with %s, not %s; join it "
				 "without network or id options (or with the ones "
				 "it was started with), or choose another --name",
				 name, a, b);
		else
			fe_error("instance '%s' runs with other network or id "
				 "options than these; join it without them (or "
				 "with the ones it was started with), or choose "
				 "another --name", name);
		return -EINVAL;
	}
	run->keeper_pid = m.pid;
	run->keeper.pidfd = (int)syscall(SYS_pidfd_open, m.pid, 0);
	if (fstat(run->ns[0], &st) == 0) {
		run->userns_dev = st.st_dev;
		run->userns_ino = st.st_ino;
		run->have_userns = true;
	}
	snprintf(run->rundir, sizeof(run->rundir), "%s", dir);
	snprintf(run->api_sock, sizeof(run->api_sock), "%s/%s", dir, FE_API_SOCK);
	fe_trace("joined instance '%s' (keeper pid %d)", name, (int)m.pid);
	return 0;
}

/*
 * claim_instance() - create the instance, or join it.
 *
 * Without --name: a new instance named after our pid.  With --name NAME,
 * under BASE/.NAME.lock so that concurrent starts agree: join the running
 * instance NAME, or create it (a stale directory, whose lock nobody holds,
 * is removed first).  An instance that is going away is waited for, then
 * created anew.  `hckns enter` only joins.
 *
 * Return: 0 when we create (setup follows), 1 when we joined, -errno.
 */
static int claim_in(struct run *run, const struct fe_base *b, const char *name,
		    char *pidname, size_t plen, char *dir, size_t dlen);

static int claim_instance(struct run *run)
{
	char pidname[32], dir[PATH_MAX + 64], why[PATH_MAX + 256];
	char parent[PATH_MAX], bname[32], inst[PATH_MAX + 160];
	const char *name = run->o.name;
	struct fe_base base;
	int r;

	/* Nothing is made for an instance whose sockets could not be bound. */
	snprintf(pidname, sizeof(pidname), "%d", (int)getpid());
	r = fe_base_choose(getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), getuid(),
			   parent, sizeof(parent), bname, sizeof(bname), why,
			   sizeof(why));
	if (r == 0) {
		char base_path[PATH_MAX + 64];

		snprintf(base_path, sizeof(base_path), "%.*s/%s", PATH_MAX - 40,
			 parent, bname);
		r = fe_runtime_fits(base_path, name ? name : pidname, inst,
				    sizeof(inst), why, sizeof(why));
	}
	if (r < 0) {
		fe_error("%s", why);
		return r;
	}
	/* Checked first: nothing below is touched before.  enter makes none. */
	r = fe_base_open_at(parent, bname, getuid(),
			    /* create= */ !run->o.join_only, &base, why,
			    sizeof(why));
	if (r == -ENOENT) {
		fe_error("no instance '%s' is running (see 'hckns ls')", name);
		return -ESRCH;
	}
	if (r < 0) {
		fe_error("%s", why);
		return r;
	}
	fe_trace("runtime base: %s", base.path);
	r = claim_in(run, &base, name, pidname, sizeof(pidname), dir,
		     sizeof(dir));
	fe_base_close(&base);
	return r;
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

/* claim_instance() in the checked base @b. */
static int claim_in(struct run *run, const struct fe_base *b, const char *name,
		    char *pidname, size_t plen, char *dir, size_t dlen)
{
	char why[PATH_MAX + 256];
	int r;

	/* What crashed instances left behind goes first. */
	fe_runtime_sweep(b);
	if (!name) {
		snprintf(pidname, plen, "%d", (int)getpid());
		return create_rundir(run, b, pidname);
	}
	snprintf(dir, dlen, "%s/%s", b->path, name);
	if (run->o.join_only) {
		struct fe_instance in;
		int fd;

		/* `hckns enter PID`, the PID column of `hckns ls`. */
		if (fe_instance_by_pid(b, name, &in) == 0) {
			snprintf(run->o_name, sizeof(run->o_name), "%s", in.name);
			name = run->o_name;
			snprintf(dir, dlen, "%s/%s", b->path, name);
		}
		fd = fe_instance_dir_check(b, name, why, sizeof(why));

		if (fd < 0) {
			fe_error("%s", why);
			return fd;
		}
		close(fd);
		fd = fe_instance_alive(dir) ? fe_keeper_connect(dir) : -ESRCH;
		if (fd < 0)
			return keeper_refused(name, dir, fd);
		r = join(run, dir, fd, name);
		return r < 0 ? r : 1;
	}
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
		fd = fe_instance_dir_check(b, name, why, sizeof(why));
		if (fd < 0) {
			close(lock);
			fe_error("%s", why);
			return fd;
		}
		close(fd);
		fd = fe_keeper_connect(dir);
		close(lock);
		if (fd == -EPERM)
			return keeper_refused(name, dir, fd);
		if (fd >= 0) {
			r = join(run, dir, fd, name);
			if (r == 0)
				return 1;
			if (r != -ESRCH)
				return r;
			close(run->keeper.sock);
			run->keeper.sock = -1;
		}
		/* It is going away: wait until it is gone, then try again. */
		fe_trace("instance '%s' is ending; waiting", name);
		{
			char lockpath[PATH_MAX + 80];
			int lfd;

			snprintf(lockpath, sizeof(lockpath), "%s/%s", dir,
				 FE_LOCK_FILE);
			lfd = open(lockpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (lfd >= 0) {
				fe_flock_wait(lfd, LOCK_SH, 10000);
				close(lfd);
			}
		}
	}
	fe_error("instance '%s' keeps ending and starting; try again", name);
	return -EAGAIN;
}

/* One helper request, traced. */
/*
 * The helper's reason names the request again ("addr-add br0: File
 * exists"), which the message has already said: what comes after it.
 */
static const char *own_words(uint16_t op, const char *reason)
{
	const char *name = proto_op_name(op), *colon = strstr(reason, ": ");
	size_t n = strlen(name);

	if (colon && strncmp(reason, name, n) == 0 && reason[n] == ' ')
		return colon + 2;
	return reason;
}

static int helper_call(struct run *run, uint16_t op, const void *p, size_t len,
		       const char *what, char *reason, size_t rlen)
{
	int r = fe_helper_call(&run->helper, op, p, len, reason, rlen);

	if (r == 0)
		fe_trace("helper: %s: ok", what);
	else
		fe_trace("helper: %s: %s", what,
			 reason[0] ? own_words(op, reason) : strerror(-r));
	return r;
}

/*
 * Did the helper die by a signal (it ends by itself with a message and a
 * status)?  Then @desc says how.  Waits a little: its socket closes just
 * before its pidfd turns readable.
 */
static bool helper_killed(struct run *run, char *desc, size_t len)
{
	struct pollfd p = { .fd = run->helper.pidfd, .events = POLLIN };
	int st;

	if (run->helper.pidfd < 0 || poll(&p, 1, 1000) != 1)
		return false;
	st = fe_pidfd_wait(run->helper.pidfd, WNOHANG | WNOWAIT);
	if (st < 0 || !WIFSIGNALED(st))
		return false;
	fe_describe_status(st, desc, len);
	return true;
}

static int start_helper(struct run *run)
{
	struct fe_idmap map = { .outer_uid = getuid(), .outer_gid = getgid() };
	char why[512], advice[512], path[64], reason[PROTO_REASON_MAX];
	struct stat st;
	int r;

	map.root_subid = run->o.map_root == FE_MAP_ROOT_SUBIDS;
	if (run->o.map_subids || map.root_subid) {
		r = fe_idmap_subids(&map, getenv("PATH"), why, sizeof(why));
		if (r < 0) {
			fe_error("%s", why);
			return r;
		}
	}
	r = fe_helper_spawn(&run->helper, run->helper_path, &map,
			    STDERR_FILENO, why, sizeof(why));
	if (r < 0 && map.subids && run->helper.idmap_failed) {
		/* newuidmap's or newgidmap's own words, not advice on userns. */
		fe_error("%s", why);
		return r;
	}
	if (r < 0) {
		fe_error("%s: %s", why,
			 fe_userns_advice("/proc", -r, advice, sizeof(advice)));
		return r;
	}
	fe_trace("helper started, pid %d", (int)run->helper.pid);
	/* The helper is our unreaped child: its pid cannot be reused yet. */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)run->helper.pid);
	if (stat(path, &st) < 0) {
		r = -errno;
		fe_error("cannot look at the new user namespace (%s): %s", path,
			 strerror(-r));
		return r;
	}
	run->userns_dev = st.st_dev;
	run->userns_ino = st.st_ino;
	run->have_userns = true;
	/* The command, the keeper and joiners enter through these. */
	for (int i = 0; i < FE_NS_COUNT; i++) {
		static const char *const kinds[FE_NS_COUNT] = { "user", "net",
								"mnt", "pid" };

		snprintf(path, sizeof(path), "/proc/%d/ns/%s",
			 (int)run->helper.pid, kinds[i]);
		run->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (run->ns[i] < 0) {
			r = -errno;
			fe_error("cannot open %s: %s", path, strerror(-r));
			return r;
		}
	}
	r = helper_call(run, PROTO_REQ_HELLO, NULL, 0, "hello", reason,
			sizeof(reason));
	if (r < 0 && helper_killed(run, why, sizeof(why))) {
		/* Killed by someone: not a userns restriction. */
		fe_error("hckns-helper %s during the setup", why);
		return r;
	}
	if (r < 0) {
		/*
		 * It says why on its stderr; it fails there when the user
		 * namespace grants no capabilities (Ubuntu's AppArmor).
		 */
		fe_error("the helper did not start (%s): %s; %s", strerror(-r),
			 reason[0] ? reason : "see its message above",
			 fe_userns_advice("/proc", EPERM, advice, sizeof(advice)));
		return r;
	}
	/*
	 * It confines itself before it answers hello; see that it did,
	 * rather than trust it: a helper built or run without its filter
	 * (valgrind, a preloaded library) is not used.
	 */
	r = fe_helper_check_confined(run->helper.pid, why, sizeof(why));
	if (r < 0) {
		fe_error("hckns-helper is not confined as it must be: %s; "
			 "reinstall hckns ('make install') and run it as it is",
			 why);
		return r;
	}
	fe_trace("helper confined: Seccomp 2, NoNewPrivs 1, CapEff and CapBnd "
		 "CAP_NET_ADMIN and CAP_SYS_ADMIN");
	return 0;
}

static int keeper_recv(struct run *run, struct fe_keeper_msg *m)
{
	int r = fe_keeper_recv(run->keeper.sock, m, NULL, 0, MSG_DONTWAIT);

	return r > 0 ? -EPROTO : r;
}

/* The last line slirp4netns wrote, to say why it failed. */
static void slirp_last_line(struct run *run, char *buf, size_t len)
{
	char path[PATH_MAX + 32], text[4096];
	ssize_t n = 0;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", run->rundir, FE_SLIRP_LOG);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	/* The end of the log is what matters. */
	if (lseek(fd, 0, SEEK_END) > (off_t)sizeof(text) - 1)
		lseek(fd, -(off_t)(sizeof(text) - 1), SEEK_END);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	{
		const char *last = strrchr(text, '\n');
		size_t m;

		last = last ? last + 1 : text;
		m = strlen(last) < len - 1 ? strlen(last) : len - 1;
		memcpy(buf, last, m);
		buf[m] = '\0';
	}
}

static void slirp_failed(struct run *run, const char *what)
{
	struct fe_keeper_msg m;
	char line[512], status[96] = "";

	/* Its exit status comes from the keeper, right after. */
	if (wait_fd(run, run->keeper.sock, 1000) > 0 && keeper_recv(run, &m) == 0 &&
	    m.type == FE_KEEPER_SLIRP_EXITED)
		fe_describe_status(m.value, status, sizeof(status));
	slirp_last_line(run, line, sizeof(line));
	/* One line: what happened, then what slirp4netns said last. */
	fe_error("slirp4netns %s%s%s%s%s%s", what, status[0] ? " (" : "",
		 status, status[0] ? ")" : "", line[0] ? ": " : "", line);
}

/*
 * The keeper did not take or answer a message during the setup (@r < 0, or
 * 0: no answer in time): say how it ended when it has, else what failed.
 * Return: -EPIPE.
 */
static int keeper_lost(struct run *run, int r)
{
	struct pollfd p = { .fd = run->keeper.pidfd, .events = POLLIN };
	char desc[128];

	/* Its socket closes just before its pidfd turns readable. */
	if (run->keeper.pidfd >= 0 && poll(&p, 1, 1000) == 1) {
		fe_describe_status(fe_pidfd_wait(run->keeper.pidfd,
						 WNOHANG | WNOWAIT),
				   desc, sizeof(desc));
		fe_error("the keeper process %s during the setup", desc);
		run->keeper_dead = true;	/* said; teardown() reaps it */
	} else if (r < 0) {
		fe_error("the keeper process is gone: %s", strerror(-r));
	} else {
		fe_error("the keeper process did not answer within %d s",
			 KEEPER_EXIT_MS / 1000);
	}
	return -EPIPE;
}

/*
 * From now on the keeper holds the instance too: its copy of the helper's
 * socket keeps the helper, PID 1 of the instance, and with it every
 * process inside, until the keeper lets it go (keeper_main.c).  Were both
 * of us to die, both copies close and the kernel ends it all.
 */
static int hand_helper_to_keeper(struct run *run)
{
	const int fds[2] = { run->helper.sock, run->helper.pidfd };
	struct fe_keeper_msg m = {
		.type = FE_KEEPER_HELPER,
		.pid = run->helper.pid,
	};
	int r = fe_keeper_send(run->keeper.sock, &m, fds, 2);

	return r < 0 ? keeper_lost(run, r) : 0;
}

static int start_slirp(struct run *run)
{
	struct fe_keeper_msg m = {
		.type = FE_KEEPER_START,
		.pid = run->helper.pid,
	};
	int r;

	r = fe_keeper_send(run->keeper.sock, &m, run->ns, FE_NS_COUNT);
	if (r < 0)
		return keeper_lost(run, r);
	r = wait_fd(run, run->keeper.sock, KEEPER_EXIT_MS);
	if (r == -EINTR || r == -ECHILD)
		return r;
	if (r <= 0)
		return keeper_lost(run, r);
	r = keeper_recv(run, &m);
	if (r < 0)
		return keeper_lost(run, r);
	if (m.type == FE_KEEPER_FAILED) {
		fe_error("cannot start slirp4netns (%s): %s", run->slirp_path,
			 strerror(m.value));
		return -m.value;
	}
	fe_trace("slirp4netns started, pid %d", m.value);
	return 0;
}

static int wait_slirp_ready(struct run *run)
{
	int waited = 0;
	char c;

	for (;;) {
		int r = wait_fd(run, run->keeper.ready_fd, SLIRP_PROGRESS_MS);

		if (r < 0)
			return r;
		if (r > 0)
			break;
		waited += SLIRP_PROGRESS_MS;
		if (waited >= SLIRP_READY_TIMEOUT_MS) {
			fe_error("slirp4netns did not become ready within %d s; "
				 "run with -v to see its output",
				 SLIRP_READY_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		dprintf(STDERR_FILENO, "hckns: still waiting for slirp4netns "
			"(%d s)...\n", waited / 1000);
	}
	if (read(run->keeper.ready_fd, &c, 1) != 1 || c != '1') {
		slirp_failed(run, "exited before it was ready");
		return -EIO;
	}
	fe_trace("slirp4netns is ready");
	return 0;
}

/* Is anything mounted below /etc, in our mount namespace? */
static bool mounts_under_etc(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the fifth field. */
	while (!found && fgets(line, sizeof(line), f)) {
		char point[4096];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    strncmp(point, "/etc/", 5) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

/* When a step runs (struct fe_step's before_slirp and needs_tap). */
enum step_phase {
	PHASE_BEFORE_SLIRP,	/* before slirp4netns starts */
	PHASE_SLIRP_STARTING,	/* while it starts */
	PHASE_SLIRP_READY,	/* once it is ready */
};

static enum step_phase step_phase(const struct fe_step *s)
{
	if (s->before_slirp)
		return PHASE_BEFORE_SLIRP;
	return s->needs_tap ? PHASE_SLIRP_READY : PHASE_SLIRP_STARTING;
}

/*
 * A step failed: was it because the keeper or slirp4netns died meanwhile
 * (the tap or the API socket vanishing with it)?  Then say that, once,
 * instead of the symptom.  Return: true when it said so.
 */
static bool death_explains(struct run *run)
{
	struct pollfd p = { .fd = run->keeper.pidfd, .events = POLLIN };
	struct fe_keeper_msg m;
	char desc[128];

	if (run->keeper.pidfd >= 0 && poll(&p, 1, 0) == 1 && !run->joined) {
		fe_describe_status(fe_pidfd_wait(run->keeper.pidfd,
						 WNOHANG | WNOWAIT),
				   desc, sizeof(desc));
		fe_error("the keeper process %s during the setup", desc);
		run->keeper_dead = true;	/* said; teardown() reaps it */
		return true;
	}
	/* slirp4netns's end comes from the keeper, maybe a moment later. */
	p = (struct pollfd){ .fd = run->keeper.sock, .events = POLLIN };
	if (run->keeper.sock >= 0 && poll(&p, 1, 200) == 1 &&
	    keeper_recv(run, &m) == 0 && m.type == FE_KEEPER_SLIRP_EXITED) {
		fe_describe_status(m.value, desc, sizeof(desc));
		fe_error("slirp4netns %s during the setup", desc);
		run->slirp_gone = true;
		return true;
	}
	return false;
}

static int run_steps(struct run *run, const struct fe_step *steps, int n,
		     enum step_phase phase)
{
	char reason[PROTO_REASON_MAX], advice[512];

	for (int i = 0; i < n; i++) {
		const struct fe_step *s = &steps[i];
		int r;

		if (step_phase(s) != phase)
			continue;
		r = helper_call(run, s->op, s->plen ? &s->p : NULL, s->plen,
				s->what, reason, sizeof(reason));
		/*
		 * The helper died under the request: say how, as wait_fd()
		 * does (its pidfd turns readable just after its socket
		 * closes), not only that it is gone.
		 */
		if (r == -EPIPE) {
			int w = wait_fd(run, -1, 1000);

			if (w == -ECHILD || w == -EINTR)
				return w;
		}
		/* A step the run can do without (topology.c): go on, traced. */
		if (r == -EPERM && s->if_refused) {
			fe_trace("%s (%s): %s", s->if_refused,
				 own_words(s->op, reason), s->then);
			continue;
		}
		if (r == -EPERM || r == -EACCES) {
			fe_error("cannot %s: %s: %s", s->what, reason,
				 fe_userns_advice("/proc", -r, advice,
						  sizeof(advice)));
			return r;
		}
		if (r < 0 && s->op == PROTO_REQ_RESOLV_SET && mounts_under_etc()) {
			/* The kernel keeps inherited mounts locked in place. */
			fe_error("cannot %s: %s: something is mounted below /etc "
				 "(a container runtime's /etc/hosts, say), and the "
				 "overlay hckns puts on /etc cannot cover it; run "
				 "hckns where nothing is mounted below /etc", s->what,
				 reason[0] ? reason : strerror(-r));
			return r;
		}
		/*
		 * A kernel without htb or u32: fail closed (no guard, no
		 * slirp4netns, no command), and say what it needs.
		 */
		if (r == -ENOENT && s->op == PROTO_REQ_UPLINK_GUARD &&
		    !death_explains(run)) {
			fe_error("cannot %s: %s; hckns does not run without it: "
				 "the kernel must have the htb qdisc and the u32 "
				 "classifier (as root: 'modprobe -a sch_htb "
				 "cls_u32'; 'hckns doctor' checks)", s->what,
				 reason[0] ? own_words(s->op, reason) :
				 strerror(-r));
			return r;
		}
		if (r < 0 && !death_explains(run))
			fe_error("cannot %s: %s", s->what,
				 reason[0] ? own_words(s->op, reason) :
				 strerror(-r));
		if (r < 0)
			return r;
	}
	return 0;
}

/* The -p forwards; each listens on the host once slirp4netns answers. */
static int publish(struct run *run)
{
	struct fe_fwd *have = NULL;
	size_t nhave = 0;

	/* A joiner asking for a forward the instance has: already there. */
	if (run->joined && run->o.npublish) {
		char why[FE_FWD_ERR_MAX];

		if (fe_api_list(run->api_sock, &have, &nhave, why, sizeof(why)) < 0) {
			fe_error("cannot list the instance's forwards: %s", why);
			return -EIO;
		}
	}
	for (size_t i = 0; i < run->o.npublish; i++) {
		char why[FE_FWD_ERR_MAX], text[FE_FWD_STR_MAX];
		struct fe_fwd *f = &run->publish[i];
		int r = 0;

		if (fe_fwd_check_reachable(f, run->host_loopback, why,
					   sizeof(why)) < 0) {
			fe_error("cannot publish '%s': %s", run->o.publish[i], why);
			free(have);
			return -EINVAL;
		}
		for (size_t j = 0; j < nhave && !f->id; j++)
			if (fe_fwd_match(&have[j], f) &&
			    have[j].guest_port == f->guest_port &&
			    strcmp(have[j].guest_addr, f->guest_addr) == 0)
				f->id = have[j].id;
		if (!f->id)
			r = fe_api_add(run->api_sock, f, why, sizeof(why));

		fe_fwd_format(&run->publish[i], text, sizeof(text));
		if (r < 0) {
			if (!death_explains(run))
				fe_error("cannot publish '%s': %s",
					 run->o.publish[i], why);
			free(have);
			return r;
		}
		fe_trace("forward %d: %s", run->publish[i].id, text);
	}
	free(have);
	return 0;
}

/*
 * A joiner's forwards lead to the instance's uplink, which its creator's
 * options chose, not ours.
 */
static void joined_guest_addr(struct run *run)
{
	char addr[INET_ADDRSTRLEN];

	if (fe_netinfo_guest_addr(run->rundir, addr, sizeof(addr)) < 0)
		return;
	snprintf(run->guest_addr, sizeof(run->guest_addr), "%s", addr);
	for (size_t i = 0; i < run->o.npublish; i++)
		snprintf(run->publish[i].guest_addr,
			 sizeof(run->publish[i].guest_addr), "%s", addr);
}

static int setup(struct run *run)
{
	struct fe_step steps[FE_TOPO_STEPS_MAX];
	int n, r;

	n = fe_topology_steps(&run->topo, steps, sizeof(steps) / sizeof(*steps));
	if (n < 0) {
		fe_error("the topology is too large");
		return n;
	}
	r = claim_instance(run);
	if (r < 0)
		return r;
	if (r == 1) {
		joined_guest_addr(run);
		return publish(run);
	}
	/* Where forwards lead, for `hckns fwd` and for joiners. */
	r = fe_netinfo_save(run->rundir, &run->topo);
	if (r == 0)
		r = fe_netinfo_save_options(run->rundir, &run->o);
	if (r < 0) {
		fe_error("cannot write %s/%s: %s", run->rundir,
			 FE_GUEST_ADDR_FILE, strerror(-r));
		return r;
	}
	r = fe_keeper_start(&run->keeper, &run->o, run->rundir, run->slirp_path,
			    run->lock_fd, run->listen_fd);
	if (r < 0) {
		fe_error("cannot fork the keeper process: %s", strerror(-r));
		return r;
	}
	fe_trace("keeper started, pid %d", (int)run->keeper.pid);
	r = start_helper(run);
	if (r < 0)
		return r;
	r = hand_helper_to_keeper(run);
	if (r < 0)
		return r;
	/* tap_host, which slirp4netns attaches to. */
	r = run_steps(run, steps, n, PHASE_BEFORE_SLIRP);
	if (r < 0)
		return r;
	r = start_slirp(run);
	if (r < 0)
		return r;
	/* The rest runs while slirp4netns starts. */
	r = run_steps(run, steps, n, PHASE_SLIRP_STARTING);
	if (r < 0)
		return r;
	/* The command starts only once slirp4netns serves the tap. */
	r = wait_slirp_ready(run);
	if (r < 0)
		return r;
	r = run_steps(run, steps, n, PHASE_SLIRP_READY);
	if (r < 0)
		return r;
	r = publish(run);
	if (r < 0)
		return r;
	/*
	 * A SIGINT or SIGTERM that came during the last steps still aborts:
	 * left in the signalfd, it would be relayed to the command.
	 */
	r = wait_fd(run, -1, 0);
	if (r < 0)
		return r;
	/* Joiners waiting for the instance may come in now. */
	r = fe_keeper_send(run->keeper.sock, &(struct fe_keeper_msg){
				   .type = FE_KEEPER_READY }, NULL, 0);
	if (r < 0)
		return keeper_lost(run, r);
	fe_trace("network ready");
	return 0;
}

/*
 * execvp() says EACCES when a PATH directory cannot be searched, even when
 * the command is nowhere: sh says "not found" (127) then, and so do we.
 * True when some PATH entry has @name as something other than a directory.
 */
static bool in_path(const char *name)
{
	const char *p = getenv("PATH");

	for (p = p ? p : "/bin:/usr/bin"; ; p++) {
		const char *end = strchrnul(p, ':');
		char file[PATH_MAX];
		struct stat st;

		if (snprintf(file, sizeof(file), "%.*s%s%s", (int)(end - p), p,
			     end == p ? "" : "/", name) < (int)sizeof(file) &&
		    stat(file, &st) == 0 && !S_ISDIR(st.st_mode))
			return true;
		if (!*end)
			return false;
		p = end;
	}
}

/*
 * What the command's child and the command report on the error pipe: the
 * command's pid once it exists, or why it could not run.
 */
struct exec_report {
	int stage;		/* STAGE_* */
	int err;
	pid_t pid;		/* STAGE_STARTED: the command, in our PID ns */
	bool switched;		/* became root inside: --map-root=subids */
};

enum {
	STAGE_EXEC,		/* the command's execvp() */
	STAGE_SETNS,		/* joining the instance's namespaces */
	STAGE_CHDIR,		/* the working directory inside */
	STAGE_ROOT,		/* becoming root inside (--map-root=subids) */
	STAGE_FORK,		/* making the command in the PID namespace */
	STAGE_STARTED,		/* not a failure: .pid is the command */
};

/*
 * The command's child: joins the instance's namespaces, then makes the
 * command.  setns(CLONE_NEWPID) puts our children in the instance's PID
 * namespace, not ourselves, so the command is our child made with
 * CLONE_PARENT: the front end's child as if the front end had made it,
 * supervised through its pidfd as any child.  We report its pid and end.
 */
static void __attribute__((noreturn))
command_child(struct run *run, char **argv, int parent_pidfd, int errpipe)
{
	static const int types[FE_NS_COUNT] = {
		CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID,
	};
	struct exec_report f = { 0 };
	struct pollfd p = { .fd = parent_pidfd, .events = POLLIN };
	int pidfd = -1;
	pid_t pid;

	/* Join the helper's namespaces: user first, so we hold its caps. */
	for (int i = 0; i < FE_NS_COUNT; i++)
		if (setns(run->ns[i], types[i]) < 0) {
			f = (struct exec_report){ STAGE_SETNS, errno, 0, false };
			goto fail;
		}
	/*
	 * Not root there when our own ids are unmapped (--map-root=subids,
	 * whether we created the instance or join it); then before chdir,
	 * so that the directory is entered with the command's rights.
	 */
	f.switched = getuid() != 0;
	f.err = -fe_idmap_become_root();
	if (f.err) {
		f.stage = STAGE_ROOT;
		goto fail;
	}
	/* Entering a mount namespace moves us to its root. */
	if (chdir(run->cwd) < 0) {
		f.stage = STAGE_CHDIR;
		f.err = errno;
		goto fail;
	}
	pid = fe_clone(CLONE_PARENT, &pidfd);
	if (pid < 0) {
		/* ENOMEM: the namespace's PID 1 is gone, the instance ends. */
		f = (struct exec_report){ STAGE_FORK, -pid, 0, false };
		goto fail;
	}
	if (pid > 0) {
		f = (struct exec_report){ STAGE_STARTED, 0, pid, false };
		fe_write_all(errpipe, &f, sizeof(f));
		_exit(0);
	}
	/*
	 * The command.  Second line of defence: the front end's exit, not
	 * only EOF.  Its pid is 0 to us (outside our PID namespace), dead or
	 * alive, so getppid() cannot tell whether it died before the
	 * parent-death signal was set; its pidfd can.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (poll(&p, 1, 0) != 0)
		_exit(FE_EXIT_FAILURE);
	fe_reset_signals();
	/* Where it is: for `hckns fwd` inside, and for AutoHCK's QemuHCK. */
	setenv("HCKNS_INSTANCE", strrchr(run->rundir, '/') + 1, 1);
	setenv("HCKNS_RUNTIME_DIR", run->rundir, 1);
	setenv("HCKNS_API_SOCKET", run->api_sock, 1);
	setenv("AUTOHCK_SLIRP", run->api_sock, 1);
	execvp(argv[0], argv);
	f = (struct exec_report){ STAGE_EXEC, errno, 0, false };
	if (f.err == EACCES && !strchr(argv[0], '/') && !in_path(argv[0]))
		f.err = ENOENT;
fail:
	fe_write_all(errpipe, &f, sizeof(f));
	_exit(f.stage == STAGE_EXEC && f.err == ENOENT ? FE_EXIT_NOTFOUND
						       : FE_EXIT_NOEXEC);
}

/*
 * Read the error pipe to its end: the command's pid from its parent, and
 * (in either order) why it could not run.  EOF comes once the command has
 * exec'd (the pipe is close-on-exec) and its parent has ended.  Return:
 * whether a failure came, in @fail; the command's pid in @pid (-1: none).
 */
static bool read_exec_reports(int fd, pid_t *pid, struct exec_report *fail)
{
	bool failed = false;

	*pid = -1;
	/* At most two reports come; a third read is the EOF. */
	for (int i = 0; i < 3; i++) {
		struct exec_report r;
		ssize_t n;

		do
			n = read(fd, &r, sizeof(r));
		while (n < 0 && errno == EINTR);
		if (n != sizeof(r))
			break;
		if (r.stage == STAGE_STARTED && r.pid > 0) {
			*pid = r.pid;
		} else if (!failed) {
			*fail = r;
			failed = true;
		}
	}
	return failed;
}

static int start_command(struct run *run)
{
	static char *shell_argv[2];
	char **argv = run->o.argv;
	struct exec_report f = { 0 };
	int errpipe[2], self, child_pidfd = -1;
	pid_t child, pid;
	bool failed;

	if (!argv) {
		const char *sh = getenv("SHELL");

		shell_argv[0] = (char *)(sh && *sh ? sh : "/bin/sh");
		argv = shell_argv;
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		fe_error("pipe: %s", strerror(errno));
		return FE_EXIT_FAILURE;
	}
	/* The command watches us through it (command_child()). */
	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self < 0) {
		fe_error("pidfd_open: %s", strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		return FE_EXIT_FAILURE;
	}
	child = fe_clone(0, &child_pidfd);
	if (child == 0) {
		close(errpipe[0]);
		command_child(run, argv, self, errpipe[1]);
	}
	close(self);
	close(errpipe[1]);
	if (child < 0) {
		close(errpipe[0]);
		fe_error("cannot fork the command: %s", strerror(-child));
		return FE_EXIT_FAILURE;
	}
	failed = read_exec_reports(errpipe[0], &pid, &f);
	close(errpipe[0]);
	fe_pidfd_wait(child_pidfd, 0);
	close(child_pidfd);
	if (pid > 0 && !failed) {
		/* Our child (CLONE_PARENT), unreaped: its pid is still its own. */
		run->cmd_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (run->cmd_pidfd < 0) {
			f = (struct exec_report){ STAGE_FORK, errno, 0, false };
			failed = true;
			kill(pid, SIGKILL);
		}
	}
	if (!failed) {
		run->cmd_pid = pid;
		fe_trace("command started, pid %d: %s", (int)run->cmd_pid, argv[0]);
		status_emit(run, json_pack("{s:s, s:i}", "event", "started",
					   "pid", (int)run->cmd_pid));
		return 0;
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (f.stage == STAGE_SETNS) {
		fe_error("cannot join the namespaces: %s", strerror(f.err));
		return FE_EXIT_FAILURE;
	}
	if (f.stage == STAGE_ROOT) {
		fe_error("cannot become root inside the namespaces, whose root "
			 "is not you (--map-root=subids): %s", strerror(f.err));
		return FE_EXIT_FAILURE;
	}
	if (f.stage == STAGE_CHDIR && f.switched) {
		fe_error("cannot enter the working directory %s inside the "
			 "namespaces: %s; root inside is a subordinate id "
			 "(--map-root=subids), not you: start hckns in a "
			 "directory that id may enter", run->cwd,
			 strerror(f.err));
		return FE_EXIT_FAILURE;
	}
	if (f.stage == STAGE_CHDIR) {
		fe_error("cannot enter the working directory %s inside the "
			 "namespaces: %s", run->cwd, strerror(f.err));
		return FE_EXIT_FAILURE;
	}
	if (f.stage == STAGE_FORK) {
		fe_error("cannot start the command in the instance's PID "
			 "namespace: %s%s", strerror(f.err), f.err == ENOMEM ?
			 " (the instance is ending)" : "");
		return FE_EXIT_FAILURE;
	}
	/* No command given: $SHELL was run, and it is what to fix. */
	if (!run->o.argv && f.err == ENOENT) {
		fe_error("your shell %s (SHELL) was not found: set SHELL to an "
			 "installed shell (such as /bin/bash), or give hckns a "
			 "command", argv[0]);
		return FE_EXIT_NOTFOUND;
	}
	if (!run->o.argv) {
		fe_error("your shell %s (SHELL) cannot be executed: %s; set SHELL "
			 "to an installed shell (such as /bin/bash), or give "
			 "hckns a command", argv[0], strerror(f.err));
		return FE_EXIT_NOEXEC;
	}
	if (f.err == ENOENT) {
		fe_error("%s: command not found", argv[0]);
		return FE_EXIT_NOTFOUND;
	}
	fe_error("%s: cannot execute: %s", argv[0], strerror(f.err));
	return FE_EXIT_NOEXEC;
}

static int reap(int pidfd, char *desc, size_t len)
{
	int status = fe_pidfd_wait(pidfd, 0);

	if (status < 0)
		return status;
	if (desc)
		fe_describe_status(status, desc, len);
	return status;
}

/* Answer one control request (control.c has the shapes). */
static void control_answer(struct run *run, const char *line, size_t len,
			   bool stopping)
{
	struct fe_control_req req;
	char why[FE_FWD_ERR_MAX], *answer = NULL;
	json_t *ret = NULL;
	int r;

	/* Every line gets one answer, a blank one too: scripts count. */
	r = fe_control_parse(line, len, run->guest_addr, &req, why,
			     sizeof(why));
	if (r == 0) {
		struct fe_fwd *list = NULL;
		size_t n = 0;

		switch (req.op) {
		case FE_CONTROL_ADD:
			r = fe_fwd_check_reachable(&req.fwd, run->host_loopback,
						   why, sizeof(why));
			if (r == 0)
				r = fe_api_add(run->api_sock, &req.fwd, why,
					       sizeof(why));
			if (r == 0)
				ret = fe_control_added(&req.fwd);
			break;
		case FE_CONTROL_LIST:
			r = fe_api_list(run->api_sock, &list, &n, why, sizeof(why));
			if (r == 0)
				ret = fe_control_entries(list, n);
			free(list);
			break;
		case FE_CONTROL_REMOVE:
			r = fe_api_remove(run->api_sock, req.id, why, sizeof(why));
			break;
		case FE_CONTROL_STOP:
			/* The way SIGTERM from a script would. */
			if (!stopping && run->cmd_pidfd >= 0)
				fe_pidfd_signal(run->cmd_pidfd, SIGTERM);
			break;
		case FE_CONTROL_NONE:
		default:
			r = -EINVAL;
			snprintf(why, sizeof(why), "no request");
			break;
		}
		fe_trace("control: %.*s: %s", (int)(len > 200 ? 200 : len), line,
			 r == 0 ? "ok" : why);
	}
	answer = r == 0 ? fe_control_ok(req.tag, ret)
			: fe_control_error(req.tag, why);
	fe_control_req_release(&req);
	if (answer && run->o.control_out >= 0 &&
	    fe_write_all(run->o.control_out, answer, strlen(answer)) < 0)
		fe_trace("control fd: cannot answer: %s", strerror(errno));
	free(answer);
}

/*
 * Read what the control fd has and answer every complete line, in order.
 * EOF only ends the requests; the command goes on.
 */
static void control_serve(struct run *run, bool stopping)
{
	const char *line;
	size_t len;
	ssize_t n = fe_linebuf_read(&run->ctl, run->o.control_in);
	int r;

	if (n < 0 && n != -EAGAIN && n != -EINTR) {
		fe_trace("control fd: %s; no more requests", strerror((int)-n));
		fe_linebuf_set_eof(&run->ctl);
	}
	while ((r = fe_linebuf_next(&run->ctl, &line, &len)) != 0) {
		if (r == -EMSGSIZE) {
			char *answer = fe_control_error(NULL, "request line too "
							"long (at most 4096 "
							"bytes)");

			if (answer && run->o.control_out >= 0)
				fe_write_all(run->o.control_out, answer,
					     strlen(answer));
			free(answer);
			continue;
		}
		control_answer(run, line, len, stopping);
	}
	if (run->ctl.eof)
		fe_trace("control fd: end of requests");
}

/* Is /proc/@pid/ns/@kind (this host's numbering) the namespace @ns? */
static bool pid_in_ns(long pid, const char *kind, const struct stat *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, kind);
	return stat(path, &st) == 0 && st.st_dev == ns->st_dev &&
	       st.st_ino == ns->st_ino;
}

/* Is this host's process @pid a kernel thread (PF_KTHREAD in its stat)? */
static bool kernel_thread(pid_t pid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	const char *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* "PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ...". */
	end = strrchr(buf, ')');
	/* NOLINTNEXTLINE(cert-err34-c): the kernel's number */
	return end && sscanf(end + 1, " %*c %*d %*d %*d %*d %*d %lu",
			     &flags) == 1 && (flags & 0x00200000ul);
}

/*
 * Is the innermost pid of some process of the instance's PID namespace
 * @pid?  Read from each process's NSpid line, as this host shows it.
 */
static bool instance_has_pid(const struct stat *pidns, pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d)) != NULL) {
		char path[64], line[256];
		char *end;
		long p = strtol(e->d_name, &end, 10);
		FILE *f;

		if (*end || p <= 0 || !pid_in_ns(p, "pid", pidns))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/status", p);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "NSpid:", 6) == 0) {
				const char *last = strrchr(line, '\t');

				found = last && strtol(last + 1, NULL, 10) == (long)pid;
				break;
			}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * Did a process of the instance send a signal (its `kill 0`, which
 * reached the command already)?  The kernel gives a sender's pid as its
 * own PID namespace numbers it, with no translation from a namespace below
 * ours: a sender inside comes with its pid in the instance's namespace,
 * which may also be the pid of some process here.  A process here by that
 * pid that is not a kernel thread (which sends none) and is not in the
 * instance's user namespace is taken for the sender: a doubled signal is
 * better than a lost one.  Else: is that the pid of a process inside?
 */
static bool sender_inside(const struct run *run, pid_t pid)
{
	struct stat pidns;
	char path[64];

	if (!run->have_userns || run->ns[FE_NS_PID] < 0 ||
	    fstat(run->ns[FE_NS_PID], &pidns) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK) == 0 && !kernel_thread(pid)) {
		struct stat userns = { .st_dev = (dev_t)run->userns_dev,
				       .st_ino = (ino_t)run->userns_ino };

		return pid_in_ns(pid, "user", &userns) ||
		       pid_in_ns(pid, "pid", &pidns);
	}
	return instance_has_pid(&pidns, pid);
}

/*
 * The command was killed by SIGKILL: by the helper's death?  Its end ends
 * the PID namespace, and the kernel kills the command with it; it closes
 * its socket before that, and its pidfd turns readable only once the
 * command is reaped (which the caller just did).  Then say so, as the
 * helper's death, once.  Return: true when it was.
 */
static bool helper_took_all(struct run *run, int status)
{
	struct pollfd p = { .fd = run->helper.sock, .events = POLLRDHUP };
	char desc[128];

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL ||
	    run->helper.sock < 0 || run->helper.pidfd < 0 ||
	    poll(&p, 1, 0) != 1 || !(p.revents & (POLLHUP | POLLRDHUP)))
		return false;
	p = (struct pollfd){ .fd = run->helper.pidfd, .events = POLLIN };
	if (poll(&p, 1, HELPER_EXIT_MS) == 1)
		reap(run->helper.pidfd, desc, sizeof(desc));
	else
		snprintf(desc, sizeof(desc), "ended");
	close(run->helper.pidfd);
	run->helper.pidfd = -1;
	run->helper.pid = -1;
	fe_error("hckns-helper %s unexpectedly; the instance ended with it, "
		 "and the kernel killed the command", desc);
	return true;
}

/*
 * While the command runs: relay signals sent by other processes, watch the
 * helper, the keeper and slirp4netns.  Return: the exit status of hckns.
 */
static int supervise(struct run *run, int *wstatus)
{
	int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	bool failed = false, sigkilled = false;
	bool stopped = false;	/* `hckns stop`: the keeper ends it all */
	int status = 0;
	char desc[128];

	for (;;) {
		struct pollfd p[8] = {
			{ .fd = run->sfd, .events = POLLIN },
			{ .fd = run->cmd_pidfd, .events = POLLIN },
			{ .fd = run->helper.pidfd, .events = POLLIN },
			{ .fd = run->keeper.sock, .events = POLLIN },
			{ .fd = run->keeper.pidfd, .events = POLLIN },
			{ .fd = timer, .events = POLLIN },
			{ .fd = run->ctl.eof ? -1 : run->o.control_in,
			  .events = POLLIN },
			/* POLLERR once nobody can read the status lines. */
			{ .fd = run->status_lost ? -1 : run->status_fd },
		};
		const char *why = NULL;

		if (run->status_lost && !failed) {
			/*
			 * The script that reads our status is gone (killed,
			 * crashed): an instance never outlives its script.
			 */
			why = "the reader of --status-fd";
		} else if (poll(p, 8, -1) < 0) {
			if (errno == EINTR)
				continue;
			fe_error("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(run->sfd, &si, sizeof(si)) == sizeof(si) &&
			    from_process(&si) && !failed) {
				/*
				 * A terminal's signal reached the command
				 * directly (same process group); only what
				 * another process sent us is relayed, once.
				 * A sender inside the instance signalled
				 * its own process group (kill 0), which the
				 * command is in: relaying would double it.
				 */
				if (sender_inside(run, (pid_t)si.ssi_pid)) {
					fe_trace("not relaying signal %u from pid "
						 "%u inside the instance",
						 si.ssi_signo, si.ssi_pid);
				} else {
					fe_trace("relaying signal %u from pid %u",
						 si.ssi_signo, si.ssi_pid);
					fe_pidfd_signal(run->cmd_pidfd,
							(int)si.ssi_signo);
				}
			}
		}
		if (p[1].revents) {
			status = reap(run->cmd_pidfd, desc, sizeof(desc));
			fe_trace("command %s", desc);
			close(run->cmd_pidfd);
			run->cmd_pidfd = -1;
			if (!failed && !stopped && helper_took_all(run, status))
				failed = true;
			break;
		}
		if (p[2].revents && run->helper.pid > 0) {
			reap(run->helper.pidfd, desc, sizeof(desc));
			close(run->helper.pidfd);
			run->helper.pidfd = -1;
			run->helper.pid = -1;
			why = "hckns-helper";
		}
		if (p[3].revents) {
			struct fe_keeper_msg m;

			int r = keeper_recv(run, &m);

			if (r == 0 && m.type == FE_KEEPER_SLIRP_EXITED) {
				fe_describe_status(m.value, desc, sizeof(desc));
				why = "slirp4netns";
				run->slirp_gone = true;
			} else if (r == 0 && m.type == FE_KEEPER_STOP) {
				/*
				 * `hckns stop`: SIGKILL comes from the keeper.
				 * Someone at a terminal is told why the
				 * command ends (a script reads `exited`).
				 */
				if (isatty(STDERR_FILENO))
					fe_error("instance '%s' is being stopped "
						 "by 'hckns stop' (pid %d): the "
						 "command gets SIGTERM now, SIGKILL "
						 "%d s later", strrchr(run->rundir,
						 '/') + 1, (int)m.value,
						 FE_STOP_TIMEOUT_MS / 1000);
				fe_trace("stopped by 'hckns stop' (pid %d): "
					 "SIGTERM to the command", (int)m.value);
				stopped = true;
				if (!failed)
					fe_pidfd_signal(run->cmd_pidfd, SIGTERM);
			} else if (r < 0 && r != -EAGAIN) {
				/* EOF: the keeper is gone. */
				close(run->keeper.sock);
				run->keeper.sock = -1;
				if (run->joined && !run->keeper_dead) {
					run->keeper_dead = true;
					snprintf(desc, sizeof(desc), "ended");
					why = "the keeper process";
				}
			}
		}
		if (p[4].revents && !run->keeper_dead && run->joined) {
			close(run->keeper.pidfd);
			run->keeper.pidfd = -1;
			run->keeper_dead = true;
			snprintf(desc, sizeof(desc), "ended");
			why = "the keeper process";
		} else if (p[4].revents && !run->keeper_dead) {
			reap(run->keeper.pidfd, desc, sizeof(desc));
			close(run->keeper.pidfd);
			run->keeper.pidfd = -1;
			run->keeper_dead = true;
			run->slirp_gone = true;
			why = "the keeper process";
		}
		if (p[5].revents) {
			uint64_t ticks;

			if (read(timer, &ticks, sizeof(ticks)) > 0 && !sigkilled) {
				fe_pidfd_signal(run->cmd_pidfd, SIGKILL);
				sigkilled = true;
			}
		}
		if (p[6].revents)
			control_serve(run, failed);
		if (p[7].revents & (POLLERR | POLLHUP)) {
			run->status_fd = -1;
			run->status_lost = true;
			continue;
		}
		if (why && stopped) {
			/* Its deadline kills the helper too: no failure. */
			fe_trace("%s %s while the instance stops", why, desc);
			why = NULL;
		}
		if (why && !failed) {
			struct itimerspec t = {
				.it_value = { STOP_GRACE_MS / 1000,
					      (STOP_GRACE_MS % 1000) * 1000000L },
			};

			if (run->status_lost)
				fe_error("the reader of --status-fd went away (the "
					 "script that started hckns is gone): "
					 "stopping the command");
			else
				fe_error("%s %s unexpectedly; the network is gone: "
					 "stopping the command", why, desc);
			failed = true;
			fe_pidfd_signal(run->cmd_pidfd, SIGTERM);
			timerfd_settime(timer, 0, &t, NULL);
		}
	}
	close(timer);
	*wstatus = status;
	return failed ? FE_EXIT_FAILURE : fe_exit_code(status);
}

/*
 * Leave the instance: tell the keeper, who answers how many holders
 * remain.  The last holder's answer comes once the keeper has torn the
 * instance down, after a SLIRP_EXITED when slirp4netns ended before it
 * was stopped: @slirp_status gets that status (else stays -1).  Return:
 * the number of holders that remain, or -1 when the keeper did not answer
 * within KEEPER_EXIT_MS (it died, or hangs: teardown() deals with it).
 */
static int leave(struct run *run, int *slirp_status)
{
	struct fe_keeper_msg m = { .type = FE_KEEPER_LEAVE };
	double deadline = fe_now_ms() + KEEPER_EXIT_MS;

	if (run->keeper.sock < 0 ||
	    fe_keeper_send(run->keeper.sock, &m, NULL, 0) < 0)
		return -1;
	/* Bounded: a few messages may be on their way (SLIRP_EXITED, STOP). */
	for (int i = 0; i < 8; i++) {
		struct pollfd p = { .fd = run->keeper.sock, .events = POLLIN };
		double left = deadline - fe_now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
		    keeper_recv(run, &m) < 0)
			return -1;
		if (m.type == FE_KEEPER_SLIRP_EXITED)
			*slirp_status = m.value;
		if (m.type == FE_KEEPER_LEFT)
			return m.value;
	}
	return -1;
}

/* Wait (bounded) for the end of a keeper that is not our child. */
static void wait_foreign_keeper(struct run *run)
{
	struct pollfd p = { .fd = run->keeper.pidfd, .events = POLLIN };

	if (run->keeper.pidfd >= 0 && poll(&p, 1, KEEPER_EXIT_MS) == 0)
		fe_trace("the keeper (pid %d) has not ended yet",
			 (int)run->keeper_pid);
}

/**
 * helper_end() - reap the helper, our child, once it has ended.
 * @last: nobody else holds the instance; it ends now, bounded.
 *
 * It exits when the last copy of its socket closes (ours is closed by
 * now; the keeper's when the instance ends, or when the keeper dies), and
 * the kernel ends every process of its PID namespace before its pidfd
 * turns readable.  When others hold the instance it goes on without us,
 * and whoever reaps orphans here reaps it in the end.
 */
static void helper_end(struct run *run, bool last)
{
	struct pollfd p = { .fd = run->helper.pidfd, .events = POLLIN };

	if (run->helper.pidfd < 0)
		return;
	if (last && poll(&p, 1, HELPER_EXIT_MS) == 0) {
		/* Its end is the instance's: make sure of it. */
		fe_trace("the helper has not ended; killing it");
		fe_pidfd_signal(run->helper.pidfd, SIGKILL);
		poll(&p, 1, HELPER_EXIT_MS);
	}
	if (poll(&p, 1, 0) == 1)
		fe_trace("helper ended (%d)", fe_pidfd_wait(run->helper.pidfd, 0));
	else
		fe_trace("helper (pid %d) goes on: others hold the instance",
			 (int)run->helper.pid);
	close(run->helper.pidfd);
	run->helper.pidfd = -1;
	run->helper.pid = -1;
}

/*
 * Release everything, in the order of doc/design.md.  The keeper removes the
 * forwards, stops slirp4netns and removes the runtime directory when the
 * last holder has left; whoever leaves last waits for that, so that nothing
 * is left once hckns returns.
 */
static void teardown(struct run *run)
{
	int remaining = -1, slirp_status = -1;
	/* A death before the command started was the setup's to say. */
	bool keeper_alive = !run->keeper_dead && run->cmd_pid > 0;
	char desc[128];

	if (run->cmd_pidfd >= 0) {
		fe_pidfd_signal(run->cmd_pidfd, SIGKILL);
		reap(run->cmd_pidfd, NULL, 0);
		close(run->cmd_pidfd);
		run->cmd_pidfd = -1;
	}
	/*
	 * Our copy of the helper's socket: the keeper's keeps the instance
	 * while others hold it, and goes when the last holder has left.
	 */
	if (run->helper.sock >= 0) {
		close(run->helper.sock);
		run->helper.sock = -1;
		fe_trace("helper socket closed");
	}
	if (!run->keeper_dead)
		remaining = leave(run, &slirp_status);
	/* Not said before (death_explains(), supervise()): say it now. */
	if (slirp_status >= 0 && !run->slirp_gone && run->cmd_pid > 0) {
		fe_describe_status(slirp_status, desc, sizeof(desc));
		fe_error("slirp4netns %s during teardown, before hckns stopped "
			 "it; its port forwards closed with it and nothing is "
			 "left behind", desc);
	}
	if (run->keeper.sock >= 0) {
		close(run->keeper.sock);
		run->keeper.sock = -1;
	}
	if (run->keeper.ready_fd >= 0) {
		close(run->keeper.ready_fd);
		run->keeper.ready_fd = -1;
	}
	if (remaining > 0)
		fe_trace("%d other holder(s) keep the instance", remaining);
	if (run->joined) {
		struct pollfd p = { .fd = run->keeper.pidfd, .events = POLLIN };

		if (remaining == 0)
			wait_foreign_keeper(run);
		else if (remaining == -1 && keeper_alive &&
			 run->keeper.pidfd >= 0 && poll(&p, 1, 0) == 1) {
			/* We were the last holder and it died on the way. */
			fe_error("the keeper process ended during teardown; the "
				 "instance ended with it, and the next hckns run "
				 "removes %s", run->rundir);
			run->keeper_dead = true;
		}
	} else if (run->keeper.pidfd >= 0 && remaining != 0 && remaining != -1) {
		/* Others hold it: the keeper goes on without us. */
	} else if (run->keeper.pidfd >= 0) {
		struct pollfd p = { .fd = run->keeper.pidfd, .events = POLLIN };

		if (poll(&p, 1, KEEPER_EXIT_MS) == 0) {
			fe_error("the keeper process did not end; killing it");
			fe_pidfd_signal(run->keeper.pidfd, SIGKILL);
			run->keeper_dead = true;
			keeper_alive = false;	/* said */
		}
		if (reap(run->keeper.pidfd, desc, sizeof(desc)) != 0) {
			run->keeper_dead = true;
			if (keeper_alive)
				fe_error("the keeper process %s during teardown; "
					 "hckns finished the teardown itself and "
					 "nothing is left behind", desc);
		}
		fe_trace("keeper ended");
	} else if (run->keeper.pid > 0) {
		run->keeper_dead = true;
	}
	if (run->keeper.pidfd >= 0) {
		close(run->keeper.pidfd);
		run->keeper.pidfd = -1;
	}
	/* Nobody else holds it (remaining 0), or no keeper answered: -1. */
	helper_end(run, remaining <= 0);
	/*
	 * The keeper did not do its job (it died, or never started after we
	 * created the directory): do it here.  Its processes are gone: the
	 * helper's end ended them (helper_end()).
	 */
	if ((run->keeper_dead || (!run->joined && run->keeper.pid <= 0)) &&
	    run->have_rundir)
		fe_rm_rf(run->rundir);
}

/*
 * --detach: the instance runs on in a child of ours, in a session of its
 * own; we return once its command runs (0, after saying so), or with the
 * child's own status when it failed first (it said why).  Without a
 * command, the child holds the instance with `sleep infinity` until `hckns
 * stop NAME`.  Return: our exit status, or -1 in the child.
 */
static int detach(struct run *run)
{
	static char *hold[] = { "sleep", "infinity", NULL };
	int p[2], st;
	pid_t pid;
	char c;

	if (!run->o.name) {
		fe_error("--detach needs --name NAME: the name is how 'hckns "
			 "enter', 'hckns stop' and 'hckns ls' find it");
		return FE_EXIT_FAILURE;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fe_error("cannot detach: %s", strerror(errno));
		return FE_EXIT_FAILURE;
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		run->detach_fd = p[1];
		if (!run->o.argv)
			run->o.argv = hold;
		return -1;
	}
	close(p[1]);
	if (read(p[0], &c, 1) == 1) {
		printf("instance '%s' runs; 'hckns stop %s' ends it\n",
		       run->o.name, run->o.name);
		return 0;
	}
	/* It ended before its command ran: its status is ours. */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return fe_exit_code(st);
}

/* Point descriptors @from..@to at /dev/null. */
static void to_null(int from, int to)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (int fd = from; null >= 0 && fd <= to; fd++)
		dup2(null, fd);
	if (null >= 0)
		close(null);
}

/*
 * --detach, in the child, before the command starts: it reads and writes
 * nothing of the caller's terminal but its stderr, where a failure to
 * start is said.
 */
static void detaching(struct run *run)
{
	if (run->detach_fd >= 0)
		to_null(STDIN_FILENO, STDOUT_FILENO);
}

/* --detach, in the child: the command runs; the caller may return. */
static void detached(struct run *run)
{
	if (run->detach_fd < 0)
		return;
	to_null(STDERR_FILENO, STDERR_FILENO);
	if (write(run->detach_fd, "r", 1) != 1)
		fe_trace("the caller of --detach is gone");
	close(run->detach_fd);
	run->detach_fd = -1;
}

int main(int argc, char **argv)
{
	struct run run = { .status_fd = -1, .sfd = -1, .detach_fd = -1, .ns = { -1, -1, -1 },
			   .listen_fd = -1, .lock_fd = -1, .cmd_pid = -1, .cmd_pidfd = -1,
			   .keeper = { .pid = -1, .pidfd = -1, .sock = -1,
				       .ready_fd = -1 },
			   .helper = { .pid = -1, .pidfd = -1, .sock = -1 } };
	char err[256];
	sigset_t set;
	int code, wstatus = 0;
	bool ran = false;

	/* Subcommands; a program named so runs with 'hckns -- fwd'. */
	if (argc > 1 && strcmp(argv[1], "doctor") == 0) return fe_cmd_doctor(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "fwd") == 0) {
		const char *v = getenv("HCKNS_VERBOSE");

		fe_verbose = v && *v && strcmp(v, "0") != 0;
		return fe_cmd_fwd(argc - 1, argv + 1);
	}
	if (argc > 1 && (strcmp(argv[1], "help") == 0 ||
			 strcmp(argv[1], "version") == 0)) {
		if (argv[1][0] == 'h')
			fputs(usage, stdout);
		else
			printf("hckns %s\n", HCKNS_VERSION);
		return 0;
	}
	/* hckns enter NAME [OPTIONS] [--] [COMMAND...]: join only. */
	if (argc > 1 && strcmp(argv[1], "enter") == 0) {
		const char *name = argc > 2 ? argv[2] : NULL;

		if (name && (strcmp(name, "-h") == 0 ||
			     strcmp(name, "--help") == 0)) {
			fputs(enter_usage, stdout);
			return 0;
		}
		/* Its command's environment says where it runs. */
		const char *here = getenv("HCKNS_INSTANCE");

		if (name && here && strcmp(name, here) == 0) {
			fe_error("you are inside instance '%s' already (see "
				 "HCKNS_INSTANCE): run the command here, without "
				 "hckns enter", name);
			return FE_EXIT_FAILURE;
		}

		if (!name || name[0] == '-' || name[0] == '.' || strchr(name, '/')) {
			fe_error("usage: hckns enter NAME [OPTIONS] [--] "
				 "[COMMAND [ARG...]]; see 'hckns ls'");
			return FE_EXIT_FAILURE;
		}
		if (fe_parse_opts(argc - 2, argv + 2, getenv("HCKNS_VERBOSE"),
				  &run.o, err, sizeof(err)) < 0) {
			fe_error("%s", err);
			return FE_EXIT_FAILURE;
		}
		run.o.name = name;
		run.o.join_only = true;
	} else if (argc > 1 && (strcmp(argv[1], "ls") == 0 ||
				strcmp(argv[1], "stop") == 0)) {
		return fe_cmd_instances(argc - 1, argv + 1);
	} else if (fe_parse_opts(argc, argv, getenv("HCKNS_VERBOSE"), &run.o, err,
			  sizeof(err)) < 0) {
		fe_error("%s", err);
		return FE_EXIT_FAILURE;
	}
	if (run.o.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (run.o.version) {
		printf("hckns %s\n", HCKNS_VERSION);
		return 0;
	}
	fe_verbose = run.o.verbose;
	run.host_loopback = run.o.host_loopback;	/* a joiner learns it */
	if (run.o.detach) {
		code = detach(&run);
		if (code >= 0)
			return code;	/* the caller's side: how it went */
	}
	fe_now_ms();
	fe_linebuf_init(&run.ctl);
	signal(SIGPIPE, SIG_IGN);
	relayed_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	run.sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (run.sfd < 0) {
		fe_error("signalfd: %s", strerror(errno));
		return FE_EXIT_FAILURE;
	}
	if (preflight(&run) < 0)
		return FE_EXIT_FAILURE;
	if (setup(&run) < 0) {
		code = run.interrupted ? 128 + run.interrupted : FE_EXIT_FAILURE;
	} else {
		status_ready(&run);
		detaching(&run);
		code = start_command(&run);
		if (code == 0) {
			detached(&run);
			ran = true;
			code = supervise(&run, &wstatus);
		}
	}
	teardown(&run);
	status_exited(&run, code, wstatus, ran);
	if (run.detach_fd >= 0)
		close(run.detach_fd);
	/* Said once it is true. */
	if (run.interrupted)
		fe_error("interrupted by SIG%s during setup; nothing is left "
			 "behind", sigabbrev_np(run.interrupted));
	fe_trace("exit status %d", code);
	return code;
}
