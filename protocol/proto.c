// SPDX-License-Identifier: MIT
/*
 * Encode, decode and validate hckns protocol messages.  Pure code: no system
 * calls, no allocation, so that it can be unit-tested and fuzzed.
 */
#include "hckns/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int proto_encode(uint16_t op, uint32_t seq, const void *payload, size_t plen,
		 void *buf, size_t bufsz)
{
	long want = proto_payload_size(op);
	struct proto_hdr h;

	if (want < 0 || (size_t)want != plen || (plen && !payload))
		return -EINVAL;
	if (bufsz < sizeof(h) + plen || sizeof(h) + plen > PROTO_MSG_MAX)
		return -EINVAL;
	h = (struct proto_hdr){
		.version = PROTO_VERSION, .op = op, .seq = seq,
		.len = (uint32_t)plen,
	};
	memcpy(buf, &h, sizeof(h));
	if (plen)
		memcpy((char *)buf + sizeof(h), payload, plen);
	return (int)(sizeof(h) + plen);
}

/*
 * Say @fmt in @why (when there is room) and return -@err: the refusals of
 * proto_decode() and proto_admit().
 */
static int __attribute__((format(printf, 4, 5)))
refuse(int err, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -err;
}

int proto_decode(const void *buf, size_t len, struct proto_msg *out,
		 char *why, size_t whylen)
{
	struct proto_hdr h;
	long want;

	memset(out, 0, sizeof(*out));
	if (whylen)
		why[0] = '\0';
	/* Check the length before anything else (imsg_parse_hdr()). */
	if (len < sizeof(h))
		return refuse(EBADMSG, why, whylen,
			      "message shorter than its header");
	/* From here on, even refused, @out holds the header: its seq. */
	memcpy(&h, buf, sizeof(h));
	out->hdr = h;
	if (len > PROTO_MSG_MAX)
		return refuse(EBADMSG, why, whylen,
			      "message longer than %d bytes", PROTO_MSG_MAX);
	if (h.version != PROTO_VERSION)
		return refuse(EPROTONOSUPPORT, why, whylen,
			      "protocol version %u, expected %u", h.version,
			      PROTO_VERSION);
	want = proto_payload_size(h.op);
	if (want < 0)
		return refuse(EOPNOTSUPP, why, whylen, "unknown operation %u",
			      h.op);
	/* Exact sizes only: no short payload, no trailing garbage. */
	if (h.len != (uint32_t)want || len != sizeof(h) + (size_t)want)
		return refuse(EBADMSG, why, whylen, "message length mismatch");
	memcpy(&out->u, (const char *)buf + sizeof(h), (size_t)want);
	if (h.op & PROTO_ANS) {
		const struct proto_answer *a = &out->u.answer;

		if (memchr(a->reason, '\0', sizeof(a->reason)) == NULL)
			return refuse(EBADMSG, why, whylen,
				      "answer reason not NUL-terminated");
		if (a->err < 0)
			return refuse(EBADMSG, why, whylen,
				      "answer errno %d is negative", a->err);
		/* Only hello's answer says what start-up could not do. */
		if (a->notes & ~(uint32_t)PROTO_NOTES_ALL ||
		    (a->notes && h.op != (PROTO_ANS | PROTO_REQ_HELLO)))
			return refuse(EBADMSG, why, whylen,
				      "answer notes 0x%x unknown or not hello's",
				      a->notes);
	}
	return 0;
}

const char *proto_ifname_check(const char name[PROTO_IFNAMSIZ])
{
	const char *nul = memchr(name, '\0', PROTO_IFNAMSIZ);
	size_t n, i;

	if (!nul)
		return "interface name is 16 bytes or longer (at most 15)";
	n = (size_t)(nul - name);
	for (i = n; i < PROTO_IFNAMSIZ; i++)
		if (name[i] != '\0')
			return "interface name has bytes after its end";
	if (n == 0)
		return "interface name is empty";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "interface name may not be \".\" or \"..\"";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/*
		 * The kernel's dev_valid_name(): no '/', ':' or isspace(),
		 * and the kernel's isspace() (lib/ctype.c) is Latin-1's: it
		 * includes 0xa0, the no-break space.
		 */
		if (c == '/')
			return "interface name contains '/'";
		if (c == ':')
			return "interface name contains ':'";
		/*
		 * Not the kernel's rule: it expands "%d" in a name given to
		 * it into the first free number (dev_alloc_name()), so a
		 * name with '%' names some other link than the one asked.
		 */
		if (c == '%')
			return "interface name contains '%'";
		if (c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0)
			return "interface name contains whitespace";
		if (c < 0x20 || c == 0x7f)
			return "interface name contains a control character";
	}
	return NULL;
}

int proto_set_ifname(char dst[PROTO_IFNAMSIZ], const char *src)
{
	size_t n = strlen(src);

	if (n >= PROTO_IFNAMSIZ)
		return -ENAMETOOLONG;
	memset(dst, 0, PROTO_IFNAMSIZ);
	memcpy(dst, src, n + 1);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int proto_addr_len(uint8_t family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

static int fail(char *why, size_t whylen, const char *what)
{
	if (whylen)
		snprintf(why, whylen, "%s", what);
	return -EINVAL;
}

/* A unicast address we would configure: not unspecified, not multicast. */
static const char *unicast_check(uint8_t family, const uint8_t *a)
{
	int n = proto_addr_len(family);

	if (n == 0)
		return "address family is neither AF_INET nor AF_INET6";
	if (!all_zero(a + n, PROTO_ADDR_BYTES - (size_t)n))
		return "IPv4 address has bytes past its 4";
	if (all_zero(a, (size_t)n))
		return "address is unspecified";
	if (family == AF_INET && (a[0] & 0xf0) == 0xe0)
		return "address is multicast";
	if (family == AF_INET && a[0] == 255 && a[1] == 255 && a[2] == 255 &&
	    a[3] == 255)
		return "address is the broadcast address";
	if (family == AF_INET6 && a[0] == 0xff)
		return "address is multicast";
	return NULL;
}

static const char *prefix_check(uint8_t family, const uint8_t *a,
				unsigned int len, bool host_bits_zero)
{
	int n = proto_addr_len(family);

	if (n == 0)
		return "address family is neither AF_INET nor AF_INET6";
	if (len > (unsigned int)n * 8)
		return "prefix length is out of range";
	if (!all_zero(a + n, PROTO_ADDR_BYTES - (size_t)n))
		return "IPv4 address has bytes past its 4";
	if (host_bits_zero) {
		for (unsigned int bit = len; bit < (unsigned int)n * 8; bit++)
			if (a[bit / 8] & (0x80 >> (bit % 8)))
				return "destination has bits set past its prefix length";
	}
	return NULL;
}

#define CHECK(expr)                                                 \
	do {                                                        \
		const char *why_ = (expr);                          \
		if (why_)                                           \
			return fail(why, whylen, why_);       \
	} while (0)

/* hello: no payload, nothing to check. */
/* NOLINTNEXTLINE(readability-non-const-parameter): the validators' type */
static int valid_none(const union proto_payload *u, char *why, size_t whylen)
{
	(void)u;
	(void)why;
	(void)whylen;
	return 0;
}

/* bridge-add: a name. */
static int valid_link(const union proto_payload *u, char *why, size_t whylen)
{
	CHECK(proto_ifname_check(u->link.ifname));
	return 0;
}

static int valid_link_enslave(const union proto_payload *u, char *why,
			      size_t whylen)
{
	CHECK(proto_ifname_check(u->enslave.ifname));
	CHECK(proto_ifname_check(u->enslave.master));
	if (strcmp(u->enslave.ifname, u->enslave.master) == 0)
		return fail(why, whylen, "a link cannot be its own master");
	return 0;
}

static int valid_link_set(const union proto_payload *u, char *why,
			  size_t whylen)
{
	const struct proto_link_set *p = &u->link_set;

	CHECK(proto_ifname_check(p->ifname));
	if (!all_zero(p->pad, sizeof(p->pad)))
		return fail(why, whylen, "padding is not zero");
	if (p->mtu && (p->mtu < PROTO_MTU_MIN || p->mtu > PROTO_MTU_MAX))
		return fail(why, whylen, "MTU is out of range (68..65535)");
	if (p->up > 1)
		return fail(why, whylen, "up is neither 0 nor 1");
	if (!p->mtu && !p->up)
		return fail(why, whylen, "nothing to change (no MTU, not up)");
	return 0;
}

static int valid_uplink_add(const union proto_payload *u, char *why,
			    size_t whylen)
{
	uint32_t q = u->uplink.txqlen;

	if (q && (q < PROTO_TXQLEN_MIN || q > PROTO_TXQLEN_MAX))
		return fail(why, whylen, "transmit queue length is out "
			    "of range (1..1000000)");
	return 0;
}

static int valid_addr_add(const union proto_payload *u, char *why,
			  size_t whylen)
{
	CHECK(proto_ifname_check(u->addr.ifname));
	if (!all_zero(u->addr.pad, sizeof(u->addr.pad)))
		return fail(why, whylen, "padding is not zero");
	CHECK(unicast_check(u->addr.family, u->addr.addr));
	CHECK(prefix_check(u->addr.family, u->addr.addr, u->addr.prefixlen,
			   false));
	return 0;
}

static int valid_route_add(const union proto_payload *u, char *why,
			   size_t whylen)
{
	CHECK(proto_ifname_check(u->route.ifname));
	if (!all_zero(u->route.pad, sizeof(u->route.pad)))
		return fail(why, whylen, "padding is not zero");
	CHECK(prefix_check(u->route.family, u->route.dst, u->route.dst_len,
			   true));
	CHECK(unicast_check(u->route.family, u->route.gateway));
	return 0;
}

static int valid_resolv_set(const union proto_payload *u, char *why,
			    size_t whylen)
{
	if (!all_zero(u->resolv.pad, sizeof(u->resolv.pad)))
		return fail(why, whylen, "padding is not zero");
	CHECK(unicast_check(u->resolv.family, u->resolv.addr));
	return 0;
}

/* ---- the list of include/hckns/proto.h, by op ---------------------------- */

/* The size of each payload the list's payload column names. */
#define PAYLOAD_SIZE_none 0
#define PAYLOAD_SIZE_link sizeof(struct proto_link)
#define PAYLOAD_SIZE_enslave sizeof(struct proto_enslave)
#define PAYLOAD_SIZE_link_set sizeof(struct proto_link_set)
#define PAYLOAD_SIZE_uplink sizeof(struct proto_uplink)
#define PAYLOAD_SIZE_addr sizeof(struct proto_addr)
#define PAYLOAD_SIZE_route sizeof(struct proto_route)
#define PAYLOAD_SIZE_resolv sizeof(struct proto_resolv)

/* A validator of the list: 0, or -EINVAL with @why set (proto_validate()). */
typedef int validator(const union proto_payload *u, char *why, size_t whylen);

/* What protocol/ knows of each request: names, size, validator, permits. */
static const struct {
	const char *name, *answer;
	long size;
	validator *valid;
	unsigned int permits;	/* enum proto_permit */
} ops[PROTO_REQ__END] = {
#define X(E, stem, wire, payload, valid, permits) \
	[PROTO_REQ_##E] = { wire, "answer:" wire, PAYLOAD_SIZE_##payload, \
			    valid, permits },
	PROTO_OPS(X)
#undef X
};

_Static_assert(PROTO_REQ__END <= 32, "proto_admit()'s bitmask is 32 bits");

long proto_payload_size(uint16_t op)
{
	if (op & PROTO_ANS) {
		/* PROTO_ANS alone answers a message that could not be decoded. */
		op &= (uint16_t)~PROTO_ANS;
		if (op >= PROTO_REQ__END)
			return -1;
		return sizeof(struct proto_answer);
	}
	if (op == 0 || op >= PROTO_REQ__END)
		return -1;
	return ops[op].size;
}

const char *proto_op_name(uint16_t op)
{
	uint16_t req = op & (uint16_t)~PROTO_ANS;

	if (op == PROTO_ANS)
		return "answer:violation";
	if (req == 0 || req >= PROTO_REQ__END)
		return "unknown";
	return (op & PROTO_ANS) ? ops[req].answer : ops[req].name;
}

int proto_validate(const struct proto_msg *m, char *why, size_t whylen)
{
	if (whylen)
		why[0] = '\0';
	if (m->hdr.op == 0 || m->hdr.op >= PROTO_REQ__END)
		return fail(why, whylen, "not a request");
	return ops[m->hdr.op].valid(&m->u, why, whylen);
}

int proto_admit(const struct proto_msg *m, uint32_t *ran, char *why,
		size_t whylen)
{
	const uint16_t op = m->hdr.op;
	const char *name = proto_op_name(op);
	char reason[PROTO_REASON_MAX];

	if (op == 0 || op >= PROTO_REQ__END)
		return refuse(EPROTO, why, whylen, "%s is not a request", name);
	if (*ran == 0 && !(ops[op].permits & PROTO_FIRST))
		return refuse(EPROTO, why, whylen, "the first request must be "
			      "hello, not %s", name);
	if (*ran != 0 && (ops[op].permits & PROTO_FIRST))
		return refuse(EPROTO, why, whylen, "%s sent twice", name);
	if (proto_validate(m, reason, sizeof(reason)) < 0)
		return refuse(EINVAL, why, whylen, "%s: %s", name, reason);
	if ((ops[op].permits & PROTO_ONCE) && (*ran & (1u << op)))
		return refuse(EALREADY, why, whylen, "%s: runs only once", name);
	*ran |= 1u << op;
	if (whylen)
		why[0] = '\0';
	return 0;
}
