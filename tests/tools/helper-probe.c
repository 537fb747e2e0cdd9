// SPDX-License-Identifier: MIT
/*
 * helper-probe - talk to a real hckns-helper, byte by byte.
 *
 * Usage: helper-probe HELPER SCENARIO
 *
 * Starts HELPER the way hckns does (fe_helper_spawn(): new user, network,
 * mount and PID namespaces, single-id maps, the socket on descriptor 3, the
 * helper's stderr on ours), then plays SCENARIO: well-formed requests built
 * with proto_encode(), or raw bytes and descriptors that no front end would
 * send.  It prints one line per message sent and per answer received, and at
 * the end whether and how the helper exited.  tests/integration/t-helper.sh
 * compares that output with what doc/design.md's rules demand.
 *
 * Output lines:
 *   "> WHAT"                             a message sent
 *   "< ANSWER-OP seq=N err=ERRNO[ notes=0xN][ reason=TEXT]"   an answer
 *   "< EOF"                              the helper closed the socket
 *   "< nothing within 5 s"               no answer (the helper hangs)
 *   "helper: exited with status N" / "killed by signal N" / "still running"
 *
 * Exit status: 0 when the scenario ran to its end (whatever the helper did),
 * 1 when the probe itself failed, 2 on a usage error.
 */
#include "common/util.h"
#include "frontend/helper_client.h"
#include "hckns/proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds of every wait, so that a hanging helper fails the test, not CI. */
#define ANSWER_TIMEOUT_MS 5000
#define EXIT_TIMEOUT_MS 5000

static struct fe_helper h = { .pid = -1, .pidfd = -1, .sock = -1 };
static uint32_t seq;
static bool helper_gone;

static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "helper-probe: %s: %s\n", what, strerror(err));
	if (h.pidfd >= 0)
		fe_pidfd_signal(h.pidfd, SIGKILL);
	exit(1);
}

static const char *errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "unknown-errno";
}

/* ---- sending ------------------------------------------------------------ */

/* Send @len bytes as one datagram, with @fd_to_pass (>= 0) in SCM_RIGHTS. */
static void send_raw(const void *buf, size_t len, int fd_to_pass)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd_to_pass >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
	}
	if (sendmsg(h.sock, &mh, MSG_NOSIGNAL) != (ssize_t)len) {
		/* The helper may be gone already; say so, it is a result. */
		printf("  (send failed: %s)\n", errname(errno));
	}
}

/* A well-formed message: the header says @op and @plen, seq is the next. */
static size_t build(uint16_t op, const void *payload, size_t plen,
		    unsigned char *buf)
{
	struct proto_hdr hdr = {
		/* cppcheck-suppress unknownEvaluationOrder ; .seq: the member */
		.version = PROTO_VERSION, .op = op, .seq = ++seq,
		.len = (uint32_t)plen,
	};

	memcpy(buf, &hdr, sizeof(hdr));
	if (plen)
		memcpy(buf + sizeof(hdr), payload, plen);
	return sizeof(hdr) + plen;
}

/* ---- receiving ---------------------------------------------------------- */

/* Print the next answer, or EOF, or that nothing came. */
static void expect_answer(void)
{
	unsigned char buf[PROTO_MSG_MAX + 64];
	struct pollfd p = { .fd = h.sock, .events = POLLIN };
	struct proto_msg m;
	ssize_t n;
	int r;

	r = poll(&p, 1, ANSWER_TIMEOUT_MS);
	if (r < 0)
		die("poll", errno);
	if (r == 0) {
		printf("< nothing within %d s\n", ANSWER_TIMEOUT_MS / 1000);
		return;
	}
	n = recv(h.sock, buf, sizeof(buf), MSG_TRUNC);
	if (n < 0 && errno == ECONNRESET)
		n = 0;
	if (n < 0)
		die("recv", errno);
	if (n == 0) {
		printf("< EOF\n");
		return;
	}
	if ((size_t)n > sizeof(buf) || proto_decode(buf, (size_t)n, &m, NULL, 0) < 0) {
		printf("< undecodable answer of %zd bytes\n", n);
		return;
	}
	if (!(m.hdr.op & PROTO_ANS)) {
		printf("< not an answer: %s\n", proto_op_name(m.hdr.op));
		return;
	}
	printf("< %s seq=%u err=%s", proto_op_name(m.hdr.op), m.hdr.seq,
	       errname(m.u.answer.err));
	if (m.u.answer.notes)
		printf(" notes=%#x", m.u.answer.notes);
	if (m.u.answer.reason[0])
		printf(" reason=%s", m.u.answer.reason);
	printf("\n");
}

/* One well-formed request and its answer. */
static void req(const char *what, uint16_t op, const void *payload,
		size_t plen)
{
	unsigned char buf[PROTO_MSG_MAX];
	size_t len = build(op, payload, plen, buf);

	printf("> %s\n", what);
	send_raw(buf, len, -1);
	expect_answer();
}

/* Raw bytes and their answer. */
static void raw(const char *what, const void *buf, size_t len, int fd)
{
	printf("> %s\n", what);
	send_raw(buf, len, fd);
	expect_answer();
}

/*
 * After a protocol violation: the helper must close the socket and exit.
 * Print the EOF (or whatever came instead) and its exit status.
 */
static void expect_exit(void)
{
	struct pollfd p = { .fd = h.pidfd, .events = POLLIN };
	siginfo_t si = { 0 };

	expect_answer();
	if (poll(&p, 1, EXIT_TIMEOUT_MS) == 0) {
		printf("helper: still running after %d s\n", EXIT_TIMEOUT_MS / 1000);
		return;
	}
	if (waitid(P_PIDFD, (id_t)h.pidfd, &si, WEXITED) < 0)
		die("waitid", errno);
	helper_gone = true;
	if (si.si_code == CLD_EXITED)
		printf("helper: exited with status %d\n", si.si_status);
	else
		printf("helper: killed by signal %d\n", si.si_status);
}

/* The end of a scenario that leaves the helper serving: EOF must end it. */
static void close_and_expect_exit(void)
{
	struct pollfd p = { .fd = h.pidfd, .events = POLLIN };
	siginfo_t si = { 0 };

	if (helper_gone)
		return;
	printf("> close the socket\n");
	close(h.sock);
	h.sock = -1;
	if (poll(&p, 1, EXIT_TIMEOUT_MS) == 0) {
		printf("helper: still running after %d s\n", EXIT_TIMEOUT_MS / 1000);
		return;
	}
	if (waitid(P_PIDFD, (id_t)h.pidfd, &si, WEXITED) < 0)
		die("waitid", errno);
	helper_gone = true;
	if (si.si_code == CLD_EXITED)
		printf("helper: exited with status %d\n", si.si_status);
	else
		printf("helper: killed by signal %d\n", si.si_status);
}

/* ---- payloads ----------------------------------------------------------- */

static struct proto_link link_of(const char *name)
{
	struct proto_link l;

	memset(&l, 0, sizeof(l));
	/* Raw copy: names the codec would refuse are the point here. */
	memcpy(l.ifname, name, strnlen(name, PROTO_IFNAMSIZ));
	return l;
}

static void op_link(const char *what, uint16_t op, const char *name)
{
	struct proto_link l = link_of(name);

	req(what, op, &l, sizeof(l));
}

static void op_enslave(const char *what, const char *port, const char *master)
{
	struct proto_enslave e;

	memset(&e, 0, sizeof(e));
	memcpy(e.ifname, port, strnlen(port, PROTO_IFNAMSIZ));
	memcpy(e.master, master, strnlen(master, PROTO_IFNAMSIZ));
	req(what, PROTO_REQ_LINK_ENSLAVE, &e, sizeof(e));
}

static void op_link_set(const char *what, const char *name, uint32_t mtu,
			uint8_t up)
{
	struct proto_link_set l;

	memset(&l, 0, sizeof(l));
	memcpy(l.ifname, name, strnlen(name, PROTO_IFNAMSIZ));
	l.mtu = mtu;
	l.up = up;
	req(what, PROTO_REQ_LINK_SET, &l, sizeof(l));
}

static void op_uplink(const char *what, uint32_t txqlen)
{
	struct proto_uplink u = { .txqlen = txqlen };

	req(what, PROTO_REQ_UPLINK_ADD, &u, sizeof(u));
}

static void op_addr4(const char *what, const char *name, uint8_t family,
		     const uint8_t a[4], uint8_t prefixlen, uint8_t pad0)
{
	struct proto_addr p;

	memset(&p, 0, sizeof(p));
	memcpy(p.ifname, name, strnlen(name, PROTO_IFNAMSIZ));
	p.family = family;
	p.prefixlen = prefixlen;
	p.pad[0] = pad0;
	memcpy(p.addr, a, 4);
	req(what, PROTO_REQ_ADDR_ADD, &p, sizeof(p));
}

static void op_addr6(const char *what, const char *name, const uint8_t a[16],
		     uint8_t prefixlen)
{
	struct proto_addr p;

	memset(&p, 0, sizeof(p));
	memcpy(p.ifname, name, strnlen(name, PROTO_IFNAMSIZ));
	p.family = AF_INET6;
	p.prefixlen = prefixlen;
	memcpy(p.addr, a, 16);
	req(what, PROTO_REQ_ADDR_ADD, &p, sizeof(p));
}

static void op_route4(const char *what, const char *name, const uint8_t dst[4],
		      uint8_t dst_len, const uint8_t gw[4])
{
	struct proto_route p;

	memset(&p, 0, sizeof(p));
	memcpy(p.ifname, name, strnlen(name, PROTO_IFNAMSIZ));
	p.family = AF_INET;
	p.dst_len = dst_len;
	memcpy(p.dst, dst, 4);
	memcpy(p.gateway, gw, 4);
	req(what, PROTO_REQ_ROUTE_ADD, &p, sizeof(p));
}

static void op_resolv4(const char *what, const uint8_t a[4], uint8_t pad0)
{
	struct proto_resolv p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.pad[0] = pad0;
	memcpy(p.addr, a, 4);
	req(what, PROTO_REQ_RESOLV_SET, &p, sizeof(p));
}

static void hello(void)
{
	req("hello", PROTO_REQ_HELLO, NULL, 0);
}

/* Proof that the helper still serves after a refused request. */
static void still_serving(void)
{
	op_link_set("link-set lo up (still serving?)", "lo", 0, 1);
}

/*
 * Run `ip ARGS...` inside the helper's user and network namespaces, as a
 * person would with nsenter: the probe cannot create links itself, and the
 * helper creates nothing but bridges.
 */
static void ip_in_helper_netns(char *const argv[])
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		if (setns(h.pidfd, CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			fprintf(stderr, "helper-probe: setns: %s\n", strerror(errno));
			_exit(1);
		}
		execvp("ip", argv);
		fprintf(stderr, "helper-probe: ip: %s\n", strerror(errno));
		_exit(1);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("ip in the helper's namespaces", EIO);
}

/*
 * Print "(NAME txqlen N)" as the kernel has it (SIOCGIFTXQLEN), read in the
 * helper's network namespace: proof that uplink-add's queue length took.
 */
static void show_txqlen(const char *name)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		struct ifreq ifr;
		int fd;

		if (setns(h.pidfd, CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			fprintf(stderr, "helper-probe: setns: %s\n", strerror(errno));
			_exit(1);
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || ioctl(fd, SIOCGIFTXQLEN, &ifr) < 0) {
			fprintf(stderr, "helper-probe: SIOCGIFTXQLEN %s: %s\n",
				name, strerror(errno));
			_exit(1);
		}
		printf("(%s txqlen %d)\n", name, ifr.ifr_qlen);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("SIOCGIFTXQLEN in the helper's namespaces", EIO);
}

/*
 * Attach to the tap NAME as slirp4netns does (open_tap() in its main.c:
 * /dev/net/tun, TUNSETIFF with IFF_TAP | IFF_NO_PI), in the helper's
 * namespaces, and print "(NAME: attached, tap, persistent)" from the
 * device's flags (TUNGETIFF).  Proof that uplink-add made a tap that outlived
 * the helper's descriptor and that slirp4netns can take over.  Had the
 * tap not existed, TUNSETIFF would have made one, not persistent.
 */
static void show_tap(const char *name)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		struct ifreq ifr;
		int fd;

		if (setns(h.pidfd, CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			fprintf(stderr, "helper-probe: setns: %s\n", strerror(errno));
			_exit(1);
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 ||
		    ioctl(fd, TUNGETIFF, &ifr) < 0) {
			fprintf(stderr, "helper-probe: attach to %s: %s\n",
				name, strerror(errno));
			_exit(1);
		}
		printf("(%s: attached, %s, %s)\n", name,
		       (ifr.ifr_flags & IFF_TAP) ? "tap" : "not a tap",
		       (ifr.ifr_flags & IFF_PERSIST) ? "persistent" :
		       "not persistent");
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("attach to a tap in the helper's namespaces", EIO);
}

/*
 * What /proc is in the helper's mount namespace, through the helper's root
 * (the caller owns its user namespace): whose PID 1 it shows.
 */
static void show_proc(void)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/root/proc/1/comm", (int)h.pid);
	f = fopen(path, "re");
	if (!f)
		die("open /proc/1/comm in the helper's mount namespace", errno);
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	printf("(/proc in the helper's mount namespace: its pid 1 is %s)\n",
	       comm);
}

/*
 * The links /sys/class/net lists in the helper's mount namespace: its own
 * network namespace's when its start-up mounted a sysfs there.
 */
static void show_sys(void)
{
	char path[64];
	struct dirent **ents;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/root/sys/class/net", (int)h.pid);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		die("list /sys/class/net in the helper's mount namespace", errno);
	printf("(/sys/class/net in the helper's mount namespace:");
	for (int i = 0; i < n; i++)
		if (ents[i]->d_name[0] != '.')
			printf(" %s", ents[i]->d_name);
	printf(")\n");
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/*
 * Whether "/" propagates in the helper's mount namespace: its line in
 * /proc/PID/mountinfo has optional fields (shared:N, master:N) before
 * " - " unless it is private.
 */
static void show_root(void)
{
	char path[64], line[4096];
	const char *how = "not found";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)h.pid);
	f = fopen(path, "re");
	if (!f)
		die("open the helper's mountinfo", errno);
	while (fgets(line, sizeof(line), f)) {
		char point[4096];
		const char *dash = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    strcmp(point, "/") != 0 || !dash)
			continue;
		how = strstr(line, " shared:") && strstr(line, " shared:") < dash ?
		      "shared" : strstr(line, " master:") &&
		      strstr(line, " master:") < dash ? "a slave" : "private";
	}
	fclose(f);
	printf("(/ in the helper's mount namespace: %s)\n", how);
}

/* ---- scenarios ---------------------------------------------------------- */

static const uint8_t a_10_9_8_7[4] = { 10, 9, 8, 7 };
static const uint8_t a_10_9_8_1[4] = { 10, 9, 8, 1 };
static const uint8_t a_10_2_2_2[4] = { 10, 2, 2, 2 };
static const uint8_t a_10_0_2_3[4] = { 10, 0, 2, 3 };
static const uint8_t a_172_31_0_1[4] = { 172, 31, 0, 1 };
static const uint8_t a_zero[4] = { 0, 0, 0, 0 };
static const uint8_t a_mcast[4] = { 224, 0, 0, 1 };
static const uint8_t a_fd00_1[16] = { 0xfd, [15] = 1 };

/* Every operation, well formed and acceptable: all answered 0. */
static void scenario_valid(void)
{
	static char *veth[] = { "ip", "link", "add", "p0", "type", "veth",
				"peer", "name", "p1", NULL };

	hello();
	/* What its start-up did, before the answer to hello. */
	show_root();
	show_proc();
	show_sys();
	op_resolv4("resolv-set 10.0.2.3", a_10_0_2_3, 0);
	op_link_set("link-set lo up", "lo", 0, 1);
	op_link("bridge-add br0", PROTO_REQ_BRIDGE_ADD, "br0");
	op_link_set("link-set br0 mtu 9000", "br0", 9000, 0);
	op_addr4("addr-add br0 10.9.8.7/24", "br0", AF_INET, a_10_9_8_7, 24, 0);
	op_addr6("addr-add br0 fd00::1/64", "br0", a_fd00_1, 64);
	op_link_set("link-set br0 up", "br0", 0, 1);
	op_route4("route-add default via 10.9.8.1 dev br0", "br0", a_zero, 0,
		  a_10_9_8_1);
	printf("(ip link add p0 type veth peer name p1, in the helper's netns)\n");
	ip_in_helper_netns(veth);
	op_enslave("link-enslave p0 to br0", "p0", "br0");
	op_link_set("link-set p0 mtu 68", "p0", 68, 0);
	op_link_set("link-set p0 mtu 65535 up", "p0", 65535, 1);
	/* The one tap a run makes, by its fixed name, with its guard. */
	op_uplink("uplink-add txqlen 11000", 11000);
	show_tap("tap_host");
	show_txqlen("tap_host");
	op_enslave("link-enslave tap_host to br0", "tap_host", "br0");
	op_link_set("link-set tap_host up", "tap_host", 0, 1);
	show_sys();
	close_and_expect_exit();
}

/* Well-formed requests whose arguments fail validation: EINVAL, serving on. */
static void scenario_invalid(void)
{
	static const char long_name[PROTO_IFNAMSIZ] = "0123456789abcdef";
	struct proto_link_set ls;
	struct proto_link l;
	struct proto_route rt;

	hello();
	op_link("bridge-add \"\"", PROTO_REQ_BRIDGE_ADD, "");
	op_link("bridge-add \"a/b\"", PROTO_REQ_BRIDGE_ADD, "a/b");
	op_link("bridge-add \"a b\"", PROTO_REQ_BRIDGE_ADD, "a b");
	op_link("bridge-add \"..\"", PROTO_REQ_BRIDGE_ADD, "..");
	op_link_set("link-set \"eth0:1\" up", "eth0:1", 0, 1);
	memset(&ls, 0, sizeof(ls));
	memcpy(ls.ifname, long_name, sizeof(ls.ifname));
	ls.up = 1;
	req("link-set up with 16 name bytes and no NUL", PROTO_REQ_LINK_SET,
	    &ls, sizeof(ls));
	memset(&ls, 0, sizeof(ls));
	memcpy(ls.ifname, "lo", 2);
	ls.ifname[5] = 'x';
	ls.up = 1;
	req("link-set \"lo\" up with a byte hidden after its NUL",
	    PROTO_REQ_LINK_SET, &ls, sizeof(ls));
	memset(&l, 0, sizeof(l));
	memcpy(l.ifname, long_name, sizeof(l.ifname));
	req("bridge-add with 16 name bytes and no NUL", PROTO_REQ_BRIDGE_ADD,
	    &l, sizeof(l));
	op_enslave("link-enslave br0 to br0", "br0", "br0");
	op_link_set("link-set lo mtu 67", "lo", 67, 0);
	op_link_set("link-set lo mtu 65536 up", "lo", 65536, 1);
	op_link_set("link-set lo up 2", "lo", 0, 2);
	op_link_set("link-set lo (no MTU, not up)", "lo", 0, 0);
	memset(&ls, 0, sizeof(ls));
	memcpy(ls.ifname, "lo", 2);
	ls.up = 1;
	ls.pad[2] = 1;
	req("link-set lo up, padding 1", PROTO_REQ_LINK_SET, &ls, sizeof(ls));
	op_uplink("uplink-add txqlen 1000001", 1000001);
	op_addr4("addr-add lo 10.9.8.7/33", "lo", AF_INET, a_10_9_8_7, 33, 0);
	op_addr4("addr-add lo family 99", "lo", 99, a_10_9_8_7, 24, 0);
	op_addr4("addr-add lo 0.0.0.0/24", "lo", AF_INET, a_zero, 24, 0);
	op_addr4("addr-add lo 224.0.0.1/24", "lo", AF_INET, a_mcast, 24, 0);
	op_addr4("addr-add lo 10.9.8.7/24, padding 1", "lo", AF_INET,
		 a_10_9_8_7, 24, 1);
	op_route4("route-add 10.9.8.7/24 (host bits) via 10.9.8.1 dev lo", "lo",
		  a_10_9_8_7, 24, a_10_9_8_1);
	op_route4("route-add default via 0.0.0.0 dev lo", "lo", a_zero, 0,
		  a_zero);
	memset(&rt, 0, sizeof(rt));
	memcpy(rt.ifname, "lo", 2);
	rt.family = AF_INET;
	memcpy(rt.gateway, a_10_9_8_1, 4);
	rt.gateway[4] = 1;
	req("route-add default via 10.9.8.1 with bytes past the IPv4 address",
	    PROTO_REQ_ROUTE_ADD, &rt, sizeof(rt));
	op_resolv4("resolv-set 224.0.0.1", a_mcast, 0);
	op_resolv4("resolv-set 10.0.2.3, padding 1", a_10_0_2_3, 1);
	still_serving();
	close_and_expect_exit();
}

/*
 * Well-formed, valid requests that the kernel or the table's ordering rules
 * refuse: an errno and a reason, serving on.
 */
static void scenario_refused(void)
{
	hello();
	op_link("bridge-add br0", PROTO_REQ_BRIDGE_ADD, "br0");
	op_link("bridge-add br0 again", PROTO_REQ_BRIDGE_ADD, "br0");
	op_link("bridge-add br1", PROTO_REQ_BRIDGE_ADD, "br1");
	op_link_set("link-set nosuch0 up", "nosuch0", 0, 1);
	op_link_set("link-set nosuch0 mtu 1500", "nosuch0", 1500, 0);
	op_enslave("link-enslave br1 to lo (not a bridge)", "br1", "lo");
	op_enslave("link-enslave br1 to nosuch0", "br1", "nosuch0");
	op_enslave("link-enslave br1 to br0 (a bridge into a bridge)", "br1",
		   "br0");
	op_enslave("link-enslave lo to br0", "lo", "br0");
	op_addr4("addr-add br0 10.9.8.7/24", "br0", AF_INET, a_10_9_8_7, 24, 0);
	op_addr4("addr-add br0 10.9.8.7/24 again", "br0", AF_INET, a_10_9_8_7,
		 24, 0);
	op_route4("route-add default via 172.31.0.1 dev br0 (unreachable)", "br0",
		  a_zero, 0, a_172_31_0_1);
	op_route4("route-add default via 10.2.2.2 dev nosuch0", "nosuch0",
		  a_zero, 0, a_10_2_2_2);
	op_resolv4("resolv-set 10.0.2.3", a_10_0_2_3, 0);
	op_resolv4("resolv-set again", a_10_0_2_3, 0);
	/*
	 * A link named tap_host exists already: the tap is refused, and the
	 * one attempt is used up all the same.
	 */
	op_link("bridge-add tap_host", PROTO_REQ_BRIDGE_ADD, "tap_host");
	op_uplink("uplink-add (a bridge tap_host exists)", 0);
	op_uplink("uplink-add again", 0);
	still_serving();
	close_and_expect_exit();
}

/* ---- protocol violations: an answer with an errno, then exit 1 ---------- */

static void scenario_garbage(void)
{
	static const char text[] = "GET / HTTP/1.0\r\n\r\n";

	raw("\"GET / HTTP/1.0\" (18 bytes of text)", text, sizeof(text) - 1, -1);
	expect_exit();
}

static void scenario_short(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	size_t len = build(PROTO_REQ_HELLO, NULL, 0, buf);

	raw("the first 7 bytes of a hello", buf, len - 9, -1);
	expect_exit();
}

static void scenario_empty(void)
{
	hello();
	raw("an empty datagram", "", 0, -1);
	expect_exit();
}

static void scenario_trailing(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_link_set l = { .ifname = "lo", .up = 1 };
	size_t len;

	hello();
	len = build(PROTO_REQ_LINK_SET, &l, sizeof(l), buf);
	buf[len++] = 0;
	raw("link-set lo up plus one trailing byte", buf, len, -1);
	expect_exit();
}

static void scenario_truncated(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_link_set l = { .ifname = "lo", .up = 1 };
	size_t len;

	hello();
	len = build(PROTO_REQ_LINK_SET, &l, sizeof(l), buf);
	raw("link-set lo up without its last payload byte", buf, len - 1, -1);
	expect_exit();
}

static void scenario_length_field(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_hdr hdr;
	size_t len;
	struct proto_uplink u = { .txqlen = 0 };

	hello();
	len = build(PROTO_REQ_UPLINK_ADD, &u, sizeof(u), buf);
	memcpy(&hdr, buf, sizeof(hdr));
	hdr.len = sizeof(u) + 4;
	memcpy(buf, &hdr, sizeof(hdr));
	memset(buf + len, 0, 4);
	raw("uplink-add whose header claims 8 payload bytes (and has them)",
	    buf, len + 4, -1);
	expect_exit();
}

static void scenario_oversized(void)
{
	unsigned char buf[PROTO_MSG_MAX + 1];

	hello();
	memset(buf, 0, sizeof(buf));
	build(PROTO_REQ_LINK_SET, NULL, 0, buf);
	raw("257 bytes (one more than PROTO_MSG_MAX)", buf, sizeof(buf), -1);
	expect_exit();
}

static void scenario_huge(void)
{
	static unsigned char buf[65536];

	hello();
	memset(buf, 'A', sizeof(buf));
	build(PROTO_REQ_LINK_SET, NULL, 0, buf);
	raw("65536 bytes", buf, sizeof(buf), -1);
	expect_exit();
}

static void scenario_version(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_hdr hdr;
	size_t len = build(PROTO_REQ_HELLO, NULL, 0, buf);

	memcpy(&hdr, buf, sizeof(hdr));
	hdr.version = PROTO_VERSION + 1;
	memcpy(buf, &hdr, sizeof(hdr));
	raw("hello of the next protocol version", buf, len, -1);
	expect_exit();
}

static void scenario_version_later(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_link_set l = { .ifname = "lo", .up = 1 };
	struct proto_hdr hdr;
	size_t len;

	hello();
	len = build(PROTO_REQ_LINK_SET, &l, sizeof(l), buf);
	memcpy(&hdr, buf, sizeof(hdr));
	hdr.version = 0;
	memcpy(buf, &hdr, sizeof(hdr));
	raw("link-set lo up of protocol version 0", buf, len, -1);
	expect_exit();
}

static void scenario_unknown_op(void)
{
	unsigned char buf[PROTO_MSG_MAX];

	hello();
	raw("operation 99", buf, build(99, NULL, 0, buf), -1);
	expect_exit();
}

static void scenario_op_zero(void)
{
	unsigned char buf[PROTO_MSG_MAX];

	hello();
	raw("operation 0", buf, build(0, NULL, 0, buf), -1);
	expect_exit();
}

static void scenario_answer_op(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_answer a;

	hello();
	memset(&a, 0, sizeof(a));
	raw("an answer (answer:link-set, err 0) sent to the helper", buf,
	    build(PROTO_ANS | PROTO_REQ_LINK_SET, &a, sizeof(a), buf), -1);
	expect_exit();
}

static void scenario_before_hello(void)
{
	op_link_set("link-set lo up, before any hello", "lo", 0, 1);
	expect_exit();
}

static void scenario_hello_twice(void)
{
	hello();
	hello();
	expect_exit();
}

/*
 * Send @len bytes with one end of a fresh socket pair in SCM_RIGHTS, drop
 * our own copy of it, print the answer, then whether that end is gone from
 * everywhere: its peer, which we keep, sees the hang-up once the last
 * reference is released.  The helper answers only after the recvmsg() that
 * took the message has returned, and the kernel releases descriptors it
 * discards there (or the helper closes any it took) before that, so "left
 * in the helper" would show as no hang-up.
 */
static void raw_with_descriptor(const char *what, const void *buf, size_t len)
{
	struct pollfd p = { .events = POLLRDHUP };
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		die("socketpair", errno);
	printf("> %s\n", what);
	send_raw(buf, len, sp[1]);
	close(sp[1]);
	expect_answer();
	p.fd = sp[0];
	if (poll(&p, 1, /* timeout= */ 0) < 0)
		die("poll", errno);
	printf("(the descriptor sent: %s)\n", (p.revents & (POLLHUP | POLLRDHUP)) ?
	       "closed, none left in the helper" : "still open somewhere");
	close(sp[0]);
	expect_exit();
}

static void scenario_fd(void)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_link_set l = { .ifname = "lo", .up = 1 };

	hello();
	raw_with_descriptor("link-set lo up with a descriptor (SCM_RIGHTS)", buf,
			    build(PROTO_REQ_LINK_SET, &l, sizeof(l), buf));
}

static void scenario_fd_hello(void)
{
	unsigned char buf[PROTO_MSG_MAX];

	raw_with_descriptor("hello with a descriptor (SCM_RIGHTS)", buf,
			    build(PROTO_REQ_HELLO, NULL, 0, buf));
}

static void scenario_fd_alone(void)
{
	hello();
	raw_with_descriptor("a descriptor (SCM_RIGHTS) in an empty datagram",
			    "", 0);
}

static void scenario_eof(void)
{
	hello();
	close_and_expect_exit();
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "valid", scenario_valid },
	{ "invalid", scenario_invalid },
	{ "refused", scenario_refused },
	{ "eof", scenario_eof },
	{ "garbage", scenario_garbage },
	{ "short", scenario_short },
	{ "empty", scenario_empty },
	{ "trailing", scenario_trailing },
	{ "truncated", scenario_truncated },
	{ "length-field", scenario_length_field },
	{ "oversized", scenario_oversized },
	{ "huge", scenario_huge },
	{ "version", scenario_version },
	{ "version-later", scenario_version_later },
	{ "unknown-op", scenario_unknown_op },
	{ "op-zero", scenario_op_zero },
	{ "answer-op", scenario_answer_op },
	{ "before-hello", scenario_before_hello },
	{ "hello-twice", scenario_hello_twice },
	{ "fd", scenario_fd },
	{ "fd-hello", scenario_fd_hello },
	{ "fd-alone", scenario_fd_alone },
};

/*
 * "initial-ns": the helper started by hand in our own namespaces, with a
 * proper socket on descriptor 3, must refuse to run (exit 1, one line).
 */
static int run_in_initial_ns(const char *helper)
{
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		execl(helper, "hckns-helper", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	close(sv[0]);
	printf("helper: %s %d\n", WIFEXITED(status) ? "exited with status"
		: "killed by signal", WIFEXITED(status) ? WEXITSTATUS(status)
		: WTERMSIG(status));
	return 0;
}

int main(int argc, char **argv)
{
	struct fe_idmap map = { .outer_uid = getuid(), .outer_gid = getgid() };
	char why[512];
	size_t i;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: helper-probe HELPER SCENARIO\nscenarios: initial-ns");
		for (i = 0; i < sizeof(scenarios) / sizeof(*scenarios); i++)
			fprintf(stderr, " %s", scenarios[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	if (strcmp(argv[2], "initial-ns") == 0)
		return run_in_initial_ns(argv[1]);
	for (i = 0; i < sizeof(scenarios) / sizeof(*scenarios); i++)
		if (strcmp(argv[2], scenarios[i].name) == 0)
			break;
	if (i == sizeof(scenarios) / sizeof(*scenarios)) {
		fprintf(stderr, "helper-probe: unknown scenario %s\n", argv[2]);
		return 2;
	}
	/* One line at a time, in order with the helper's stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	r = fe_helper_spawn(&h, argv[1], &map, STDERR_FILENO, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "helper-probe: %s\n", why);
		return 1;
	}
	scenarios[i].run();
	if (!helper_gone) {
		/* Not expected to end here; end it anyway, bounded. */
		fe_helper_close(&h, EXIT_TIMEOUT_MS);
	}
	return 0;
}
