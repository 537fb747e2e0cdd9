// SPDX-License-Identifier: MIT
/*
 * `hckns doctor`: check this host for what hckns needs, and for each
 * problem say what is wrong and the exact remedy.  One line per check:
 *
 *   ok   WHAT
 *   FAIL WHAT: WHY; REMEDY
 *   note WHAT (optional things, such as --map-subids, and what root's
 *        instances are; never a failure)
 *
 * then a summary line.  The command exits 0 only when hckns can run.
 *
 * The sysctls are read under a proc root and /dev/net/tun under a dev root
 * given to fe_doctor_run(), so that the unit tests can give their own;
 * the command gives "/proc" and "/dev".
 */
#include "cmd/cmd.h"
#include "common/util.h"
#include "common/runtime.h"
#include "common/diagnose.h"
#include "model/opts.h"
#include "model/topology.h"
#include "model/subids.h"
#include "frontend/helper_client.h"
#include "keeper/keeper.h"
#include "hckns/keeper.h"
#include "hckns/proto.h"

#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long slirp4netns --version (--help) and the namespace probe may take. */
#define DOCTOR_TIMEOUT_MS 5000
/* slirp4netns's output that is read. */
#define DOCTOR_OUTPUT_MAX 8192
/* The AppArmor profile: in the source tree, and where it is installed. */
#define DOCTOR_AA_SOURCE "contrib/apparmor/hckns"
#define DOCTOR_AA_INSTALLED "/etc/apparmor.d/hckns"

struct doctor {
	FILE *out;
	int nok, nfail, nnote;
};

static void __attribute__((format(printf, 3, 4)))
say(struct doctor *d, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(tag, "ok") == 0)
		d->nok++;
	else if (strcmp(tag, "FAIL") == 0)
		d->nfail++;
	else
		d->nnote++;
	fprintf(d->out, "%-4s ", tag);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

int fe_doctor_slirp_version(const char *text, unsigned int v[3])
{
	const char *p = strstr(text, "slirp4netns version ");
	unsigned int a = 0, b = 0, c = 0;
	int n;

	if (!p)
		return -EINVAL;
	p += strlen("slirp4netns version ");
	/* "1.2.0", "0.4.0-beta.2", "1.2.0+dev": the numbers only. */
	/* NOLINTNEXTLINE(cert-err34-c): only compared with a minimum version */
	n = sscanf(p, "%u.%u.%u", &a, &b, &c);
	if (n < 2 || *p < '0' || *p > '9')
		return -EINVAL;
	v[0] = a;
	v[1] = b;
	v[2] = n == 3 ? c : 0;
	return 0;
}

/*
 * Run @argv[0] (an absolute path) with stdin from /dev/null and its stdout
 * and stderr into @out, for at most DOCTOR_TIMEOUT_MS; then it is killed.
 * A plain fork, and a pidfd of the child where the kernel gives one (not
 * under valgrind, which does not know pidfd_open): without it, the wait
 * for its end after EOF is not bounded.
 * Return: its wait status, or -errno (-ETIMEDOUT).
 */
static int run_capture(char *const argv[], char *out, size_t outlen)
{
	static char *const envp[] = { "LC_ALL=C", NULL };
	double deadline = fe_now_ms() + DOCTOR_TIMEOUT_MS;
	int p[2], pidfd, status = 0, r = 0;
	bool eof = false, exited = false;
	size_t n = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(p[1], STDOUT_FILENO) < 0 ||
		    dup2(p[1], STDERR_FILENO) < 0)
			fe_child_die("cannot give %s its descriptors", argv[0]);
		fe_close_from(STDERR_FILENO + 1, NULL, 0);
		fe_reset_signals();
		execve(argv[0], argv, envp);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(FE_EXIT_NOEXEC);
	}
	close(p[1]);
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		return r;
	}
	/* Not reaped yet: its pid cannot be reused before the pidfd is made. */
	pidfd = fe_pidfd_open(pid);
	exited = pidfd < 0;	/* nothing to watch: wait for EOF only */
	/* Its output until EOF, and its end (either may come first). */
	while (!eof || !exited) {
		struct pollfd pf[2] = {
			{ .fd = eof ? -1 : p[0], .events = POLLIN },
			{ .fd = exited ? -1 : pidfd, .events = POLLIN },
		};
		int left = (int)(deadline - fe_now_ms());

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(pf, 2, left) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (pf[0].revents) {
			char buf[512];
			ssize_t k = read(p[0], buf, sizeof(buf));

			if (k > 0) {
				size_t room = outlen - 1 - n;
				size_t take = (size_t)k < room ? (size_t)k : room;

				memcpy(out + n, buf, take);
				n += take;
				out[n] = '\0';
			} else if (k == 0 || errno != EAGAIN) {
				eof = true;
			}
		}
		if (pf[1].revents)
			exited = true;
	}
	if (r < 0)
		kill(pid, SIGKILL);	/* ours and not reaped: still that pid */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	close(p[0]);
	return r < 0 ? r : status;
}

/* ---- user namespaces ---------------------------------------------------- */

/* Is this process confined by the AppArmor profile hckns (label "hckns")? */
static bool aa_profile_hckns(const char *procroot)
{
	static const char *const files[] = { "self/attr/apparmor/current",
					     "self/attr/current" };

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		char path[PATH_MAX], label[256];
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", procroot, files[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, label, sizeof(label) - 1);
		close(fd);
		if (n <= 0)
			continue;
		label[n] = '\0';
		/* "hckns (unconfined)\n": the profile's name, then its mode. */
		return strncmp(label, "hckns", 5) == 0 &&
		       (label[5] == ' ' || label[5] == '\n' || label[5] == '\0');
	}
	return false;
}

static const char *aa_remedy(void)
{
	return "as root, install the AppArmor profile that grants hckns "
	       "'userns' (" DOCTOR_AA_SOURCE " of the source, as "
	       DOCTOR_AA_INSTALLED ": 'make install-apparmor', then "
	       "'apparmor_parser -r " DOCTOR_AA_INSTALLED "'), or run "
	       "'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'";
}

static void check_sysctls(struct doctor *d, const char *procroot,
			  const struct fe_doctor_env *env)
{
	long v = fe_read_sysctl(procroot, "user/max_user_namespaces");

	if (v == 0)
		say(d, "FAIL", "user namespaces: disabled (user.max_user_namespaces "
		    "= 0); as root, run 'sysctl -w user.max_user_namespaces=15000'");
	else if (v < 0)
		say(d, "ok", "user.max_user_namespaces: not present");
	else
		say(d, "ok", "user.max_user_namespaces = %ld", v);

	v = fe_read_sysctl(procroot, "kernel/unprivileged_userns_clone");
	if (v == 0 && env->uid != 0)
		say(d, "FAIL", "unprivileged user namespaces: disabled "
		    "(kernel.unprivileged_userns_clone = 0); as root, run "
		    "'sysctl -w kernel.unprivileged_userns_clone=1'");
	else if (v == 0)
		say(d, "ok", "kernel.unprivileged_userns_clone = 0, which does "
		    "not restrict root");
	else if (v < 0)
		say(d, "ok", "kernel.unprivileged_userns_clone: not present");
	else
		say(d, "ok", "kernel.unprivileged_userns_clone = %ld", v);

	v = fe_read_sysctl(procroot, "kernel/apparmor_restrict_unprivileged_userns");
	if (v == 1 && env->uid == 0)
		say(d, "ok", "kernel.apparmor_restrict_unprivileged_userns = 1, "
		    "which does not restrict root");
	else if (v == 1 && aa_profile_hckns(procroot))
		say(d, "ok", "kernel.apparmor_restrict_unprivileged_userns = 1, "
		    "and hckns runs under its AppArmor profile "
		    DOCTOR_AA_INSTALLED);
	else if (v == 1)
		say(d, "FAIL", "AppArmor restricts unprivileged user namespaces "
		    "(kernel.apparmor_restrict_unprivileged_userns = 1) and no "
		    "AppArmor profile allows hckns; %s", aa_remedy());
	else if (v < 0)
		say(d, "ok", "kernel.apparmor_restrict_unprivileged_userns: not "
		    "present");
	else
		say(d, "ok", "kernel.apparmor_restrict_unprivileged_userns = %ld", v);
}

/* What the probe child reports: the step that failed and its errno. */
struct probe_result {
	int step;	/* 0: all passed; 1: unshare; 2: lo up; 3: make /
			 * private; 4: mount a fresh /proc (not needed) */
	int err;
};

/*
 * PID 1 of the probe's PID namespace mounts its proc on /proc, as the
 * helper does at start-up (hckns-helper.c set_up_namespaces()).
 * Return: 0, or an errno.
 */
static int probe_proc(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
			    MS_NOEXEC, NULL) < 0 ? errno : 0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD;
}

static void __attribute__((noreturn)) probe_child(int fd)
{
	struct probe_result res = { 0, 0 };
	struct ifreq ifr;
	int s, err;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS |
		    CLONE_NEWPID) < 0) {
		res = (struct probe_result){ 1, errno };
		goto out;
	}
	/*
	 * The namespace root's capabilities, used as the helper uses them:
	 * AppArmor's restriction lets the unshare succeed and then denies
	 * them.
	 */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		res = (struct probe_result){ 2, errno };
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		res = (struct probe_result){ 2, errno };
		goto out;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		res = (struct probe_result){ 3, errno };
		goto out;
	}
	err = probe_proc();
	if (err)
		res = (struct probe_result){ 4, err };
out:
	if (write(fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(1);
	_exit(0);
}

static void check_probe(struct doctor *d, const char *procroot)
{
	struct probe_result res = { -1, 0 };
	struct pollfd pf;
	char advice[512];
	int p[2], pidfd = -1, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		say(d, "FAIL", "user namespace probe: cannot start it: %s",
		    strerror(errno));
		return;
	}
	pid = fe_clone(0, &pidfd);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		say(d, "FAIL", "user namespace probe: cannot start it: %s",
		    strerror(-pid));
		return;
	}
	if (pid == 0) {
		close(p[0]);
		probe_child(p[1]);
	}
	close(p[1]);
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	if (poll(&pf, 1, DOCTOR_TIMEOUT_MS) == 1 &&
	    read(p[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
		res.step = -1;
	fe_pidfd_signal(pidfd, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	close(p[0]);

	switch (res.step) {
	case 0:
	case 4:
		say(d, "ok", "a user+net+mount+pid namespace can be created, and "
		    "its root holds CAP_NET_ADMIN and CAP_SYS_ADMIN");
		/* Not needed: without it, ps inside shows the host's. */
		if (res.step == 0)
			say(d, "ok", "a fresh /proc can be mounted in it: ps inside "
			    "an instance shows the instance's processes");
		else
			say(d, "note", "a fresh /proc cannot be mounted in a new "
			    "PID namespace here (%s; the host's /proc has parts "
			    "hidden under other mounts, as in some containers): "
			    "ps inside an instance shows this host's processes, "
			    "and nothing else changes", strerror(res.err));
		break;
	case 1:
		say(d, "FAIL", "cannot create a user+net+mount+pid namespace: %s",
		    fe_userns_advice(procroot, res.err, advice, sizeof(advice)));
		break;
	case 2:
	case 3:
		say(d, "FAIL", "a new user namespace's root cannot %s (%s): it "
		    "lacks %s there, as under AppArmor's restriction of "
		    "unprivileged user namespaces; %s",
		    res.step == 2 ? "bring up its loopback" : "make / private",
		    strerror(res.err),
		    res.step == 2 ? "CAP_NET_ADMIN" : "CAP_SYS_ADMIN",
		    aa_remedy());
		break;
	default:
		say(d, "FAIL", "user namespace probe: no answer (it ended, or "
		    "took over %d s); run 'unshare --user --net --mount true' to "
		    "see why", DOCTOR_TIMEOUT_MS / 1000);
		break;
	}
}

/* ---- /dev/net/tun, slirp4netns, the helper ------------------------------ */

static void check_tun(struct doctor *d, const char *devroot)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/net/tun", devroot);
	if (access(path, R_OK | W_OK) == 0)
		say(d, "ok", "%s is readable and writable", path);
	else if (errno == ENOENT)
		say(d, "FAIL", "%s: does not exist, and slirp4netns needs it; as "
		    "root, run 'modprobe tun'", path);
	else
		say(d, "FAIL", "%s: not accessible (%s), and slirp4netns needs "
		    "it; as root, run 'chmod 0666 %s' (the usual default)", path,
		    strerror(errno), path);
}

static void check_slirp(struct doctor *d, const char *path)
{
	static const char *const needed[] = { "--ready-fd", "--exit-fd",
		"--api-socket", "--disable-host-loopback", "--cidr",
		"--enable-seccomp", "--enable-sandbox" };
	char slirp[FE_TOOL_PATH_MAX], *text, missing[160] = "";
	char why[PATH_MAX + 128];
	char *argv[3];
	unsigned int v[3];
	int r;

	r = fe_find_in_path("slirp4netns", path, slirp, sizeof(slirp));
	if (r == 0 && slirp[0] != '/')
		r = -ENOENT;	/* a relative PATH entry: hckns never runs that */
	if (r < 0) {
		say(d, "FAIL", "slirp4netns: %s in PATH; install it (Debian and "
		    "Ubuntu: 'apt install slirp4netns')",
		    r == -EACCES ? "not executable" : "not found");
		return;
	}
	text = malloc(DOCTOR_OUTPUT_MAX);
	if (!text) {
		say(d, "FAIL", "slirp4netns: %s", strerror(ENOMEM));
		return;
	}
	argv[0] = slirp;
	argv[1] = "--version";
	argv[2] = NULL;
	r = run_capture(argv, text, DOCTOR_OUTPUT_MAX);
	if (r != 0 || fe_doctor_slirp_version(text, v) < 0) {
		char line[160];

		fe_one_line(text, strlen(text), line, sizeof(line));
		if (r < 0)
			snprintf(line, sizeof(line), "failed: %s", strerror(-r));
		say(d, "FAIL", "slirp4netns (%s): '%s --version' %s%s; "
		    "reinstall it ('apt install --reinstall slirp4netns')", slirp,
		    slirp, r < 0 ? "" : "does not say its version: ", line);
		free(text);
		return;
	}
	if (v[0] == 0 && v[1] < 4) {
		say(d, "FAIL", "slirp4netns (%s): version %u.%u.%u is too old, "
		    "hckns needs 0.4.0 or later; install a newer one (Debian 11+ "
		    "and Ubuntu 20.04+: 'apt install slirp4netns')", slirp,
		    v[0], v[1], v[2]);
		free(text);
		return;
	}
	argv[1] = "--help";
	r = run_capture(argv, text, DOCTOR_OUTPUT_MAX);
	for (size_t i = 0; r >= 0 && i < sizeof(needed) / sizeof(*needed); i++)
		if (!strstr(text, needed[i]))
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing), " %s",
				 needed[i]);
	free(text);
	if (r < 0 || missing[0]) {
		say(d, "FAIL", "slirp4netns (%s) %u.%u.%u: %s%s; install a "
		    "slirp4netns that has them ('apt install slirp4netns')",
		    slirp, v[0], v[1], v[2],
		    r < 0 ? "'--help' failed, cannot check its options" :
		    "lacks options hckns uses:", r < 0 ? "" : missing);
		return;
	}
	say(d, "ok", "slirp4netns %u.%u.%u (%s) has the options hckns uses",
	    v[0], v[1], v[2], slirp);
	if (fe_slirp_sandbox_works(why, sizeof(why)))
		say(d, "ok", "slirp4netns will run in its sandbox, under its "
		    "seccomp filter");
	else
		say(d, "note", "slirp4netns will run under its seccomp filter but "
		    "without its sandbox: %s", why);
}

/* The same lookup as the front end (fe_find_helper()). */
static void check_helper(struct doctor *d, const char *exe)
{
	char path[PATH_MAX + 64];

	if (fe_find_helper(exe, path, sizeof(path)) == 0)
		say(d, "ok", "hckns-helper: %s", path);
	else
		say(d, "FAIL", "hckns-helper: not found next to hckns or in %s; "
		    "reinstall hckns ('make install')", HCKNS_LIBEXECDIR);
}

/*
 * The uplink guard (uplink-add in helper/hckns-helper.c), without which
 * hckns does not run, needs the kernel's htb qdisc and u32 classifier.
 * Asked of the real helper as a run asks it, in namespaces of its own
 * that go with it: hello, the front end's check that it is confined
 * (fe_helper_check_confined(), as a run checks it), uplink-add.  A helper
 * that does not start is a note (the checks above say why); one that is
 * not confined, or an uplink-add that fails, is this check's FAIL: hckns
 * would not run either.
 */
static void check_guard(struct doctor *d, const struct fe_doctor_env *env)
{
	struct fe_idmap map = { .outer_uid = env->uid, .outer_gid = env->gid };
	struct fe_helper h = { .pid = -1, .pidfd = -1, .sock = -1 };
	struct timeval tv = { .tv_sec = DOCTOR_TIMEOUT_MS / 1000 };
	char path[PATH_MAX + 64], why[512], reason[PROTO_REASON_MAX];
	static const char prefix[] = "uplink-add " FE_TAP_NAME ": ";
	struct proto_uplink uplink = { .txqlen = 0 };
	const char *what;
	int r;

	if (fe_find_helper(env->exe, path, sizeof(path)) < 0)
		return;		/* check_helper() says so */
	r = fe_helper_spawn(&h, path, &map, /* stderr_fd= */ -1, why,
			    sizeof(why));
	if (r < 0) {
		say(d, "note", "loopback guard: not checked, the helper did not "
		    "start: %s", why);
		return;
	}
	/* A helper that hangs fails the check instead of the doctor. */
	setsockopt(h.sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = fe_helper_call(&h, PROTO_REQ_HELLO, NULL, 0, reason, sizeof(reason));
	if (r < 0) {
		say(d, "note", "loopback guard: not checked, the helper did not "
		    "answer hello: %s", reason[0] ? reason : strerror(-r));
		fe_helper_close(&h, DOCTOR_TIMEOUT_MS);
		return;
	}
	if (fe_helper_check_confined(h.pid, why, sizeof(why)) < 0) {
		say(d, "FAIL", "hckns-helper is not confined as it must be: %s; "
		    "reinstall hckns ('make install') and run it as it is", why);
		fe_helper_close(&h, DOCTOR_TIMEOUT_MS);
		return;
	}
	r = fe_helper_call(&h, PROTO_REQ_UPLINK_ADD, &uplink, sizeof(uplink),
			   reason, sizeof(reason));
	fe_helper_close(&h, DOCTOR_TIMEOUT_MS);
	/* "uplink-add tap_host: u32 filter ...": the op's name said once. */
	what = reason[0] ? reason : strerror(-r);
	if (strncmp(what, prefix, strlen(prefix)) == 0)
		what += strlen(prefix);
	if (r == 0)
		say(d, "ok", "the loopback guard on %s works (htb qdisc, pfifo, "
		    "u32 classifier)", FE_TAP_NAME);
	/* ENOENT: a qdisc or classifier the kernel lacks (setup.c's rule). */
	else if (r == -ENOENT)
		say(d, "FAIL", "loopback guard on %s: %s; hckns does not run "
		    "without it: as root, run 'modprobe -a sch_htb cls_u32', or "
		    "use a kernel built with CONFIG_NET_SCH_HTB and "
		    "CONFIG_NET_CLS_U32", FE_TAP_NAME, what);
	else
		say(d, "FAIL", "loopback guard on %s: %s; hckns does not run "
		    "without it", FE_TAP_NAME, what);
}

/* ---- the runtime directory ------------------------------------------------ */

/*
 * Can hckns make its instances' directories in @base (checked, opened)?
 * A directory made in it is removed; how much room there is is said.
 */
static int base_writable(const struct fe_base *b, char *why, size_t len,
			 unsigned long long *free_kib)
{
	char probe[32];
	struct statvfs vfs;

	snprintf(probe, sizeof(probe), ".doctor.%d", (int)getpid());
	if (mkdirat(b->fd, probe, 0700) < 0) {
		snprintf(why, len, "cannot create a directory in %s: %s", b->path,
			 strerror(errno));
		return -1;
	}
	unlinkat(b->fd, probe, AT_REMOVEDIR);
	*free_kib = fstatvfs(b->fd, &vfs) == 0 ?
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024 : 0;
	return 0;
}

static void check_runtime(struct doctor *d, const struct fe_doctor_env *env)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	const char *sock = strlen(FE_KEEPER_SOCK) > strlen(FE_API_SOCK) ?
			   FE_KEEPER_SOCK : FE_API_SOCK;
	bool xdg = fe_runtime_xdg_usable(env->xdg, env->uid);
	const char *remedy = xdg ?
		"set XDG_RUNTIME_DIR to a directory of yours that you can write, "
		"or 'unset XDG_RUNTIME_DIR' (then TMPDIR is used)" :
		"set TMPDIR to a short directory you can write ('export "
		"TMPDIR=/tmp', or 'mkdir -p -m 0700 ~/.tmp && export "
		"TMPDIR=~/.tmp')";
	char why[2 * PATH_MAX + 256];
	unsigned long long kib = 0;
	struct fe_base b;
	size_t need;
	int r;

	if (xdg)
		say(d, "ok", "XDG_RUNTIME_DIR=%s is a directory of yours",
		    env->xdg);
	else if (env->xdg && env->xdg[0])
		say(d, "note", "XDG_RUNTIME_DIR=%s is not an absolute directory "
		    "of yours with mode 0700: hckns uses /run/user/%u or "
		    "TMPDIR instead", env->xdg, (unsigned int)env->uid);
	else
		say(d, "note", "XDG_RUNTIME_DIR is not set (no login session): "
		    "hckns uses /run/user/%u or TMPDIR instead",
		    (unsigned int)env->uid);

	r = fe_base_open(env->xdg, env->tmpdir, env->uid, /* create= */ true,
			 &b, why, sizeof(why));
	if (r < 0) {
		say(d, "FAIL", "runtime directory: %s", why);
		return;
	}
	r = base_writable(&b, why, sizeof(why), &kib);
	if (r < 0)
		say(d, "FAIL", "runtime directory: %s; %s", why, remedy);
	else if (kib < 1024)
		say(d, "FAIL", "runtime directory %s: its file system has %llu "
		    "KiB free, and an instance needs some; free space there, "
		    "or %s", b.path, kib, remedy);
	else
		say(d, "ok", "runtime directory %s is yours, mode 0700, not "
		    "reachable by others, writable, %llu MiB free", b.path,
		    kib / 1024);

	/* BASE/NAME/keeper.sock for the longest --name. */
	need = strlen(b.path) + 1 + FE_NAME_MAX + 1 + strlen(sock);
	if (need > max)
		say(d, "FAIL", "socket path: %s/<%d-character name>/%s would be "
		    "%zu bytes, and a unix socket path holds at most %zu; %s",
		    b.path, FE_NAME_MAX, sock, need, max, remedy);
	else
		say(d, "ok", "socket paths fit: %s/<%d-character name>/%s is "
		    "%zu bytes, at most %zu", b.path, FE_NAME_MAX, sock, need,
		    max);
	fe_base_close(&b);
}

/* ---- --map-subids (optional) ---------------------------------------------- */

static void check_subids(struct doctor *d, const struct fe_doctor_env *env)
{
	struct fe_idmap map = { .outer_uid = env->uid, .outer_gid = env->gid };
	char why[1024];

	if (fe_idmap_subids(&map, env->path, why, sizeof(why)) < 0) {
		say(d, "note", "--map-subids (optional) cannot work: %s", why);
		return;
	}
	if (env->uid == 0)
		say(d, "note", "--map-subids (optional) can work: subordinate "
		    "uids %u-%u, gids %u-%u (root writes the maps itself)",
		    map.uid_range.start,
		    map.uid_range.start + map.uid_range.count - 1,
		    map.gid_range.start,
		    map.gid_range.start + map.gid_range.count - 1);
	else
		say(d, "note", "--map-subids (optional) can work: subordinate "
		    "uids %u-%u, gids %u-%u, %s and %s", map.uid_range.start,
		    map.uid_range.start + map.uid_range.count - 1,
		    map.gid_range.start,
		    map.gid_range.start + map.gid_range.count - 1,
		    map.newuidmap, map.newgidmap);
}

/* ---- root's instances (root only) ----------------------------------------- */

/*
 * Say what root's command is by default, what --map-root=subids changes,
 * and whether root can use it (SECURITY.md, "Root's instance").
 */
static void check_root_map(struct doctor *d, const struct fe_doctor_env *env,
			   const char *devroot)
{
	static const char what[] = "root's instances map root inside to host "
		"root by default: the command is uid 0 outside with every "
		"capability over the instance's namespaces (it can read "
		"/etc/shadow, write root's files, unmount the overlay on /etc "
		"and see the host's /etc); --map-root=subids makes root inside "
		"root's first subordinate id instead, host uid 0 unmapped "
		"(for untrusted guests)";
	struct fe_idmap map = { .outer_uid = 0, .outer_gid = 0,
				.root_subid = true };
	char why[1024], tun[2 * PATH_MAX + 96] = "", path[PATH_MAX];
	struct fe_subid_range p = { 0, 0 };
	struct stat st;
	uint64_t end;
	int r;

	if (env->uid != 0)
		return;
	/* The helper's uplink-add opens it as that id, an "other" user. */
	snprintf(path, sizeof(path), "%s/net/tun", devroot);
	if (stat(path, &st) == 0 && (st.st_mode & 0006) != 0006)
		snprintf(tun, sizeof(tun), "; it also needs %s mode 0666, which "
			 "is %04o: run 'chmod 0666 %s'", path,
			 (unsigned int)(st.st_mode & 07777), path);
	r = fe_idmap_subids(&map, env->path, why, sizeof(why));
	if (r == 0) {
		say(d, "note", "%s: root has subordinate uids %u-%u and gids "
		    "%u-%u for it%s", what, map.uid_range.start,
		    map.uid_range.start + map.uid_range.count - 1,
		    map.gid_range.start,
		    map.gid_range.start + map.gid_range.count - 1, tun);
		return;
	}
	if (r != -ENOENT) {
		say(d, "note", "%s: it cannot work yet: %s%s", what, why, tun);
		return;
	}
	/* Past every line of both files, so that it overlaps no one's. */
	r = fe_subid_files_end(&end);
	if (r == 0)
		r = fe_subid_propose(end, &p);
	if (r < 0)
		say(d, "note", "%s: root has no subordinate range for it, and "
		    "none is proposed (%s); give root one in %s and %s that "
		    "overlaps no other%s", what, r == -ENOSPC ? "no 65536 ids "
		    "are free past the last range" : strerror(-r),
		    FE_SUBUID_FILE, FE_SUBGID_FILE, tun);
	else
		say(d, "note", "%s: root has no subordinate range for it; run "
		    "'usermod --add-subuids %u-%u --add-subgids %u-%u root' (a "
		    "range no line of %s or %s overlaps)%s", what, p.start,
		    p.start + p.count - 1, p.start, p.start + p.count - 1,
		    FE_SUBUID_FILE, FE_SUBGID_FILE, tun);
}

int fe_doctor_run(const char *procroot, const char *devroot,
		  const struct fe_doctor_env *env, FILE *out)
{
	struct doctor d = { .out = out };

	check_sysctls(&d, procroot, env);
	if (env->probe)
		check_probe(&d, procroot);
	check_tun(&d, devroot);
	check_slirp(&d, env->path);
	check_helper(&d, env->exe);
	if (env->probe)
		check_guard(&d, env);
	check_runtime(&d, env);
	check_subids(&d, env);
	check_root_map(&d, env, devroot);
	if (d.nfail)
		fprintf(out, "hckns doctor: %d problem%s, hckns cannot run here "
			"until %s fixed\n", d.nfail, d.nfail == 1 ? "" : "s",
			d.nfail == 1 ? "it is" : "they are");
	else
		fprintf(out, "hckns doctor: hckns can run here (%d checks "
			"passed, %d note%s)\n", d.nok, d.nnote,
			d.nnote == 1 ? "" : "s");
	fflush(out);
	return d.nfail;
}

int fe_cmd_doctor(int argc, char **argv)
{
	struct fe_doctor_env env = {
		.path = getenv("PATH"),
		.xdg = getenv("XDG_RUNTIME_DIR"),
		.tmpdir = getenv("TMPDIR"),
		.uid = getuid(),
		.gid = getgid(),
		.probe = true,
	};
	char exe[PATH_MAX];
	ssize_t n;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
			 strcmp(argv[1], "--help") == 0)) {
		puts("usage: hckns doctor\n"
		     "Check this host for what hckns needs; for each problem, say "
		     "what is wrong and what to do.\nExit status 0 when hckns can "
		     "run here, 1 when it cannot.");
		return 0;
	}
	if (argc > 1) {
		fe_error("usage: hckns doctor (it takes no arguments)");
		return FE_EXIT_FAILURE;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		env.exe = exe;
	}
	signal(SIGPIPE, SIG_IGN);
	return fe_doctor_run("/proc", "/dev", &env, stdout) ? 1 : 0;
}
