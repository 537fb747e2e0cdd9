// SPDX-License-Identifier: MIT
/*
 * Unit tests for the keeper protocol (include/hckns/keeper.h,
 * protocol/keeper.c) and the keeper's table of who may send it what
 * (keeper/keeper.c): the datagram is one fixed size and every type's
 * fields fit in it; only a type's own fields travel; descriptors ride
 * along as asked; and the table is doc/design.md's "The keeper protocol".
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hckns/keeper.h"
#include "keeper/keeper.h"
#include "suites.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define FIELDS_AT offsetof(struct fe_keeper_msg, start)
#define R(r) (1U << (r))

/*
 * doc/design.md's table: who sends each message to the keeper (0: the
 * keeper sends it, no one sends it to the keeper), and the descriptors
 * that ride along.  The creator is a holder too: it may LEAVE.
 */
static const struct {
	uint32_t type;
	const char *name;
	unsigned int from;	/* R() of each role that may send it */
	int nfds;		/* -1: no one may send it to the keeper */
	int size;		/* its fields: sizeof its struct, or 0 */
} types[] = {
	{ FE_KEEPER_START, "START", R(CONN_CREATOR), FE_NS_COUNT,
	  sizeof(struct fe_km_start) },
	{ FE_KEEPER_STARTED, "STARTED", 0, -1, sizeof(struct fe_km_started) },
	{ FE_KEEPER_FAILED, "FAILED", 0, -1, sizeof(struct fe_km_failed) },
	{ FE_KEEPER_SLIRP_EXITED, "SLIRP_EXITED", 0, -1,
	  sizeof(struct fe_km_slirp_exited) },
	{ FE_KEEPER_READY, "READY", R(CONN_CREATOR), 0, 0 },
	{ FE_KEEPER_JOIN, "JOIN", R(CONN_NEW), 0, 0 },
	{ FE_KEEPER_JOINED, "JOINED", 0, -1, sizeof(struct fe_km_joined) },
	{ FE_KEEPER_QUERY, "QUERY", R(CONN_NEW), 0, 0 },
	{ FE_KEEPER_INFO, "INFO", 0, -1, sizeof(struct fe_km_info) },
	{ FE_KEEPER_STOP, "STOP", R(CONN_NEW), 0, sizeof(struct fe_km_stop) },
	{ FE_KEEPER_LEAVE, "LEAVE", R(CONN_CREATOR) | R(CONN_HOLDER), 0, 0 },
	{ FE_KEEPER_LEFT, "LEFT", 0, -1, sizeof(struct fe_km_left) },
	{ FE_KEEPER_HELPER, "HELPER", R(CONN_CREATOR), 2,
	  sizeof(struct fe_km_helper) },
};

/* No type at all: refused by everyone, sent by no one. */
static const uint32_t not_types[] = {
	0, FE_KEEPER_MSG_TYPES, FE_KEEPER_MSG_TYPES + 1, 255, 0x7fffffff,
	0xffffffff,
};

/* The wire's layout: fixed, the type first, the fields at 8. */
START_TEST(test_layout)
{
	ck_assert_uint_eq(sizeof(struct fe_keeper_msg), FE_KEEPER_MSG_SIZE);
	ck_assert_uint_eq(FE_KEEPER_MSG_SIZE, 32);
	ck_assert_uint_eq(offsetof(struct fe_keeper_msg, type), 0);
	ck_assert_uint_eq(FIELDS_AT, 8);
	ck_assert_uint_eq(N_ELEMENTS(types), FE_KEEPER_MSG_TYPES - 1);
}
END_TEST

/* Every type's struct fits the datagram, and the transport knows it. */
START_TEST(test_size)
{
	uint32_t t = types[_i].type;

	ck_assert_uint_eq(t, (uint32_t)_i + 1);	/* the table is in order */
	ck_assert_int_eq(fe_keeper_msg_size(t), types[_i].size);
	ck_assert_uint_le(FIELDS_AT + (size_t)types[_i].size,
			  sizeof(struct fe_keeper_msg));
}
END_TEST

START_TEST(test_size_not_a_type)
{
	ck_assert_int_eq(fe_keeper_msg_size(not_types[_i]), -1);
}
END_TEST

/* The keeper's table is design.md's, role by role. */
START_TEST(test_may_send)
{
	uint32_t t = types[_i].type;

	for (int role = 0; role < CONN_ROLES; role++)
		ck_assert_msg(fe_keeper_may_send((enum conn_role)role, t) ==
			      ((types[_i].from & R(role)) != 0),
			      "%s from role %d", types[_i].name, role);
	ck_assert_int_eq(fe_keeper_msg_fds(t), types[_i].nfds);
}
END_TEST

START_TEST(test_may_send_not_a_type)
{
	for (int role = 0; role < CONN_ROLES; role++)
		ck_assert(!fe_keeper_may_send((enum conn_role)role,
					      not_types[_i]));
	ck_assert_int_eq(fe_keeper_msg_fds(not_types[_i]), -1);
}
END_TEST

/* No message from a free slot, nor from a role that is none. */
START_TEST(test_may_send_not_a_role)
{
	for (size_t i = 0; i < N_ELEMENTS(types); i++) {
		ck_assert(!fe_keeper_may_send(CONN_FREE, types[i].type));
		ck_assert(!fe_keeper_may_send(CONN_ROLES, types[i].type));
		ck_assert(!fe_keeper_may_send((enum conn_role)31,
					      types[i].type));
		ck_assert(!fe_keeper_may_send((enum conn_role)-1,
					      types[i].type));
	}
}
END_TEST

/* Those who wait, stop or leave say nothing more: they hear. */
START_TEST(test_quiet_roles)
{
	for (size_t i = 0; i < N_ELEMENTS(types); i++) {
		ck_assert(!fe_keeper_may_send(CONN_WAITING, types[i].type));
		ck_assert(!fe_keeper_may_send(CONN_STOPPER, types[i].type));
		ck_assert(!fe_keeper_may_send(CONN_LEAVING, types[i].type));
	}
}
END_TEST

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
}

/* A type's fields travel; every other byte of the datagram is 0. */
START_TEST(test_send_only_the_fields)
{
	uint32_t t = types[_i].type;
	unsigned char raw[FE_KEEPER_MSG_SIZE + 8];
	struct fe_keeper_msg m, got;
	int sv[2];

	pair(sv);
	memset(&m, 0xa5, sizeof(m));
	m.type = t;
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, NULL, 0), 0);
	ck_assert_int_eq(recv(sv[1], raw, sizeof(raw), 0), FE_KEEPER_MSG_SIZE);
	memcpy(&got, raw, sizeof(got));
	ck_assert_uint_eq(got.type, t);
	for (size_t i = sizeof(got.type); i < FE_KEEPER_MSG_SIZE; i++) {
		bool field = i >= FIELDS_AT &&
			     i < FIELDS_AT + (size_t)types[_i].size;

		ck_assert_msg(raw[i] == (field ? 0xa5 : 0),
			      "%s: byte %zu is %#x", types[_i].name, i, raw[i]);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_send_not_a_type)
{
	struct fe_keeper_msg m = { .type = not_types[_i] };
	int sv[2];

	pair(sv);
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, NULL, 0), -EINVAL);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Each reader's fields come back as they went, typed. */
START_TEST(test_roundtrip_fields)
{
	struct fe_keeper_msg m = {
		.type = FE_KEEPER_INFO,
		.info = { .started = 1700000000, .holders = 3,
			  .keeper_pid = 4242, .flags = FE_KEEPER_F_HOST_LOOPBACK },
	}, got;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, NULL, 0), 0);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, NULL, 0, 0), 0);
	ck_assert_uint_eq(got.type, FE_KEEPER_INFO);
	ck_assert_int_eq(got.info.started, 1700000000);
	ck_assert_int_eq(got.info.holders, 3);
	ck_assert_int_eq(got.info.keeper_pid, 4242);
	ck_assert_int_eq(got.info.flags, FE_KEEPER_F_HOST_LOOPBACK);

	m = (struct fe_keeper_msg){
		.type = FE_KEEPER_JOINED,
		.joined = { .keeper_pid = 7, .fingerprint = -123456,
			    .flags = 0 },
	};
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, NULL, 0), 0);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, NULL, 0, 0), 0);
	ck_assert_uint_eq(got.type, FE_KEEPER_JOINED);
	ck_assert_int_eq(got.joined.keeper_pid, 7);
	ck_assert_int_eq(got.joined.fingerprint, -123456);
	ck_assert_int_eq(got.joined.flags, 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* START's namespaces ride along; more than the reader takes: malformed. */
START_TEST(test_descriptors)
{
	struct fe_keeper_msg m = { .type = FE_KEEPER_START,
				   .start = { .helper_pid = 99 } }, got;
	int fds[FE_NS_COUNT], in[FE_NS_COUNT], sv[2];
	struct stat a, b;

	pair(sv);
	for (int i = 0; i < FE_NS_COUNT; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, fds, FE_NS_COUNT), 0);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, in, FE_NS_COUNT, 0),
			 FE_NS_COUNT);
	ck_assert_int_eq(got.start.helper_pid, 99);
	for (int i = 0; i < FE_NS_COUNT; i++) {
		ck_assert_int_eq(fstat(fds[i], &a), 0);
		ck_assert_int_eq(fstat(in[i], &b), 0);
		ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
		ck_assert_int_eq(fcntl(in[i], F_GETFD), FD_CLOEXEC);
		close(in[i]);
	}
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, fds, FE_NS_COUNT), 0);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, in, 2, 0), -EPROTO);
	ck_assert_int_eq(fe_keeper_send(sv[0], &m, fds, FE_NS_COUNT + 1),
			 -EINVAL);
	for (int i = 0; i < FE_NS_COUNT; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A datagram of another size is no message; EOF is -EPIPE. */
START_TEST(test_recv_malformed)
{
	unsigned char raw[FE_KEEPER_MSG_SIZE + 1] = { FE_KEEPER_QUERY };
	struct fe_keeper_msg got;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(send(sv[0], raw, FE_KEEPER_MSG_SIZE - 8, 0),
			 FE_KEEPER_MSG_SIZE - 8);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, NULL, 0, 0), -EPROTO);
	ck_assert_int_eq(send(sv[0], raw, sizeof(raw), 0), (int)sizeof(raw));
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, NULL, 0, 0), -EPROTO);
	ck_assert_int_eq(send(sv[0], raw, FE_KEEPER_MSG_SIZE, 0),
			 FE_KEEPER_MSG_SIZE);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, NULL, 0, 0), 0);
	ck_assert_uint_eq(got.type, FE_KEEPER_QUERY);
	close(sv[0]);
	ck_assert_int_eq(fe_keeper_recv(sv[1], &got, NULL, 0, 0), -EPIPE);
	close(sv[1]);
}
END_TEST

/* The plain transport: a number and one descriptor (frontend/links.c). */
START_TEST(test_seqpacket_plain)
{
	int32_t n = 17, got = 0;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), in = -1, sv[2];

	ck_assert_int_ge(fd, 0);
	pair(sv);
	ck_assert_int_eq(fe_seqpacket_send(sv[0], &n, sizeof(n), &fd, 1), 0);
	ck_assert_int_eq(fe_seqpacket_recv(sv[1], &got, sizeof(got), &in, 1, 0),
			 1);
	ck_assert_int_eq(got, 17);
	ck_assert_int_ge(in, 0);
	close(in);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

Suite *make_keeper_suite(void)
{
	Suite *s = suite_create("keeper");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, test_layout);
	tcase_add_loop_test(tc, test_size, 0, N_ELEMENTS(types));
	tcase_add_loop_test(tc, test_size_not_a_type, 0, N_ELEMENTS(not_types));
	tcase_add_loop_test(tc, test_send_only_the_fields, 0,
			    N_ELEMENTS(types));
	tcase_add_loop_test(tc, test_send_not_a_type, 0, N_ELEMENTS(not_types));
	tcase_add_test(tc, test_roundtrip_fields);
	tcase_add_test(tc, test_descriptors);
	tcase_add_test(tc, test_recv_malformed);
	tcase_add_test(tc, test_seqpacket_plain);
	suite_add_tcase(s, tc);

	tc = tcase_create("roles");
	tcase_add_loop_test(tc, test_may_send, 0, N_ELEMENTS(types));
	tcase_add_loop_test(tc, test_may_send_not_a_type, 0,
			    N_ELEMENTS(not_types));
	tcase_add_test(tc, test_may_send_not_a_role);
	tcase_add_test(tc, test_quiet_roles);
	suite_add_tcase(s, tc);
	return s;
}
