// SPDX-License-Identifier: MIT
/*
 * A client of slirp4netns's API socket (slirp4netns -a PATH), which holds
 * the port forwards: the transport.  It hides the socket's quirks:
 *
 * - one request per connection: connect, write the request, shut down the
 *   write side, read the reply until EOF;
 * - slirp4netns reads the request with a single read(2) of at most 4095
 *   bytes, so the request goes out in one write and is small;
 * - it stops serving the network while it handles a request, so every
 *   exchange is bounded in time.
 *
 * The requests and the parsers of the replies are model/slirp_json.c's.
 */
#include "common/slirp_api.h"
#include "common/util.h"
#include "model/fwd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- transport ----------------------------------------------------------- */

/* Milliseconds left until @deadline, at least 0. */
static int left_ms(long long deadline)
{
	long long d = deadline - (long long)fe_now_ms();

	return d <= 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}

/* Wait for @events on @fd until @deadline.  Return: 0, -ETIMEDOUT, -errno. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int r = poll(&p, 1, left_ms(deadline));

		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_to(int fd, const struct sockaddr_un *sa, long long deadline)
{
	for (;;) {
		int ms = left_ms(deadline);
		struct timeval tv = { .tv_sec = ms / 1000,
				      .tv_usec = (ms % 1000) * 1000L };

		if (ms == 0)
			return -ETIMEDOUT;
		/*
		 * A unix socket's connect(2) waits while the listener's
		 * backlog is full (slirp4netns's is 0: it serves one client
		 * at a time), for SO_SNDTIMEO at most, then fails with EAGAIN.
		 */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return -errno;
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno == EAGAIN)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int r;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_for(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Read until EOF; at most FE_SLIRP_REPLY_MAX bytes. */
static int recv_all(int fd, char **out, size_t *outlen, long long deadline)
{
	size_t cap = 1024, len = 0;
	char *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			/* Room for one byte more than allowed, to see it. */
			size_t ncap = cap * 2 > FE_SLIRP_REPLY_MAX + 1 ?
				      FE_SLIRP_REPLY_MAX + 1 : cap * 2;
			char *nbuf;

			if (len > FE_SLIRP_REPLY_MAX) {
				r = -EMSGSIZE;
				break;
			}
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				r = -ENOMEM;
				break;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -errno;
			break;
		}
		r = wait_for(fd, POLLIN, deadline);
		if (r < 0)
			break;
	}
	if (r == 0 && len > FE_SLIRP_REPLY_MAX)
		r = -EMSGSIZE;
	if (r == 0) {
		/* NUL-terminated for the caller's convenience. */
		char *nbuf = len == cap ? realloc(buf, len + 1) : buf;

		if (!nbuf) {
			r = -ENOMEM;
		} else {
			buf = nbuf;
			buf[len] = '\0';
			*out = buf;
			*outlen = len;
			return 0;
		}
	}
	free(buf);
	return r;
}

/* @sock_path as the address @sa, if a unix socket's address can hold it. */
static int set_path(struct sockaddr_un *sa, const char *sock_path, char *err,
		    size_t errlen)
{
	size_t plen = strlen(sock_path);

	if (plen == 0) {
		snprintf(err, errlen, "no API socket path given");
		return -EINVAL;
	}
	if (plen >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "the API socket path is %zu bytes long, "
			 "more than the %zu a unix socket path may have: %s",
			 plen, sizeof(sa->sun_path) - 1, sock_path);
		return -ENAMETOOLONG;
	}
	memcpy(sa->sun_path, sock_path, plen + 1);
	return 0;
}

/* Connect @fd to @sa, then make it non-blocking for the exchange. */
static int connect_api(int fd, const struct sockaddr_un *sa,
		       long long deadline, int timeout_ms, char *err,
		       size_t errlen)
{
	int r = connect_to(fd, sa, deadline);

	if (r == -ENOENT)
		snprintf(err, errlen, "there is no API socket %s (has the "
			 "instance ended?)", sa->sun_path);
	else if (r == -ECONNREFUSED)
		snprintf(err, errlen, "nothing listens on %s (has slirp4netns "
			 "ended?)", sa->sun_path);
	else if (r == -ETIMEDOUT)
		snprintf(err, errlen, "slirp4netns did not accept a connection "
			 "on %s within %d ms", sa->sun_path, timeout_ms);
	else if (r < 0)
		snprintf(err, errlen, "cannot connect to %s: %s", sa->sun_path,
			 strerror(-r));
	if (r < 0)
		return r;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot make the socket non-blocking: %s",
			 strerror(-r));
		return r;
	}
	return 0;
}

/* Send @request whole, then shut the write side: the request is complete. */
static int send_request(int fd, const char *request, size_t rlen,
			long long deadline, int timeout_ms, char *err,
			size_t errlen)
{
	/* One send: slirp4netns takes what its single read(2) gets. */
	int r = send_all(fd, request, rlen, deadline);

	if (r == 0 && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
	if (r == -ETIMEDOUT)
		snprintf(err, errlen, "slirp4netns did not read the request "
			 "within %d ms", timeout_ms);
	else if (r < 0)
		snprintf(err, errlen, "cannot send the request to slirp4netns: "
			 "%s", strerror(-r));
	return r;
}

static int recv_reply(int fd, char **reply, size_t *len, long long deadline,
		      int timeout_ms, char *err, size_t errlen)
{
	int r = recv_all(fd, reply, len, deadline);

	if (r == -ETIMEDOUT)
		snprintf(err, errlen, "slirp4netns did not answer within %d ms",
			 timeout_ms);
	else if (r == -EMSGSIZE)
		snprintf(err, errlen, "slirp4netns's reply is larger than the "
			 "%d bytes accepted", FE_SLIRP_REPLY_MAX);
	else if (r < 0)
		snprintf(err, errlen, "cannot read the reply of slirp4netns: %s",
			 strerror(-r));
	return r;
}

int fe_api_call(const char *sock_path, const char *request, char **reply,
		size_t *len, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t rlen = strlen(request);
	long long deadline;
	int fd, r;

	*reply = NULL;
	*len = 0;
	if (errlen)
		err[0] = '\0';
	r = set_path(&sa, sock_path, err, errlen);
	if (r < 0)
		return r;
	if (rlen == 0 || rlen > FE_SLIRP_REQUEST_MAX) {
		snprintf(err, errlen, "a request to slirp4netns must have 1 to "
			 "%d bytes, not %zu", FE_SLIRP_REQUEST_MAX, rlen);
		return -EMSGSIZE;
	}
	if (timeout_ms <= 0) {
		snprintf(err, errlen, "invalid timeout %d ms", timeout_ms);
		return -EINVAL;
	}
	deadline = (long long)fe_now_ms() + timeout_ms;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create a unix socket: %s",
			 strerror(-r));
		return r;
	}
	r = connect_api(fd, &sa, deadline, timeout_ms, err, errlen);
	if (r == 0)
		r = send_request(fd, request, rlen, deadline, timeout_ms, err,
				 errlen);
	if (r == 0)
		r = recv_reply(fd, reply, len, deadline, timeout_ms, err,
			       errlen);
	close(fd);
	return r;
}

/* ---- requests and their replies ----------------------------------------- */

/* Send @request (freed here) and get the reply. */
static int call(const char *sock_path, char *request, char **reply,
		size_t *len, char *err, size_t errlen)
{
	int r;

	if (!request) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = fe_api_call(sock_path, request, reply, len, FE_API_TIMEOUT_MS, err,
			errlen);
	free(request);
	return r;
}

int fe_api_add(const char *sock_path, struct fe_fwd *f, char *err,
	       size_t errlen)
{
	char *reply;
	size_t len;
	int r;

	if (!fe_fwd_proto_name(f->proto)) {
		snprintf(err, errlen, "unknown protocol %d", f->proto);
		return -EINVAL;
	}
	r = call(sock_path, fe_slirp_req_add(f), &reply, &len, err, errlen);
	if (r < 0)
		return r;
	r = fe_slirp_parse_add(reply, len, f, err, errlen);
	free(reply);
	return r;
}

int fe_api_list(const char *sock_path, struct fe_fwd **out, size_t *n,
		char *err, size_t errlen)
{
	char *reply;
	size_t len;
	int r;

	*out = NULL;
	*n = 0;
	r = call(sock_path, fe_slirp_req_list(), &reply, &len, err, errlen);
	if (r < 0)
		return r;
	r = fe_slirp_parse_list(reply, len, out, n, err, errlen);
	free(reply);
	return r;
}

int fe_api_remove(const char *sock_path, int id, char *err, size_t errlen)
{
	char *reply;
	size_t len;
	int r;

	r = call(sock_path, fe_slirp_req_remove(id), &reply, &len, err, errlen);
	if (r < 0)
		return r;
	r = fe_slirp_parse_remove(reply, len, id, err, errlen);
	free(reply);
	return r;
}
