// SPDX-License-Identifier: MIT
/*
 * Watching the uplink's ports.  With --mtu above 1500, a port that joins
 * the uplink at a smaller MTU (a guest's tap made by QEMU's ifup at 1500)
 * makes large transfers to and from that guest stall: the bridge drops the
 * larger frames.  The creator watches the instance's links (RTNLGRP_LINK,
 * through libnl) and says so once per port: a -v trace line and a
 * "warning" status line.
 *
 * The netlink socket must belong to the instance's network namespace: a
 * short-lived child enters it (user namespace first, as the command's
 * child does), makes and binds the socket, and hands it back with the
 * uplink's ifindex.
 *
 * libnl is loaded (dlopen) only then: linked, its pages cost every run
 * about 450 KiB of PSS (BENCHMARKS.md), for a watch most runs never make.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "model/opts.h"
#include "hckns/keeper.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Ports warned about: each once. */
#define WARNED_MAX 64

/* libnl-route-3, and libnl-3 with it, as Debian and Ubuntu ship them. */
#define LIBNL_ROUTE "libnl-route-3.so.200"

/* The libnl functions used here, found in it by name. */
#define NL_FUNCS(X)                                                          \
	X(nl_socket_alloc) X(nl_socket_set_fd) X(nl_socket_disable_seq_check) \
	X(nl_socket_modify_cb) X(nl_recvmsgs_default) X(nl_msg_parse)         \
	X(nlmsg_hdr) X(rtnl_link_get_name) X(rtnl_link_get_mtu)               \
	X(rtnl_link_get_master)

/* NOLINTNEXTLINE(bugprone-macro-parentheses): @f is a declarator's name */
#define NL_PTR(f) __typeof__(f) *f;
static struct {
	NL_FUNCS(NL_PTR)
} nl;
#undef NL_PTR

/* Loaded once, for the rest of the run: its functions serve the loop. */
static void *libnl;

/* Load libnl and find its functions.  Return: 0, or -1 with @why set. */
static int nl_load(char *why, size_t len)
{
	libnl = dlopen(LIBNL_ROUTE, RTLD_NOW | RTLD_LOCAL);
	if (!libnl) {
		snprintf(why, len, "%s", dlerror());
		return -1;
	}
#define NL_SYM(f)                                                             \
	*(void **)&nl.f = dlsym(libnl, #f);                                   \
	if (!nl.f) {                                                          \
		snprintf(why, len, "%s has no %s", LIBNL_ROUTE, #f);          \
		dlclose(libnl);                                               \
		libnl = NULL;                                                 \
		return -1;                                                    \
	}
	NL_FUNCS(NL_SYM)
#undef NL_SYM
	return 0;
}

struct links {
	struct nl_sock *sk;
	int uplink;		/* its ifindex inside */
	char warned[WARNED_MAX][IFNAMSIZ];
	int nwarned;
};

static struct links links = { .uplink = -1 };

/* In the child: the socket, bound to RTNLGRP_LINK, and the uplink's index. */
static void __attribute__((noreturn)) links_child(const struct run *run,
						   int sock)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK };
	int32_t uplink;
	int fd;

	if (setns(run->ns[FE_NS_USER], CLONE_NEWUSER) < 0 ||
	    setns(run->ns[FE_NS_NET], CLONE_NEWNET) < 0)
		fe_child_die("cannot enter the instance to watch its links");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fe_child_die("cannot listen to the instance's links");
	uplink = (int32_t)if_nametoindex(run->topo.bridges[run->topo.uplink].name);
	_exit(fe_seqpacket_send(sock, &uplink, sizeof(uplink), &fd, 1) < 0 ?
	      1 : 0);
}

/* The child's socket of the instance's namespace, or -errno. */
static int links_socket(const struct run *run, int *uplink)
{
	int32_t ifindex = -1;
	int sv[2], fd = -1, r;
	int pidfd __attribute__((cleanup(fe_closep))) = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fe_clone(0, &pidfd);
	if (pid == 0) {
		close(sv[0]);
		links_child(run, sv[1]);
	}
	close(sv[1]);
	r = pid < 0 ? (int)pid :
		fe_seqpacket_recv(sv[0], &ifindex, sizeof(ifindex), &fd, 1, 0);
	close(sv[0]);
	if (pid > 0)
		fe_pidfd_wait(pidfd, 0);
	if (r != 1)
		return r < 0 ? r : -EPROTO;
	*uplink = ifindex;
	return fd;
}

static bool warned(const char *name)
{
	for (int i = 0; i < links.nwarned; i++)
		if (strcmp(links.warned[i], name) == 0)
			return true;
	if (links.nwarned < WARNED_MAX)
		snprintf(links.warned[links.nwarned++], IFNAMSIZ, "%s", name);
	return false;
}

/* One link that changed: a port of the uplink below its MTU? */
static void on_link(struct nl_object *obj, void *arg)
{
	struct run *run = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;
	const char *name = nl.rtnl_link_get_name(link);
	const char *uplink = run->topo.bridges[run->topo.uplink].name;
	unsigned int mtu = nl.rtnl_link_get_mtu(link);
	char text[512];

	if (!name || nl.rtnl_link_get_master(link) != links.uplink ||
	    mtu >= run->topo.mtu || warned(name))
		return;
	snprintf(text, sizeof(text), "%s joined %s with MTU %u, below its %u: "
		 "large transfers through %s stall; set its MTU ('ip link set "
		 "%s mtu %u') and the guest's (QEMU virtio-net: host_mtu=%u)",
		 name, uplink, mtu, run->topo.mtu, name, name, run->topo.mtu,
		 run->topo.mtu);
	fe_trace("warning: %s", text);
	fe_status_warning(run, name, mtu, text);
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	if (nl.nlmsg_hdr(msg)->nlmsg_type == RTM_NEWLINK)
		nl.nl_msg_parse(msg, on_link, arg);
	return NL_OK;
}

int fe_links_watch(struct run *run)
{
	int fd, uplink = -1;
	char why[256];

	/* The default MTU is every port's: nothing to watch. */
	if (run->joined || run->topo.mtu <= FE_MTU_DEFAULT)
		return -1;
	if (nl_load(why, sizeof(why)) < 0) {
		fe_trace("cannot watch the uplink's ports: %s", why);
		return -1;
	}
	fd = links_socket(run, &uplink);
	if (fd < 0) {
		fe_trace("cannot watch the uplink's ports: %s", strerror(-fd));
		return -1;
	}
	links.sk = nl.nl_socket_alloc();
	if (!links.sk || nl.nl_socket_set_fd(links.sk, NETLINK_ROUTE, fd) < 0) {
		fe_trace("cannot watch the uplink's ports: libnl refused the socket");
		close(fd);
		return -1;
	}
	nl.nl_socket_disable_seq_check(links.sk);
	nl.nl_socket_modify_cb(links.sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, run);
	links.uplink = uplink;
	fe_trace("watching %s's ports (ifindex %d) for an MTU below %u",
		 run->topo.bridges[run->topo.uplink].name, uplink, run->topo.mtu);
	return fd;
}

void fe_links_read(struct run *run)
{
	(void)run;
	if (links.sk)
		nl.nl_recvmsgs_default(links.sk);
}
