// SPDX-License-Identifier: MIT
/*
 * Unit tests of `hckns doctor` (cmd/doctor.c): fe_doctor_run() against
 * a fake proc root (the sysctls), a fake dev root (net/tun), a PATH with a
 * fake slirp4netns (a shell script) or none, a fake hckns next to its
 * helper, and runtime bases that work or do not; the live namespace probe
 * is left to tests/integration/t-doctor.sh.  And the parsing of
 * `slirp4netns --version`.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "suites.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fe_doctor_slirp_version -------------------------------------------- */

static const struct {
	const char *text;
	int want;
	unsigned int v[3];
} versions[] = {
	{ "slirp4netns version 1.2.0\ncommit: 656041d\nlibslirp: 4.7.0\n", 0,
	  { 1, 2, 0 } },
	{ "slirp4netns version 0.4.0-beta.2\n", 0, { 0, 4, 0 } },
	{ "slirp4netns version 0.3.3\n", 0, { 0, 3, 3 } },
	{ "slirp4netns version 1.3\n", 0, { 1, 3, 0 } },
	{ "slirp4netns version 10.20.30+dev\n", 0, { 10, 20, 30 } },
	{ "slirp4netns version \n", -EINVAL, { 0, 0, 0 } },
	{ "slirp4netns version x1.2\n", -EINVAL, { 0, 0, 0 } },
	{ "slirp4netns version 1\n", -EINVAL, { 0, 0, 0 } },
	{ "slirp4netns 1.2.0\n", -EINVAL, { 0, 0, 0 } },
	{ "", -EINVAL, { 0, 0, 0 } },
};

START_TEST(test_slirp_version)
{
	unsigned int v[3] = { 99, 99, 99 };
	int r = fe_doctor_slirp_version(versions[_i].text, v);

	ck_assert_int_eq(r, versions[_i].want);
	if (r == 0) {
		ck_assert_uint_eq(v[0], versions[_i].v[0]);
		ck_assert_uint_eq(v[1], versions[_i].v[1]);
		ck_assert_uint_eq(v[2], versions[_i].v[2]);
	}
}
END_TEST

/* ---- fe_doctor_run ------------------------------------------------------- */

static char root[256];	/* this test's scratch directory */
static char proc[300], dev[300], bin[300], exe[300], tmp[300];

static void write_text(const char *dir, const char *name, const char *text,
		       mode_t mode)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void mkdirs(const char *path)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	/* NOLINTNEXTLINE(cert-env33-c): test set-up, on our mkdtemp() path */
	ck_assert_int_eq(system(cmd), 0);
}

static void sysctl(const char *name, const char *value)
{
	write_text(proc, name, value, 0644);
}

/* A fake slirp4netns of @version whose --help lists @options. */
static void fake_slirp(const char *version, const char *options)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "case \"$1\" in\n"
		 "--version) printf 'slirp4netns version %s\\ncommit: 0\\n' ;;\n"
		 "--help) printf '%%s\\n' %s ;;\n"
		 "esac\n", version, options);
	write_text(bin, "slirp4netns", text, 0755);
}

#define ALL_OPTIONS "--ready-fd --exit-fd --api-socket " \
	"--disable-host-loopback --cidr --enable-sandbox --enable-seccomp"

/* A host where hckns can run, in the scratch directory. */
static void setup(void)
{
	char dir[400];

	snprintf(root, sizeof(root), "/tmp/hckns-unit-doctor.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(chmod(root, 0755), 0);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	snprintf(bin, sizeof(bin), "%s/bin", root);
	snprintf(tmp, sizeof(tmp), "%s/tmp", root);
	snprintf(exe, sizeof(exe), "%s/bin/hckns", root);
	snprintf(dir, sizeof(dir), "%s/sys/user", proc);
	mkdirs(dir);
	snprintf(dir, sizeof(dir), "%s/sys/kernel", proc);
	mkdirs(dir);
	sysctl("sys/user/max_user_namespaces", "15000\n");
	sysctl("sys/kernel/unprivileged_userns_clone", "1\n");
	sysctl("sys/kernel/apparmor_restrict_unprivileged_userns", "0\n");
	snprintf(dir, sizeof(dir), "%s/net", dev);
	mkdirs(dir);
	write_text(dir, "tun", "", 0666);
	mkdirs(bin);
	mkdirs(tmp);
	/* Ours and not writable by others: root may use it too. */
	ck_assert_int_eq(chmod(tmp, 0755), 0);
	write_text(bin, "hckns", "", 0755);
	write_text(bin, "hckns-helper", "", 0755);
	fake_slirp("1.2.0", ALL_OPTIONS);
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	/* NOLINTNEXTLINE(cert-env33-c): test set-up, on our mkdtemp() path */
	ck_assert_int_eq(system(cmd), 0);
}

/* fe_doctor_run() on the scratch host; its output in @out. */
static int doctor(const char *tmpdir, uid_t uid, char *out, size_t len)
{
	struct fe_doctor_env env = {
		.path = bin, .xdg = NULL, .tmpdir = tmpdir ? tmpdir : tmp,
		.uid = uid, .gid = getgid(), .exe = exe, .probe = false,
	};
	FILE *f = fmemopen(out, len, "w");
	int r;

	ck_assert_ptr_nonnull(f);
	r = fe_doctor_run(proc, dev, &env, f);
	fclose(f);
	return r;
}

static char out[16384];

START_TEST(test_all_ok)
{
	int r = doctor(NULL, getuid(), out, sizeof(out));

	ck_assert_msg(r == 0, "%s", out);
	ck_assert_ptr_null(strstr(out, "FAIL"));
	ck_assert_ptr_nonnull(strstr(out, "ok   user.max_user_namespaces = 15000\n"));
	ck_assert_ptr_nonnull(strstr(out, "ok   kernel.unprivileged_userns_clone = 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "slirp4netns 1.2.0"));
	ck_assert_ptr_nonnull(strstr(out, "ok   slirp4netns will run in its sandbox, under its seccomp filter\n"));
	ck_assert_ptr_nonnull(strstr(out, "ok   hckns-helper: "));
	ck_assert_ptr_nonnull(strstr(out, "ok   runtime directory "));
	ck_assert_ptr_nonnull(strstr(out, "ok   socket paths fit"));
	ck_assert_ptr_nonnull(strstr(out, "hckns doctor: hckns can run here"));
}
END_TEST

START_TEST(test_max_user_namespaces_0)
{
	sysctl("sys/user/max_user_namespaces", "0\n");
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "FAIL user namespaces: disabled "
				      "(user.max_user_namespaces = 0); as root, run "
				      "'sysctl -w user.max_user_namespaces=15000'\n"));
	ck_assert_ptr_nonnull(strstr(out, "hckns doctor: 1 problem, "));
}
END_TEST

START_TEST(test_unprivileged_userns_clone_0)
{
	sysctl("sys/kernel/unprivileged_userns_clone", "0\n");
	/* Root is not restricted by it; another user is. */
	doctor(NULL, 0, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "FAIL unprivileged user namespaces"));
	ck_assert_ptr_nonnull(strstr(out, "ok   kernel.unprivileged_userns_clone "
				      "= 0, which does not restrict root\n"));
	doctor(NULL, 12345, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "FAIL unprivileged user namespaces: "
				      "disabled (kernel.unprivileged_userns_clone = 0); "
				      "as root, run 'sysctl -w "
				      "kernel.unprivileged_userns_clone=1'\n"));
}
END_TEST

START_TEST(test_apparmor_restricts)
{
	sysctl("sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
	doctor(NULL, 12345, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "FAIL AppArmor restricts unprivileged "
				      "user namespaces"));
	ck_assert_ptr_nonnull(strstr(out, "contrib/apparmor/hckns"));
	ck_assert_ptr_nonnull(strstr(out, "'apparmor_parser -r /etc/apparmor.d/hckns'"));
	ck_assert_ptr_nonnull(strstr(out, "'sysctl -w kernel.apparmor_restrict_"
				      "unprivileged_userns=0'"));
	/* Under the profile hckns, it is allowed. */
	mkdirs(strcat(strcpy(out, proc), "/self/attr/apparmor"));
	write_text(proc, "self/attr/apparmor/current", "hckns (unconfined)\n", 0644);
	doctor(NULL, 12345, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "FAIL AppArmor"));
	ck_assert_ptr_nonnull(strstr(out, "ok   kernel.apparmor_restrict_unprivileged_"
				      "userns = 1, and hckns runs under its "
				      "AppArmor profile /etc/apparmor.d/hckns\n"));
	/* Another profile is not hckns's. */
	write_text(proc, "self/attr/apparmor/current", "hcknsx (enforce)\n", 0644);
	doctor(NULL, 12345, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "FAIL AppArmor"));
}
END_TEST

START_TEST(test_tun_missing)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/net/tun", dev);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "/net/tun: does not exist, and "
				      "slirp4netns needs it; as root, run 'modprobe tun'\n"));
}
END_TEST

START_TEST(test_slirp_missing)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/slirp4netns", bin);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "FAIL slirp4netns: not found in PATH; "
				      "install it (Debian and Ubuntu: 'apt install "
				      "slirp4netns')\n"));
	ck_assert_ptr_nonnull(strstr(out, "hckns doctor: 1 problem, hckns cannot "
				      "run here until it is fixed\n"));
}
END_TEST

START_TEST(test_slirp_old)
{
	fake_slirp("0.3.0", ALL_OPTIONS);
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "version 0.3.0 is too old, hckns needs "
				      "0.4.0 or later"));
}
END_TEST

START_TEST(test_slirp_lacks_options)
{
	fake_slirp("0.4.1", "--ready-fd --exit-fd --cidr");
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "lacks options hckns uses: "
				      "--api-socket --disable-host-loopback "
				      "--enable-seccomp --enable-sandbox;"));
	/* hckns passes the hardening options always: they are needed. */
	fake_slirp("0.4.1", "--ready-fd --exit-fd --api-socket "
		   "--disable-host-loopback --cidr --enable-seccomp");
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "lacks options hckns uses: "
				      "--enable-sandbox;"));
}
END_TEST

START_TEST(test_slirp_no_version)
{
	write_text(bin, "slirp4netns", "#!/bin/sh\necho huh\n", 0755);
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "--version' does not say its version: huh;"));
}
END_TEST

START_TEST(test_helper_missing)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/hckns-helper", bin);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_ge(doctor(NULL, getuid(), out, sizeof(out)),
			 access(HCKNS_LIBEXECDIR "/hckns-helper", X_OK) == 0 ? 0 : 1);
	if (access(HCKNS_LIBEXECDIR "/hckns-helper", X_OK) != 0)
		ck_assert_ptr_nonnull(strstr(out, "FAIL hckns-helper: not found "
					      "next to hckns"));
}
END_TEST

START_TEST(test_runtime_unwritable)
{
	char file[400];

	/*
	 * TMPDIR under a regular file: a user has nowhere to go (root would
	 * take /run/hckns, which this test does not make).
	 */
	if (getuid() != 0) {
		snprintf(file, sizeof(file), "%s/file/sub", root);
		write_text(root, "file", "", 0644);
		ck_assert_int_eq(doctor(file, getuid(), out, sizeof(out)), 1);
		ck_assert_ptr_nonnull(strstr(out, "FAIL runtime directory: no "
					      "runtime directory for hckns"));
		ck_assert_ptr_nonnull(strstr(out, "set XDG_RUNTIME_DIR or TMPDIR"));
	}
	/* A base that is not private. */
	snprintf(file, sizeof(file), "%s/hckns-%u", tmp, (unsigned int)getuid());
	ck_assert_int_eq(mkdir(file, 0755), 0);
	ck_assert_int_eq(chmod(file, 0755), 0);
	ck_assert_int_eq(doctor(NULL, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "FAIL runtime directory: runtime "
				      "directory "));
	ck_assert_ptr_nonnull(strstr(out, "open to others: run 'chmod 0700 "));
	rmdir(file);
}
END_TEST

START_TEST(test_socket_path_too_long)
{
	char longdir[400];

	/* TMPDIR itself is longer than a socket path may be. */
	snprintf(longdir, sizeof(longdir), "%s/%0*d", root, 90, 0);
	ck_assert_int_eq(mkdir(longdir, 0755), 0);
	ck_assert_int_eq(doctor(longdir, getuid(), out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "ok   runtime directory "));
	ck_assert_ptr_nonnull(strstr(out, "FAIL socket path: "));
	ck_assert_ptr_nonnull(strstr(out, "a unix socket path holds at most 107"));
}
END_TEST

Suite *make_doctor_suite(void)
{
	Suite *s = suite_create("doctor");
	TCase *tc = tcase_create("version");
	TCase *run = tcase_create("run");

	tcase_add_loop_test(tc, test_slirp_version, 0, N_ELEMENTS(versions));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(run, setup, teardown);
	tcase_set_timeout(run, 30);
	tcase_add_test(run, test_all_ok);
	tcase_add_test(run, test_max_user_namespaces_0);
	tcase_add_test(run, test_unprivileged_userns_clone_0);
	tcase_add_test(run, test_apparmor_restricts);
	tcase_add_test(run, test_tun_missing);
	tcase_add_test(run, test_slirp_missing);
	tcase_add_test(run, test_slirp_old);
	tcase_add_test(run, test_slirp_lacks_options);
	tcase_add_test(run, test_slirp_no_version);
	tcase_add_test(run, test_helper_missing);
	tcase_add_test(run, test_runtime_unwritable);
	tcase_add_test(run, test_socket_path_too_long);
	suite_add_tcase(s, run);
	return s;
}
