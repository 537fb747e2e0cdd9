/* SPDX-License-Identifier: MIT */
/*
 * One run of hckns (create or join an instance, run a command in it), as
 * the front end's files share it.  Who does what:
 *
 *   main.c      the command line: subcommands, options, --detach
 *   run.c       the run from start to exit status: preflight, stages
 *   claim.c     create the instance's directory, or join a running one
 *   setup.c     the keeper, the helper, slirp4netns, the network (a
 *               straight-line recipe), the -p forwards
 *   loop.c      the one poll loop: named slots, signals, keeper messages
 *   death.c     "process X ended": one table of (process, stage) -> what
 *               hckns says and does
 *   command.c   the command's process: namespaces, process group, terminal
 *   script.c    --status-fd and --control-fd: queued lines, requests
 *   links.c     the uplink's ports: a smaller MTU is warned about
 *   teardown.c  leaving the instance, in doc/design.md's order
 */
#ifndef HCKNS_RUN_H
#define HCKNS_RUN_H

#include "model/opts.h"
#include "model/topology.h"
#include "model/fwd.h"
#include "frontend/helper_client.h"
#include "keeper/keeper.h"
#include "hckns/keeper.h"

#include <netinet/in.h>
#include <termios.h>

/* How long slirp4netns may take to be ready, and progress after that. */
#define SLIRP_READY_TIMEOUT_MS 10000
#define SLIRP_PROGRESS_MS 2000
/* How long a command may take to end after SIGTERM when hckns stops it. */
#define STOP_GRACE_MS 1000
/* How long the helper and the keeper may take to end at teardown. */
#define HELPER_EXIT_MS 1000
#define KEEPER_EXIT_MS 5000

/*
 * The stages of a run, in order.  -v traces "stage: NAME" at each change;
 * tests/fault/fault.sh reads those names.  A joiner goes from claim to
 * ready.
 */
#define FE_STAGES(X)                                                          \
	X(START, "start")		/* options parsed, nothing made */     \
	X(CLAIM, "claim")		/* the runtime directory, or a join */ \
	X(PRE_HELPER, "pre-helper")	/* the keeper runs */                  \
	X(HELPER_STARTING, "helper-starting") /* the helper, before hello */  \
	X(HELPER_UP, "helper-up")	/* it answered: tap_host, the guard */ \
	X(SLIRP_STARTING, "slirp-starting")	/* slirp4netns asked for */    \
	X(CONFIGURE, "configure")	/* the network, while slirp starts */  \
	X(CONFIGURED, "configured-not-ready")	/* waiting for its ready */    \
	X(SLIRP_READY, "slirp-ready")	/* the -p forwards */                  \
	X(READY, "ready")		/* the network is ready */             \
	X(COMMAND, "command")		/* the command runs */                 \
	X(STOPPING, "stopping")		/* `hckns stop`: everything ends */    \
	X(TEARDOWN, "teardown")		/* the command has ended */

#define FE_STAGE_ENUM(id, name) STAGE_##id,
enum stage { FE_STAGES(FE_STAGE_ENUM) STAGE_COUNT };
#undef FE_STAGE_ENUM

/* The processes whose end the run reports (death.c). */
enum proc {
	PROC_HELPER,
	PROC_KEEPER,
	PROC_SLIRP,
	PROC_READER,		/* the reader of --status-fd */
	PROC_COUNT,
};

/* A line queue for a descriptor the script reads (script.c). */
struct outq {
	int fd;			/* -1: none, or its reader is gone */
	char *buf;
	size_t len, cap;
};

/* What the keeper said last that the run waits for (loop.c). */
struct keeper_answer {
	bool valid;
	int err;		/* -EPIPE: the keeper's socket closed */
	struct fe_keeper_msg m;
	int fds[FE_NS_COUNT];	/* what rode along (JOINED), ours to close */
	int nfds;
};

/* Everything one run holds, so that one teardown can release it. */
struct run {
	struct fe_opts o;
	enum stage stage;
	char rundir[PATH_MAX];
	char helper_path[PATH_MAX];
	char slirp_path[PATH_MAX];
	char cwd[PATH_MAX];
	char api_sock[PATH_MAX + 16];
	char o_name[64];	/* `enter PID`: the name of that instance */
	bool have_rundir;
	bool joined;		/* we joined a running instance */
	bool host_loopback;	/* the instance's --host-loopback */
	int lock_fd;		/* held while the instance lives */
	int listen_fd;		/* RUNDIR/keeper.sock, handed to the keeper */
	int ns[FE_NS_COUNT];	/* the instance's user, net, mnt and pid ns */
	struct fe_keeper keeper;
	struct fe_helper helper;
	struct fe_fwd publish[FE_PUBLISH_MAX];	/* -p, parsed */
	struct fe_topology topo;	/* the network, from the options */
	char guest_addr[INET_ADDRSTRLEN];	/* the uplink's: forwards lead there */

	/* The loop (loop.c). */
	int sfd;		/* signalfd */
	int timer;		/* the command's grace after SIGTERM */
	int abort;		/* setup: -EINTR (a signal), -ECHILD (a death) */
	int interrupted;	/* the signal that aborted the setup */
	pid_t stopped_by;	/* `hckns stop` that aborted it: its pid */
	bool helper_answer;	/* the helper's socket is readable */
	bool waiting_helper;	/* a helper request is outstanding */
	struct keeper_answer kanswer;
	bool slirp_heard;	/* its ready pipe said something: */
	bool slirp_up;		/* "1", ready (else it ended first) */

	/* Who has ended (death.c). */
	bool ended[PROC_COUNT];
	int end_status[PROC_COUNT];	/* wait status; -1 unknown */
	bool left;		/* the keeper answered our LEAVE */
	bool keeper_killed;	/* it did not end at teardown: we killed it */
	bool failed;		/* a death was said: the command is stopped */

	/* The command (command.c). */
	pid_t cmd_pid;
	int cmd_pidfd;
	bool cmd_ended;
	int cmd_status;		/* its wait status */
	int tty_fd;		/* the terminal we handed to it, or -1 */
	struct termios tty_modes;	/* as they were before it started */
	struct termios cmd_modes;	/* its own, while it is stopped */

	/* The script (script.c). */
	struct outq status;	/* --status-fd */
	struct outq answers;	/* --control-fd's OUT */
	struct fe_linebuf ctl;	/* --control-fd's IN */

	int detach_fd;		/* --detach: told once the command runs */
	int links_fd;		/* the uplink's ports, watched (links.c) */
	/* The runtime base is to be swept once (fe_run_sweep()). */
	bool sweep_due;
};

/* run.c */
int fe_run(struct run *run);
void fe_stage(struct run *run, enum stage s);
void fe_run_sweep(struct run *run);
const char *fe_stage_name(enum stage s);

/* claim.c: 0 we create (setup follows), 1 we joined, -errno said. */
int fe_claim(struct run *run);

/* setup.c */
int fe_preflight(struct run *run);
int fe_setup(struct run *run);
/* One helper request through the loop, traced.  Return: 0 or -errno. */
int fe_helper_request(struct run *run, uint16_t op, const void *p, size_t len,
		      const char *what, char *reason, size_t rlen);

/* loop.c */
int fe_loop_init(struct run *run);
/*
 * fe_loop_until() - run the loop until *@done, @timeout_ms (-1: none), or
 * an abort of the setup.  Return: 1 done, 0 timed out, run->abort (<0).
 */
int fe_loop_until(struct run *run, const bool *done, int timeout_ms);
/* Let what has happened be handled, waiting @ms for it at most. */
void fe_loop_settle(struct run *run, int ms);
/* The same until *@done, however the setup ended meanwhile. */
void fe_loop_settle_until(struct run *run, const bool *done, int ms);
/*
 * fe_keeper_answer() - wait for the keeper's answer (not SLIRP_EXITED or
 * STOP, which the loop handles).  Return: 0 with *@m, -ETIMEDOUT, -errno.
 */
int fe_keeper_answer(struct run *run, struct fe_keeper_msg *m, int timeout_ms);
/* Send to the keeper and wait for its answer, as fe_keeper_answer(). */
int fe_keeper_ask(struct run *run, struct fe_keeper_msg *m, const int *fds,
		  int nfds, int timeout_ms);
/* The keeper did not answer during the setup (@r < 0, or 0 in time). */
int fe_keeper_lost(struct run *run, int r);
/* Block the signals the loop routes through its signalfd, and the
 * terminal's stop signals: main()'s first instruction. */
void fe_signals_block(void);

/* death.c */
void fe_ended(struct run *run, enum proc who, int wstatus);
/* `hckns stop` (pid @by): the command gets SIGTERM, the keeper ends all. */
void fe_stopped(struct run *run, pid_t by);
void fe_command_ended(struct run *run, int wstatus);
/* A step failed: did a death (said now) cause it? */
bool fe_death_explains(struct run *run);
/* The exit status of a run whose command has ended. */
int fe_run_code(const struct run *run);

/* command.c */
int fe_command_start(struct run *run);
/* The command stopped or continued (SIGCHLD): job control. */
void fe_command_job_control(struct run *run);
/* Give the terminal back, and its modes when the command did not end well. */
void fe_terminal_restore(struct run *run);
void fe_command_signal(struct run *run, int sig);

/* script.c */
int fe_script_fds(struct run *run);
void fe_status_ready(struct run *run);
void fe_status_started(struct run *run);
void fe_status_exited(struct run *run, int code);
/* A port of the uplink below its MTU (links.c). */
void fe_status_warning(struct run *run, const char *port, unsigned int mtu,
		       const char *text);
void fe_control_serve(struct run *run);
bool fe_control_reading(const struct run *run);
/* Nobody reads --status-fd any more. */
void fe_status_lost(struct run *run);
/* Write what the descriptor takes now.  Return: false once its reader is gone. */
bool fe_outq_flush(struct outq *q);
void fe_outq_push(struct outq *q, const char *line);
void fe_outq_free(struct outq *q);
/* Before exit: write the queued lines (waiting for the reader). */
void fe_script_drain(struct run *run);

/* links.c: watch the uplink's ports (--mtu above 1500).  Return: fd, -1. */
int fe_links_watch(struct run *run);
void fe_links_read(struct run *run);

/* teardown.c */
void fe_teardown(struct run *run);

#endif
