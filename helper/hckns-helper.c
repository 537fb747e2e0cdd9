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
 * inheritable or ambient), sets no_new_privs and makes itself non-dumpable.
 * The front end checks, in the kernel's account of it (/proc/PID/status,
 * frontend/helper_client.c), that it holds no more before it sends
 * anything past hello.  It
 * holds one netlink route socket (of its own network namespace, fd 4) and
 * fd 3.
 *
 * AT START-UP, before it reads any request and with nothing from the
 * front end (set_up_namespaces()), it makes "/" recursively private,
 * mounts a fresh proc of its PID namespace on /proc and a sysfs of its
 * network namespace on /sys (a kernel's refusal of either is said in
 * hello's answer, and the run goes on) and writes "0" to three fixed
 * bridge-netfilter sysctls; any other failure there ends it, with one
 * line on stderr.  Then it opens every file an operation will use
 * (prepare_files(): /dev/net/tun, resolv-set's /etc) and loads
 * a seccomp allow-list (confine_syscalls(); the rules are in filter-gen.c,
 * compiled into BPF at build time): a system call that serving does not
 * need kills it, and serving opens no file and maps none.  Its environment
 * is empty (frontend/helper_client.c).
 *
 * WHAT IT CAN DO.  Exactly the operations of the list PROTO_OPS
 * (include/hckns/proto.h), one handler op_<stem>() each below, with
 * fixed-size, fully validated arguments: set a link's MTU and bring it
 * up, add a bridge, enslave a link to a bridge, add an address, add a
 * route, create the persistent tap tap_host through /dev/net/tun, set its
 * transmit queue length and put a fixed filter on it against packets to
 * loopback addresses (the filter's netlink requests built at build time,
 * helper/guard-gen.c), and put a
 * read-only overlay on /etc whose resolv.conf names one server.  All of
 * it acts on namespaces that only this run uses.
 *
 * WHAT IT CANNOT DO.  It takes no path, no program, no descriptor, no
 * environment and no netlink message from the front end; it never forks or execs (no ip(8), no
 * shell), never changes its capabilities again, and cannot reach the host's
 * network or mounts: the kernel grants namespace capabilities only over
 * objects owned by the namespace.  A message it does not understand ends it.
 *
 * PROTOCOL.  One request, one answer (include/hckns/proto.h).  A protocol
 * violation (bad framing, unknown op, control data such as descriptors,
 * which the kernel discards unread, hello not first) is
 * answered and ends the helper with status 1; a bad argument, a request the
 * list's permits forbid now (proto_admit(), dispatch()) or a refusal by
 * the kernel is answered with an errno and a reason, and serving goes on.
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
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The netlink route socket of our own network namespace. */
static struct nl_sock *nl;
/* The kernel's errno from the last netlink error message, 0 if none. */
static int nl_kernel_errno;

/* What start-up could not do (PROTO_NOTE_*): hello's answer says it. */
static uint32_t start_notes;

/*
 * Every file an operation uses, opened at start-up (prepare_files()),
 * before the system call filter, which admits no open at all: -1 once used
 * or when the open failed, with its errno kept for the operation to answer.
 */
static int tun_fd = -1, tun_err;		/* uplink-add: /dev/net/tun */
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

/**
 * nl_result() - turn a libnl result into 0 or -errno with a reason.
 * @r: 0 or more on success, a negative NLE_* code on failure.
 * @what: what it acted on (a link's name).
 *
 * One rule: when the kernel refused, its errno (nl_keep_errno() kept it)
 * with "<what>: <its strerror>"; anything libnl says of its own (no
 * memory, a message it cannot parse) is EIO with "<what>: <nl_geterror()>".
 * A link looked up by name (rtnl_link_get_kernel()) that does not exist is
 * the second kind: libnl reads that answer with its own error handler, not
 * ours, so it is EIO with libnl's words, "No such device".  The front end
 * tells answers apart only by errnos the kernel gives: EPERM, EACCES and,
 * for uplink-add, ENOENT (step_failed() in frontend/setup.c, cmd/doctor.c).
 *
 * Return: 0, or a negative errno.
 */
static int nl_result(int r, const char *what, char *why, size_t whylen)
{
	if (r >= 0)
		return 0;
	if (nl_kernel_errno && nl_syserr2nlerr(nl_kernel_errno) == -r)
		return sys_fail(nl_kernel_errno, what, why, whylen);
	snprintf(why, whylen, "%s: %s", what, nl_geterror(r));
	return -EIO;
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

/*
 * link_index() - the ifindex of the link @ifname of our network namespace.
 * The one lookup by name of the handlers that need only the index.
 *
 * Return: the index, or a negative NLE_* code for nl_result() (a link
 * that does not exist: libnl's "No such device").
 */
static int link_index(const char *ifname)
{
	struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(nl, /* ifindex= */ 0, ifname, &link);

	if (r >= 0)
		r = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return r;
}

/*
 * Apply @change to the existing link @ifindex (a link_index() result,
 * whose failure is passed on): one RTM_NEWLINK for that index without
 * NLM_F_CREATE, which changes that link and makes none.  Consumes @change.
 */
static int link_apply(int ifindex, struct rtnl_link *change)
{
	int r = ifindex < 0 ? ifindex : change ? 0 : -NLE_NOMEM;

	if (r == 0) {
		rtnl_link_set_ifindex(change, ifindex);
		r = rtnl_link_add(nl, change, /* flags= */ 0);
	}
	rtnl_link_put(change);
	return r;
}

/*
 * One change of a link of our own network namespace, by name, in one
 * RTM_NEWLINK: its MTU (68..65535) when asked, then IFF_UP when asked
 * (proto_validate() checked that at least one is).
 */
static int op_link_set(const union proto_payload *u, char *why, size_t whylen)
{
	const struct proto_link_set *p = &u->link_set;
	struct rtnl_link *change = rtnl_link_alloc();

	if (change && p->mtu)
		rtnl_link_set_mtu(change, p->mtu);
	if (change && p->up)
		rtnl_link_set_flags(change, IFF_UP);
	return nl_result(link_apply(link_index(p->ifname), change), p->ifname,
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
	struct rtnl_link *master = NULL;
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
	r = link_index(p->ifname);
	if (r >= 0)
		r = rtnl_link_enslave_ifindex(nl, rtnl_link_get_ifindex(master), r);
	r = nl_result(r, p->ifname, why, whylen);
out:
	rtnl_link_put(master);
	return r;
}

/* Adds a unicast address to a link of our own network namespace. */
static int op_addr_add(const union proto_payload *u, char *why, size_t whylen)
{
	const struct proto_addr *p = &u->addr;
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	int r, ifindex, alen = proto_addr_len(p->family);

	if (alen == 0)	/* proto_validate() said so; be safe anyway */
		return sys_fail(EAFNOSUPPORT, p->ifname, why, whylen);
	r = ifindex = link_index(p->ifname);
	if (r < 0)
		goto out;
	r = -NLE_NOMEM;
	addr = rtnl_addr_alloc();
	local = nl_addr_build(p->family, p->addr, (size_t)alen);
	if (!addr || !local)
		goto out;
	nl_addr_set_prefixlen(local, p->prefixlen);
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_family(addr, p->family);
	r = rtnl_addr_set_local(addr, local);
	if (r < 0)
		goto out;
	rtnl_addr_set_prefixlen(addr, p->prefixlen);
	r = rtnl_addr_add(nl, addr, NLM_F_CREATE | NLM_F_EXCL);
out:
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return nl_result(r, p->ifname, why, whylen);
}

/* Adds a route to the main table of our own network namespace. */
static int op_route_add(const union proto_payload *u, char *why,
			size_t whylen)
{
	const struct proto_route *p = &u->route;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst = NULL, *gw = NULL;
	int r, ifindex, alen = proto_addr_len(p->family);

	if (alen == 0)	/* proto_validate() said so; be safe anyway */
		return sys_fail(EAFNOSUPPORT, p->ifname, why, whylen);
	r = ifindex = link_index(p->ifname);
	if (r < 0)
		goto out;
	r = -NLE_NOMEM;
	route = rtnl_route_alloc();
	dst = nl_addr_build(p->family, p->dst, (size_t)alen);
	gw = nl_addr_build(p->family, p->gateway, (size_t)alen);
	if (!route || !dst || !gw || !(nh = rtnl_route_nh_alloc()))
		goto out;
	rtnl_route_nh_set_ifindex(nh, ifindex);
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
	return nl_result(r, p->ifname, why, whylen);
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
	if (!proto_addr_len(p->family) ||
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
 * uplink-add, in three parts: the tap, its transmit queue length, the guard.
 *
 * The tap: a persistent one, made before slirp4netns starts: slirp4netns then
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
 */
static int tap_add(char *why, size_t whylen)
{
	const char *name = PROTO_UPLINK_TAP;
	struct ifreq ifr;
	int err = 0;

	/*
	 * The clone device opened at start-up (prepare_files()), used once:
	 * uplink-add runs once a run (PROTO_ONCE, the dispatcher's), so
	 * this is the one tap of the run.
	 */
	if (tun_fd < 0)
		return sys_fail(tun_err, "open /dev/net/tun", why, whylen);
	memset(&ifr, 0, sizeof(ifr));
	/* ifr_flags is a short, and IFF_TUN_EXCL is its sign bit. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
	_Static_assert(sizeof(PROTO_UPLINK_TAP) <= sizeof(ifr.ifr_name),
		       "the uplink's name fits an ifr_name");
	memcpy(ifr.ifr_name, name, sizeof(PROTO_UPLINK_TAP));
	if (ioctl(tun_fd, TUNSETIFF, &ifr) < 0)
		err = errno == EBUSY ? EEXIST : errno;
	else if (ioctl(tun_fd, TUNSETPERSIST, 1L) < 0)
		err = errno;
	/*
	 * Done with it either way.  Closing a persistent tap only detaches
	 * us.  If TUNSETPERSIST failed, the tap is not persistent and
	 * closing it removes it.
	 */
	close(tun_fd);
	tun_fd = -1;
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
 * (SECURITY.md argues the choice): tap_host's root qdisc is an htb whose
 * default class is 0, so that whatever no filter picks takes htb's direct
 * queue (no class, no rate, the length of the tap's transmit queue when
 * the htb is made); u32 filters at 1: send the four ranges to class 1:1,
 * whose leaf is a pfifo of limit 0, which drops all it gets.  The filters
 * match the destination at fixed offsets from the network header (IPv4:
 * bytes 16-19; IPv6: 24-39), so IP options, extension headers and
 * fragments change nothing; a frame with a VLAN tag is neither IP nor IPv6
 * to the filter, and libslirp drops it as a protocol it does not speak.
 *
 * Those seven objects are seven fixed netlink requests, built with libnl
 * at build time by helper/guard-gen.c (which states them) for ifindex 0:
 * guard_msgs[] below.  Here each is copied, given tap_host's ifindex and
 * sent, and the kernel's answer awaited, as libnl's rtnl_*_add() would.
 */
#include "helper-guard.h"	/* generated: build/gen/ */

/* Send @m for the link @ifindex; wait for the kernel's answer. */
static int guard_send(const struct guard_msg *m, int ifindex)
{
	union {
		struct nlmsghdr h;
		unsigned char b[GUARD_MSG_MAX];
	} buf;
	struct tcmsg *tcm = NLMSG_DATA(&buf.h);
	struct nl_msg *msg;

	/* guard-gen.c made each of length GUARD_MSG_MAX at most. */
	memcpy(buf.b, m->bytes, m->len);
	tcm->tcm_ifindex = ifindex;
	msg = nlmsg_convert(&buf.h);
	/* What rtnl_qdisc_add() does with its message: send, free, wait. */
	return msg ? nl_send_sync(nl, msg) : -NLE_NOMEM;
}

/*
 * The guard's seven requests on tap_host (@ifindex), in order; the first
 * refusal ends it.
 */
static int guard_add(int ifindex, char *why, size_t whylen)
{
	char what[80];
	size_t i;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(guard_msgs) && r >= 0; i++)
		r = guard_send(&guard_msgs[i], ifindex);
	if (r >= 0)
		return 0;
	/* "tap_host: htb qdisc (sch_htb)": what failed, and its module. */
	snprintf(what, sizeof(what), "%s: %s", PROTO_UPLINK_TAP,
		 guard_msgs[i - 1].what);
	r = nl_result(r, what, why, whylen);
	/* The kernel's answer for a qdisc or classifier kind it lacks. */
	if (r == -ENOENT)
		snprintf(why, whylen, "%s: the kernel has none", what);
	return r;
}

/*
 * The uplink: the tap, then its transmit queue length when one is asked,
 * before the guard (the guard's htb takes the tap's queue length as its
 * own when it is made), then the guard.  What is made stays when a later
 * part fails: the front end then stops, and it goes with the namespace.
 *
 * Safe: it creates one persistent tap, of the fixed name PROTO_UPLINK_TAP,
 * in our own network namespace (TUNSETIFF acts in the opener's): through
 * the fixed /dev/net/tun opened at start-up, once a run (PROTO_ONCE), only
 * a tap (IFF_TAP, never replacing or attaching to an existing link:
 * IFF_TUN_EXCL), and the descriptor is closed once the tap is made.  The
 * queue length (1..1000000 packets) is how many packets its qdisc may
 * hold, memory charged to this run's namespace like any other queue.  The
 * guard is a fixed filter (an htb, one class, a pfifo, four u32 filters)
 * on that tap's transmit path; the request carries nothing else.  It only
 * takes packets away (what would reach the host's loopback through
 * slirp4netns), and the namespace's root, the caller, can remove it as it
 * can remove the tap: it protects the host from guests, not from the
 * caller.  The tap goes with the namespace.
 */
static int op_uplink_add(const union proto_payload *u, char *why,
			 size_t whylen)
{
	int ifindex, r = tap_add(why, whylen);

	if (r < 0)
		return r;
	/* One lookup of the new tap, for its queue length and its guard. */
	r = ifindex = link_index(PROTO_UPLINK_TAP);
	if (r >= 0 && u->uplink.txqlen) {
		struct rtnl_link *change = rtnl_link_alloc();

		if (change)
			rtnl_link_set_txqlen(change, u->uplink.txqlen);
		r = link_apply(ifindex, change);
	}
	if (r < 0)
		return nl_result(r, PROTO_UPLINK_TAP, why, whylen);
	return guard_add(ifindex, why, whylen);
}


/* ---- serving ------------------------------------------------------------- */

/*
 * Send one answer; if the front end cannot take it, there is nobody left.
 * Hello's carries the notes of start-up (include/hckns/proto.h).
 */
static void answer(uint16_t op, uint32_t seq, int err, const char *reason)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_answer a;
	int len;

	memset(&a, 0, sizeof(a));
	a.err = err;
	if (op == (PROTO_ANS | PROTO_REQ_HELLO))
		a.notes = start_notes;
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

/* ---- the dispatcher ------------------------------------------------------ */

/* A handler: see "the operations" above. */
typedef int handler(const union proto_payload *u, char *why, size_t whylen);

/*
 * The helper's side of the list (include/hckns/proto.h), indexed by op:
 * each op's handler op_<stem>().  An op of the list without a handler
 * here does not compile.
 */
static handler *const helper_ops[PROTO_REQ__END] = {
#define X(E, stem, wire, payload, valid, permits) [PROTO_REQ_##E] = op_##stem,
	PROTO_OPS(X)
#undef X
};

/*
 * dispatch() - the one place that decides whether a request runs, and
 * runs it: it keeps what this run has admitted, and proto_admit()
 * (protocol/proto.c, pure) judges the list's permits and the arguments
 * against it.
 * @m: a message whose framing proto_decode() accepted.
 * @ans_op: the op of its answer (PROTO_ANS alone when it is no request).
 *
 * No request op, or PROTO_FIRST broken (hello not first, or again), is a
 * protocol violation: answered, and the helper exits.  A request whose
 * arguments are invalid (EINVAL) or that PROTO_ONCE forbids now
 * (EALREADY) is refused, and serving goes on.
 *
 * Return: as a handler: 0, or -errno with a one-line reason in @why that
 * starts with the op's name.
 */
static int dispatch(const struct proto_msg *m, uint16_t ans_op, char *why,
		    size_t whylen)
{
	static uint32_t ran;	/* bitmask by op: admitted this run */
	char reason[PROTO_REASON_MAX] = "";
	int r = proto_admit(m, &ran, why, whylen);

	if (r == -EPROTO)
		violation(ans_op, m->hdr.seq, EPROTO, "%s", why);
	if (r < 0)
		return r;
	nl_kernel_errno = 0;
	r = helper_ops[m->hdr.op](&m->u, reason, sizeof(reason));
	if (r < 0)
		snprintf(why, whylen, "%s %s", proto_op_name(m->hdr.op), reason);
	return r;
}

/*
 * serve() - answer requests on SOCK_FD until EOF.
 *
 * Every request gets exactly one answer with its sequence number.  Framing
 * is checked here (a violation otherwise); whether a message is a request
 * that runs is dispatch()'s.
 */
static void __attribute__((noreturn)) serve(void)
{
	for (;;) {
		unsigned char buf[PROTO_MSG_MAX + 1];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		/*
		 * No control buffer: no op takes descriptors (include/hckns/
		 * proto.h).  The kernel discards, closing them, any that come
		 * with a message, before one could enter our descriptor
		 * table, and says so with MSG_CTRUNC: a violation.
		 */
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		char why[PROTO_REASON_MAX];
		struct proto_msg m;
		uint16_t ans_op;
		ssize_t n;
		int r;

		n = recvmsg(SOCK_FD, &mh, /* flags= */ 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("receive a request", strerror(errno));
		if (n == 0 && !(mh.msg_flags & MSG_CTRUNC) && peer_gone())
			helper_exit(0);		/* EOF: the front end is done */

		/*
		 * buf holds one byte more than any message: one cut there
		 * (MSG_TRUNC) is at least that long, which proto_decode()
		 * refuses as longer than PROTO_MSG_MAX.  Refused or not, m.hdr
		 * holds the header when one came: its seq answers it.
		 */
		r = proto_decode(buf, (mh.msg_flags & MSG_TRUNC) ? sizeof(buf) :
				 (size_t)n, &m, why, sizeof(why));
		ans_op = r == 0 && !(m.hdr.op & PROTO_ANS) ?
			 (uint16_t)(PROTO_ANS | m.hdr.op) : PROTO_ANS;

		if (mh.msg_flags & MSG_CTRUNC)
			violation(ans_op, m.hdr.seq, EPROTO, "unexpected control data");
		if (r < 0)
			violation(ans_op, m.hdr.seq, -r, "%s", why);
		r = dispatch(&m, ans_op, why, sizeof(why));
		answer(ans_op, m.hdr.seq, -r, r == 0 ? "" : why);
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
 * CAP_SETPCAP), then clears the ambient set.  Whether the kernel agrees is
 * read once, from outside, by the front end, the one peer, which decides
 * whether to go on: fe_helper_status_check() (frontend/helper_client.c)
 * after hello, before any other request.
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
 * in_initial_userns() - is this the machine's initial user namespace?
 *
 * Its uid_map is the identity over the whole range.  Run there (by root, by
 * hand), the two capabilities we keep would be real ones on the host, and
 * set_up_namespaces() would change the host's mounts and sysctls: refuse
 * instead.
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
 * A new @type on the fixed @target, no options: the kernel's defaults,
 * nothing from the front end.  The kernel refuses it (EPERM) where the
 * host's has parts hidden under other mounts, as some container runtimes
 * leave it (a new one would show them): then the host's stays there,
 * hello's answer says @note, and the run goes on.  Any other failure ends
 * the helper.
 */
static void mount_fresh(const char *type, const char *target, uint32_t note)
{
	char what[64];

	if (mount(type, target, type, MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0)
		return;
	if (errno == EPERM) {
		start_notes |= note;
		return;
	}
	snprintf(what, sizeof(what), "mount a fresh %s on %s", type, target);
	die(what, strerror(errno));
}

/*
 * set_up_namespaces() - what every run needs and no request chooses, done
 * once at start-up, before the filter and before any request is read:
 * nothing here comes from the front end.  The namespaces are this run's
 * own (see "the operations" below), and "/" is private first.
 *
 * "/" recursively private: no mount of ours propagates to the host's
 * mount namespace (a mount namespace made in a new user namespace
 * sends none anyway, mount_namespaces(7); this makes it explicit, and
 * the host's later mounts stop appearing here).
 *
 * A proc of the PID namespace we are PID 1 of (proc takes the mounter's)
 * on /proc, hiding the host's there: `ps` inside shows the instance.  It
 * shows our own PID namespace, which only this run's processes are in:
 * less than the host's proc it covers, which stays where it was, below.
 *
 * A sysfs of the network namespace we are in (sysfs takes the mounter's)
 * on /sys, hiding the host's there: /sys/class/net lists the instance's
 * links, no more than the namespace's root could see with ip(8).
 *
 * "0" written to the three bridge-netfilter sysctls, fixed paths, no
 * others: bridged frames then do not go through the namespace's
 * iptables.  They are per network namespace (Linux >= 5.3); where
 * they are not, the kernel does not show them or refuses namespace
 * root.  Missing (ENOENT): no br_netfilter, nothing filters.
 */
static void set_up_namespaces(void)
{
	static const char *const brnf_paths[] = {
		"/proc/sys/net/bridge/bridge-nf-call-arptables",
		"/proc/sys/net/bridge/bridge-nf-call-iptables",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
	};
	char what[96];

	/* Source and type are ignored for a propagation change. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private", strerror(errno));
	mount_fresh("proc", "/proc", PROTO_NOTE_NO_PROC);
	mount_fresh("sysfs", "/sys", PROTO_NOTE_NO_SYSFS);
	for (size_t i = 0; i < ARRAY_SIZE(brnf_paths); i++) {
		int fd = open(brnf_paths[i], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0 && errno == ENOENT)
			continue;
		snprintf(what, sizeof(what), "write 0 to %s", brnf_paths[i]);
		if (fd < 0)
			die(what, strerror(errno));
		errno = EIO;	/* a short write leaves errno alone */
		if (write(fd, "0", 1) != 1)
			die(what, strerror(errno));
		close(fd);
	}
}

/*
 * prepare_resolv() - resolv-set's half made at start-up: a handle on the
 * host's /etc, a tmpfs (64 KiB, 16 inodes, nosuid, nodev, noexec) mounted
 * on /etc with an empty resolv.conf open for writing, and the host's /etc
 * bound back over that tmpfs, recursively, so that /etc looks as it did
 * until resolv-set puts its overlay on top.  The tmpfs stays reachable
 * through the descriptor only.  "/" is private by now
 * (set_up_namespaces()): these mounts stay in our mount namespace.  A
 * failure is kept for resolv-set to answer.
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
 * only) and resolv-set's /etc (prepare_resolv()).
 */
static void prepare_files(void)
{
	tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	tun_err = tun_fd < 0 ? errno : 0;
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
	set_up_namespaces();
	prepare_files();
	confine_syscalls();
	serve();
}
