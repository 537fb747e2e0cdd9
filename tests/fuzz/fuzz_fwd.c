// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the forward spec parser, fe_fwd_parse(): what
 * `hckns -p SPEC` and `hckns fwd add SPEC` do with the user's text.
 *
 * Built two ways, as fuzz_proto.c: with libFuzzer by tests/fuzz/Makefile,
 * and with replay.c so that `make check` replays the corpus.
 *
 * Invariants: the result is 0 or -EINVAL; a refusal is one printable line
 * that quotes the spec and says what is expected, truncated cleanly for any
 * errlen; an accepted forward is valid, formats, reads back to itself from
 * its spec form, and is what the control protocol makes of the same
 * forward.
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
#define ERR_MAX FE_FWD_ERR_MAX
#define GUARD 16
#define GUARD_BYTE 0xa5

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

static void check_valid(const struct fe_fwd *f)
{
	FUZZ_CHECK(f->id == 0);
	FUZZ_CHECK(f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP);
	FUZZ_CHECK(is_ipv4(f->host_addr));
	FUZZ_CHECK(is_ipv4(f->guest_addr));
	FUZZ_CHECK(f->host_port >= 1 && f->guest_port >= 1);
}

/* The same forward through the control protocol. */
static void check_control(const struct fe_fwd *f)
{
	struct fe_control_req req;
	char line[256], err[512];
	int n;

	n = snprintf(line, sizeof(line),
		     "{\"execute\":\"add_hostfwd\",\"arguments\":{"
		     "\"proto\":\"%s\",\"host_addr\":\"%s\",\"host_port\":%u,"
		     "\"guest_addr\":\"%s\",\"guest_port\":%u}}",
		     fe_fwd_proto_name(f->proto), f->host_addr, f->host_port,
		     f->guest_addr, f->guest_port);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(line));
	FUZZ_CHECK(fe_control_parse(line, (size_t)n, GUEST, &req, err,
				    sizeof(err)) == 0);
	FUZZ_CHECK(req.op == FE_CONTROL_ADD);
	FUZZ_CHECK(memcmp(&req.fwd, f, sizeof(*f)) == 0);
	fe_control_req_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char expected[] = "; expected " FE_FWD_SYNTAX;
	static const size_t lens[] = { 0, 1, 2, 17, 64 };
	char full[ERR_MAX + GUARD], err[ERR_MAX + GUARD];
	char buf[FE_FWD_STR_MAX], *spec;
	struct fe_fwd f, g;
	size_t n;
	int r;

	/* A C string, as from argv: the parser sees up to the first NUL. */
	spec = malloc(size + 1);
	FUZZ_CHECK(spec != NULL);
	memcpy(spec, data, size);
	spec[size] = '\0';

	memset(full, GUARD_BYTE, sizeof(full));
	r = fe_fwd_parse(spec, GUEST, &f, full, ERR_MAX);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	for (size_t k = ERR_MAX; k < sizeof(full); k++)
		FUZZ_CHECK((unsigned char)full[k] == GUARD_BYTE);
	FUZZ_CHECK(memchr(full, '\0', ERR_MAX) != NULL);
	check_line(full);

	if (r < 0) {
		n = strlen(full);
		FUZZ_CHECK(strncmp(full, "invalid forward '", 17) == 0);
		/* The spec is quoted and shortened: the reason is never cut. */
		FUZZ_CHECK(n > strlen(expected) &&
			   strcmp(full + n - strlen(expected), expected) == 0);
	} else {
		FUZZ_CHECK(full[0] == '\0');
		check_valid(&f);
		FUZZ_CHECK(fe_fwd_match(&f, &f));
		FUZZ_CHECK(fe_fwd_format(&f, buf, sizeof(buf)) > 0);
		check_line(buf);
		memset(&g, GUARD_BYTE, sizeof(g));
		FUZZ_CHECK(fe_fwd_parse(buf, GUEST, &g, err, ERR_MAX) == 0);
		FUZZ_CHECK(memcmp(&f, &g, sizeof(f)) == 0);
		/* Only digits, dots, colons and the protocol. */
		FUZZ_CHECK(strspn(spec, "tcpud0123456789.:") == strlen(spec));
		check_control(&f);
	}

	/* Shorter reason buffers: a prefix of the full reason, no overrun. */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(err, GUARD_BYTE, sizeof(err));
		FUZZ_CHECK(fe_fwd_parse(spec, GUEST, &g, err, lens[i]) == r);
		for (size_t k = lens[i]; k < sizeof(err); k++)
			FUZZ_CHECK((unsigned char)err[k] == GUARD_BYTE);
		if (lens[i] == 0)
			continue;
		FUZZ_CHECK(memchr(err, '\0', lens[i]) != NULL);
		FUZZ_CHECK(strncmp(err, full, lens[i] - 1) == 0);
	}
	free(spec);
	return 0;
}
