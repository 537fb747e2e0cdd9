// SPDX-License-Identifier: MIT
/*
 * netlink-refuse-shim - the kernel refuses one netlink request of
 * hckns-helper.
 *
 * HCKNS_TEST_HELPER_PRELOAD=/abs/netlink-refuse-shim.so with
 * HCKNS_TEST_REFUSE_LINK=NAME in hckns's environment (the front end's test
 * hook, frontend/helper_client.c) preloads it into the helper, which wraps
 * sendmsg(2): in a netlink message that carries the interface name NAME
 * (IFLA_IFNAME of bridge-add's RTM_NEWLINK, say), the first byte of NAME's
 * last-but-one character becomes '/' before the message goes to the kernel,
 * which then refuses it as it refuses any such name (dev_valid_name():
 * EINVAL).  So the refusal is the kernel's own, on a request the helper
 * built and sent: the front end validates its options so well that no input
 * of a user reaches one, yet it must still say one in one line, run no
 * command and leave nothing behind: tests/integration/t-errors.sh
 * (test_kernel_refuses_a_request) and tests/fault/fault.sh (netlink-fails)
 * check that it does.
 *
 * NAME may be any string the messages carry with its NUL: a qdisc's or a
 * classifier's kind ("htb", "u32") becomes one the kernel does not know
 * ("h/b"), and it answers ENOENT, as a kernel without that module does
 * (uplink-add: t-loopback-guard.sh test_no_guard_no_run, t-doctor.sh
 * test_no_loopback_guard).
 *
 * With HCKNS_TEST_REFUSE_MOUNT=TARGET instead (or as well), the kernel
 * refuses (EPERM) the helper's mount(2) on TARGET ("/", "/proc", "/sys"),
 * as it refuses a fresh proc or sysfs where the host's has parts hidden
 * under other mounts, or making "/" private where it would not allow it:
 * the helper's start-up (set_up_namespaces()) must go on without the one
 * and end, in one line, at the other (t-errors.sh).
 *
 * It wraps libc's sendmsg(), not a libnl function, so it works whether the
 * helper links libnl statically or not.  The wrapper runs in the serving
 * helper, under its seccomp filter, so it makes no system call of its own:
 * getenv() and dlsym() are done once, in the constructor, before the
 * helper's main().  Only the helper loads it: hckns gives the helper and
 * slirp4netns fixed environments, and the hook names the helper alone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/netlink.h>

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

static sendmsg_fn real_sendmsg;
static const char *refused, *refused_mount;
static size_t refused_len;

__attribute__((constructor)) static void refuse_init(void)
{
	refused_mount = getenv("HCKNS_TEST_REFUSE_MOUNT");
	refused = getenv("HCKNS_TEST_REFUSE_LINK");
	refused_len = refused ? strlen(refused) : 0;
	if (refused_len < 2)
		refused = NULL;
	real_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
}

/* NAME with its NUL, inside a netlink message: make it one the kernel refuses. */
static void spoil(const struct msghdr *msg)
{
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		char *base = msg->msg_iov[i].iov_base;
		size_t len = msg->msg_iov[i].iov_len;
		char *hit;

		if (len < sizeof(struct nlmsghdr))
			continue;
		hit = memmem(base, len, refused, refused_len + 1);
		if (hit)
			hit[refused_len - 2] = '/';
	}
}

/*
 * glibc's own parameter names: clang-tidy reports any other in
 * <sys/socket.h>, out of the reach of a NOLINT here.
 */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c) */
ssize_t sendmsg(int __fd, const struct msghdr *__message, int __flags)
{
	if (refused && __message && __message->msg_name &&
	    ((const struct sockaddr *)__message->msg_name)->sa_family ==
		    AF_NETLINK)
		spoil(__message);
	return real_sendmsg ? real_sendmsg(__fd, __message, __flags) : -1;
}

/* <sys/mount.h>'s parameter names, as for sendmsg() above. */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c) */
int mount(const char *__special_file, const char *__dir, const char *__fstype,
	  unsigned long __rwflag, const void *__data)
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
{
	if (refused_mount && __dir && strcmp(__dir, refused_mount) == 0) {
		errno = EPERM;
		return -1;
	}
	return (int)syscall(SYS_mount, __special_file, __dir, __fstype,
			    __rwflag, __data);
}
