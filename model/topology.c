// SPDX-License-Identifier: MIT
/*
 * The network hckns builds, as data: the options make a struct fe_topology
 * (fe_topology_build(), where every value is checked and every clash is
 * refused before anything exists), and fe_topology_steps() turns it into
 * helper requests.  Pure code.
 */
#include "model/topology.h"
#include "model/opts.h"
#include "hckns/proto.h"

#include <stdarg.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

_Static_assert(FE_TXQLEN_MAX <= PROTO_TXQLEN_MAX,
	       "the helper takes every --txqueuelen the front end accepts");
_Static_assert(FE_MTU_MIN >= PROTO_MTU_MIN && FE_MTU_MAX <= PROTO_MTU_MAX,
	       "the helper takes every --mtu the front end accepts");

/* The default topology of doc/design.md (AutoHCK's), without --no-default-bridges. */
static const struct {
	const char *name;
	uint8_t addr[4];	/* 0.0.0.0: none of its own (see below) */
	uint8_t prefixlen;
} default_bridges[] = {
	/* The default uplink: its address is slirp's network + 100. */
	{ "br_world", { 0 }, 0 },
	{ "br_ctrl", { 192, 168, 100, 100 }, 24 },
	{ "br_test", { 0 }, 0 },
	{ "br_debug", { 0 }, 0 },
};
#define N_DEFAULT (sizeof(default_bridges) / sizeof(*default_bridges))
#define DEFAULT_UPLINK "br_world"

/* slirp4netns's default network, and where things are in it. */
static const uint8_t default_net[4] = { 10, 0, 2, 0 };
#define DEFAULT_PREFIX 24
#define OFF_GATEWAY 2		/* the gateway, also the host */
#define OFF_DNS 3		/* its DNS forwarder */
#define OFF_DHCP_FIRST 15	/* its DHCP leases */
#define OFF_DHCP_LAST 30
#define OFF_GUEST 100		/* its "recommended guest": our uplink */
/*
 * slirp4netns 1.2.0 refuses prefixes longer than 25 (network + 100 must be
 * inside); a network wider than a /8 would take in the loopback or
 * multicast ranges or half the Internet, and nobody needs one.
 */
#define CIDR_PREFIX_MIN 8
#define CIDR_PREFIX_MAX 25

/* slirp4netns's IPv6 (--enable-ipv6): fd00::/64, fixed in 1.2.0. */
static const uint8_t v6_uplink[16] = { 0xfd, [14] = 0x01, [15] = 0x00 };
static const uint8_t v6_gateway[16] = { 0xfd, [15] = 2 };
#define V6_PREFIX 64

/* ---- addresses ------------------------------------------------------------ */

static uint32_t v4(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	       (uint32_t)a[2] << 8 | a[3];
}

static void v4_put(uint32_t x, uint8_t a[4])
{
	a[0] = (uint8_t)(x >> 24);
	a[1] = (uint8_t)(x >> 16);
	a[2] = (uint8_t)(x >> 8);
	a[3] = (uint8_t)x;
}

static uint32_t mask_of(unsigned int prefixlen)
{
	return prefixlen == 0 ? 0 : ~0u << (32 - prefixlen);
}

static void v4_text(const uint8_t a[4], char out[INET_ADDRSTRLEN])
{
	snprintf(out, INET_ADDRSTRLEN, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* "A.B.C.D/N" of the network that @a/@prefixlen is in. */
static void net_text(const uint8_t a[4], unsigned int prefixlen, char *out,
		     size_t len)
{
	uint8_t n[4];
	char t[INET_ADDRSTRLEN];

	v4_put(v4(a) & mask_of(prefixlen), n);
	v4_text(n, t);
	snprintf(out, len, "%s/%u", t, prefixlen);
}

/*
 * parse_v4_prefix() - "A.B.C.D/N" with N in 0..32.
 * Return: 0; -EINVAL when it is not of that form (inet_pton's strict dotted
 * quad: four decimal numbers, no leading zeros); -ERANGE for N > 32.
 */
static int parse_v4_prefix(const char *s, uint8_t a[4], unsigned int *prefixlen)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, a) != 1)
		return -EINVAL;
	/* Digits only, at most two: "/024" and "/ 24" are not prefixes. */
	if (!slash[1] || strlen(slash + 1) > 2 ||
	    (slash[1] == '0' && slash[2]))
		return -EINVAL;
	return fe_parse_uint(slash + 1, 0, 32, prefixlen);
}

/*
 * The range that keeps @a from being a host's IPv4 address anywhere,
 * whatever the prefix ("127.0.0.0/8 (loopback)"); NULL when there is none.
 */
static const char *v4_not_host(const uint8_t a[4])
{
	if (a[0] == 0)
		return "0.0.0.0/8 (no host)";
	if (a[0] == 127)
		return "127.0.0.0/8 (loopback)";
	if (a[0] >= 224 && a[0] <= 239)
		return "224.0.0.0/4 (multicast)";
	if (a[0] >= 240)
		return "240.0.0.0/4 (reserved)";
	return NULL;
}

/* ---- building a topology ------------------------------------------------- */

struct build {
	struct fe_topology *t;
	bool explicit_addr[FE_TOPO_BRIDGES_MAX];	/* given by --bridge */
	const char *spec[FE_TOPO_BRIDGES_MAX];		/* its --bridge, or NULL */
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
refuse(struct build *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int find_bridge(const struct fe_topology *t, const char *name)
{
	for (size_t i = 0; i < t->nbridges; i++)
		if (strcmp(t->bridges[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "br_world, br_ctrl, br_test" for a message. */
static void bridge_list(const struct fe_topology *t, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->nbridges && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 i ? ", " : "", t->bridges[i].name);
}

/*
 * Why @name cannot name a bridge: the kernel's rules (proto_ifname_check()),
 * what the kernel does besides (names with '%' are patterns it fills in;
 * "all" and "default" are its sysctl directories), and the two links that
 * exist already.  NULL when it can.
 */
static const char *bridge_name_check(const char *name)
{
	char field[PROTO_IFNAMSIZ];
	const char *why;

	if (proto_set_ifname(field, name) < 0)
		return "an interface name has at most 15 bytes";
	/* Before proto_ifname_check(), which refuses it too, less clearly. */
	if (strchr(name, '%'))
		return "the kernel takes an interface name with '%' as a "
		       "pattern and makes up another name";
	why = proto_ifname_check(field);
	if (why)
		return why;
	if (strcmp(name, "all") == 0 || strcmp(name, "default") == 0)
		return "the kernel reserves \"all\" and \"default\" (its "
		       "per-interface sysctl directories)";
	if (strcmp(name, FE_TAP_NAME) == 0)
		return "tap_host is the tap slirp4netns serves; choose another "
		       "name";
	if (strcmp(name, "lo") == 0)
		return "lo is the loopback device; choose another name";
	return NULL;
}

/* One --bridge NAME[:ADDR/PREFIX]: a new bridge, or a default one's address. */
static int add_bridge_spec(struct build *b, const char *spec)
{
	struct fe_topology *t = b->t;
	const char *colon = strchr(spec, ':');
	char name[64];
	struct fe_bridge br;
	const char *why;
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	unsigned int prefixlen = 0;
	int i;

	memset(&br, 0, sizeof(br));
	if (n >= sizeof(name))
		return refuse(b, "invalid --bridge '%.40s...': an interface "
			      "name has at most 15 bytes", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	why = bridge_name_check(name);
	if (why)
		return refuse(b, "invalid --bridge '%s': %s", spec, why);
	memcpy(br.name, name, n);
	if (colon) {
		char net[24];
		uint32_t host;
		int r = parse_v4_prefix(colon + 1, br.addr, &prefixlen);

		if (r == -ERANGE || (r == 0 && prefixlen == 0))
			return refuse(b, "invalid --bridge '%s': the prefix "
				      "length must be 1..32", spec);
		if (r < 0)
			return refuse(b, "invalid --bridge '%s': give NAME or "
				      "NAME:ADDR/PREFIX with an IPv4 address, "
				      "e.g. lan:172.30.0.1/24", spec);
		why = v4_not_host(br.addr);
		if (why)
			return refuse(b, "invalid --bridge '%s': the address is in "
				      "%s", spec, why);
		host = v4(br.addr) & ~mask_of(prefixlen);
		net_text(br.addr, prefixlen, net, sizeof(net));
		/* /31 and /32 have no network or broadcast address. */
		if (prefixlen <= 30 && host == 0)
			return refuse(b, "invalid --bridge '%s': that is the "
				      "network address of %s, not a host's", spec,
				      net);
		if (prefixlen <= 30 && host == ~mask_of(prefixlen))
			return refuse(b, "invalid --bridge '%s': that is the "
				      "broadcast address of %s, not a host's",
				      spec, net);
		br.prefixlen = (uint8_t)prefixlen;
	}
	i = find_bridge(t, name);
	if (i >= 0 && b->spec[i])
		return refuse(b, "--bridge %s given twice ('%s' and '%s')", name,
			      b->spec[i], spec);
	if (i < 0) {
		if (t->nbridges == FE_TOPO_BRIDGES_MAX)
			return refuse(b, "too many bridges (at most %d)",
				      FE_TOPO_BRIDGES_MAX);
		i = (int)t->nbridges++;
		t->bridges[i] = br;
	} else if (colon) {
		/* A default bridge, readdressed. */
		t->bridges[i] = br;
	}
	b->spec[i] = spec;
	b->explicit_addr[i] = colon != NULL;
	return 0;
}

/* --cidr: slirp4netns's network, and what follows from it. */
static int set_network(struct build *b, const char *cidr)
{
	struct fe_topology *t = b->t;
	unsigned int prefixlen = DEFAULT_PREFIX;
	uint8_t a[4];
	uint32_t net;
	char text[24];

	memcpy(a, default_net, 4);	/* what slirp4netns uses without --cidr */
	if (cidr) {
		int r = parse_v4_prefix(cidr, a, &prefixlen);

		if (r < 0)
			return refuse(b, "invalid --cidr '%s': give an IPv4 "
				      "network A.B.C.D/N, e.g. 10.0.2.0/24", cidr);
		if (prefixlen < CIDR_PREFIX_MIN || prefixlen > CIDR_PREFIX_MAX)
			return refuse(b, "invalid --cidr '%s': the prefix length "
				      "must be %d..%d (slirp4netns puts the "
				      "uplink's address at network + 100)", cidr,
				      CIDR_PREFIX_MIN, CIDR_PREFIX_MAX);
		if (v4(a) & ~mask_of(prefixlen)) {
			net_text(a, prefixlen, text, sizeof(text));
			return refuse(b, "invalid --cidr '%s': that is an "
				      "address in the network, not the network; "
				      "did you mean %s?", cidr, text);
		}
		if (v4_not_host(a))
			return refuse(b, "invalid --cidr '%s': the network is in "
				      "%s", cidr, v4_not_host(a));
	}
	net = v4(a);
	memcpy(t->net, a, 4);
	t->prefixlen = (uint8_t)prefixlen;
	v4_put(net + OFF_GATEWAY, t->gateway);
	v4_put(net + OFF_DNS, t->slirp_dns);
	v4_put(net + OFF_DHCP_FIRST, t->dhcp_first);
	v4_put(net + OFF_DHCP_LAST, t->dhcp_last);
	net_text(a, prefixlen, t->cidr, sizeof(t->cidr));
	return 0;
}

/* --dns: the one name server of /etc/resolv.conf. */
static int set_dns(struct build *b, const char *dns)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	static const uint8_t v6_any[16];
	struct fe_topology *t = b->t;
	const char *why = NULL;
	char slirp[INET_ADDRSTRLEN];

	memset(t->dns, 0, sizeof(t->dns));
	v4_text(t->slirp_dns, slirp);
	if (!dns) {
		t->dns_family = AF_INET;
		memcpy(t->dns, t->slirp_dns, 4);
		return 0;
	}
	if (inet_pton(AF_INET, dns, t->dns) == 1) {
		t->dns_family = AF_INET;
		if (t->dns[0] == 127)
			why = "loopback";
		else
			why = v4_not_host(t->dns);
	} else if (inet_pton(AF_INET6, dns, t->dns) == 1) {
		t->dns_family = AF_INET6;
		if (memcmp(t->dns, v6_loopback, 16) == 0)
			why = "loopback";
		else if (memcmp(t->dns, v6_any, 16) == 0)
			why = "::/128 (unspecified)";
		else if (t->dns[0] == 0xff)
			why = "ff00::/8 (multicast)";
	} else {
		return refuse(b, "invalid --dns '%s': give an IPv4 or IPv6 "
			      "address, e.g. %s", dns, slirp);
	}
	/* A resolver on the host's loopback is not reachable there. */
	if (why && strcmp(why, "loopback") == 0)
		return refuse(b, "invalid --dns '%s': a loopback address is the "
			      "namespace's own, not this host's; give the "
			      "server's address (slirp4netns forwards DNS at %s)",
			      dns, slirp);
	if (why)
		return refuse(b, "invalid --dns '%s': the address is in %s", dns,
			      why);
	return 0;
}

/*
 * The uplink holds tap_host: its address is in slirp's network, with slirp's
 * prefix, clear of what slirp itself uses.
 */
static int check_uplink_addr(struct build *b, size_t i)
{
	struct fe_topology *t = b->t;
	const struct fe_bridge *br = &t->bridges[i];
	uint32_t a = v4(br->addr), net = v4(t->net);
	char text[INET_ADDRSTRLEN], first[INET_ADDRSTRLEN], last[INET_ADDRSTRLEN];

	v4_text(br->addr, text);
	if ((a & mask_of(t->prefixlen)) != net)
		return refuse(b, "invalid --bridge '%s' for the uplink %s: %s is "
			      "not in slirp4netns's network %s; give it an "
			      "address there, or choose the network with --cidr",
			      b->spec[i], br->name, text, t->cidr);
	if (br->prefixlen != t->prefixlen)
		return refuse(b, "invalid --bridge '%s' for the uplink %s: its "
			      "prefix length must be slirp4netns's, /%u (%s)",
			      b->spec[i], br->name, t->prefixlen, t->cidr);
	if (a == net + OFF_GATEWAY)
		return refuse(b, "invalid --bridge '%s' for the uplink %s: %s is "
			      "slirp4netns's gateway", b->spec[i], br->name, text);
	if (a == net + OFF_DNS)
		return refuse(b, "invalid --bridge '%s' for the uplink %s: %s is "
			      "slirp4netns's DNS forwarder", b->spec[i], br->name,
			      text);
	if (a >= net + OFF_DHCP_FIRST && a <= net + OFF_DHCP_LAST) {
		v4_text(t->dhcp_first, first);
		v4_text(t->dhcp_last, last);
		return refuse(b, "invalid --bridge '%s' for the uplink %s: %s is "
			      "in %s-%s, which slirp4netns leases to DHCP "
			      "clients", b->spec[i], br->name, text, first, last);
	}
	return 0;
}

/* Two bridges whose subnets overlap would make routing ambiguous. */
static int check_overlaps(struct build *b)
{
	const struct fe_topology *t = b->t;

	for (size_t i = 0; i < t->nbridges; i++) {
		const struct fe_bridge *x = &t->bridges[i];

		if (!x->prefixlen)
			continue;
		for (size_t j = i + 1; j < t->nbridges; j++) {
			const struct fe_bridge *y = &t->bridges[j];
			unsigned int p = x->prefixlen < y->prefixlen ?
					 x->prefixlen : y->prefixlen;
			char xt[INET_ADDRSTRLEN], yt[INET_ADDRSTRLEN];

			if (!y->prefixlen ||
			    ((v4(x->addr) ^ v4(y->addr)) & mask_of(p)))
				continue;
			v4_text(x->addr, xt);
			v4_text(y->addr, yt);
			return refuse(b, "bridges %s (%s/%u) and %s (%s/%u) have "
				      "overlapping subnets: give each its own "
				      "(--bridge NAME:ADDR/PREFIX, --cidr)",
				      x->name, xt, x->prefixlen, y->name, yt,
				      y->prefixlen);
		}
	}
	return 0;
}

/*
 * The uplink: --uplink, else br_world, else the first --bridge; and its
 * address.
 */
static int set_uplink(struct build *b, const struct fe_opts *o)
{
	struct fe_topology *t = b->t;
	char names[FE_TOPO_BRIDGES_MAX * 18];
	struct fe_bridge *up;
	int u;

	if (o->uplink) {
		const char *why = bridge_name_check(o->uplink);

		if (why)
			return refuse(b, "invalid --uplink '%s': %s", o->uplink,
				      why);
		u = find_bridge(t, o->uplink);
		if (u < 0) {
			bridge_list(t, names, sizeof(names));
			return refuse(b, "--uplink %s: not a bridge of this "
				      "network (the bridges: %s); add it with "
				      "--bridge %s", o->uplink, names, o->uplink);
		}
	} else {
		u = o->no_default_bridges ? 0 : find_bridge(t, DEFAULT_UPLINK);
	}
	t->uplink = (size_t)u;
	up = &t->bridges[u];
	if (b->explicit_addr[u])
		return check_uplink_addr(b, (size_t)u);
	/* slirp4netns's "recommended guest address". */
	v4_put(v4(t->net) + OFF_GUEST, up->addr);
	up->prefixlen = t->prefixlen;
	return 0;
}

int fe_topology_build(const struct fe_opts *o, struct fe_topology *t,
		      char *err, size_t errlen)
{
	struct build b = { .t = t, .err = err, .errlen = errlen };
	int r;

	memset(t, 0, sizeof(*t));
	if (errlen)
		err[0] = '\0';
	r = set_network(&b, o->cidr);
	if (r < 0)
		return r;
	r = set_dns(&b, o->dns);
	if (r < 0)
		return r;
	if (!o->no_default_bridges) {
		for (size_t i = 0; i < N_DEFAULT; i++) {
			struct fe_bridge *br = &t->bridges[t->nbridges++];

			proto_set_ifname(br->name, default_bridges[i].name);
			memcpy(br->addr, default_bridges[i].addr, 4);
			br->prefixlen = default_bridges[i].prefixlen;
		}
	}
	for (size_t i = 0; i < o->nbridges && i < FE_BRIDGE_MAX; i++) {
		r = add_bridge_spec(&b, o->bridges[i]);
		if (r < 0)
			return r;
	}
	if (t->nbridges == 0)
		return refuse(&b, "--no-default-bridges leaves no bridge: add one "
			      "with --bridge NAME[:ADDR/PREFIX] (the first holds "
			      "tap_host and the default route, or choose one "
			      "with --uplink)");
	r = set_uplink(&b, o);
	if (r < 0)
		return r;
	/*
	 * br_world has no address of its own in the table: when another
	 * bridge is the uplink, it has none unless --bridge gives it one.
	 */
	r = check_overlaps(&b);
	if (r < 0)
		return r;
	v4_text(t->bridges[t->uplink].addr, t->guest_addr);
	/* The kernel gives no IPv6 address to a link below IPv6's minimum. */
	if (o->ipv6 && o->mtu < 1280)
		return refuse(&b, "--ipv6 needs --mtu 1280 or more (IPv6's "
			      "minimum link MTU), not %u", o->mtu);
	t->ipv6 = o->ipv6;
	t->mtu = o->mtu;
	t->txqueuelen = o->txqueuelen;
	return 0;
}

/* ---- what the topology means --------------------------------------------- */

const char *fe_topology_guest_addr(const struct fe_topology *t)
{
	return t->guest_addr;
}

/* ---- the helper requests ------------------------------------------------- */

struct builder {
	struct fe_step *steps;
	size_t n, max;
};

static struct fe_step *__attribute__((format(printf, 4, 5)))
add(struct builder *b, uint16_t op, size_t plen, const char *fmt, ...)
{
	struct fe_step *s;
	va_list ap;

	if (b->n >= b->max) {
		b->n = b->max + 1;	/* remember the overflow */
		return NULL;
	}
	s = &b->steps[b->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->plen = plen;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
	return s;
}

/*
 * One builder req_<stem>() for each request of the list (PROTO_OPS in
 * include/hckns/proto.h) that the topology makes: the helper's handler is
 * op_<stem>().  The trace says what each does, in the op's words.
 */

static void req_bridge_add(struct builder *b, const char *name)
{
	struct fe_step *s = add(b, PROTO_REQ_BRIDGE_ADD, sizeof(struct proto_link),
				"bridge-add %s", name);

	if (s)
		proto_set_ifname(s->p.link.ifname, name);
}

/* One change of a link: @mtu (0: none), then up (when @up). */
static void req_link_set(struct builder *b, const char *name,
			 unsigned int mtu, bool up)
{
	char text[24] = "";
	struct fe_step *s;

	if (mtu)
		snprintf(text, sizeof(text), " mtu %u", mtu);
	s = add(b, PROTO_REQ_LINK_SET, sizeof(struct proto_link_set),
		"link-set %s%s%s", name, text, up ? " up" : "");
	if (s) {
		proto_set_ifname(s->p.link_set.ifname, name);
		s->p.link_set.mtu = mtu;
		s->p.link_set.up = up;
	}
}

/* tap_host, its transmit queue length (0: the kernel's) and its guard. */
static struct fe_step *req_uplink_add(struct builder *b, unsigned int txqlen)
{
	char text[32] = "";
	struct fe_step *s;

	if (txqlen)
		snprintf(text, sizeof(text), " (txqueuelen %u)", txqlen);
	s = add(b, PROTO_REQ_UPLINK_ADD, sizeof(struct proto_uplink),
		"make " FE_TAP_NAME "%s guarded against packets to loopback "
		"addresses", text);
	if (s)
		s->p.uplink.txqlen = txqlen;
	return s;
}

static void req_link_enslave(struct builder *b, const char *port,
			     const char *master)
{
	struct fe_step *s = add(b, PROTO_REQ_LINK_ENSLAVE,
				sizeof(struct proto_enslave), "enslave %s to %s",
				port, master);

	if (s) {
		proto_set_ifname(s->p.enslave.ifname, port);
		proto_set_ifname(s->p.enslave.master, master);
	}
}

static void req_addr_add(struct builder *b, const char *name, uint8_t family,
			 const uint8_t *a, uint8_t prefixlen)
{
	char text[INET6_ADDRSTRLEN] = "?";
	struct fe_step *s;

	inet_ntop(family, a, text, sizeof(text));
	s = add(b, PROTO_REQ_ADDR_ADD, sizeof(struct proto_addr),
		"addr-add %s %s/%u", name, text, prefixlen);
	if (s) {
		proto_set_ifname(s->p.addr.ifname, name);
		s->p.addr.family = family;
		s->p.addr.prefixlen = prefixlen;
		memcpy(s->p.addr.addr, a, family == AF_INET ? 4 : 16);
	}
}

/* A default route: the only route the topology adds. */
static void req_route_add(struct builder *b, const char *name, uint8_t family,
			  const uint8_t *gw)
{
	char text[INET6_ADDRSTRLEN] = "?";
	struct fe_step *s;

	inet_ntop(family, gw, text, sizeof(text));
	/* Works before the tap exists: the gateway is on-link. */
	s = add(b, PROTO_REQ_ROUTE_ADD, sizeof(struct proto_route),
		"default route via %s dev %s", text, name);
	if (s) {
		proto_set_ifname(s->p.route.ifname, name);
		s->p.route.family = family;
		s->p.route.dst_len = 0;
		memcpy(s->p.route.gateway, gw, family == AF_INET ? 4 : 16);
	}
}

static void req_resolv_set(struct builder *b, uint8_t family,
			   const uint8_t addr[PROTO_ADDR_BYTES])
{
	char text[INET6_ADDRSTRLEN] = "?";
	struct fe_step *s;

	inet_ntop(family, addr, text, sizeof(text));
	s = add(b, PROTO_REQ_RESOLV_SET, sizeof(struct proto_resolv),
		"point /etc/resolv.conf at %s", text);
	if (s) {
		s->p.resolv.family = family;
		memcpy(s->p.resolv.addr, addr, sizeof(s->p.resolv.addr));
	}
}

/*
 * The one step before slirp4netns starts: uplink-add makes tap_host a
 * persistent tap, first of all: slirp4netns attaches to it by name, and
 * its exit then leaves the device to the namespace's teardown instead of
 * waiting for its unregistration (an RCU barrier, about 20 ms of every
 * run).  Had slirp4netns come first, it would have made a tap of its own
 * and uplink-add would fail.  The same request sets the tap's transmit
 * queue length (--txqueuelen) before the guard, whose htb takes it as its
 * own, and puts the guard on it before slirp4netns reads a single frame
 * from the tap: nothing that leaves the namespace through tap_host (a
 * guest's frame bridged onto the uplink, or the namespace's own) reaches
 * slirp4netns addressed to 127.0.0.0/8, 0.0.0.0/8, ::/96 or ::ffff:0:0/96,
 * which libslirp would connect to in the host's own network namespace
 * (SECURITY.md, "What guests can reach").  With or without
 * --host-loopback: 10.0.2.2 is the way that option opens.  Nothing after
 * it waits for slirp4netns.
 */
static void add_before_slirp(struct builder *b, const struct fe_topology *t)
{
	struct fe_step *s = req_uplink_add(b, t->txqueuelen);

	if (s)
		s->before_slirp = true;
}

/* The bridges, up and addressed, and the default routes by the uplink. */
static void add_bridges(struct builder *b, const struct fe_topology *t)
{
	const struct fe_bridge *uplink = &t->bridges[t->uplink];

	for (size_t i = 0; i < t->nbridges; i++) {
		const struct fe_bridge *br = &t->bridges[i];

		req_bridge_add(b, br->name);
		if (br->prefixlen)
			req_addr_add(b, br->name, AF_INET, br->addr, br->prefixlen);
		if (i == t->uplink && t->ipv6)
			req_addr_add(b, br->name, AF_INET6, v6_uplink, V6_PREFIX);
		/*
		 * Up, and the uplink at the MTU first, in one request: the
		 * bridge keeps the MTU we set, whatever its ports.
		 */
		req_link_set(b, br->name, i == t->uplink ? t->mtu : 0, true);
	}
	req_route_add(b, uplink->name, AF_INET, t->gateway);
	if (t->ipv6)
		req_route_add(b, uplink->name, AF_INET6, v6_gateway);
}

/* tap_host, at the MTU, a port of the uplink, up. */
static void add_tap_to_uplink(struct builder *b, const struct fe_topology *t)
{
	const struct fe_bridge *uplink = &t->bridges[t->uplink];

	/* A tap is made at 1500; slirp4netns leaves it so whatever --mtu says. */
	req_link_set(b, FE_TAP_NAME, t->mtu, false);
	req_link_enslave(b, FE_TAP_NAME, uplink->name);
	req_link_set(b, FE_TAP_NAME, 0, true);
}

int fe_topology_steps(const struct fe_topology *t, struct fe_step *steps,
		      size_t max)
{
	struct builder b = { .steps = steps, .max = max };

	add_before_slirp(&b, t);
	/*
	 * "/" private, a fresh /proc and /sys, the bridge-netfilter sysctls:
	 * the helper's start-up does them, before hello's answer
	 * (hckns-helper.c set_up_namespaces()).
	 */
	req_resolv_set(&b, t->dns_family, t->dns);
	req_link_set(&b, "lo", 0, true);
	add_bridges(&b, t);
	add_tap_to_uplink(&b, t);
	if (b.n > b.max)
		return -ENOSPC;
	return (int)b.n;
}
