// SPDX-License-Identifier: MIT
/*
 * load-marker-shim - say which processes loaded it.
 *
 * With LD_PRELOAD=load-marker-shim.so and HCKNS_TEST_LOAD_MARKER_DIR=DIR
 * in hckns's environment, every process that loads it (at its exec) leaves
 * DIR/PID holding its program name.  tests/integration/t-inputs.sh checks
 * that the helper and slirp4netns never do: hckns gives them fixed
 * environments, so a caller's LD_PRELOAD reaches the front end and the
 * command (the caller's own choice) and nothing in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void load_marker(void)
{
	const char *dir = getenv("HCKNS_TEST_LOAD_MARKER_DIR");
	char path[4096];
	int fd;

	if (!dir || snprintf(path, sizeof(path), "%s/%d", dir, (int)getpid()) >=
			    (int)sizeof(path))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, program_invocation_short_name,
		  strlen(program_invocation_short_name)) < 0) {
		/* The marker's name says enough. */
	}
	close(fd);
}
