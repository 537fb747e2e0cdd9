// SPDX-License-Identifier: MIT
/*
 * Unit tests of the topology (model/topology.c): what the options build,
 * the addresses that follow from slirp4netns's network, every refusal with
 * its exact reason, and the helper requests a topology becomes.
 *
 * The options go through fe_parse_opts() first, as on the command line.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/opts.h"
#include "model/topology.h"
#include "hckns/proto.h"
#include "suites.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define ERRLEN 512

/* Parse the NULL-terminated options in @args into @o. */
static void parse_args(struct fe_opts *o, const char *const *args)
{
	static char *argv[64];
	char err[256] = "";
	int argc = 0;

	argv[argc++] = "hckns";
	for (; *args && argc < 63; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ck_assert_msg(fe_parse_opts(argc, argv, NULL, o, err, sizeof(err)) == 0,
		      "options refused: %s", err);
}

/* Build the topology of the options in @args; the reason goes to @err. */
static int build_args(struct fe_topology *t, char *err,
		      const char *const *args)
{
	struct fe_opts o;

	parse_args(&o, args);
	memset(err, 'x', ERRLEN);
	return fe_topology_build(&o, t, err, ERRLEN);
}

#define BUILD_OK(t, ...)                                                    \
	do {                                                                \
		static const char *const args_[] = { __VA_ARGS__, NULL };   \
		char err_[ERRLEN];                                          \
		ck_assert_msg(build_args((t), err_, args_) == 0,            \
			      "refused: %s", err_);                         \
	} while (0)

static const char *ip4(const uint8_t a[4])
{
	static char text[4][INET_ADDRSTRLEN];
	static int k;

	k = (k + 1) % 4;
	inet_ntop(AF_INET, a, text[k], sizeof(text[k]));
	return text[k];
}

/* "NAME ADDR/PREFIX" or "NAME -" for every bridge, in order, "; " between. */
static const char *bridges_text(const struct fe_topology *t)
{
	static char text[1024];
	size_t used = 0;

	text[0] = '\0';
	for (size_t i = 0; i < t->nbridges; i++) {
		const struct fe_bridge *b = &t->bridges[i];

		if (b->prefixlen)
			used += (size_t)snprintf(text + used, sizeof(text) - used,
						 "%s%s %s/%u", i ? "; " : "",
						 b->name, ip4(b->addr),
						 b->prefixlen);
		else
			used += (size_t)snprintf(text + used, sizeof(text) - used,
						 "%s%s -", i ? "; " : "", b->name);
	}
	return text;
}

/* ---- the steps ------------------------------------------------------------ */

static int steps_of(const struct fe_topology *t, struct fe_step *s)
{
	int n = fe_topology_steps(t, s, FE_TOPO_STEPS_MAX);
	char why[PROTO_REASON_MAX];

	ck_assert_int_gt(n, 0);
	/* Every step is a request the helper would accept. */
	for (int i = 0; i < n; i++) {
		struct proto_msg m = { .hdr = { .op = s[i].op } };

		ck_assert_int_eq((long)s[i].plen, proto_payload_size(s[i].op));
		memcpy(&m.u, &s[i].p, s[i].plen);
		ck_assert_msg(proto_validate(&m, why, sizeof(why)) == 0,
			      "step %d (%s): %s", i, s[i].what, why);
	}
	return n;
}

static const char *step_ifname(const struct fe_step *s)
{
	switch ((enum proto_op)s->op) {
	case PROTO_REQ_BRIDGE_ADD:
		return s->p.link.ifname;
	case PROTO_REQ_LINK_SET:
		return s->p.link_set.ifname;
	case PROTO_REQ_UPLINK_ADD:	/* the name is the protocol's, not sent */
		return PROTO_UPLINK_TAP;
	case PROTO_REQ_ADDR_ADD:
		return s->p.addr.ifname;
	case PROTO_REQ_ROUTE_ADD:
		return s->p.route.ifname;
	case PROTO_REQ_LINK_ENSLAVE:
		return s->p.enslave.ifname;
	case PROTO_REQ_HELLO:
	case PROTO_REQ_RESOLV_SET:
	case PROTO_REQ__NONE:
	case PROTO_REQ__END:
	default:
		return NULL;
	}
}

/* The @k-th (from 0) step of @op on @name (any name when NULL). */
static const struct fe_step *find_nth(const struct fe_step *s, int n,
				      uint16_t op, const char *name, int k)
{
	for (int i = 0; i < n; i++) {
		const char *ifname = step_ifname(&s[i]);

		if (s[i].op != op)
			continue;
		if ((!name || (ifname && strcmp(ifname, name) == 0)) && k-- == 0)
			return &s[i];
	}
	return NULL;
}

static const struct fe_step *find(const struct fe_step *s, int n, uint16_t op,
				  const char *name)
{
	return find_nth(s, n, op, name, 0);
}

/* The link-set step on @name that brings it up (@up) or sets its MTU. */
static const struct fe_step *find_link_set(const struct fe_step *s, int n,
					   const char *name, bool up)
{
	const struct fe_step *x;

	for (int k = 0; (x = find_nth(s, n, PROTO_REQ_LINK_SET, name, k)); k++)
		if (up ? x->p.link_set.up != 0 : x->p.link_set.mtu != 0)
			return x;
	return NULL;
}

#define find_up(s, n, name) find_link_set((s), (n), (name), true)
#define find_mtu(s, n, name) find_link_set((s), (n), (name), false)

/* How many link-set steps set an MTU. */
static int count_mtu(const struct fe_step *s, int n)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += s[i].op == PROTO_REQ_LINK_SET && s[i].p.link_set.mtu != 0;
	return c;
}

static int count(const struct fe_step *s, int n, uint16_t op)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += s[i].op == op;
	return c;
}

static int index_of(const struct fe_step *s, const struct fe_step *x)
{
	ck_assert_ptr_nonnull(x);
	return (int)(x - s);
}

/* The address step of @family on @name, as "ADDR/PREFIX"; "" if none. */
static const char *addr_on(const struct fe_step *s, int n, const char *name,
			   uint8_t family)
{
	static char text[INET6_ADDRSTRLEN + 8];
	const struct fe_step *x;

	for (int k = 0; (x = find_nth(s, n, PROTO_REQ_ADDR_ADD, name, k)); k++) {
		char a[INET6_ADDRSTRLEN];

		if (x->p.addr.family != family)
			continue;
		inet_ntop(family, x->p.addr.addr, a, sizeof(a));
		snprintf(text, sizeof(text), "%s/%u", a, x->p.addr.prefixlen);
		return text;
	}
	return "";
}

/* The default route of @family, as "via GW dev NAME"; "" if none. */
static const char *default_route(const struct fe_step *s, int n,
				 uint8_t family)
{
	static char text[128];
	const struct fe_step *x;

	for (int k = 0; (x = find_nth(s, n, PROTO_REQ_ROUTE_ADD, NULL, k)); k++) {
		char gw[INET6_ADDRSTRLEN];

		if (x->p.route.family != family)
			continue;
		ck_assert_int_eq(x->p.route.dst_len, 0);
		inet_ntop(family, x->p.route.gateway, gw, sizeof(gw));
		snprintf(text, sizeof(text), "via %s dev %s", gw,
			 x->p.route.ifname);
		return text;
	}
	return "";
}

/* ---- the default network --------------------------------------------------- */

START_TEST(test_default_values)
{
	struct fe_topology t;

	BUILD_OK(&t, "--mtu", "1500");
	ck_assert_str_eq(bridges_text(&t), "br_world 10.0.2.100/24; "
			 "br_ctrl 192.168.100.100/24; br_test -; br_debug -");
	ck_assert_str_eq(t.bridges[t.uplink].name, "br_world");
	ck_assert_str_eq(t.cidr, "10.0.2.0/24");
	ck_assert_str_eq(ip4(t.net), "10.0.2.0");
	ck_assert_uint_eq(t.prefixlen, 24);
	ck_assert_str_eq(ip4(t.gateway), "10.0.2.2");
	ck_assert_str_eq(ip4(t.slirp_dns), "10.0.2.3");
	ck_assert_str_eq(ip4(t.dhcp_first), "10.0.2.15");
	ck_assert_str_eq(ip4(t.dhcp_last), "10.0.2.30");
	ck_assert_int_eq(t.dns_family, AF_INET);
	ck_assert_str_eq(ip4(t.dns), "10.0.2.3");
	ck_assert_str_eq(fe_topology_guest_addr(&t), "10.0.2.100");
	ck_assert(!t.ipv6);
	ck_assert_uint_eq(t.mtu, 1500);
	ck_assert_uint_eq(t.txqueuelen, 0);
}
END_TEST

/* The default steps: doc/design.md's table, in an order that works. */
START_TEST(test_default_steps)
{
	static const char *const bridges[] = { "br_world", "br_ctrl", "br_test",
					       "br_debug" };
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x, *y;
	int n;

	BUILD_OK(&t, "-v");
	n = steps_of(&t, s);
	/*
	 * tap_host and its guard first of all, one request alone before
	 * slirp4netns starts (which attaches to the tap and reads what the
	 * guard lets through); then resolv-set, the one mount a step asks
	 * for: "/" private, /proc, /sys and the bridge-netfilter sysctls are
	 * the helper's start-up (hckns-helper.c), no step of the topology.
	 */
	ck_assert_int_eq(s[0].op, PROTO_REQ_UPLINK_ADD);
	ck_assert_int_eq((long)s[0].plen, sizeof(struct proto_uplink));
	ck_assert_uint_eq(s[0].p.uplink.txqlen, 0);
	ck_assert(s[0].before_slirp);
	ck_assert_int_eq(count(s, n, PROTO_REQ_UPLINK_ADD), 1);
	ck_assert_int_eq(s[1].op, PROTO_REQ_RESOLV_SET);
	ck_assert(!s[1].before_slirp);
	ck_assert_int_eq(count(s, n, PROTO_REQ_RESOLV_SET), 1);
	x = find(s, n, PROTO_REQ_RESOLV_SET, NULL);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->p.resolv.family, AF_INET);
	ck_assert_mem_eq(x->p.resolv.addr, ((uint8_t[16]){ 10, 0, 2, 3 }), 16);
	ck_assert_str_eq(find_up(s, n, "lo")->what, "link-set lo up");
	for (size_t i = 0; i < 4; i++) {
		x = find(s, n, PROTO_REQ_BRIDGE_ADD, bridges[i]);
		y = find_up(s, n, bridges[i]);
		/* One link-set a bridge, after its addresses. */
		ck_assert_ptr_eq(find_nth(s, n, PROTO_REQ_LINK_SET, bridges[i], 1),
				 NULL);
		ck_assert_int_lt(index_of(s, x), index_of(s, y));
		ck_assert(!x->before_slirp && !y->before_slirp);
		/* In the table's order. */
		if (i)
			ck_assert_int_lt(index_of(s, find(s, n, PROTO_REQ_BRIDGE_ADD,
							  bridges[i - 1])),
					 index_of(s, x));
	}
	ck_assert_str_eq(addr_on(s, n, "br_world", AF_INET), "10.0.2.100/24");
	ck_assert_str_eq(addr_on(s, n, "br_ctrl", AF_INET), "192.168.100.100/24");
	ck_assert_str_eq(addr_on(s, n, "br_test", AF_INET), "");
	ck_assert_str_eq(addr_on(s, n, "br_debug", AF_INET), "");
	ck_assert_int_eq(count(s, n, PROTO_REQ_ADDR_ADD), 2);
	ck_assert_str_eq(default_route(s, n, AF_INET), "via 10.0.2.2 dev br_world");
	ck_assert_str_eq(default_route(s, n, AF_INET6), "");
	ck_assert_int_eq(count(s, n, PROTO_REQ_ROUTE_ADD), 1);
	ck_assert_int_lt(index_of(s, find(s, n, PROTO_REQ_ADDR_ADD, "br_ctrl")),
			 index_of(s, find_up(s, n, "br_ctrl")));
	ck_assert_str_eq(find_up(s, n, "br_world")->what,
			 "link-set br_world mtu 1500 up");
	ck_assert_str_eq(find_up(s, n, "br_ctrl")->what, "link-set br_ctrl up");
	/* No --txqueuelen: the kernel's is left alone. */
	ck_assert_str_eq(s[0].what, "make tap_host guarded against packets to "
			 "loopback addresses");
}
END_TEST

START_TEST(test_default_steps_tap)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x, *y;
	int n;

	BUILD_OK(&t, "-v");
	n = steps_of(&t, s);
	/*
	 * The tap: the helper makes it (uplink-add) before any bridge and
	 * before any other step on it, so that slirp4netns attaches to it;
	 * then its MTU, enslaved, up.  Nothing waits for slirp4netns any more.
	 */
	y = find(s, n, PROTO_REQ_UPLINK_ADD, "tap_host");
	ck_assert_ptr_nonnull(y);
	ck_assert_int_eq(count(s, n, PROTO_REQ_UPLINK_ADD), 1);
	ck_assert_str_eq(y->what, "make tap_host guarded against packets to "
			 "loopback addresses");
	ck_assert_int_lt(index_of(s, y),
			 index_of(s, find(s, n, PROTO_REQ_BRIDGE_ADD, NULL)));
	x = find(s, n, PROTO_REQ_LINK_ENSLAVE, "tap_host");
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->p.enslave.master, "br_world");
	for (int i = 0; i < n; i++) {
		ck_assert_msg(s[i].before_slirp == (i == 0), "step %s", s[i].what);
		if (strstr(s[i].what, "tap_host") && &s[i] != y)
			ck_assert_msg(index_of(s, y) < i, "step %s before "
				      "uplink-add", s[i].what);
	}
	ck_assert_int_lt(index_of(s, find_mtu(s, n, "tap_host")), index_of(s, x));
	ck_assert_str_eq(find_mtu(s, n, "tap_host")->what,
			 "link-set tap_host mtu 1500");
	ck_assert_int_lt(index_of(s, x), index_of(s, find_up(s, n, "tap_host")));
	ck_assert_str_eq(s[n - 1].what, "link-set tap_host up");
}
END_TEST

START_TEST(test_mtu)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x;
	int n;

	BUILD_OK(&t, "--mtu", "65520");
	n = steps_of(&t, s);
	x = find_mtu(s, n, "tap_host");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->p.link_set.mtu, 65520);
	ck_assert_uint_eq(x->p.link_set.up, 0);
	x = find_mtu(s, n, "br_world");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->p.link_set.mtu, 65520);
	ck_assert_uint_eq(x->p.link_set.up, 1);
	/* Only the uplink and the tap: the other bridges keep theirs. */
	ck_assert_int_eq(count_mtu(s, n), 2);
}
END_TEST

START_TEST(test_nospace)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	int n;

	BUILD_OK(&t, "-v");
	n = fe_topology_steps(&t, s, FE_TOPO_STEPS_MAX);
	ck_assert_int_gt(n, 1);
	ck_assert_int_eq(fe_topology_steps(&t, s, (size_t)n - 1), -ENOSPC);
	ck_assert_int_eq(fe_topology_steps(&t, s, (size_t)n), n);
	ck_assert_int_eq(fe_topology_steps(&t, s, 0), -ENOSPC);
}
END_TEST

/* The largest topology there can be fits in FE_TOPO_STEPS_MAX steps. */
START_TEST(test_largest_fits)
{
	static char specs[FE_BRIDGE_MAX][32];
	const char *args[2 * FE_BRIDGE_MAX + 16];
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	char err[ERRLEN];
	size_t k = 0;
	int n;

	for (int i = 0; i < FE_BRIDGE_MAX; i++) {
		snprintf(specs[i], sizeof(specs[i]), "extra%02d:172.%d.0.1/16",
			 i, 16 + i);
		args[k++] = "--bridge";
		args[k++] = specs[i];
	}
	args[k++] = "--ipv6";
	args[k++] = "--txqueuelen";
	args[k++] = "2000";
	args[k++] = "--mtu";
	args[k++] = "9000";
	args[k] = NULL;
	ck_assert_msg(build_args(&t, err, args) == 0, "refused: %s", err);
	ck_assert_uint_eq(t.nbridges, FE_TOPO_BRIDGES_MAX);
	n = steps_of(&t, s);
	ck_assert_int_le(n, FE_TOPO_STEPS_MAX);
	ck_assert_int_eq(count(s, n, PROTO_REQ_BRIDGE_ADD), FE_TOPO_BRIDGES_MAX);
	ck_assert_int_eq(count(s, n, PROTO_REQ_ADDR_ADD), FE_BRIDGE_MAX + 3);
}
END_TEST

/* ---- options, one at a time ------------------------------------------------ */

START_TEST(test_cidr_derived)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x;
	int n;

	BUILD_OK(&t, "--cidr", "10.11.12.0/24");
	ck_assert_str_eq(t.cidr, "10.11.12.0/24");
	ck_assert_str_eq(ip4(t.gateway), "10.11.12.2");
	ck_assert_str_eq(ip4(t.slirp_dns), "10.11.12.3");
	ck_assert_str_eq(ip4(t.dhcp_first), "10.11.12.15");
	ck_assert_str_eq(ip4(t.dhcp_last), "10.11.12.30");
	ck_assert_str_eq(bridges_text(&t), "br_world 10.11.12.100/24; "
			 "br_ctrl 192.168.100.100/24; br_test -; br_debug -");
	ck_assert_str_eq(fe_topology_guest_addr(&t), "10.11.12.100");
	n = steps_of(&t, s);
	ck_assert_str_eq(default_route(s, n, AF_INET),
			 "via 10.11.12.2 dev br_world");
	x = find(s, n, PROTO_REQ_RESOLV_SET, NULL);
	ck_assert_str_eq(ip4(x->p.resolv.addr), "10.11.12.3");
	ck_assert_str_eq(x->what, "point /etc/resolv.conf at 10.11.12.3");

	/* The widest and the narrowest network slirp4netns takes. */
	BUILD_OK(&t, "--cidr", "10.0.0.0/8");
	ck_assert_str_eq(ip4(t.gateway), "10.0.0.2");
	ck_assert_str_eq(bridges_text(&t), "br_world 10.0.0.100/8; "
			 "br_ctrl 192.168.100.100/24; br_test -; br_debug -");
	BUILD_OK(&t, "--cidr", "172.16.5.128/25");
	ck_assert_str_eq(t.cidr, "172.16.5.128/25");
	ck_assert_str_eq(ip4(t.gateway), "172.16.5.130");
	ck_assert_str_eq(ip4(t.slirp_dns), "172.16.5.131");
	ck_assert_str_eq(ip4(t.dhcp_first), "172.16.5.143");
	ck_assert_str_eq(ip4(t.dhcp_last), "172.16.5.158");
	ck_assert_str_eq(fe_topology_guest_addr(&t), "172.16.5.228");
	ck_assert_uint_eq(t.bridges[0].prefixlen, 25);
}
END_TEST

START_TEST(test_dns)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x;
	char a[INET6_ADDRSTRLEN];
	int n;

	BUILD_OK(&t, "--cidr", "10.11.12.0/24", "--dns", "10.11.12.53");
	n = steps_of(&t, s);
	x = find(s, n, PROTO_REQ_RESOLV_SET, NULL);
	ck_assert_int_eq(x->p.resolv.family, AF_INET);
	ck_assert_str_eq(ip4(x->p.resolv.addr), "10.11.12.53");
	/* slirp's own addresses do not move. */
	ck_assert_str_eq(ip4(t.slirp_dns), "10.11.12.3");
	BUILD_OK(&t, "--dns", "fd00::3");
	n = steps_of(&t, s);
	x = find(s, n, PROTO_REQ_RESOLV_SET, NULL);
	ck_assert_int_eq(x->p.resolv.family, AF_INET6);
	ck_assert_str_eq(inet_ntop(AF_INET6, x->p.resolv.addr, a, sizeof(a)),
			 "fd00::3");
	BUILD_OK(&t, "--dns", "1.1.1.1");
	ck_assert_str_eq(ip4(t.dns), "1.1.1.1");
}
END_TEST

START_TEST(test_ipv6)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	int n;

	BUILD_OK(&t, "--ipv6");
	ck_assert(t.ipv6);
	BUILD_OK(&t, "--ipv6", "--mtu", "1280");
	n = steps_of(&t, s);
	ck_assert_str_eq(addr_on(s, n, "br_world", AF_INET6), "fd00::100/64");
	ck_assert_str_eq(addr_on(s, n, "br_world", AF_INET), "10.0.2.100/24");
	ck_assert_str_eq(default_route(s, n, AF_INET6), "via fd00::2 dev br_world");
	ck_assert_str_eq(default_route(s, n, AF_INET), "via 10.0.2.2 dev br_world");
	ck_assert_int_eq(count(s, n, PROTO_REQ_ROUTE_ADD), 2);
	/* Nothing IPv6 on the other bridges. */
	ck_assert_str_eq(addr_on(s, n, "br_ctrl", AF_INET6), "");
	/* It follows the uplink. */
	BUILD_OK(&t, "--ipv6", "--no-default-bridges", "--bridge", "wan");
	n = steps_of(&t, s);
	ck_assert_str_eq(addr_on(s, n, "wan", AF_INET6), "fd00::100/64");
	ck_assert_str_eq(default_route(s, n, AF_INET6), "via fd00::2 dev wan");
}
END_TEST

START_TEST(test_txqueuelen)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x;
	int n;

	BUILD_OK(&t, "--txqueuelen", "2000");
	ck_assert_uint_eq(t.txqueuelen, 2000);
	n = steps_of(&t, s);
	/*
	 * In uplink-add, which makes the tap, sets its queue length before
	 * the guard (whose htb takes it when it is made), before slirp4netns
	 * starts.
	 */
	x = find(s, n, PROTO_REQ_UPLINK_ADD, NULL);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->p.uplink.txqlen, 2000);
	ck_assert_str_eq(x->what, "make tap_host (txqueuelen 2000) guarded "
			 "against packets to loopback addresses");
	ck_assert(x->before_slirp);
	ck_assert_int_eq(index_of(s, x), 0);
	ck_assert_int_eq(count(s, n, PROTO_REQ_UPLINK_ADD), 1);
	ck_assert(!s[1].before_slirp);
	/* Before the tap goes up. */
	ck_assert_int_lt(index_of(s, x), index_of(s, find_up(s, n, "tap_host")));
}
END_TEST

/* The example of the README: a network of two bridges of one's own. */
START_TEST(test_custom)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	const struct fe_step *x;
	int n;

	BUILD_OK(&t, "--no-default-bridges", "--bridge", "lan:172.30.0.1/24",
		 "--bridge", "wan", "--uplink", "wan", "--cidr", "10.11.12.0/24",
		 "--mtu", "9000", "--txqueuelen", "2000");
	ck_assert_str_eq(bridges_text(&t), "lan 172.30.0.1/24; wan 10.11.12.100/24");
	ck_assert_str_eq(t.bridges[t.uplink].name, "wan");
	ck_assert_str_eq(fe_topology_guest_addr(&t), "10.11.12.100");
	n = steps_of(&t, s);
	ck_assert_int_eq(count(s, n, PROTO_REQ_BRIDGE_ADD), 2);
	ck_assert_str_eq(addr_on(s, n, "lan", AF_INET), "172.30.0.1/24");
	ck_assert_str_eq(addr_on(s, n, "wan", AF_INET), "10.11.12.100/24");
	ck_assert_str_eq(default_route(s, n, AF_INET), "via 10.11.12.2 dev wan");
	x = find(s, n, PROTO_REQ_LINK_ENSLAVE, "tap_host");
	ck_assert_str_eq(x->p.enslave.master, "wan");
	ck_assert_uint_eq(find_mtu(s, n, "wan")->p.link_set.mtu,
			  9000);
	ck_assert_uint_eq(find_mtu(s, n, "tap_host")->p.link_set.mtu,
			  9000);
	ck_assert_ptr_null(find_mtu(s, n, "lan"));
	ck_assert_ptr_null(find(s, n, PROTO_REQ_BRIDGE_ADD, "br_world"));
	ck_assert_str_eq(ip4(find(s, n, PROTO_REQ_RESOLV_SET, NULL)->p.resolv.addr),
			 "10.11.12.3");
}
END_TEST

START_TEST(test_uplink_choice)
{
	struct fe_topology t;
	struct fe_step s[FE_TOPO_STEPS_MAX];
	int n;

	/* Without --uplink and without the defaults: the first --bridge. */
	BUILD_OK(&t, "--no-default-bridges", "--bridge", "wan", "--bridge",
		 "lan:172.30.0.1/24");
	ck_assert_str_eq(bridges_text(&t), "wan 10.0.2.100/24; lan 172.30.0.1/24");
	ck_assert_uint_eq(t.uplink, 0);
	/* --uplink among the defaults: br_world then has no address. */
	BUILD_OK(&t, "--uplink", "br_test");
	ck_assert_str_eq(bridges_text(&t), "br_world -; "
			 "br_ctrl 192.168.100.100/24; br_test 10.0.2.100/24; "
			 "br_debug -");
	n = steps_of(&t, s);
	ck_assert_str_eq(find(s, n, PROTO_REQ_LINK_ENSLAVE, "tap_host")
			 ->p.enslave.master, "br_test");
	ck_assert_str_eq(default_route(s, n, AF_INET), "via 10.0.2.2 dev br_test");
	ck_assert_ptr_null(find_mtu(s, n, "br_world"));
	ck_assert_ptr_nonnull(find_mtu(s, n, "br_test"));
	/* br_ctrl as the uplink takes slirp's address instead of its own. */
	BUILD_OK(&t, "--uplink", "br_ctrl");
	ck_assert_str_eq(bridges_text(&t), "br_world -; br_ctrl 10.0.2.100/24; "
			 "br_test -; br_debug -");
	/* An added bridge as the uplink. */
	BUILD_OK(&t, "--bridge", "wan", "--uplink", "wan");
	ck_assert_str_eq(bridges_text(&t), "br_world -; "
			 "br_ctrl 192.168.100.100/24; br_test -; br_debug -; "
			 "wan 10.0.2.100/24");
	/* The same --uplink twice is one uplink. */
	BUILD_OK(&t, "--uplink", "br_world", "--uplink", "br_world");
	ck_assert_uint_eq(t.uplink, 0);
}
END_TEST

START_TEST(test_bridge_option)
{
	struct fe_topology t;

	/* A default bridge readdressed, or named again without an address. */
	BUILD_OK(&t, "--bridge", "br_ctrl:192.168.200.1/24", "--bridge",
		 "br_test");
	ck_assert_str_eq(bridges_text(&t), "br_world 10.0.2.100/24; "
			 "br_ctrl 192.168.200.1/24; br_test -; br_debug -");
	/* The uplink's own address, in slirp's network. */
	BUILD_OK(&t, "--bridge", "br_world:10.0.2.50/24");
	ck_assert_str_eq(bridges_text(&t), "br_world 10.0.2.50/24; "
			 "br_ctrl 192.168.100.100/24; br_test -; br_debug -");
	ck_assert_str_eq(fe_topology_guest_addr(&t), "10.0.2.50");
	BUILD_OK(&t, "--cidr", "10.11.12.0/24", "--bridge",
		 "br_world:10.11.12.254/24");
	ck_assert_str_eq(fe_topology_guest_addr(&t), "10.11.12.254");
	/* New bridges after the defaults, in order. */
	BUILD_OK(&t, "--bridge", "x1", "--bridge", "x2:172.31.255.254/16",
		 "--bridge", "br_debug:10.99.0.1/32", "--bridge",
		 "x3:10.98.0.0/31");
	ck_assert_str_eq(bridges_text(&t), "br_world 10.0.2.100/24; "
			 "br_ctrl 192.168.100.100/24; br_test -; "
			 "br_debug 10.99.0.1/32; x1 -; x2 172.31.255.254/16; "
			 "x3 10.98.0.0/31");
	/* Names the kernel takes: 15 bytes, dots, dashes, UTF-8. */
	BUILD_OK(&t, "--bridge", "123456789012345", "--bridge", "a.b-c_d",
		 "--bridge", "caf\xc3\xa9");
	ck_assert_uint_eq(t.nbridges, 7);
	/* Without the defaults, a default name is just a name. */
	BUILD_OK(&t, "--no-default-bridges", "--bridge",
		 "br_ctrl:192.168.100.1/24", "--bridge", "br_world",
		 "--uplink", "br_world");
	ck_assert_str_eq(bridges_text(&t), "br_ctrl 192.168.100.1/24; "
			 "br_world 10.0.2.100/24");
}
END_TEST

/* ---- refusals --------------------------------------------------------------- */

struct refusal {
	const char *args[8];
	const char *why;
};

#define NAME_40 "0123456789012345678901234567890123456789"

static const struct refusal refusals[] = {
	/* IPv6 below its minimum link MTU: the kernel would refuse the address. */
	{ { "--ipv6", "--mtu", "1279" },
	  "--ipv6 needs --mtu 1280 or more (IPv6's minimum link MTU), not 1279" },
	{ { "--ipv6", "--mtu", "576" },
	  "--ipv6 needs --mtu 1280 or more (IPv6's minimum link MTU), not 576" },
	/* bridge names */
	{ { "--bridge", "tap_host" },
	  "invalid --bridge 'tap_host': tap_host is the tap slirp4netns serves; "
	  "choose another name" },
	{ { "--bridge", "lo" },
	  "invalid --bridge 'lo': lo is the loopback device; choose another name" },
	{ { "--bridge", "lo:10.9.0.1/24" },
	  "invalid --bridge 'lo:10.9.0.1/24': lo is the loopback device; choose "
	  "another name" },
	{ { "--bridge", "" },
	  "invalid --bridge '': interface name is empty" },
	{ { "--bridge", ":10.9.0.1/24" },
	  "invalid --bridge ':10.9.0.1/24': interface name is empty" },
	{ { "--bridge", "a/b" },
	  "invalid --bridge 'a/b': interface name contains '/'" },
	{ { "--bridge", "a b" },
	  "invalid --bridge 'a b': interface name contains whitespace" },
	{ { "--bridge", "a\tb:10.9.0.1/24" },
	  "invalid --bridge 'a\tb:10.9.0.1/24': interface name contains whitespace" },
	{ { "--bridge", "br\x1b" },
	  "invalid --bridge 'br\x1b': interface name contains a control character" },
	{ { "--bridge", "." },
	  "invalid --bridge '.': interface name may not be \".\" or \"..\"" },
	{ { "--bridge", "..:10.9.0.1/24" },
	  "invalid --bridge '..:10.9.0.1/24': interface name may not be \".\" or "
	  "\"..\"" },
	{ { "--bridge", "0123456789abcdef" },
	  "invalid --bridge '0123456789abcdef': an interface name has at most 15 "
	  "bytes" },
	{ { "--bridge", NAME_40 NAME_40 ":10.9.0.1/24" },
	  "invalid --bridge '" NAME_40 "...': an interface name has at most 15 "
	  "bytes" },
	{ { "--bridge", "br%d" },
	  "invalid --bridge 'br%d': the kernel takes an interface name with '%' "
	  "as a pattern and makes up another name" },
	{ { "--bridge", "all" },
	  "invalid --bridge 'all': the kernel reserves \"all\" and \"default\" "
	  "(its per-interface sysctl directories)" },
	{ { "--bridge", "default:10.9.0.1/24" },
	  "invalid --bridge 'default:10.9.0.1/24': the kernel reserves \"all\" "
	  "and \"default\" (its per-interface sysctl directories)" },
	/* the same bridge twice */
	{ { "--bridge", "lan", "--bridge", "lan" },
	  "--bridge lan given twice ('lan' and 'lan')" },
	{ { "--bridge", "lan:172.30.0.1/24", "--bridge", "lan:172.31.0.1/24" },
	  "--bridge lan given twice ('lan:172.30.0.1/24' and "
	  "'lan:172.31.0.1/24')" },
	{ { "--bridge", "br_ctrl", "--bridge", "br_ctrl:192.168.5.1/24" },
	  "--bridge br_ctrl given twice ('br_ctrl' and 'br_ctrl:192.168.5.1/24')" },
	{ { "--no-default-bridges", "--bridge", "wan", "--bridge",
	    "wan:10.0.2.50/24" },
	  "--bridge wan given twice ('wan' and 'wan:10.0.2.50/24')" },
	/* bridge addresses */
	{ { "--bridge", "lan:172.30.0.1" },
	  "invalid --bridge 'lan:172.30.0.1': give NAME or NAME:ADDR/PREFIX with "
	  "an IPv4 address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:" },
	  "invalid --bridge 'lan:': give NAME or NAME:ADDR/PREFIX with an IPv4 "
	  "address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:172.30.0/24" },
	  "invalid --bridge 'lan:172.30.0/24': give NAME or NAME:ADDR/PREFIX with "
	  "an IPv4 address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:172.030.0.1/24" },
	  "invalid --bridge 'lan:172.030.0.1/24': give NAME or NAME:ADDR/PREFIX "
	  "with an IPv4 address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:172.30.0.1/024" },
	  "invalid --bridge 'lan:172.30.0.1/024': give NAME or NAME:ADDR/PREFIX "
	  "with an IPv4 address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:172.30.0.1/x" },
	  "invalid --bridge 'lan:172.30.0.1/x': give NAME or NAME:ADDR/PREFIX "
	  "with an IPv4 address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:fd00::1/64" },
	  "invalid --bridge 'lan:fd00::1/64': give NAME or NAME:ADDR/PREFIX with "
	  "an IPv4 address, e.g. lan:172.30.0.1/24" },
	{ { "--bridge", "lan:172.30.0.1/33" },
	  "invalid --bridge 'lan:172.30.0.1/33': the prefix length must be 1..32" },
	{ { "--bridge", "lan:172.30.0.1/0" },
	  "invalid --bridge 'lan:172.30.0.1/0': the prefix length must be 1..32" },
	{ { "--bridge", "lan:127.0.0.2/8" },
	  "invalid --bridge 'lan:127.0.0.2/8': the address is in 127.0.0.0/8 "
	  "(loopback)" },
	{ { "--bridge", "lan:0.1.2.3/24" },
	  "invalid --bridge 'lan:0.1.2.3/24': the address is in 0.0.0.0/8 (no "
	  "host)" },
	{ { "--bridge", "lan:224.1.2.3/24" },
	  "invalid --bridge 'lan:224.1.2.3/24': the address is in 224.0.0.0/4 "
	  "(multicast)" },
	{ { "--bridge", "lan:250.1.2.3/24" },
	  "invalid --bridge 'lan:250.1.2.3/24': the address is in 240.0.0.0/4 "
	  "(reserved)" },
	{ { "--bridge", "lan:172.30.0.0/24" },
	  "invalid --bridge 'lan:172.30.0.0/24': that is the network address of "
	  "172.30.0.0/24, not a host's" },
	{ { "--bridge", "lan:172.30.0.255/24" },
	  "invalid --bridge 'lan:172.30.0.255/24': that is the broadcast address "
	  "of 172.30.0.0/24, not a host's" },
	{ { "--bridge", "lan:10.1.2.1/30", "--bridge", "lan2:10.1.2.4/30" },
	  "invalid --bridge 'lan2:10.1.2.4/30': that is the network address of "
	  "10.1.2.4/30, not a host's" },
	/* overlapping subnets */
	{ { "--bridge", "lan:10.0.2.1/16" },
	  "bridges br_world (10.0.2.100/24) and lan (10.0.2.1/16) have "
	  "overlapping subnets: give each its own (--bridge NAME:ADDR/PREFIX, "
	  "--cidr)" },
	{ { "--bridge", "lan:192.168.100.1/25" },
	  "bridges br_ctrl (192.168.100.100/24) and lan (192.168.100.1/25) have "
	  "overlapping subnets: give each its own (--bridge NAME:ADDR/PREFIX, "
	  "--cidr)" },
	{ { "--bridge", "a:172.30.0.1/24", "--bridge", "b:172.30.0.2/32" },
	  "bridges a (172.30.0.1/24) and b (172.30.0.2/32) have overlapping "
	  "subnets: give each its own (--bridge NAME:ADDR/PREFIX, --cidr)" },
	{ { "--cidr", "192.168.0.0/16" },
	  "bridges br_world (192.168.0.100/16) and br_ctrl (192.168.100.100/24) "
	  "have overlapping subnets: give each its own (--bridge "
	  "NAME:ADDR/PREFIX, --cidr)" },
	{ { "--bridge", "br_ctrl:10.0.2.200/24" },
	  "bridges br_world (10.0.2.100/24) and br_ctrl (10.0.2.200/24) have "
	  "overlapping subnets: give each its own (--bridge NAME:ADDR/PREFIX, "
	  "--cidr)" },
	/* the uplink */
	{ { "--uplink", "nosuch" },
	  "--uplink nosuch: not a bridge of this network (the bridges: br_world, "
	  "br_ctrl, br_test, br_debug); add it with --bridge nosuch" },
	{ { "--no-default-bridges", "--bridge", "lan", "--uplink", "br_world" },
	  "--uplink br_world: not a bridge of this network (the bridges: lan); "
	  "add it with --bridge br_world" },
	{ { "--uplink", "tap_host" },
	  "invalid --uplink 'tap_host': tap_host is the tap slirp4netns serves; "
	  "choose another name" },
	{ { "--uplink", "lo" },
	  "invalid --uplink 'lo': lo is the loopback device; choose another name" },
	{ { "--uplink", "a/b" },
	  "invalid --uplink 'a/b': interface name contains '/'" },
	{ { "--uplink", "" },
	  "invalid --uplink '': interface name is empty" },
	{ { "--no-default-bridges" },
	  "--no-default-bridges leaves no bridge: add one with --bridge "
	  "NAME[:ADDR/PREFIX] (the first holds tap_host and the default route, "
	  "or choose one with --uplink)" },
	{ { "--no-default-bridges", "--bridge", "lan:172.30.0.1/24" },
	  "invalid --bridge 'lan:172.30.0.1/24' for the uplink lan: 172.30.0.1 is "
	  "not in slirp4netns's network 10.0.2.0/24; give it an address there, "
	  "or choose the network with --cidr" },
	{ { "--cidr", "10.11.12.0/24", "--bridge", "br_world:10.0.2.100/24" },
	  "invalid --bridge 'br_world:10.0.2.100/24' for the uplink br_world: "
	  "10.0.2.100 is not in slirp4netns's network 10.11.12.0/24; give it an "
	  "address there, or choose the network with --cidr" },
	{ { "--bridge", "br_world:10.0.2.50/16" },
	  "invalid --bridge 'br_world:10.0.2.50/16' for the uplink br_world: its "
	  "prefix length must be slirp4netns's, /24 (10.0.2.0/24)" },
	{ { "--bridge", "br_world:10.0.2.50/25" },
	  "invalid --bridge 'br_world:10.0.2.50/25' for the uplink br_world: its "
	  "prefix length must be slirp4netns's, /24 (10.0.2.0/24)" },
	{ { "--bridge", "br_world:10.0.2.2/24" },
	  "invalid --bridge 'br_world:10.0.2.2/24' for the uplink br_world: "
	  "10.0.2.2 is slirp4netns's gateway" },
	{ { "--bridge", "br_world:10.0.2.3/24" },
	  "invalid --bridge 'br_world:10.0.2.3/24' for the uplink br_world: "
	  "10.0.2.3 is slirp4netns's DNS forwarder" },
	{ { "--cidr", "10.11.12.0/24", "--bridge", "wan:10.11.12.3/24",
	    "--uplink", "wan" },
	  "invalid --bridge 'wan:10.11.12.3/24' for the uplink wan: 10.11.12.3 is "
	  "slirp4netns's DNS forwarder" },
	{ { "--bridge", "br_world:10.0.2.15/24" },
	  "invalid --bridge 'br_world:10.0.2.15/24' for the uplink br_world: "
	  "10.0.2.15 is in 10.0.2.15-10.0.2.30, which slirp4netns leases to DHCP "
	  "clients" },
	{ { "--cidr", "10.11.12.0/24", "--bridge", "br_world:10.11.12.30/24" },
	  "invalid --bridge 'br_world:10.11.12.30/24' for the uplink br_world: "
	  "10.11.12.30 is in 10.11.12.15-10.11.12.30, which slirp4netns leases "
	  "to DHCP clients" },
	{ { "--bridge", "br_world:10.0.2.255/24" },
	  "invalid --bridge 'br_world:10.0.2.255/24': that is the broadcast "
	  "address of 10.0.2.0/24, not a host's" },
	/* --cidr */
	{ { "--cidr", "10.11.12.0" },
	  "invalid --cidr '10.11.12.0': give an IPv4 network A.B.C.D/N, e.g. "
	  "10.0.2.0/24" },
	{ { "--cidr", "10.11.12.0/" },
	  "invalid --cidr '10.11.12.0/': give an IPv4 network A.B.C.D/N, e.g. "
	  "10.0.2.0/24" },
	{ { "--cidr", "10.11.12/24" },
	  "invalid --cidr '10.11.12/24': give an IPv4 network A.B.C.D/N, e.g. "
	  "10.0.2.0/24" },
	{ { "--cidr", "10.11.12.0/024" },
	  "invalid --cidr '10.11.12.0/024': give an IPv4 network A.B.C.D/N, e.g. "
	  "10.0.2.0/24" },
	{ { "--cidr", "fd00::/64" },
	  "invalid --cidr 'fd00::/64': give an IPv4 network A.B.C.D/N, e.g. "
	  "10.0.2.0/24" },
	{ { "--cidr", "" },
	  "invalid --cidr '': give an IPv4 network A.B.C.D/N, e.g. 10.0.2.0/24" },
	{ { "--cidr", "10.11.12.0/33" },
	  "invalid --cidr '10.11.12.0/33': give an IPv4 network A.B.C.D/N, e.g. "
	  "10.0.2.0/24" },
	{ { "--cidr", "10.11.12.0/26" },
	  "invalid --cidr '10.11.12.0/26': the prefix length must be 8..25 "
	  "(slirp4netns puts the uplink's address at network + 100)" },
	{ { "--cidr", "10.0.0.0/7" },
	  "invalid --cidr '10.0.0.0/7': the prefix length must be 8..25 "
	  "(slirp4netns puts the uplink's address at network + 100)" },
	{ { "--cidr", "10.11.12.5/24" },
	  "invalid --cidr '10.11.12.5/24': that is an address in the network, "
	  "not the network; did you mean 10.11.12.0/24?" },
	{ { "--cidr", "10.11.12.128/24" },
	  "invalid --cidr '10.11.12.128/24': that is an address in the network, "
	  "not the network; did you mean 10.11.12.0/24?" },
	{ { "--cidr", "127.0.0.0/8" },
	  "invalid --cidr '127.0.0.0/8': the network is in 127.0.0.0/8 "
	  "(loopback)" },
	{ { "--cidr", "0.0.0.0/8" },
	  "invalid --cidr '0.0.0.0/8': the network is in 0.0.0.0/8 (no host)" },
	{ { "--cidr", "224.0.0.0/24" },
	  "invalid --cidr '224.0.0.0/24': the network is in 224.0.0.0/4 "
	  "(multicast)" },
	{ { "--cidr", "240.0.0.0/8" },
	  "invalid --cidr '240.0.0.0/8': the network is in 240.0.0.0/4 "
	  "(reserved)" },
	/* --dns */
	{ { "--dns", "dns.example" },
	  "invalid --dns 'dns.example': give an IPv4 or IPv6 address, e.g. "
	  "10.0.2.3" },
	{ { "--cidr", "10.11.12.0/24", "--dns", "10.11.12.3/24" },
	  "invalid --dns '10.11.12.3/24': give an IPv4 or IPv6 address, e.g. "
	  "10.11.12.3" },
	{ { "--dns", "" },
	  "invalid --dns '': give an IPv4 or IPv6 address, e.g. 10.0.2.3" },
	{ { "--dns", "127.0.0.53" },
	  "invalid --dns '127.0.0.53': a loopback address is the namespace's "
	  "own, not this host's; give the server's address (slirp4netns forwards "
	  "DNS at 10.0.2.3)" },
	{ { "--dns", "::1" },
	  "invalid --dns '::1': a loopback address is the namespace's own, not "
	  "this host's; give the server's address (slirp4netns forwards DNS at "
	  "10.0.2.3)" },
	{ { "--dns", "0.0.0.0" },
	  "invalid --dns '0.0.0.0': the address is in 0.0.0.0/8 (no host)" },
	{ { "--dns", "255.255.255.255" },
	  "invalid --dns '255.255.255.255': the address is in 240.0.0.0/4 "
	  "(reserved)" },
	{ { "--dns", "239.1.1.1" },
	  "invalid --dns '239.1.1.1': the address is in 224.0.0.0/4 (multicast)" },
	{ { "--dns", "::" },
	  "invalid --dns '::': the address is in ::/128 (unspecified)" },
	{ { "--dns", "ff02::1" },
	  "invalid --dns 'ff02::1': the address is in ff00::/8 (multicast)" },
};

START_TEST(test_refused)
{
	const struct refusal *c = &refusals[_i];
	struct fe_topology t;
	char err[ERRLEN];

	ck_assert_int_eq(build_args(&t, err, c->args), -EINVAL);
	ck_assert_msg(strcmp(err, c->why) == 0, "reason \"%s\", not \"%s\"", err,
		      c->why);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* Options that fe_parse_opts() itself refuses. */
START_TEST(test_refused_by_parser)
{
	static const struct {
		const char *args[6];
		const char *why;
	} cases[] = {
		{ { "--uplink", "lan", "--uplink", "wan" },
		  "--uplink given twice ('lan' and 'wan'): give it once" },
		{ { "--txqueuelen", "0" },
		  "invalid --txqueuelen '0': give a number from 1 to 1000000" },
		{ { "--txqueuelen", "1000001" },
		  "invalid --txqueuelen '1000001': give a number from 1 to 1000000" },
		{ { "--ipv6=yes" },
		  "option '--ipv6' takes no value; see 'hckns --help'" },
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *argv[8] = { "hckns" };
		struct fe_opts o;
		char err[256] = "";
		int argc = 1;

		for (const char *const *a = cases[i].args; *a; a++)
			argv[argc++] = (char *)*a;
		ck_assert_int_eq(fe_parse_opts(argc, argv, NULL, &o, err,
					       sizeof(err)), -EINVAL);
		ck_assert_str_eq(err, cases[i].why);
	}
}
END_TEST

/* A short error buffer gets a cut reason, never more. */
START_TEST(test_short_err)
{
	static const char *const args[] = { "--bridge", "tap_host", NULL };
	struct fe_opts o;
	struct fe_topology t;
	char err[16];

	parse_args(&o, args);
	memset(err, '#', sizeof(err));
	ck_assert_int_eq(fe_topology_build(&o, &t, err, 8), -EINVAL);
	ck_assert_str_eq(err, "invalid");
	ck_assert_int_eq(err[8], '#');
	ck_assert_int_eq(fe_topology_build(&o, &t, NULL, 0), -EINVAL);
}
END_TEST

Suite *make_topology_suite(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("default");

	tcase_add_test(tc, test_default_values);
	tcase_add_test(tc, test_default_steps);
	tcase_add_test(tc, test_default_steps_tap);
	tcase_add_test(tc, test_mtu);
	tcase_add_test(tc, test_nospace);
	tcase_add_test(tc, test_largest_fits);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_test(tc, test_cidr_derived);
	tcase_add_test(tc, test_dns);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_txqueuelen);
	tcase_add_test(tc, test_custom);
	tcase_add_test(tc, test_uplink_choice);
	tcase_add_test(tc, test_bridge_option);
	suite_add_tcase(s, tc);
	tc = tcase_create("refused");
	tcase_add_loop_test(tc, test_refused, 0, N_ELEMENTS(refusals));
	tcase_add_test(tc, test_refused_by_parser);
	tcase_add_test(tc, test_short_err);
	suite_add_tcase(s, tc);
	return s;
}
