/* SPDX-License-Identifier: MIT */
/* The short-lived clients: `hckns fwd`, `ls`/`stop`, `doctor`. */
#ifndef HCKNS_CMD_CMD_H
#define HCKNS_CMD_CMD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>

/* `hckns ls|stop ...` (instances.c); @argv[0] is the verb. */
int fe_cmd_instances(int argc, char **argv);

/* `hckns doctor` (doctor.c); @argv[0] is "doctor".  Return: exit status. */
int fe_cmd_doctor(int argc, char **argv);

/* What fe_doctor_run() checks besides the proc and dev roots. */
struct fe_doctor_env {
	const char *path;	/* $PATH: slirp4netns, newuidmap */
	const char *xdg;	/* $XDG_RUNTIME_DIR, or NULL */
	const char *tmpdir;	/* $TMPDIR, or NULL */
	uid_t uid;
	gid_t gid;
	const char *exe;	/* this hckns, where its helper is looked for */
	bool probe;		/* create a user+net+mount namespace for real */
};

/**
 * fe_doctor_run() - check this host for what hckns needs (doctor.c).
 * @procroot: where the sysctls are read ("/proc"; a test's own root).
 * @devroot: where net/tun is looked for ("/dev").
 * @out: one line per check ("ok   ...", "FAIL ...: why; remedy",
 *       "note ..."), then a summary line.
 * Return: the number of FAIL lines; 0 when hckns can run.
 */
int fe_doctor_run(const char *procroot, const char *devroot,
		  const struct fe_doctor_env *env, FILE *out);

/*
 * fe_doctor_slirp_version() - the version in `slirp4netns --version`'s
 * output ("slirp4netns version 1.2.0\n...") as major, minor, patch.
 * Return: 0, or -EINVAL.
 */
int fe_doctor_slirp_version(const char *text, unsigned int v[3]);

/* `hckns fwd ...` (fwd.c); @argv[0] is "fwd".  Return: exit status. */
int fe_cmd_fwd(int argc, char **argv);

#endif
