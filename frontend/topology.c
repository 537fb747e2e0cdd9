// SPDX-License-Identifier: MIT
/*
 * The network hckns builds, as data, and its translation into helper
 * requests.  Pure code.
 */
#include "fe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct bridge_def {
	const char *name;
	uint8_t addr[4];	/* 0.0.0.0: no address */
	uint8_t prefixlen;
	bool uplink;		/* holds tap_host and the default route */
};

/* The default topology of DESIGN.md (AutoHCK's). */
static const struct bridge_def default_bridges[] = {
	{ "br_world", { 10, 0, 2, 100 }, 24, true },
	{ "br_ctrl", { 192, 168, 100, 100 }, 24, false },
	{ "br_test", { 0 }, 0, false },
	{ "br_debug", { 0 }, 0, false },
};

/* slirp4netns's default network, 10.0.2.0/24. */
static const struct fe_net default_net = {
	.gateway = { 10, 0, 2, 2 },
	.dns = { 10, 0, 2, 3 },
};

void fe_topology_net(struct fe_net *net)
{
	*net = default_net;
}

const char *fe_topology_guest_addr(void)
{
	static char text[16];

	/* The uplink's address: where slirp4netns forwards ports to. */
	for (size_t i = 0; i < sizeof(default_bridges) / sizeof(*default_bridges); i++)
		if (default_bridges[i].uplink) {
			const uint8_t *a = default_bridges[i].addr;

			snprintf(text, sizeof(text), "%u.%u.%u.%u", a[0], a[1],
				 a[2], a[3]);
			return text;
		}
	return NULL;
}

struct builder {
	struct fe_step *steps;
	size_t n, max;
};

static struct fe_step *add(struct builder *b, uint16_t op, size_t plen,
			   bool needs_tap, const char *what, const char *name)
{
	struct fe_step *s;

	if (b->n >= b->max) {
		b->n = b->max + 1;	/* remember the overflow */
		return NULL;
	}
	s = &b->steps[b->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->plen = plen;
	s->needs_tap = needs_tap;
	snprintf(s->what, sizeof(s->what), "%s%s%s", what, name ? " " : "",
		 name ? name : "");
	return s;
}

static void add_link(struct builder *b, uint16_t op, const char *what,
		     const char *name, bool needs_tap)
{
	struct fe_step *s = add(b, op, sizeof(struct proto_link), needs_tap,
				what, name);

	if (s)
		proto_set_ifname(s->p.link.ifname, name);
}

static void add_mtu(struct builder *b, const char *name, unsigned int mtu,
		    bool needs_tap)
{
	struct fe_step *s = add(b, PROTO_REQ_LINK_SET_MTU,
				sizeof(struct proto_mtu), needs_tap,
				"set-mtu", name);

	if (s) {
		proto_set_ifname(s->p.mtu.ifname, name);
		s->p.mtu.mtu = mtu;
	}
}

int fe_topology_steps(const struct fe_opts *o, struct fe_step *steps,
		      size_t max)
{
	struct builder b = { .steps = steps, .max = max };
	const struct bridge_def *uplink = NULL;
	struct fe_step *s;

	/* The mount namespace first: nothing may propagate to the host. */
	add(&b, PROTO_REQ_MOUNT_PRIVATE, 0, false, "make / private", NULL);
	s = add(&b, PROTO_REQ_RESOLV_SET, sizeof(struct proto_resolv), false,
		"point /etc/resolv.conf at", "10.0.2.3");
	if (s) {
		s->p.resolv.family = AF_INET;
		memcpy(s->p.resolv.addr, default_net.dns, 4);
	}
	add_link(&b, PROTO_REQ_LINK_UP, "link-up", "lo", false);

	for (size_t i = 0; i < sizeof(default_bridges) / sizeof(*default_bridges); i++) {
		const struct bridge_def *d = &default_bridges[i];

		add_link(&b, PROTO_REQ_BRIDGE_ADD, "bridge-add", d->name, false);
		if (d->uplink) {
			uplink = d;
			/* The bridge keeps the MTU we set, whatever its ports. */
			add_mtu(&b, d->name, o->mtu, false);
		}
		if (d->addr[0]) {
			s = add(&b, PROTO_REQ_ADDR_ADD, sizeof(struct proto_addr),
				false, "addr-add", d->name);
			if (s) {
				proto_set_ifname(s->p.addr.ifname, d->name);
				s->p.addr.family = AF_INET;
				s->p.addr.prefixlen = d->prefixlen;
				memcpy(s->p.addr.addr, d->addr, 4);
			}
		}
		add_link(&b, PROTO_REQ_LINK_UP, "link-up", d->name, false);
	}
	/* The bridge-netfilter sysctls once the bridges exist. */
	add(&b, PROTO_REQ_BRNF_DISABLE, 0, false, "disable bridge-nf-call-*", NULL);
	if (uplink) {
		/* Works before the tap exists: the gateway is on-link. */
		s = add(&b, PROTO_REQ_ROUTE_ADD, sizeof(struct proto_route), false,
			"default route via 10.0.2.2 dev", uplink->name);
		if (s) {
			proto_set_ifname(s->p.route.ifname, uplink->name);
			s->p.route.family = AF_INET;
			s->p.route.dst_len = 0;
			memcpy(s->p.route.gateway, default_net.gateway, 4);
		}
		/* slirp4netns leaves its tap at 1500 whatever --mtu says. */
		add_mtu(&b, FE_TAP_NAME, o->mtu, true);
		s = add(&b, PROTO_REQ_LINK_ENSLAVE, sizeof(struct proto_enslave),
			true, "enslave " FE_TAP_NAME " to", uplink->name);
		if (s) {
			proto_set_ifname(s->p.enslave.ifname, FE_TAP_NAME);
			proto_set_ifname(s->p.enslave.master, uplink->name);
		}
		add_link(&b, PROTO_REQ_LINK_UP, "link-up", FE_TAP_NAME, true);
	}
	if (b.n > b.max)
		return -ENOSPC;
	return (int)b.n;
}
