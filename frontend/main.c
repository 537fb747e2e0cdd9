// SPDX-License-Identifier: MIT
/*
 * hckns: run a command in a private network of its own, unprivileged.
 *
 * This file is the command line: the subcommands, the options, --detach.
 * A run (create or join an instance, run the command in it, end it all)
 * is run.c's; run.h says which file does what.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "model/opts.h"
#include "model/fwd.h"
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * --detach: the instance runs on in a child of ours, in a session of its
 * own; we return once its command runs (0, after saying so), or with the
 * child's own status when it failed first (it said why).  Without a
 * command, the child holds the instance with `sleep infinity` until `hckns
 * stop NAME`.  Return: our exit status, or -1 in the child.
 */
static int detach(struct run *run, const sigset_t *mask)
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
	/* The caller's side is interrupted as any command is. */
	sigprocmask(SIG_SETMASK, mask, NULL);
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

/* A command line refused: said, and in an "exited" line when it can be. */
static int refused(int argc, char **argv, const char *err)
{
	struct run run = { .sfd = -1, .status = { .fd = -1 },
			   .answers = { .fd = -1 } };
	int fd = fe_opts_status_fd(argc, argv);

	fe_error("%s", err);
	if (fd > STDERR_FILENO && fcntl(fd, F_GETFD) >= 0) {
		run.status.fd = fd;
		fe_status_exited(&run, FE_EXIT_FAILURE);
		fe_script_drain(&run);
		fe_outq_free(&run.status);
	}
	return FE_EXIT_FAILURE;
}

/* hckns enter NAME [OPTIONS] [--] [COMMAND...]: join only. */
static int parse_enter(int argc, char **argv, struct run *run)
{
	const char *name = argc > 2 ? argv[2] : NULL;
	const char *here = getenv("HCKNS_INSTANCE");
	char err[256];

	if (name && (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)) {
		fputs(enter_usage, stdout);
		return 0;
	}
	/* Its command's environment says where it runs. */
	if (name && here && strcmp(name, here) == 0) {
		fe_error("you are inside instance '%s' already (see "
			 "HCKNS_INSTANCE): run the command here, without hckns "
			 "enter", name);
		return FE_EXIT_FAILURE;
	}
	if (!name || name[0] == '-' || name[0] == '.' || strchr(name, '/')) {
		fe_error("usage: hckns enter NAME [OPTIONS] [--] "
			 "[COMMAND [ARG...]]; see 'hckns ls'");
		return FE_EXIT_FAILURE;
	}
	if (fe_parse_opts(argc - 2, argv + 2, getenv("HCKNS_VERBOSE"), &run->o,
			  err, sizeof(err)) < 0)
		return refused(argc - 2, argv + 2, err);
	run->o.name = name;
	run->o.join_only = true;
	return -1;
}

/* The subcommands that are not a run.  Return: exit status, or -1. */
static int subcommand(int argc, char **argv, const sigset_t *mask)
{
	static const char *const verbs[] = { "doctor", "fwd", "ls", "stop" };
	const char *verb = argc > 1 ? argv[1] : "";

	/* They are interrupted as any command is. */
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (strcmp(verb, verbs[i]) == 0) {
			sigprocmask(SIG_SETMASK, mask, NULL);
			signal(SIGPIPE, SIG_DFL);
		}
	fe_verbose = fe_env_verbose(getenv("HCKNS_VERBOSE"));
	/* A program named so runs with 'hckns -- fwd'. */
	if (strcmp(verb, "doctor") == 0)
		return fe_cmd_doctor(argc - 1, argv + 1);
	if (strcmp(verb, "fwd") == 0)
		return fe_cmd_fwd(argc - 1, argv + 1);
	if (strcmp(verb, "ls") == 0 || strcmp(verb, "stop") == 0)
		return fe_cmd_instances(argc - 1, argv + 1);
	if (strcmp(verb, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(verb, "version") == 0) {
		printf("hckns %s\n", HCKNS_VERSION);
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct run run = {
		.sfd = -1, .timer = -1, .detach_fd = -1, .tty_fd = -1, .links_fd = -1,
		.ns = { -1, -1, -1, -1 }, .listen_fd = -1, .lock_fd = -1,
		.cmd_pid = -1, .cmd_pidfd = -1,
		.keeper = { .pid = -1, .pidfd = -1, .sock = -1, .ready_fd = -1 },
		.helper = { .pid = -1, .pidfd = -1, .sock = -1 },
		.status = { .fd = -1 }, .answers = { .fd = -1 },
		.end_status = { -1, -1, -1, -1 },
	};
	sigset_t before;
	char err[256];
	int code;

	/*
	 * First: a signal that comes before the loop exists waits for it in
	 * the signalfd, and is handled as any other (loop.c).
	 */
	sigprocmask(SIG_SETMASK, NULL, &before);
	fe_signals_block();
	signal(SIGPIPE, SIG_IGN);
	fe_now_ms();	/* the traces' time 0 */
	code = subcommand(argc, argv, &before);
	if (code >= 0)
		return code;
	if (argc > 1 && strcmp(argv[1], "enter") == 0)
		code = parse_enter(argc, argv, &run);
	else if (fe_parse_opts(argc, argv, getenv("HCKNS_VERBOSE"), &run.o, err,
			       sizeof(err)) < 0)
		code = refused(argc, argv, err);
	if (code >= 0)
		return code;
	if (run.o.help || run.o.version) {
		if (run.o.help)
			fputs(usage, stdout);
		else
			printf("hckns %s\n", HCKNS_VERSION);
		return 0;
	}
	fe_verbose = run.o.verbose;
	run.host_loopback = run.o.host_loopback;	/* a joiner learns it */
	if (run.o.detach) {
		code = detach(&run, &before);
		if (code >= 0)
			return code;	/* the caller's side: how it went */
	}
	fe_linebuf_init(&run.ctl);
	code = fe_run(&run);
	fe_trace("exit status %d", code);
	return code;
}
