/* SPDX-License-Identifier: MIT */
/* The network of one run and the helper requests that build it (topology.c): pure. */
#ifndef HCKNS_MODEL_TOPOLOGY_H
#define HCKNS_MODEL_TOPOLOGY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/opts.h"
#include "hckns/proto.h"

/*
 * The tap the helper creates and guards (uplink-add) and slirp4netns
 * serves: a name the protocol fixes (include/hckns/proto.h), never sent.
 */
#define FE_TAP_NAME PROTO_UPLINK_TAP

/* The four default bridges, and room for as many --bridge options. */
#define FE_TOPO_BRIDGES_MAX (4 + FE_BRIDGE_MAX)
/* The steps of the largest topology (fe_topology_steps()). */
#define FE_TOPO_STEPS_MAX (8 + 5 * FE_TOPO_BRIDGES_MAX)

struct fe_bridge {
	char name[PROTO_IFNAMSIZ];
	uint8_t addr[4];	/* IPv4, when prefixlen is not 0 */
	uint8_t prefixlen;	/* 0: no address */
};

/*
 * The network of one run: the bridges in the order they are made, the
 * uplink among them (it holds tap_host and the default route), and
 * slirp4netns's network with the addresses that follow from it.
 */
struct fe_topology {
	struct fe_bridge bridges[FE_TOPO_BRIDGES_MAX];
	size_t nbridges;
	size_t uplink;		/* index in bridges[] */
	uint8_t net[4];		/* --cidr: 10.0.2.0 */
	uint8_t prefixlen;	/* 24 */
	char cidr[20];		/* "10.0.2.0/24", for slirp4netns --cidr */
	uint8_t gateway[4];	/* network + 2: slirp's gateway, the host */
	uint8_t slirp_dns[4];	/* network + 3: slirp's DNS forwarder */
	uint8_t dhcp_first[4];	/* network + 15 .. */
	uint8_t dhcp_last[4];	/* .. network + 30: slirp's DHCP leases */
	uint8_t dns_family;	/* /etc/resolv.conf's server: --dns, else */
	uint8_t dns[16];	/* slirp_dns */
	bool ipv6;		/* --ipv6: fd00::100/64 on the uplink */
	unsigned int mtu;	/* of tap_host and the uplink */
	unsigned int txqueuelen;	/* of tap_host; 0: the kernel's */
	char guest_addr[16];	/* the uplink's address: forwards lead there */
};

/**
 * fe_topology_build() - the network the options describe, checked.
 * @err: receives a one-line reason on failure.
 *
 * The default bridges (br_world, the uplink; br_ctrl 192.168.100.100/24;
 * br_test; br_debug) unless --no-default-bridges, then each --bridge NAME
 * (a new bridge, or a new address for a default one).  The uplink is
 * --uplink, else br_world, else the first --bridge; its address is
 * slirp's network + 100 unless --bridge gives one.  Every value is
 * validated and every clash refused here, before anything is created.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int fe_topology_build(const struct fe_opts *o, struct fe_topology *t,
		      char *err, size_t errlen);

/* One helper request of the set-up, in order. */
struct fe_step {
	uint16_t op;
	union proto_payload p;
	size_t plen;
	/*
	 * before_slirp: before slirp4netns starts, which attaches to what the
	 * step makes (uplink-add); the others run while slirp4netns starts.
	 */
	bool before_slirp;
	char what[96];		/* for traces and errors: "bridge-add br_ctrl" */
};

/**
 * fe_topology_steps() - the helper requests that build @t.
 * @steps: room for @max steps (FE_TOPO_STEPS_MAX is always enough).
 *
 * Steps that do not depend on the tap come first, so they can run while
 * slirp4netns starts.
 *
 * Return: the number of steps, or -ENOSPC.
 */
int fe_topology_steps(const struct fe_topology *t, struct fe_step *steps,
		      size_t max);

/* The address port forwards lead to: the uplink's, 10.0.2.100 by default. */
const char *fe_topology_guest_addr(const struct fe_topology *t);

#endif
