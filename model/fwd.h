/* SPDX-License-Identifier: MIT */
/*
 * hckns's model of port forwards: pure (no system calls), so that it is
 * unit-tested and fuzzed; the fuzz harnesses link model/ and protocol/ only.
 *
 * fwd.c         the forward spec of -p/--publish and `hckns fwd`, and the
 *               checks every forward passes whatever its origin;
 * slirp_json.c  slirp4netns's API (-a PATH), which owns the forwards: the
 *               requests and the parsers of the replies (the transport is
 *               common/slirp_api.c);
 * control.c     the --control-fd protocol: JSON lines in, JSON lines out.
 *  Functions return 0 or
 * -errno and, where they take one, fill @err with a one-line reason; they
 * never print.
 */
#ifndef HCKNS_MODEL_FWD_H
#define HCKNS_MODEL_FWD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* ---- fwd.c ------------------------------------------------------------- */

/* What fe_fwd_parse() accepts, for messages and --help. */
#define FE_FWD_SYNTAX "[tcp:|udp:][HOST_ADDR:]HOST_PORT[:[GUEST_ADDR:]GUEST_PORT]"
/*
 * Where a forward listens unless told otherwise.  Not slirp4netns's
 * 0.0.0.0: a forward opens a port of the namespace to whoever can reach the
 * host address, so only an explicit 0.0.0.0 opens it to the network.
 */
#define FE_FWD_HOST_ADDR "127.0.0.1"
/* Room for any reason of fe_fwd_parse() and fe_fwd_set(). */
#define FE_FWD_ERR_MAX 512
/* Room for any fe_fwd_format() output: "udp:" + 2 * "255.255.255.255:65535:". */
#define FE_FWD_STR_MAX 64

/* One port forward from the host into the namespace (IPv4 only). */
struct fe_fwd {
	int id;				/* slirp4netns's, 0 if none */
	int proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	char host_addr[INET_ADDRSTRLEN];
	uint16_t host_port;
	char guest_addr[INET_ADDRSTRLEN];
	uint16_t guest_port;
};

/**
 * fe_fwd_parse() - parse a forward spec.
 * @spec: [tcp:|udp:][HOST_ADDR:]HOST_PORT[:GUEST_PORT]
 * @guest_addr: where the forward leads (br_world's address, 10.0.2.100).
 * @f: receives the forward, with id 0.
 * @err: receives a one-line reason on failure, "" on success.
 *
 * The protocol defaults to tcp, HOST_ADDR to FE_FWD_HOST_ADDR, GUEST_PORT
 * to HOST_PORT.  HOST_ADDR is an IPv4 dotted quad (inet_pton(3)).  With two
 * fields "A:B", A is HOST_ADDR (and B HOST_PORT) when it contains a '.',
 * else A is HOST_PORT and B GUEST_PORT; three fields are
 * HOST_ADDR:HOST_PORT:GUEST_PORT.  A port is 1..65535 in decimal digits only
 * (no sign, no space).  Every refusal quotes @spec (non-printable bytes
 * escaped, long specs shortened, so that FE_FWD_ERR_MAX bytes always
 * hold it) and ends with what is expected:
 * "invalid forward 'tcp:99999': host port 99999 is out of range (1..65535);
 * expected [tcp:|udp:][HOST_ADDR:]HOST_PORT[:GUEST_PORT]".
 *
 * Return: 0, or -EINVAL (@f is then unspecified).
 */
int fe_fwd_parse(const char *spec, const char *guest_addr, struct fe_fwd *f,
		 char *err, size_t errlen);

/**
 * fe_fwd_set() - check the parts of a forward and fill @f (with id 0).
 * @proto: IPPROTO_TCP or IPPROTO_UDP.
 * @host_addr: an IPv4 dotted quad.
 * @host_port, @guest_port: 1..65535; wide so that out-of-range values
 *	from JSON reach the check instead of being truncated.
 * @guest_addr: an IPv4 dotted quad.
 * @err: receives a one-line reason without a prefix ("host port 0 is out of
 *	range (1..65535)"), "" on success.
 *
 * The one place the rules of a forward live: fe_fwd_parse() and
 * fe_control_parse() both end here.
 * Return: 0, or -EINVAL.
 */
int fe_fwd_set(struct fe_fwd *f, int proto, const char *host_addr,
	       long long host_port, const char *guest_addr,
	       long long guest_port, char *err, size_t errlen);

/**
 * fe_fwd_check_reachable() - can the forward work in this instance?
 * @host_loopback: the instance lets 10.0.2.2 reach the host's loopback.
 *
 * slirp4netns shows a datagram that came from the host's loopback as coming
 * from 10.0.2.2; with the host's loopback closed to the namespace
 * (--disable-host-loopback, hckns's default) it drops the replies to it,
 * so a UDP forward on a loopback address would take datagrams and never
 * answer.  TCP is not affected.
 * Return: 0, or -EINVAL with a reason that says what to do.
 */
int fe_fwd_check_reachable(const struct fe_fwd *f, bool host_loopback,
			   char *err, size_t errlen);

/* "tcp" or "udp"; NULL for any other protocol. */
const char *fe_fwd_proto_name(int proto);

/**
 * fe_fwd_format() - the canonical text of a forward, all five parts:
 * "tcp:127.0.0.1:8080:10.0.2.100:80" (PROTO:HOST_ADDR:HOST_PORT:
 * GUEST_ADDR:GUEST_PORT).  For `hckns fwd list`, traces and messages; the id
 * is not part of it.
 *
 * Return: the length written (as snprintf(3)), or -ENOSPC when @len is too
 * small (FE_FWD_STR_MAX always suffices), -EINVAL for an unknown protocol.
 */
int fe_fwd_format(const struct fe_fwd *f, char *buf, size_t len);

/**
 * fe_fwd_match() - whether two forwards take the same host socket: same
 * protocol, host address and host port (what slirp4netns keys forwards on,
 * and what `hckns fwd rm SPEC` means).  Addresses are compared as addresses,
 * not as text.
 */
bool fe_fwd_match(const struct fe_fwd *a, const struct fe_fwd *b);

/* ---- slirp_json.c ------------------------------------------------------ */

/* slirp4netns reads a request with one read(2) of at most 4095 bytes. */
#define FE_SLIRP_REQUEST_MAX 4095
/* The largest reply accepted; anything larger is refused (-EMSGSIZE). */
#define FE_SLIRP_REPLY_MAX 65536	/* 64 KiB, an int */

/*
 * Requests, as compact JSON without a newline (malloc'd; free() them).
 * NULL when out of memory or, for fe_slirp_req_add(), when @f's protocol is
 * neither tcp nor udp.  fe_slirp_req_add() states all five arguments, so
 * that none of slirp4netns's defaults (0.0.0.0!) ever applies.
 */
char *fe_slirp_req_add(const struct fe_fwd *f);
char *fe_slirp_req_list(void);
char *fe_slirp_req_remove(int id);

/**
 * fe_slirp_parse_add() - parse the reply to add_hostfwd.
 * @buf, @len: the reply, not necessarily NUL-terminated.
 * @f: the forward that was asked for (for the reason); its id is set on
 *	success.
 *
 * {"return":{"id":K}} is success.  {"error":{"desc":D}}: -EADDRINUSE when D
 * says slirp_add_hostfwd failed (the host port is taken, or below 1024
 * without privilege), else -EIO with D in the reason.  -EPROTO for anything
 * else, -EMSGSIZE over FE_SLIRP_REPLY_MAX.
 * Return: 0 or -errno.
 */
int fe_slirp_parse_add(const char *buf, size_t len, struct fe_fwd *f,
		       char *err, size_t errlen);

/**
 * fe_slirp_parse_list() - parse the reply to list_hostfwd.
 * @out: receives a malloc'd array of @n forwards (NULL when @n is 0); the
 *	caller frees it.
 *
 * slirp4netns answers {"entries":[...]} without the "return" wrapper of its
 * other replies; {"return":{"entries":[...]}} is accepted too.  Every entry
 * needs id, proto, host_addr, host_port, guest_addr and guest_port; other
 * members are ignored.  Errors as fe_slirp_parse_add(), but -EIO for every
 * {"error":...}.
 * Return: 0 or -errno (then *@out is NULL and *@n 0).
 */
int fe_slirp_parse_list(const char *buf, size_t len, struct fe_fwd **out,
			size_t *n, char *err, size_t errlen);

/**
 * fe_slirp_parse_remove() - parse the reply to remove_hostfwd of @id.
 *
 * {"return":{}} is success; the error slirp4netns gives for an id it does
 * not know ("bad arguments.id") is -ENOENT; other errors -EIO; anything else
 * -EPROTO.
 * Return: 0 or -errno.
 */
int fe_slirp_parse_remove(const char *buf, size_t len, int id, char *err,
			  size_t errlen);

/* ---- control.c --------------------------------------------------------- */

/* The longest request line, without its newline. */
#define FE_CONTROL_LINE_MAX 4096

enum fe_control_op {
	FE_CONTROL_NONE = 0,		/* nothing (an error) */
	FE_CONTROL_ADD,			/* add_hostfwd: .fwd */
	FE_CONTROL_LIST,		/* list_hostfwd */
	FE_CONTROL_REMOVE,		/* remove_hostfwd: .id */
	FE_CONTROL_STOP,		/* stop */
};

struct fe_control_req {
	enum fe_control_op op;
	json_t *tag;		/* the request's "tag" (a reference), or NULL */
	struct fe_fwd fwd;	/* FE_CONTROL_ADD, defaults applied */
	int id;			/* FE_CONTROL_REMOVE */
};

/**
 * fe_control_parse() - parse one request line of the control fd.
 * @line, @len: the line without its newline (need not be NUL-terminated).
 * @guest_addr: the default guest address of add_hostfwd.
 * @req: receives the request.  Release it with fe_control_req_release()
 *	whatever the result: on failure, @req->tag still holds the tag of a
 *	request that had one, so that the error answer carries it.
 * @err: receives a one-line reason on failure, to be sent back with
 *	fe_control_error().
 *
 * The shapes are in control.c's header comment.  A blank line is
 * malformed ("blank line"): every line gets one answer.
 * Return: 0; -EINVAL (malformed or bad request); -EMSGSIZE (over
 * FE_CONTROL_LINE_MAX); -ENOMEM.
 */
int fe_control_parse(const char *line, size_t len, const char *guest_addr,
		     struct fe_control_req *req, char *err, size_t errlen);

/* Drop @req's tag; @req may be released more than once. */
void fe_control_req_release(struct fe_control_req *req);

/**
 * fe_control_ok() - a success answer: {"return":RET,"tag":TAG}.
 * @tag: the request's tag, or NULL for none (then no "tag" member).
 * @ret: the value of "return"; the reference is stolen, even on failure.
 *	NULL stands for {}.
 *
 * Return: the answer as one line of compact JSON in ASCII (other
 * characters escaped as \uXXXX), ending in '\n' and with no other newline
 * or control character (malloc'd; free() it), or NULL when out of memory.
 */
char *fe_control_ok(const json_t *tag, json_t *ret);

/**
 * fe_control_error() - an error answer: {"error":{"desc":DESC},"tag":TAG}.
 * Bytes of @desc that are not printable ASCII become '?', so that any
 * reason makes a valid answer.
 * Return: as fe_control_ok().
 */
char *fe_control_error(const json_t *tag, const char *desc);

/* The "return" of add_hostfwd: {"id":K}.  NULL when out of memory. */
json_t *fe_control_added(const struct fe_fwd *f);
/* One forward as an entry of list_hostfwd, the shape slirp4netns uses. */
json_t *fe_control_entry(const struct fe_fwd *f);
/* The "return" of list_hostfwd: {"entries":[...]}. */
json_t *fe_control_entries(const struct fe_fwd *v, size_t n);

/*
 * Splits what a non-blocking control fd delivers into lines of at most
 * FE_CONTROL_LINE_MAX bytes.  A longer line is reported once (-EMSGSIZE)
 * and the rest of it, up to its newline, is dropped; the lines after it
 * are read as usual.
 */
/* @s made fit for a one-line reason: printable ASCII, at most @max bytes. */
void fe_sanitize(const char *s, char *out, size_t outlen, size_t max);

struct fe_linebuf {
	char buf[FE_CONTROL_LINE_MAX + 2];	/* a line, '\n', and a NUL */
	size_t start;		/* first byte not yet returned */
	size_t len;		/* bytes in buf */
	bool discarding;	/* dropping the rest of an oversized line */
	bool eof;		/* no more bytes will come */
};

void fe_linebuf_init(struct fe_linebuf *lb);
/* Make room after what is kept; return how many bytes may come in. */
size_t fe_linebuf_room(struct fe_linebuf *lb);

/**
 * fe_linebuf_feed() - copy bytes into @lb as fe_linebuf_read() would.
 * Return: how many of the @len bytes fitted.
 */
size_t fe_linebuf_feed(struct fe_linebuf *lb, const void *data, size_t len);

/* No more bytes will come: fe_linebuf_next() then returns a last partial line. */
void fe_linebuf_set_eof(struct fe_linebuf *lb);

/**
 * fe_linebuf_next() - the next complete line.
 * @line: receives the line without its newline, NUL-terminated (it may hold
 *	other NUL bytes: use @len), valid until the next call on @lb.
 *
 * At end of file, a last line without a newline is returned as a line.
 * Return: 1 and a line; 0 when more bytes are needed (or, after end of
 * file, when nothing is left); -EMSGSIZE once for an oversized line.
 */
int fe_linebuf_next(struct fe_linebuf *lb, const char **line, size_t *len);

#endif
