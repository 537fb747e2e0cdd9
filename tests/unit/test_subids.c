// SPDX-License-Identifier: MIT
/*
 * Unit tests of --map-subids's and --map-root=subids's pure part
 * (model/subids.c): the lines of /etc/subuid and /etc/subgid, the checks
 * of a range, the maps hckns writes as root, a free range to propose, the
 * argv of newuidmap and newgidmap, and a tool's output made one line.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/subids.h"
#include "suites.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fe_subid_line ------------------------------------------------------ */

static const struct {
	const char *line;
	const char *name;	/* the user looked up, or NULL */
	uint32_t id;		/* their uid */
	int want;
	uint32_t start, count;
} lines[] = {
	/* The owner by name, by uid, with or without the newline. */
	{ "alice:100000:65536\n", "alice", 1000, 1, 100000, 65536 },
	{ "alice:100000:65536", "alice", 1000, 1, 100000, 65536 },
	{ "1000:200000:10\n", "alice", 1000, 1, 200000, 10 },
	{ "1000:200000:10\n", NULL, 1000, 1, 200000, 10 },
	{ "0:300000:65536\n", "root", 0, 1, 300000, 65536 },
	{ "root:300000:65536\n", "root", 0, 1, 300000, 65536 },
	{ "alice:0:4294967295\n", "alice", 1000, 1, 0, 4294967295u },
	/* Well-formed; fe_subid_check() refuses it later. */
	{ "alice:4294967295:0\n", "alice", 1000, 1, 4294967295u, 0 },
	/* Leading zeros, as strtoul(3) in shadow takes them. */
	{ "alice:00000000000100000:007\n", "alice", 1000, 1, 100000, 7 },
	{ "0001000:5:6\n", "alice", 1000, 1, 5, 6 },
	/* Someone else's, or nobody's. */
	{ "bob:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "alic:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "alice2:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "Alice:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "1001:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "alice:100000:65536\n", NULL, 1000, 0, 0, 0 },
	{ "10000:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "\n", "alice", 1000, 0, 0, 0 },
	{ "", "alice", 1000, 0, 0, 0 },
	{ "# alice:100000:65536\n", "alice", 1000, 0, 0, 0 },
	{ "#alice:100000:65536\n", "alice", 1000, 0, 0, 0 },
	/* Malformed, whoever it is for. */
	{ "alice\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:100000\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:100000:65536:1\n", "alice", 1000, -EINVAL, 0, 0 },
	{ ":100000:65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice::65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:100000:\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:x:65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:-1:65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:+1:65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice: 100000:65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:100000:65536 \n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:0x10:65536\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:4294967296:1\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:1:99999999999\n", "alice", 1000, -EINVAL, 0, 0 },
	{ "alice:1:04294967296\n", "alice", 1000, -EINVAL, 0, 0 },
};

START_TEST(test_line)
{
	struct fe_subid_range r = { 7, 7 };
	int got = fe_subid_line(lines[_i].line, lines[_i].name, lines[_i].id, &r);

	ck_assert_msg(got == lines[_i].want, "'%s' for %s/%u: got %d, want %d",
		      lines[_i].line, lines[_i].name ? lines[_i].name : "(null)",
		      lines[_i].id, got, lines[_i].want);
	if (got == 1) {
		ck_assert_uint_eq(r.start, lines[_i].start);
		ck_assert_uint_eq(r.count, lines[_i].count);
	} else {
		/* Untouched unless it is the user's. */
		ck_assert_uint_eq(r.start, 7);
		ck_assert_uint_eq(r.count, 7);
	}
}
END_TEST

/* ---- fe_subid_find ----------------------------------------------------- */

static int find_in(const char *text, const char *name, uint32_t id,
		   struct fe_subid_range *r)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	/* fmemopen() refuses a size of 0. */
	if (!*text)
		f = fopen("/dev/null", "re");
	ck_assert_ptr_nonnull(f);
	ret = fe_subid_find(f, name, id, r);
	fclose(f);
	return ret;
}

START_TEST(test_find_first_of_the_users)
{
	struct fe_subid_range r;

	/* The first of alice's lines, whether by name or by uid. */
	ck_assert_int_eq(find_in("bob:100000:65536\n"
				 "alice:165536:65536\n"
				 "1000:231072:65536\n"
				 "alice:296608:65536\n", "alice", 1000, &r), 0);
	ck_assert_uint_eq(r.start, 165536);
	ck_assert_uint_eq(r.count, 65536);
	ck_assert_int_eq(find_in("bob:100000:65536\n"
				 "1000:231072:10\n"
				 "alice:165536:65536\n", "alice", 1000, &r), 0);
	ck_assert_uint_eq(r.start, 231072);
	ck_assert_uint_eq(r.count, 10);
	/* Malformed lines are skipped, as shadow does; no final newline. */
	ck_assert_int_eq(find_in("alice:oops:1\n"
				 "garbage\n"
				 "\n"
				 "alice:500000:1000", "alice", 1000, &r), 0);
	ck_assert_uint_eq(r.start, 500000);
	ck_assert_uint_eq(r.count, 1000);
}
END_TEST

START_TEST(test_find_none)
{
	struct fe_subid_range r;

	ck_assert_int_eq(find_in("", "alice", 1000, &r), -ENOENT);
	ck_assert_int_eq(find_in("bob:100000:65536\n1001:1:1\n", "alice", 1000,
				 &r), -ENOENT);
	ck_assert_int_eq(find_in("alice:1:2:3\n", "alice", 1000, &r), -ENOENT);
	/* Root is a user like any other here. */
	ck_assert_int_eq(find_in("alice:100000:65536\n", "root", 0, &r),
			 -ENOENT);
}
END_TEST

START_TEST(test_find_long_line)
{
	static char text[10000];
	struct fe_subid_range r;

	/* A line longer than any buffer a parser might pick. */
	memset(text, 'x', 9000);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): text is static, 0s */
	memcpy(text + 9000, ":1:1\nalice:700000:5\n", 20);
	ck_assert_int_eq(find_in(text, "alice", 1000, &r), 0);
	ck_assert_uint_eq(r.start, 700000);
	ck_assert_uint_eq(r.count, 5);
}
END_TEST

START_TEST(test_find_read_error)
{
	struct fe_subid_range r;
	FILE *f = fopen("/", "re");	/* a directory: read(2) says EISDIR */

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fe_subid_find(f, "alice", 1000, &r), -EIO);
	fclose(f);
}
END_TEST

/* ---- fe_subid_check ---------------------------------------------------- */

static const struct {
	uint32_t start, count, own;
	const char *why;	/* NULL: accepted */
} checks[] = {
	{ 100000, 65536, 1000, NULL },
	{ 100000, 1, 1000, NULL },
	/* Next to the own id, not over it. */
	{ 1001, 10, 1000, NULL },
	{ 990, 10, 1000, NULL },
	{ 1000, 10, 1000, "it contains your own uid 1000, which is mapped to 0" },
	{ 991, 10, 1000, "it contains your own uid 1000, which is mapped to 0" },
	{ 995, 10, 1000, "it contains your own uid 1000, which is mapped to 0" },
	{ 0, 65536, 0, "it contains your own uid 0, which is mapped to 0" },
	{ 100000, 0, 1000, "it is empty" },
	/* Outside, it ends at 4294967294 at the latest ... */
	{ 4294967294u, 1, 1000, NULL },
	{ 4294967295u, 1, 1000, "it goes past the largest uid, 4294967294" },
	{ 4294900000u, 67295, 1000, NULL },
	{ 4294900000u, 67296, 1000, "it goes past the largest uid, 4294967294" },
	/* ... and inside too, where it is 1..count. */
	{ 0, 4294967294u, 4294967294u, NULL },
	{ 0, 4294967295u, 4294967294u, "it goes past the largest uid, 4294967294" },
};

START_TEST(test_check)
{
	struct fe_subid_range r = { checks[_i].start, checks[_i].count };
	char why[128] = "";
	int got = fe_subid_check(&r, checks[_i].own, true, "uid", why,
				 sizeof(why));

	if (!checks[_i].why) {
		ck_assert_msg(got == 0, "%u+%u own %u: refused: %s",
			      checks[_i].start, checks[_i].count, checks[_i].own,
			      why);
		return;
	}
	ck_assert_int_eq(got, -EINVAL);
	ck_assert_str_eq(why, checks[_i].why);
}
END_TEST

START_TEST(test_check_kind)
{
	struct fe_subid_range r = { 100, 10 };
	char why[128];

	ck_assert_int_eq(fe_subid_check(&r, 105, true, "gid", why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "it contains your own gid 105, which is mapped to 0");
}
END_TEST

/* --map-root=subids: the caller's own id stays out of the range too. */
START_TEST(test_check_own_unmapped)
{
	struct fe_subid_range r = { 0, 65536 };
	char why[128];

	ck_assert_int_eq(fe_subid_check(&r, 0, false, "uid", why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "it contains your own uid 0, which "
			 "--map-root=subids leaves unmapped");
	r = (struct fe_subid_range){ 1, 65536 };
	ck_assert_int_eq(fe_subid_check(&r, 0, false, "uid", why, sizeof(why)),
			 0);
}
END_TEST

/* ---- the maps ---------------------------------------------------------- */

START_TEST(test_map_text)
{
	struct fe_subid_range r = { 100000, 65536 };
	char buf[64];

	ck_assert_int_eq(fe_idmap_text(1000, &r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 1000 1\n1 100000 65536\n");
	ck_assert_int_eq(fe_idmap_text(1000, NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 1000 1\n");
	/* Root's own id is mapped alone, never as the whole identity. */
	ck_assert_int_eq(fe_idmap_text(0, &r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 0 1\n1 100000 65536\n");
	r = (struct fe_subid_range){ 4294967294u, 1 };
	ck_assert_int_eq(fe_idmap_text(4294967293u, &r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 4294967293 1\n1 4294967294 1\n");
	/* Never a truncated map. */
	ck_assert_int_eq(fe_idmap_text(1000, &r, buf, 10), -ENOSPC);
	ck_assert_int_eq(fe_idmap_text(1000, NULL, buf, 9), -ENOSPC);
	ck_assert_int_eq(fe_idmap_text(1000, NULL, buf, 10), 0);
}
END_TEST

START_TEST(test_map_root_text)
{
	struct fe_subid_range r = { 200000, 65536 };
	char buf[64];

	/* One line: the caller's own id is not in it. */
	ck_assert_int_eq(fe_idmap_root_text(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 200000 65536\n");
	r = (struct fe_subid_range){ 4294967294u, 1 };
	ck_assert_int_eq(fe_idmap_root_text(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0 4294967294 1\n");
	ck_assert_int_eq(fe_idmap_root_text(&r, buf, 15), -ENOSPC);
	ck_assert_int_eq(fe_idmap_root_text(&r, buf, 16), 0);
}
END_TEST

/* ---- a free range for usermod ------------------------------------------ */

static int end_of(const char *text, uint64_t *end)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	ck_assert_ptr_nonnull(f);
	r = fe_subid_end(f, end);
	fclose(f);
	return r;
}

START_TEST(test_subid_end_and_propose)
{
	struct fe_subid_range p;
	uint64_t end = 0;

	/* Every owner's line counts; malformed ones and comments do not. */
	ck_assert_int_eq(end_of("alice:100000:65536\n"
				"# x:900000:1\n"
				"bob:300000:10\n"
				"carol:oops:1\n"
				"1000:165536:65536", &end), 0);
	ck_assert_uint_eq(end, 300010);
	/* A second file only raises it. */
	ck_assert_int_eq(end_of("root:200000:1\n", &end), 0);
	ck_assert_uint_eq(end, 300010);
	ck_assert_int_eq(fe_subid_propose(end, &p), 0);
	ck_assert_uint_eq(p.start, 300010);
	ck_assert_uint_eq(p.count, 65536);
	/* Nothing given yet: shadow's first. */
	ck_assert_int_eq(fe_subid_propose(0, &p), 0);
	ck_assert_uint_eq(p.start, 100000);
	ck_assert_int_eq(fe_subid_propose(99999, &p), 0);
	ck_assert_uint_eq(p.start, 100000);
	/* The last id is 4294967294. */
	ck_assert_int_eq(fe_subid_propose(4294967295ull - 65536, &p), 0);
	ck_assert_uint_eq(p.start + (uint64_t)p.count - 1, 4294967294u);
	ck_assert_int_eq(fe_subid_propose(4294967296ull - 65536, &p), -ENOSPC);
	end = 0;
	ck_assert_int_eq(end_of("x:4294967295:1\n", &end), 0);
	ck_assert_uint_eq(end, 4294967296ull);
	ck_assert_int_eq(fe_subid_propose(end, &p), -ENOSPC);
}
END_TEST

START_TEST(test_map_argv)
{
	static const char *const want[] = {
		"/usr/bin/newuidmap", "4242", "0", "1000", "1", "1", "100000",
		"65536",
	};
	struct fe_subid_range r = { 100000, 65536 };
	struct fe_idmap_argv a;

	memset(&a, 0x55, sizeof(a));
	fe_idmap_argv(&a, "/usr/bin/newuidmap", 4242, 1000, &r);
	for (size_t i = 0; i < N_ELEMENTS(want); i++)
		ck_assert_str_eq(a.argv[i], want[i]);
	ck_assert_ptr_null(a.argv[N_ELEMENTS(want)]);
	/* The largest numbers fit. */
	r = (struct fe_subid_range){ 4294967294u, 4294967294u };
	fe_idmap_argv(&a, "/x/newgidmap", 2147483647, 4294967293u, &r);
	ck_assert_str_eq(a.argv[1], "2147483647");
	ck_assert_str_eq(a.argv[3], "4294967293");
	ck_assert_str_eq(a.argv[6], "4294967294");
	ck_assert_str_eq(a.argv[7], "4294967294");
}
END_TEST

/* ---- fe_one_line ------------------------------------------------------- */

static const struct {
	const char *in;
	size_t len;
	const char *want;
} outputs[] = {
	{ "newuidmap: uid range [1-65537) -> [100000-165536) not allowed\n", 128,
	  "newuidmap: uid range [1-65537) -> [100000-165536) not allowed" },
	{ "first\nsecond\n", 64, "first; second" },
	{ "first\r\n\n\nsecond", 64, "first; second" },
	{ "\n\n  padded \t\n", 64, "padded" },
	{ "", 64, "" },
	{ "\n", 64, "" },
	{ "tab\there", 64, "tab here" },
	{ "bell\abyte\xff", 64, "bell?byte?" },
	{ "0123456789abcdef", 10, "012345..." },
	{ "0123456789", 11, "0123456789" },
	{ "0123456789", 10, "012345..." },
	{ "0123456789", 4, "012" },
	{ "0123456789", 1, "" },
};

START_TEST(test_one_line)
{
	char out[128];

	memset(out, 'Z', sizeof(out));
	fe_one_line(outputs[_i].in, strlen(outputs[_i].in), out,
		    outputs[_i].len);
	ck_assert_str_eq(out, outputs[_i].want);
	ck_assert_uint_lt(strlen(out), outputs[_i].len);
}
END_TEST

START_TEST(test_one_line_counts_bytes)
{
	char out[32];

	/* @n, not the NUL, ends the input. */
	fe_one_line("abc\ndef", 5, out, sizeof(out));
	ck_assert_str_eq(out, "abc; d");
	memset(out, 'Z', sizeof(out));
	fe_one_line("abc", 3, out, 0);
	ck_assert_int_eq(out[0], 'Z');
}
END_TEST

Suite *make_subids_suite(void)
{
	Suite *s = suite_create("subids");
	TCase *tc = tcase_create("subids");

	tcase_add_loop_test(tc, test_line, 0, N_ELEMENTS(lines));
	tcase_add_test(tc, test_find_first_of_the_users);
	tcase_add_test(tc, test_find_none);
	tcase_add_test(tc, test_find_long_line);
	tcase_add_test(tc, test_find_read_error);
	tcase_add_loop_test(tc, test_check, 0, N_ELEMENTS(checks));
	tcase_add_test(tc, test_check_kind);
	tcase_add_test(tc, test_check_own_unmapped);
	tcase_add_test(tc, test_map_text);
	tcase_add_test(tc, test_map_root_text);
	tcase_add_test(tc, test_subid_end_and_propose);
	tcase_add_test(tc, test_map_argv);
	tcase_add_loop_test(tc, test_one_line, 0, N_ELEMENTS(outputs));
	tcase_add_test(tc, test_one_line_counts_bytes);
	suite_add_tcase(s, tc);
	return s;
}
