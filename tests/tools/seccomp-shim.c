// SPDX-License-Identifier: MIT
/*
 * seccomp-shim - make a serving hckns-helper call what its filter forbids.
 *
 * LD_PRELOAD=seccomp-shim.so wraps strerror(), which the helper calls only
 * while it serves (the reason of an answer to a request the kernel refused,
 * e.g. "bridge-add br0: File exists"), long after its seccomp filter is
 * loaded.  In the helper, the wrapper first asks for an AF_INET socket: a
 * system call the allow-list does not admit, so the kernel must kill the
 * helper with SIGSYS right there.  tests/integration/t-helper.sh checks
 * that it does.  In any other process (helper-probe inherits LD_PRELOAD
 * too) it only forwards the call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The parameter has <string.h>'s name: clang-tidy reports any other one in
 * that header (readability-inconsistent-declaration-parameter-name), out of
 * reach of a NOLINT here.
 */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c) */
char *strerror(int __errnum)
{
	char *(*real)(int);

	/* The raw call: what glibc's socket() does must not matter here. */
	if (strcmp(program_invocation_short_name, "hckns-helper") == 0)
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	real = (char *(*)(int))dlsym(RTLD_NEXT, "strerror");
	return real ? real(__errnum) : (char *)"strerror not found";
}
