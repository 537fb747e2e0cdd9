// SPDX-License-Identifier: MIT
/*
 * `hckns fwd add|list|rm`: port forwards of a running instance, from another
 * terminal.  Talks to the instance's slirp4netns API socket directly; the
 * helper is never involved in forwarding.
 */
#include "cmd/cmd.h"
#include "common/util.h"
#include "common/runtime.h"
#include "common/instances.h"
#include "common/netinfo.h"
#include "common/slirp_api.h"
#include "model/opts.h"
#include "model/topology.h"
#include "model/fwd.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char fwd_usage[] =
"Usage: hckns fwd add SPEC   [--instance NAME|PID|DIR] [--json]\n"
"       hckns fwd list|ls     [--instance NAME|PID|DIR] [--json]\n"
"       hckns fwd rm PORT|ID|SPEC [--instance NAME|PID|DIR] [--json]\n"
"\n"
"SPEC is " FE_FWD_SYNTAX ":\n"
"HOST_ADDR defaults to 127.0.0.1 (0.0.0.0 opens the port to the network),\n"
"GUEST_ADDR to the uplink's address (10.0.2.100, br_world's), GUEST_PORT to\n"
"HOST_PORT; e.g. 15901:10.0.2.15:5900 reaches a guest's VNC server.\n"
"'rm N' removes the forward on host port N, or else the forward with id N.\n"
"Without --instance, the only running instance of yours.\n";

static void print_fwd(const char *prefix, const struct fe_fwd *f, bool json)
{
	if (json) {
		json_t *o = fe_control_entry(f);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
		return;
	}
	printf(prefix ? "%s%d: %s %s:%u -> %s:%u\n" : "%s%-4d %-5s %s:%u -> %s:%u\n",
	       prefix ? prefix : "", f->id, fe_fwd_proto_name(f->proto),
	       f->host_addr, f->host_port, f->guest_addr, f->guest_port);
}

static int fwd_list(const char *sock, bool json)
{
	struct fe_fwd *list = NULL;
	char why[FE_FWD_ERR_MAX];
	size_t n = 0;

	if (fe_api_list(sock, &list, &n, why, sizeof(why)) < 0) {
		fe_error("cannot list forwards: %s", why);
		return FE_EXIT_FAILURE;
	}
	if (json) {
		json_t *o = fe_control_entries(list, n);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(o);
	} else if (n == 0) {
		printf("no forwards\n");
	} else {
		printf("ID   PROTO HOST -> GUEST\n");
		for (size_t i = 0; i < n; i++)
			print_fwd(NULL, &list[i], false);
	}
	free(list);
	return 0;
}

/*
 * Which forward `hckns fwd rm WHAT` means: WHAT is a spec matched against
 * the forwards (same protocol, host address and port), or a number: the
 * forward on that host port when there is one (users think in ports), else
 * the forward with that id.  Return: its id, or -1 with the message said.
 */
static int fwd_pick(const char *sock, const char *guest, const char *what)
{
	char why[FE_FWD_ERR_MAX];
	struct fe_fwd want, *list = NULL;
	unsigned int num = 0;
	bool is_num = fe_parse_uint(what, 1, INT_MAX, &num) == 0 &&
		      !strchr(what, ':');
	size_t n = 0, found = 0;
	int id = -1;

	if (!is_num && fe_fwd_parse(what, guest, &want, why, sizeof(why)) < 0) {
		fe_error("%s; or give a forward's host port or id (see 'hckns "
			 "fwd list')", why);
		return -1;
	}
	if (fe_api_list(sock, &list, &n, why, sizeof(why)) < 0) {
		fe_error("cannot list forwards: %s", why);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (is_num ? list[i].host_port == num
			   : fe_fwd_match(&list[i], &want)) {
			found++;
			id = list[i].id;
		}
	if (found > 1)
		fe_error("%zu forwards listen on host port %s: give the one to "
			 "remove as PROTO:HOST_ADDR:PORT or by its id (see 'hckns "
			 "fwd list')", found, what);
	for (size_t i = 0; is_num && found == 0 && i < n; i++) {
		if (list[i].id == (int)num) {
			found = 1;
			id = (int)num;
		}
	}
	free(list);
	if (found == 0)
		fe_error("no forward %s '%s' (see 'hckns fwd list')",
			 is_num ? "has the host port or id" : "matches", what);
	return found == 1 ? id : -1;
}

static int fwd_rm(const char *sock, const char *guest, const char *what,
		  bool json)
{
	char why[FE_FWD_ERR_MAX];
	int id = fwd_pick(sock, guest, what);

	if (id < 0)
		return FE_EXIT_FAILURE;
	if (fe_api_remove(sock, (int)id, why, sizeof(why)) < 0) {
		fe_error("cannot remove forward %d: %s", id, why);
		return FE_EXIT_FAILURE;
	}
	if (json)
		printf("{\"removed\":%d}\n", id);
	else
		printf("removed forward %d\n", id);
	return 0;
}

static int fwd_add(const struct fe_instance *in, const char *sock,
		   const char *guest, const char *spec, bool json)
{
	char ferr[FE_FWD_ERR_MAX];
	struct fe_km_info info;
	struct fe_fwd f;

	if (fe_fwd_parse(spec, guest, &f, ferr, sizeof(ferr)) < 0) {
		fe_error("%s", ferr);
		return FE_EXIT_FAILURE;
	}
	if (fe_instance_query(in->dir, &info) < 0) {
		fe_error("instance '%s' is ending", in->name);
		return FE_EXIT_FAILURE;
	}
	if (fe_fwd_check_reachable(&f, info.flags & FE_KEEPER_F_HOST_LOOPBACK,
				   ferr, sizeof(ferr)) < 0 ||
	    fe_api_add(sock, &f, ferr, sizeof(ferr)) < 0) {
		fe_error("cannot add forward '%s': %s", spec, ferr);
		return FE_EXIT_FAILURE;
	}
	print_fwd("added forward ", &f, json);
	return 0;
}

/* The instance @sel names (NULL: the only one), in @in; -1 when said why. */
static int fwd_instance(const char *sel, struct fe_instance *in)
{
	char why[PATH_MAX + 256];
	struct fe_base base;
	int r;

	/* Inside an instance, the one it runs in. */
	if (!sel)
		sel = getenv("HCKNS_INSTANCE");
	r = fe_base_open(getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), getuid(),
			 /* create= */ false, &base, why, sizeof(why));
	if (r == -ENOENT)
		snprintf(why, sizeof(why), "no hckns instance of yours is "
			 "running (looked in %s)", base.path);
	if (r == 0) {
		r = fe_instance_find(&base, sel, in, why, sizeof(why));
		fe_base_close(&base);
	}
	if (r < 0) {
		fe_error("%s", why);
		return -1;
	}
	return 0;
}

/* Forwards lead to the instance's uplink, whatever its topology. */
static void fwd_guest_addr(const struct fe_instance *in, char *guest,
			   size_t len)
{
	struct fe_opts o = { .mtu = FE_MTU_DEFAULT };
	struct fe_topology t;

	if (fe_netinfo_guest_addr(in->dir, guest, len) >= 0)
		return;
	fe_topology_build(&o, &t, NULL, 0);
	snprintf(guest, len, "%s", fe_topology_guest_addr(&t));
	fe_trace("instance %s: no %s, forwards lead to %s", in->name,
		 FE_GUEST_ADDR_FILE, guest);
}

int fe_cmd_fwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "instance", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sel = NULL, *verb, *arg = NULL;
	char sock[PATH_MAX + 16];
	char guest[INET_ADDRSTRLEN];
	struct fe_instance in;
	bool json = false, is_add, is_list, is_rm;
	int c;

	opterr = 0;
	optind = 0;
	/* Options anywhere: `hckns fwd list --json` reads naturally. */
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			sel = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			fe_verbose = true;
			break;
		case 'h':
			fputs(fwd_usage, stdout);
			return 0;
		case ':':
			fe_error("option '%s' needs a value; see 'hckns fwd --help'",
				 argv[optind - 1]);
			return FE_EXIT_FAILURE;
		default:
			fe_error("unknown option '%s'; see 'hckns fwd --help'",
				 argv[optind - 1]);
			return FE_EXIT_FAILURE;
		}
	}
	verb = optind < argc ? argv[optind++] : NULL;
	is_add = verb && strcmp(verb, "add") == 0;
	is_list = verb && (strcmp(verb, "list") == 0 || strcmp(verb, "ls") == 0);
	is_rm = verb && strcmp(verb, "rm") == 0;
	if (is_add || is_rm)
		arg = optind < argc ? argv[optind++] : NULL;
	if (!(is_add || is_list || is_rm) || (!is_list && !arg) ||
	    optind < argc) {
		fe_error("usage: hckns fwd add SPEC | list | rm PORT|ID|SPEC "
			 "[--instance NAME|PID|DIR] [--json]; see 'hckns fwd "
			 "--help'");
		return FE_EXIT_FAILURE;
	}
	if (fwd_instance(sel, &in) < 0)
		return FE_EXIT_FAILURE;
	snprintf(sock, sizeof(sock), "%s/%s", in.dir, FE_API_SOCK);
	fe_trace("instance %s: %s", in.name, sock);
	fwd_guest_addr(&in, guest, sizeof(guest));
	if (is_list)
		return fwd_list(sock, json);
	if (is_rm)
		return fwd_rm(sock, guest, arg, json);
	return fwd_add(&in, sock, guest, arg, json);
}
