// SPDX-License-Identifier: MIT
/*
 * filter-gen - the helper's system-call allow-list, compiled at build time.
 *
 * This program runs during the build, not at run time.  It states the
 * allow-list with libseccomp, has libseccomp compile it into a classic BPF
 * program for this machine's architecture (seccomp_export_bpf()), and
 * prints that program as a C array, build/gen/helper-filter.h, which
 * hckns-helper loads with one prctl(PR_SET_SECCOMP) call.  So the rules
 * are libseccomp's (argument comparisons, the architecture check, the
 * kill action), and the installed helper neither links libseccomp nor
 * builds a filter each time it starts: that saves about 0.1 MiB of memory
 * no other process shares (BENCHMARKS.md) and the filter's compilation.
 * SECURITY.md lists the rules; t-helper's seccomp tests check the loaded
 * filter (Seccomp: 2, a forbidden call kills the helper).
 *
 * The descriptors the rules name are fixed numbers (filter.h), checked by
 * the helper before it loads the filter.
 */
#include "filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_tun.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Builds with sanitizers (SANITIZE=1 defines HCKNS_SANITIZE; gcc and clang
 * say so themselves too) run the sanitizer runtime inside the helper: at
 * exit LeakSanitizer stops the world (a clone()d tracer thread that
 * ptrace()s the others, with the process made dumpable for that moment) and
 * reads /proc/self/maps; a report writes its own lines.  Those builds admit
 * what that runtime needs as well (seccomp_allow_sanitizer()); an installed,
 * unsanitized helper never does.
 */
#if defined(__SANITIZE_ADDRESS__) && !defined(HCKNS_SANITIZE)
#define HCKNS_SANITIZE 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(HCKNS_SANITIZE)
#define HCKNS_SANITIZE 1
#endif
#endif

/* Stop, naming the call, when libseccomp refuses a rule (@r < 0). */
static void seccomp_check(int r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "filter-gen: %s: %s\n", what, strerror(-r));
		exit(1);
	}
}

/* Argument @n equals @v; argument @n masked with @mask equals @v. */
#define ARG_EQ(n, v)							\
	((struct scmp_arg_cmp){ .arg = (n), .op = SCMP_CMP_EQ,		\
				.datum_a = (scmp_datum_t)(v), .datum_b = 0 })
#define ARG_MASKED_EQ(n, mask, v)					\
	((struct scmp_arg_cmp){ .arg = (n), .op = SCMP_CMP_MASKED_EQ,	\
				.datum_a = (scmp_datum_t)(mask),		\
				.datum_b = (scmp_datum_t)(v) })

/* Admit system call @name, when the @n argument comparisons that follow hold. */
#define ALLOW(ctx, name, ...)						\
	seccomp_check(seccomp_rule_add((ctx), SCMP_ACT_ALLOW,		\
				       SCMP_SYS(name), __VA_ARGS__),	\
		      "seccomp rule for " #name)

#ifdef HCKNS_SANITIZE
/*
 * What the ASan/UBSan/LSan runtime calls on its own, in sanitizer builds
 * only: LeakSanitizer's check at exit (a tracer thread: clone with CLONE_VM,
 * prctl for the dumpable flag and the parent-death signal, getppid, ptrace,
 * wait4, sched_yield, futex; sigaltstack and signal masks; open(2) and
 * getdents(2), not their *at and 64 forms, for /proc/self/maps and
 * /proc/self/task), and the "==PID==" of every report
 * line.  Starting the external symbolizer (fork and exec) fails with EPERM
 * rather than kill the helper in the middle of a report: the report then
 * shows module+offset addresses, which are symbolized offline.
 */
static void seccomp_allow_sanitizer(scmp_filter_ctx ctx)
{
	static const int calls[] = {
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
		SCMP_SYS(prctl), SCMP_SYS(ptrace), SCMP_SYS(wait4),
		SCMP_SYS(sched_yield), SCMP_SYS(futex), SCMP_SYS(sigaltstack),
		SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(open),
		SCMP_SYS(openat), SCMP_SYS(read), SCMP_SYS(pread64),
		SCMP_SYS(getdents), SCMP_SYS(getdents64),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
		SCMP_SYS(readlink), SCMP_SYS(mmap), SCMP_SYS(exit),
		SCMP_SYS(tgkill), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
		SCMP_SYS(clock_gettime), SCMP_SYS(nanosleep),
	};
	static const int spawn[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork),
		SCMP_SYS(vfork), SCMP_SYS(pipe), SCMP_SYS(pipe2),
	};

	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		seccomp_check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0),
			      "seccomp rule for the sanitizer");
	for (size_t i = 0; i < ARRAY_SIZE(spawn); i++)
		seccomp_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
					       spawn[i], 0),
			      "seccomp rule for the sanitizer");
	/* The tracer thread shares our memory; a fork()-like clone fails. */
	ALLOW(ctx, clone, 1, ARG_MASKED_EQ(0, CLONE_VM, CLONE_VM));
	seccomp_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone),
				       1, ARG_MASKED_EQ(0, CLONE_VM, 0)),
		      "seccomp rule for the sanitizer");
	seccomp_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				       SCMP_SYS(clone3), 0),
		      "seccomp rule for the sanitizer");
}
#endif

/*
 * The allow-list.  The helper loads it after every set-up step
 * (capabilities, no_new_privs, the netlink socket, set_up_namespaces(),
 * prepare_files()) and before the first request is read.
 * Any other system call, and any of these with other arguments where the
 * rule names them, kills the whole helper (SIGSYS): a helper made to do
 * something its table does not do dies instead.  The list is what
 * `strace -f` shows the serving loop, every operation (valid, refused,
 * failing) and the exit paths calling with glibc and libnl; each rule says
 * which code needs it, an operation by its handler, op_<stem>() (the stem of
 * its line in PROTO_OPS, include/hckns/proto.h; op_hello makes no call of
 * its own).  Arguments are compared where the value is a number the code
 * fixes (descriptors, flags); pointers (paths, buffers) cannot be.
 */
static scmp_filter_ctx allow_list(void)
{
	const int nl_fd = NL_FD;
	scmp_filter_ctx ctx;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		seccomp_check(-ENOMEM, "seccomp_init");
	/* A call of another ABI (i386 int 0x80, x32) dies as well. */
	seccomp_check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				       SCMP_ACT_KILL_PROCESS), "seccomp bad-arch action");

	/*
	 * serve(): one request from the front end, no flags and no control
	 * buffer (descriptors sent along are closed by the kernel).
	 */
	ALLOW(ctx, recvmsg, 2, ARG_EQ(0, SOCK_FD), ARG_EQ(2, 0));
	/* answer(): send() is sendto() with MSG_NOSIGNAL, on SOCK_FD only. */
	ALLOW(ctx, sendto, 2, ARG_EQ(0, SOCK_FD),
	      ARG_EQ(3, MSG_NOSIGNAL));
	/*
	 * peer_gone(): poll() of SOCK_FD alone, timeout 0 (glibc calls
	 * poll(2) on x86_64 and ppoll(2) where there is no poll(2)).
	 */
	ALLOW(ctx, poll, 2, ARG_EQ(1, 1), ARG_EQ(2, 0));
	ALLOW(ctx, ppoll, 1, ARG_EQ(1, 1));
	/*
	 * libnl: requests out and answers in, on the netlink socket only:
	 * op_link_set, op_bridge_add, op_link_enslave, op_addr_add,
	 * op_route_add, and op_uplink_add's transmit queue length and its
	 * guard's qdiscs, class and filters (requests built at build time,
	 * guard-gen.c: nothing reads /proc/net/psched).
	 */
	ALLOW(ctx, sendmsg, 1, ARG_EQ(0, nl_fd));
	ALLOW(ctx, recvmsg, 1, ARG_EQ(0, nl_fd));

	/*
	 * op_resolv_set: the read-only overlay on /etc, the one mount
	 * serving makes.  "/" private, the fresh /proc and /sys are made at
	 * start-up, before this filter (set_up_namespaces() in
	 * hckns-helper.c): serving can change no propagation and mount
	 * nothing else.
	 */
	ALLOW(ctx, mount, 1, ARG_EQ(3, MS_RDONLY | MS_NOSUID | MS_NODEV));
	/*
	 * No open(2), openat(2) or openat2(2): every file an operation
	 * uses is opened before this filter (prepare_files() in
	 * hckns-helper.c), so none can be named now.  op_uplink_add: the
	 * two ioctls on the /dev/net/tun it holds; no other ioctl.
	 */
	ALLOW(ctx, ioctl, 1, ARG_EQ(1, TUNSETIFF));
	ALLOW(ctx, ioctl, 1, ARG_EQ(1, TUNSETPERSIST));
	/*
	 * op_resolv_set's line in resolv.conf, die()'s line on stderr: only
	 * into descriptors held already (see above).  The bridge-netfilter
	 * sysctls are written at start-up, before this filter.
	 */
	ALLOW(ctx, write, 0);
	/*
	 * The descriptors above, once op_uplink_add and op_resolv_set are
	 * done with them.
	 */
	ALLOW(ctx, close, 0);

	/*
	 * malloc() and free() (libnl allocates every object and message):
	 * brk, or mmap for large blocks: anonymous memory only, so that no
	 * file can be mapped (read) either, and never executable.
	 */
	ALLOW(ctx, brk, 0);
	ALLOW(ctx, mmap, 2, ARG_MASKED_EQ(2, PROT_EXEC, 0),
	      ARG_MASKED_EQ(3, MAP_ANONYMOUS, MAP_ANONYMOUS));
	ALLOW(ctx, mremap, 0);
	ALLOW(ctx, munmap, 0);
	/* exit() after EOF or a violation. */
	ALLOW(ctx, exit_group, 0);

#ifdef HCKNS_SANITIZE
	seccomp_allow_sanitizer(ctx);
#endif
	return ctx;
}


/* Print the compiled filter as the C array hckns-helper includes. */
int main(void)
{
	scmp_filter_ctx ctx = allow_list();
	int fd = memfd_create("filter", MFD_CLOEXEC);
	struct sock_filter insn;
	const struct scmp_version *v = seccomp_version();
	size_t n = 0;

	if (fd < 0) {
		perror("filter-gen: memfd_create");
		return 1;
	}
	seccomp_check(seccomp_export_bpf(ctx, fd), "seccomp_export_bpf");
	seccomp_release(ctx);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		perror("filter-gen: lseek");
		return 1;
	}
	printf("/* Generated by helper/filter-gen.c with libseccomp %u.%u.%u%s: "
	       "do not edit. */\n", v->major, v->minor, v->micro,
#ifdef HCKNS_SANITIZE
	       ", with the sanitizer runtime's calls"
#else
	       ""
#endif
	       );
	printf("static const struct sock_filter helper_filter[] = {\n");
	while (read(fd, &insn, sizeof(insn)) == (ssize_t)sizeof(insn)) {
		printf("\t{ 0x%04x, %3u, %3u, 0x%08x },\n", insn.code, insn.jt,
		       insn.jf, insn.k);
		n++;
	}
	printf("};\n");
	close(fd);
	if (n == 0 || n > BPF_MAXINSNS) {
		fprintf(stderr, "filter-gen: %zu instructions\n", n);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
