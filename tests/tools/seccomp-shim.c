// SPDX-License-Identifier: MIT
/*
 * seccomp-shim - make a serving hckns-helper call what its filter forbids.
 *
 * Preloaded into the helper through the front end's test hook
 * (HCKNS_TEST_HELPER_PRELOAD=/abs/seccomp-shim.so, frontend/helper_client.c;
 * helper-probe starts the helper the same way), it wraps strerror(), which
 * the helper calls only while it serves (the reason of an answer to a
 * request the kernel refused, e.g. "bridge-add br0: File exists"), long
 * after its seccomp filter is loaded.  There, once, it makes the calls
 * HCKNS_TEST_SECCOMP_CALL names:
 *
 *   socket (or unset)  an AF_INET socket;
 *   read:PATH          open PATH read-write (as uplink-add once opened
 *                      /dev/net/tun) and read it through mmap(2), writing
 *                      what it read to stderr;
 *   create:PATH        create PATH (as resolv-set once created its file),
 *                      writing "created" to stderr;
 *   mount-private      make "/" recursively private, and
 *   mount-proc         mount a proc on /proc, as the helper's start-up does
 *                      before its filter (and as mount-private and
 *                      mount-proc did while serving, before protocol 8),
 *                      writing "mounted" to stderr.
 *
 *   skip-filter        none: instead, the helper's prctl(PR_SET_SECCOMP)
 *                      at start-up does nothing and says it succeeded, so
 *                      that it serves unconfined; the front end must see
 *                      that in /proc and refuse it (t-inputs.sh).
 *
 * The allow-list admits none of the others, so the kernel must kill the helper
 * with SIGSYS at the first: tests/integration/t-helper.sh checks that it
 * does, that nothing was read or created, and that nothing came on stderr.
 * In any other process it only forwards the call.  Raw system calls
 * throughout: what glibc's wrappers do besides must not matter here.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define READ_MAX 4096

static void say(const char *text, size_t len)
{
	syscall(SYS_write, STDERR_FILENO, text, len);
}

static void forbidden_calls(void)
{
	const char *call = getenv("HCKNS_TEST_SECCOMP_CALL");
	long fd;

	if (!call || strcmp(call, "socket") == 0) {
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	} else if (strncmp(call, "read:", 5) == 0) {
		void *p;

		fd = syscall(SYS_openat, AT_FDCWD, call + 5, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return;
		/* glibc's mmap() is the bare system call. */
		p = mmap(NULL, READ_MAX, PROT_READ, MAP_SHARED, (int)fd, 0);
		if (p == MAP_FAILED)
			return;
		say("hckns-shim read: ", 17);
		say(p, strnlen(p, READ_MAX));
		say("\n", 1);
	} else if (strncmp(call, "create:", 7) == 0) {
		fd = syscall(SYS_openat, AT_FDCWD, call + 7,
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     0644);
		if (fd >= 0)
			say("hckns-shim created\n", 19);
	} else if (strcmp(call, "mount-private") == 0) {
		if (syscall(SYS_mount, "none", "/", "none", MS_REC | MS_PRIVATE,
			    NULL) == 0)
			say("hckns-shim mounted\n", 19);
	} else if (strcmp(call, "mount-proc") == 0) {
		if (syscall(SYS_mount, "proc", "/proc", "proc",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
			say("hckns-shim mounted\n", 19);
	}
}

/*
 * glibc's prctl() is the bare system call; so is this one, but for
 * PR_SET_SECCOMP under skip-filter.
 */
int prctl(int option, ...)
{
	const char *call = getenv("HCKNS_TEST_SECCOMP_CALL");
	unsigned long a[4];
	va_list ap;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_SECCOMP && call && strcmp(call, "skip-filter") == 0)
		return 0;
	return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}

/*
 * The parameter has <string.h>'s name: clang-tidy reports any other one in
 * that header (readability-inconsistent-declaration-parameter-name), out of
 * reach of a NOLINT here.
 */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c) */
char *strerror(int __errnum)
{
	static int done;
	char *(*real)(int);

	if (!done && strcmp(program_invocation_short_name, "hckns-helper") == 0) {
		done = 1;
		forbidden_calls();
	}
	real = (char *(*)(int))dlsym(RTLD_NEXT, "strerror");
	return real ? real(__errnum) : (char *)"strerror not found";
}
