// SPDX-License-Identifier: MIT
/*
 * Unit tests for the wire protocol (protocol/proto.c): every operation's
 * encode -> decode -> validate round trip, and every refusal of the decoder
 * (framing) and of the validator (arguments).
 *
 * Refusals are checked with their exact return code and, for the validator,
 * the exact reason, so a test fails when a request is refused for another
 * reason than the one it was written for.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hckns/proto.h"
#include "suites.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define HDR_SIZE sizeof(struct proto_hdr)

/* Reasons proto_validate() gives (protocol/proto.c). */
#define WHY_NAME_LONG "interface name is 16 bytes or longer (at most 15)"
#define WHY_NAME_TAIL "interface name has bytes after its end"
#define WHY_NAME_EMPTY "interface name is empty"
#define WHY_NAME_DOT "interface name may not be \".\" or \"..\""
#define WHY_NAME_SLASH "interface name contains '/'"
#define WHY_NAME_COLON "interface name contains ':'"
#define WHY_NAME_PERCENT "interface name contains '%'"
#define WHY_NAME_SPACE "interface name contains whitespace"
#define WHY_NAME_CTRL "interface name contains a control character"
#define WHY_FAMILY "address family is neither AF_INET nor AF_INET6"
#define WHY_PAST4 "IPv4 address has bytes past its 4"
#define WHY_UNSPEC "address is unspecified"
#define WHY_MCAST "address is multicast"
#define WHY_BCAST "address is the broadcast address"
#define WHY_PREFIX "prefix length is out of range"
#define WHY_HOSTBITS "destination has bits set past its prefix length"
#define WHY_PAD "padding is not zero"
#define WHY_MTU "MTU is out of range (68..65535)"
#define WHY_TXQLEN "transmit queue length is out of range (1..1000000)"
#define WHY_UP "up is neither 0 nor 1"
#define WHY_NOCHANGE "nothing to change (no MTU, not up)"
#define WHY_SELF "a link cannot be its own master"
#define WHY_NOTREQ "not a request"

/* Every request op and every answer op, for tests that cover them all. */
static const uint16_t all_ops[] = {
	PROTO_REQ_HELLO,
	PROTO_REQ_LINK_SET,
	PROTO_REQ_BRIDGE_ADD,
	PROTO_REQ_LINK_ENSLAVE,
	PROTO_REQ_ADDR_ADD,
	PROTO_REQ_ROUTE_ADD,
	PROTO_REQ_RESOLV_SET,
	PROTO_REQ_UPLINK_ADD,
	PROTO_ANS,
	PROTO_ANS | PROTO_REQ_HELLO,
	PROTO_ANS | PROTO_REQ_LINK_SET,
	PROTO_ANS | PROTO_REQ_BRIDGE_ADD,
	PROTO_ANS | PROTO_REQ_LINK_ENSLAVE,
	PROTO_ANS | PROTO_REQ_ADDR_ADD,
	PROTO_ANS | PROTO_REQ_ROUTE_ADD,
	PROTO_ANS | PROTO_REQ_RESOLV_SET,
	PROTO_ANS | PROTO_REQ_UPLINK_ADD,
};

/* Ops that are neither requests nor answers. */
static const uint16_t unknown_ops[] = {
	0,
	PROTO_REQ__END,
	PROTO_REQ__END + 1,
	0x7fff,
	PROTO_ANS | PROTO_REQ__END,
	0xffff,
};

/* The payload size each op must have, written out independently of proto.c. */
static size_t expected_size(uint16_t op)
{
	if (op & PROTO_ANS)
		return sizeof(struct proto_answer);
	switch ((enum proto_op)op) {
	case PROTO_REQ_HELLO:
		return 0;
	case PROTO_REQ_BRIDGE_ADD:
		return sizeof(struct proto_link);
	case PROTO_REQ_LINK_ENSLAVE:
		return sizeof(struct proto_enslave);
	case PROTO_REQ_LINK_SET:
		return sizeof(struct proto_link_set);
	case PROTO_REQ_UPLINK_ADD:
		return sizeof(struct proto_uplink);
	case PROTO_REQ_ADDR_ADD:
		return sizeof(struct proto_addr);
	case PROTO_REQ_ROUTE_ADD:
		return sizeof(struct proto_route);
	case PROTO_REQ_RESOLV_SET:
		return sizeof(struct proto_resolv);
	case PROTO_REQ__NONE:
	case PROTO_REQ__END:
	default:
		break;
	}
	ck_abort_msg("no expected size for op %#x", op);
	return 0;
}

/* Write a header and @plen bytes of @payload (zeros when NULL) to @buf. */
static size_t put_raw(unsigned char *buf, uint16_t version, uint16_t op,
		      uint32_t len, const void *payload, size_t plen)
{
	struct proto_hdr h = {
		.version = version, .op = op, .seq = 0x01020304, .len = len,
	};

	memcpy(buf, &h, sizeof(h));
	if (payload)
		memcpy(buf + sizeof(h), payload, plen);
	else
		memset(buf + sizeof(h), 0, plen);
	return sizeof(h) + plen;
}

/*
 * Encode @op into a deliberately misaligned buffer, check the bytes, decode
 * them back into @out and check that nothing was lost or added.
 */
static void wire_roundtrip(uint16_t op, uint32_t seq, const void *payload,
			   size_t plen, struct proto_msg *out)
{
	unsigned char raw[PROTO_MSG_MAX + 1];
	unsigned char *buf = raw + 1;
	const unsigned char *rest;
	struct proto_hdr h;
	int n;

	n = proto_encode(op, seq, payload, plen, buf, PROTO_MSG_MAX);
	ck_assert_int_eq(n, (int)(HDR_SIZE + plen));
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.version, PROTO_VERSION);
	ck_assert_uint_eq(h.op, op);
	ck_assert_uint_eq(h.seq, seq);
	ck_assert_uint_eq(h.len, plen);
	if (plen)
		ck_assert_mem_eq(buf + HDR_SIZE, payload, plen);

	/* Stale bytes in @out must not survive a decode. */
	memset(out, 0xa5, sizeof(*out));
	ck_assert_int_eq(proto_decode(buf, (size_t)n, out, NULL, 0), 0);
	ck_assert_uint_eq(out->hdr.version, PROTO_VERSION);
	ck_assert_uint_eq(out->hdr.op, op);
	ck_assert_uint_eq(out->hdr.seq, seq);
	ck_assert_uint_eq(out->hdr.len, plen);
	if (plen)
		ck_assert_mem_eq(&out->u, payload, plen);
	rest = (const unsigned char *)&out->u + plen;
	for (size_t i = 0; i < sizeof(out->u) - plen; i++)
		ck_assert_msg(rest[i] == 0, "byte %zu past the payload is %#x",
			      plen + i, rest[i]);
}

/* ---- layout ----------------------------------------------------------- */

/*
 * The wire format is the structs' memory image: they must have no implicit
 * padding, or uninitialised bytes would be sent and a decode -> encode
 * would not reproduce the message.
 */
START_TEST(test_layout)
{
	ck_assert_uint_eq(sizeof(struct proto_hdr), 12);
	ck_assert_uint_eq(offsetof(struct proto_hdr, op), 2);
	ck_assert_uint_eq(offsetof(struct proto_hdr, seq), 4);
	ck_assert_uint_eq(offsetof(struct proto_hdr, len), 8);
	ck_assert_uint_eq(sizeof(struct proto_link), 16);
	ck_assert_uint_eq(sizeof(struct proto_enslave), 32);
	ck_assert_uint_eq(sizeof(struct proto_link_set), 24);
	ck_assert_uint_eq(offsetof(struct proto_link_set, mtu), 16);
	ck_assert_uint_eq(offsetof(struct proto_link_set, up), 20);
	ck_assert_uint_eq(sizeof(struct proto_uplink), 4);
	ck_assert_uint_eq(sizeof(struct proto_addr), 36);
	ck_assert_uint_eq(offsetof(struct proto_addr, addr), 20);
	ck_assert_uint_eq(sizeof(struct proto_route), 52);
	ck_assert_uint_eq(offsetof(struct proto_route, gateway), 36);
	ck_assert_uint_eq(sizeof(struct proto_resolv), 20);
	ck_assert_uint_eq(sizeof(struct proto_answer), 8 + PROTO_REASON_MAX);
	/* The largest message fits in PROTO_MSG_MAX. */
	ck_assert_uint_le(sizeof(struct proto_hdr) + sizeof(union proto_payload),
			  PROTO_MSG_MAX);
}
END_TEST

START_TEST(test_payload_size)
{
	uint16_t op = all_ops[_i];

	ck_assert_int_eq(proto_payload_size(op), (long)expected_size(op));
}
END_TEST

START_TEST(test_payload_size_unknown)
{
	ck_assert_int_eq(proto_payload_size(unknown_ops[_i]), -1);
}
END_TEST

/* ---- round trips of valid requests ------------------------------------ */

struct req_case {
	const char *label;
	uint16_t op;
	union proto_payload u;
};

static const struct req_case good_reqs[] = {
	{ "hello", PROTO_REQ_HELLO, { .link = { "" } } },
	{ "link-set lo up", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "lo", .up = 1 } } },
	{ "link-set 15 bytes up", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "123456789012345", .up = 1 } } },
	{ "bridge-add", PROTO_REQ_BRIDGE_ADD, { .link = { "br_world" } } },
	{ "bridge-add 15 bytes", PROTO_REQ_BRIDGE_ADD,
	  { .link = { "123456789012345" } } },
	{ "uplink-add", PROTO_REQ_UPLINK_ADD, { .uplink = { .txqlen = 0 } } },
	{ "link-enslave", PROTO_REQ_LINK_ENSLAVE,
	  { .enslave = { .ifname = "tap_host", .master = "br_world" } } },
	{ "link-set mtu 1500", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 1500 } } },
	{ "link-set mtu 68", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 68 } } },
	{ "link-set mtu 65535 up", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 65535, .up = 1 } } },
	{ "uplink-add txqlen 1", PROTO_REQ_UPLINK_ADD,
	  { .uplink = { .txqlen = 1 } } },
	{ "uplink-add txqlen 11000", PROTO_REQ_UPLINK_ADD,
	  { .uplink = { .txqlen = 11000 } } },
	{ "uplink-add txqlen 1000000", PROTO_REQ_UPLINK_ADD,
	  { .uplink = { .txqlen = 1000000 } } },
	{ "addr-add 10.0.2.100/24", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET,
		      .prefixlen = 24, .addr = { 10, 0, 2, 100 } } } },
	{ "addr-add 192.168.100.100/32", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_ctrl", .family = AF_INET,
		      .prefixlen = 32, .addr = { 192, 168, 100, 100 } } } },
	{ "addr-add 223.255.255.254/0", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_ctrl", .family = AF_INET,
		      .prefixlen = 0, .addr = { 223, 255, 255, 254 } } } },
	/*
	 * Only 255.255.255.255 is the broadcast address; its neighbours
	 * (class E) are addresses the kernel configures.
	 */
	{ "addr-add 255.255.255.254/32", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_ctrl", .family = AF_INET,
		      .prefixlen = 32, .addr = { 255, 255, 255, 254 } } } },
	{ "addr-add 255.255.254.255/32", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_ctrl", .family = AF_INET,
		      .prefixlen = 32, .addr = { 255, 255, 254, 255 } } } },
	{ "addr-add 255.254.255.255/32", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_ctrl", .family = AF_INET,
		      .prefixlen = 32, .addr = { 255, 254, 255, 255 } } } },
	{ "addr-add 254.255.255.255/32", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_ctrl", .family = AF_INET,
		      .prefixlen = 32, .addr = { 254, 255, 255, 255 } } } },
	{ "addr-add fd00::1/64", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET6,
		      .prefixlen = 64, .addr = { 0xfd, [15] = 1 } } } },
	{ "addr-add ::1/128", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "lo", .family = AF_INET6,
		      .prefixlen = 128, .addr = { [15] = 1 } } } },
	{ "route-add default via 10.0.2.2", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .dst_len = 0, .gateway = { 10, 0, 2, 2 } } } },
	{ "route-add 10.0.0.0/8 via 10.0.2.2", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 8,
		       .dst = { 10 }, .gateway = { 10, 0, 2, 2 } } } },
	{ "route-add 10.0.2.1/32", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 32,
		       .dst = { 10, 0, 2, 1 }, .gateway = { 10, 0, 2, 2 } } } },
	{ "route-add 255.255.255.254/31", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 31,
		       .dst = { 255, 255, 255, 254 },
		       .gateway = { 10, 0, 2, 2 } } } },
	{ "route-add default via fe80::2", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6,
		       .dst_len = 0, .gateway = { 0xfe, 0x80, [15] = 2 } } } },
	{ "route-add 2001:db8::/32 via fd00::2", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6,
		       .dst_len = 32, .dst = { 0x20, 0x01, 0x0d, 0xb8 },
		       .gateway = { 0xfd, [15] = 2 } } } },
	{ "route-add 2001:db8::1/128", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6,
		       .dst_len = 128,
		       .dst = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		       .gateway = { 0xfd, [15] = 2 } } } },
	{ "resolv-set 10.0.2.3", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .addr = { 10, 0, 2, 3 } } } },
	{ "resolv-set fd00::3", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET6, .addr = { 0xfd, [15] = 3 } } } },
};

START_TEST(test_roundtrip_request)
{
	const struct req_case *c = &good_reqs[_i];
	size_t plen = expected_size(c->op);
	static const uint32_t seqs[] = { 0, 1, 0x80000000u, UINT32_MAX };
	char why[PROTO_REASON_MAX];
	struct proto_msg m;

	for (size_t s = 0; s < N_ELEMENTS(seqs); s++) {
		wire_roundtrip(c->op, seqs[s], plen ? &c->u : NULL, plen, &m);
		memset(why, 'x', sizeof(why));
		ck_assert_msg(proto_validate(&m, why, sizeof(why)) == 0,
			      "%s: refused: %s", c->label, why);
		/* Success leaves an empty reason. */
		ck_assert_str_eq(why, "");
	}
}
END_TEST

/* Every request op is in good_reqs[]: no op goes without a round trip. */
START_TEST(test_roundtrip_covers_all_ops)
{
	for (unsigned int op = PROTO_REQ_HELLO; op < PROTO_REQ__END; op++) {
		size_t i;

		for (i = 0; i < N_ELEMENTS(good_reqs); i++)
			if (good_reqs[i].op == op)
				break;
		ck_assert_msg(i < N_ELEMENTS(good_reqs),
			      "no round trip for op %u (%s)", op,
			      proto_op_name(op));
	}
}
END_TEST

/* ---- answers ---------------------------------------------------------- */

START_TEST(test_roundtrip_answer)
{
	static const struct {
		int32_t err;
		const char *reason;
	} answers[] = {
		{ 0, "" },
		{ EPERM, "Operation not permitted" },
		{ EINVAL, "interface name is empty" },
		{ INT32_MAX, "x" },
	};
	/* Answers are listed after the requests in all_ops[]. */
	uint16_t op = all_ops[PROTO_REQ__END - 1 + (unsigned int)_i];
	char why[PROTO_REASON_MAX];
	struct proto_answer a;
	struct proto_msg m;

	ck_assert_uint_ne(op & PROTO_ANS, 0);
	for (size_t i = 0; i < N_ELEMENTS(answers); i++) {
		memset(&a, 0, sizeof(a));
		a.err = answers[i].err;
		strcpy(a.reason, answers[i].reason);
		wire_roundtrip(op, 77, &a, sizeof(a), &m);
		ck_assert_int_eq(m.u.answer.err, answers[i].err);
		ck_assert_str_eq(m.u.answer.reason, answers[i].reason);
		/* An answer is never a request the helper would act on. */
		ck_assert_int_eq(proto_validate(&m, why, sizeof(why)), -EINVAL);
		ck_assert_str_eq(why, WHY_NOTREQ);
	}
}
END_TEST

/* The longest reason: 119 bytes and the NUL in the last byte. */
START_TEST(test_answer_longest_reason)
{
	struct proto_answer a = { .err = EIO };
	struct proto_msg m;

	memset(a.reason, 'r', sizeof(a.reason) - 1);
	wire_roundtrip(PROTO_ANS | PROTO_REQ_LINK_SET, 1, &a, sizeof(a), &m);
	ck_assert_uint_eq(strlen(m.u.answer.reason), PROTO_REASON_MAX - 1);
}
END_TEST

/* An answer whose reason has no NUL or whose err is negative is refused. */
START_TEST(test_answer_refused)
{
	static const struct {
		const char *label;
		int32_t err;
		bool nul;
	} cases[] = {
		{ "reason without NUL", 0, false },
		{ "reason without NUL, error", EPERM, false },
		{ "err -1", -1, true },
		{ "err -EPERM", -EPERM, true },
		{ "err INT32_MIN", INT32_MIN, true },
	};
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_answer a;
	struct proto_msg m;
	size_t n;

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		for (size_t k = PROTO_REQ__END - 1; k < N_ELEMENTS(all_ops); k++) {
			memset(&a, 0, sizeof(a));
			a.err = cases[i].err;
			memset(a.reason, 'r', cases[i].nul ? 8 : sizeof(a.reason));
			n = put_raw(buf, PROTO_VERSION, all_ops[k], sizeof(a), &a,
				    sizeof(a));
			ck_assert_msg(proto_decode(buf, n, &m, NULL, 0) == -EBADMSG,
				      "%s, op %#x: not refused", cases[i].label,
				      all_ops[k]);
		}
	}
}
END_TEST

/* ---- interface names -------------------------------------------------- */

struct name_case {
	const char *label;
	/* Exactly the 16 bytes of the field; a 16-byte literal has no NUL. */
	char name[PROTO_IFNAMSIZ];
	const char *why;	/* NULL: valid */
};

static const struct name_case name_cases[] = {
	{ "1 byte", "a", NULL },
	{ "eth0", "eth0", NULL },
	{ "punctuation", "br-world_1.2+@", NULL },
	{ "14 bytes", "12345678901234", NULL },
	{ "exactly 15 bytes", "123456789012345", NULL },
	{ "three dots", "...", NULL },
	{ "leading dot", ".a", NULL },
	{ "UTF-8", "caf\xc3\xa9", NULL },
	{ "byte 0x80", "a\x80", NULL },
	{ "byte 0xff", "\xff", NULL },
	{ "0 bytes", "", WHY_NAME_EMPTY },
	{ "16 bytes, no NUL", "1234567890123456", WHY_NAME_LONG },
	{ "16 bytes of 0xff", "\xff\xff\xff\xff\xff\xff\xff\xff"
			      "\xff\xff\xff\xff\xff\xff\xff\xff", WHY_NAME_LONG },
	{ "'/'", "br/x", WHY_NAME_SLASH },
	{ "only '/'", "/", WHY_NAME_SLASH },
	{ "':'", "eth0:1", WHY_NAME_COLON },
	/* The kernel fills in "%d" (dev_alloc_name()): another link's name. */
	{ "'%d'", "br%d", WHY_NAME_PERCENT },
	{ "only '%'", "%", WHY_NAME_PERCENT },
	{ "'%' last", "tap%", WHY_NAME_PERCENT },
	{ "space", "br world", WHY_NAME_SPACE },
	{ "leading space", " br", WHY_NAME_SPACE },
	{ "tab", "br\tx", WHY_NAME_SPACE },
	{ "newline", "br\n", WHY_NAME_SPACE },
	{ "vertical tab", "br\vx", WHY_NAME_SPACE },
	{ "form feed", "br\fx", WHY_NAME_SPACE },
	{ "carriage return", "br\rx", WHY_NAME_SPACE },
	/* The kernel's isspace() is Latin-1's: 0xa0 is a space to it. */
	{ "no-break space 0xa0", "a\xa0" "b", WHY_NAME_SPACE },
	{ "UTF-8 a-grave (c3 a0)", "\xc3\xa0", WHY_NAME_SPACE },
	{ "control 0x01", "br\x01", WHY_NAME_CTRL },
	{ "control 0x08", "\x08", WHY_NAME_CTRL },
	{ "escape", "br\x1b[0m", WHY_NAME_CTRL },
	{ "control 0x1f", "br\x1f", WHY_NAME_CTRL },
	{ "DEL", "br\x7f", WHY_NAME_CTRL },
	{ "\".\"", ".", WHY_NAME_DOT },
	{ "\"..\"", "..", WHY_NAME_DOT },
	{ "byte after the NUL", "eth0\0x", WHY_NAME_TAIL },
	{ "last byte after the NUL", "eth0\0\0\0\0\0\0\0\0\0\0\0x", WHY_NAME_TAIL },
	{ "\".\" with a byte after", ".\0.", WHY_NAME_TAIL },
	{ "empty with a byte after", "\0x", WHY_NAME_TAIL },
};

START_TEST(test_ifname_check)
{
	const struct name_case *c = &name_cases[_i];

	ck_assert_msg(c->why != NULL || proto_ifname_check(c->name) == NULL,
		      "%s: refused: %s", c->label, proto_ifname_check(c->name));
	ck_assert_pstr_eq(proto_ifname_check(c->name), c->why);
}
END_TEST

/*
 * Every name field of every request, tried with every name: proves that
 * proto_validate() checks each field and reports the name's reason.
 */
enum name_field {
	NF_LINK_SET_UP,
	NF_BRIDGE_ADD,
	NF_ENSLAVE_PORT,
	NF_ENSLAVE_MASTER,
	NF_LINK_SET_MTU,
	NF_ADDR,
	NF_ROUTE,
	NF__END,
};

static char *name_field_msg(enum name_field f, struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	switch (f) {
	case NF_LINK_SET_UP:
		m->hdr.op = PROTO_REQ_LINK_SET;
		m->u.link_set.up = 1;
		return m->u.link_set.ifname;
	case NF_BRIDGE_ADD:
		m->hdr.op = PROTO_REQ_BRIDGE_ADD;
		return m->u.link.ifname;
	case NF_ENSLAVE_PORT:
		m->hdr.op = PROTO_REQ_LINK_ENSLAVE;
		strcpy(m->u.enslave.master, "br_world");
		return m->u.enslave.ifname;
	case NF_ENSLAVE_MASTER:
		m->hdr.op = PROTO_REQ_LINK_ENSLAVE;
		strcpy(m->u.enslave.ifname, "tap_host");
		return m->u.enslave.master;
	case NF_LINK_SET_MTU:
		m->hdr.op = PROTO_REQ_LINK_SET;
		m->u.link_set.mtu = 1500;
		return m->u.link_set.ifname;
	case NF_ADDR:
		m->hdr.op = PROTO_REQ_ADDR_ADD;
		m->u.addr.family = AF_INET;
		m->u.addr.prefixlen = 24;
		memcpy(m->u.addr.addr, (uint8_t[]){ 10, 0, 2, 100 }, 4);
		return m->u.addr.ifname;
	case NF_ROUTE:
		m->hdr.op = PROTO_REQ_ROUTE_ADD;
		m->u.route.family = AF_INET;
		memcpy(m->u.route.gateway, (uint8_t[]){ 10, 0, 2, 2 }, 4);
		return m->u.route.ifname;
	case NF__END:
	default:
		break;
	}
	ck_abort_msg("no name field %d", (int)f);
	return NULL;
}

START_TEST(test_ifname_in_requests)
{
	const struct name_case *c = &name_cases[(size_t)_i / NF__END];
	enum name_field f = (enum name_field)(_i % NF__END);
	unsigned char buf[PROTO_MSG_MAX];
	char why[PROTO_REASON_MAX];
	struct proto_msg m, d;
	int n;

	memcpy(name_field_msg(f, &m), c->name, PROTO_IFNAMSIZ);
	/* Through the wire: a bad name is not a framing error. */
	n = proto_encode(m.hdr.op, 5, &m.u, expected_size(m.hdr.op), buf,
			 sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(proto_decode(buf, (size_t)n, &d, NULL, 0), 0);
	memset(why, 'x', sizeof(why));
	if (c->why == NULL) {
		ck_assert_msg(proto_validate(&d, why, sizeof(why)) == 0,
			      "%s in field %d: refused: %s", c->label, (int)f,
			      why);
		ck_assert_str_eq(why, "");
	} else {
		ck_assert_msg(proto_validate(&d, why, sizeof(why)) == -EINVAL,
			      "%s in field %d: accepted", c->label, (int)f);
		ck_assert_str_eq(why, c->why);
	}
}
END_TEST

START_TEST(test_set_ifname)
{
	static const struct {
		const char *src;
		int ret;
	} cases[] = {
		{ "", 0 },
		{ "eth0", 0 },
		{ "123456789012345", 0 },
		{ "1234567890123456", -ENAMETOOLONG },
		{ "12345678901234567", -ENAMETOOLONG },
		{ "a very long interface name, far longer than IFNAMSIZ",
		  -ENAMETOOLONG },
	};
	char dst[PROTO_IFNAMSIZ];

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		memset(dst, 0x7f, sizeof(dst));
		ck_assert_int_eq(proto_set_ifname(dst, cases[i].src),
				 cases[i].ret);
		if (cases[i].ret < 0)
			continue;
		ck_assert_str_eq(dst, cases[i].src);
		/* No stale bytes after the name: the field must validate. */
		for (size_t k = strlen(cases[i].src); k < sizeof(dst); k++)
			ck_assert_int_eq(dst[k], 0);
	}
}
END_TEST

/* ---- argument refusals ------------------------------------------------ */

struct bad_case {
	const char *label;
	uint16_t op;
	union proto_payload u;
	const char *why;
};

#define V4_GW { 10, 0, 2, 2 }

static const struct bad_case bad_reqs[] = {
	/* enslave */
	{ "enslave a link to itself", PROTO_REQ_LINK_ENSLAVE,
	  { .enslave = { .ifname = "br_world", .master = "br_world" } },
	  WHY_SELF },
	{ "enslave a 15-byte link to itself", PROTO_REQ_LINK_ENSLAVE,
	  { .enslave = { .ifname = "123456789012345",
			 .master = "123456789012345" } },
	  WHY_SELF },

	/* link-set: MTU, up, padding, at least one change */
	{ "MTU 67", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 67 } }, WHY_MTU },
	{ "MTU 1", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 1, .up = 1 } }, WHY_MTU },
	{ "MTU 65536", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 65536 } }, WHY_MTU },
	{ "MTU UINT32_MAX", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = UINT32_MAX } }, WHY_MTU },
	{ "up 2", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .up = 2 } }, WHY_UP },
	{ "up 255 with an MTU", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .mtu = 1500, .up = 255 } },
	  WHY_UP },
	{ "link-set padding", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world", .up = 1, .pad = { 0, 0, 1 } } },
	  WHY_PAD },
	{ "link-set nothing (MTU 0, not up)", PROTO_REQ_LINK_SET,
	  { .link_set = { .ifname = "br_world" } }, WHY_NOCHANGE },

	/* uplink-add: transmit queue length */
	{ "txqlen 1000001", PROTO_REQ_UPLINK_ADD,
	  { .uplink = { .txqlen = 1000001 } }, WHY_TXQLEN },
	{ "txqlen UINT32_MAX", PROTO_REQ_UPLINK_ADD,
	  { .uplink = { .txqlen = UINT32_MAX } }, WHY_TXQLEN },

	/* address family */
	{ "addr family 0", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = 0, .prefixlen = 24,
		      .addr = { 10, 0, 2, 100 } } }, WHY_FAMILY },
	{ "addr family AF_UNIX", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_UNIX, .prefixlen = 24,
		      .addr = { 10, 0, 2, 100 } } }, WHY_FAMILY },
	{ "addr family 255", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = 255, .prefixlen = 24,
		      .addr = { 10, 0, 2, 100 } } }, WHY_FAMILY },
	{ "route family 0", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = 0,
		       .gateway = V4_GW } }, WHY_FAMILY },
	{ "route family AF_UNIX", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_UNIX,
		       .gateway = V4_GW } }, WHY_FAMILY },
	{ "route family 255", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = 255,
		       .gateway = V4_GW } }, WHY_FAMILY },
	{ "resolv family 0", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = 0, .addr = { 10, 0, 2, 3 } } }, WHY_FAMILY },
	{ "resolv family AF_UNIX", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_UNIX, .addr = { 10, 0, 2, 3 } } },
	  WHY_FAMILY },
	{ "resolv family 255", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = 255, .addr = { 10, 0, 2, 3 } } }, WHY_FAMILY },

	/* prefix length */
	{ "addr IPv4 /33", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 33,
		      .addr = { 10, 0, 2, 100 } } }, WHY_PREFIX },
	{ "addr IPv4 /255", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 255,
		      .addr = { 10, 0, 2, 100 } } }, WHY_PREFIX },
	{ "addr IPv6 /129", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET6,
		      .prefixlen = 129, .addr = { 0xfd, [15] = 1 } } },
	  WHY_PREFIX },
	{ "route IPv4 /33", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 33,
		       .dst = { 10, 0, 2, 1 }, .gateway = V4_GW } },
	  WHY_PREFIX },
	{ "route IPv6 /129", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6,
		       .dst_len = 129, .dst = { 0x20, 0x01, 0x0d, 0xb8 },
		       .gateway = { 0xfd, [15] = 2 } } }, WHY_PREFIX },

	/* IPv4 addresses with bytes past the 4th */
	{ "addr IPv4, byte 5 set", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .addr = { 10, 0, 2, 100, 1 } } }, WHY_PAST4 },
	{ "addr IPv4, byte 16 set", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .addr = { 10, 0, 2, 100, [15] = 0x80 } } }, WHY_PAST4 },
	{ "route IPv4 dst, byte 5 set", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 32,
		       .dst = { 10, 0, 2, 1, 1 }, .gateway = V4_GW } },
	  WHY_PAST4 },
	{ "route IPv4 default, dst byte 16 set", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .dst = { [15] = 1 }, .gateway = V4_GW } }, WHY_PAST4 },
	{ "route IPv4 gateway, byte 5 set", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .gateway = { 10, 0, 2, 2, 1 } } }, WHY_PAST4 },
	{ "route IPv4 gateway, byte 16 set", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .gateway = { 10, 0, 2, 2, [15] = 1 } } }, WHY_PAST4 },
	{ "resolv IPv4, byte 5 set", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .addr = { 10, 0, 2, 3, 1 } } },
	  WHY_PAST4 },
	{ "resolv IPv4, byte 16 set", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .addr = { 10, 0, 2, 3, [15] = 1 } } },
	  WHY_PAST4 },

	/* unspecified, multicast, broadcast */
	{ "addr 0.0.0.0", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24 } },
	  WHY_UNSPEC },
	{ "addr ::", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET6,
		      .prefixlen = 64 } }, WHY_UNSPEC },
	{ "addr 224.0.0.1", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .addr = { 224, 0, 0, 1 } } }, WHY_MCAST },
	{ "addr 239.255.255.255", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .addr = { 239, 255, 255, 255 } } }, WHY_MCAST },
	{ "addr ff02::1", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET6,
		      .prefixlen = 64, .addr = { 0xff, 0x02, [15] = 1 } } },
	  WHY_MCAST },
	{ "addr 255.255.255.255", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .addr = { 255, 255, 255, 255 } } }, WHY_BCAST },
	{ "route gateway 0.0.0.0", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET } }, WHY_UNSPEC },
	{ "route gateway ::", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6 } },
	  WHY_UNSPEC },
	{ "route gateway 224.0.0.1", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .gateway = { 224, 0, 0, 1 } } }, WHY_MCAST },
	{ "route gateway ff02::2", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6,
		       .gateway = { 0xff, 0x02, [15] = 2 } } }, WHY_MCAST },
	{ "route gateway 255.255.255.255", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .gateway = { 255, 255, 255, 255 } } }, WHY_BCAST },
	{ "resolv 0.0.0.0", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET } }, WHY_UNSPEC },
	{ "resolv ::", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET6 } }, WHY_UNSPEC },
	{ "resolv 230.1.2.3", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .addr = { 230, 1, 2, 3 } } },
	  WHY_MCAST },
	{ "resolv ff05::1:3", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET6,
			.addr = { 0xff, 0x05, [13] = 1, [15] = 3 } } },
	  WHY_MCAST },
	{ "resolv 255.255.255.255", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .addr = { 255, 255, 255, 255 } } },
	  WHY_BCAST },

	/* route destinations with host bits past dst_len */
	{ "route 10.0.2.1/24", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 24,
		       .dst = { 10, 0, 2, 1 }, .gateway = V4_GW } },
	  WHY_HOSTBITS },
	{ "route 11.0.0.0/7", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 7,
		       .dst = { 11 }, .gateway = V4_GW } }, WHY_HOSTBITS },
	{ "route 10.0.0.1/31", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 31,
		       .dst = { 10, 0, 0, 1 }, .gateway = V4_GW } },
	  WHY_HOSTBITS },
	{ "route 128.0.0.0/0", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET, .dst_len = 0,
		       .dst = { 128 }, .gateway = V4_GW } }, WHY_HOSTBITS },
	{ "route 2001:db8::1/64", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6, .dst_len = 64,
		       .dst = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		       .gateway = { 0xfd, [15] = 2 } } }, WHY_HOSTBITS },
	{ "route ::1/127", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET6,
		       .dst_len = 127, .dst = { [15] = 1 },
		       .gateway = { 0xfd, [15] = 2 } } }, WHY_HOSTBITS },

	/* padding */
	{ "addr pad[0]", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .pad = { 1, 0 }, .addr = { 10, 0, 2, 100 } } }, WHY_PAD },
	{ "addr pad[1]", PROTO_REQ_ADDR_ADD,
	  { .addr = { .ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		      .pad = { 0, 0x80 }, .addr = { 10, 0, 2, 100 } } },
	  WHY_PAD },
	{ "route pad[0]", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .pad = { 1, 0 }, .gateway = V4_GW } }, WHY_PAD },
	{ "route pad[1]", PROTO_REQ_ROUTE_ADD,
	  { .route = { .ifname = "br_world", .family = AF_INET,
		       .pad = { 0, 0xff }, .gateway = V4_GW } }, WHY_PAD },
	{ "resolv pad[0]", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .pad = { 1, 0, 0 },
			.addr = { 10, 0, 2, 3 } } }, WHY_PAD },
	{ "resolv pad[1]", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .pad = { 0, 1, 0 },
			.addr = { 10, 0, 2, 3 } } }, WHY_PAD },
	{ "resolv pad[2]", PROTO_REQ_RESOLV_SET,
	  { .resolv = { .family = AF_INET, .pad = { 0, 0, 0x80 },
			.addr = { 10, 0, 2, 3 } } }, WHY_PAD },
};

START_TEST(test_validate_refused)
{
	const struct bad_case *c = &bad_reqs[_i];
	char why[PROTO_REASON_MAX];
	struct proto_msg m;
	int r;

	/* Framing is fine: decode accepts it, the validator refuses it. */
	wire_roundtrip(c->op, 9, &c->u, expected_size(c->op), &m);
	memset(why, 'x', sizeof(why));
	r = proto_validate(&m, why, sizeof(why));
	ck_assert_msg(r == -EINVAL, "%s: returned %d, not -EINVAL", c->label, r);
	ck_assert_msg(strcmp(why, c->why) == 0, "%s: reason \"%s\", not \"%s\"",
		      c->label, why, c->why);
}
END_TEST

/* Messages that never came through proto_decode() are not requests. */
START_TEST(test_validate_not_request)
{
	char why[PROTO_REASON_MAX];
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = PROTO_VERSION;
	m.hdr.op = unknown_ops[_i];
	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(proto_validate(&m, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, WHY_NOTREQ);
}
END_TEST

/* The reason is cut to @whylen and nothing is written past it. */
START_TEST(test_validate_whylen)
{
	static const size_t lens[] = { 1, 2, 8, sizeof(WHY_MTU) - 1,
				       sizeof(WHY_MTU) };
	struct proto_msg m = { .hdr = { .op = PROTO_REQ_LINK_SET } };
	char why[sizeof(WHY_MTU) + 8];

	strcpy(m.u.link_set.ifname, "eth0");
	m.u.link_set.mtu = 1;
	/* No buffer at all. */
	ck_assert_int_eq(proto_validate(&m, NULL, 0), -EINVAL);
	for (size_t i = 0; i < N_ELEMENTS(lens); i++) {
		memset(why, '#', sizeof(why));
		ck_assert_int_eq(proto_validate(&m, why, lens[i]), -EINVAL);
		ck_assert_uint_eq(strlen(why), lens[i] - 1);
		ck_assert_int_eq(strncmp(why, WHY_MTU, lens[i] - 1), 0);
		for (size_t k = lens[i]; k < sizeof(why); k++)
			ck_assert_msg(why[k] == '#', "whylen %zu: byte %zu written",
				      lens[i], k);
	}
	/* Success: only why[0] is touched. */
	m.u.link_set.mtu = 1500;
	ck_assert_int_eq(proto_validate(&m, NULL, 0), 0);
	memset(why, '#', sizeof(why));
	ck_assert_int_eq(proto_validate(&m, why, 1), 0);
	ck_assert_int_eq(why[0], '\0');
	ck_assert_int_eq(why[1], '#');
}
END_TEST

/* ---- framing refusals ------------------------------------------------- */

/*
 * For every op: the exact message decodes; one byte more or less, a header
 * length that does not match, or another version is refused.
 */
START_TEST(test_decode_framing)
{
	uint16_t op = all_ops[_i];
	size_t plen = expected_size(op);
	unsigned char buf[PROTO_MSG_MAX + 1];
	struct proto_msg m;
	size_t n;

	n = put_raw(buf, PROTO_VERSION, op, (uint32_t)plen, NULL, plen);
	ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), 0);

	/* Truncated: one byte short, header's length as for the full size. */
	ck_assert_int_eq(proto_decode(buf, n - 1, &m, NULL, 0), -EBADMSG);
	/* Header only, for an op with a payload. */
	if (plen)
		ck_assert_int_eq(proto_decode(buf, HDR_SIZE, &m, NULL, 0), -EBADMSG);
	/* One byte of trailing garbage. */
	buf[n] = 0x5a;
	ck_assert_int_eq(proto_decode(buf, n + 1, &m, NULL, 0), -EBADMSG);
	/* Short or long, with the header's length agreeing with the datagram. */
	if (plen) {
		n = put_raw(buf, PROTO_VERSION, op, (uint32_t)plen - 1, NULL,
			    plen - 1);
		ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EBADMSG);
		n = put_raw(buf, PROTO_VERSION, op, 0, NULL, 0);
		ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EBADMSG);
	}
	n = put_raw(buf, PROTO_VERSION, op, (uint32_t)plen + 1, NULL, plen + 1);
	ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EBADMSG);

	/* The right datagram size, a header length that does not match. */
	static const uint32_t bad_lens[] = { 1, 0x10000, UINT32_MAX };
	for (size_t i = 0; i < N_ELEMENTS(bad_lens); i++) {
		n = put_raw(buf, PROTO_VERSION, op, (uint32_t)plen + bad_lens[i],
			    NULL, plen);
		ck_assert_msg(proto_decode(buf, n, &m, NULL, 0) == -EBADMSG,
			      "op %#x, header length %u + %u", op,
			      (unsigned int)plen, bad_lens[i]);
	}
	if (plen) {
		n = put_raw(buf, PROTO_VERSION, op, (uint32_t)plen - 1, NULL,
			    plen);
		ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EBADMSG);
		n = put_raw(buf, PROTO_VERSION, op, 0, NULL, plen);
		ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EBADMSG);
	}

	/* Another version. */
	static const uint16_t bad_versions[] = { 0, PROTO_VERSION - 1,
						 PROTO_VERSION + 1, 0xffff };
	for (size_t i = 0; i < N_ELEMENTS(bad_versions); i++) {
		n = put_raw(buf, bad_versions[i], op, (uint32_t)plen, NULL, plen);
		ck_assert_msg(proto_decode(buf, n, &m, NULL, 0) == -EPROTONOSUPPORT,
			      "op %#x, version %u", op, bad_versions[i]);
	}
}
END_TEST

/*
 * Shorter than a header.  Each datagram is copied to a heap block of its
 * exact size, so the sanitizer build catches a decoder that reads the
 * header before checking the length; and since the length comes first, a
 * short datagram is -EBADMSG even when its first bytes are of a wrong
 * version or an unknown op.
 */
START_TEST(test_decode_short)
{
	static const size_t lens[] = { 0, 1, 2, 4, 8, HDR_SIZE - 1 };
	unsigned char hdrs[3][HDR_SIZE];
	struct proto_msg m;

	put_raw(hdrs[0], PROTO_VERSION, PROTO_REQ_HELLO, 0, NULL, 0);
	put_raw(hdrs[1], PROTO_VERSION + 1, PROTO_REQ_HELLO, 0, NULL, 0);
	put_raw(hdrs[2], PROTO_VERSION, 0x7fff, 0, NULL, 0);
	for (size_t h = 0; h < N_ELEMENTS(hdrs); h++) {
		for (size_t i = 0; i < N_ELEMENTS(lens); i++) {
			unsigned char *dgram = malloc(lens[i] ? lens[i] : 1);
			int r;

			ck_assert_ptr_nonnull(dgram);
			memcpy(dgram, hdrs[h], lens[i]);
			r = proto_decode(dgram, lens[i], &m, NULL, 0);
			free(dgram);
			ck_assert_msg(r == -EBADMSG, "header %zu, %zu bytes: %d",
				      h, lens[i], r);
		}
	}
}
END_TEST

START_TEST(test_decode_oversized)
{
	static const size_t lens[] = { PROTO_MSG_MAX + 1, PROTO_MSG_MAX + 100,
				       4096 };
	static unsigned char buf[4096];
	struct proto_msg m;

	for (size_t i = 0; i < N_ELEMENTS(lens); i++) {
		/* Header length agreeing with the datagram. */
		put_raw(buf, PROTO_VERSION, PROTO_REQ_LINK_SET,
			(uint32_t)(lens[i] - HDR_SIZE), NULL, lens[i] - HDR_SIZE);
		ck_assert_int_eq(proto_decode(buf, lens[i], &m, NULL, 0), -EBADMSG);
		/* The length is checked before the version and the op. */
		put_raw(buf, PROTO_VERSION + 1, 0,
			(uint32_t)(lens[i] - HDR_SIZE), NULL, lens[i] - HDR_SIZE);
		ck_assert_int_eq(proto_decode(buf, lens[i], &m, NULL, 0), -EBADMSG);
	}
	/* Exactly PROTO_MSG_MAX is not too big, but no op is that big. */
	put_raw(buf, PROTO_VERSION, PROTO_REQ_LINK_SET, PROTO_MSG_MAX - HDR_SIZE,
		NULL, PROTO_MSG_MAX - HDR_SIZE);
	ck_assert_int_eq(proto_decode(buf, PROTO_MSG_MAX, &m, NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(test_decode_unknown_op)
{
	uint16_t op = unknown_ops[_i];
	static const uint32_t plens[] = { 0, sizeof(struct proto_link),
					  sizeof(struct proto_answer) };
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_msg m;
	size_t n;

	for (size_t i = 0; i < N_ELEMENTS(plens); i++) {
		n = put_raw(buf, PROTO_VERSION, op, plens[i], NULL, plens[i]);
		ck_assert_msg(proto_decode(buf, n, &m, NULL, 0) == -EOPNOTSUPP,
			      "op %#x, %u bytes", op, plens[i]);
	}
	/* The version is checked first: the op means nothing without it. */
	n = put_raw(buf, PROTO_VERSION + 1, op, 0, NULL, 0);
	ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EPROTONOSUPPORT);
}
END_TEST

/*
 * Each refusal says why in one line (what the helper answers and logs, and
 * the front end's "malformed answer from the helper: <why>"); an accepted
 * message leaves @why empty, and no room (whylen 0) is fine too.
 */
START_TEST(test_decode_reasons)
{
	struct proto_answer a = { .err = 0 };
	unsigned char buf[4096];
	char why[PROTO_REASON_MAX];
	struct proto_msg m;
	size_t n;

	n = put_raw(buf, PROTO_VERSION, PROTO_REQ_HELLO, 0, NULL, 0);
	ck_assert_int_eq(proto_decode(buf, n - 1, &m, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "message shorter than its header");
	ck_assert_int_eq(proto_decode(buf, PROTO_MSG_MAX + 1, &m, why,
				      sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "message longer than 256 bytes");
	ck_assert_int_eq(proto_decode(buf, n + 1, &m, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "message length mismatch");
	n = put_raw(buf, PROTO_VERSION + 1, PROTO_REQ_HELLO, 0, NULL, 0);
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)),
			 -EPROTONOSUPPORT);
	ck_assert_str_eq(why, "protocol version 9, expected 8");
	n = put_raw(buf, PROTO_VERSION, 99, 0, NULL, 0);
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), -EOPNOTSUPP);
	ck_assert_str_eq(why, "unknown operation 99");

	memset(a.reason, 'r', sizeof(a.reason));
	n = put_raw(buf, PROTO_VERSION, PROTO_ANS | PROTO_REQ_LINK_SET,
		    sizeof(a), &a, sizeof(a));
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "answer reason not NUL-terminated");
	memset(&a, 0, sizeof(a));
	a.err = -1;
	n = put_raw(buf, PROTO_VERSION, PROTO_ANS | PROTO_REQ_LINK_SET,
		    sizeof(a), &a, sizeof(a));
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "answer errno -1 is negative");

	/* Notes: hello's answer only, known bits only. */
	a.err = 0;
	a.notes = PROTO_NOTE_NO_PROC;
	n = put_raw(buf, PROTO_VERSION, PROTO_ANS | PROTO_REQ_LINK_SET,
		    sizeof(a), &a, sizeof(a));
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "answer notes 0x1 unknown or not hello's");
	n = put_raw(buf, PROTO_VERSION, PROTO_ANS, sizeof(a), &a, sizeof(a));
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), -EBADMSG);
	a.notes = 1u << 2;
	n = put_raw(buf, PROTO_VERSION, PROTO_ANS | PROTO_REQ_HELLO, sizeof(a),
		    &a, sizeof(a));
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "answer notes 0x4 unknown or not hello's");
	a.notes = PROTO_NOTE_NO_PROC | PROTO_NOTE_NO_SYSFS;
	n = put_raw(buf, PROTO_VERSION, PROTO_ANS | PROTO_REQ_HELLO, sizeof(a),
		    &a, sizeof(a));
	strcpy(why, "stale");
	ck_assert_int_eq(proto_decode(buf, n, &m, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_uint_eq(m.u.answer.notes, PROTO_NOTES_ALL);
	/* Refused or not, the header is there once one came: its seq. */
	put_raw(buf, PROTO_VERSION + 1, PROTO_REQ_LINK_SET, 0, NULL, 0);
	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(proto_decode(buf, PROTO_MSG_MAX + 1, &m, NULL, 0),
			 -EBADMSG);
	ck_assert_uint_eq(m.hdr.seq, 0x01020304);
	ck_assert_uint_eq(m.hdr.version, PROTO_VERSION + 1);
	ck_assert_uint_eq(m.u.answer.notes, 0);
	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(proto_decode(buf, HDR_SIZE - 1, &m, NULL, 0), -EBADMSG);
	ck_assert_uint_eq(m.hdr.seq, 0);
	ck_assert_uint_eq(m.hdr.op, 0);
	/* A short buffer gets a cut line; none at all is not written. */
	n = put_raw(buf, PROTO_VERSION, 99, 0, NULL, 0);
	ck_assert_int_eq(proto_decode(buf, n, &m, why, 8), -EOPNOTSUPP);
	ck_assert_str_eq(why, "unknown");
	ck_assert_int_eq(proto_decode(buf, n, &m, NULL, 0), -EOPNOTSUPP);
}
END_TEST

/* A decoded request of @op with @u (NULL: all zero) for proto_admit(). */
static struct proto_msg admit_msg(uint16_t op, const union proto_payload *u)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr = (struct proto_hdr){ .version = PROTO_VERSION, .op = op,
				    .len = op ? (uint32_t)expected_size(op) : 0 };
	if (u)
		m.u = *u;
	return m;
}

/*
 * proto_admit(), the dispatcher's judge: hello first and once (else a
 * violation), the arguments (EINVAL, not counted), at most once for
 * PROTO_ONCE (EALREADY), anything else as often as asked; no request op
 * is a violation.  Each refusal names the op.
 */
START_TEST(test_admit)
{
	union proto_payload lo = { .link_set = { .ifname = "lo", .up = 1 } };
	union proto_payload bad = { .link_set = { .ifname = "lo" } };
	union proto_payload res = { .resolv = { .family = AF_INET,
						.addr = { 10, 0, 2, 3 } } };
	union proto_payload badres = { .resolv = { .family = 99 } };
	char why[PROTO_REASON_MAX];
	uint32_t ran = 0;
	struct proto_msg m;

	m = admit_msg(PROTO_REQ_LINK_SET, &lo);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "the first request must be hello, not link-set");
	ck_assert_uint_eq(ran, 0);
	m = admit_msg(PROTO_ANS | PROTO_REQ_LINK_SET, NULL);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "answer:link-set is not a request");
	m = admit_msg(PROTO_REQ_HELLO, NULL);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "hello sent twice");

	m = admit_msg(PROTO_REQ_LINK_SET, &bad);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "link-set: " WHY_NOCHANGE);
	m = admit_msg(PROTO_REQ_LINK_SET, &lo);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), 0);

	/* An invalid attempt does not count; a valid one does, once. */
	m = admit_msg(PROTO_REQ_RESOLV_SET, &badres);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EINVAL);
	ck_assert_uint_eq(ran & (1u << PROTO_REQ_RESOLV_SET), 0);
	m = admit_msg(PROTO_REQ_RESOLV_SET, &res);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), 0);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EALREADY);
	ck_assert_str_eq(why, "resolv-set: runs only once");
	m = admit_msg(PROTO_REQ_UPLINK_ADD, NULL);
	ck_assert_int_eq(proto_admit(&m, &ran, NULL, 0), 0);
	ck_assert_int_eq(proto_admit(&m, &ran, NULL, 0), -EALREADY);
	ck_assert_uint_eq(ran, (1u << PROTO_REQ_HELLO) | (1u << PROTO_REQ_LINK_SET) |
			  (1u << PROTO_REQ_RESOLV_SET) |
			  (1u << PROTO_REQ_UPLINK_ADD));
	m = admit_msg(0, NULL);
	ck_assert_int_eq(proto_admit(&m, &ran, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "unknown is not a request");
}
END_TEST

/* ---- encode refusals -------------------------------------------------- */

START_TEST(test_encode_wrong_size)
{
	uint16_t op = all_ops[_i];
	size_t plen = expected_size(op);
	union proto_payload u;
	unsigned char buf[PROTO_MSG_MAX], canary[PROTO_MSG_MAX];

	memset(&u, 0, sizeof(u));
	memset(buf, 0xa5, sizeof(buf));
	memcpy(canary, buf, sizeof(buf));
	ck_assert_int_eq(proto_encode(op, 1, &u, plen + 1, buf, sizeof(buf)),
			 -EINVAL);
	if (plen) {
		ck_assert_int_eq(proto_encode(op, 1, &u, plen - 1, buf,
					      sizeof(buf)), -EINVAL);
		ck_assert_int_eq(proto_encode(op, 1, &u, 0, buf, sizeof(buf)),
				 -EINVAL);
		/* A payload size but no payload. */
		ck_assert_int_eq(proto_encode(op, 1, NULL, plen, buf,
					      sizeof(buf)), -EINVAL);
	}
	ck_assert_int_eq(proto_encode(op, 1, &u, sizeof(u), buf, sizeof(buf)),
			 sizeof(u) == plen ? (int)(HDR_SIZE + plen) : -EINVAL);
	if (sizeof(u) != plen)
		ck_assert_mem_eq(buf, canary, sizeof(buf));
}
END_TEST

START_TEST(test_encode_unknown_op)
{
	uint16_t op = unknown_ops[_i];
	static const size_t plens[] = { 0, sizeof(struct proto_link),
					sizeof(struct proto_answer) };
	union proto_payload u;
	unsigned char buf[PROTO_MSG_MAX], canary[PROTO_MSG_MAX];

	memset(&u, 0, sizeof(u));
	memset(buf, 0xa5, sizeof(buf));
	memcpy(canary, buf, sizeof(buf));
	for (size_t i = 0; i < N_ELEMENTS(plens); i++)
		ck_assert_msg(proto_encode(op, 1, plens[i] ? &u : NULL, plens[i],
					   buf, sizeof(buf)) == -EINVAL,
			      "op %#x, %zu bytes", op, plens[i]);
	ck_assert_mem_eq(buf, canary, sizeof(buf));
}
END_TEST

START_TEST(test_encode_small_buffer)
{
	uint16_t op = all_ops[_i];
	size_t plen = expected_size(op);
	size_t need = HDR_SIZE + plen;
	union proto_payload u;
	unsigned char buf[PROTO_MSG_MAX], canary[PROTO_MSG_MAX];

	memset(&u, 0, sizeof(u));
	memset(buf, 0xa5, sizeof(buf));
	memcpy(canary, buf, sizeof(buf));
	ck_assert_int_eq(proto_encode(op, 1, plen ? &u : NULL, plen, buf, 0),
			 -EINVAL);
	ck_assert_int_eq(proto_encode(op, 1, plen ? &u : NULL, plen, buf,
				      HDR_SIZE - 1), -EINVAL);
	ck_assert_int_eq(proto_encode(op, 1, plen ? &u : NULL, plen, buf,
				      need - 1), -EINVAL);
	ck_assert_mem_eq(buf, canary, sizeof(buf));
	/* Exactly enough room is enough; nothing is written past it. */
	ck_assert_int_eq(proto_encode(op, 1, plen ? &u : NULL, plen, buf, need),
			 (int)need);
	ck_assert_mem_eq(buf + need, canary + need, sizeof(buf) - need);
}
END_TEST

/* ---- names ------------------------------------------------------------ */

START_TEST(test_op_name)
{
	static const struct {
		uint16_t op;
		const char *name;
	} names[] = {
		{ PROTO_REQ_HELLO, "hello" },
		{ PROTO_REQ_LINK_SET, "link-set" },
		{ PROTO_REQ_BRIDGE_ADD, "bridge-add" },
		{ PROTO_REQ_LINK_ENSLAVE, "link-enslave" },
		{ PROTO_REQ_ADDR_ADD, "addr-add" },
		{ PROTO_REQ_ROUTE_ADD, "route-add" },
		{ PROTO_REQ_RESOLV_SET, "resolv-set" },
		{ PROTO_REQ_UPLINK_ADD, "uplink-add" },
		{ PROTO_ANS, "answer:violation" },
		{ PROTO_ANS | PROTO_REQ_HELLO, "answer:hello" },
		{ PROTO_ANS | PROTO_REQ_LINK_SET, "answer:link-set" },
		{ PROTO_ANS | PROTO_REQ_BRIDGE_ADD, "answer:bridge-add" },
		{ PROTO_ANS | PROTO_REQ_LINK_ENSLAVE, "answer:link-enslave" },
		{ PROTO_ANS | PROTO_REQ_ADDR_ADD, "answer:addr-add" },
		{ PROTO_ANS | PROTO_REQ_ROUTE_ADD, "answer:route-add" },
		{ PROTO_ANS | PROTO_REQ_RESOLV_SET, "answer:resolv-set" },
		{ PROTO_ANS | PROTO_REQ_UPLINK_ADD, "answer:uplink-add" },
		{ 0, "unknown" },
		{ PROTO_REQ__END, "unknown" },
		{ PROTO_REQ__END + 1, "unknown" },
		{ 0x7fff, "unknown" },
		{ PROTO_ANS | PROTO_REQ__END, "unknown" },
		{ 0xffff, "unknown" },
	};

	ck_assert_uint_eq(N_ELEMENTS(names),
			  N_ELEMENTS(all_ops) + N_ELEMENTS(unknown_ops));
	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		ck_assert_pstr_eq(proto_op_name(names[i].op), names[i].name);
}
END_TEST

/* ---- SECURITY.md's operation table against the list ------------------ */

/* The list as the table states it: name, payload, permits. */
static const struct {
	const char *name, *payload;
	unsigned int permits;
} list_ops[] = {
#define X(E, stem, wire, payload, valid, permits) { wire, #payload, permits },
	PROTO_OPS(X)
#undef X
};

/* What the table's "validates" column says for each permit of the list. */
static const struct {
	unsigned int permit;
	const char *words;
} permit_words[] = {
	{ PROTO_FIRST, "first request, only once" },
	{ PROTO_ONCE, "at most once" },
};

#define TABLE_SECTION "## The operation table: the whole audit surface\n"
#define TABLE_HEADER "| op | payload | validates | does | why it is safe |\n"
#define TABLE_CELLS 5

/*
 * SECURITY.md, by this file's path as the compiler was given it
 * ("tests/unit/test_proto.c" from the source tree, where make runs the
 * tests, or an absolute path).
 */
static FILE *open_security_md(void)
{
	static const char self[] = "tests/unit/test_proto.c", file[] = __FILE__;
	size_t n = strlen(file) - strlen(self);
	char path[4096];
	FILE *f;

	ck_assert_msg(strlen(file) >= strlen(self) &&
		      strcmp(&file[n], self) == 0, "__FILE__ is %s", file);
	snprintf(path, sizeof(path), "%.*sSECURITY.md", (int)n, file);
	f = fopen(path, "re");
	ck_assert_msg(f != NULL, "cannot open %s: %s (the unit tests run in "
		      "the source tree)", path, strerror(errno));
	return f;
}

/*
 * Split a table row "| a | b\|c | ... |" into its cells, in place, without
 * the spaces around them ("\|" is a '|' inside a cell).  Return: how many.
 */
static int table_cells(char *line, char *cells[], int max)
{
	int n = 0;
	char *p = line, *cell;

	ck_assert_msg(line[0] == '|', "not a table row: %s", line);
	for (cell = ++p; *p && *p != '\n'; p++) {
		if (*p == '\\' && p[1] == '|') {
			p++;
			continue;
		}
		if (*p != '|')
			continue;
		*p = '\0';
		while (*cell == ' ')
			cell++;
		for (char *e = p - 1; e >= cell && *e == ' '; e--)
			*e = '\0';
		ck_assert_msg(n < max, "more than %d cells", max);
		cells[n++] = cell;
		cell = p + 1;
	}
	return n;
}

/* Row @i of the table (cells @c) says what the list says of op @i. */
static void check_table_row(size_t i, char *const c[TABLE_CELLS])
{
	char payload[32] = "none";

	ck_assert_msg(i < N_ELEMENTS(list_ops), "row %zu (%s): the list has "
		      "%zu ops", i + 1, c[0], N_ELEMENTS(list_ops));
	ck_assert_msg(strcmp(c[0], list_ops[i].name) == 0, "row %zu is %s, the "
		      "list's op %zu is %s", i + 1, c[0], i + 1, list_ops[i].name);
	if (strcmp(list_ops[i].payload, "none") != 0)
		snprintf(payload, sizeof(payload), "`proto_%s{",
			 list_ops[i].payload);
	ck_assert_msg(strncmp(c[1], payload, strlen(payload)) == 0 &&
		      (strcmp(payload, "none") != 0 || strcmp(c[1], "none") == 0),
		      "%s: payload %s, the list's is %s", c[0], c[1],
		      list_ops[i].payload);
	for (size_t k = 0; k < N_ELEMENTS(permit_words); k++) {
		bool said = strstr(c[2], permit_words[k].words) != NULL;
		bool has = (list_ops[i].permits & permit_words[k].permit) != 0;

		ck_assert_msg(said == has, "%s: \"validates\" %s \"%s\", the "
			      "list's permits %s", c[0], said ? "says" :
			      "does not say", permit_words[k].words,
			      has ? "do" : "do not");
	}
}

/*
 * SECURITY.md's operation table cannot drift from the list: its rows are
 * the list's ops, in the list's order, with the list's payloads and
 * permits.
 */
START_TEST(test_security_table)
{
	FILE *f = open_security_md();
	char line[4096], *cells[TABLE_CELLS + 1];
	bool in_section = false, in_table = false;
	size_t rows = 0;

	while (fgets(line, sizeof(line), f)) {
		if (!in_section) {
			in_section = strcmp(line, TABLE_SECTION) == 0;
			continue;
		}
		if (!in_table) {
			in_table = strcmp(line, TABLE_HEADER) == 0;
			ck_assert_msg(strncmp(line, "## ", 3) != 0, "no table "
				      "in SECURITY.md's section %s", TABLE_SECTION);
			continue;
		}
		if (line[0] != '|')
			break;
		if (strncmp(line, "|---", 4) == 0)
			continue;
		ck_assert_int_eq(table_cells(line, cells, TABLE_CELLS + 1),
				 TABLE_CELLS);
		check_table_row(rows++, cells);
	}
	fclose(f);
	ck_assert_msg(in_table, "no operation table in SECURITY.md");
	ck_assert_msg(rows == N_ELEMENTS(list_ops), "SECURITY.md's table has "
		      "%zu ops, the list %zu", rows, N_ELEMENTS(list_ops));
}
END_TEST

Suite *make_proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("layout");
	tcase_add_test(tc, test_layout);
	tcase_add_loop_test(tc, test_payload_size, 0, N_ELEMENTS(all_ops));
	tcase_add_loop_test(tc, test_payload_size_unknown, 0,
			    N_ELEMENTS(unknown_ops));
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_add_loop_test(tc, test_roundtrip_request, 0,
			    N_ELEMENTS(good_reqs));
	tcase_add_test(tc, test_roundtrip_covers_all_ops);
	tcase_add_loop_test(tc, test_roundtrip_answer, 0,
			    N_ELEMENTS(all_ops) - (PROTO_REQ__END - 1));
	tcase_add_test(tc, test_answer_longest_reason);
	tcase_add_test(tc, test_answer_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("ifname");
	tcase_add_loop_test(tc, test_ifname_check, 0, N_ELEMENTS(name_cases));
	tcase_add_loop_test(tc, test_ifname_in_requests, 0,
			    N_ELEMENTS(name_cases) * NF__END);
	tcase_add_test(tc, test_set_ifname);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate_refused, 0, N_ELEMENTS(bad_reqs));
	tcase_add_loop_test(tc, test_validate_not_request, 0,
			    N_ELEMENTS(unknown_ops));
	tcase_add_test(tc, test_validate_whylen);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode_framing, 0, N_ELEMENTS(all_ops));
	tcase_add_test(tc, test_decode_short);
	tcase_add_test(tc, test_decode_oversized);
	tcase_add_test(tc, test_decode_reasons);
	tcase_add_test(tc, test_admit);
	tcase_add_loop_test(tc, test_decode_unknown_op, 0,
			    N_ELEMENTS(unknown_ops));
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_encode_wrong_size, 0, N_ELEMENTS(all_ops));
	tcase_add_loop_test(tc, test_encode_unknown_op, 0,
			    N_ELEMENTS(unknown_ops));
	tcase_add_loop_test(tc, test_encode_small_buffer, 0,
			    N_ELEMENTS(all_ops));
	tcase_add_test(tc, test_op_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, test_security_table);
	suite_add_tcase(s, tc);

	return s;
}
