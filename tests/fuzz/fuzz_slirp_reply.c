// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the parsers of slirp4netns's API replies:
 * fe_slirp_parse_add(), fe_slirp_parse_list() and fe_slirp_parse_remove(),
 * all three on every input.  slirp4netns is ours, but its replies cross a
 * socket that anything of the user's could be listening on.
 *
 * Built two ways, as fuzz_proto.c: with libFuzzer by tests/fuzz/Makefile,
 * and with replay.c so that `make check` replays the corpus.
 *
 * Invariants: only the documented errors; a one-line printable reason for
 * each, none on success; an accepted list holds valid forwards only, and
 * reads back the same from the answer the control protocol makes of it.
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

static void check_reason(int r, const char *err)
{
	for (const char *s = err; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
	FUZZ_CHECK(r == 0 ? err[0] == '\0' : err[0] != '\0');
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

static void check_add(const char *buf, size_t size)
{
	struct fe_fwd f, before;
	char err[512];
	int r;

	memset(&f, 0, sizeof(f));
	f.proto = IPPROTO_TCP;
	strcpy(f.host_addr, "127.0.0.1");
	f.host_port = 80;
	strcpy(f.guest_addr, "10.0.2.100");
	f.guest_port = 80;
	before = f;
	r = fe_slirp_parse_add(buf, size, &f, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EADDRINUSE || r == -EIO || r == -EPROTO ||
		   r == -EMSGSIZE || r == -ENOMEM);
	FUZZ_CHECK((r == -EMSGSIZE) == (size > FE_SLIRP_REPLY_MAX));
	check_reason(r, err);
	if (r == 0)
		FUZZ_CHECK(f.id >= 1);
	else
		FUZZ_CHECK(f.id == 0);
	/* Nothing but the id changes. */
	f.id = 0;
	FUZZ_CHECK(memcmp(&f, &before, sizeof(f)) == 0);
}

/* The list through the control protocol's answer, and back. */
static void check_list_roundtrip(const struct fe_fwd *v, size_t n)
{
	struct fe_fwd *w;
	char err[512], *a;
	size_t m;

	a = fe_control_ok(NULL, fe_control_entries(v, n));
	FUZZ_CHECK(a != NULL);
	FUZZ_CHECK(fe_slirp_parse_list(a, strlen(a), &w, &m, err,
				       sizeof(err)) == 0);
	FUZZ_CHECK(m == n);
	FUZZ_CHECK(n == 0 || memcmp(v, w, n * sizeof(*v)) == 0);
	free(w);
	free(a);
}

static void check_list(const char *buf, size_t size)
{
	struct fe_fwd *v = (struct fe_fwd *)&v;
	size_t n = 12345;
	char err[512];
	int r;

	r = fe_slirp_parse_list(buf, size, &v, &n, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EIO || r == -EPROTO || r == -EMSGSIZE ||
		   r == -ENOMEM);
	check_reason(r, err);
	FUZZ_CHECK((v == NULL) == (n == 0));
	if (r < 0) {
		FUZZ_CHECK(v == NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char s[FE_FWD_STR_MAX];

		FUZZ_CHECK(v[i].id >= 1);
		FUZZ_CHECK(v[i].proto == IPPROTO_TCP ||
			   v[i].proto == IPPROTO_UDP);
		FUZZ_CHECK(is_ipv4(v[i].host_addr));
		FUZZ_CHECK(is_ipv4(v[i].guest_addr));
		FUZZ_CHECK(v[i].host_port >= 1 && v[i].guest_port >= 1);
		FUZZ_CHECK(fe_fwd_format(&v[i], s, sizeof(s)) > 0);
	}
	check_list_roundtrip(v, n);
	free(v);
}

static void check_remove(const char *buf, size_t size)
{
	char err[512];
	int r;

	r = fe_slirp_parse_remove(buf, size, 7, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EIO || r == -EPROTO ||
		   r == -EMSGSIZE || r == -ENOMEM);
	check_reason(r, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly @size bytes, not NUL-terminated: a read past is caught. */
	char *buf = malloc(size ? size : 1);

	FUZZ_CHECK(buf != NULL);
	if (size)
		memcpy(buf, data, size);
	check_add(buf, size);
	check_list(buf, size);
	check_remove(buf, size);
	free(buf);
	return 0;
}
