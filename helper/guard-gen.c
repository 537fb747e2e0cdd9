// SPDX-License-Identifier: MIT
/*
 * guard-gen - the uplink guard's netlink requests, built at build time.
 *
 * This program runs during the build, not at run time, like filter-gen.c.
 * It states the uplink guard of hckns-helper.c (uplink-add) with libnl:
 * tap_host's root qdisc an htb 1: whose default class is 0, its class 1:1
 * at 1 Mbit/s, a pfifo 2: of limit 0 under 1:1, and four u32 filters at
 * 1: sending 127.0.0.0/8, 0.0.0.0/8, ::/96 and ::ffff:0:0/96 to 1:1,
 * terminal, each NLM_F_CREATE | NLM_F_EXCL.  libnl builds each request
 * (rtnl_*_build_add_request(), what rtnl_*_add() sends) for ifindex 0,
 * and this prints them as byte arrays, build/gen/helper-guard.h, each
 * with the words that name it and its module ("htb qdisc (sch_htb)").
 * The helper copies each, puts tap_host's ifindex into its tcmsg and
 * sends it: it links no libnl tc code and builds nothing.
 *
 * Why build time is safe: the requests hold no value of the machine that
 * runs hckns but the ifindex, which the helper sets.  The one value of the
 * build machine in them is the htb class's rate table, which libnl
 * computes from the packet-scheduler clock of /proc/net/psched here; the
 * class never sends (whatever reaches it is dropped by its pfifo of limit
 * 0), so its rate, and how the kernel reads that table, do not matter.
 * tests/integration/t-loopback-guard.sh and t-helper.sh read the guard
 * back with `tc -j`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/rtnetlink.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>
#include <netlink/version.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

/* The requests, in the order the helper sends them. */
static struct {
	char what[80];
	struct nl_msg *msg;
} out[3 + ARRAY_SIZE(guard_rules)];
static size_t nout;

/* Stop, naming the step, when libnl refuses (@r < 0). */
static void nl_check(int r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "guard-gen: %s: %s\n", what, nl_geterror(r));
		exit(1);
	}
}

/* A tc object of ifindex 0 with @parent and @handle, of @kind. */
static void guard_tc(struct rtnl_tc *tc, uint32_t parent, uint32_t handle,
		     const char *kind)
{
	if (!tc)
		nl_check(-NLE_NOMEM, kind);
	rtnl_tc_set_ifindex(tc, /* ifindex= */ 0);
	rtnl_tc_set_parent(tc, parent);
	if (handle)
		rtnl_tc_set_handle(tc, handle);
	nl_check(rtnl_tc_set_kind(tc, kind), kind);
}

/* Keep @msg, the request for @what. */
static void keep(struct nl_msg *msg, const char *what)
{
	snprintf(out[nout].what, sizeof(out[nout].what), "%s", what);
	out[nout++].msg = msg;
}

static void build_qdiscs_and_class(void)
{
	struct rtnl_qdisc *htb = rtnl_qdisc_alloc(), *leaf = rtnl_qdisc_alloc();
	struct rtnl_class *drop = rtnl_class_alloc();
	struct nl_msg *msg;

	guard_tc(TC_CAST(htb), TC_H_ROOT, GUARD_ROOT, "htb");
	nl_check(rtnl_htb_set_defcls(htb, /* defcls= */ 0), "htb default class");
	nl_check(rtnl_qdisc_build_add_request(htb, NLM_F_CREATE | NLM_F_EXCL,
					      &msg), "htb qdisc");
	keep(msg, "htb qdisc (sch_htb)");

	guard_tc(TC_CAST(drop), GUARD_ROOT, GUARD_DROP, "htb");
	nl_check(rtnl_htb_set_rate(drop, GUARD_RATE), "htb class rate");
	/*
	 * The ceil the kernel takes when none is given is the rate, and so
	 * is this one.  Set, libnl fills the ceil's rate table as it fills
	 * the rate's; left unset, it sends its own uninitialized stack for
	 * it (htb_class_msg_fill(): ctable), which would make this output,
	 * build/gen/helper-guard.h, differ from one build to the next.
	 */
	nl_check(rtnl_htb_set_ceil(drop, GUARD_RATE), "htb class ceil");
	nl_check(rtnl_class_build_add_request(drop, NLM_F_CREATE | NLM_F_EXCL,
					      &msg), "htb class");
	keep(msg, "htb class (sch_htb)");

	guard_tc(TC_CAST(leaf), GUARD_DROP, GUARD_LEAF, "pfifo");
	nl_check(rtnl_qdisc_fifo_set_limit(leaf, /* limit= */ 0), "pfifo limit");
	nl_check(rtnl_qdisc_build_add_request(leaf, NLM_F_CREATE | NLM_F_EXCL,
					      &msg), "pfifo qdisc");
	keep(msg, "pfifo qdisc (sch_fifo)");

	rtnl_qdisc_put(leaf);
	rtnl_class_put(drop);
	rtnl_qdisc_put(htb);
}

/* One u32 filter at 1: sending @rule's range to the dropping class. */
static void build_filter(const struct guard_rule *rule)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct nl_msg *msg;
	char what[80];

	snprintf(what, sizeof(what), "u32 filter for %s (cls_u32)", rule->range);
	guard_tc(TC_CAST(cls), GUARD_ROOT, 0, "u32");
	rtnl_cls_set_protocol(cls, rule->protocol);
	rtnl_cls_set_prio(cls, rule->prio);
	for (unsigned int i = 0; i < rule->nkeys; i++)
		nl_check(rtnl_u32_add_key_uint32(cls, rule->keys[i].val,
						 rule->keys[i].mask,
						 rule->keys[i].off, 0), what);
	/* Terminal: a match ends the classification with class 1:1. */
	nl_check(rtnl_u32_set_classid(cls, GUARD_DROP), what);
	nl_check(rtnl_u32_set_cls_terminal(cls), what);
	nl_check(rtnl_cls_build_add_request(cls, NLM_F_CREATE | NLM_F_EXCL,
					    &msg), what);
	keep(msg, what);
	rtnl_cls_put(cls);
}

/*
 * Is @h a tc request of ifindex 0, as the helper expects one: an
 * RTM_NEWQDISC, RTM_NEWTCLASS or RTM_NEWTFILTER with its tcmsg?
 */
static int is_tc_request(const struct nlmsghdr *h)
{
	const struct tcmsg *tcm = NLMSG_DATA(h);

	return (h->nlmsg_type == RTM_NEWQDISC || h->nlmsg_type == RTM_NEWTCLASS ||
		h->nlmsg_type == RTM_NEWTFILTER) &&
	       h->nlmsg_len >= NLMSG_LENGTH(sizeof(*tcm)) &&
	       tcm->tcm_ifindex == 0;
}

/* Print the requests as the C arrays hckns-helper includes. */
int main(void)
{
	size_t max = 0;

	build_qdiscs_and_class();
	for (size_t i = 0; i < ARRAY_SIZE(guard_rules); i++)
		build_filter(&guard_rules[i]);
	printf("/* Generated by helper/guard-gen.c with %s: do not edit. */\n",
	       LIBNL_STRING);
	printf("struct guard_msg {\n\tconst char *what;\n"
	       "\tconst unsigned char *bytes;\n\tsize_t len;\n};\n");
	for (size_t i = 0; i < nout; i++) {
		const struct nlmsghdr *h = nlmsg_hdr(out[i].msg);
		const unsigned char *b = (const unsigned char *)h;

		if (!is_tc_request(h)) {
			fprintf(stderr, "guard-gen: %s: not a tc request of "
				"ifindex 0\n", out[i].what);
			return 1;
		}
		printf("static const unsigned char guard_msg_%zu[] = {", i);
		for (uint32_t j = 0; j < h->nlmsg_len; j++)
			printf("%s0x%02x,", j % 12 ? " " : "\n\t", b[j]);
		printf("\n};\n");
		if (h->nlmsg_len > max)
			max = h->nlmsg_len;
	}
	printf("#define GUARD_MSG_MAX %zu\n", NLMSG_ALIGN(max));
	printf("static const struct guard_msg guard_msgs[] = {\n");
	for (size_t i = 0; i < nout; i++) {
		printf("\t{ \"%s\", guard_msg_%zu, sizeof(guard_msg_%zu) },\n",
		       out[i].what, i, i);
		nlmsg_free(out[i].msg);
	}
	printf("};\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
