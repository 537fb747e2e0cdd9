// SPDX-License-Identifier: MIT
/*
 * The front end's one poll loop.  Every wait of a run goes through it,
 * the setup's too: each wait names what it waits for (a flag the
 * handlers below set) and the loop handles everything else meanwhile:
 * signals, the ends of the helper, the keeper, slirp4netns and the
 * command, the keeper's messages, the script's requests and the lines
 * queued for it.  No work in signal handlers (there are none), no sleeps.
 *
 * The slots are named, as in OpenBSD's daemons; a slot whose descriptor is
 * -1 is not polled.  Handlers run in the order of the slots: a death
 * after the keeper's message that explains it, an answer before the end
 * of whoever sent it.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum pfd {
	PFD_SIGNAL,		/* the signalfd */
	PFD_KEEPER_MSG,		/* the keeper's socket: answers, news */
	PFD_HELPER_ANSWER,	/* the helper's socket, a request outstanding */
	PFD_SLIRP_READY,	/* slirp4netns's ready pipe */
	PFD_COMMAND,		/* the command's pidfd */
	PFD_HELPER,		/* the helper's pidfd */
	PFD_KEEPER,		/* the keeper's pidfd */
	PFD_TIMER,		/* the command's grace after SIGTERM */
	PFD_CONTROL,		/* --control-fd IN, unless backpressure */
	PFD_ANSWER,		/* --control-fd OUT, lines queued */
	PFD_STATUS,		/* --status-fd: lines queued, or its reader gone */
	PFD_LINKS,		/* the uplink's ports (links.c) */
	PFD_COUNT,
};

/* The signals the loop reads from its signalfd. */
static void signals_routed(sigset_t *routed)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
				    SIGUSR2, SIGCHLD };

	sigemptyset(routed);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaddset(routed, sigs[i]);
}

void fe_signals_block(void)
{
	sigset_t all;

	signals_routed(&all);
	/*
	 * And never stopped for the terminal: while the command's process
	 * group has the terminal, hckns may still write its messages there
	 * and hand the terminal back (command.c).
	 */
	sigaddset(&all, SIGTTOU);
	sigaddset(&all, SIGTTIN);
	sigprocmask(SIG_BLOCK, &all, NULL);
}

int fe_loop_init(struct run *run)
{
	sigset_t routed;
	int err;

	/* Blocked since main()'s first instruction (fe_signals_block()). */
	signals_routed(&routed);
	run->sfd = signalfd(-1, &routed, SFD_CLOEXEC | SFD_NONBLOCK);
	run->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (run->sfd >= 0 && run->timer >= 0)
		return 0;
	err = errno;
	fe_error("cannot set up hckns's event loop: %s%s", strerror(err),
		 err == EMFILE ? "; raise the open-file limit ('ulimit -n')" : "");
	return -err;
}

static void slots(const struct run *run, struct pollfd *p)
{
	const struct {
		int fd;
		short events;
	} s[PFD_COUNT] = {
		[PFD_SIGNAL] = { run->sfd, POLLIN },
		[PFD_KEEPER_MSG] = { run->keeper.sock, POLLIN },
		[PFD_HELPER_ANSWER] = { run->waiting_helper ? run->helper.sock : -1,
					POLLIN },
		[PFD_SLIRP_READY] = { run->slirp_heard ? -1 : run->keeper.ready_fd,
				      POLLIN },
		[PFD_COMMAND] = { run->cmd_ended ? -1 : run->cmd_pidfd, POLLIN },
		[PFD_HELPER] = { run->ended[PROC_HELPER] ? -1 : run->helper.pidfd,
				 POLLIN },
		[PFD_KEEPER] = { run->ended[PROC_KEEPER] ? -1 : run->keeper.pidfd,
				 POLLIN },
		[PFD_TIMER] = { run->timer, POLLIN },
		[PFD_CONTROL] = { fe_control_reading(run) ? run->o.control_in : -1,
				  POLLIN },
		[PFD_ANSWER] = { run->answers.len ? run->answers.fd : -1, POLLOUT },
		/* POLLERR once nobody can read it: the script is gone. */
		[PFD_STATUS] = { run->status.fd,
				 (short)(run->status.len ? POLLOUT : 0) },
		[PFD_LINKS] = { run->links_fd, POLLIN },
	};

	for (int i = 0; i < PFD_COUNT; i++)
		p[i] = (struct pollfd){ .fd = s[i].fd, .events = s[i].events };
}

/*
 * During the setup SIGINT, SIGTERM, SIGHUP and SIGQUIT end it; while the
 * command runs, each signal is relayed to it once (it has a process group
 * of its own: a signal to hckns's group or to hckns reaches it only so).
 */
static void on_signal(struct run *run)
{
	struct signalfd_siginfo si;
	int sig;

	while (read(run->sfd, &si, sizeof(si)) == sizeof(si)) {
		sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			fe_command_job_control(run);
		} else if (run->stage < STAGE_COMMAND) {
			if (sig == SIGUSR1 || sig == SIGUSR2 || run->abort)
				continue;
			run->interrupted = sig;
			run->abort = -EINTR;
		} else if (run->stage < STAGE_TEARDOWN && !run->cmd_ended) {
			fe_trace("relaying signal %d from pid %u", sig, si.ssi_pid);
			fe_command_signal(run, sig);
		} else {
			fe_trace("signal %d after the command ended: ignored", sig);
		}
	}
}

/* Forget the last answer, and close what rode along with it. */
static void kanswer_reset(struct keeper_answer *a)
{
	for (int i = 0; i < a->nfds; i++)
		close(a->fds[i]);
	*a = (struct keeper_answer){ 0 };
}

/*
 * The keeper's news (slirp4netns ended, `hckns stop`) is handled here;
 * anything else is the answer a wait of the run asked for.  Return:
 * whether a message came (more may wait).
 */
static bool on_keeper_msg(struct run *run)
{
	struct keeper_answer *a = &run->kanswer;
	int fds[FE_NS_COUNT];
	struct fe_keeper_msg m;
	int r = fe_keeper_recv(run->keeper.sock, &m, fds, FE_NS_COUNT,
			       MSG_DONTWAIT);

	if (r == -EAGAIN)
		return false;
	if (r < 0) {
		/* EOF: the keeper is gone; its pidfd says how, if we have one. */
		close(run->keeper.sock);
		run->keeper.sock = -1;
		/* An answer it gave before it closed stays the answer. */
		if (!a->valid)
			*a = (struct keeper_answer){ .valid = true, .err = r };
		/* Before a joiner is in, it is going away: claim.c waits. */
		if (run->joined && run->keeper.pidfd < 0)
			fe_ended(run, PROC_KEEPER, -1);
		return false;
	}
	if (m.type == FE_KEEPER_SLIRP_EXITED) {
		fe_ended(run, PROC_SLIRP, m.slirp_exited.status);
	} else if (m.type == FE_KEEPER_STOP) {
		fe_stopped(run, (pid_t)m.stop.by);
	} else {
		/* Its own end may come in this same round: expected now. */
		if (m.type == FE_KEEPER_LEFT)
			run->left = true;
		kanswer_reset(a);
		*a = (struct keeper_answer){ .valid = true, .m = m, .nfds = r };
		memcpy(a->fds, fds, sizeof(int) * (size_t)r);
		return true;
	}
	for (int i = 0; i < r; i++)
		close(fds[i]);
	return true;
}

/* slirp4netns writes "1" when it is ready; EOF first: it ended. */
static void on_slirp_ready(struct run *run)
{
	char c = 0;

	run->slirp_heard = true;
	run->slirp_up = read(run->keeper.ready_fd, &c, 1) == 1 && c == '1';
}

static void on_pidfd(struct run *run, enum proc who, int pidfd)
{
	/* A joiner's keeper is not our child: how it ended is not ours. */
	int st = who == PROC_KEEPER && run->joined ? -1
						    : fe_pidfd_wait(pidfd, 0);

	fe_ended(run, who, st < 0 ? -1 : st);
}

static void on_timer(struct run *run)
{
	uint64_t ticks;

	if (read(run->timer, &ticks, sizeof(ticks)) > 0 && !run->cmd_ended) {
		fe_trace("the command did not end in %d ms: SIGKILL",
			 STOP_GRACE_MS);
		fe_command_signal(run, SIGKILL);
	}
}

static void dispatch(struct run *run, const struct pollfd *p)
{
	if (p[PFD_SIGNAL].revents)
		on_signal(run);
	/* All it said: its end may be in this round too. */
	if (p[PFD_KEEPER_MSG].revents)
		while (run->keeper.sock >= 0 && on_keeper_msg(run))
			;
	if (p[PFD_HELPER_ANSWER].revents)
		run->helper_answer = true;
	if (p[PFD_SLIRP_READY].revents)
		on_slirp_ready(run);
	if (p[PFD_COMMAND].revents)
		fe_command_ended(run, fe_pidfd_wait(run->cmd_pidfd, 0));
	if (p[PFD_HELPER].revents && !run->ended[PROC_HELPER])
		on_pidfd(run, PROC_HELPER, run->helper.pidfd);
	if (p[PFD_KEEPER].revents && !run->ended[PROC_KEEPER])
		on_pidfd(run, PROC_KEEPER, run->keeper.pidfd);
	if (p[PFD_TIMER].revents)
		on_timer(run);
	if (p[PFD_CONTROL].revents)
		fe_control_serve(run);
	if (p[PFD_ANSWER].revents)
		fe_outq_flush(&run->answers);
	if (p[PFD_LINKS].revents)
		fe_links_read(run);
	if (p[PFD_STATUS].revents &&
	    ((p[PFD_STATUS].revents & (POLLERR | POLLHUP)) ||
	     !fe_outq_flush(&run->status)))
		fe_status_lost(run);
}

/* One round: wait at most @timeout_ms, handle what came. */
static int loop_once(struct run *run, int timeout_ms)
{
	struct pollfd p[PFD_COUNT];
	int n;

	slots(run, p);
	n = poll(p, PFD_COUNT, timeout_ms);
	if (n < 0 && errno != EINTR) {
		fe_error("poll: %s", strerror(errno));
		return -errno;
	}
	if (n > 0)
		dispatch(run, p);
	return n;
}

int fe_loop_until(struct run *run, const bool *done, int timeout_ms)
{
	double deadline = fe_now_ms() + timeout_ms;

	/* Polled once at least: a timeout of 0 handles what is there. */
	for (bool first = true;; first = false) {
		int left = -1, r;

		if (*done)
			return 1;
		if (run->abort)
			return run->abort;
		if (timeout_ms >= 0) {
			left = (int)(deadline - fe_now_ms());
			if (left <= 0 && !first)
				return 0;
			left = left < 0 ? 0 : left;
		}
		r = loop_once(run, left);
		if (r < 0)
			return r;
	}
}

void fe_loop_settle_until(struct run *run, const bool *done, int ms)
{
	int abort = run->abort;

	/* An abort said already must not end this wait at once. */
	run->abort = 0;
	fe_loop_until(run, done, ms);
	if (!run->abort)
		run->abort = abort;
}

void fe_loop_settle(struct run *run, int ms)
{
	static const bool never;

	fe_loop_settle_until(run, &never, ms);
}

int fe_keeper_ask(struct run *run, struct fe_keeper_msg *m, const int *fds,
		  int nfds, int timeout_ms)
{
	int r;

	kanswer_reset(&run->kanswer);
	if (run->keeper.sock < 0)
		return -EPIPE;
	r = fe_keeper_send(run->keeper.sock, m, fds, nfds);
	return r < 0 ? r : fe_keeper_answer(run, m, timeout_ms);
}

int fe_keeper_answer(struct run *run, struct fe_keeper_msg *m, int timeout_ms)
{
	int r = fe_loop_until(run, &run->kanswer.valid, timeout_ms);

	if (r <= 0)
		return r == 0 ? -ETIMEDOUT : r;
	if (run->kanswer.err)
		return run->kanswer.err;
	*m = run->kanswer.m;
	return 0;
}

/*
 * The keeper did not take or answer a message during the setup: say how it
 * ended when it has (its socket closes just before its pidfd turns
 * readable), else what failed.  Return: -EPIPE, or the abort.
 */
int fe_keeper_lost(struct run *run, int r)
{
	if (r == -EINTR || r == -ECHILD)
		return r;
	if (run->keeper.pidfd >= 0)
		fe_loop_until(run, &run->ended[PROC_KEEPER], 1000);
	if (run->abort)
		return run->abort;
	if (r == -ETIMEDOUT)
		fe_error("the keeper process did not answer within %d s",
			 KEEPER_EXIT_MS / 1000);
	else
		fe_error("the keeper process is gone: %s", strerror(-r));
	return -EPIPE;
}
