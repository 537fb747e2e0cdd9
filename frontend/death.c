// SPDX-License-Identifier: MIT
/*
 * "Process X ended": what hckns says and does, by one table of (process,
 * stage).  Every end of the helper, the keeper, slirp4netns and the
 * reader of --status-fd comes here, from the loop (loop.c) or the
 * teardown; the command's own end comes to fe_command_ended().  A run says
 * one such line at most: once one is said, later ends are only traced.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "common/runtime.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const proc_name[PROC_COUNT] = {
	[PROC_HELPER] = "hckns-helper",
	[PROC_KEEPER] = "the keeper process",
	[PROC_SLIRP] = "slirp4netns",
	[PROC_READER] = "the reader of --status-fd",
};

enum act {
	ACT_NOTE,		/* say it (or trace it), nothing more */
	ACT_ABORT,		/* the setup ends (its waits return -ECHILD) */
	ACT_FAIL,		/* exit 125; the command is stopped if it runs */
};

enum whose { ANY_RUN, CREATOR, JOINER };

/*
 * First match wins.  @say is printf'd with who, how ("killed by signal 9
 * (Killed)") and what slirp4netns said last (": ..." or ""); NULL: a
 * trace line only.
 */
static const struct rule {
	enum proc who;		/* PROC_COUNT: any */
	enum stage first, last;
	enum whose whose;
	enum act act;
	const char *say;
} rules[] = {
	/* Before its hello: start_helper() says why (a signal, or userns). */
	{ PROC_HELPER, STAGE_HELPER_STARTING, STAGE_HELPER_STARTING, ANY_RUN,
	  ACT_ABORT, NULL },
	{ PROC_SLIRP, STAGE_SLIRP_STARTING, STAGE_CONFIGURED, ANY_RUN, ACT_ABORT,
	  "%s exited before it was ready (%s)%s" },
	{ PROC_COUNT, STAGE_START, STAGE_READY, ANY_RUN, ACT_ABORT,
	  "%s %s during the setup" },
	{ PROC_READER, STAGE_COMMAND, STAGE_COMMAND, ANY_RUN, ACT_FAIL,
	  "%s %s (the script that started hckns is gone): stopping the "
	  "command" },
	/* It is PID 1 of the instance: the kernel ended the command first. */
	{ PROC_HELPER, STAGE_COMMAND, STAGE_COMMAND, ANY_RUN, ACT_FAIL,
	  "%s %s unexpectedly; the instance ended with it, and the kernel "
	  "killed the command" },
	{ PROC_COUNT, STAGE_COMMAND, STAGE_COMMAND, ANY_RUN, ACT_FAIL,
	  "%s %s unexpectedly; the network is gone: stopping the command" },
	/* `hckns stop`: its deadline ends them too. */
	{ PROC_COUNT, STAGE_STOPPING, STAGE_STOPPING, ANY_RUN, ACT_NOTE, NULL },
	{ PROC_SLIRP, STAGE_TEARDOWN, STAGE_TEARDOWN, ANY_RUN, ACT_NOTE,
	  "%s %s during teardown, before hckns stopped it; its port forwards "
	  "closed with it and nothing is left behind" },
	{ PROC_KEEPER, STAGE_TEARDOWN, STAGE_TEARDOWN, CREATOR, ACT_NOTE,
	  "%s %s during teardown; hckns finished the teardown itself and "
	  "nothing is left behind" },
	{ PROC_KEEPER, STAGE_TEARDOWN, STAGE_TEARDOWN, JOINER, ACT_NOTE,
	  "%s %s during teardown; the instance ended with it, and the next "
	  "hckns run removes its runtime directory" },
	{ PROC_COUNT, STAGE_START, STAGE_TEARDOWN, ANY_RUN, ACT_NOTE, NULL },
};

static const struct rule *rule_for(const struct run *run, enum proc who)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		const struct rule *r = &rules[i];

		if ((r->who == who || r->who == PROC_COUNT) &&
		    run->stage >= r->first && run->stage <= r->last &&
		    (r->whose == ANY_RUN || (r->whose == JOINER) == run->joined))
			return r;
	}
	return NULL;
}

/*
 * An end that is no news: after one was said; the helper's and the
 * keeper's own ends once we left; every end at teardown of a run whose
 * command never ran (the setup's failure was said).
 */
static bool expected(const struct run *run, enum proc who, int wstatus)
{
	bool clean = wstatus >= 0 && WIFEXITED(wstatus) &&
		     WEXITSTATUS(wstatus) == 0;

	if (run->failed || (run->abort && run->stage < STAGE_TEARDOWN))
		return true;
	if (run->stage != STAGE_TEARDOWN)
		return false;
	if (run->cmd_pid <= 0 || who == PROC_HELPER || who == PROC_READER)
		return true;
	return who == PROC_KEEPER &&
	       ((run->left && (clean || run->joined)) || run->keeper_killed);
}

/* The last line slirp4netns wrote, after ": ", to say why it ended. */
static void slirp_last_line(const struct run *run, char *buf, size_t len)
{
	char path[PATH_MAX + 32], text[4096];
	const char *last;
	ssize_t n;
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
	last = strrchr(text, '\n');
	last = last ? last + 1 : text;
	if (*last)
		snprintf(buf, len, ": %.*s", (int)len - 3, last);
}

static void stop_command(struct run *run)
{
	struct itimerspec t = {
		.it_value = { STOP_GRACE_MS / 1000,
			      (STOP_GRACE_MS % 1000) * 1000000L },
	};

	if (run->cmd_ended || run->cmd_pidfd < 0)
		return;
	fe_command_signal(run, SIGTERM);
	timerfd_settime(run->timer, 0, &t, NULL);
}

void fe_ended(struct run *run, enum proc who, int wstatus)
{
	const struct rule *r = rule_for(run, who);
	char how[128], log[512] = "";

	if (run->ended[who])
		return;
	run->ended[who] = true;
	run->end_status[who] = wstatus;
	if (who == PROC_READER)
		snprintf(how, sizeof(how), "went away");
	else if (wstatus < 0)
		snprintf(how, sizeof(how), "ended");
	else
		fe_describe_status(wstatus, how, sizeof(how));
	if (who == PROC_SLIRP && run->stage < STAGE_TEARDOWN)
		slirp_last_line(run, log, sizeof(log));
	if (!r || expected(run, who, wstatus)) {
		fe_trace("%s %s (stage %s)", proc_name[who], how,
			 fe_stage_name(run->stage));
		return;
	}
	/* The formats are the table's, each of three strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (r->say)
		fe_error(r->say, proc_name[who], how, log);
	else
		fe_trace("%s %s (stage %s)", proc_name[who], how,
			 fe_stage_name(run->stage));
#pragma GCC diagnostic pop
	if (r->act == ACT_ABORT && !run->abort)
		run->abort = -ECHILD;
	if (r->act == ACT_FAIL) {
		run->failed = true;
		stop_command(run);
	}
}

void fe_stopped(struct run *run, pid_t by)
{
	if (run->stage >= STAGE_TEARDOWN) {
		fe_trace("'hckns stop' (pid %d) while we leave", (int)by);
		return;
	}
	/* Before the command: the setup ends, as SIGTERM would end it. */
	if (run->stage < STAGE_COMMAND) {
		fe_trace("stopped by 'hckns stop' (pid %d) during the setup",
			 (int)by);
		if (!run->abort) {
			run->interrupted = SIGTERM;
			run->stopped_by = by;
			run->abort = -EINTR;
		}
		return;
	}
	/* Someone at a terminal is told why the command ends. */
	if (isatty(STDERR_FILENO))
		fe_error("instance '%s' is being stopped by 'hckns stop' (pid "
			 "%d): the command gets SIGTERM now, SIGKILL %d s later",
			 strrchr(run->rundir, '/') + 1, (int)by,
			 FE_STOP_TIMEOUT_MS / 1000);
	fe_trace("stopped by 'hckns stop' (pid %d): SIGTERM to the command",
		 (int)by);
	if (run->stage == STAGE_COMMAND)
		fe_stage(run, STAGE_STOPPING);
	if (!run->failed && !run->cmd_ended)
		fe_command_signal(run, SIGTERM);
}

/*
 * The helper's socket closed: it has ended, or is ending (it closes its
 * socket, then the kernel ends its PID namespace, and its pidfd turns
 * readable only once the command is reaped).
 */
static bool helper_gone(const struct run *run)
{
	struct pollfd p = { .fd = run->helper.sock, .events = POLLRDHUP };

	return run->helper.sock >= 0 && poll(&p, 1, 0) == 1 &&
	       (p.revents & (POLLHUP | POLLRDHUP));
}

void fe_command_ended(struct run *run, int wstatus)
{
	char desc[128];

	run->cmd_ended = true;
	run->cmd_status = wstatus;
	close(run->cmd_pidfd);
	run->cmd_pidfd = -1;
	fe_describe_status(wstatus, desc, sizeof(desc));
	fe_trace("command %s", desc);
	/* SIGKILLed by the end of the instance's PID 1: say that end. */
	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL &&
	    !run->failed && run->stage == STAGE_COMMAND && helper_gone(run) &&
	    fe_loop_until(run, &run->ended[PROC_HELPER], HELPER_EXIT_MS) == 0)
		fe_ended(run, PROC_HELPER, -1);
	fe_terminal_restore(run);
}

bool fe_death_explains(struct run *run)
{
	/* slirp4netns's end comes from the keeper, maybe a moment later. */
	fe_loop_settle(run, 200);
	return run->abort == -ECHILD;
}

int fe_run_code(const struct run *run)
{
	return run->failed ? FE_EXIT_FAILURE : fe_exit_code(run->cmd_status);
}
