/* SPDX-License-Identifier: MIT */
/* The command line (opts.c): pure. */
#ifndef HCKNS_MODEL_OPTS_H
#define HCKNS_MODEL_OPTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FE_MTU_DEFAULT 1500u
#define FE_MTU_MIN 576u		/* IPv4's minimum datagram every host takes */
#define FE_MTU_MAX 65521u	/* slirp4netns's maximum */

#define FE_PUBLISH_MAX 64
#define FE_BRIDGE_MAX 16
#define FE_NAME_MAX 32
#define FE_TXQLEN_MAX 1000000u

/* --map-root: who root inside is. */
enum fe_map_root {
	FE_MAP_ROOT_UNSET = 0,	/* not given: as FE_MAP_ROOT_SELF */
	FE_MAP_ROOT_SELF,	/* you (host root, for root) */
	FE_MAP_ROOT_SUBIDS,	/* your first subordinate id; you unmapped */
};

struct fe_opts {
	bool verbose;
	bool host_loopback;	/* let 10.0.2.2 reach the host's loopback */
	bool help;
	bool version;
	unsigned int mtu;
	const char *publish[FE_PUBLISH_MAX];	/* -p SPEC, unparsed */
	size_t npublish;
	int status_fd;		/* --status-fd, or -1 */
	int control_in;		/* --control-fd IN[,OUT], or -1 */
	int control_out;
	const char *name;	/* --name: a shared instance, or NULL */
	bool join_only;		/* `hckns enter NAME`: never create */
	bool detach;		/* --detach: return once ready, run on */
	bool map_subids;	/* --map-subids: newuidmap/newgidmap */
	enum fe_map_root map_root;	/* --map-root */
	/* The topology (topology.c), unparsed: */
	const char *bridges[FE_BRIDGE_MAX];	/* --bridge NAME[:ADDR/PREFIX] */
	size_t nbridges;
	bool no_default_bridges;	/* --no-default-bridges */
	const char *uplink;	/* --uplink BRIDGE, or NULL: the default's */
	const char *cidr;	/* --cidr A.B.C.D/N, or NULL: 10.0.2.0/24 */
	const char *dns;	/* --dns ADDR, or NULL: slirp's forwarder */
	bool ipv6;		/* --ipv6 */
	unsigned int txqueuelen;	/* --txqueuelen, 0: the kernel's */
	char **argv;		/* the command; NULL for the user's shell */
};

/*
 * fe_network_fingerprint() - a hash of the options that shape the instance
 * (topology, MTU, DNS, IPv6, host loopback, --map-subids, --map-root), so
 * that a joiner that gives some can be told when they are not the
 * instance's.
 * Return: the hash; fe_network_opts_given() says whether any was given.
 */
/**
 * fe_network_describe() - the options a joiner must match, one a line
 * ("--mtu 1500\n..."), in @buf.  Return: its length, or -ENOSPC.
 */
int fe_network_describe(const struct fe_opts *o, char *buf, size_t len);
/**
 * fe_network_differ() - the first line where descriptions @a and @b
 * differ: @a's in @out, @b's in @theirs.  Return: whether they differ.
 */
bool fe_network_differ(const char *a, const char *b, char *out, size_t len,
		       char *theirs, size_t tlen);
int32_t fe_network_fingerprint(const struct fe_opts *o);
bool fe_network_opts_given(const struct fe_opts *o);

/*
 * fe_name_check() - is @name a valid --name: 1..FE_NAME_MAX bytes of
 * [A-Za-z0-9_.-], not starting with '.' or '-', not all digits (those are
 * the names of unnamed instances, their front ends' pids).
 * Return: NULL when valid, else a static reason.
 */
const char *fe_name_check(const char *name);

/**
 * fe_parse_opts() - parse the command line (and HCKNS_VERBOSE).
 * @err: receives a one-line message on failure.
 *
 * Return: 0, or -EINVAL with @err set.  Pure but for getopt's state.
 */
int fe_parse_opts(int argc, char **argv, const char *env_verbose,
		  struct fe_opts *o, char *err, size_t errlen);

/*
 * fe_opts_status_fd() - the --status-fd of a command line that
 * fe_parse_opts() refused, so that the refusal still gets its "exited"
 * line.  Return: the descriptor, or -1.
 */
int fe_opts_status_fd(int argc, char **argv);
/* Is HCKNS_VERBOSE's value @v on ("", "0", "no" and "false" are off)? */
bool fe_env_verbose(const char *v);

/* Parse a decimal number in [min, max].  Return: 0 or -EINVAL/-ERANGE. */
int fe_parse_uint(const char *s, unsigned int min, unsigned int max,
		  unsigned int *out);

#endif
