// SPDX-License-Identifier: MIT
/*
 * One run, from the parsed options to hckns's exit status:
 *
 *   preflight   checks that need nothing made
 *   setup       claim (create or join), keeper, helper, slirp4netns, the
 *               network, the -p forwards (setup.c)
 *   command     started in the instance (command.c); the loop relays
 *               signals and watches everyone until it ends (loop.c,
 *               death.c)
 *   teardown    leave the instance; the last holder's keeper ends it
 *               (teardown.c)
 *   exited      the last status line, written before hckns exits
 *
 * The stages of run.h mark the way; -v traces each.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "common/runtime.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const stage_names[STAGE_COUNT] = {
#define FE_STAGE_NAME(id, name) [STAGE_##id] = (name),
	FE_STAGES(FE_STAGE_NAME)
#undef FE_STAGE_NAME
};

const char *fe_stage_name(enum stage s)
{
	return s < STAGE_COUNT ? stage_names[s] : "?";
}

void fe_stage(struct run *run, enum stage s)
{
	run->stage = s;
	fe_trace("stage: %s", stage_names[s]);
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

/* From ready to the command's end.  Return: hckns's exit status. */
static int command(struct run *run)
{
	int code;

	fe_status_ready(run);
	run->links_fd = fe_links_watch(run);
	detaching(run);
	code = fe_command_start(run);
	if (code)
		return code;
	detached(run);
	fe_stage(run, STAGE_COMMAND);
	fe_run_sweep(run);
	/* The loop fails only when poll(2) does (said): hckns failed. */
	if (fe_loop_until(run, &run->cmd_ended, -1) < 0)
		return FE_EXIT_FAILURE;
	return fe_run_code(run);
}

/*
 * Remove what crashed instances left in the runtime base, once a run: while
 * its command runs, or at its end when it never ran.  Not at start-up:
 * many instances that start at once would each read the whole base, and
 * wait on each other's mkdir there, before their setup.
 */
void fe_run_sweep(struct run *run)
{
	struct fe_base base;
	char why[PATH_MAX + 256];

	if (!run->sweep_due)
		return;
	run->sweep_due = false;
	/* Opened again, checked as at the claim: no descriptor held meanwhile. */
	if (fe_base_open(getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), getuid(),
			 /* create= */ false, &base, why, sizeof(why)) < 0) {
		fe_trace("runtime base not swept: %s", why);
		return;
	}
	fe_runtime_sweep(&base);
	fe_base_close(&base);
}

int fe_run(struct run *run)
{
	int code = FE_EXIT_FAILURE;

	/* The status fd first: every failure after it gets its line. */
	if (fe_script_fds(run) == 0 && fe_loop_init(run) == 0 &&
	    fe_preflight(run) == 0) {
		if (fe_setup(run) == 0)
			code = command(run);
		else if (run->interrupted)
			code = 128 + run->interrupted;
	}
	fe_teardown(run);
	fe_run_sweep(run);
	/* Said once it is true. */
	if (run->stopped_by)
		fe_error("stopped by 'hckns stop' (pid %d) during setup; nothing "
			 "is left behind", (int)run->stopped_by);
	else if (run->interrupted)
		fe_error("interrupted by SIG%s during setup; nothing is left "
			 "behind", sigabbrev_np(run->interrupted));
	fe_status_exited(run, code);
	if (run->detach_fd >= 0)
		close(run->detach_fd);
	fe_script_drain(run);
	fe_outq_free(&run->status);
	fe_outq_free(&run->answers);
	return code;
}
