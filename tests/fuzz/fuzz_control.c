// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the --control-fd protocol: fe_control_parse() on
 * the input as one line, the answer to it, and the line buffer on the input
 * as a stream (repeated, so that lines pass FE_CONTROL_LINE_MAX, and cut
 * into reads of varying sizes), checked against a simple model of it.
 *
 * Built two ways, as fuzz_proto.c: with libFuzzer by tests/fuzz/Makefile,
 * and with replay.c so that `make check` replays the corpus.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",  \
				__FILE__, __LINE__, #cond);               \
			abort();                                          \
		}                                                         \
	} while (0)

#define GUEST "10.0.2.100"
/* Requests parsed from the stream's lines, at most. */
#define MAX_PARSED 8

static void check_line(const char *s)
{
	for (; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* An answer: one ASCII line, JSON, with the request's tag. */
static void check_answer(char *a, const json_t *tag, const char *kind)
{
	json_error_t je;
	json_t *v;
	size_t n;

	FUZZ_CHECK(a != NULL);
	n = strlen(a);
	FUZZ_CHECK(n >= 2 && a[n - 1] == '\n');
	a[n - 1] = '\0';
	/* ASCII without control characters (JSON leaves DEL as it is). */
	for (size_t i = 0; i < n - 1; i++)
		FUZZ_CHECK(a[i] >= 0x20 && a[i] <= 0x7f);
	v = json_loadb(a, n - 1, JSON_REJECT_DUPLICATES, &je);
	FUZZ_CHECK(json_is_object(v));
	FUZZ_CHECK(json_object_get(v, kind) != NULL);
	FUZZ_CHECK(json_object_size(v) == (tag ? 2u : 1u));
	if (tag)
		FUZZ_CHECK(json_equal(json_object_get(v, "tag"), tag));
	json_decref(v);
	free(a);
}

static void parse_one(const char *line, size_t len)
{
	struct fe_control_req req;
	char err[512];
	json_t *ret = NULL;
	int r;

	memset(&req, 0xa5, sizeof(req));
	r = fe_control_parse(line, len, GUEST, &req, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EMSGSIZE);
	FUZZ_CHECK((r == -EMSGSIZE) == (len > FE_CONTROL_LINE_MAX));
	check_line(err);
	if (r < 0) {
		FUZZ_CHECK(req.op == FE_CONTROL_NONE);
		FUZZ_CHECK(err[0] != '\0');
		if (r != -EINVAL)
			FUZZ_CHECK(req.tag == NULL);
		check_answer(fe_control_error(req.tag, err), req.tag, "error");
		fe_control_req_release(&req);
		return;
	}
	FUZZ_CHECK(err[0] == '\0');
	switch (req.op) {
	case FE_CONTROL_ADD:
		FUZZ_CHECK(req.fwd.id == 0);
		FUZZ_CHECK(req.fwd.proto == IPPROTO_TCP ||
			   req.fwd.proto == IPPROTO_UDP);
		FUZZ_CHECK(is_ipv4(req.fwd.host_addr));
		FUZZ_CHECK(is_ipv4(req.fwd.guest_addr));
		FUZZ_CHECK(req.fwd.host_port >= 1 && req.fwd.guest_port >= 1);
		req.fwd.id = 1;
		ret = fe_control_entries(&req.fwd, 1);
		FUZZ_CHECK(ret != NULL);
		break;
	case FE_CONTROL_REMOVE:
		FUZZ_CHECK(req.id >= 1);
		ret = json_integer(req.id);
		break;
	case FE_CONTROL_LIST:
	case FE_CONTROL_STOP:
		break;
	case FE_CONTROL_NONE:
	default:
		FUZZ_CHECK(!"a request without an op was accepted");
	}
	check_answer(fe_control_ok(req.tag, ret), req.tag, "return");
	fe_control_req_release(&req);
}

/* What the line buffer must yield: lines, and -EMSGSIZE once per long one. */
struct model {
	const uint8_t *s;
	size_t len, pos;	/* the stream and how far it was matched */
	size_t start;		/* of the current line */
	bool overflowed;
};

/* The next event the model expects: 1 and a line, -EMSGSIZE, or 0. */
static int model_next(struct model *m, size_t *off, size_t *len, bool eof)
{
	while (m->pos < m->len) {
		uint8_t c = m->s[m->pos++];

		if (c == '\n') {
			bool over = m->overflowed;

			*off = m->start;
			*len = m->pos - 1 - m->start;
			m->start = m->pos;
			m->overflowed = false;
			if (!over)
				return 1;
			continue;
		}
		if (!m->overflowed && m->pos - m->start > FE_CONTROL_LINE_MAX) {
			m->overflowed = true;
			return -EMSGSIZE;
		}
	}
	if (eof && !m->overflowed && m->start < m->len) {
		*off = m->start;
		*len = m->len - m->start;
		m->start = m->len;
		return 1;
	}
	return 0;
}

static uint32_t next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void run_linebuf(const uint8_t *data, size_t size)
{
	uint32_t seed = 2166136261u;
	struct fe_linebuf lb;
	struct model m = { 0 };
	size_t total, fed = 0, parsed = 0;
	uint8_t *stream;
	unsigned int repeat;

	/* FNV-1a of the input: the seed of the cuts and the repeat count. */
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	seed |= 1;
	repeat = 1 + next_rand(&seed) % 12;
	total = size * repeat;
	stream = malloc(total ? total : 1);
	FUZZ_CHECK(stream != NULL);
	for (unsigned int k = 0; k < repeat; k++)
		if (size)
			memcpy(stream + k * size, data, size);
	m.s = stream;
	m.len = total;

	fe_linebuf_init(&lb);
	for (;;) {
		const char *line;
		size_t len, off, mlen;
		int r, mr;

		while ((r = fe_linebuf_next(&lb, &line, &len)) != 0) {
			mr = model_next(&m, &off, &mlen, lb.eof);
			FUZZ_CHECK(r == mr);
			if (r < 0)
				continue;
			FUZZ_CHECK(len == mlen && len <= FE_CONTROL_LINE_MAX);
			FUZZ_CHECK(memcmp(line, stream + off, len) == 0);
			FUZZ_CHECK(line[len] == '\0');
			if (parsed++ < MAX_PARSED)
				parse_one(line, len);
		}
		if (lb.eof)
			break;
		if (fed == total) {
			fe_linebuf_set_eof(&lb);
			continue;
		}
		{
			size_t want = 1 + next_rand(&seed) % 1500, n;

			if (want > total - fed)
				want = total - fed;
			n = fe_linebuf_feed(&lb, stream + fed, want);
			/* The buffer is drained: there is always room. */
			FUZZ_CHECK(n > 0 && n <= want);
			fed += n;
		}
	}
	/* Everything the model expected was seen. */
	{
		size_t off, mlen;

		FUZZ_CHECK(model_next(&m, &off, &mlen, true) == 0);
	}
	free(stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);

	/* Exactly @size bytes, so that a read past them is caught. */
	FUZZ_CHECK(line != NULL);
	if (size)
		memcpy(line, data, size);
	parse_one(line, size);
	free(line);
	run_linebuf(data, size);
	return 0;
}
