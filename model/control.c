// SPDX-License-Identifier: MIT
/*
 * The --control-fd protocol: JSON lines in, JSON lines out.
 *
 * A script writes one request per line and reads one answer per request,
 * in order.  The requests have the shapes of slirp4netns's API (the
 * forwards are slirp4netns's, hckns passes them on), with hckns's defaults
 * and checks, plus "stop".  Every request may carry a "tag", any JSON value,
 * which the answer repeats, so that a script can match answers to requests.
 *
 * Requests (one line each, at most FE_CONTROL_LINE_MAX = 4096 bytes without
 * the newline; members in any order, no others allowed; a blank line is
 * an error like any malformed one, so that every line gets one answer):
 *
 *   {"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1",
 *    "host_port":8080,"guest_addr":"10.0.2.100","guest_port":80},"tag":1}
 *       proto       "tcp" (default) or "udp"
 *       host_addr   an IPv4 dotted quad; default "127.0.0.1" (not 0.0.0.0:
 *                   "0.0.0.0" opens the port to the network)
 *       host_port   1..65535, required
 *       guest_addr  an IPv4 dotted quad; default br_world's, 10.0.2.100
 *       guest_port  1..65535; default host_port
 *   {"execute":"list_hostfwd"}
 *   {"execute":"remove_hostfwd","arguments":{"id":1}}
 *   {"execute":"stop"}     ends the command as SIGTERM would
 *
 *   "arguments" of list_hostfwd and stop may be given as {}; numbers are
 *   JSON integers (8080, not "8080" or 8080.0).
 *
 * Answers (one line each, compact JSON, "tag" only when the request had
 * one):
 *
 *   add_hostfwd     {"return":{"id":1},"tag":1}
 *   list_hostfwd    {"return":{"entries":[{"id":1,"proto":"tcp",
 *                    "host_addr":"127.0.0.1","host_port":8080,
 *                    "guest_addr":"10.0.2.100","guest_port":80}]}}
 *   remove_hostfwd  {"return":{}}
 *   stop            {"return":{}}
 *   any error       {"error":{"desc":"add_hostfwd: host port 0 is out of
 *                    range (1..65535)"},"tag":1}
 *
 * A malformed line, an unknown request, bad arguments or an oversized line
 * get an error answer and change nothing else; the answer to a line that
 * was not a JSON object has no tag.  (List answers wrap "entries" in
 * "return", unlike slirp4netns's own list reply.)
 *
 * Everything here is pure (common/util.c reads the descriptor).
 */
#include "model/fwd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How much of a name from the request a reason quotes. */
#define NAME_MAX_QUOTE 40

void fe_sanitize(const char *s, char *out, size_t outlen, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < outlen && i < max; i++)
		out[i] = (char)(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
	out[i] = '\0';
}

static bool only_keys(json_t *obj, const char *const *keys, const char *what,
		      char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char q[NAME_MAX_QUOTE + 1];
		bool known = false;

		for (size_t i = 0; keys[i]; i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (known)
			continue;
		fe_sanitize(key, q, sizeof(q), NAME_MAX_QUOTE);
		snprintf(err, errlen, "%s: unknown member \"%s\"", what, q);
		return false;
	}
	return true;
}

/* An optional string member; false (with @err) when of another type. */
static bool opt_string(json_t *args, const char *key, const char **out,
		       char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	if (!v)
		return true;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "add_hostfwd: \"%s\" must be a string",
			 key);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* An optional integer member; false (with @err) when of another type. */
static bool opt_int(json_t *args, const char *key, long long *out,
		    const char *what, char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	if (!v)
		return true;
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "%s: \"%s\" must be an integer", what, key);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

static int parse_add(json_t *args, const char *guest_addr,
		     struct fe_control_req *req, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"proto", "host_addr", "host_port", "guest_addr", "guest_port",
		NULL,
	};
	const char *proto = "tcp", *haddr = FE_FWD_HOST_ADDR;
	const char *gaddr = guest_addr;
	long long hport = 0, gport = -1;
	char why[512];

	if (!args) {
		snprintf(err, errlen, "add_hostfwd: \"arguments\" with at least "
			 "\"host_port\" are required");
		return -EINVAL;
	}
	if (!only_keys(args, keys, "add_hostfwd arguments", err, errlen) ||
	    !opt_string(args, "proto", &proto, err, errlen) ||
	    !opt_string(args, "host_addr", &haddr, err, errlen) ||
	    !opt_string(args, "guest_addr", &gaddr, err, errlen) ||
	    !opt_int(args, "host_port", &hport, "add_hostfwd", err, errlen) ||
	    !opt_int(args, "guest_port", &gport, "add_hostfwd", err, errlen))
		return -EINVAL;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
		snprintf(err, errlen, "add_hostfwd: \"proto\" must be \"tcp\" "
			 "or \"udp\"");
		return -EINVAL;
	}
	if (!json_object_get(args, "host_port")) {
		snprintf(err, errlen, "add_hostfwd: \"host_port\" is required");
		return -EINVAL;
	}
	if (!json_object_get(args, "guest_port"))
		gport = hport;
	if (fe_fwd_set(&req->fwd, strcmp(proto, "udp") == 0 ? IPPROTO_UDP :
		       IPPROTO_TCP, haddr, hport, gaddr, gport, why,
		       sizeof(why)) < 0) {
		snprintf(err, errlen, "add_hostfwd: %s", why);
		return -EINVAL;
	}
	req->op = FE_CONTROL_ADD;
	return 0;
}

static int parse_remove(json_t *args, struct fe_control_req *req, char *err,
			size_t errlen)
{
	static const char *const keys[] = { "id", NULL };
	long long id = 0;

	if (!args || !json_object_get(args, "id")) {
		snprintf(err, errlen, "remove_hostfwd: \"arguments\" with "
			 "\"id\" are required");
		return -EINVAL;
	}
	if (!only_keys(args, keys, "remove_hostfwd arguments", err, errlen) ||
	    !opt_int(args, "id", &id, "remove_hostfwd", err, errlen))
		return -EINVAL;
	if (id < 1 || id > INT_MAX) {
		snprintf(err, errlen, "remove_hostfwd: id %lld is out of range "
			 "(1..%d)", id, INT_MAX);
		return -EINVAL;
	}
	req->op = FE_CONTROL_REMOVE;
	req->id = (int)id;
	return 0;
}

/* list_hostfwd and stop: no arguments, or {}. */
static int parse_plain(json_t *args, const char *name, enum fe_control_op op,
		       struct fe_control_req *req, char *err, size_t errlen)
{
	static const char *const none[] = { NULL };
	char what[64];

	snprintf(what, sizeof(what), "%s arguments", name);
	if (args && !only_keys(args, none, what, err, errlen))
		return -EINVAL;
	req->op = op;
	return 0;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int fe_control_parse(const char *line, size_t len, const char *guest_addr,
		     struct fe_control_req *req, char *err, size_t errlen)
{
	static const char *const keys[] = { "execute", "arguments", "tag", NULL };
	char text[NAME_MAX_QUOTE * 2 + 1];
	json_t *root, *exec, *args;
	const char *name;
	json_error_t je;
	int r = -EINVAL;

	*req = (struct fe_control_req){ .op = FE_CONTROL_NONE };
	if (errlen)
		err[0] = '\0';
	if (len > FE_CONTROL_LINE_MAX) {
		snprintf(err, errlen, "request line longer than %d bytes",
			 FE_CONTROL_LINE_MAX);
		return -EMSGSIZE;
	}
	if (blank(line, len)) {
		snprintf(err, errlen, "blank line");
		return -EINVAL;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_out_of_memory) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		fe_sanitize(je.text, text, sizeof(text), sizeof(text) - 1);
		snprintf(err, errlen, "malformed JSON at byte %d: %s",
			 je.position, text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "a request must be a JSON object such as "
			 "{\"execute\":\"list_hostfwd\"}");
		goto out;
	}
	/* First, so that even a bad request's error answer carries it. */
	req->tag = json_incref(json_object_get(root, "tag"));
	if (!only_keys(root, keys, "request", err, errlen))
		goto out;
	exec = json_object_get(root, "execute");
	args = json_object_get(root, "arguments");
	if (!exec) {
		snprintf(err, errlen, "request: \"execute\" is required");
		goto out;
	}
	if (!json_is_string(exec)) {
		snprintf(err, errlen, "request: \"execute\" must be a string");
		goto out;
	}
	if (args && !json_is_object(args)) {
		snprintf(err, errlen, "request: \"arguments\" must be an object");
		goto out;
	}
	name = json_string_value(exec);
	if (strcmp(name, "add_hostfwd") == 0) {
		r = parse_add(args, guest_addr, req, err, errlen);
	} else if (strcmp(name, "list_hostfwd") == 0) {
		r = parse_plain(args, name, FE_CONTROL_LIST, req, err, errlen);
	} else if (strcmp(name, "remove_hostfwd") == 0) {
		r = parse_remove(args, req, err, errlen);
	} else if (strcmp(name, "stop") == 0) {
		r = parse_plain(args, name, FE_CONTROL_STOP, req, err, errlen);
	} else {
		fe_sanitize(name, text, sizeof(text), NAME_MAX_QUOTE);
		snprintf(err, errlen, "unknown request \"%s\"; known: "
			 "add_hostfwd, list_hostfwd, remove_hostfwd, stop", text);
	}
out:
	if (r < 0)
		req->op = FE_CONTROL_NONE;
	json_decref(root);
	return r;
}

void fe_control_req_release(struct fe_control_req *req)
{
	json_decref(req->tag);
	req->tag = NULL;
}

/* ---- answers --------------------------------------------------------------- */

/* @obj (stolen) with the tag, as one line.  NULL when out of memory. */
static char *answer(json_t *obj, const json_t *tag)
{
	char *s, *line;
	size_t n;

	if (!obj)
		return NULL;
	if (tag && json_object_set_new(obj, "tag", json_deep_copy(tag)) < 0) {
		json_decref(obj);
		return NULL;
	}
	/*
	 * Compact: no newline anywhere (strings escape theirs).  ASCII only,
	 * so that a reader in any locale takes it.
	 */
	s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (!s)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *fe_control_ok(const json_t *tag, json_t *ret)
{
	json_t *obj;

	if (!ret)
		ret = json_object();
	if (!ret)
		return NULL;
	obj = json_object();
	if (!obj) {
		json_decref(ret);
		return NULL;
	}
	if (json_object_set_new(obj, "return", ret) < 0) {
		json_decref(obj);
		return NULL;
	}
	return answer(obj, tag);
}

char *fe_control_error(const json_t *tag, const char *desc)
{
	size_t n = strlen(desc);
	char *clean = malloc(n + 1);
	json_t *obj;

	if (!clean)
		return NULL;
	fe_sanitize(desc, clean, n + 1, n);
	obj = json_pack("{s:{s:s}}", "error", "desc", clean);
	free(clean);
	return answer(obj, tag);
}

json_t *fe_control_added(const struct fe_fwd *f)
{
	return json_pack("{s:i}", "id", f->id);
}

json_t *fe_control_entry(const struct fe_fwd *f)
{
	const char *proto = fe_fwd_proto_name(f->proto);

	if (!proto)
		return NULL;
	return json_pack("{s:i, s:s, s:s, s:i, s:s, s:i}",
			 "id", f->id,
			 "proto", proto,
			 "host_addr", f->host_addr,
			 "host_port", (int)f->host_port,
			 "guest_addr", f->guest_addr,
			 "guest_port", (int)f->guest_port);
}

json_t *fe_control_entries(const struct fe_fwd *v, size_t n)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, fe_control_entry(&v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return json_pack("{s:o}", "entries", a);
}

/* ---- lines from the control fd ------------------------------------------- */

/* Bytes of data @lb holds at most: a longest line and its newline. */
#define LB_CAP (sizeof(((struct fe_linebuf *)0)->buf) - 1)

void fe_linebuf_init(struct fe_linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
}

/* Move what is left to the front.  Return: the free room. */
static size_t compact(struct fe_linebuf *lb)
{
	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->start = 0;
	}
	return LB_CAP - lb->len;
}

size_t fe_linebuf_room(struct fe_linebuf *lb)
{
	return compact(lb);
}

size_t fe_linebuf_feed(struct fe_linebuf *lb, const void *data, size_t len)
{
	size_t room = compact(lb);

	if (len > room)
		len = room;
	if (len)
		memcpy(lb->buf + lb->len, data, len);
	lb->len += len;
	return len;
}

void fe_linebuf_set_eof(struct fe_linebuf *lb)
{
	lb->eof = true;
}

int fe_linebuf_next(struct fe_linebuf *lb, const char **line, size_t *len)
{
	for (;;) {
		char *p = lb->buf + lb->start;
		size_t avail = lb->len - lb->start;
		char *nl = memchr(p, '\n', avail);

		if (nl) {
			/* At most LB_CAP - 1 = FE_CONTROL_LINE_MAX bytes. */
			lb->start += (size_t)(nl - p) + 1;
			if (lb->discarding) {
				lb->discarding = false;
				continue;
			}
			*nl = '\0';
			*line = p;
			*len = (size_t)(nl - p);
			return 1;
		}
		if (lb->discarding) {
			lb->start = lb->len = 0;
			return 0;
		}
		if (avail > FE_CONTROL_LINE_MAX) {
			/* Full, and no newline: report once, drop the rest. */
			lb->start = lb->len = 0;
			lb->discarding = true;
			return -EMSGSIZE;
		}
		if (lb->eof && avail > 0) {
			/* The spare byte of buf holds the NUL. */
			p[avail] = '\0';
			lb->start = lb->len;
			*line = p;
			*len = avail;
			return 1;
		}
		return 0;
	}
}
