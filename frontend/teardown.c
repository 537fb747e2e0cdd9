// SPDX-License-Identifier: MIT
/*
 * Leaving the instance, in doc/design.md's order.  The keeper removes the
 * forwards, stops slirp4netns and removes the runtime directory when the
 * last holder has left; whoever leaves last waits for that, so that nothing
 * is left once hckns returns.  Every wait goes through the loop; what ends
 * meanwhile is death.c's to say.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void end_command(struct run *run)
{
	if (run->cmd_pidfd < 0 || run->cmd_ended)
		return;
	fe_pidfd_signal(run->cmd_pidfd, SIGKILL);
	fe_command_ended(run, fe_pidfd_wait(run->cmd_pidfd, 0));
}

/*
 * Tell the keeper we leave; it answers how many holders remain, the last
 * holder's answer once it has torn the instance down (a SLIRP_EXITED
 * first when slirp4netns ended before it was stopped).  Return: the
 * holders that remain, or -1 when the keeper did not answer in time.
 */
static int leave(struct run *run)
{
	struct fe_keeper_msg m = { .type = FE_KEEPER_LEAVE };

	int r = run->ended[PROC_KEEPER] ? -ESRCH :
		fe_keeper_ask(run, &m, NULL, 0, KEEPER_EXIT_MS);

	if (r < 0 || m.type != FE_KEEPER_LEFT) {
		fe_trace("the keeper did not answer our leaving: %s",
			 r < 0 ? strerror(-r) : "another answer");
		return -1;
	}
	run->left = true;
	if (m.left.holders > 0)
		fe_trace("%d other holder(s) keep the instance", m.left.holders);
	return m.left.holders;
}

/* Our child the keeper: its end, once we were the last to leave. */
static void keeper_end(struct run *run, int remaining)
{
	if (run->keeper.pidfd < 0 || run->ended[PROC_KEEPER] || remaining > 0)
		return;
	if (fe_loop_until(run, &run->ended[PROC_KEEPER], KEEPER_EXIT_MS) == 0) {
		fe_error("the keeper process did not end; killing it");
		run->keeper_killed = true;
		fe_pidfd_signal(run->keeper.pidfd, SIGKILL);
		fe_loop_until(run, &run->ended[PROC_KEEPER], -1);
	}
}

/* A joiner's keeper, not our child: wait (bounded) for its end. */
static void foreign_keeper_end(struct run *run, int remaining)
{
	if (run->keeper.pidfd < 0 || run->ended[PROC_KEEPER] || remaining > 0)
		return;
	/* -1: it died on our way out (death.c says so when it has). */
	if (fe_loop_until(run, &run->ended[PROC_KEEPER],
			  remaining == 0 ? KEEPER_EXIT_MS : 1000) == 0)
		fe_trace("the keeper (pid %d) has not ended yet",
			 (int)run->keeper.pid);
}

/*
 * The helper, our child, exits when the last copy of its socket closes
 * (ours is closed by now; the keeper's when the instance ends), and the
 * kernel ends every process of its PID namespace before its pidfd turns
 * readable.  When others hold the instance it goes on without us.
 */
static void helper_end(struct run *run, bool last)
{
	if (run->helper.pidfd < 0 || run->ended[PROC_HELPER])
		return;
	if (!last) {
		fe_trace("helper (pid %d) goes on: others hold the instance",
			 (int)run->helper.pid);
		return;
	}
	if (fe_loop_until(run, &run->ended[PROC_HELPER], HELPER_EXIT_MS) == 0) {
		/* Its end is the instance's: make sure of it. */
		fe_trace("the helper has not ended; killing it");
		fe_pidfd_signal(run->helper.pidfd, SIGKILL);
		fe_loop_until(run, &run->ended[PROC_HELPER], HELPER_EXIT_MS);
	}
}

/* Did the keeper we started not do its job (never started, or died)? */
static bool keeper_left_it(const struct run *run)
{
	int st = run->end_status[PROC_KEEPER];

	if (run->joined || !run->have_rundir)
		return false;
	if (run->keeper.pid <= 0)
		return true;
	return run->ended[PROC_KEEPER] &&
	       !(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

void fe_teardown(struct run *run)
{
	int remaining;

	/* The setup's abort is said; the teardown's waits go on. */
	run->abort = 0;
	fe_stage(run, STAGE_TEARDOWN);
	end_command(run);
	/*
	 * Our copy of the helper's socket: the keeper's keeps the instance
	 * while others hold it, and goes when the last holder has left.
	 */
	if (run->helper.sock >= 0) {
		fe_closep(&run->helper.sock);
		fe_trace("helper socket closed");
	}
	remaining = leave(run);
	fe_closep(&run->keeper.sock);
	fe_closep(&run->keeper.ready_fd);
	if (run->joined)
		foreign_keeper_end(run, remaining);
	else
		keeper_end(run, remaining);
	if (!run->joined && run->ended[PROC_KEEPER])
		fe_trace("keeper ended");
	helper_end(run, remaining <= 0);
	if (run->ended[PROC_HELPER])
		fe_trace("helper ended");
	/*
	 * Its processes are gone: the helper's end ended them.  What the
	 * keeper did not remove, we do.
	 */
	if (keeper_left_it(run))
		fe_rm_rf(run->rundir);
	fe_closep(&run->keeper.pidfd);
	fe_closep(&run->helper.pidfd);
}
