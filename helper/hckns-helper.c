// SPDX-License-Identifier: MIT
/*
 * hckns-helper - the only part of hckns that holds a capability.
 *
 * WHAT IT IS.  hckns (the front end, unprivileged) creates new user,
 * network, mount and PID namespaces and execs this program as their first
 * process, with descriptor 3 a SOCK_SEQPACKET socket back to the front end.
 * It runs as uid 0 of that user namespace, which the caller owns and which
 * maps only the caller's own ids: it has no capability at all in the
 * caller's namespaces or on the host.  It is not setuid and has no file
 * capabilities.
 *
 * PID 1.  It is the PID namespace's init: when it exits, the kernel kills
 * every process left in the namespace, whatever namespaces those made
 * below it, and it exits on EOF of fd 3, whose copies the front end and
 * the keeper hold (keeper/keeper.c).  So the instance lives exactly
 * as long as one of them does.  Orphans of the namespace are re-parented
 * to it; SIGCHLD is ignored, so the kernel reaps them and it never waits.
 *
 * WHAT IT HOLDS.  Right after start it keeps CAP_NET_ADMIN and CAP_SYS_ADMIN
 * of its own user namespace (effective, permitted and bounding set; nothing
 * inheritable or ambient), sets no_new_privs and makes itself non-dumpable,
 * then checks that the kernel agrees before it reads a single request.  It
 * holds one netlink route socket (of its own network namespace, fd 4) and
 * fd 3.  Then it opens every file an operation will use (prepare_files():
 * /dev/net/tun, the bridge-netfilter sysctls, resolv-set's /etc) and loads
 * a seccomp allow-list (confine_syscalls(); the rules are in filter-gen.c,
 * compiled into BPF at build time): a system call that serving does not
 * need kills it, and serving opens no file and maps none.  Its environment
 * is empty (frontend/helper_client.c).
 *
 * WHAT IT CAN DO.  Exactly the operations of the list PROTO_OPS
 * (include/hckns/proto.h), one handler op_<stem>() each below, with
 * fixed-size, fully validated arguments: bring a link up, add a bridge,
 * enslave a link to a bridge, set an MTU or a transmit queue length, add an
 * address, add a route, create a persistent tap through /dev/net/tun, put
 * a fixed filter on tap_host against packets to loopback addresses, write
 * "0" to three fixed bridge-netfilter sysctls, make "/" recursively
 * private, mount a fresh proc of its PID namespace on /proc, and put a
 * read-only overlay on /etc whose resolv.conf names one server (and mount
 * a sysfs of its network namespace on /sys).  All of it acts on namespaces
 * that only this run uses.
 *
 * WHAT IT CANNOT DO.  It takes no path, no program, no descriptor, no
 * environment and no netlink message from the front end; it never forks or execs (no ip(8), no
 * shell), never changes its capabilities again, and cannot reach the host's
 * network or mounts: the kernel grants namespace capabilities only over
 * objects owned by the namespace.  A message it does not understand ends it.
 *
 * PROTOCOL.  One request, one answer (include/hckns/proto.h).  A protocol
 * violation (bad framing, unknown op, descriptors, hello not first) is
 * answered and ends the helper with status 1; a bad argument, a request the
 * list's permits forbid now (dispatch()) or a refusal by the kernel is
 * answered with an errno and a reason, and serving goes on.
 * EOF on fd 3 ends it with status 0.
 */
#include "hckns/proto.h"
#include "filter.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>
#include <netlink/socket.h>

/* Room for descriptors nobody may send, so that we can close them all. */
#define MAX_FDS 8

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The netlink route socket of our own network namespace. */
static struct nl_sock *nl;
/* The kernel's errno from the last netlink error message, 0 if none. */
static int nl_kernel_errno;

/*
 * Every file an operation uses, opened at start-up (prepare_files()),
 * before the system call filter, which admits no open at all: -1 once used
 * or when the open failed, with its errno kept for the operation to answer
 * (0: there was nothing to open).
 */
static int tun_fd = -1, tun_err;		/* tap-add: /dev/net/tun */
static const char *const brnf_paths[] = {	/* brnf-disable */
	"/proc/sys/net/bridge/bridge-nf-call-arptables",
	"/proc/sys/net/bridge/bridge-nf-call-iptables",
	"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
};
static int brnf_fd[ARRAY_SIZE(brnf_paths)] = { -1, -1, -1 };
static int brnf_err[ARRAY_SIZE(brnf_paths)];
/* resolv-set: the host's /etc, the tmpfs for the top layer, its file. */
static int etc_fd = -1, etc_tmp_fd = -1, resolv_fd = -1, resolv_err;
static const char *resolv_step = "prepare";

/* ---- exits -------------------------------------------------------------- */

/* Exit with @code; frees the netlink socket so that valgrind sees no leak. */
static void __attribute__((noreturn)) helper_exit(int code)
{
	if (nl)
		nl_socket_free(nl);
	exit(code);
}

/*
 * One line "hckns-helper: <what>: <why>" on stderr, then exit 1.  Formatted
 * here and written with one write(2): dprintf() would also fstat, ioctl and
 * lseek the descriptor, calls the seccomp filter does not need to admit.
 */
static void __attribute__((noreturn)) die(const char *what, const char *why)
{
	char line[PROTO_REASON_MAX + 128];
	int len = snprintf(line, sizeof(line), "hckns-helper: %s: %s\n",
			   what, why);

	if (len >= (int)sizeof(line)) {	/* cut, but still one line */
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	if (len > 0 && write(STDERR_FILENO, line, (size_t)len) < 0) {
		/* Nowhere left to say it; the exit status still does. */
	}
	helper_exit(1);
}

/* ---- results ------------------------------------------------------------ */
/*
 * A handler's reason says what failed and why ("br0: File exists"); the
 * dispatcher puts the op's name in front ("bridge-add br0: File exists").
 */

/* Fill @why with "<what>: <strerror(err)>".  Return: -@err. */
static int sys_fail(int err, const char *what, char *why, size_t whylen)
{
	if (err <= 0)
		err = EIO;
	snprintf(why, whylen, "%s: %s", what, strerror(err));
	return -err;
}

/*
 * libnl folds many kernel errnos into NLE_FAILURE ("Unspecific failure");
 * this error callback keeps the kernel's own and lets libnl go on as usual.
 */
static int nl_keep_errno(struct sockaddr_nl *nla, struct nlmsgerr *e,
			 void *arg)
{
	(void)nla;
	*(int *)arg = e->error < 0 ? -e->error : e->error;
	return -nl_syserr2nlerr(e->error);
}

/* libnl's own errors (not from the kernel) as errnos; the rest is EIO. */
static const struct {
	int nle;
	int err;
} nle_errno[] = {
	{ NLE_EXIST, EEXIST },		{ NLE_OBJ_NOTFOUND, ENODEV },
	{ NLE_NODEV, ENODEV },		{ NLE_PERM, EPERM },
	{ NLE_NOACCESS, EACCES },	{ NLE_INVAL, EINVAL },
	{ NLE_NOMEM, ENOMEM },		{ NLE_BUSY, EBUSY },
	{ NLE_RANGE, ERANGE },		{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT }, { NLE_MSGSIZE, EMSGSIZE },
	{ NLE_NOADDR, EADDRNOTAVAIL },
};

/**
 * nl_result() - turn a libnl result into 0 or -errno with a reason.
 * @r: 0 or more on success, a negative NLE_* code on failure.
 * @what: what it acted on (a link's name).
 *
 * The reason is "<what>: <the kernel's strerror>" when the kernel refused,
 * else "<what>: <nl_geterror()>".
 *
 * Return: 0, or a negative errno.
 */
static int nl_result(int r, const char *what, char *why, size_t whylen)
{
	int err = EIO;

	if (r >= 0)
		return 0;
	if (nl_kernel_errno && nl_syserr2nlerr(nl_kernel_errno) == -r)
		return sys_fail(nl_kernel_errno, what, why, whylen);
	for (size_t i = 0; i < ARRAY_SIZE(nle_errno); i++)
		if (nle_errno[i].nle == -r)
			err = nle_errno[i].err;
	snprintf(why, whylen, "%s: %s", what, nl_geterror(r));
	return -err;
}

/* Bytes of an address of @family; 0 when the family is not ours. */
static int addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* ---- the operations ------------------------------------------------------ */
/*
 * One handler op_<stem>() for each op of the list (include/hckns/proto.h),
 * which the dispatcher below calls only for a request whose framing
 * proto_decode() checked, whose arguments proto_validate() checked and
 * whose permits hold.  Each does one thing and returns 0 or -errno with a
 * one-line reason in @why.  Nothing else in this file acts on the world.
 *
 * Why each is safe, beside it.  The helper's capabilities are those of a
 * user namespace the caller owns; the kernel checks them against the user
 * namespace that owns the object acted on.  The network and mount
 * namespaces here were created with that user namespace for this run, and
 * only the caller's own processes (slirp4netns, the command) ever join
 * them, so nothing below can touch the host's links, addresses, routes,
 * sysctls or mounts, or anybody else's.
 */

/* Acts on nothing; proto_decode() has checked the version. */
/* NOLINTNEXTLINE(readability-non-const-parameter): the handlers' type */
static int op_hello(const union proto_payload *u, char *why, size_t whylen)
{
	(void)u;
	(void)why;
	(void)whylen;
	return 0;
}

/* Apply @change to the existing link @ifname.  Consumes @change. */
static int link_apply(const char *ifname, struct rtnl_link *change)
{
	struct rtnl_link *link = NULL;
	int r = -NLE_NOMEM;

	if (change) {
		r = rtnl_link_get_kernel(nl, /* ifindex= */ 0, ifname, &link);
		if (r >= 0)
			r = rtnl_link_change(nl, link, change, /* flags= */ 0);
	}
	rtnl_link_put(link);
	rtnl_link_put(change);
	return r;
}

/* Sets IFF_UP on a link of our own network namespace, by name. */
static int op_link_up(const union proto_payload *u, char *why, size_t whylen)
{
	struct rtnl_link *change = rtnl_link_alloc();

	if (change)
		rtnl_link_set_flags(change, IFF_UP);
	return nl_result(link_apply(u->link.ifname, change), u->link.ifname,
			 why, whylen);
}

/* Sets the MTU (68..65535) of a link of our own network namespace. */
static int op_link_set_mtu(const union proto_payload *u, char *why,
			   size_t whylen)
{
	struct rtnl_link *change = rtnl_link_alloc();

	if (change)
		rtnl_link_set_mtu(change, u->mtu.mtu);
	return nl_result(link_apply(u->mtu.ifname, change), u->mtu.ifname,
			 why, whylen);
}

/*
 * Sets the transmit queue length (1..1000000 packets) of a link of our own
 * network namespace: how many packets its qdisc may hold, memory charged
 * to this run's namespace like any other queue.
 */
static int op_link_set_txqlen(const union proto_payload *u, char *why,
			      size_t whylen)
{
	struct rtnl_link *change = rtnl_link_alloc();

	if (change)
		rtnl_link_set_txqlen(change, u->txqlen.txqlen);
	return nl_result(link_apply(u->txqlen.ifname, change), u->txqlen.ifname,
			 why, whylen);
}

/* Creates a bridge in our own network namespace; never replaces one. */
static int op_bridge_add(const union proto_payload *u, char *why,
			 size_t whylen)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	if (link) {
		rtnl_link_set_name(link, u->link.ifname);
		r = rtnl_link_set_type(link, "bridge");
		if (r >= 0)
			r = rtnl_link_add(nl, link, NLM_F_CREATE | NLM_F_EXCL);
	}
	rtnl_link_put(link);
	return nl_result(r, u->link.ifname, why, whylen);
}

/* Enslaves a link of our namespace to one of our bridges, only. */
static int op_link_enslave(const union proto_payload *u, char *why,
			   size_t whylen)
{
	const struct proto_enslave *p = &u->enslave;
	struct rtnl_link *master = NULL, *port = NULL;
	char what[sizeof("master ") + PROTO_IFNAMSIZ];
	const char *type;
	int r;

	r = rtnl_link_get_kernel(nl, 0, p->master, &master);
	if (r < 0) {
		snprintf(what, sizeof(what), "master %s", p->master);
		r = nl_result(r, what, why, whylen);
		goto out;
	}
	/* Only a bridge may take ports: no bonds, no VRFs, nothing else. */
	type = rtnl_link_get_type(master);
	if (!type || strcmp(type, "bridge") != 0) {
		snprintf(why, whylen, "%s: master %s is not a bridge",
			 p->ifname, p->master);
		r = -EINVAL;
		goto out;
	}
	r = rtnl_link_get_kernel(nl, 0, p->ifname, &port);
	if (r >= 0)
		r = rtnl_link_enslave(nl, master, port);
	r = nl_result(r, p->ifname, why, whylen);
out:
	rtnl_link_put(port);
	rtnl_link_put(master);
	return r;
}

/* Adds a unicast address to a link of our own network namespace. */
static int op_addr_add(const union proto_payload *u, char *why, size_t whylen)
{
	const struct proto_addr *p = &u->addr;
	struct rtnl_link *link = NULL;
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	int r, alen = addr_len(p->family);

	if (alen == 0)	/* proto_validate() said so; be safe anyway */
		return sys_fail(EAFNOSUPPORT, p->ifname, why, whylen);
	r = rtnl_link_get_kernel(nl, 0, p->ifname, &link);
	if (r < 0)
		goto out;
	r = -NLE_NOMEM;
	addr = rtnl_addr_alloc();
	local = nl_addr_build(p->family, p->addr, (size_t)alen);
	if (!addr || !local)
		goto out;
	nl_addr_set_prefixlen(local, p->prefixlen);
	rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
	rtnl_addr_set_family(addr, p->family);
	r = rtnl_addr_set_local(addr, local);
	if (r < 0)
		goto out;
	rtnl_addr_set_prefixlen(addr, p->prefixlen);
	r = rtnl_addr_add(nl, addr, NLM_F_CREATE | NLM_F_EXCL);
out:
	nl_addr_put(local);
	rtnl_addr_put(addr);
	rtnl_link_put(link);
	return nl_result(r, p->ifname, why, whylen);
}

/* Adds a route to the main table of our own network namespace. */
static int op_route_add(const union proto_payload *u, char *why,
			size_t whylen)
{
	const struct proto_route *p = &u->route;
	struct rtnl_link *link = NULL;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst = NULL, *gw = NULL;
	int r, alen = addr_len(p->family);

	if (alen == 0)	/* proto_validate() said so; be safe anyway */
		return sys_fail(EAFNOSUPPORT, p->ifname, why, whylen);
	r = rtnl_link_get_kernel(nl, 0, p->ifname, &link);
	if (r < 0)
		goto out;
	r = -NLE_NOMEM;
	route = rtnl_route_alloc();
	dst = nl_addr_build(p->family, p->dst, (size_t)alen);
	gw = nl_addr_build(p->family, p->gateway, (size_t)alen);
	if (!route || !dst || !gw || !(nh = rtnl_route_nh_alloc()))
		goto out;
	rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(link));
	rtnl_route_nh_set_gateway(nh, gw);	/* takes its own reference */
	rtnl_route_add_nexthop(route, nh);	/* the route owns nh now */
	nl_addr_set_prefixlen(dst, p->dst_len);	/* 0: the default route */
	rtnl_route_set_family(route, p->family);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_type(route, RTN_UNICAST);
	r = rtnl_route_set_dst(route, dst);
	if (r >= 0)
		r = rtnl_route_add(nl, route, NLM_F_CREATE | NLM_F_EXCL);
out:
	nl_addr_put(gw);
	nl_addr_put(dst);
	rtnl_route_put(route);
	rtnl_link_put(link);
	return nl_result(r, p->ifname, why, whylen);
}

/*
 * Writes "0" to three fixed paths, no others, opened at start-up.  These
 * sysctls are per network namespace (Linux >= 5.3); where they are not,
 * the kernel does not show them or refuses namespace root.
 */
static int op_brnf_disable(const union proto_payload *u, char *why,
			   size_t whylen)
{
	(void)u;
	for (size_t i = 0; i < ARRAY_SIZE(brnf_paths); i++) {
		ssize_t n;
		int err;

		/* Not opened at start: no br_netfilter, nothing filters. */
		if (brnf_fd[i] < 0 && brnf_err[i] == 0)
			continue;
		if (brnf_fd[i] < 0)
			return sys_fail(brnf_err[i], brnf_paths[i], why, whylen);
		n = write(brnf_fd[i], "0", 1);
		err = n < 0 ? errno : EIO;
		close(brnf_fd[i]);
		brnf_fd[i] = -1;
		if (n != 1)
			return sys_fail(err, brnf_paths[i], why, whylen);
	}
	return 0;
}

/* Cuts mount propagation between our mount namespace and the host's. */
static int op_mount_private(const union proto_payload *u, char *why,
			    size_t whylen)
{
	(void)u;
	/* Source and type are ignored for a propagation change. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return sys_fail(errno, "/", why, whylen);
	return 0;
}

/* A new @type on the fixed @target, no options, nothing from the front end. */
static int mount_fresh(const char *type, const char *target, char *why,
		       size_t whylen)
{
	if (mount(type, target, type, MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return sys_fail(errno, target, why, whylen);
	return 0;
}

/*
 * A proc of the PID namespace we are PID 1 of (proc takes the mounter's),
 * on /proc, hiding the host's there: `ps` inside shows the instance.  No
 * options: the kernel's defaults (hidepid=0), nothing from the front end.
 * The kernel refuses it (EPERM) when the host's proc has parts hidden
 * under other mounts, as some container runtimes leave it: a new proc
 * would show them.
 *
 * Safe: the fixed path /proc, in our private mount namespace only (hence
 * after mount-private), once.  It shows our own PID namespace, which only
 * this run's processes are in: less than the host's proc it covers, which
 * stays where it was, below.  No data: mount options cannot come from the
 * front end.
 */
static int op_mount_proc(const union proto_payload *u, char *why,
			 size_t whylen)
{
	(void)u;
	return mount_fresh("proc", "/proc", why, whylen);
}

/*
 * A sysfs of the network namespace we are in (sysfs takes the mounter's),
 * on /sys, hiding the host's there: /sys/class/net lists the instance's
 * links, as tools that read sysfs expect.  No options, nothing from the
 * front end.  The kernel refuses it (EPERM) where the host's sysfs has
 * parts hidden under other mounts.
 *
 * Safe: the fixed path /sys, in our private mount namespace only (after
 * mount-private), once: it shows the links of our own network namespace,
 * no more than the namespace's root could see with ip(8).  No data.
 */
static int op_mount_sysfs(const union proto_payload *u, char *why,
			  size_t whylen)
{
	(void)u;
	return mount_fresh("sysfs", "/sys", why, whylen);
}

/*
 * A read-only overlay on /etc: the host's /etc below, a tiny tmpfs holding
 * only resolv.conf on top.  Unlike a bind mount over the file, it survives
 * the host replacing /etc/resolv.conf by rename, and it works when the
 * host's file is a symbolic link, dangling or not.  The tmpfs, its empty
 * resolv.conf and the handles on both layers are made at start-up
 * (prepare_resolv()), so that this only writes the line into a file it
 * holds open and mounts: the helper opens no file once it serves.
 *
 * Both layers are lower layers: no upperdir, no workdir.  Such an overlay is
 * read-only by construction, and it needs no CAP_DAC_OVERRIDE, which
 * overlayfs wants for setting up a workdir and which we do not hold.
 *
 * Safe: it mounts over the fixed path /etc, in our private mount namespace
 * only, a read-only overlay; the one file's content is built here from a
 * validated address.  The host's /etc is only read.
 */
static int op_resolv_set(const union proto_payload *u, char *why,
			 size_t whylen)
{
	const struct proto_resolv *p = &u->resolv;
	char server[INET6_ADDRSTRLEN], text[64], opts[64];
	const char *step;
	int len, err;

	/* proto_validate() said so; be safe anyway. */
	if (!addr_len(p->family) ||
	    !inet_ntop(p->family, p->addr, server, sizeof(server)))
		return sys_fail(EAFNOSUPPORT, "address", why, whylen);
	/* What failed at start-up, said now: the front end wants this one. */
	if (resolv_fd < 0)
		return sys_fail(resolv_err, resolv_step, why, whylen);
	len = snprintf(text, sizeof(text), "nameserver %s\n", server);
	step = "write resolv.conf";
	errno = EIO;	/* a short write leaves errno alone */
	if (write(resolv_fd, text, (size_t)len) != len)
		goto fail;
	close(resolv_fd);
	resolv_fd = -1;
	/* The first lower layer is the top one: our file hides the host's. */
	snprintf(opts, sizeof(opts), "lowerdir=/proc/self/fd/%d:/proc/self/fd/%d",
		 etc_tmp_fd, etc_fd);
	step = "mount overlay on /etc";
	if (mount("overlay", "/etc", "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV,
		  opts) < 0)
		goto fail;
	errno = 0;
fail:
	/*
	 * Once only (PROTO_ONCE): let the handles go.  On failure /etc stays
	 * what prepare_resolv() left, the host's /etc bound over the tmpfs.
	 */
	err = errno;
	if (resolv_fd >= 0)
		close(resolv_fd);
	close(etc_tmp_fd);
	close(etc_fd);
	resolv_fd = etc_tmp_fd = etc_fd = -1;
	return err ? sys_fail(err, step, why, whylen) : 0;
}

/*
 * A persistent tap, made before slirp4netns starts: slirp4netns then
 * attaches to it by name (its TUNSETIFF finds the device), and when it
 * exits it only detaches; the kernel removes the tap with the namespace,
 * after hckns has returned, instead of making slirp4netns's exit wait for
 * the device's unregistration (an RCU barrier, 17-28 ms).
 *
 * IFF_TAP | IFF_NO_PI are slirp4netns's own flags (main.c, open_tap()):
 * the kernel refuses an attach whose type differs.  IFF_TUN_EXCL makes the
 * kernel refuse (EBUSY) a name any link already has, atomically, instead
 * of attaching to an existing tap; it is not a device flag, so it changes
 * nothing for slirp4netns's attach.
 *
 * Safe: it creates a persistent tap, by a validated name, in our own
 * network namespace (TUNSETIFF acts in the opener's): through the fixed
 * /dev/net/tun opened at start-up, one tap a run, only a tap (IFF_TAP,
 * never replacing or attaching to an existing link: IFF_TUN_EXCL), and the
 * descriptor is closed once the tap is made.  The tap goes with the
 * namespace.
 */
static int op_tap_add(const union proto_payload *u, char *why, size_t whylen)
{
	const char *name = u->link.ifname;
	struct ifreq ifr;
	int err = 0;

	/*
	 * The clone device opened at start-up (prepare_files()): one tap a
	 * run, which is what hckns makes.  A refused TUNSETIFF leaves the
	 * descriptor unattached, for another try.
	 */
	if (tun_fd < 0 && tun_err)
		return sys_fail(tun_err, "open /dev/net/tun", why, whylen);
	if (tun_fd < 0) {
		snprintf(why, whylen, "%s: this run has made its one tap already",
			 name);
		return -EALREADY;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* ifr_flags is a short, and IFF_TUN_EXCL is its sign bit. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
	/* proto_validate() checked: NUL-terminated, 1..15 bytes. */
	_Static_assert(sizeof(ifr.ifr_name) == PROTO_IFNAMSIZ,
		       "a name field is exactly an ifr_name");
	memcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	if (ioctl(tun_fd, TUNSETIFF, &ifr) < 0) {
		err = errno == EBUSY ? EEXIST : errno;
	} else {
		if (ioctl(tun_fd, TUNSETPERSIST, 1L) < 0)
			err = errno;
		/*
		 * Closing a persistent tap only detaches us.  If
		 * TUNSETPERSIST failed, the tap is not persistent and
		 * closing it removes it.
		 */
		close(tun_fd);
		tun_fd = -1;
	}
	if (err == EEXIST) {
		snprintf(why, whylen, "%s: a link of that name exists", name);
		return -EEXIST;
	}
	if (err)
		return sys_fail(err, name, why, whylen);
	return 0;
}

/*
 * The uplink guard: on tap_host's transmit path, inside our namespace,
 * drop every packet to 127.0.0.0/8, 0.0.0.0/8, ::/96 or ::ffff:0:0/96.
 * libslirp takes a TCP SYN or UDP datagram to such an address as one for
 * the host and connects to it from the host's network namespace, with or
 * without --disable-host-loopback (which only drops the 10.0.2.2 alias),
 * so a guest bridged onto the uplink would reach the host's loopback
 * services.  These are never legitimate destinations on the uplink:
 * 10.0.2.2 is the way --host-loopback opens.
 *
 * With what the kernel hckns is tested on has, and Debian's have too
 * (SECURITY.md argues the choice): tap_host's root qdisc is an htb whose default class is 0, so
 * that whatever no filter picks takes htb's direct queue (no class, no
 * rate, the length of the tap's transmit queue when the htb is made); u32
 * filters at 1: send the four ranges to class 1:1, whose leaf is a pfifo
 * of limit 0, which drops all it gets.  The filters match the
 * destination at fixed offsets from the network header (IPv4: bytes 16-19;
 * IPv6: 24-39), so IP options, extension headers and fragments change
 * nothing; a frame with a VLAN tag is neither IP nor IPv6 to the filter,
 * and libslirp drops it as a protocol it does not speak.
 */
#define GUARD_ROOT TC_HANDLE(1, 0)	/* the htb */
#define GUARD_DROP TC_HANDLE(1, 1)	/* its one class, for what is dropped */
#define GUARD_LEAF TC_HANDLE(2, 0)	/* that class's pfifo, limit 0 */
/* htb wants a class to have a rate; this one never sends (1 Mbit/s). */
#define GUARD_RATE (1000000u / 8)

static const struct guard_rule {
	const char *range;
	uint16_t protocol;		/* ETH_P_*, the frame's ethertype */
	uint16_t prio;			/* one per protocol, as the kernel wants */
	unsigned int nkeys;
	struct {
		uint32_t val, mask;	/* host order */
		int off;		/* from the network header */
	} keys[3];
} guard_rules[] = {
	{ "127.0.0.0/8", ETH_P_IP, 1, 1, { { 0x7f000000u, 0xff000000u, 16 } } },
	{ "0.0.0.0/8", ETH_P_IP, 1, 1, { { 0, 0xff000000u, 16 } } },
	/* :: and ::1, and the deprecated IPv4-compatible ::a.b.c.d */
	{ "::/96", ETH_P_IPV6, 2, 3,
	  { { 0, ~0u, 24 }, { 0, ~0u, 28 }, { 0, ~0u, 32 } } },
	/* IPv4-mapped ::ffff:a.b.c.d: libslirp would connect to a.b.c.d */
	{ "::ffff:0:0/96", ETH_P_IPV6, 2, 3,
	  { { 0, ~0u, 24 }, { 0, ~0u, 28 }, { 0xffffu, ~0u, 32 } } },
};

/* A tc object of @ifindex with @parent and @handle, of @kind. */
static int guard_tc(struct rtnl_tc *tc, int ifindex, uint32_t parent,
		    uint32_t handle, const char *kind)
{
	if (!tc)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(tc, ifindex);
	rtnl_tc_set_parent(tc, parent);
	if (handle)
		rtnl_tc_set_handle(tc, handle);
	return rtnl_tc_set_kind(tc, kind);
}

/* One u32 filter at 1: sending @rule's range to the dropping class. */
static int guard_filter(int ifindex, const struct guard_rule *rule)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	int r = guard_tc(TC_CAST(cls), ifindex, GUARD_ROOT, 0, "u32");

	if (r >= 0) {
		rtnl_cls_set_protocol(cls, rule->protocol);
		rtnl_cls_set_prio(cls, rule->prio);
	}
	for (unsigned int i = 0; r >= 0 && i < rule->nkeys; i++)
		r = rtnl_u32_add_key_uint32(cls, rule->keys[i].val,
					    rule->keys[i].mask,
					    rule->keys[i].off, 0);
	/* Terminal: a match ends the classification with class 1:1. */
	if (r >= 0)
		r = rtnl_u32_set_classid(cls, GUARD_DROP);
	if (r >= 0)
		r = rtnl_u32_set_cls_terminal(cls);
	if (r >= 0)
		r = rtnl_cls_add(nl, cls, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_cls_put(cls);
	return r;
}

/*
 * Safe: a fixed filter (an htb, one class, a pfifo, four u32 filters) on
 * the transmit path of the one fixed link PROTO_UPLINK_TAP of our own
 * network namespace; the request carries nothing.  It only takes packets
 * away (what would reach the host's loopback through slirp4netns), and the
 * namespace's root, the caller, can remove it as it can remove the tap: it
 * protects the host from guests, not from the caller.
 */
static int op_uplink_guard(const union proto_payload *u, char *why,
			   size_t whylen)
{
	struct rtnl_qdisc *htb = NULL, *leaf = NULL;
	struct rtnl_class *drop = NULL;
	struct rtnl_link *link = NULL;
	const struct guard_rule *rule = NULL;
	const char *step = "look up the link";
	char what[80];
	int r, ifindex = 0;

	(void)u;
	r = rtnl_link_get_kernel(nl, /* ifindex= */ 0, PROTO_UPLINK_TAP, &link);
	if (r < 0)
		goto out;
	ifindex = rtnl_link_get_ifindex(link);

	step = "htb qdisc (sch_htb)";
	htb = rtnl_qdisc_alloc();
	r = guard_tc(TC_CAST(htb), ifindex, TC_H_ROOT, GUARD_ROOT, "htb");
	if (r >= 0)
		r = rtnl_htb_set_defcls(htb, /* defcls= */ 0);
	if (r >= 0)
		r = rtnl_qdisc_add(nl, htb, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		goto out;

	step = "htb class (sch_htb)";
	drop = rtnl_class_alloc();
	r = guard_tc(TC_CAST(drop), ifindex, GUARD_ROOT, GUARD_DROP, "htb");
	if (r >= 0)
		r = rtnl_htb_set_rate(drop, GUARD_RATE);
	if (r >= 0)
		r = rtnl_class_add(nl, drop, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		goto out;

	step = "pfifo qdisc (sch_fifo)";
	leaf = rtnl_qdisc_alloc();
	r = guard_tc(TC_CAST(leaf), ifindex, GUARD_DROP, GUARD_LEAF, "pfifo");
	if (r >= 0)
		r = rtnl_qdisc_fifo_set_limit(leaf, /* limit= */ 0);
	if (r >= 0)
		r = rtnl_qdisc_add(nl, leaf, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		goto out;

	for (size_t i = 0; i < ARRAY_SIZE(guard_rules) && r >= 0; i++) {
		rule = &guard_rules[i];
		r = guard_filter(ifindex, rule);
	}
out:
	rtnl_qdisc_put(leaf);
	rtnl_class_put(drop);
	rtnl_qdisc_put(htb);
	rtnl_link_put(link);
	/* "tap_host: htb qdisc (sch_htb)": what failed, and its module. */
	if (rule)
		snprintf(what, sizeof(what), "%s: u32 filter for %s (cls_u32)",
			 PROTO_UPLINK_TAP, rule->range);
	else
		snprintf(what, sizeof(what), "%s: %s", PROTO_UPLINK_TAP, step);
	r = nl_result(r, what, why, whylen);
	/* The kernel's answer for a qdisc or classifier kind it lacks. */
	if (r == -ENOENT && ifindex > 0)
		snprintf(why, whylen, "%s: the kernel has none", what);
	return r;
}


/* ---- serving ------------------------------------------------------------- */

/* Send one answer; if the front end cannot take it, there is nobody left. */
static void answer(uint16_t op, uint32_t seq, int err, const char *reason)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_answer a;
	int len;

	memset(&a, 0, sizeof(a));
	a.err = err;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	len = proto_encode(op, seq, &a, sizeof(a), buf, sizeof(buf));
	if (len < 0)
		die("encode an answer", strerror(-len));
	if (send(SOCK_FD, buf, (size_t)len, MSG_NOSIGNAL) != len)
		die("send an answer", strerror(errno));
}

/*
 * violation() - answer a protocol violation, log it once and exit 1.
 * @op: PROTO_ANS | the request op when it decoded, else PROTO_ANS.
 * @seq: the header's sequence number, 0 when no header arrived.
 * @err: a positive errno.
 */
static void __attribute__((noreturn, format(printf, 4, 5)))
violation(uint16_t op, uint32_t seq, int err, const char *fmt, ...)
{
	char reason[PROTO_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	answer(op, seq, err, reason);
	die("protocol violation", reason);
}

/**
 * close_received_fds() - close every descriptor that came with a message.
 *
 * No operation takes descriptors in this version (include/hckns/proto.h),
 * so each one is closed at once; an operation declaring some would take
 * them here instead.
 *
 * Return: how many there were, or -1 when other control data came along.
 */
static int close_received_fds(struct msghdr *mh)
{
	int count = 0, other = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			other = 1;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
			count++;
		}
	}
	return other ? -1 : count;
}

/*
 * recvmsg() returns 0 both at EOF and for an empty datagram, which
 * SOCK_SEQPACKET carries like any other.  Only a peer that has gone is EOF;
 * an empty message is a protocol violation (shorter than its header).
 */
static bool peer_gone(void)
{
	struct pollfd p = { .fd = SOCK_FD, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, /* timeout= */ 0) == 1 &&
	       (p.revents & (POLLHUP | POLLRDHUP));
}

/* Why proto_decode() refused: one line for the answer and the log. */
static const char *decode_reason(int r, const struct proto_hdr *h, size_t n,
				 char *buf, size_t len)
{
	if (r == -EPROTONOSUPPORT)
		snprintf(buf, len, "protocol version %u, helper speaks %u",
			 h->version, PROTO_VERSION);
	else if (r == -EOPNOTSUPP)
		snprintf(buf, len, "unknown operation %u", h->op);
	else if (n < sizeof(*h))
		snprintf(buf, len, "message shorter than its header");
	else if (n > PROTO_MSG_MAX)
		snprintf(buf, len, "message longer than %d bytes", PROTO_MSG_MAX);
	else
		snprintf(buf, len, "message length mismatch");
	return buf;
}

/* ---- the dispatcher ------------------------------------------------------ */

/* A handler: see "the operations" above. */
typedef int handler(const union proto_payload *u, char *why, size_t whylen);

/*
 * The helper's side of the list (include/hckns/proto.h), indexed by op:
 * each op's handler op_<stem>() and its permits.  An op of the list
 * without a handler here does not compile.
 */
static const struct {
	handler *run;
	unsigned int permits;	/* enum proto_permit */
} helper_ops[PROTO_REQ__END] = {
#define X(E, stem, wire, payload, valid, permits) \
	[PROTO_REQ_##E] = { op_##stem, permits },
	PROTO_OPS(X)
#undef X
};

_Static_assert(PROTO_REQ__END <= 32, "op bitmasks are 32 bits");

/*
 * dispatch() - the one place that decides whether a request runs, and
 * runs it: it owns the list's permits and what this run has done.
 * @m: a request whose framing proto_decode() accepted.
 *
 * PROTO_FIRST broken (hello not first, or again) is a protocol violation:
 * answered, and the helper exits.  A request that the validator refuses
 * (EINVAL) or that PROTO_ONCE (EALREADY) or PROTO_AFTER_MOUNT_PRIVATE
 * (EPERM) forbids now is refused, and serving goes on.  An attempt counts
 * for PROTO_ONCE once its arguments are valid, before its handler runs,
 * whatever comes of it; mount-private counts once it has succeeded.
 *
 * Return: as a handler: 0, or -errno with a one-line reason in @why that
 * starts with the op's name.
 */
static int dispatch(const struct proto_msg *m, char *why, size_t whylen)
{
	/* Bitmasks by op: handler called (tried), handler succeeded. */
	static uint32_t tried, succeeded;
	const uint16_t op = m->hdr.op, ans = (uint16_t)(PROTO_ANS | op);
	const char *name = proto_op_name(op);
	unsigned int permits = helper_ops[op].permits;
	char reason[PROTO_REASON_MAX] = "";
	int r;

	if (tried == 0 && !(permits & PROTO_FIRST))
		violation(ans, m->hdr.seq, EPROTO, "the first request must be "
			  "hello, not %s", name);
	if (tried != 0 && (permits & PROTO_FIRST))
		violation(ans, m->hdr.seq, EPROTO, "%s sent twice", name);
	if (proto_validate(m, reason, sizeof(reason)) < 0) {
		snprintf(why, whylen, "%s: %s", name, reason);
		return -EINVAL;
	}
	if ((permits & PROTO_ONCE) && (tried & (1u << op))) {
		snprintf(why, whylen, "%s: runs only once", name);
		return -EALREADY;
	}
	if ((permits & PROTO_AFTER_MOUNT_PRIVATE) &&
	    !(succeeded & (1u << PROTO_REQ_MOUNT_PRIVATE))) {
		snprintf(why, whylen, "%s: needs mount-private first", name);
		return -EPERM;
	}
	tried |= 1u << op;
	nl_kernel_errno = 0;
	r = helper_ops[op].run(&m->u, reason, sizeof(reason));
	if (r == 0)
		succeeded |= 1u << op;
	else
		snprintf(why, whylen, "%s %s", name, reason);
	return r;
}

/*
 * serve() - answer requests on SOCK_FD until EOF.
 *
 * Every request gets exactly one answer with its sequence number.  Framing
 * is checked here (a violation otherwise); whether a request runs is
 * dispatch()'s.
 */
static void __attribute__((noreturn)) serve(void)
{
	for (;;) {
		unsigned char buf[PROTO_MSG_MAX + 1];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct proto_hdr h = { 0 };
		char why[PROTO_REASON_MAX];
		struct proto_msg m;
		uint16_t ans_op;
		bool request;
		ssize_t n;
		int nfds, r;

		n = recvmsg(SOCK_FD, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("receive a request", strerror(errno));
		nfds = close_received_fds(&mh);
		if (n == 0 && nfds == 0 && !(mh.msg_flags & MSG_CTRUNC) &&
		    peer_gone())
			helper_exit(0);		/* EOF: the front end is done */

		if ((size_t)n >= sizeof(h))
			memcpy(&h, buf, sizeof(h));
		r = (mh.msg_flags & MSG_TRUNC) ? -EBADMSG :
			proto_decode(buf, (size_t)n, &m);
		request = r == 0 && !(m.hdr.op & PROTO_ANS);
		ans_op = request ? (uint16_t)(PROTO_ANS | m.hdr.op) : PROTO_ANS;

		if (nfds < 0 || (mh.msg_flags & MSG_CTRUNC))
			violation(ans_op, h.seq, EPROTO, "unexpected control data");
		if (nfds > 0)	/* no op takes any (include/hckns/proto.h) */
			violation(ans_op, h.seq, EPROTO, "unexpected descriptors");
		if (r < 0)
			violation(ans_op, h.seq, -r, "%s",
				  decode_reason(r, &h, (size_t)n, why, sizeof(why)));
		if (!request)	/* it decoded, so it is an answer op */
			violation(ans_op, h.seq, EPROTO, "%s is not a request",
				  proto_op_name(m.hdr.op));
		r = dispatch(&m, why, sizeof(why));
		answer(ans_op, h.seq, -r, r == 0 ? "" : why);
	}
}

/* ---- start-up ------------------------------------------------------------ */

/* True when @fd is a SOCK_SEQPACKET unix socket, as hckns passes it. */
static bool is_seqpacket_unix(int fd)
{
	int type = 0, domain = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return false;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return false;
	return type == SOCK_SEQPACKET && domain == AF_UNIX;
}

/*
 * Keep CAP_NET_ADMIN and CAP_SYS_ADMIN, effective, permitted and bounding;
 * drop everything else.  capng_apply() shrinks the bounding set first, while
 * CAP_SETPCAP is still effective, then sets the capabilities (dropping
 * CAP_SETPCAP), then clears the ambient set.
 */
static void drop_privileges(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			  CAPNG_BOUNDING_SET, CAP_NET_ADMIN, CAP_SYS_ADMIN,
			  -1) < 0)
		die("capabilities", "cannot select CAP_NET_ADMIN and CAP_SYS_ADMIN");
	if (capng_apply(CAPNG_SELECT_ALL) < 0)
		die("capabilities", "cannot drop the others");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("set non-dumpable", strerror(errno));
}

/*
 * Ask the kernel, not libcap-ng's cache, what we hold now, and fail closed
 * on anything beyond the two capabilities.
 */
static void verify_privileges(void)
{
	const uint64_t keep = (1ull << CAP_NET_ADMIN) | (1ull << CAP_SYS_ADMIN);
	char what[64];

	if (capng_get_caps_process() < 0)
		die("capabilities", "cannot read them back");
	for (unsigned int c = 0; c < 64; c++) {
		int want = (int)((keep >> c) & 1);
		int bnd = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		/* EINVAL: past the kernel's last capability (ours are below). */
		if (bnd < 0 && errno == EINVAL && c > CAP_SYS_ADMIN)
			break;
		snprintf(what, sizeof(what), "capability %u", c);
		if (bnd < 0)
			die(what, strerror(errno));
		if (bnd != want ||
		    capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want ||
		    capng_have_capability(CAPNG_INHERITABLE, c) != 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) != 0)
			die(what, want ? "not held as it must be" : "still held");
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		die("no_new_privs", "not set");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		die("non-dumpable", "not set");
}

/*
 * in_initial_userns() - is this the machine's initial user namespace?
 *
 * Its uid_map is the identity over the whole range.  Run there (by root, by
 * hand), the two capabilities we keep would be real ones on the host, and
 * mount-private would change the host's mounts: refuse instead.
 */
static bool in_initial_userns(void)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	bool initial = true;	/* unreadable: assume the worst */

	if (!f)
		return initial;
	/* NOLINTNEXTLINE(cert-err34-c): the kernel's numbers, each < 2^32 */
	if (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		initial = inside == 0 && outside == 0 && count == 4294967295ul;
	fclose(f);
	return initial;
}

/*
 * prepare_resolv() - resolv-set's half made at start-up: a handle on the
 * host's /etc, a tmpfs (64 KiB, 16 inodes, nosuid, nodev, noexec) mounted
 * on /etc with an empty resolv.conf open for writing, and the host's /etc
 * bound back over that tmpfs, recursively, so that /etc looks as it did
 * until resolv-set puts its overlay on top.  The tmpfs stays reachable
 * through the descriptor only.
 *
 * This runs before mount-private: nothing here can reach the host, whose
 * mount namespace is more privileged than ours (a mount namespace made in
 * a new user namespace receives propagation, mount_namespaces(7), and
 * sends none).  A failure is kept for resolv-set to answer.
 */
static void prepare_resolv(void)
{
	bool tmpfs_mounted = false;
	char src[32];

	resolv_step = "open /etc";
	etc_fd = open("/etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc_fd < 0)
		goto fail;
	resolv_step = "mount tmpfs on /etc";
	if (mount("tmpfs", "/etc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=64k,nr_inodes=16") < 0)
		goto fail;
	tmpfs_mounted = true;
	resolv_step = "open the tmpfs on /etc";
	etc_tmp_fd = open("/etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc_tmp_fd < 0)
		goto fail;
	resolv_step = "create resolv.conf";
	resolv_fd = openat(etc_tmp_fd, "resolv.conf",
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   0644);
	if (resolv_fd < 0)
		goto fail;
	resolv_step = "bind the host's /etc over the tmpfs";
	snprintf(src, sizeof(src), "/proc/self/fd/%d", etc_fd);
	/* The type is ignored for a bind ("none", not NULL: valgrind). */
	if (mount(src, "/etc", "none", MS_BIND | MS_REC, NULL) < 0)
		goto fail;
	return;
fail:
	resolv_err = errno;
	if (resolv_fd >= 0)
		close(resolv_fd);
	if (etc_tmp_fd >= 0)
		close(etc_tmp_fd);
	if (etc_fd >= 0)
		close(etc_fd);
	resolv_fd = etc_tmp_fd = etc_fd = -1;
	/* Do not leave /etc empty: take the tmpfs away again. */
	if (tmpfs_mounted)
		umount2("/etc", MNT_DETACH);
}

/*
 * prepare_files() - open, before the filter, every file an operation
 * will use, so that serving opens none: the filter admits no open(2),
 * and so a helper made to misbehave cannot name a file (SECURITY.md, "What
 * the helper can open, read and write").  These are fixed paths, and none
 * is read: /dev/net/tun (read-write, as the device wants, for its ioctls
 * only), the three bridge-netfilter sysctls (write-only; missing when
 * br_netfilter is not loaded) and resolv-set's /etc (prepare_resolv()).
 */
static void prepare_files(void)
{
	tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	tun_err = tun_fd < 0 ? errno : 0;
	for (size_t i = 0; i < ARRAY_SIZE(brnf_paths); i++) {
		brnf_fd[i] = open(brnf_paths[i], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		brnf_err[i] = brnf_fd[i] < 0 && errno != ENOENT ? errno : 0;
	}
	prepare_resolv();
}

/* ---- the system call filter ---------------------------------------------- */

/*
 * valgrind (`make valgrind` runs the helper under memcheck) does not
 * implement seccomp(2) in the versions Debian ships (3.19: "unhandled
 * syscall 317"), and a filter loaded there would judge valgrind's own calls
 * too.  So a helper that finds itself under valgrind serves without the
 * filter.  RUNNING_ON_VALGRIND is a no-op instruction sequence that yields
 * 0 unless valgrind itself runs the program: nothing in the environment or
 * on the socket can switch the filter off.  The header comes with
 * Debian's valgrind package; built without it, the helper never skips.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() false
#endif

#include "helper-filter.h"	/* generated: build/gen/ */

/*
 * confine_syscalls() - from here on, only the calls serving needs.
 *
 * helper_filter[] is the allow-list of helper/filter-gen.c, compiled by
 * libseccomp at build time: any other system call, and any of those with
 * other arguments where a rule names them, kills the whole helper.
 */
static void confine_syscalls(void)
{
	struct sock_fprog prog = {
		.len = (unsigned short)ARRAY_SIZE(helper_filter),
		.filter = (struct sock_filter *)helper_filter,
	};

	if (UNDER_VALGRIND())
		return;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		die("seccomp filter", strerror(errno));
}

int main(int argc, char **argv)
{
	int r;

	(void)argv;
	if (argc != 1 || !is_seqpacket_unix(SOCK_FD)) {
		dprintf(STDERR_FILENO, "hckns-helper: this program is started "
			"by hckns, not by hand\n");
		return 2;
	}
	if (close_range(SOCK_FD + 1, ~0u, 0) < 0)
		die("close inherited descriptors", strerror(errno));
	if (in_initial_userns())
		die("refusing to run in the initial user namespace",
		    "hckns starts it in a new one");
	/*
	 * No parent-death signal: the front end that started us may leave
	 * while joiners use the instance; EOF on fd 3, once the front end
	 * and the keeper have both closed it (or died), ends us.  As PID 1
	 * of the instance, orphans come to us: ignoring SIGCHLD has the
	 * kernel reap them (no zombies pile up, no wait loop here), and it
	 * is set before the system call filter, which needs no call for it.
	 */
	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		die("ignore SIGCHLD", strerror(errno));
	/* The modes in op_resolv_set() are meant exactly. */
	umask(022);
	drop_privileges();
	verify_privileges();

	nl = nl_socket_alloc();
	if (!nl)
		die("netlink socket", strerror(ENOMEM));
	r = nl_connect(nl, NETLINK_ROUTE);
	if (r < 0)
		die("netlink socket", nl_geterror(r));
	r = nl_socket_modify_err_cb(nl, NL_CB_CUSTOM, nl_keep_errno,
				    &nl_kernel_errno);
	if (r < 0)
		die("netlink socket", nl_geterror(r));
	if (nl_socket_get_fd(nl) != NL_FD)
		die("netlink socket", "not on the descriptor the system call "
		    "filter names (filter.h)");
	/*
	 * libnl reads the kernel's packet-scheduler clock (/proc/net/psched)
	 * the first time it needs it, for the rate of uplink-guard's htb
	 * class, and keeps it: read it now, while the filter below would
	 * not kill us for the open(2).
	 */
	(void)nl_get_psched_hz();
	prepare_files();
	confine_syscalls();
	serve();
}
