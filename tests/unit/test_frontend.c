// SPDX-License-Identifier: MIT
/*
 * Unit tests of the front end's pure parts: options, paths.  The topology
 * has its own, test_topology.c.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "common/runtime.h"
#include "common/diagnose.h"
#include "model/opts.h"
#include "frontend/helper_client.h"
#include "hckns/keeper.h"
#include "suites.h"

/* ---- options ---------------------------------------------------------- */

static int parse(struct fe_opts *o, char *err, const char *env, ...)
{
	static char *argv[32];
	va_list ap;
	int argc = 0;
	char *a;

	argv[argc++] = "hckns";
	va_start(ap, env);
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return fe_parse_opts(argc, argv, env, o, err, 256);
}

/* A single-valued option twice: the same value is fine, two are an error. */
START_TEST(test_opts_given_twice)
{
	static const char *const twice[][3] = {
		{ "--mtu", "1500", "9000" },
		{ "--status-fd", "3", "4" },
		{ "--control-fd", "3", "4,5" },
		{ "--name", "a", "b" },
		{ "--uplink", "br_world", "br_ctrl" },
		{ "--cidr", "10.0.2.0/24", "10.9.0.0/24" },
		{ "--dns", "10.0.2.3", "10.0.2.4" },
		{ "--txqueuelen", "10", "20" },
	};
	struct fe_opts o;
	char err[256], want[256];

	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		const char *opt = twice[i][0], *a = twice[i][1], *b = twice[i][2];

		ck_assert_int_eq(parse(&o, err, NULL, opt, a, opt, a,
				       (char *)NULL), 0);
		ck_assert_int_eq(parse(&o, err, NULL, opt, a, opt, b,
				       (char *)NULL), -EINVAL);
		snprintf(want, sizeof(want), "%s given twice ('%s' and '%s'): "
			 "give it once", opt, a, b);
		ck_assert_str_eq(err, want);
	}
	/* Repeatable ones stay repeatable. */
	ck_assert_int_eq(parse(&o, err, NULL, "-p", "1", "-p", "2", "--bridge",
			       "x", "--bridge", "y", "-v", "-v", (char *)NULL), 0);
}
END_TEST

/* What a joiner is told: the first option that differs, both values. */
START_TEST(test_network_describe_differ)
{
	struct fe_opts a, b;
	char da[2048], db[2048], x[256], y[256], err[256];

	ck_assert_int_eq(parse(&a, err, NULL, "--mtu", "9000", "--bridge", "lan",
			       (char *)NULL), 0);
	ck_assert_int_eq(parse(&b, err, NULL, "--mtu", "9000", "--bridge", "lan",
			       (char *)NULL), 0);
	ck_assert_int_gt(fe_network_describe(&a, da, sizeof(da)), 0);
	ck_assert_int_gt(fe_network_describe(&b, db, sizeof(db)), 0);
	ck_assert(!fe_network_differ(da, db, x, sizeof(x), y, sizeof(y)));
	ck_assert_int_eq(parse(&b, err, NULL, "--mtu", "1400", "--cidr",
			       "10.9.0.0/24", (char *)NULL), 0);
	ck_assert_int_gt(fe_network_describe(&b, db, sizeof(db)), 0);
	ck_assert(fe_network_differ(da, db, x, sizeof(x), y, sizeof(y)));
	ck_assert_str_eq(x, "--mtu 9000");
	ck_assert_str_eq(y, "--mtu 1400");
	ck_assert_int_eq(parse(&b, err, NULL, "--mtu", "9000", "--host-loopback",
			       "--bridge", "lan", (char *)NULL), 0);
	ck_assert_int_gt(fe_network_describe(&b, db, sizeof(db)), 0);
	ck_assert(fe_network_differ(da, db, x, sizeof(x), y, sizeof(y)));
	ck_assert_str_eq(x, "--host-loopback off");
	ck_assert_str_eq(y, "--host-loopback on");
	ck_assert_int_eq(fe_network_describe(&a, da, 10), -ENOSPC);
}
END_TEST

START_TEST(test_opts_defaults)
{
	struct fe_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, NULL, (char *)NULL), 0);
	ck_assert_uint_eq(o.mtu, 1500);
	ck_assert(!o.verbose && !o.host_loopback && !o.help && !o.version);
	ck_assert_ptr_null(o.argv);
}
END_TEST

START_TEST(test_opts_all)
{
	struct fe_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, NULL, "-v", "--host-loopback",
			       "--mtu", "65520", "--", "ip", "-br", "a", (char *)NULL), 0);
	ck_assert(o.verbose && o.host_loopback);
	ck_assert_uint_eq(o.mtu, 65520);
	ck_assert_str_eq(o.argv[0], "ip");
	ck_assert_str_eq(o.argv[1], "-br");
	ck_assert_str_eq(o.argv[2], "a");
	ck_assert_ptr_null(o.argv[3]);
	ck_assert_int_eq(parse(&o, err, NULL, "--mtu=9000", (char *)NULL), 0);
	ck_assert_uint_eq(o.mtu, 9000);
}
END_TEST

START_TEST(test_opts_command_options_untouched)
{
	struct fe_opts o;
	char err[256];

	/* Options after the command belong to the command. */
	ck_assert_int_eq(parse(&o, err, NULL, "sh", "-v", "--mtu", "1", (char *)NULL), 0);
	ck_assert(!o.verbose);
	ck_assert_uint_eq(o.mtu, 1500);
	ck_assert_str_eq(o.argv[0], "sh");
	ck_assert_str_eq(o.argv[1], "-v");
}
END_TEST

/* --map-root: self is the default's instance, subids another one. */
START_TEST(test_opts_map_root)
{
	struct fe_opts o;
	char err[256];
	int32_t none;

	ck_assert_int_eq(parse(&o, err, NULL, (char *)NULL), 0);
	ck_assert_int_eq(o.map_root, FE_MAP_ROOT_UNSET);
	ck_assert(!fe_network_opts_given(&o));
	none = fe_network_fingerprint(&o);
	ck_assert_int_eq(parse(&o, err, NULL, "--map-root=self", (char *)NULL), 0);
	ck_assert_int_eq(o.map_root, FE_MAP_ROOT_SELF);
	ck_assert(fe_network_opts_given(&o));
	ck_assert_int_eq(fe_network_fingerprint(&o), none);
	ck_assert_int_eq(parse(&o, err, NULL, "--map-root", "subids",
			       (char *)NULL), 0);
	ck_assert_int_eq(o.map_root, FE_MAP_ROOT_SUBIDS);
	ck_assert(fe_network_opts_given(&o));
	ck_assert_int_ne(fe_network_fingerprint(&o), none);
	/* Two different values are an error; with --map-subids only self. */
	ck_assert_int_eq(parse(&o, err, NULL, "--map-root=subids",
			       "--map-root=self", (char *)NULL), -EINVAL);
	ck_assert_str_eq(err, "--map-root given twice ('subids' and 'self'): "
			 "give it once");
	ck_assert_int_eq(parse(&o, err, NULL, "--map-root=self",
			       "--map-subids", (char *)NULL), 0);
	ck_assert_int_eq(o.map_root, FE_MAP_ROOT_SELF);
	ck_assert(o.map_subids);
}
END_TEST

START_TEST(test_opts_help_version)
{
	struct fe_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, NULL, "--help", (char *)NULL), 0);
	ck_assert(o.help);
	ck_assert_int_eq(parse(&o, err, NULL, "-h", (char *)NULL), 0);
	ck_assert(o.help);
	ck_assert_int_eq(parse(&o, err, NULL, "-V", (char *)NULL), 0);
	ck_assert(o.version);
	ck_assert_int_eq(parse(&o, err, NULL, "--version", (char *)NULL), 0);
	ck_assert(o.version);
}
END_TEST

START_TEST(test_opts_script)
{
	struct fe_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, NULL, (char *)NULL), 0);
	ck_assert_int_eq(o.status_fd, -1);
	ck_assert_int_eq(o.control_in, -1);
	ck_assert_int_eq(o.control_out, -1);
	ck_assert_uint_eq(o.npublish, 0);
	ck_assert_int_eq(parse(&o, err, NULL, "-p", "8080", "--publish",
			       "udp:0.0.0.0:53:5353", "--publish=9000:90",
			       "--status-fd", "7", "--control-fd=8", "true",
			       (char *)NULL), 0);
	ck_assert_uint_eq(o.npublish, 3);
	ck_assert_str_eq(o.publish[0], "8080");
	ck_assert_str_eq(o.publish[1], "udp:0.0.0.0:53:5353");
	ck_assert_str_eq(o.publish[2], "9000:90");
	ck_assert_int_eq(o.status_fd, 7);
	ck_assert_int_eq(o.control_in, 8);
	ck_assert_int_eq(o.control_out, 8);
	ck_assert_str_eq(o.argv[0], "true");
	ck_assert_int_eq(parse(&o, err, NULL, "--control-fd", "3,4",
			       (char *)NULL), 0);
	ck_assert_int_eq(o.control_in, 3);
	ck_assert_int_eq(o.control_out, 4);
}
END_TEST

START_TEST(test_opts_publish_max)
{
	static char *argv[2 + 2 * (FE_PUBLISH_MAX + 1)];
	struct fe_opts o;
	char err[256];
	int argc = 0;

	argv[argc++] = "hckns";
	for (int i = 0; i <= FE_PUBLISH_MAX; i++) {
		argv[argc++] = "-p";
		argv[argc++] = "8080";
	}
	ck_assert_int_eq(fe_parse_opts(argc - 2, argv, NULL, &o, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.npublish, FE_PUBLISH_MAX);
	ck_assert_int_eq(fe_parse_opts(argc, argv, NULL, &o, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too many --publish"));
}
END_TEST

START_TEST(test_opts_env_verbose)
{
	struct fe_opts o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, "1", (char *)NULL), 0);
	ck_assert(o.verbose);
	ck_assert_int_eq(parse(&o, err, "0", (char *)NULL), 0);
	ck_assert(!o.verbose);
	ck_assert_int_eq(parse(&o, err, "", (char *)NULL), 0);
	ck_assert(!o.verbose);
}
END_TEST

static const struct {
	const char *a, *b;
	const char *msg;
} bad_opts[] = {
	{ "--bogus", NULL, "unknown option '--bogus'" },
	{ "-x", NULL, "unknown option '-x'" },
	{ "--mtu", NULL, "option '--mtu' needs a value" },
	{ "--mtu", "575", "invalid --mtu '575'" },
	{ "--mtu", "65522", "invalid --mtu '65522'" },
	{ "--mtu", "15x", "invalid --mtu '15x'" },
	{ "--mtu", "-1", "invalid --mtu '-1'" },
	{ "--mtu", "", "invalid --mtu ''" },
	{ "--mtu", "99999999999999999999", "invalid --mtu" },
	{ "--status-fd", "x", "invalid --status-fd 'x'" },
	{ "--status-fd", "-1", "invalid --status-fd '-1'" },
	{ "--control-fd", "3,", "invalid --control-fd '3,'" },
	{ "--control-fd", ",4", "invalid --control-fd ',4'" },
	{ "--control-fd", "3,4,5", "invalid --control-fd '3,4,5'" },
	{ "-p", NULL, "option '-p' needs a value" },
	{ "--help=x", NULL, "option '--help' takes no value" },
	{ "--host-loopback=1", NULL, "option '--host-loopback' takes no value" },
	{ "-vx", NULL, "unknown option '-x'" },
	{ "--map-root", NULL, "option '--map-root' needs a value" },
	{ "--map-root", "host", "invalid --map-root 'host': give self" },
	{ "--map-root", "", "invalid --map-root ''" },
	{ "--map-root=subids", "--map-subids",
	  "--map-subids and --map-root=subids exclude each other" },
};

START_TEST(test_opts_bad)
{
	struct fe_opts o;
	char err[256] = "";

	ck_assert_int_eq(parse(&o, err, NULL, bad_opts[_i].a, bad_opts[_i].b,
			       (char *)NULL), -EINVAL);
	ck_assert_msg(strstr(err, bad_opts[_i].msg) != NULL,
		      "'%s' does not contain '%s'", err, bad_opts[_i].msg);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_parse_uint)
{
	unsigned int v = 0;

	ck_assert_int_eq(fe_parse_uint("68", 68, 100, &v), 0);
	ck_assert_uint_eq(v, 68);
	ck_assert_int_eq(fe_parse_uint("100", 68, 100, &v), 0);
	ck_assert_int_eq(fe_parse_uint("101", 68, 100, &v), -ERANGE);
	ck_assert_int_eq(fe_parse_uint("67", 68, 100, &v), -ERANGE);
	ck_assert_int_eq(fe_parse_uint("+70", 68, 100, &v), -EINVAL);
	ck_assert_int_eq(fe_parse_uint(" 70", 68, 100, &v), -EINVAL);
	ck_assert_int_eq(fe_parse_uint("70 ", 68, 100, &v), -EINVAL);
	ck_assert_int_eq(fe_parse_uint(NULL, 68, 100, &v), -EINVAL);
}
END_TEST

/* ---- runtime directory and paths -------------------------------------- */

START_TEST(test_base_choose)
{
	char dir[] = "/tmp/hckns-unit.XXXXXX", open_dir[] = "/tmp/hckns-unit.XXXXXX";
	char parent[4096], name[32], why[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(mkdtemp(open_dir));
	/* An XDG_RUNTIME_DIR of ours, mode 0700, is used. */
	ck_assert_int_eq(fe_base_choose(dir, "/var/tmp", getuid(), parent,
					sizeof(parent), name, sizeof(name), why,
					sizeof(why)), 0);
	ck_assert_str_eq(parent, dir);
	ck_assert_str_eq(name, "hckns");
	/* Someone else's: TMPDIR, sticky /var/tmp is fine for a user. */
	ck_assert_int_eq(fe_base_choose(dir, "/var/tmp", 4242, parent,
					sizeof(parent), name, sizeof(name), why,
					sizeof(why)), 0);
	ck_assert_str_eq(parent, "/var/tmp");
	ck_assert_str_eq(name, "hckns-4242");
	ck_assert_int_eq(fe_base_choose("relative", NULL, 4242, parent,
					sizeof(parent), name, sizeof(name), why,
					sizeof(why)), 0);
	ck_assert_str_eq(parent, "/tmp");
	/* Root never in a directory others can write: /run/hckns. */
	ck_assert_int_eq(fe_base_choose(NULL, "/tmp", 0, parent, sizeof(parent),
					name, sizeof(name), why, sizeof(why)), 0);
	ck_assert_str_eq(parent, "/run");
	ck_assert_str_eq(name, "hckns");
	/* A TMPDIR others can write without the sticky bit: refused. */
	ck_assert_int_eq(chmod(open_dir, 0777), 0);
	if (getuid() == 0) {
		ck_assert_int_eq(fe_base_choose(NULL, open_dir, 4242, parent,
						sizeof(parent), name, sizeof(name),
						why, sizeof(why)), -EPERM);
		ck_assert_ptr_nonnull(strstr(why, "set XDG_RUNTIME_DIR or TMPDIR"));
	}
	rmdir(dir);
	rmdir(open_dir);
}
END_TEST

/* A fresh private XDG_RUNTIME_DIR-like directory in /tmp. */
static char *private_tmp(char *buf)
{
	strcpy(buf, "/tmp/hckns-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(buf));
	return buf;
}

START_TEST(test_base_open_refuses)
{
	char x[32], y[32], w[32], path[128], why[1024];
	struct fe_base b;
	struct stat st;

	/* Ours: created 0700, held by a descriptor. */
	ck_assert_int_eq(fe_base_open(private_tmp(x), NULL, getuid(), true, &b,
				      why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/hckns", x);
	ck_assert_str_eq(b.path, path);
	ck_assert_int_ge(b.fd, 0);
	ck_assert_int_eq(fstat(b.fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	fe_base_close(&b);
	/* Not created unless asked. */
	ck_assert_int_eq(fe_base_open(private_tmp(y), NULL, getuid(), false, &b,
				      why, sizeof(why)), -ENOENT);
	/* A link planted where the base goes: never followed. */
	snprintf(path, sizeof(path), "%s/hckns", y);
	ck_assert_int_eq(symlink(x, path), 0);
	ck_assert_int_eq(fe_base_open(y, NULL, getuid(), true, &b, why,
				      sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "is a symbolic link"));
	ck_assert_int_eq(b.fd, -1);
	unlink(path);
	/* Open to others. */
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(fe_base_open(y, NULL, getuid(), true, &b, why,
				      sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "open to others: run 'chmod 0700"));
	/* Someone else's (root can make one). */
	if (getuid() == 0) {
		ck_assert_int_eq(chmod(path, 0700), 0);
		ck_assert_int_eq(chown(path, 4242, 4242), 0);
		ck_assert_int_eq(fe_base_open(y, NULL, getuid(), true, &b, why,
					      sizeof(why)), -EPERM);
		ck_assert_ptr_nonnull(strstr(why, "belongs to uid 4242"));
	}
	/* A directory above that others could change. */
	private_tmp(w);
	ck_assert_int_eq(chmod(w, 0777), 0);
	snprintf(path, sizeof(path), "%s/x", w);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	if (getuid() == 0) {
		ck_assert_int_eq(fe_base_open(path, "/nonexistent", 0, true, &b,
					      why, sizeof(why)), -EPERM);
		ck_assert_ptr_nonnull(strstr(why, "others could change what it holds"));
	}
	fe_rm_rf(x);
	fe_rm_rf(y);
	fe_rm_rf(w);
}
END_TEST

START_TEST(test_runtime_create)
{
	char x[32], dir[4096], why[512];
	struct fe_base b = { .fd = -1 };
	struct stat st;

	ck_assert_int_eq(fe_base_open(private_tmp(x), NULL, getuid(), true, &b,
				      why, sizeof(why)), 0);
	ck_assert_int_eq(fe_runtime_create(&b, "42", dir, sizeof(dir), why,
					   sizeof(why)), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	/* A stale directory of the same name is replaced. */
	ck_assert_int_eq(mkdir(strcat(strcpy((char[4200]){ 0 }, dir), "/old"),
			       0700), 0);
	ck_assert_int_eq(fe_runtime_create(&b, "42", dir, sizeof(dir), why,
					   sizeof(why)), 0);
	ck_assert_int_ne(access(strcat(strcpy((char[4200]){ 0 }, dir), "/old"),
				F_OK), 0);
	/* Too long for sun_path. */
	ck_assert_int_eq(fe_runtime_create(&b, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
					   dir, sizeof(dir), why, sizeof(why)),
			 -ENAMETOOLONG);
	ck_assert_ptr_nonnull(strstr(why, "too long for a unix socket path"));
	fe_base_close(&b);
	fe_rm_rf(x);
}
END_TEST

/* The sweep removes stale instance directories of ours, nothing else. */
START_TEST(test_sweep_only_ours)
{
	char x[32], victim[32], p[256], why[512];
	static const char *const kept[] = { "link", "open", "file", ".hidden",
					    "has space" };
	struct fe_base b;

	ck_assert_int_eq(fe_base_open(private_tmp(x), NULL, getuid(), true, &b,
				      why, sizeof(why)), 0);
	private_tmp(victim);
	snprintf(p, sizeof(p), "%s/precious", victim);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	/* Stale: a pid that cannot run, and a name nobody holds. */
	ck_assert_int_eq(mkdirat(b.fd, "999999999", 0700), 0);
	ck_assert_int_eq(mkdirat(b.fd, "stale-x", 0700), 0);
	/* Not instance directories: each is left alone. */
	ck_assert_int_eq(symlinkat(victim, b.fd, "link"), 0);
	ck_assert_int_eq(mkdirat(b.fd, "open", 0755), 0);
	ck_assert_int_eq(fchmodat(b.fd, "open", 0755, 0), 0);
	close(openat(b.fd, "file", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	ck_assert_int_eq(mkdirat(b.fd, ".hidden", 0700), 0);
	ck_assert_int_eq(mkdirat(b.fd, "has space", 0700), 0);
	ck_assert_int_eq(fe_runtime_sweep(&b), 2);
	ck_assert_int_ne(faccessat(b.fd, "999999999", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_ne(faccessat(b.fd, "stale-x", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		ck_assert_msg(faccessat(b.fd, kept[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0,
			      "%s was removed", kept[i]);
	ck_assert_int_eq(access(p, F_OK), 0);
	/* Again on the same descriptor: a walk starts at the beginning. */
	ck_assert_int_eq(mkdirat(b.fd, "stale-y", 0700), 0);
	ck_assert_int_eq(fe_runtime_sweep(&b), 1);
	fe_base_close(&b);
	fe_rm_rf(x);
	fe_rm_rf(victim);
}
END_TEST

/* Namespaces to enter: ours (not a child of ours) are refused. */
START_TEST(test_ns_check)
{
	static const char *const kinds[FE_NS_COUNT] = { "user", "net", "mnt",
							"pid_for_children" };
	int fds[FE_NS_COUNT], sync[2], go[2];
	char path[64], why[256], c;
	pid_t pid;

	for (int i = 0; i < FE_NS_COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert_int_eq(fe_ns_check(fds, FE_NS_COUNT, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "user namespace received is not"));
	for (int i = 0; i < FE_NS_COUNT; i++)
		close(fds[i]);

	/* A child's new namespaces: accepted; a wrong type: refused. */
	ck_assert_int_eq(pipe(sync), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(go[1]);
		close(sync[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS |
			    CLONE_NEWPID) < 0) {
			c = 'x';
			_exit(write(sync[1], &c, 1) == 1 ? 0 : 1);
		}
		/* Its PID namespace shows in /proc once it has its PID 1. */
		if (fork() == 0)
			_exit(read(go[0], &c, 1) < 0 ? 1 : 0);
		c = 'u';
		if (write(sync[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		wait(NULL);
		_exit(0);
	}
	ck_assert_int_eq(read(sync[0], &c, 1), 1);
	if (c == 'u') {
		for (int i = 0; i < FE_NS_COUNT; i++) {
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid,
				 kinds[i]);
			fds[i] = open(path, O_RDONLY | O_CLOEXEC);
			ck_assert_int_ge(fds[i], 0);
		}
		ck_assert_int_eq(fe_ns_check(fds, FE_NS_COUNT, why, sizeof(why)), 0);
		/* The network namespace where the PID one should be. */
		c = (char)fds[FE_NS_PID];
		fds[FE_NS_PID] = fds[FE_NS_NET];
		ck_assert_int_eq(fe_ns_check(fds, FE_NS_COUNT, why, sizeof(why)),
				 -EPERM);
		ck_assert_ptr_nonnull(strstr(why, "PID namespace received"));
		fds[FE_NS_PID] = (unsigned char)c;
		for (int i = 0; i < FE_NS_COUNT; i++)
			close(fds[i]);
	}
	close(go[1]);
	waitpid(pid, NULL, 0);
	close(sync[0]);
	close(sync[1]);
	close(go[0]);
}
END_TEST

/* Write ROOT/sys/NAME, creating its directories. */
static void write_sysctl(const char *root, const char *name, const char *v)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/%s", root, name);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(v, f);
	fclose(f);
}

START_TEST(test_userns_advice)
{
	char root[] = "/tmp/hckns-unit.XXXXXX", buf[512];

	ck_assert_ptr_nonnull(mkdtemp(root));
	fe_userns_advice(root, EPERM, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Operation not permitted"));
	write_sysctl(root, "kernel/apparmor_restrict_unprivileged_userns", "1\n");
	fe_userns_advice(root, EPERM, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "AppArmor"));
	write_sysctl(root, "kernel/unprivileged_userns_clone", "0\n");
	fe_userns_advice(root, EPERM, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "kernel.unprivileged_userns_clone=1"));
	write_sysctl(root, "user/max_user_namespaces", "0\n");
	fe_userns_advice(root, ENOSPC, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "user.max_user_namespaces=15000"));
	write_sysctl(root, "user/max_user_namespaces", "100\n");
	write_sysctl(root, "kernel/unprivileged_userns_clone", "1\n");
	write_sysctl(root, "kernel/apparmor_restrict_unprivileged_userns", "0\n");
	fe_userns_advice(root, ENOSPC, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "too many user namespaces"));
	ck_assert_ptr_null(strchr(buf, '\n'));
	fe_rm_rf(root);
}
END_TEST

START_TEST(test_find_in_path)
{
	char dir[] = "/tmp/hckns-unit.XXXXXX", path[600], out[4096];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	ck_assert_int_eq(fe_find_in_path("tool", path, out, sizeof(out)), -ENOENT);
	fd = open(strcat(strcpy((char[700]){ 0 }, dir), "/tool"),
		  O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	if (geteuid() != 0)	/* root may execute anything */
		ck_assert_int_eq(fe_find_in_path("tool", path, out, sizeof(out)),
				 -EACCES);
	chmod(strcat(strcpy((char[700]){ 0 }, dir), "/tool"), 0755);
	ck_assert_int_eq(fe_find_in_path("tool", path, out, sizeof(out)), 0);
	ck_assert_str_eq(out, strcat(strcpy((char[700]){ 0 }, dir), "/tool"));
	ck_assert_int_eq(fe_find_in_path("sh", NULL, out, sizeof(out)), 0);
	fe_rm_rf(dir);
}
END_TEST

/*
 * Empty and relative PATH entries are skipped: a "tool" planted in the
 * working directory is never found, whatever PATH says, and what is found
 * is the absolute one further on.
 */
START_TEST(test_find_in_path_skips_relative)
{
	char dir[] = "/tmp/hckns-unit.XXXXXX", cwd[4096], path[800], out[4096];
	char planted[700], real[700];
	/* PATH is BEFORE, the absolute directory, AFTER. */
	static const char *const lists[][2] = {
		{ ":", "" }, { ".:", "" }, { "sub:", "" }, { "./sub::", "" },
		{ "", ":" }, { "", ":." },
	};
	int fd;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(planted, sizeof(planted), "%s/tool", dir);
	snprintf(real, sizeof(real), "%s/sub", dir);
	ck_assert_int_eq(mkdir(real, 0755), 0);
	snprintf(real, sizeof(real), "%s/sub/tool", dir);
	fd = open(planted, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(chdir(dir), 0);
	/* Only the planted ./tool and ./sub/tool: nothing absolute. */
	ck_assert_int_eq(fe_find_in_path("tool", ":", out, sizeof(out)), -ENOENT);
	ck_assert_int_eq(fe_find_in_path("tool", ".", out, sizeof(out)), -ENOENT);
	ck_assert_int_eq(fe_find_in_path("tool", "sub:.:", out, sizeof(out)),
			 -ENOENT);
	ck_assert_int_eq(fe_find_in_path("./tool", "/usr/bin", out, sizeof(out)),
			 -ENOENT);
	fd = open(real, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
		char sub[700];

		snprintf(sub, sizeof(sub), "%s/sub", dir);
		snprintf(path, sizeof(path), "%s%s%s", lists[i][0], sub,
			 lists[i][1]);
		ck_assert_int_eq(fe_find_in_path("tool", path, out, sizeof(out)), 0);
		ck_assert_str_eq(out, real);
	}
	ck_assert_int_eq(chdir(cwd), 0);
	fe_rm_rf(dir);
}
END_TEST

/*
 * The helper's /proc status, as the front end reads it after hello: the
 * one check of its confinement (the helper does not read its own back).
 * Each field wrong, alone, is refused and named.
 */
START_TEST(test_helper_status_check)
{
	static const char ok[] = "Name:\thckns-helper\nNoNewPrivs:\t1\n"
		"Seccomp:\t2\nSeccomp_filters:\t1\nCapInh:\t0000000000000000\n"
		"CapPrm:\t0000000000201000\nCapEff:\t0000000000201000\n"
		"CapBnd:\t0000000000201000\nCapAmb:\t0000000000000000\n";
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{ "Seccomp:\t2", "Seccomp:\t0", "Seccomp is 0, not 2 (its system "
		  "call filter is not loaded)" },
		{ "Seccomp:\t2", "Seccomp:\t1", "Seccomp is 1, not 2" },
		{ "Seccomp:\t2", "Seccomp:\t2x", "no Seccomp field" },
		{ "Seccomp:\t2", "Secc:\t2", "no Seccomp field" },
		{ "NoNewPrivs:\t1", "NoNewPrivs:\t0", "NoNewPrivs is 0, not 1" },
		{ "CapInh:\t0000000000000000", "CapInh:\t0000000000001000",
		  "CapInh is 0000000000001000, not 0000000000000000 (it has "
		  "inheritable capabilities)" },
		{ "CapInh:\t0000000000000000\n", "", "no CapInh field" },
		{ "CapPrm:\t0000000000201000", "CapPrm:\t000001ffffffffff",
		  "CapPrm is 000001ffffffffff, not 0000000000201000 (it may take "
		  "other capabilities" },
		{ "CapPrm:\t0000000000201000", "CapPrm:\t0000000000001000",
		  "CapPrm is 0000000000001000" },
		{ "CapPrm:\t0000000000201000\n", "", "no CapPrm field" },
		{ "CapEff:\t0000000000201000", "CapEff:\t000001ffffffffff",
		  "CapEff is 000001ffffffffff, not 0000000000201000" },
		{ "CapEff:\t0000000000201000", "CapEff:\t0000000000200000",
		  "CapEff is 0000000000200000" },
		{ "CapBnd:\t0000000000201000", "CapBnd:\t0000000000201001",
		  "CapBnd is 0000000000201001" },
		{ "CapBnd:\t0000000000201000\n", "", "no CapBnd field" },
		{ "CapAmb:\t0000000000000000", "CapAmb:\t0000000000200000",
		  "CapAmb is 0000000000200000, not 0000000000000000 (it has "
		  "ambient capabilities)" },
		{ "CapAmb:\t0000000000000000\n", "", "no CapAmb field" },
	};
	char why[256], text[512];

	ck_assert_ptr_null(fe_helper_status_check(ok, why, sizeof(why)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *at = strstr(ok, bad[i].from);
		const char *r;

		ck_assert_ptr_nonnull(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - ok), ok,
			 bad[i].to, at + strlen(bad[i].from));
		r = fe_helper_status_check(text, why, sizeof(why));
		ck_assert_msg(r && strstr(r, bad[i].why), "case %zu: %s", i,
			      r ? r : "(accepted)");
	}
	ck_assert_ptr_nonnull(fe_helper_status_check("", why, sizeof(why)));
}
END_TEST

START_TEST(test_exit_code)
{
	char buf[128];

	ck_assert_int_eq(fe_exit_code(3 << 8), 3);
	ck_assert_int_eq(fe_exit_code(9), 137);
	ck_assert_int_eq(fe_exit_code(2), 130);
	fe_describe_status(9, buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by signal 9 (Killed)");
	fe_describe_status(1 << 8, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited with status 1");
}
END_TEST

Suite *make_frontend_suite(void)
{
	Suite *s = suite_create("frontend");
	TCase *tc = tcase_create("opts");

	tcase_add_test(tc, test_opts_defaults);
	tcase_add_test(tc, test_opts_all);
	tcase_add_test(tc, test_opts_command_options_untouched);
	tcase_add_test(tc, test_opts_map_root);
	tcase_add_test(tc, test_opts_help_version);
	tcase_add_test(tc, test_opts_env_verbose);
	tcase_add_test(tc, test_opts_script);
	tcase_add_test(tc, test_opts_publish_max);
	tcase_add_test(tc, test_opts_given_twice);
	tcase_add_test(tc, test_network_describe_differ);
	tcase_add_loop_test(tc, test_opts_bad, 0,
			    sizeof(bad_opts) / sizeof(*bad_opts));
	tcase_add_test(tc, test_parse_uint);
	suite_add_tcase(s, tc);
	tc = tcase_create("paths");
	tcase_add_test(tc, test_base_choose);
	tcase_add_test(tc, test_base_open_refuses);
	tcase_add_test(tc, test_sweep_only_ours);
	tcase_add_test(tc, test_ns_check);
	tcase_add_test(tc, test_runtime_create);
	tcase_add_test(tc, test_userns_advice);
	tcase_add_test(tc, test_find_in_path);
	tcase_add_test(tc, test_find_in_path_skips_relative);
	tcase_add_test(tc, test_helper_status_check);
	tcase_add_test(tc, test_exit_code);
	suite_add_tcase(s, tc);
	return s;
}
