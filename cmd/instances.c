// SPDX-License-Identifier: MIT
/* `hckns ls` and `hckns stop NAME`: the running instances of this user. */
#include "cmd/cmd.h"
#include "common/util.h"
#include "common/runtime.h"
#include "common/instances.h"
#include "common/slirp_api.h"
#include "model/fwd.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct info {
	struct fe_instance in;
	int pid, holders, forwards;
	int64_t started;
};

/* Ask an instance's keeper.  Return: 0, or -errno (gone meanwhile). */
static int query(const struct fe_instance *in, struct info *out)
{
	struct fe_km_info kinfo;
	char sock[sizeof(in->dir) + 16], why[FE_FWD_ERR_MAX];
	struct fe_fwd *list = NULL;
	size_t n = 0;
	int r;

	*out = (struct info){ .in = *in, .forwards = -1 };
	r = fe_instance_query(in->dir, &kinfo);
	if (r < 0)
		return r;
	out->pid = kinfo.keeper_pid;
	out->holders = kinfo.holders;
	out->started = kinfo.started;
	snprintf(sock, sizeof(sock), "%s/%s", in->dir, FE_API_SOCK);
	if (fe_api_list(sock, &list, &n, why, sizeof(why)) == 0)
		out->forwards = (int)n;
	free(list);
	return 0;
}

static void age(int64_t started, char *buf, size_t len)
{
	long s = (long)(time(NULL) - started);

	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
}

/* @b: the checked base, or NULL when there is none yet (no instances). */
static int cmd_ls(const struct fe_base *b, const char *where, bool json)
{
	struct fe_instance *list = NULL;
	json_t *arr = json ? json_array() : NULL;
	size_t n = 0;
	int r = b ? fe_instances_list(b, &list, &n) : 0;

	if (r < 0) {
		fe_error("cannot list %s: %s", where, strerror(-r));
		json_decref(arr);
		return FE_EXIT_FAILURE;
	}
	if (!json && n)
		printf("%-20s %-8s %-8s %-8s %s\n", "NAME", "PID", "AGE",
		       "HOLDERS", "FORWARDS");
	for (size_t i = 0; i < n; i++) {
		struct info in;
		char a[32];

		if (query(&list[i], &in) < 0)
			continue;	/* ended meanwhile */
		age(in.started, a, sizeof(a));
		if (json)
			json_array_append_new(arr, json_pack(
				"{s:s, s:i, s:I, s:I, s:i, s:i, s:s}",
				"name", in.in.name, "pid", in.pid,
				"started", (json_int_t)in.started,
				"age_seconds", (json_int_t)(time(NULL) - in.started),
				"holders", in.holders, "forwards", in.forwards,
				"runtime_dir", in.in.dir));
		else if (in.forwards < 0)	/* still setting up */
			printf("%-20s %-8d %-8s %-8d -\n", in.in.name, in.pid,
			       a, in.holders);
		else
			printf("%-20s %-8d %-8s %-8d %d\n", in.in.name, in.pid,
			       a, in.holders, in.forwards);
	}
	if (json) {
		json_t *o = json_pack("{s:o, s:s}", "instances", arr,
				      "runtime_base", where);
		char *text = json_dumps(o, JSON_COMPACT);

		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(o);
	} else if (!n) {
		printf("no instances (looked in %s)\n", where);
	}
	free(list);
	return 0;
}

static int cmd_stop(const struct fe_base *base, const char *name)
{
	struct fe_keeper_msg m = { .type = FE_KEEPER_STOP };
	struct fe_instance in;
	char why[PATH_MAX + 256];
	struct pollfd p;
	int fd, r;

	r = fe_instance_find(base, name, &in, why, sizeof(why));
	if (r < 0) {
		fe_error("%s", why);
		return FE_EXIT_FAILURE;
	}
	fd = fe_keeper_connect(in.dir);
	if (fd == -EPERM) {
		fe_error("the keeper of instance '%s' (%s/%s) is not yours: "
			 "refusing it", in.name, in.dir, FE_KEEPER_SOCK);
		return FE_EXIT_FAILURE;
	}
	if (fd < 0 || fe_keeper_send(fd, &m, NULL, 0) < 0) {
		fe_error("instance '%s' is ending already", in.name);
		if (fd >= 0)
			close(fd);
		return FE_EXIT_FAILURE;
	}
	/*
	 * Its commands get SIGTERM, SIGKILL after FE_STOP_TIMEOUT_MS; the
	 * keeper's exit closes our connection.
	 */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	r = poll(&p, 1, FE_STOP_TIMEOUT_MS + 5000);
	close(fd);
	if (r != 1) {
		fe_error("instance '%s' did not end within %d s", in.name,
			 FE_STOP_TIMEOUT_MS / 1000 + 5);
		return FE_EXIT_FAILURE;
	}
	printf("stopped %s\n", in.name);
	return 0;
}

int fe_cmd_instances(int argc, char **argv)
{
	char why[PATH_MAX + 256];
	struct fe_base base;
	int r;
	bool json = false;
	const char *name = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && strcmp(argv[0], "ls") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			printf("Usage: hckns ls [--json]\n"
			       "       hckns stop NAME\n");
			return 0;
		} else if (!name && argv[i][0] != '-' &&
			   strcmp(argv[0], "stop") == 0) {
			name = argv[i];
		} else {
			fe_error("unexpected '%s'; usage: hckns ls [--json] | "
				 "hckns stop NAME", argv[i]);
			return FE_EXIT_FAILURE;
		}
	}
	if (strcmp(argv[0], "stop") == 0 && !name) {
		fe_error("usage: hckns stop NAME (see 'hckns ls')");
		return FE_EXIT_FAILURE;
	}
	r = fe_base_open(getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), getuid(),
			 /* create= */ false, &base, why, sizeof(why));
	if (r == -ENOENT && !name)
		return cmd_ls(NULL, base.path, json);
	if (r == -ENOENT) {
		fe_error("no instance '%s' is running (see 'hckns ls')", name);
		return FE_EXIT_FAILURE;
	}
	if (r < 0) {
		fe_error("%s", why);
		return FE_EXIT_FAILURE;
	}
	fe_trace("runtime base: %s", base.path);
	r = name ? cmd_stop(&base, name) : cmd_ls(&base, base.path, json);
	fe_base_close(&base);
	return r;
}
