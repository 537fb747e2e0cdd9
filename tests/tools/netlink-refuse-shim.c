// SPDX-License-Identifier: MIT
/*
 * netlink-refuse-shim - a netlink operation of hckns-helper fails, as if
 * the kernel had refused it.
 *
 * LD_PRELOAD=netlink-refuse-shim.so with HCKNS_TEST_REFUSE_LINK=NAME wraps
 * libnl's rtnl_link_add(), which the helper calls for bridge-add only: for
 * the link NAME it returns -NLE_EXIST ("Object exists", as when a link of
 * that name is there already) without sending anything; every other call
 * goes on to libnl's.  The front end validates its options so well that no
 * input of a user reaches a refusal of the kernel, yet it must still say one
 * in one line, run no command and leave nothing behind:
 * tests/integration/t-errors.sh (test_kernel_refuses_a_request) and
 * tests/fault/fault.sh (netlink-fails) check that it does.
 *
 * The wrapper runs in the serving helper, under its seccomp filter, so it
 * makes no system call: getenv() and dlsym() are done once, in the
 * constructor, before the helper's main().  hckns passes its environment on,
 * so the shim is loaded into the front end, the keeper, slirp4netns and the
 * command too; there nothing calls rtnl_link_add() (dlsym() finds no libnl
 * and the constructor only notes that).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/route/link.h>

typedef int (*link_add_fn)(struct nl_sock *, struct rtnl_link *, int);
typedef char *(*link_name_fn)(struct rtnl_link *);

static link_add_fn real_link_add;
static link_name_fn link_name;
static const char *refused;

__attribute__((constructor)) static void refuse_init(void)
{
	refused = getenv("HCKNS_TEST_REFUSE_LINK");
	if (refused && !*refused)
		refused = NULL;
	real_link_add = (link_add_fn)dlsym(RTLD_NEXT, "rtnl_link_add");
	link_name = (link_name_fn)dlsym(RTLD_DEFAULT, "rtnl_link_get_name");
}

int rtnl_link_add(struct nl_sock *sk, struct rtnl_link *link, int flags)
{
	const char *name = link && link_name ? link_name(link) : NULL;

	if (refused && name && strcmp(name, refused) == 0)
		return -NLE_EXIST;
	return real_link_add ? real_link_add(sk, link, flags) : -NLE_FAILURE;
}
