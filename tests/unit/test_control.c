// SPDX-License-Identifier: MIT
/*
 * Unit tests of the --control-fd protocol (control.c): the request parser
 * with its defaults and refusals, the tag, the answers, and the line buffer
 * that cuts what the control fd delivers into lines.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "model/fwd.h"
#include "suites.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define GUEST "10.0.2.100"

static void assert_one_line(const char *s)
{
	for (const char *c = s; *c; c++)
		ck_assert_msg(*c >= 0x20 && *c < 0x7f,
			      "byte 0x%02x in '%s'", (unsigned char)*c, s);
}

static int parse(const char *line, struct fe_control_req *req, char *err)
{
	return fe_control_parse(line, strlen(line), GUEST, req, err, 512);
}

/* An answer is one line: no newline but the last, and valid JSON. */
static json_t *check_answer(const char *a)
{
	json_error_t je;
	size_t n;
	json_t *v;

	ck_assert_ptr_nonnull(a);
	n = strlen(a);
	ck_assert_uint_gt(n, 1);
	ck_assert_int_eq(a[n - 1], '\n');
	ck_assert_ptr_eq(strchr(a, '\n'), a + n - 1);
	/* ASCII without control characters (JSON leaves DEL as it is). */
	for (size_t i = 0; i < n - 1; i++)
		ck_assert_msg(a[i] >= 0x20 && a[i] <= 0x7f, "byte 0x%02x in %s",
			      (unsigned char)a[i], a);
	v = json_loadb(a, n, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(v != NULL, "%s: %s", a, je.text);
	ck_assert(json_is_object(v));
	return v;
}

/* ---- requests ---------------------------------------------------------- */

static const struct {
	const char *line;
	int proto;
	const char *host_addr;
	int host_port;
	const char *guest_addr;
	int guest_port;
} good_adds[] = {
	{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
	  "\"host_addr\":\"127.0.0.1\",\"host_port\":8080,"
	  "\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}}",
	  IPPROTO_TCP, "127.0.0.1", 8080, "10.0.2.100", 80 },
	/* Every default. */
	{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"host_port\":8080}}",
	  IPPROTO_TCP, "127.0.0.1", 8080, GUEST, 8080 },
	{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\","
	  "\"host_port\":5353,\"guest_port\":53}}",
	  IPPROTO_UDP, "127.0.0.1", 5353, GUEST, 53 },
	{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"host_addr\":"
	  "\"0.0.0.0\",\"host_port\":5900}}",
	  IPPROTO_TCP, "0.0.0.0", 5900, GUEST, 5900 },
	{ "{\"execute\":\"add_hostfwd\",\"arguments\":{\"host_port\":1,"
	  "\"guest_addr\":\"10.0.2.15\",\"guest_port\":65535}}",
	  IPPROTO_TCP, "127.0.0.1", 1, "10.0.2.15", 65535 },
	/* Members in any order, white space, a CR before the newline. */
	{ " {\"arguments\" : {\"guest_port\":22, \"host_port\":2222},\t"
	  "\"tag\":\"t\", \"execute\":\"add_hostfwd\"} \r",
	  IPPROTO_TCP, "127.0.0.1", 2222, GUEST, 22 },
};

START_TEST(test_parse_add)
{
	struct fe_control_req req;
	char err[512] = "x";

	ck_assert_msg(parse(good_adds[_i].line, &req, err) == 0, "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(req.op, FE_CONTROL_ADD);
	ck_assert_int_eq(req.fwd.id, 0);
	ck_assert_int_eq(req.fwd.proto, good_adds[_i].proto);
	ck_assert_str_eq(req.fwd.host_addr, good_adds[_i].host_addr);
	ck_assert_int_eq(req.fwd.host_port, good_adds[_i].host_port);
	ck_assert_str_eq(req.fwd.guest_addr, good_adds[_i].guest_addr);
	ck_assert_int_eq(req.fwd.guest_port, good_adds[_i].guest_port);
	fe_control_req_release(&req);
	ck_assert_ptr_null(req.tag);
	fe_control_req_release(&req);	/* twice is fine */
}
END_TEST

/* The caller's guest address is the default. */
START_TEST(test_parse_add_guest)
{
	static const char line[] =
		"{\"execute\":\"add_hostfwd\",\"arguments\":{\"host_port\":80}}";
	struct fe_control_req req;
	char err[512];

	ck_assert_int_eq(fe_control_parse(line, strlen(line), "10.9.0.100",
					  &req, err, sizeof(err)), 0);
	ck_assert_str_eq(req.fwd.guest_addr, "10.9.0.100");
	fe_control_req_release(&req);
}
END_TEST

static const struct {
	const char *line;
	enum fe_control_op op;
	int id;
} good_others[] = {
	{ "{\"execute\":\"list_hostfwd\"}", FE_CONTROL_LIST, 0 },
	{ "{\"execute\":\"list_hostfwd\",\"arguments\":{}}", FE_CONTROL_LIST, 0 },
	{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}",
	  FE_CONTROL_REMOVE, 1 },
	{ "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":2147483647}}",
	  FE_CONTROL_REMOVE, INT_MAX },
	{ "{\"execute\":\"stop\"}", FE_CONTROL_STOP, 0 },
	{ "{\"execute\":\"stop\",\"arguments\":{}}", FE_CONTROL_STOP, 0 },
	{ "{\"tag\":[1,2],\"execute\":\"stop\"}\t", FE_CONTROL_STOP, 0 },
};

START_TEST(test_parse_others)
{
	struct fe_control_req req;
	char err[512] = "x";

	ck_assert_msg(parse(good_others[_i].line, &req, err) == 0, "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(req.op, good_others[_i].op);
	ck_assert_int_eq(req.id, good_others[_i].id);
	fe_control_req_release(&req);
}
END_TEST

/* Any JSON value is a tag, kept as it was. */
static const char *const tags[] = {
	"1", "-7", "1.5", "\"abc\"", "\"\"", "null", "true", "false", "[]",
	"{}", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "\"\\u00e9\\n\\t\"",
	"123456789012345678", "\"\x7f\"",
};

START_TEST(test_parse_tag)
{
	struct fe_control_req req;
	char line[256], err[512];
	json_error_t je;
	json_t *want;

	want = json_loads(tags[_i], JSON_DECODE_ANY, &je);
	ck_assert_ptr_nonnull(want);
	snprintf(line, sizeof(line), "{\"execute\":\"stop\",\"tag\":%s}",
		 tags[_i]);
	ck_assert_int_eq(parse(line, &req, err), 0);
	ck_assert_ptr_nonnull(req.tag);
	ck_assert(json_equal(req.tag, want));
	fe_control_req_release(&req);

	/* A refused request keeps its tag for the error answer. */
	snprintf(line, sizeof(line), "{\"tag\":%s,\"execute\":\"reboot\"}",
		 tags[_i]);
	ck_assert_int_eq(parse(line, &req, err), -EINVAL);
	ck_assert_int_eq(req.op, FE_CONTROL_NONE);
	ck_assert_ptr_nonnull(req.tag);
	ck_assert(json_equal(req.tag, want));
	fe_control_req_release(&req);

	/* No tag: none. */
	ck_assert_int_eq(parse("{\"execute\":\"stop\"}", &req, err), 0);
	ck_assert_ptr_null(req.tag);
	json_decref(want);
}
END_TEST

#define ADD(args) "{\"execute\":\"add_hostfwd\",\"arguments\":{" args "}}"
#define REMOVE(args) "{\"execute\":\"remove_hostfwd\",\"arguments\":{" args "}}"

static const struct {
	const char *line;
	int ret;
	const char *why;
} bad_lines[] = {
	/* Not a request. */
	{ "{", -EINVAL, "malformed JSON at byte 1: " },
	{ "{\"execute\":\"stop\"", -EINVAL, "malformed JSON" },
	{ "{\"execute\":\"stop\"} x", -EINVAL, "malformed JSON" },
	{ "{\"execute\":\"stop\"}{}", -EINVAL, "malformed JSON" },
	{ "{\"execute\":\"stop\",}", -EINVAL, "malformed JSON" },
	{ "{'execute':'stop'}", -EINVAL, "malformed JSON" },
	{ "\"stop\"", -EINVAL, "malformed JSON" },
	{ "42", -EINVAL, "malformed JSON" },
	{ "null", -EINVAL, "malformed JSON" },
	{ "stop", -EINVAL, "malformed JSON" },
	{ "{\"execute\":\"st\xffop\"}", -EINVAL, "malformed JSON" },
	{ "{\"execute\":\"stop\\u0000\"}", -EINVAL, "malformed JSON" },
	{ "[]", -EINVAL, "a request must be a JSON object such as "
			 "{\"execute\":\"list_hostfwd\"}" },
	{ "[{\"execute\":\"stop\"}]", -EINVAL, "a request must be a JSON object" },
	{ "{\"execute\":\"stop\",\"execute\":\"stop\"}", -EINVAL,
	  "malformed JSON" },
	/* The request object. */
	{ "{}", -EINVAL, "request: \"execute\" is required" },
	{ "{\"tag\":1}", -EINVAL, "request: \"execute\" is required" },
	{ "{\"execute\":1}", -EINVAL, "request: \"execute\" must be a string" },
	{ "{\"execute\":null}", -EINVAL, "\"execute\" must be a string" },
	{ "{\"execute\":[\"stop\"]}", -EINVAL, "\"execute\" must be a string" },
	{ "{\"execute\":\"reboot\"}", -EINVAL,
	  "unknown request \"reboot\"; known: add_hostfwd, list_hostfwd, "
	  "remove_hostfwd, stop" },
	{ "{\"execute\":\"STOP\"}", -EINVAL, "unknown request \"STOP\"" },
	{ "{\"execute\":\"\"}", -EINVAL, "unknown request \"\"" },
	{ "{\"execute\":\"a\\nb\\u001b\"}", -EINVAL, "unknown request \"a?b?\"" },
	{ "{\"execute\":\"stop\",\"extra\":1}", -EINVAL,
	  "request: unknown member \"extra\"" },
	{ "{\"execute\":\"stop\",\"Tag\":1}", -EINVAL,
	  "request: unknown member \"Tag\"" },
	{ "{\"execute\":\"stop\",\"\\u00e9\":1}", -EINVAL,
	  "request: unknown member \"??\"" },
	{ "{\"execute\":\"stop\",\"arguments\":[]}", -EINVAL,
	  "request: \"arguments\" must be an object" },
	{ "{\"execute\":\"stop\",\"arguments\":null}", -EINVAL,
	  "\"arguments\" must be an object" },
	{ "{\"execute\":\"stop\",\"arguments\":{\"now\":true}}", -EINVAL,
	  "stop arguments: unknown member \"now\"" },
	{ "{\"execute\":\"list_hostfwd\",\"arguments\":{\"id\":1}}", -EINVAL,
	  "list_hostfwd arguments: unknown member \"id\"" },
	/* add_hostfwd. */
	{ "{\"execute\":\"add_hostfwd\"}", -EINVAL,
	  "add_hostfwd: \"arguments\" with at least \"host_port\" are "
	  "required" },
	{ ADD(""), -EINVAL, "add_hostfwd: \"host_port\" is required" },
	{ ADD("\"guest_port\":80"), -EINVAL, "\"host_port\" is required" },
	{ ADD("\"host_port\":\"8080\""), -EINVAL,
	  "add_hostfwd: \"host_port\" must be an integer" },
	{ ADD("\"host_port\":8080.0"), -EINVAL, "\"host_port\" must be an "
						"integer" },
	{ ADD("\"host_port\":null"), -EINVAL, "\"host_port\" must be an "
					      "integer" },
	{ ADD("\"host_port\":true"), -EINVAL, "\"host_port\" must be an "
					      "integer" },
	{ ADD("\"host_port\":0"), -EINVAL,
	  "add_hostfwd: host port 0 is out of range (1..65535)" },
	{ ADD("\"host_port\":65536"), -EINVAL,
	  "add_hostfwd: host port 65536 is out of range (1..65535)" },
	{ ADD("\"host_port\":-1"), -EINVAL, "host port -1 is out of range" },
	{ ADD("\"host_port\":65616"), -EINVAL, "host port 65616 is out of "
					       "range" },
	{ ADD("\"host_port\":9223372036854775807"), -EINVAL,
	  "host port 9223372036854775807 is out of range" },
	{ ADD("\"host_port\":99999999999999999999"), -EINVAL,
	  "malformed JSON" },
	{ ADD("\"host_port\":80,\"guest_port\":0"), -EINVAL,
	  "add_hostfwd: guest port 0 is out of range (1..65535)" },
	{ ADD("\"host_port\":80,\"guest_port\":\"80\""), -EINVAL,
	  "add_hostfwd: \"guest_port\" must be an integer" },
	{ ADD("\"host_port\":80,\"proto\":\"sctp\""), -EINVAL,
	  "add_hostfwd: \"proto\" must be \"tcp\" or \"udp\"" },
	{ ADD("\"host_port\":80,\"proto\":\"TCP\""), -EINVAL,
	  "\"proto\" must be \"tcp\" or \"udp\"" },
	{ ADD("\"host_port\":80,\"proto\":6"), -EINVAL,
	  "add_hostfwd: \"proto\" must be a string" },
	{ ADD("\"host_port\":80,\"proto\":null"), -EINVAL,
	  "\"proto\" must be a string" },
	{ ADD("\"host_port\":80,\"host_addr\":\"localhost\""), -EINVAL,
	  "add_hostfwd: host address 'localhost' is not an IPv4 address such "
	  "as 127.0.0.1" },
	{ ADD("\"host_port\":80,\"host_addr\":\"\""), -EINVAL,
	  "host address '' is not an IPv4 address" },
	{ ADD("\"host_port\":80,\"host_addr\":\"1.2.3\""), -EINVAL,
	  "host address '1.2.3' is not an IPv4 address" },
	{ ADD("\"host_port\":80,\"host_addr\":\"::1\""), -EINVAL,
	  "host address '::1' is not an IPv4 address" },
	{ ADD("\"host_port\":80,\"host_addr\":\"1.2.3.4\\n\""), -EINVAL,
	  "host address '1.2.3.4\\x0a' is not an IPv4 address" },
	{ ADD("\"host_port\":80,\"host_addr\":2130706433"), -EINVAL,
	  "add_hostfwd: \"host_addr\" must be a string" },
	{ ADD("\"host_port\":80,\"guest_addr\":\"10.0.2\""), -EINVAL,
	  "add_hostfwd: guest address '10.0.2' is not an IPv4 address such "
	  "as 10.0.2.100" },
	{ ADD("\"host_port\":80,\"guest_addr\":[]"), -EINVAL,
	  "add_hostfwd: \"guest_addr\" must be a string" },
	{ ADD("\"host_port\":80,\"hostport\":81"), -EINVAL,
	  "add_hostfwd arguments: unknown member \"hostport\"" },
	{ ADD("\"host_port\":80,\"id\":1"), -EINVAL,
	  "add_hostfwd arguments: unknown member \"id\"" },
	{ ADD("\"host_port\":80,\"host_port\":81"), -EINVAL, "malformed JSON" },
	/* remove_hostfwd. */
	{ "{\"execute\":\"remove_hostfwd\"}", -EINVAL,
	  "remove_hostfwd: \"arguments\" with \"id\" are required" },
	{ REMOVE(""), -EINVAL, "remove_hostfwd: \"arguments\" with \"id\" are "
			       "required" },
	{ REMOVE("\"id\":\"1\""), -EINVAL,
	  "remove_hostfwd: \"id\" must be an integer" },
	{ REMOVE("\"id\":1.0"), -EINVAL, "\"id\" must be an integer" },
	{ REMOVE("\"id\":0"), -EINVAL,
	  "remove_hostfwd: id 0 is out of range (1..2147483647)" },
	{ REMOVE("\"id\":-3"), -EINVAL, "id -3 is out of range" },
	{ REMOVE("\"id\":2147483648"), -EINVAL,
	  "id 2147483648 is out of range (1..2147483647)" },
	{ REMOVE("\"id\":1,\"force\":true"), -EINVAL,
	  "remove_hostfwd arguments: unknown member \"force\"" },
};

START_TEST(test_parse_bad)
{
	struct fe_control_req req;
	char err[512] = "", *a;
	json_t *v;

	ck_assert_int_eq(parse(bad_lines[_i].line, &req, err),
			 bad_lines[_i].ret);
	ck_assert_int_eq(req.op, FE_CONTROL_NONE);
	assert_one_line(err);
	ck_assert_msg(strstr(err, bad_lines[_i].why) != NULL,
		      "'%s' does not contain '%s'", err, bad_lines[_i].why);
	/* Every reason makes a valid error answer. */
	a = fe_control_error(req.tag, err);
	v = check_answer(a);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(v, "error"), "desc")), err);
	json_decref(v);
	free(a);
	fe_control_req_release(&req);
}
END_TEST

/* Raw bytes: a NUL inside, a line over the limit, a blank line. */
START_TEST(test_parse_bytes)
{
	static const char nul[] = "{\"execute\":\"stop\"}\0";
	char *big = malloc(FE_CONTROL_LINE_MAX + 1), err[512];
	struct fe_control_req req;
	size_t n;

	ck_assert_int_eq(fe_control_parse(nul, sizeof(nul) - 1, GUEST, &req,
					  err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON"));
	/* Only @len bytes are read. */
	ck_assert_int_eq(fe_control_parse(nul, sizeof(nul) - 2, GUEST, &req,
					  err, sizeof(err)), 0);
	ck_assert_int_eq(req.op, FE_CONTROL_STOP);
	ck_assert_int_eq(fe_control_parse(nul, sizeof(nul) - 3, GUEST, &req,
					  err, sizeof(err)), -EINVAL);

	/* FE_CONTROL_LINE_MAX bytes are fine; one more is not. */
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', FE_CONTROL_LINE_MAX + 1);
	n = strlen("{\"execute\":\"list_hostfwd\"}");
	memcpy(big, "{\"execute\":\"list_hostfwd\"}", n);
	ck_assert_int_eq(fe_control_parse(big, FE_CONTROL_LINE_MAX, GUEST, &req,
					  err, sizeof(err)), 0);
	ck_assert_int_eq(req.op, FE_CONTROL_LIST);
	ck_assert_int_eq(fe_control_parse(big, FE_CONTROL_LINE_MAX + 1, GUEST,
					  &req, err, sizeof(err)), -EMSGSIZE);
	ck_assert_int_eq(req.op, FE_CONTROL_NONE);
	ck_assert_str_eq(err, "request line longer than 4096 bytes");
	free(big);

	ck_assert_int_eq(fe_control_parse("", 0, GUEST, &req, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "blank line");
	ck_assert_int_eq(parse(" \t\r ", &req, err), -EINVAL);
	ck_assert_str_eq(err, "blank line");
	ck_assert_int_eq(req.op, FE_CONTROL_NONE);
	ck_assert_ptr_null(req.tag);
	ck_assert_int_eq(parse(" \n", &req, err), -EINVAL);
}
END_TEST

/* ---- answers ----------------------------------------------------------- */

static struct fe_fwd fwd(int id, int proto, const char *ha, int hp,
			 const char *ga, int gp)
{
	struct fe_fwd f;
	char err[256];

	ck_assert_int_eq(fe_fwd_set(&f, proto, ha, hp, ga, gp, err,
				    sizeof(err)), 0);
	f.id = id;
	return f;
}

START_TEST(test_answers)
{
	struct fe_fwd v[2] = {
		fwd(1, IPPROTO_TCP, "127.0.0.1", 8080, "10.0.2.100", 80),
		fwd(2, IPPROTO_UDP, "0.0.0.0", 5353, "10.0.2.100", 53),
	};
	json_t *tag = json_integer(7);
	char *a;

	a = fe_control_ok(NULL, NULL);
	ck_assert_str_eq(a, "{\"return\":{}}\n");
	free(a);
	a = fe_control_ok(tag, NULL);
	ck_assert_str_eq(a, "{\"return\":{},\"tag\":7}\n");
	free(a);
	a = fe_control_ok(tag, fe_control_added(&v[1]));
	ck_assert_str_eq(a, "{\"return\":{\"id\":2},\"tag\":7}\n");
	free(a);
	a = fe_control_ok(NULL, fe_control_entries(v, 2));
	ck_assert_str_eq(a, "{\"return\":{\"entries\":["
			 "{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\","
			 "\"host_port\":8080,\"guest_addr\":\"10.0.2.100\","
			 "\"guest_port\":80},"
			 "{\"id\":2,\"proto\":\"udp\",\"host_addr\":\"0.0.0.0\","
			 "\"host_port\":5353,\"guest_addr\":\"10.0.2.100\","
			 "\"guest_port\":53}]}}\n");
	free(a);
	a = fe_control_ok(tag, fe_control_entries(NULL, 0));
	ck_assert_str_eq(a, "{\"return\":{\"entries\":[]},\"tag\":7}\n");
	free(a);
	a = fe_control_error(NULL, "add_hostfwd: host port 0 is out of range");
	ck_assert_str_eq(a, "{\"error\":{\"desc\":\"add_hostfwd: host port 0 "
			 "is out of range\"}}\n");
	free(a);
	a = fe_control_error(tag, "");
	ck_assert_str_eq(a, "{\"error\":{\"desc\":\"\"},\"tag\":7}\n");
	free(a);
	/* The tag is copied, not taken. */
	ck_assert_int_eq(tag->refcount, 1);
	json_decref(tag);
}
END_TEST

/* Whatever the tag and the reason hold, the answer is one ASCII line. */
START_TEST(test_answers_one_line)
{
	json_error_t je;
	json_t *tag, *v;
	char *a;

	tag = json_loads("{\"s\":\"line\\nbreak \\u00e9 \\u2028\",\"n\":[1,"
			 "{\"x\":null}],\"r\":0.5}", 0, &je);
	ck_assert_ptr_nonnull(tag);
	a = fe_control_error(tag, "bad\nthing \x1b[1m \xc3\xa9");
	v = check_answer(a);
	ck_assert_str_eq(a, "{\"error\":{\"desc\":\"bad?thing ?[1m ??\"},"
			 "\"tag\":{\"s\":\"line\\nbreak \\u00E9 \\u2028\","
			 "\"n\":[1,{\"x\":null}],\"r\":0.5}}\n");
	ck_assert(json_equal(json_object_get(v, "tag"), tag));
	json_decref(v);
	free(a);
	a = fe_control_ok(tag, json_string("\t"));
	v = check_answer(a);
	ck_assert(json_equal(json_object_get(v, "tag"), tag));
	ck_assert_str_eq(json_string_value(json_object_get(v, "return")), "\t");
	json_decref(v);
	free(a);
	json_decref(tag);
}
END_TEST

/* Request in, answer out: the tag comes back equal. */
START_TEST(test_answers_echo_tag)
{
	struct fe_control_req req;
	char line[256], err[512], *a;
	json_error_t je;
	json_t *v, *want;

	snprintf(line, sizeof(line), "{\"execute\":\"list_hostfwd\",\"tag\":%s}",
		 tags[_i]);
	ck_assert_int_eq(parse(line, &req, err), 0);
	a = fe_control_ok(req.tag, fe_control_entries(NULL, 0));
	v = check_answer(a);
	want = json_loads(tags[_i], JSON_DECODE_ANY, &je);
	ck_assert(json_equal(json_object_get(v, "tag"), want));
	json_decref(want);
	json_decref(v);
	free(a);
	fe_control_req_release(&req);
}
END_TEST

START_TEST(test_answers_bad_fwd)
{
	struct fe_fwd v[2] = {
		fwd(1, IPPROTO_TCP, "127.0.0.1", 8080, "10.0.2.100", 80),
		fwd(2, IPPROTO_UDP, "0.0.0.0", 5353, "10.0.2.100", 53),
	};
	json_t *e;

	v[1].proto = 0;
	ck_assert_ptr_null(fe_control_entry(&v[1]));
	ck_assert_ptr_null(fe_control_entries(v, 2));
	e = fe_control_entry(&v[0]);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "id")), 1);
	json_decref(e);
}
END_TEST

/* ---- the line buffer --------------------------------------------------- */

/* Every line @lb has now, joined with '|', oversized ones as "<!>". */
static void drain(struct fe_linebuf *lb, char *out, size_t outlen)
{
	const char *line;
	size_t len;
	int r;

	while ((r = fe_linebuf_next(lb, &line, &len)) != 0) {
		size_t o = strlen(out);

		if (r < 0) {
			ck_assert_int_eq(r, -EMSGSIZE);
			ck_assert_uint_lt(o + 5, outlen);
			strcat(out, "<!>|");
			continue;
		}
		ck_assert_int_eq(r, 1);
		ck_assert_uint_lt(o + len + 2, outlen);
		ck_assert_uint_le(len, FE_CONTROL_LINE_MAX);
		ck_assert_ptr_null(memchr(line, '\n', len));
		ck_assert_int_eq(line[len], '\0');
		memcpy(out + o, line, len);
		out[o + len] = '|';
		out[o + len + 1] = '\0';
	}
}

START_TEST(test_linebuf_lines)
{
	struct fe_linebuf lb;
	char out[256] = "";

	fe_linebuf_init(&lb);
	ck_assert_uint_eq(fe_linebuf_feed(&lb, "one\n", 4), 4);
	drain(&lb, out, sizeof(out));
	ck_assert_str_eq(out, "one|");
	/* Several lines in one read, and the start of another. */
	ck_assert_uint_eq(fe_linebuf_feed(&lb, "two\nthree\r\n\nfo", 14), 14);
	drain(&lb, out, sizeof(out));
	ck_assert_str_eq(out, "one|two|three\r||");
	ck_assert_uint_eq(fe_linebuf_feed(&lb, "ur\n", 3), 3);
	drain(&lb, out, sizeof(out));
	ck_assert_str_eq(out, "one|two|three\r||four|");
}
END_TEST

/* Byte by byte gives the same lines as all at once. */
START_TEST(test_linebuf_split)
{
	static const char text[] = "{\"execute\":\"stop\"}\nab\n\nc\nlast";
	struct fe_linebuf lb;
	char out[256] = "";

	fe_linebuf_init(&lb);
	for (size_t i = 0; i < sizeof(text) - 1; i++) {
		ck_assert_uint_eq(fe_linebuf_feed(&lb, text + i, 1), 1);
		drain(&lb, out, sizeof(out));
	}
	ck_assert_str_eq(out, "{\"execute\":\"stop\"}|ab||c|");
	/* The last line has no newline: it is one only at end of file. */
	fe_linebuf_set_eof(&lb);
	drain(&lb, out, sizeof(out));
	ck_assert_str_eq(out, "{\"execute\":\"stop\"}|ab||c|last|");
	drain(&lb, out, sizeof(out));
	ck_assert_str_eq(out, "{\"execute\":\"stop\"}|ab||c|last|");
}
END_TEST

/* NUL bytes stay in the line; the length says where it ends. */
START_TEST(test_linebuf_nul)
{
	struct fe_linebuf lb;
	const char *line;
	size_t len;

	fe_linebuf_init(&lb);
	ck_assert_uint_eq(fe_linebuf_feed(&lb, "a\0b\n", 4), 4);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(line, "a\0b", 4);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
}
END_TEST

/* The longest line fits; one byte more is an error, reported once. */
START_TEST(test_linebuf_max)
{
	char *big = malloc(FE_CONTROL_LINE_MAX + 2);
	struct fe_linebuf lb;
	const char *line;
	size_t len;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', FE_CONTROL_LINE_MAX);
	big[FE_CONTROL_LINE_MAX] = '\n';
	fe_linebuf_init(&lb);
	ck_assert_uint_eq(fe_linebuf_feed(&lb, big, FE_CONTROL_LINE_MAX + 1),
			  FE_CONTROL_LINE_MAX + 1);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, FE_CONTROL_LINE_MAX);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);

	/* One byte more: no room for the newline, the line is too long. */
	big[FE_CONTROL_LINE_MAX] = 'x';
	big[FE_CONTROL_LINE_MAX + 1] = '\n';
	ck_assert_uint_eq(fe_linebuf_feed(&lb, big, FE_CONTROL_LINE_MAX + 2),
			  FE_CONTROL_LINE_MAX + 1);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
	/* The rest of it (its newline) is dropped, then all is as usual. */
	ck_assert_uint_eq(fe_linebuf_feed(&lb, "\nok\n", 4), 4);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, 2);
	ck_assert_str_eq(line, "ok");
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);

	/* At end of file too: a last line of the longest length is a line. */
	fe_linebuf_init(&lb);
	ck_assert_uint_eq(fe_linebuf_feed(&lb, big, FE_CONTROL_LINE_MAX),
			  FE_CONTROL_LINE_MAX);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
	fe_linebuf_set_eof(&lb);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, FE_CONTROL_LINE_MAX);
	ck_assert_int_eq(line[len], '\0');
	free(big);
}
END_TEST

/* Feed everything, taking the lines out whenever @lb is full. */
static void feed_all(struct fe_linebuf *lb, const char *data, size_t len,
		     char *out, size_t outlen)
{
	while (len > 0) {
		size_t n = fe_linebuf_feed(lb, data, len);

		ck_assert_uint_gt(n, 0);
		data += n;
		len -= n;
		drain(lb, out, outlen);
	}
}

/* A long line over many reads: one error, then the next lines. */
START_TEST(test_linebuf_oversized_recovery)
{
	char chunk[1000], out[256] = "";
	struct fe_linebuf lb;

	memset(chunk, 'y', sizeof(chunk));
	fe_linebuf_init(&lb);
	feed_all(&lb, "before\n", 7, out, sizeof(out));
	for (int i = 0; i < 10; i++)
		feed_all(&lb, chunk, sizeof(chunk), out, sizeof(out));
	feed_all(&lb, "yyy\nafter\nand", 13, out, sizeof(out));
	ck_assert_str_eq(out, "before|<!>|after|");
	/* End of file in the middle of an oversized line: nothing more. */
	for (int i = 0; i < 5; i++)
		feed_all(&lb, chunk, sizeof(chunk), out, sizeof(out));
	fe_linebuf_set_eof(&lb);
	drain(&lb, out, sizeof(out));
	ck_assert_str_eq(out, "before|<!>|after|<!>|");
}
END_TEST

START_TEST(test_linebuf_eof)
{
	struct fe_linebuf lb;
	const char *line;
	size_t len;

	fe_linebuf_init(&lb);
	fe_linebuf_set_eof(&lb);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);

	fe_linebuf_init(&lb);
	ck_assert_uint_eq(fe_linebuf_feed(&lb, "a\nb", 3), 3);
	fe_linebuf_set_eof(&lb);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_str_eq(line, "a");
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_str_eq(line, "b");
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
}
END_TEST

/* From a real non-blocking pipe. */
START_TEST(test_linebuf_read)
{
	struct fe_linebuf lb;
	const char *line;
	const size_t nbig = 2 * (size_t)FE_CONTROL_LINE_MAX;
	int p[2], r, count;
	char *big;
	size_t len;

	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	fe_linebuf_init(&lb);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), -EAGAIN);
	ck_assert_int_eq(write(p[1], "{\"execute\":\"stop\"}\npart", 23), 23);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), 23);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_str_eq(line, "{\"execute\":\"stop\"}");
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), -EAGAIN);
	ck_assert_int_eq(write(p[1], "ial", 3), 3);
	close(p[1]);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), 3);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
	ck_assert(!lb.eof);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), 0);
	ck_assert(lb.eof);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_str_eq(line, "partial");
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 0);
	close(p[0]);

	/* Full, because nobody took the lines out: said so, nothing lost. */
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	big = malloc(nbig);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', nbig);
	ck_assert_uint_eq(write(p[1], big, nbig), nbig);
	fe_linebuf_init(&lb);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), FE_CONTROL_LINE_MAX + 1);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), -ENOBUFS);
	ck_assert_int_eq(fe_linebuf_next(&lb, &line, &len), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(fe_linebuf_read(&lb, p[0]), 1);
	/* Every newline is an empty line: 2 * FE_CONTROL_LINE_MAX of them. */
	count = 1;
	for (;;) {
		while ((r = fe_linebuf_next(&lb, &line, &len)) == 1) {
			ck_assert_uint_eq(len, 0);
			count++;
		}
		ck_assert_int_eq(r, 0);
		if (fe_linebuf_read(&lb, p[0]) == -EAGAIN)
			break;
	}
	ck_assert_uint_eq(count, nbig);
	ck_assert_int_eq(fe_linebuf_read(&lb, -1), -EBADF);
	free(big);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *make_control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_add, 0, N_ELEMENTS(good_adds));
	tcase_add_test(tc, test_parse_add_guest);
	tcase_add_loop_test(tc, test_parse_others, 0, N_ELEMENTS(good_others));
	tcase_add_loop_test(tc, test_parse_tag, 0, N_ELEMENTS(tags));
	tcase_add_loop_test(tc, test_parse_bad, 0, N_ELEMENTS(bad_lines));
	tcase_add_test(tc, test_parse_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_answers_one_line);
	tcase_add_loop_test(tc, test_answers_echo_tag, 0, N_ELEMENTS(tags));
	tcase_add_test(tc, test_answers_bad_fwd);
	suite_add_tcase(s, tc);

	tc = tcase_create("linebuf");
	tcase_add_test(tc, test_linebuf_lines);
	tcase_add_test(tc, test_linebuf_split);
	tcase_add_test(tc, test_linebuf_nul);
	tcase_add_test(tc, test_linebuf_max);
	tcase_add_test(tc, test_linebuf_oversized_recovery);
	tcase_add_test(tc, test_linebuf_eof);
	tcase_add_test(tc, test_linebuf_read);
	suite_add_tcase(s, tc);

	return s;
}
