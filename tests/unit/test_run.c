// SPDX-License-Identifier: MIT
/*
 * The run's pure parts: the script's line queues (script.c), the table of
 * process ends (death.c), the stages (run.c), --status-fd's rescue
 * (opts.c).
 */
#include "common/util.h"
#include "model/opts.h"
#include "frontend/run.h"
#include "suites.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct run new_run(enum stage stage)
{
	struct run run = {
		.stage = stage, .sfd = -1, .timer = -1, .tty_fd = -1, .links_fd = -1,
		.cmd_pidfd = -1, .status = { .fd = -1 }, .answers = { .fd = -1 },
		.helper = { .pid = -1, .pidfd = -1, .sock = -1 },
		.keeper = { .pid = -1, .pidfd = -1, .sock = -1, .ready_fd = -1 },
		.end_status = { -1, -1, -1, -1 }, .cmd_pid = -1,
	};

	snprintf(run.rundir, sizeof(run.rundir), "/nonexistent/hckns/X");
	fe_last_error[0] = '\0';
	return run;
}

/* ---- the line queues --------------------------------------------------- */

/* A non-blocking pipe that is full: nothing lost, all written later. */
START_TEST(test_outq_full_nonblocking_pipe)
{
	struct outq q = { .fd = -1 };
	char line[100], buf[PIPE_BUF * 2];
	size_t total = 0, got = 0;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	q.fd = p[1];
	for (int i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "{\"return\":{},\"tag\":%d}\n", i);
		fe_outq_push(&q, line);
		total += strlen(line);
	}
	ck_assert_uint_eq(q.len, total);
	/* Flushed until the pipe is full: still true, the rest queued. */
	for (int i = 0; i < 100; i++)
		ck_assert(fe_outq_flush(&q));
	ck_assert_uint_gt(q.len, 0);
	ck_assert_uint_lt(q.len, total);
	/* The reader comes: everything arrives, in order. */
	for (int i = 0; i < 10000 && got < total; i++) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n > 0)
			got += (size_t)n;
		fe_outq_flush(&q);
	}
	ck_assert_uint_eq(got, total);
	ck_assert_uint_eq(q.len, 0);
	fe_outq_free(&q);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* At most PIPE_BUF bytes a write: a blocking pipe that poll(2) calls
 * writable takes them without blocking. */
START_TEST(test_outq_pipe_buf_at_a_time)
{
	struct outq q = { .fd = -1 };
	char big[3 * PIPE_BUF + 1], buf[4 * PIPE_BUF];
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	q.fd = p[1];
	fe_outq_push(&q, big);
	ck_assert(fe_outq_flush(&q));
	ck_assert_uint_eq(q.len, (size_t)2 * PIPE_BUF);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), PIPE_BUF);
	fe_outq_free(&q);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Its reader gone: the queue says so, and drops its lines. */
START_TEST(test_outq_reader_gone)
{
	struct outq q = { .fd = -1 };
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	q.fd = p[1];
	fe_outq_push(&q, "line\n");
	ck_assert(!fe_outq_flush(&q));
	ck_assert_int_eq(q.fd, -1);
	ck_assert_uint_eq(q.len, 0);
	/* Nothing is queued for a descriptor that is gone. */
	fe_outq_push(&q, "more\n");
	ck_assert_uint_eq(q.len, 0);
	fe_outq_free(&q);
	close(p[1]);
}
END_TEST

/* ---- the table of ends -------------------------------------------------- */

START_TEST(test_death_in_setup_aborts)
{
	struct run run = new_run(STAGE_CONFIGURE);

	fe_ended(&run, PROC_KEEPER, SIGKILL);
	ck_assert_str_eq(fe_last_error, "the keeper process killed by signal 9 "
			 "(Killed) during the setup");
	ck_assert_int_eq(run.abort, -ECHILD);
	ck_assert(!run.failed);
	/* One line a run: the helper's end that follows is only traced. */
	fe_last_error[0] = '\0';
	fe_ended(&run, PROC_HELPER, 0);
	ck_assert_str_eq(fe_last_error, "");
}
END_TEST

START_TEST(test_death_slirp_before_ready)
{
	struct run run = new_run(STAGE_CONFIGURED);

	fe_ended(&run, PROC_SLIRP, 1 << 8);
	ck_assert_str_eq(fe_last_error, "slirp4netns exited before it was "
			 "ready (exited with status 1)");
	ck_assert_int_eq(run.abort, -ECHILD);
	ck_assert_int_eq(run.end_status[PROC_SLIRP], 1 << 8);
}
END_TEST

START_TEST(test_death_while_command_runs)
{
	struct run run = new_run(STAGE_COMMAND);

	fe_ended(&run, PROC_SLIRP, SIGKILL);
	ck_assert_str_eq(fe_last_error, "slirp4netns killed by signal 9 "
			 "(Killed) unexpectedly; the network is gone: stopping "
			 "the command");
	ck_assert(run.failed);
	ck_assert_int_eq(run.abort, 0);
	ck_assert_int_eq(fe_run_code(&run), FE_EXIT_FAILURE);
}
END_TEST

START_TEST(test_death_reader_gone)
{
	struct run run = new_run(STAGE_COMMAND);

	fe_status_lost(&run);
	ck_assert_str_eq(fe_last_error, "the reader of --status-fd went away "
			 "(the script that started hckns is gone): stopping the "
			 "command");
	ck_assert(run.failed && run.ended[PROC_READER] && run.status.fd == -1);
}
END_TEST

/* `hckns stop` ends it all: the deaths that follow are no failure. */
START_TEST(test_death_while_stopping)
{
	struct run run = new_run(STAGE_COMMAND);

	fe_stopped(&run, 1234);
	ck_assert_int_eq(run.stage, STAGE_STOPPING);
	fe_ended(&run, PROC_HELPER, SIGKILL);
	ck_assert_str_eq(fe_last_error, "");
	ck_assert(!run.failed);
}
END_TEST

START_TEST(test_death_in_teardown)
{
	struct run run = new_run(STAGE_TEARDOWN);

	/* The setup failed: the command never ran, its failure was said. */
	fe_ended(&run, PROC_SLIRP, SIGKILL);
	ck_assert_str_eq(fe_last_error, "");
	run = new_run(STAGE_TEARDOWN);
	run.cmd_pid = 42;
	fe_ended(&run, PROC_SLIRP, SIGKILL);
	ck_assert_str_eq(fe_last_error, "slirp4netns killed by signal 9 "
			 "(Killed) during teardown, before hckns stopped it; its "
			 "port forwards closed with it and nothing is left "
			 "behind");
	/* The keeper's clean end once we left is no news. */
	fe_last_error[0] = '\0';
	run.left = true;
	fe_ended(&run, PROC_KEEPER, 0);
	ck_assert_str_eq(fe_last_error, "");
	ck_assert(!run.failed);
}
END_TEST

START_TEST(test_stage_names)
{
	ck_assert_str_eq(fe_stage_name(STAGE_PRE_HELPER), "pre-helper");
	ck_assert_str_eq(fe_stage_name(STAGE_CONFIGURED), "configured-not-ready");
	ck_assert_str_eq(fe_stage_name(STAGE_TEARDOWN), "teardown");
	for (int s = 0; s < STAGE_COUNT; s++)
		ck_assert_ptr_nonnull(fe_stage_name((enum stage)s));
}
END_TEST

/* A refused command line still names its --status-fd. */
START_TEST(test_opts_status_fd_rescued)
{
	char *a[] = { "hckns", "--mtu", "1", "--status-fd", "7", "--", "x", NULL };
	char *b[] = { "hckns", "--status-fd=9", "--bogus", NULL };
	char *c[] = { "hckns", "--", "--status-fd", "3", NULL };
	char *d[] = { "hckns", "--status-fd", "x", NULL };

	ck_assert_int_eq(fe_opts_status_fd(7, a), 7);
	ck_assert_int_eq(fe_opts_status_fd(3, b), 9);
	ck_assert_int_eq(fe_opts_status_fd(4, c), -1);
	ck_assert_int_eq(fe_opts_status_fd(3, d), -1);
}
END_TEST

Suite *make_run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_outq_full_nonblocking_pipe);
	tcase_add_test(tc, test_outq_pipe_buf_at_a_time);
	tcase_add_test(tc, test_outq_reader_gone);
	tcase_add_test(tc, test_death_in_setup_aborts);
	tcase_add_test(tc, test_death_slirp_before_ready);
	tcase_add_test(tc, test_death_while_command_runs);
	tcase_add_test(tc, test_death_reader_gone);
	tcase_add_test(tc, test_death_while_stopping);
	tcase_add_test(tc, test_death_in_teardown);
	tcase_add_test(tc, test_stage_names);
	tcase_add_test(tc, test_opts_status_fd_rescued);
	suite_add_tcase(s, tc);
	return s;
}
