// SPDX-License-Identifier: MIT
/*
 * What a running instance's network is, for the processes that did not
 * build it: `hckns fwd` and the front ends that join a named instance.  Its
 * creator writes the uplink's address (where port forwards lead) into the
 * runtime directory; the others read it there, instead of assuming the
 * default topology.
 */
#include "common/netinfo.h"
#include "common/util.h"
#include "model/opts.h"
#include "model/topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Write @text (@n bytes) into the new file RUNDIR/@name. */
static int write_new(const char *rundir, const char *name, const char *text,
		     size_t n)
{
	char path[4200];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%s", rundir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	r = fe_write_all(fd, text, n);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int fe_netinfo_save(const char *rundir, const struct fe_topology *t)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%s\n", fe_topology_guest_addr(t));

	return write_new(rundir, FE_GUEST_ADDR_FILE, text, (size_t)n);
}

int fe_netinfo_save_options(const char *rundir, const struct fe_opts *o)
{
	char text[2048];
	int n = fe_network_describe(o, text, sizeof(text));

	return n < 0 ? n : write_new(rundir, FE_OPTIONS_FILE, text, (size_t)n);
}

int fe_netinfo_options(const char *rundir, char *out, size_t len)
{
	char path[4200];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", rundir, FE_OPTIONS_FILE) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	out[n] = '\0';
	return 0;
}

int fe_netinfo_guest_addr(const char *rundir, char *out, size_t len)
{
	char path[4200], text[32];
	struct in_addr a;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", rundir, FE_GUEST_ADDR_FILE) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 1 || text[n - 1] != '\n')
		return -EBADMSG;
	text[n - 1] = '\0';
	/* Only an address goes on to slirp4netns, whatever is in the file. */
	if (inet_pton(AF_INET, text, &a) != 1 || (size_t)n > len)
		return -EBADMSG;
	memcpy(out, text, (size_t)n);
	return 0;
}
