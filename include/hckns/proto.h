/* SPDX-License-Identifier: MIT */
/*
 * hckns wire protocol between the front end and hckns-helper.
 *
 * One message is one SOCK_SEQPACKET datagram: a fixed header followed by a
 * fixed-size payload whose size is determined by the operation alone.  Both
 * ends run on the same machine, so integers are in host byte order.
 *
 * Requests carry PROTO_REQ_* operations; every request is answered by exactly
 * one message whose op is (PROTO_ANS | request op), with the request's
 * sequence number and a struct proto_answer payload.
 *
 * This header and protocol/proto.c are the only code shared by the front end
 * and the helper.  proto.c performs no system calls, so it can be unit-tested
 * and fuzzed on its own.
 */
#ifndef HCKNS_PROTO_H
#define HCKNS_PROTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * 2: PROTO_REQ_LINK_SET_TXQLEN.  3: PROTO_REQ_TAP_ADD.  4:
 * PROTO_REQ_MOUNT_PROC.  5: PROTO_REQ_UPLINK_GUARD.  6: PROTO_REQ_MOUNT_SYSFS.
 * 7: PROTO_REQ_UPLINK_ADD replaces tap-add, link-set-txqlen and
 * uplink-guard; PROTO_REQ_LINK_SET replaces link-up and link-set-mtu; the
 * ops are renumbered.  8: mount-private, mount-proc, mount-sysfs and
 * brnf-disable go (the helper does them at start-up) and so does the
 * permit PROTO_AFTER_MOUNT_PRIVATE; struct proto_answer gains notes
 * (PROTO_NOTE_*); the ops are renumbered.  Front end and helper are built
 * and installed together; a mismatch means a stale installation.
 */
#define PROTO_VERSION 8u

/* Interface names: 1..15 bytes plus the NUL, as the kernel's IFNAMSIZ. */
#define PROTO_IFNAMSIZ 16
/* Room for an IPv6 address; IPv4 uses the first 4 bytes, the rest are 0. */
#define PROTO_ADDR_BYTES 16
/* Human-readable reason in an answer, NUL-terminated. */
#define PROTO_REASON_MAX 120
/* No message is larger than this; anything larger is a protocol violation. */
#define PROTO_MSG_MAX 256
/*
 * The tap slirp4netns serves, the namespace's uplink: the one link
 * PROTO_REQ_UPLINK_ADD makes and guards.  The name is fixed here, not
 * sent, so that the request carries no name at all.
 */
#define PROTO_UPLINK_TAP "tap_host"

/*
 * The helper's operations, written once.  Everything that names an op is
 * expanded from this list: the enum below; the names, answer names,
 * payload sizes, validators and permits of protocol/proto.c (the permits
 * judged by proto_admit(), which the helper's dispatcher asks); the
 * helper's handler table (helper/hckns-helper.c).
 * tests/unit/test_proto.c checks SECURITY.md's operation table against it.
 *
 *   X(ENUM, stem, "wire-name", payload, validator, permits)
 *
 * ENUM       the op is PROTO_REQ_<ENUM>; its number is its place in the
 *            list, so a new op goes at the end (and PROTO_VERSION changes).
 * stem       the one name both sides share: the front end's builder
 *            req_<stem>() (model/topology.c), the helper's handler
 *            op_<stem>(), the seccomp rules that serve it
 *            (helper/filter-gen.c): `grep -rn uplink_add` finds them all,
 *            and this line.
 * wire-name  the stem with dashes: proto_op_name(), "answer:<wire-name>",
 *            traces, the reasons of answers, SECURITY.md.
 * payload    the member of union proto_payload it carries, or none; its
 *            size is the op's exact payload size on the wire.
 * validator  protocol/proto.c's check of those arguments (proto_validate()):
 *            valid_<stem>(), or valid_link (a name) or valid_none (nothing).
 * permits    enum proto_permit bits: when the helper runs it.
 *
 * No op takes descriptors in this version: an SCM_RIGHTS descriptor with
 * any request is a protocol violation.  One that did would get a column.
 */
#define PROTO_OPS(X)                                                                                           \
	X(HELLO,         hello,         "hello",         none,     valid_none,          PROTO_FIRST)      \
	X(LINK_SET,      link_set,      "link-set",      link_set, valid_link_set,      0)                \
	X(BRIDGE_ADD,    bridge_add,    "bridge-add",    link,     valid_link,          0)                \
	X(LINK_ENSLAVE,  link_enslave,  "link-enslave",  enslave,  valid_link_enslave,  0)                \
	X(ADDR_ADD,      addr_add,      "addr-add",      addr,     valid_addr_add,      0)                \
	X(ROUTE_ADD,     route_add,     "route-add",     route,    valid_route_add,     0)                \
	X(RESOLV_SET,    resolv_set,    "resolv-set",    resolv,   valid_resolv_set,    PROTO_ONCE)       \
	X(UPLINK_ADD,    uplink_add,    "uplink-add",    uplink,   valid_uplink_add,    PROTO_ONCE)

/* The permits column: when proto_admit() lets a request run. */
enum proto_permit {
	/* The first request, and only then (else a protocol violation). */
	PROTO_FIRST = 1u << 0,
	/* At most one attempt a run, whatever came of it (else EALREADY). */
	PROTO_ONCE = 1u << 1,
};

enum proto_op {
#define PROTO_X_ENUM(E, stem, wire, payload, valid, permits) PROTO_REQ_##E,
	PROTO_REQ__NONE = 0,	/* 0 is no op */
	PROTO_OPS(PROTO_X_ENUM)
#undef PROTO_X_ENUM
	PROTO_REQ__END,		/* first invalid request op */
};

/*
 * Set in the op of an answer: answer op = PROTO_ANS | request op.  PROTO_ANS
 * alone answers a message that could not be decoded (a protocol violation),
 * after which the helper exits.
 */
#define PROTO_ANS 0x8000u

struct proto_hdr {
	uint16_t version;	/* PROTO_VERSION */
	uint16_t op;		/* enum proto_op, or PROTO_ANS | op */
	uint32_t seq;		/* chosen by the requester, echoed in the answer */
	uint32_t len;		/* payload bytes after the header */
};

struct proto_link {
	char ifname[PROTO_IFNAMSIZ];
};

struct proto_enslave {
	char ifname[PROTO_IFNAMSIZ];	/* the port */
	char master[PROTO_IFNAMSIZ];	/* the bridge */
};

/* One change of a link: at least one of mtu and up. */
struct proto_link_set {
	char ifname[PROTO_IFNAMSIZ];
	uint32_t mtu;			/* 0: unchanged, else MTU_MIN..MAX */
	uint8_t up;			/* 0: unchanged, 1: set IFF_UP */
	uint8_t pad[3];			/* must be 0 */
};

/* The uplink tap PROTO_UPLINK_TAP, made and guarded. */
struct proto_uplink {
	uint32_t txqlen;		/* 0: the kernel's, else TXQLEN_MIN..MAX */
};

struct proto_addr {
	char ifname[PROTO_IFNAMSIZ];
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	uint8_t pad[2];		/* must be 0 */
	uint8_t addr[PROTO_ADDR_BYTES];
};

struct proto_route {
	char ifname[PROTO_IFNAMSIZ];	/* outgoing link */
	uint8_t family;
	uint8_t dst_len;		/* 0: the default route */
	uint8_t pad[2];			/* must be 0 */
	uint8_t dst[PROTO_ADDR_BYTES];	/* host bits past dst_len must be 0 */
	uint8_t gateway[PROTO_ADDR_BYTES];
};

struct proto_resolv {
	uint8_t family;
	uint8_t pad[3];			/* must be 0 */
	uint8_t addr[PROTO_ADDR_BYTES];	/* the name server */
};

/*
 * What the helper did at start-up, before its filter and before any
 * request, as far as the kernel let it: the bits of hello's answer's notes.
 * Each is a refusal (EPERM) the run goes on without; any other failure
 * there ends the helper.
 */
enum proto_note {
	/* No fresh proc of its PID namespace on /proc: the host's is there. */
	PROTO_NOTE_NO_PROC = 1u << 0,
	/* No sysfs of its network namespace on /sys: the host's is there. */
	PROTO_NOTE_NO_SYSFS = 1u << 1,
};
#define PROTO_NOTES_ALL (PROTO_NOTE_NO_PROC | PROTO_NOTE_NO_SYSFS)

struct proto_answer {
	int32_t err;			/* 0, or a positive errno */
	uint32_t notes;			/* hello's: PROTO_NOTE_*; others: 0 */
	char reason[PROTO_REASON_MAX];	/* NUL-terminated, "" on success */
};

union proto_payload {
	struct proto_link link;
	struct proto_enslave enslave;
	struct proto_link_set link_set;
	struct proto_uplink uplink;
	struct proto_addr addr;
	struct proto_route route;
	struct proto_resolv resolv;
	struct proto_answer answer;
};

struct proto_msg {
	struct proto_hdr hdr;
	union proto_payload u;
};

/* Limits the helper enforces (and the front end checks first). */
#define PROTO_MTU_MIN 68u
#define PROTO_MTU_MAX 65535u
/*
 * A transmit queue length in packets.  The kernel takes any u32, 0
 * included; 0 makes the qdiscs that size their queue from it (pfifo_fast,
 * pfifo) fall back to a queue of one packet, never what anyone means.  The
 * bound is that of `hckns --txqueuelen`: a thousand times the kernel's
 * default of 1000, ninety times AutoHCK's 11000.  The helper takes exactly
 * what hckns may send and nothing more.
 */
#define PROTO_TXQLEN_MIN 1u
#define PROTO_TXQLEN_MAX 1000000u

/**
 * proto_payload_size() - exact payload size of an operation.
 * @op: a request op or an answer op.
 *
 * Return: the size, or -1 when @op is not a known operation.
 */
long proto_payload_size(uint16_t op);

/**
 * proto_op_name() - a short name for logs ("link-set", "answer:link-set").
 */
const char *proto_op_name(uint16_t op);

/**
 * proto_encode() - build one message.
 * @op: the operation; @payload must be exactly proto_payload_size(op) bytes
 *      (NULL when that is 0).
 * @buf: at least PROTO_MSG_MAX bytes.
 *
 * Return: the message length, or -EINVAL for an unknown op or a wrong size.
 */
int proto_encode(uint16_t op, uint32_t seq, const void *payload, size_t plen,
		 void *buf, size_t bufsz);

/**
 * proto_decode() - check the framing of a received message and copy it out.
 * @why: receives a one-line reason on failure (NULL when @whylen is 0):
 *       what the helper answers and logs, what the front end says of a
 *       malformed answer.
 *
 * Checks the version, that the op is known, that the header's length is the
 * op's exact payload size and that the datagram is exactly header + payload
 * (no truncation, no trailing bytes); of an answer, that its reason is
 * NUL-terminated, its errno not negative and its notes known and only in
 * hello's.  Does not look at a request's arguments.  @out is zeroed
 * first; once @len holds a header, @out->hdr is that header even when
 * the message is refused, so that the refusal can be answered with its
 * seq.
 *
 * Return: 0, or a negative errno for a protocol violation:
 *   -EBADMSG (short, oversized or trailing bytes, length mismatch, a bad
 *   answer), -EPROTONOSUPPORT (wrong version), -EOPNOTSUPP (unknown op).
 */
int proto_decode(const void *buf, size_t len, struct proto_msg *out,
		 char *why, size_t whylen);

/**
 * proto_validate() - check a decoded request's arguments.
 * @why: receives a one-line reason on failure.
 *
 * Return: 0, or -EINVAL with @why set.  Such a request is answered with the
 * error; it is not a protocol violation.
 */
int proto_validate(const struct proto_msg *m, char *why, size_t whylen);

/**
 * proto_admit() - may the decoded request @m run now?  The one judge of
 * the list's permits and of a request's arguments; the helper's
 * dispatcher asks it of every request before it runs one (pure, so that
 * the rules are unit-tested and fuzzed).
 * @ran: bitmask by op of the requests admitted so far this run (0 at
 *       first); @m's bit is set when it is admitted.
 * @why: receives a one-line reason on refusal (NULL when @whylen is 0),
 *       naming the op.
 *
 * An attempt counts for PROTO_ONCE once its arguments are valid, whatever
 * comes of running it.
 *
 * Return: 0 (admitted); -EPROTO, a protocol violation: not a request op,
 * or PROTO_FIRST broken (hello not first, or again); -EINVAL, its
 * arguments (proto_validate()); -EALREADY, PROTO_ONCE and tried before.
 * Only -EPROTO ends the helper; the others are answered and serving goes
 * on.
 */
int proto_admit(const struct proto_msg *m, uint32_t *ran, char *why,
		size_t whylen);

/**
 * proto_ifname_check() - validate an interface name the way the kernel does.
 * @name: a PROTO_IFNAMSIZ buffer; it must hold a NUL, and every byte after
 *        the first NUL must be 0 as well (no hidden data).
 *
 * Return: NULL when valid, else a static reason.
 */
const char *proto_ifname_check(const char name[PROTO_IFNAMSIZ]);

/**
 * proto_addr_len() - bytes of an address of @family in the protocol.
 * Return: 4 (AF_INET), 16 (AF_INET6), or 0 for any other family.
 */
int proto_addr_len(uint8_t family);

/**
 * proto_set_ifname() - copy a C string into a name field.
 * Return: 0, or -ENAMETOOLONG when it does not fit.
 */
int proto_set_ifname(char dst[PROTO_IFNAMSIZ], const char *src);

#endif
