// SPDX-License-Identifier: MIT
/*
 * slirp4netns's API, the JSON half: the requests hckns sends to its API
 * socket (slirp4netns -a PATH) and the parsers of its replies.  Pure: no
 * system calls (common/slirp_api.c is the transport).  slirp4netns 1.2.0's
 * replies:
 *
 *     add_hostfwd     {"return":{"id":K}}
 *     list_hostfwd    {"entries":[{"id":K,"proto":"tcp","host_addr":"...",
 *                     "host_port":N,"guest_addr":"...","guest_port":M}]}
 *                     (no "return" wrapper; one is accepted too)
 *     remove_hostfwd  {"return":{}}
 *     errors          {"error":{"desc":"bad request: ..."}}; a host port in
 *                     use gives only "add_hostfwd: slirp_add_hostfwd failed",
 *                     an unknown id "remove_hostfwd: bad arguments.id";
 *
 * It defaults host_addr to 0.0.0.0, so requests state every argument.
 */
#include "model/fwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
