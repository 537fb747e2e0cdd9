// SPDX-License-Identifier: MIT
/*
 * A client of slirp4netns's API socket (slirp4netns -a PATH), which holds
 * the port forwards.  It hides the socket's quirks:
 *
 * - one request per connection: connect, write the request, shut down the
 *   write side, read the reply until EOF;
 * - slirp4netns reads the request with a single read(2) of at most 4095
 *   bytes, so the request goes out in one write and is small;
 * - it stops serving the network while it handles a request, so every
 *   exchange is bounded in time;
 * - its replies (slirp4netns 1.2.0):
 *     add_hostfwd     {"return":{"id":K}}
 *     list_hostfwd    {"entries":[{"id":K,"proto":"tcp","host_addr":"...",
 *                     "host_port":N,"guest_addr":"...","guest_port":M}]}
 *                     (no "return" wrapper; one is accepted too)
 *     remove_hostfwd  {"return":{}}
 *     errors          {"error":{"desc":"bad request: ..."}}; a host port in
 *                     use gives only "add_hostfwd: slirp_add_hostfwd failed",
 *                     an unknown id "remove_hostfwd: bad arguments.id";
 * - it defaults host_addr to 0.0.0.0, so requests state every argument.
 *
 * The builders and parsers are pure; fe_api_call() is the transport.
 */
#include "fe.h"
#include "fwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* How much of slirp4netns's text a reason quotes. */
#define DESC_MAX 160

/* ---- requests ------------------------------------------------------------ */

static char *dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	return s;
}

char *fe_slirp_req_add(const struct fe_fwd *f)
{
	const char *proto = fe_fwd_proto_name(f->proto);

	if (!proto)
		return NULL;
	return dump(json_pack("{s:s, s:{s:s, s:s, s:i, s:s, s:i}}",
			      "execute", "add_hostfwd", "arguments",
			      "proto", proto,
			      "host_addr", f->host_addr,
			      "host_port", (int)f->host_port,
			      "guest_addr", f->guest_addr,
			      "guest_port", (int)f->guest_port));
}

char *fe_slirp_req_list(void)
{
	return dump(json_pack("{s:s}", "execute", "list_hostfwd"));
}

char *fe_slirp_req_remove(int id)
{
	return dump(json_pack("{s:s, s:{s:i}}", "execute", "remove_hostfwd",
			      "arguments", "id", id));
}

/* ---- replies ------------------------------------------------------------- */

/*
 * Decode a reply to @what: a JSON object of at most FE_SLIRP_REPLY_MAX
 * bytes.  Return: 0 with *@root set, or -errno with @err set.
 */
static int load(const char *buf, size_t len, const char *what, json_t **root,
		char *err, size_t errlen)
{
	char text[DESC_MAX + 1];
	json_error_t je;

	*root = NULL;
	if (len > FE_SLIRP_REPLY_MAX) {
		snprintf(err, errlen, "slirp4netns's reply to %s is %zu bytes, "
			 "more than the %d accepted", what, len,
			 FE_SLIRP_REPLY_MAX);
		return -EMSGSIZE;
	}
	if (len == 0) {
		snprintf(err, errlen, "slirp4netns closed the connection "
			 "without answering %s", what);
		return -EPROTO;
	}
	*root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		if (json_error_code(&je) == json_error_out_of_memory) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		fe_sanitize(je.text, text, sizeof(text), DESC_MAX);
		snprintf(err, errlen, "malformed reply of slirp4netns to %s: "
			 "%s at byte %d", what, text, je.position);
		return -EPROTO;
	}
	if (!json_is_object(*root)) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to %s: "
			 "not a JSON object", what);
		json_decref(*root);
		*root = NULL;
		return -EPROTO;
	}
	return 0;
}

/*
 * An {"error":{"desc":D}} reply.  Return: 0 when @root has no "error"; 1
 * with @desc (sanitized) when it has one; -EPROTO when it is malformed.
 */
static int get_error(json_t *root, const char *what, char *desc,
		     size_t desclen, char *err, size_t errlen)
{
	json_t *e = json_object_get(root, "error");
	json_t *d;

	if (!e)
		return 0;
	d = json_is_object(e) ? json_object_get(e, "desc") : NULL;
	if (!json_is_string(d)) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to %s: "
			 "an error without a description", what);
		return -EPROTO;
	}
	fe_sanitize(json_string_value(d), desc, desclen, DESC_MAX);
	return 1;
}

/*
 * An integer member of @obj in [min, max].  slirp4netns's JSON library
 * keeps numbers as doubles: an integral real is taken too.
 */
static bool get_int(json_t *obj, const char *key, long long min,
		    long long max, long long *out)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= -1e15 && d <= 1e15) || d != (double)(long long)d)
			return false;
		*out = (long long)d;
	} else {
		return false;
	}
	return *out >= min && *out <= max;
}

int fe_slirp_parse_add(const char *buf, size_t len, struct fe_fwd *f,
		       char *err, size_t errlen)
{
	char desc[DESC_MAX + 1];
	json_t *root, *ret;
	long long id;
	int r;

	if (errlen)
		err[0] = '\0';
	r = load(buf, len, "add_hostfwd", &root, err, errlen);
	if (r < 0)
		return r;
	r = get_error(root, "add_hostfwd", desc, sizeof(desc), err, errlen);
	if (r > 0 && strstr(desc, "slirp_add_hostfwd failed")) {
		/*
		 * All slirp4netns says when bind(2) or listen(2) failed.
		 * Why is for the host to know; the likely reasons are these.
		 */
		bool any = strcmp(f->host_addr, "0.0.0.0") == 0;
		bool loopback = strncmp(f->host_addr, "127.", 4) == 0;

		snprintf(err, errlen, "host port %u on %s is in use or not "
			 "permitted%s%s", f->host_port, f->host_addr,
			 f->host_port < 1024 ?
				" (a port below 1024 needs privilege)" : "",
			 any || loopback ? "" :
				", or the address is not one of this host's");
		r = -EADDRINUSE;
	} else if (r > 0) {
		snprintf(err, errlen, "slirp4netns refused the forward: %s",
			 desc);
		r = -EIO;
	} else if (r == 0) {
		ret = json_object_get(root, "return");
		if (!json_is_object(ret) ||
		    !get_int(ret, "id", 1, INT_MAX, &id)) {
			snprintf(err, errlen, "unexpected reply of slirp4netns "
				 "to add_hostfwd: no {\"return\":{\"id\":K}} "
				 "with K a positive integer");
			r = -EPROTO;
		} else {
			f->id = (int)id;
		}
	}
	json_decref(root);
	return r;
}

/* One entry of list_hostfwd.  Return: 0, or -EPROTO with the reason. */
static int parse_entry(json_t *e, size_t i, struct fe_fwd *f, char *err,
		       size_t errlen)
{
	static const char *const members[] = {
		"id", "proto", "host_addr", "host_port", "guest_addr",
		"guest_port",
	};
	long long id, hport, gport;
	const char *proto;
	char why[512];
	int p;

	if (!json_is_object(e)) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to "
			 "list_hostfwd: entry %zu is not an object", i + 1);
		return -EPROTO;
	}
	for (size_t k = 0; k < sizeof(members) / sizeof(members[0]); k++) {
		if (!json_object_get(e, members[k])) {
			snprintf(err, errlen, "unexpected reply of slirp4netns "
				 "to list_hostfwd: entry %zu has no \"%s\"",
				 i + 1, members[k]);
			return -EPROTO;
		}
	}
	proto = json_string_value(json_object_get(e, "proto"));
	p = !proto ? 0 : strcmp(proto, "tcp") == 0 ? IPPROTO_TCP :
		strcmp(proto, "udp") == 0 ? IPPROTO_UDP : 0;
	/* Out-of-range ports are left to fe_fwd_set() to describe. */
	if (!get_int(e, "id", 1, INT_MAX, &id) ||
	    !get_int(e, "host_port", LLONG_MIN, LLONG_MAX, &hport) ||
	    !get_int(e, "guest_port", LLONG_MIN, LLONG_MAX, &gport) || !p) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to "
			 "list_hostfwd: entry %zu has a bad id, proto or port",
			 i + 1);
		return -EPROTO;
	}
	if (fe_fwd_set(f, p, json_string_value(json_object_get(e, "host_addr")),
		       hport, json_string_value(json_object_get(e, "guest_addr")),
		       gport, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to "
			 "list_hostfwd: entry %zu: %s", i + 1, why);
		return -EPROTO;
	}
	f->id = (int)id;
	return 0;
}

int fe_slirp_parse_list(const char *buf, size_t len, struct fe_fwd **out,
			size_t *n, char *err, size_t errlen)
{
	char desc[DESC_MAX + 1];
	json_t *root, *where, *entries;
	struct fe_fwd *v = NULL;
	size_t count = 0;
	int r;

	*out = NULL;
	*n = 0;
	if (errlen)
		err[0] = '\0';
	r = load(buf, len, "list_hostfwd", &root, err, errlen);
	if (r < 0)
		return r;
	r = get_error(root, "list_hostfwd", desc, sizeof(desc), err, errlen);
	if (r > 0) {
		snprintf(err, errlen, "slirp4netns refused to list the "
			 "forwards: %s", desc);
		r = -EIO;
		goto out;
	}
	if (r < 0)
		goto out;
	/* slirp4netns 1.2.0 has no "return" here; a fixed one might. */
	where = json_object_get(root, "return");
	if (!where)
		where = root;
	entries = json_is_object(where) ? json_object_get(where, "entries") :
		  NULL;
	if (!json_is_array(entries)) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to "
			 "list_hostfwd: no \"entries\" array");
		r = -EPROTO;
		goto out;
	}
	count = json_array_size(entries);
	if (count) {
		v = calloc(count, sizeof(*v));
		if (!v) {
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < count; i++) {
		r = parse_entry(json_array_get(entries, i), i, &v[i], err,
				errlen);
		if (r < 0)
			goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
out:
	free(v);
	json_decref(root);
	return r;
}

int fe_slirp_parse_remove(const char *buf, size_t len, int id, char *err,
			  size_t errlen)
{
	char desc[DESC_MAX + 1];
	json_t *root;
	int r;

	if (errlen)
		err[0] = '\0';
	r = load(buf, len, "remove_hostfwd", &root, err, errlen);
	if (r < 0)
		return r;
	r = get_error(root, "remove_hostfwd", desc, sizeof(desc), err, errlen);
	if (r > 0 && strstr(desc, "bad arguments.id")) {
		snprintf(err, errlen, "there is no forward with id %d", id);
		r = -ENOENT;
	} else if (r > 0) {
		snprintf(err, errlen, "slirp4netns refused to remove forward "
			 "%d: %s", id, desc);
		r = -EIO;
	} else if (r == 0 && !json_is_object(json_object_get(root, "return"))) {
		snprintf(err, errlen, "unexpected reply of slirp4netns to "
			 "remove_hostfwd: no \"return\" object");
		r = -EPROTO;
	}
	json_decref(root);
	return r;
}

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
