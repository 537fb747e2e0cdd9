// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpus of fuzz_proto.c: `gen_corpus DIR` (usually
 * tests/fuzz/corpus/proto, through `make -C tests/fuzz corpus`).
 *
 * One valid message per request op and a few answers, requests that decode
 * but fail validation (so the fuzzer starts inside the validator), and a
 * few framing errors.  The output is the same on every run: the files are
 * committed, and this program is how to make them again after a change of
 * the wire format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hckns/proto.h"

static const char *outdir;
static int failed;

/*
 * The name says what the file is meant to be; check that it is, so that a
 * change of the codec cannot silently turn a seed into something else.
 */
static void expect(const char *name, const void *buf, size_t len)
{
	struct proto_msg m;
	int dec, val = -1;
	bool ok = false;

	dec = proto_decode(buf, len, &m, NULL, 0);
	if (dec == 0)
		val = proto_validate(&m, NULL, 0);
	if (strncmp(name, "req-", 4) == 0)
		ok = dec == 0 && val == 0;
	else if (strncmp(name, "ans-", 4) == 0 ||
		 strncmp(name, "inval-", 6) == 0)
		ok = dec == 0 && val == -EINVAL;
	else if (strncmp(name, "bad-", 4) == 0)
		ok = dec < 0;
	if (ok)
		return;
	fprintf(stderr, "gen_corpus: %s: decodes to %d, validates to %d\n",
		name, dec, val);
	failed = 1;
}

static void put(const char *name, const void *buf, size_t len)
{
	char path[4096];
	int fd;

	expect(name, buf, len);

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len) ||
	    close(fd) < 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

/* Encode a message and write it; return its length, for the variants. */
static size_t msg(const char *name, uint16_t op, uint32_t seq,
		  const void *payload, size_t plen, uint8_t *buf)
{
	int n = proto_encode(op, seq, payload, plen, buf, PROTO_MSG_MAX);

	if (n < 0) {
		fprintf(stderr, "gen_corpus: %s: cannot encode: %s\n", name,
			strerror(-n));
		failed = 1;
		return 0;
	}
	if (name)
		put(name, buf, (size_t)n);
	return (size_t)n;
}

static struct proto_link link_of(const char *name)
{
	struct proto_link l;

	memset(&l, 0, sizeof(l));	/* also when @name is too long */
	proto_set_ifname(l.ifname, name);
	return l;
}

static struct proto_answer answer(int32_t err, const char *reason)
{
	struct proto_answer a;

	memset(&a, 0, sizeof(a));
	a.err = err;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	return a;
}

static void valid_requests(void)
{
	uint8_t buf[PROTO_MSG_MAX];
	struct proto_link l;
	struct proto_enslave e = { .ifname = "tap_host", .master = "br_world" };
	struct proto_link_set up = { .ifname = "lo", .up = 1 };
	struct proto_link_set mtu = { .ifname = "br_world", .mtu = 1500,
				      .up = 1 };
	struct proto_uplink upl = { .txqlen = 0 };
	struct proto_uplink txq = { .txqlen = 11000 };
	struct proto_addr a4 = {
		.ifname = "br_world", .family = AF_INET, .prefixlen = 24,
		.addr = { 10, 0, 2, 100 },
	};
	struct proto_addr a6 = {
		.ifname = "br_world", .family = AF_INET6, .prefixlen = 64,
		.addr = { 0xfd, [14] = 1, [15] = 0 },
	};
	struct proto_route r4 = {
		.ifname = "br_world", .family = AF_INET, .dst_len = 0,
		.gateway = { 10, 0, 2, 2 },
	};
	struct proto_route r6 = {
		.ifname = "br_world", .family = AF_INET6, .dst_len = 32,
		.dst = { 0x20, 0x01, 0x0d, 0xb8 }, .gateway = { 0xfd, [15] = 2 },
	};
	struct proto_resolv res4 = { .family = AF_INET, .addr = { 10, 0, 2, 3 } };
	struct proto_resolv res6 = { .family = AF_INET6,
				     .addr = { 0xfd, [15] = 3 } };

	msg("req-hello", PROTO_REQ_HELLO, 1, NULL, 0, buf);
	msg("req-link-set-up", PROTO_REQ_LINK_SET, 2, &up, sizeof(up), buf);
	l = link_of("br_world");
	msg("req-bridge-add", PROTO_REQ_BRIDGE_ADD, 3, &l, sizeof(l), buf);
	msg("req-link-enslave", PROTO_REQ_LINK_ENSLAVE, 4, &e, sizeof(e), buf);
	msg("req-link-set-mtu-up", PROTO_REQ_LINK_SET, 5, &mtu, sizeof(mtu),
	    buf);
	msg("req-addr-add-v4", PROTO_REQ_ADDR_ADD, 6, &a4, sizeof(a4), buf);
	msg("req-addr-add-v6", PROTO_REQ_ADDR_ADD, 7, &a6, sizeof(a6), buf);
	msg("req-route-add-v4", PROTO_REQ_ROUTE_ADD, 8, &r4, sizeof(r4), buf);
	msg("req-route-add-v6", PROTO_REQ_ROUTE_ADD, 9, &r6, sizeof(r6), buf);
	msg("req-resolv-set-v4", PROTO_REQ_RESOLV_SET, 12, &res4, sizeof(res4),
	    buf);
	msg("req-resolv-set-v6", PROTO_REQ_RESOLV_SET, 13, &res6, sizeof(res6),
	    buf);
	msg("req-uplink-add", PROTO_REQ_UPLINK_ADD, 14, &upl, sizeof(upl),
	    buf);
	msg("req-uplink-add-txqlen", PROTO_REQ_UPLINK_ADD, 15, &txq,
	    sizeof(txq), buf);
}

static void answers(void)
{
	uint8_t buf[PROTO_MSG_MAX];
	struct proto_answer a;

	a = answer(0, "");
	msg("ans-hello", PROTO_ANS | PROTO_REQ_HELLO, 1, &a, sizeof(a), buf);
	/* What the helper's start-up could not do: no fresh /proc, no /sys. */
	a.notes = PROTO_NOTE_NO_PROC | PROTO_NOTE_NO_SYSFS;
	msg("ans-hello-notes", PROTO_ANS | PROTO_REQ_HELLO, 1, &a, sizeof(a),
	    buf);
	a = answer(EPERM, "Operation not permitted");
	msg("ans-link-set-eperm", PROTO_ANS | PROTO_REQ_LINK_SET, 2, &a,
	    sizeof(a), buf);
	a = answer(EINVAL, "interface name contains '/'");
	msg("ans-bridge-add-einval", PROTO_ANS | PROTO_REQ_BRIDGE_ADD, 3, &a,
	    sizeof(a), buf);
	a = answer(EPROTO, "protocol violation");
	msg("ans-violation", PROTO_ANS, 0, &a, sizeof(a), buf);
}

/* Well framed, refused by proto_validate(). */
static void invalid_arguments(void)
{
	uint8_t buf[PROTO_MSG_MAX];
	struct proto_link l;
	struct proto_enslave e = { .ifname = "br_world", .master = "br_world" };
	struct proto_link_set mtu = { .ifname = "br_world", .mtu = 67 };
	struct proto_link_set none = { .ifname = "br_world" };
	struct proto_link_set ls;
	struct proto_uplink txq = { .txqlen = 1000001 };
	struct proto_addr a = {
		.ifname = "br_world", .family = AF_INET, .prefixlen = 33,
		.addr = { 10, 0, 2, 100 },
	};
	struct proto_addr mc = {
		.ifname = "br_world", .family = AF_INET6, .prefixlen = 64,
		.addr = { 0xff, 0x02, [15] = 1 },
	};
	struct proto_route r = {
		.ifname = "br_world", .family = AF_INET, .dst_len = 24,
		.dst = { 10, 0, 2, 1 }, .gateway = { 10, 0, 2, 2 },
	};
	struct proto_resolv res = { .family = AF_INET, .pad = { 0, 1, 0 },
				    .addr = { 10, 0, 2, 3 } };

	memset(&ls, 0, sizeof(ls));
	ls.up = 1;
	msg("inval-link-set-empty-name", PROTO_REQ_LINK_SET, 1, &ls, sizeof(ls),
	    buf);
	memcpy(ls.ifname, "eth0\0hidden", 11);
	msg("inval-link-set-bytes-after-nul", PROTO_REQ_LINK_SET, 2, &ls,
	    sizeof(ls), buf);
	memset(&l, 0, sizeof(l));
	memset(l.ifname, 'x', sizeof(l.ifname));
	msg("inval-bridge-add-16-bytes", PROTO_REQ_BRIDGE_ADD, 3, &l,
	    sizeof(l), buf);
	msg("inval-link-enslave-self", PROTO_REQ_LINK_ENSLAVE, 4, &e,
	    sizeof(e), buf);
	msg("inval-link-set-mtu-67", PROTO_REQ_LINK_SET, 5, &mtu,
	    sizeof(mtu), buf);
	msg("inval-link-set-nothing", PROTO_REQ_LINK_SET, 5, &none,
	    sizeof(none), buf);
	msg("inval-addr-add-prefix-33", PROTO_REQ_ADDR_ADD, 6, &a, sizeof(a),
	    buf);
	msg("inval-addr-add-multicast", PROTO_REQ_ADDR_ADD, 7, &mc,
	    sizeof(mc), buf);
	msg("inval-route-add-host-bits", PROTO_REQ_ROUTE_ADD, 8, &r,
	    sizeof(r), buf);
	msg("inval-resolv-set-padding", PROTO_REQ_RESOLV_SET, 9, &res,
	    sizeof(res), buf);
	msg("inval-uplink-add-txqlen-1000001", PROTO_REQ_UPLINK_ADD, 10, &txq,
	    sizeof(txq), buf);
	memset(&l, 0, sizeof(l));
	memcpy(l.ifname, "br%d", 4);
	msg("inval-bridge-add-percent", PROTO_REQ_BRIDGE_ADD, 12, &l, sizeof(l),
	    buf);
}

/* Refused by proto_decode(). */
static void bad_framing(void)
{
	uint8_t buf[PROTO_MSG_MAX + 1];
	struct proto_link l = link_of("br_world");
	struct proto_answer a;
	struct proto_hdr h;
	size_t n;

	put("bad-empty", buf, 0);
	n = msg(NULL, PROTO_REQ_HELLO, 1, NULL, 0, buf);
	put("bad-short-header", buf, n - 1);
	buf[n] = 0;
	put("bad-trailing-byte", buf, n + 1);

	n = msg(NULL, PROTO_REQ_BRIDGE_ADD, 2, &l, sizeof(l), buf);
	put("bad-truncated", buf, n - 1);
	memcpy(&h, buf, sizeof(h));
	h.len = sizeof(l) - 1;
	memcpy(buf, &h, sizeof(h));
	put("bad-length-mismatch", buf, n);
	h.len = sizeof(l);
	h.version = PROTO_VERSION - 1;
	memcpy(buf, &h, sizeof(h));
	put("bad-version-previous", buf, n);
	h.version = PROTO_VERSION + 1;
	memcpy(buf, &h, sizeof(h));
	put("bad-version-next", buf, n);
	h.version = PROTO_VERSION;
	h.op = 0x7fff;
	memcpy(buf, &h, sizeof(h));
	put("bad-op-unknown", buf, n);

	a = answer(0, "");
	memset(a.reason, 'r', sizeof(a.reason));
	n = msg(NULL, PROTO_ANS | PROTO_REQ_LINK_SET, 3, &a, sizeof(a), buf);
	put("bad-answer-reason-no-nul", buf, n);
	a = answer(-1, "negative");
	n = msg(NULL, PROTO_ANS | PROTO_REQ_LINK_SET, 4, &a, sizeof(a), buf);
	put("bad-answer-negative-err", buf, n);
	/* Notes are hello's only, and only the known ones. */
	a = answer(0, "");
	a.notes = PROTO_NOTE_NO_PROC;
	n = msg(NULL, PROTO_ANS | PROTO_REQ_LINK_SET, 5, &a, sizeof(a), buf);
	put("bad-answer-notes-not-hello", buf, n);
	a.notes = 1u << 31;
	n = msg(NULL, PROTO_ANS | PROTO_REQ_HELLO, 1, &a, sizeof(a), buf);
	put("bad-answer-notes-unknown", buf, n);

	memset(buf, 0, sizeof(buf));
	h = (struct proto_hdr){ .version = PROTO_VERSION,
				.op = PROTO_REQ_BRIDGE_ADD,
				.len = PROTO_MSG_MAX + 1 - sizeof(h) };
	memcpy(buf, &h, sizeof(h));
	put("bad-oversized", buf, PROTO_MSG_MAX + 1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	valid_requests();
	answers();
	invalid_arguments();
	bad_framing();
	return failed;
}
