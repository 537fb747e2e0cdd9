// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the protocol decoder: what the helper does with
 * every datagram it receives, before it acts on anything.
 *
 * Built two ways: with clang -fsanitize=fuzzer,address,undefined by
 * tests/fuzz/Makefile, and without libFuzzer together with replay.c, so that
 * `make check-unit` replays the corpus as a regression test.
 *
 * The invariants are checked with FUZZ_CHECK(), not assert(), so that they
 * hold in every build, NDEBUG or not.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hckns/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",  \
				__FILE__, __LINE__, #cond);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* A reason buffer with guard bytes after it. */
#define GUARD 16
#define GUARD_BYTE 0xa5

/* The reasons for every whylen must agree with the full one. */
static void check_validate(const struct proto_msg *m)
{
	static const size_t lens[] = { 0, 1, 2, 7, 32, PROTO_REASON_MAX };
	char full[PROTO_REASON_MAX + GUARD];
	char why[PROTO_REASON_MAX + GUARD];
	int r, r2;

	memset(full, GUARD_BYTE, sizeof(full));
	r = proto_validate(m, full, PROTO_REASON_MAX);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	for (size_t k = PROTO_REASON_MAX; k < sizeof(full); k++)
		FUZZ_CHECK((unsigned char)full[k] == GUARD_BYTE);
	FUZZ_CHECK(memchr(full, '\0', PROTO_REASON_MAX) != NULL);
	/* A refusal says why; success leaves an empty reason. */
	FUZZ_CHECK(r == 0 ? full[0] == '\0' : full[0] != '\0');
	/* Answers are never requests. */
	if (m->hdr.op & PROTO_ANS)
		FUZZ_CHECK(r == -EINVAL);

	FUZZ_CHECK(proto_validate(m, NULL, 0) == r);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];

		memset(why, GUARD_BYTE, sizeof(why));
		r2 = proto_validate(m, why, n);
		FUZZ_CHECK(r2 == r);
		/* Never a byte past whylen. */
		for (size_t k = n; k < sizeof(why); k++)
			FUZZ_CHECK((unsigned char)why[k] == GUARD_BYTE);
		if (n == 0)
			continue;
		/* Truncated, NUL-terminated, a prefix of the full reason. */
		FUZZ_CHECK(memchr(why, '\0', n) != NULL);
		FUZZ_CHECK(strncmp(why, full, n - 1) == 0);
	}
}

/* A name in a valid request is valid, and proto_set_ifname() rebuilds it. */
static void check_name(const char name[PROTO_IFNAMSIZ])
{
	char copy[PROTO_IFNAMSIZ];

	FUZZ_CHECK(proto_ifname_check(name) == NULL);
	FUZZ_CHECK(proto_set_ifname(copy, name) == 0);
	FUZZ_CHECK(memcmp(copy, name, PROTO_IFNAMSIZ) == 0);
}

static void check_valid_request(const struct proto_msg *m)
{
	const union proto_payload *u = &m->u;

	switch ((enum proto_op)m->hdr.op) {
	case PROTO_REQ_HELLO:
		break;
	case PROTO_REQ_BRIDGE_ADD:
		check_name(u->link.ifname);
		break;
	case PROTO_REQ_LINK_ENSLAVE:
		check_name(u->enslave.ifname);
		check_name(u->enslave.master);
		FUZZ_CHECK(strcmp(u->enslave.ifname, u->enslave.master) != 0);
		break;
	case PROTO_REQ_LINK_SET:
		check_name(u->link_set.ifname);
		FUZZ_CHECK(u->link_set.mtu == 0 ||
			   (u->link_set.mtu >= PROTO_MTU_MIN &&
			    u->link_set.mtu <= PROTO_MTU_MAX));
		FUZZ_CHECK(u->link_set.up <= 1);
		FUZZ_CHECK(u->link_set.mtu != 0 || u->link_set.up != 0);
		FUZZ_CHECK(u->link_set.pad[0] == 0 && u->link_set.pad[1] == 0 &&
			   u->link_set.pad[2] == 0);
		break;
	case PROTO_REQ_UPLINK_ADD:
		FUZZ_CHECK(u->uplink.txqlen == 0 ||
			   (u->uplink.txqlen >= PROTO_TXQLEN_MIN &&
			    u->uplink.txqlen <= PROTO_TXQLEN_MAX));
		break;
	case PROTO_REQ_ADDR_ADD:
		check_name(u->addr.ifname);
		FUZZ_CHECK(u->addr.family == AF_INET ||
			   u->addr.family == AF_INET6);
		FUZZ_CHECK(u->addr.prefixlen <=
			   (u->addr.family == AF_INET ? 32 : 128));
		FUZZ_CHECK(u->addr.pad[0] == 0 && u->addr.pad[1] == 0);
		break;
	case PROTO_REQ_ROUTE_ADD:
		check_name(u->route.ifname);
		FUZZ_CHECK(u->route.family == AF_INET ||
			   u->route.family == AF_INET6);
		FUZZ_CHECK(u->route.dst_len <=
			   (u->route.family == AF_INET ? 32 : 128));
		FUZZ_CHECK(u->route.pad[0] == 0 && u->route.pad[1] == 0);
		break;
	case PROTO_REQ_RESOLV_SET:
		FUZZ_CHECK(u->resolv.family == AF_INET ||
			   u->resolv.family == AF_INET6);
		break;
	case PROTO_REQ__NONE:
	case PROTO_REQ__END:
	default:
		FUZZ_CHECK(!"validate accepted an op that is not a request");
	}
}

/*
 * proto_admit() of any decoded message: admitted only for a valid request,
 * and then counted; before hello only hello; never twice a PROTO_FIRST or
 * a second resolv-set or uplink-add (PROTO_ONCE).
 */
static void check_admit(const struct proto_msg *m)
{
	static const uint32_t states[] = {
		0, 1u << PROTO_REQ_HELLO,
		(1u << PROTO_REQ_HELLO) | (1u << PROTO_REQ_RESOLV_SET) |
			(1u << PROTO_REQ_UPLINK_ADD),
	};
	const uint16_t op = m->hdr.op;

	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++) {
		char why[PROTO_REASON_MAX];
		uint32_t ran = states[i];
		int r = proto_admit(m, &ran, why, sizeof(why));

		FUZZ_CHECK(r == 0 || r == -EPROTO || r == -EINVAL ||
			   r == -EALREADY);
		FUZZ_CHECK((r == 0) == (why[0] == '\0'));
		if (r < 0) {
			FUZZ_CHECK(ran == states[i]);
			continue;
		}
		FUZZ_CHECK(op > 0 && op < PROTO_REQ__END);
		FUZZ_CHECK(proto_validate(m, NULL, 0) == 0);
		FUZZ_CHECK(ran == (states[i] | (1u << op)));
		FUZZ_CHECK((states[i] == 0) == (op == PROTO_REQ_HELLO));
		FUZZ_CHECK(!(states[i] & (1u << op)) ||
			   (op != PROTO_REQ_RESOLV_SET &&
			    op != PROTO_REQ_UPLINK_ADD));
	}
}

/* Encoding the decoded @m reproduces the input bytes exactly, and back. */
static void check_reencode(const struct proto_msg *m, const uint8_t *data,
			   size_t size, long plen)
{
	uint8_t again[PROTO_MSG_MAX + GUARD];
	struct proto_msg m2;
	int r;

	memset(again, GUARD_BYTE, sizeof(again));
	r = proto_encode(m->hdr.op, m->hdr.seq, plen ? &m->u : NULL,
			 (size_t)plen, again, PROTO_MSG_MAX);
	FUZZ_CHECK(r >= 0 && (size_t)r == size);
	FUZZ_CHECK(memcmp(again, data, size) == 0);
	for (size_t k = size; k < sizeof(again); k++)
		FUZZ_CHECK(again[k] == GUARD_BYTE);
	/* Into exactly enough room, and not one byte less. */
	FUZZ_CHECK(proto_encode(m->hdr.op, m->hdr.seq, plen ? &m->u : NULL,
				(size_t)plen, again, size) == r);
	FUZZ_CHECK(proto_encode(m->hdr.op, m->hdr.seq, plen ? &m->u : NULL,
				(size_t)plen, again, size - 1) == -EINVAL);
	/* And it decodes to the same message. */
	memset(&m2, 0, sizeof(m2));
	FUZZ_CHECK(proto_decode(again, size, &m2, NULL, 0) == 0);
	/* Padding too: proto_decode() zeroes the whole message first. */
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
	FUZZ_CHECK(memcmp(&m2, m, sizeof(*m)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[PROTO_REASON_MAX + GUARD];
	struct proto_msg m;
	const char *name;
	long plen;
	int r;

	/*
	 * The validator must be safe on any bytes at all, even ones that did
	 * not come through proto_decode() (a caller that forgot it).
	 */
	memset(&m, 0, sizeof(m));
	if (size)
		memcpy(&m, data, size < sizeof(m) ? size : sizeof(m));
	check_validate(&m);
	if (proto_validate(&m, NULL, 0) == 0)
		check_valid_request(&m);

	memset(&m, GUARD_BYTE, sizeof(m));
	memset(why, GUARD_BYTE, sizeof(why));
	r = proto_decode(data, size, &m, why, sizeof(why) - GUARD);
	if (r < 0) {
		FUZZ_CHECK(r == -EBADMSG || r == -EPROTONOSUPPORT ||
			   r == -EOPNOTSUPP);
		/* A refusal says why: one line, within its room. */
		FUZZ_CHECK(why[0] != '\0');
		FUZZ_CHECK(memchr(why, '\0', sizeof(why) - GUARD) != NULL);
		FUZZ_CHECK(strchr(why, '\n') == NULL);
		for (size_t k = sizeof(why) - GUARD; k < sizeof(why); k++)
			FUZZ_CHECK((uint8_t)why[k] == GUARD_BYTE);
		/* Its header, for the seq of the answer, once there is one. */
		if (size >= sizeof(m.hdr))
			FUZZ_CHECK(memcmp(&m.hdr, data, sizeof(m.hdr)) == 0);
		else
			FUZZ_CHECK(m.hdr.seq == 0 && m.hdr.op == 0);
		/* Whatever the header says, these sizes are never messages. */
		if (size < sizeof(struct proto_hdr) || size > PROTO_MSG_MAX)
			FUZZ_CHECK(r == -EBADMSG);
		return 0;
	}
	FUZZ_CHECK(r == 0);

	/* Framing: exactly a header and the op's payload, nothing else. */
	plen = proto_payload_size(m.hdr.op);
	FUZZ_CHECK(plen >= 0);
	FUZZ_CHECK(size == sizeof(m.hdr) + (size_t)plen);
	FUZZ_CHECK(size <= PROTO_MSG_MAX);
	FUZZ_CHECK(m.hdr.version == PROTO_VERSION);
	FUZZ_CHECK(m.hdr.len == (uint32_t)plen);
	FUZZ_CHECK(memcmp(&m.hdr, data, sizeof(m.hdr)) == 0);
	FUZZ_CHECK(memcmp(&m.u, data + sizeof(m.hdr), (size_t)plen) == 0);
	/* Nothing stale past the payload. */
	for (size_t k = (size_t)plen; k < sizeof(m.u); k++)
		FUZZ_CHECK(((const uint8_t *)&m.u)[k] == 0);
	if (m.hdr.op & PROTO_ANS) {
		FUZZ_CHECK(memchr(m.u.answer.reason, '\0',
				  sizeof(m.u.answer.reason)) != NULL);
		FUZZ_CHECK(m.u.answer.err >= 0);
		/* Notes: known ones, in hello's answer only. */
		FUZZ_CHECK((m.u.answer.notes & ~(uint32_t)PROTO_NOTES_ALL) == 0);
		FUZZ_CHECK(m.u.answer.notes == 0 ||
			   m.hdr.op == (PROTO_ANS | PROTO_REQ_HELLO));
	}
	FUZZ_CHECK(why[0] == '\0');

	name = proto_op_name(m.hdr.op);
	FUZZ_CHECK(name != NULL && strcmp(name, "unknown") != 0);
	FUZZ_CHECK((strncmp(name, "answer:", 7) == 0) ==
		   ((m.hdr.op & PROTO_ANS) != 0));

	check_validate(&m);
	if (proto_validate(&m, NULL, 0) == 0)
		check_valid_request(&m);
	check_admit(&m);

	check_reencode(&m, data, size, plen);
	return 0;
}
