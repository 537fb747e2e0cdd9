/* SPDX-License-Identifier: MIT */
/* The transport of slirp4netns's API socket (slirp_api.c). */
#ifndef HCKNS_COMMON_SLIRP_API_H
#define HCKNS_COMMON_SLIRP_API_H

#include <stddef.h>

#include "model/fwd.h"

/* The time fe_api_add(), fe_api_list() and fe_api_remove() allow. */
#define FE_API_TIMEOUT_MS 5000

/**
 * fe_api_call() - one request to slirp4netns's API socket.
 * @sock_path: the socket (-a PATH of slirp4netns).
 * @request: the JSON request, at most FE_SLIRP_REQUEST_MAX bytes.
 * @reply: receives the reply (malloc'd, NUL-terminated; the caller frees).
 * @len: receives the reply's length without the NUL.
 * @timeout_ms: for the whole exchange, connect included (> 0).
 *
 * One request per connection, as slirp4netns wants it: connect, write the
 * request in one write (slirp4netns reads it with a single read(2)), shut
 * down the write side, read until EOF.  A path that does not fit in
 * sun_path is refused (-ENAMETOOLONG), never truncated.
 *
 * Return: 0; -ENAMETOOLONG; -EMSGSIZE (request or reply too large);
 * -ETIMEDOUT; -errno of socket, connect (-ENOENT: no socket there,
 * -ECONNREFUSED: nothing listens), write or read.  @err says which.
 */
int fe_api_call(const char *sock_path, const char *request, char **reply,
		size_t *len, int timeout_ms, char *err, size_t errlen);

/*
 * add_hostfwd, list_hostfwd and remove_hostfwd through fe_api_call(), with
 * FE_API_TIMEOUT_MS, and their replies parsed.  fe_api_add() sets @f->id.
 * Return: 0, or -errno of the call or the parser, with @err set.
 */
int fe_api_add(const char *sock_path, struct fe_fwd *f, char *err,
	       size_t errlen);
int fe_api_list(const char *sock_path, struct fe_fwd **out, size_t *n,
		char *err, size_t errlen);
int fe_api_remove(const char *sock_path, int id, char *err, size_t errlen);

#endif
