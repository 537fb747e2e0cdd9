// SPDX-License-Identifier: MIT
/*
 * The script protocol: --status-fd's lines and --control-fd's requests.
 *
 * Nothing written for the script is written in place: every line goes to
 * a queue that the loop writes when the descriptor is writable, at most
 * PIPE_BUF bytes at a time, whatever the descriptor's O_NONBLOCK (a
 * pipe that poll(2) calls writable takes that much without blocking; a
 * socket is written with MSG_DONTWAIT).  So a script that reads late loses
 * nothing and never stalls hckns.  While the answers waiting exceed
 * ANSWERS_HIGH, no request is read (backpressure): the requests wait in
 * their pipe, as the script's writes do.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "common/slirp_api.h"
#include "model/fwd.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Answers waiting to be read above which requests wait too. */
#define ANSWERS_HIGH ((size_t)64 * 1024)

void fe_outq_push(struct outq *q, const char *line)
{
	size_t n = strlen(line);

	if (q->fd < 0)
		return;
	if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		char *p;

		while (cap < q->len + n)
			cap *= 2;
		p = realloc(q->buf, cap);
		if (!p) {
			fe_trace("out of memory: a line for fd %d dropped", q->fd);
			return;
		}
		q->buf = p;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, line, n);
	q->len += n;
}

bool fe_outq_flush(struct outq *q)
{
	size_t n = q->len < PIPE_BUF ? q->len : PIPE_BUF;
	ssize_t w;

	if (q->fd < 0 || !n)
		return q->fd >= 0;
	w = send(q->fd, q->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0 && errno == ENOTSOCK)
		w = write(q->fd, q->buf, n);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (w < 0) {
		fe_trace("fd %d: %s; its lines are dropped", q->fd,
			 strerror(errno));
		fe_outq_free(q);
		return false;
	}
	memmove(q->buf, q->buf + w, q->len - (size_t)w);
	q->len -= (size_t)w;
	return true;
}

void fe_outq_free(struct outq *q)
{
	free(q->buf);
	*q = (struct outq){ .fd = -1 };
}

/*
 * The descriptors of --status-fd and --control-fd must be open; they are
 * made close-on-exec, so that the command does not hold them (a script
 * waiting for EOF on the status pipe gets it when hckns ends).
 */
int fe_script_fds(struct run *run)
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
	run->status.fd = run->o.status_fd;
	run->answers.fd = run->o.control_out;
	return 0;
}

static void status_emit(struct run *run, json_t *obj)
{
	char *text;

	if (!obj)
		return;
	text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text) {
		fe_outq_push(&run->status, text);
		fe_outq_push(&run->status, "\n");
	}
	free(text);
	json_decref(obj);
}

void fe_status_lost(struct run *run)
{
	fe_outq_free(&run->status);
	fe_ended(run, PROC_READER, -1);
}

static json_t *forwards_json(const struct fe_fwd *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, fe_control_entry(&v[i]));
	return a;
}

void fe_status_ready(struct run *run)
{
	static const char *const kinds[FE_NS_COUNT] = { "user", "net", "mnt",
							"pid" };
	json_t *nsobj = json_object();
	char ns[64];

	for (int i = 0; i < FE_NS_COUNT; i++) {
		/* A joiner has no helper: its own descriptors name them. */
		if (run->joined)
			snprintf(ns, sizeof(ns), "/proc/%d/fd/%d", (int)getpid(),
				 run->ns[i]);
		else
			snprintf(ns, sizeof(ns), "/proc/%d/ns/%s",
				 (int)run->helper.pid, kinds[i]);
		json_object_set_new(nsobj, kinds[i], json_string(ns));
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

void fe_status_started(struct run *run)
{
	status_emit(run, json_pack("{s:s, s:i}", "event", "started", "pid",
				   (int)run->cmd_pid));
}

void fe_status_exited(struct run *run, int code)
{
	int st = run->cmd_status;
	const char *sig = run->cmd_ended && WIFSIGNALED(st) ?
			  sigabbrev_np(WTERMSIG(st)) : NULL;
	json_t *o;

	/* hckns failed, or the command never ran: hckns's message. */
	if (!run->cmd_ended || (run->failed && code == FE_EXIT_FAILURE))
		o = json_pack("{s:s, s:i, s:s, s:s}", "event", "exited",
			      "exit_status", code, "how", "failed",
			      "error", fe_last_error[0] ? fe_last_error
							: "interrupted");
	else if (WIFSIGNALED(st))
		o = json_pack("{s:s, s:i, s:s, s:i, s:s}", "event", "exited",
			      "exit_status", code, "how", "killed",
			      "signal", WTERMSIG(st), "signal_name",
			      sig ? sig : "?");
	else
		o = json_pack("{s:s, s:i, s:s, s:i}", "event", "exited",
			      "exit_status", code, "how", "exited",
			      "code", WEXITSTATUS(st));
	status_emit(run, o);
}

void fe_status_warning(struct run *run, const char *port, unsigned int mtu,
		       const char *text)
{
	status_emit(run, json_pack("{s:s, s:s, s:i, s:s, s:i, s:s}",
				   "event", "warning", "port", port,
				   "mtu", (int)mtu, "uplink",
				   run->topo.bridges[run->topo.uplink].name,
				   "uplink_mtu", (int)run->topo.mtu,
				   "message", text));
}

bool fe_control_reading(const struct run *run)
{
	return run->o.control_in >= 0 && !run->ctl.eof &&
	       (run->stage == STAGE_COMMAND || run->stage == STAGE_STOPPING) &&
	       run->answers.len < ANSWERS_HIGH;
}

/* What one request does; its answer's "return" in @ret. */
static int control_do(struct run *run, struct fe_control_req *req,
		      json_t **ret, char *why, size_t wlen)
{
	struct fe_fwd *list = NULL;
	size_t n = 0;
	int r = 0;

	switch (req->op) {
	case FE_CONTROL_ADD:
		r = fe_fwd_check_reachable(&req->fwd, run->host_loopback, why,
					   wlen);
		if (r == 0)
			r = fe_api_add(run->api_sock, &req->fwd, why, wlen);
		if (r == 0)
			*ret = fe_control_added(&req->fwd);
		return r;
	case FE_CONTROL_LIST:
		r = fe_api_list(run->api_sock, &list, &n, why, wlen);
		if (r == 0)
			*ret = fe_control_entries(list, n);
		free(list);
		return r;
	case FE_CONTROL_REMOVE:
		return fe_api_remove(run->api_sock, req->id, why, wlen);
	case FE_CONTROL_STOP:
		/* The way SIGTERM from a script would. */
		if (!run->failed)
			fe_command_signal(run, SIGTERM);
		return 0;
	case FE_CONTROL_NONE:
	default:
		snprintf(why, wlen, "no request");
		return -EINVAL;
	}
}

/* Answer one request line (control.c has the shapes): every line, once. */
static void control_answer(struct run *run, const char *line, size_t len)
{
	struct fe_control_req req;
	char why[FE_FWD_ERR_MAX], *answer;
	json_t *ret = NULL;
	int r;

	r = fe_control_parse(line, len, run->guest_addr, &req, why,
			     sizeof(why));
	if (r == 0) {
		r = control_do(run, &req, &ret, why, sizeof(why));
		fe_trace("control: %.*s: %s", (int)(len > 200 ? 200 : len), line,
			 r == 0 ? "ok" : why);
	}
	answer = r == 0 ? fe_control_ok(req.tag, ret)
			: fe_control_error(req.tag, why);
	fe_control_req_release(&req);
	if (answer)
		fe_outq_push(&run->answers, answer);
	free(answer);
}

/*
 * Read what the control fd has and answer every complete line, in order.
 * EOF only ends the requests; the command goes on.
 */
void fe_control_serve(struct run *run)
{
	ssize_t n = fe_linebuf_read(&run->ctl, run->o.control_in);
	const char *line;
	size_t len;
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

			if (answer)
				fe_outq_push(&run->answers, answer);
			free(answer);
			continue;
		}
		control_answer(run, line, len);
	}
	if (run->ctl.eof)
		fe_trace("control fd: end of requests");
}

/*
 * Before hckns exits: write what is queued, as the reader takes it.  Only
 * the reader's going away, or SIGINT, SIGTERM, SIGHUP or SIGQUIT, ends the
 * wait early: everything else has been released already.
 */
void fe_script_drain(struct run *run)
{
	struct outq *q[2] = { &run->status, &run->answers };

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = q[0]->len ? q[0]->fd : -1, .events = POLLOUT },
			{ .fd = q[1]->len ? q[1]->fd : -1, .events = POLLOUT },
			{ .fd = run->sfd, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (p[0].fd < 0 && p[1].fd < 0)
			return;
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			return;
		for (int i = 0; i < 2; i++)
			if (p[i].revents & (POLLERR | POLLHUP))
				fe_outq_free(q[i]);
			else if (p[i].revents)
				fe_outq_flush(q[i]);
		while (p[2].revents && read(run->sfd, &si, sizeof(si)) ==
		       sizeof(si))
			if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGUSR1 &&
			    si.ssi_signo != SIGUSR2)
				return;
	}
}
