// SPDX-License-Identifier: MIT
/*
 * The setup: checks that need nothing made (preflight), then the keeper,
 * the helper, slirp4netns and the network, as one straight-line recipe
 * (fe_setup()).  Every wait goes through the loop (loop.c), so a signal
 * or a death ends the setup wherever it comes; death.c says what ended.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "common/netinfo.h"
#include "common/diagnose.h"
#include "common/slirp_api.h"
#include "model/opts.h"
#include "model/topology.h"
#include "model/fwd.h"
#include "frontend/helper_client.h"
#include "keeper/keeper.h"
#include "hckns/keeper.h"
#include "hckns/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int find_helper(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	return fe_find_helper(exe, out, len);
}

/* What hckns runs: its helper and slirp4netns. */
static int find_programs(struct run *run)
{
	int r;

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
	return 0;
}

static int check_tun(const struct run *run)
{
	struct stat st;
	int r;

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
	 * Root passes access(2) whatever the mode; the helper's uplink-add,
	 * as a subordinate id, needs the device open to others.
	 */
	if (run->o.map_root == FE_MAP_ROOT_SUBIDS &&
	    stat("/dev/net/tun", &st) == 0 && (st.st_mode & 0006) != 0006) {
		fe_error("/dev/net/tun is mode %04o: with --map-root=subids the "
			 "helper opens it as root's first subordinate id, a "
			 "user other than root to it; as root, run 'chmod 0666 "
			 "/dev/net/tun' (the usual default)",
			 (unsigned int)(st.st_mode & 07777));
		return -EACCES;
	}
	return 0;
}

/* The network and the -p forwards: every value checked, every clash. */
static int check_network(struct run *run)
{
	char err[512];
	int r = fe_topology_build(&run->o, &run->topo, err, sizeof(err));

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
	return 0;
}

/* Checks that need nothing created: fail before anything exists. */
int fe_preflight(struct run *run)
{
	int r;

	/* subids.h says why it is root's only. */
	if (run->o.map_root == FE_MAP_ROOT_SUBIDS && getuid() != 0) {
		fe_error("--map-root=subids is for root only: it keeps host root "
			 "out of root's instances, and root of yours is you, "
			 "never host root; leave it out (--map-subids gives you "
			 "more ids)");
		return -EPERM;
	}
	r = find_programs(run);
	if (r == 0)
		r = check_tun(run);
	if (r == 0)
		r = check_network(run);
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

/*
 * After the setup ended (a signal, a death): read the oldest answer due,
 * briefly, without judging it: a helper whose answer is left unread at our
 * close is told "connection reset", and says so.  Return: whether one was
 * read.
 */
static bool answer_read_briefly(struct run *run, uint16_t op)
{
	char reason[PROTO_REASON_MAX];
	bool came;

	run->waiting_helper = true;
	if (!run->helper_answer)
		fe_loop_settle_until(run, &run->helper_answer, 1000);
	run->waiting_helper = false;
	came = run->helper_answer;
	run->helper_answer = false;
	return came && fe_helper_recv(&run->helper, op, reason,
				      sizeof(reason)) != -EPIPE;
}

/* Wait, through the loop, for the answer to the oldest request due (@op). */
static int helper_answer(struct run *run, uint16_t op, char *reason,
			 size_t rlen)
{
	int r;

	reason[0] = '\0';
	run->waiting_helper = true;
	r = fe_loop_until(run, &run->helper_answer, -1);
	run->waiting_helper = false;
	if (r < 0)
		answer_read_briefly(run, op);
	else if (r > 0)
		r = fe_helper_recv(&run->helper, op, reason, rlen);
	run->helper_answer = false;
	return r;
}

static void trace_answer(const char *what, uint16_t op, int r,
			 const char *reason)
{
	if (r == 0)
		fe_trace("helper: %s: ok", what);
	else
		fe_trace("helper: %s: %s", what,
			 reason[0] ? own_words(op, reason) : strerror(-r));
}

int fe_helper_request(struct run *run, uint16_t op, const void *p, size_t len,
		      const char *what, char *reason, size_t rlen)
{
	int r = fe_helper_send(&run->helper, op, p, len, reason, rlen);

	if (r == 0)
		r = helper_answer(run, op, reason, rlen);
	trace_answer(what, op, r, reason);
	return r;
}

/* The namespaces the command, the keeper and joiners enter through. */
static int open_namespaces(struct run *run)
{
	static const char *const kinds[FE_NS_COUNT] = { "user", "net", "mnt",
							"pid" };
	char path[64];

	/* The helper is our unreaped child: its pid cannot be reused yet. */
	for (int i = 0; i < FE_NS_COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s",
			 (int)run->helper.pid, kinds[i]);
		run->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (run->ns[i] < 0) {
			int r = -errno;

			fe_error("cannot open %s: %s", path, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int spawn_helper(struct run *run)
{
	struct fe_idmap map = { .outer_uid = getuid(), .outer_gid = getgid() };
	char why[512], advice[512];
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
	/* newuidmap's or newgidmap's own words, not advice on userns. */
	if (r < 0 && map.subids && run->helper.idmap_failed)
		fe_error("%s", why);
	else if (r < 0)
		fe_error("%s: %s", why,
			 fe_userns_advice("/proc", -r, advice, sizeof(advice)));
	if (r == 0)
		fe_trace("helper started, pid %d", (int)run->helper.pid);
	return r;
}

/* The helper did not answer hello: killed, or the userns gives nothing. */
static int hello_failed(struct run *run, int r, const char *reason)
{
	int st;
	char desc[128], advice[512];

	if (r == -EINTR)
		return r;
	fe_loop_until(run, &run->ended[PROC_HELPER], 1000);
	st = run->end_status[PROC_HELPER];
	if (run->ended[PROC_HELPER] && st >= 0 && WIFSIGNALED(st)) {
		fe_describe_status(st, desc, sizeof(desc));
		fe_error("hckns-helper %s during the setup", desc);
	} else if (r != -ECHILD || run->ended[PROC_HELPER]) {
		/*
		 * It says why on its stderr, one line of its own: its
		 * start-up failed (hckns-helper.c), as it does when the user
		 * namespace grants no capabilities (Ubuntu's AppArmor) or the
		 * kernel refuses it making / private.
		 */
		if (run->ended[PROC_HELPER] && st >= 0)
			fe_describe_status(st, desc, sizeof(desc));
		else
			snprintf(desc, sizeof(desc), "%s",
				 strerror(r == -ECHILD ? EPIPE : -r));
		fe_error("the helper did not start (%s): %s; %s", desc,
			 reason[0] && !run->ended[PROC_HELPER] ? reason :
			 "see its message above",
			 fe_userns_advice("/proc", EPERM, advice, sizeof(advice)));
	}
	return r;
}

static int start_helper(struct run *run)
{
	char why[512], reason[PROTO_REASON_MAX];
	int r;

	fe_stage(run, STAGE_HELPER_STARTING);
	r = spawn_helper(run);
	if (r == 0)
		r = open_namespaces(run);
	if (r < 0)
		return r;
	r = fe_helper_request(run, PROTO_REQ_HELLO, NULL, 0, "hello", reason,
			      sizeof(reason));
	if (r < 0)
		return hello_failed(run, r, reason);
	/*
	 * What its start-up could not do, which the run does without: the
	 * kernel refused a fresh proc or sysfs (hckns-helper.c mount_fresh()).
	 */
	if (run->helper.notes & PROTO_NOTE_NO_PROC)
		fe_trace("no fresh /proc inside (%s): ps there shows the host's "
			 "processes", strerror(EPERM));
	if (run->helper.notes & PROTO_NOTE_NO_SYSFS)
		fe_trace("no /sys of the network inside (%s): /sys/class/net "
			 "there shows the host's links", strerror(EPERM));
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
	fe_trace("helper confined: Seccomp 2, NoNewPrivs 1, CapPrm, CapEff and "
		 "CapBnd CAP_NET_ADMIN and CAP_SYS_ADMIN, CapInh and CapAmb none");
	fe_stage(run, STAGE_HELPER_UP);
	return 0;
}

/*
 * From now on the keeper holds the instance too: its copy of the helper's
 * socket keeps the helper, PID 1 of the instance, and with it every
 * process inside, until the keeper lets it go (keeper/keeper.c).  Were both
 * of us to die, both copies close and the kernel ends it all.
 */
static int hand_helper_to_keeper(struct run *run)
{
	const int fds[2] = { run->helper.sock, run->helper.pidfd };
	struct fe_keeper_msg m = {
		.type = FE_KEEPER_HELPER,
		.helper = { .helper_pid = run->helper.pid },
	};
	int r = fe_keeper_send(run->keeper.sock, &m, fds, 2);

	return r < 0 ? fe_keeper_lost(run, r) : 0;
}

static int start_slirp(struct run *run)
{
	struct fe_keeper_msg m = {
		.type = FE_KEEPER_START,
		.start = { .helper_pid = run->helper.pid },
	};
	int r;

	fe_stage(run, STAGE_SLIRP_STARTING);
	r = fe_keeper_ask(run, &m, run->ns, FE_NS_COUNT, KEEPER_EXIT_MS);
	if (r < 0)
		return fe_keeper_lost(run, r);
	if (m.type == FE_KEEPER_FAILED) {
		fe_error("cannot start slirp4netns (%s): %s", run->slirp_path,
			 strerror(m.failed.err));
		return -m.failed.err;
	}
	if (m.type != FE_KEEPER_STARTED) {
		fe_error("the keeper process answered START with message %u",
			 (unsigned int)m.type);
		return -EPROTO;
	}
	fe_trace("slirp4netns started, pid %d", m.started.slirp_pid);
	return 0;
}

static int wait_slirp_ready(struct run *run)
{
	int r, waited = 0;

	fe_stage(run, STAGE_CONFIGURED);
	while ((r = fe_loop_until(run, &run->slirp_heard,
				  SLIRP_PROGRESS_MS)) == 0) {
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
	if (r < 0)
		return r;
	if (!run->slirp_up) {
		/* Its end comes from the keeper, right after: death.c says it. */
		r = fe_loop_until(run, &run->ended[PROC_SLIRP], 1000);
		if (r <= 0 && !run->abort)
			fe_error("slirp4netns exited before it was ready");
		return run->abort ? run->abort : -EIO;
	}
	fe_trace("slirp4netns is ready");
	fe_stage(run, STAGE_SLIRP_READY);
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

/* A step failed: say why, in the words that help.  Return: @r. */
static int step_failed(struct run *run, const struct fe_step *s, int r,
		       const char *reason)
{
	const char *words = reason[0] ? own_words(s->op, reason) : strerror(-r);
	char advice[512];

	if (r == -EPERM || r == -EACCES)
		fe_error("cannot %s: %s: %s", s->what, reason,
			 fe_userns_advice("/proc", -r, advice, sizeof(advice)));
	else if (s->op == PROTO_REQ_RESOLV_SET && mounts_under_etc())
		/* The kernel keeps inherited mounts locked in place. */
		fe_error("cannot %s: %s: something is mounted below /etc "
			 "(a container runtime's /etc/hosts, say), and the "
			 "overlay hckns puts on /etc cannot cover it; run "
			 "hckns where nothing is mounted below /etc", s->what,
			 reason[0] ? reason : strerror(-r));
	else if (fe_death_explains(run))
		return run->abort;
	/* A kernel without htb or u32: fail closed, and say what it needs. */
	else if (r == -ENOENT && s->op == PROTO_REQ_UPLINK_ADD)
		fe_error("cannot %s: %s; hckns does not run without it: the "
			 "kernel must have the htb qdisc and the u32 classifier "
			 "(as root: 'modprobe -a sch_htb cls_u32'; 'hckns doctor' "
			 "checks)", s->what, words);
	else
		fe_error("cannot %s: %s", s->what, words);
	return r;
}

/*
 * Requests sent ahead of their answers.  The helper serves them one after
 * another, in order, so sending ahead changes no outcome; it only spares
 * a wake-up of each process per step.  Far below what the socket's
 * buffers hold (PROTO_MSG_MAX bytes a message), so a send never blocks.
 */
#define PIPELINE_MAX 16

/*
 * The steps of @steps that run before slirp4netns starts, or the others,
 * sent ahead (PIPELINE_MAX) and answered in order.  After a failure nothing
 * more is sent, the answers already due are read (and traced), and the
 * first failure is the one said.
 */
static int run_steps(struct run *run, const struct fe_step *steps, int n,
		     bool before_slirp)
{
	const struct fe_step *q[FE_TOPO_STEPS_MAX], *failed = NULL;
	char reason[PROTO_REASON_MAX], why[PROTO_REASON_MAX] = "";
	int m = 0, sent = 0, done = 0, err = 0;

	for (int i = 0; i < n && m < FE_TOPO_STEPS_MAX; i++)
		if (steps[i].before_slirp == before_slirp)
			q[m++] = &steps[i];
	while (done < m) {
		const struct fe_step *s;
		int r;

		for (; !failed && sent < m && sent - done < PIPELINE_MAX; sent++) {
			s = q[sent];
			r = fe_helper_send(&run->helper, s->op,
					   s->plen ? &s->p : NULL, s->plen,
					   reason, sizeof(reason));
			if (r < 0) {
				trace_answer(s->what, s->op, r, reason);
				failed = s;
				err = r;
				snprintf(why, sizeof(why), "%s", reason);
				break;
			}
		}
		if (done == sent)
			break;
		s = q[done++];
		r = helper_answer(run, s->op, reason, sizeof(reason));
		trace_answer(s->what, s->op, r, reason);
		/* The helper died under it: its end says how (death.c). */
		if (r == -EPIPE)
			fe_loop_until(run, &run->ended[PROC_HELPER], 1000);
		if (run->abort) {
			while (done < sent && answer_read_briefly(run, q[done]->op))
				done++;
			return run->abort;
		}
		if (r < 0 && !failed) {
			failed = s;
			err = r;
			snprintf(why, sizeof(why), "%s", reason);
		}
		if (r == -EPIPE)
			break;
	}
	return failed ? step_failed(run, failed, err, why) : 0;
}

/* The -p forwards; each listens on the host once slirp4netns answers. */
static int publish(struct run *run)
{
	struct fe_fwd *have = NULL;
	size_t nhave = 0;
	char why[FE_FWD_ERR_MAX];
	int r = 0;

	/* A joiner asking for a forward the instance has: already there. */
	if (run->joined && run->o.npublish &&
	    fe_api_list(run->api_sock, &have, &nhave, why, sizeof(why)) < 0) {
		fe_error("cannot list the instance's forwards: %s", why);
		return -EIO;
	}
	for (size_t i = 0; i < run->o.npublish && r == 0; i++) {
		struct fe_fwd *f = &run->publish[i];
		char text[FE_FWD_STR_MAX];

		r = fe_fwd_check_reachable(f, run->host_loopback, why,
					   sizeof(why));
		for (size_t j = 0; r == 0 && j < nhave && !f->id; j++)
			if (fe_fwd_match(&have[j], f) &&
			    have[j].guest_port == f->guest_port &&
			    strcmp(have[j].guest_addr, f->guest_addr) == 0)
				f->id = have[j].id;
		if (r == 0 && !f->id) {
			r = fe_api_add(run->api_sock, f, why, sizeof(why));
			/* slirp4netns or the keeper ended under it: say that. */
			if (r < 0 && fe_death_explains(run))
				break;
		}
		if (r < 0)
			fe_error("cannot publish '%s': %s", run->o.publish[i], why);
		fe_fwd_format(f, text, sizeof(text));
		if (r == 0)
			fe_trace("forward %d: %s", f->id, text);
	}
	free(have);
	return r < 0 && run->abort ? run->abort : r;
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

/* Where forwards lead and what it runs with: for `hckns fwd`, joiners. */
static int save_netinfo(struct run *run)
{
	int r = fe_netinfo_save(run->rundir, &run->topo);

	if (r == 0)
		r = fe_netinfo_save_options(run->rundir, &run->o);
	if (r < 0)
		fe_error("cannot write %s/%s: %s", run->rundir,
			 FE_GUEST_ADDR_FILE, strerror(-r));
	return r;
}

static int start_keeper(struct run *run)
{
	int r = fe_keeper_start(&run->keeper, &run->o, run->rundir,
				run->slirp_path, run->lock_fd, run->listen_fd);

	if (r < 0) {
		fe_error("cannot fork the keeper process: %s", strerror(-r));
		return r;
	}
	fe_trace("keeper started, pid %d", (int)run->keeper.pid);
	/* Joiners' socket is the keeper's now. */
	close(run->listen_fd);
	run->listen_fd = -1;
	fe_stage(run, STAGE_PRE_HELPER);
	return 0;
}

/* Joiners waiting for the instance may come in now. */
static int tell_ready(struct run *run)
{
	int r;

	/* A signal that came during the last steps still ends the setup. */
	fe_loop_settle(run, 0);
	if (run->abort)
		return run->abort;
	r = fe_keeper_send(run->keeper.sock, &(struct fe_keeper_msg){
				   .type = FE_KEEPER_READY }, NULL, 0);
	return r < 0 ? fe_keeper_lost(run, r) : 0;
}

int fe_setup(struct run *run)
{
	struct fe_step steps[FE_TOPO_STEPS_MAX];
	int n, r;

	n = fe_topology_steps(&run->topo, steps, sizeof(steps) / sizeof(*steps));
	if (n < 0) {
		fe_error("the topology is too large");
		return n;
	}
	fe_stage(run, STAGE_CLAIM);
	r = fe_claim(run);
	if (r == 1) {
		joined_guest_addr(run);
		r = publish(run);
		if (r == 0)
			fe_stage(run, STAGE_READY);
		return r;
	}
	/* The recipe: each step is a function that says what failed. */
	if (r == 0)
		r = save_netinfo(run);
	if (r == 0)
		r = start_keeper(run);
	if (r == 0)
		r = start_helper(run);
	if (r == 0)
		r = hand_helper_to_keeper(run);
	/* tap_host, which slirp4netns attaches to, and its guard. */
	if (r == 0)
		r = run_steps(run, steps, n, true);
	if (r == 0)
		r = start_slirp(run);
	/* The rest runs while slirp4netns starts. */
	if (r == 0) {
		fe_stage(run, STAGE_CONFIGURE);
		r = run_steps(run, steps, n, false);
	}
	/* The command starts only once slirp4netns serves the tap. */
	if (r == 0)
		r = wait_slirp_ready(run);
	if (r == 0)
		r = publish(run);
	if (r == 0)
		r = tell_ready(run);
	if (r == 0) {
		fe_trace("network ready");
		fe_stage(run, STAGE_READY);
	}
	return r;
}
