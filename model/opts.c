// SPDX-License-Identifier: MIT
/* Command-line parsing of the front end. */
#include "model/opts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_HOST_LOOPBACK = 0x100,
	OPT_MTU,
	OPT_STATUS_FD,
	OPT_CONTROL_FD,
	OPT_NAME,
	OPT_MAP_SUBIDS,
	OPT_BRIDGE,
	OPT_NO_DEFAULT_BRIDGES,
	OPT_UPLINK,
	OPT_CIDR,
	OPT_DNS,
	OPT_IPV6,
	OPT_TXQUEUELEN,
	OPT_MAP_ROOT,
	OPT_DETACH,
	OPT__END,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "host-loopback", no_argument, NULL, OPT_HOST_LOOPBACK },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "publish", required_argument, NULL, 'p' },
	{ "status-fd", required_argument, NULL, OPT_STATUS_FD },
	{ "control-fd", required_argument, NULL, OPT_CONTROL_FD },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "map-subids", no_argument, NULL, OPT_MAP_SUBIDS },
	{ "bridge", required_argument, NULL, OPT_BRIDGE },
	{ "no-default-bridges", no_argument, NULL, OPT_NO_DEFAULT_BRIDGES },
	{ "uplink", required_argument, NULL, OPT_UPLINK },
	{ "cidr", required_argument, NULL, OPT_CIDR },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "ipv6", no_argument, NULL, OPT_IPV6 },
	{ "txqueuelen", required_argument, NULL, OPT_TXQUEUELEN },
	{ "map-root", required_argument, NULL, OPT_MAP_ROOT },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ NULL, 0, NULL, 0 },
};

int fe_parse_uint(const char *s, unsigned int min, unsigned int max,
		  unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

const char *fe_name_check(const char *name)
{
	size_t n = strlen(name), digits = 0;

	if (n == 0)
		return "a name may not be empty";
	if (n > FE_NAME_MAX)
		return "a name has at most 32 characters";
	if (name[0] == '.' || name[0] == '-')
		return "a name may not start with '.' or '-'";
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			digits++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   c == '_' || c == '.' || c == '-'))
			return "a name has only letters, digits, '_', '.' and '-'";
	}
	if (digits == n)
		return "a name may not be all digits (those name the instances "
		       "started without --name)";
	return NULL;
}

/* A descriptor number given on the command line: 0..INT_MAX-ish. */
static int parse_fd(const char *s, int *fd)
{
	unsigned int v;

	if (fe_parse_uint(s, 0, 1u << 20, &v) < 0)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

/* "IN" or "IN,OUT"; one descriptor serves both ways when alone. */
static int parse_control_fd(const char *s, int *in, int *out)
{
	const char *comma = strchr(s, ',');
	char first[16];

	if (!comma)
		return parse_fd(s, in) < 0 ? -EINVAL : (*out = *in, 0);
	if ((size_t)(comma - s) >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, (size_t)(comma - s));
	first[comma - s] = '\0';
	if (parse_fd(first, in) < 0 || parse_fd(comma + 1, out) < 0)
		return -EINVAL;
	return 0;
}

static bool env_true(const char *v)
{
	return v && *v && strcmp(v, "0") != 0 && strcmp(v, "no") != 0 &&
	       strcmp(v, "false") != 0;
}

bool fe_env_verbose(const char *v)
{
	return env_true(v);
}

int fe_opts_status_fd(int argc, char **argv)
{
	int c, fd = -1;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:hVvp:", long_opts, NULL)) != -1)
		if (c == OPT_STATUS_FD && parse_fd(optarg, &fd) < 0)
			fd = -1;
	return fd;
}

/*
 * An option that takes one value may be given once, or again with the same
 * value (a wrapper that repeats the caller's options); two different
 * values are an error, never "the last one wins" unnoticed.
 */
static bool once(const char **seen, int c, const char *name, const char *val,
		 char *err, size_t errlen)
{
	if (seen[c] && strcmp(seen[c], val) != 0) {
		snprintf(err, errlen, "%s given twice ('%.40s' and '%.40s'): give "
			 "it once", name, seen[c], val);
		return false;
	}
	seen[c] = val;
	return true;
}

/* The single-valued options, by getopt code. */
static const char *single_name(int c)
{
	switch (c) {
	case OPT_MTU: return "--mtu";
	case OPT_STATUS_FD: return "--status-fd";
	case OPT_CONTROL_FD: return "--control-fd";
	case OPT_NAME: return "--name";
	case OPT_UPLINK: return "--uplink";
	case OPT_CIDR: return "--cidr";
	case OPT_DNS: return "--dns";
	case OPT_TXQUEUELEN: return "--txqueuelen";
	case OPT_MAP_ROOT: return "--map-root";
	default: return NULL;
	}
}

/* The options that only switch something on. */
static void set_flag(struct fe_opts *o, int c)
{
	switch (c) {
	case 'h':
		o->help = true;
		break;
	case 'V':
		o->version = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case OPT_HOST_LOOPBACK:
		o->host_loopback = true;
		break;
	case OPT_MAP_SUBIDS:
		o->map_subids = true;
		break;
	case OPT_DETACH:
		o->detach = true;
		break;
	case OPT_NO_DEFAULT_BRIDGES:
		o->no_default_bridges = true;
		break;
	case OPT_IPV6:
		o->ipv6 = true;
		break;
	}
}

/* The options that take a number: a size or descriptors. */
static int set_number(struct fe_opts *o, int c, const char *val, char *err,
		      size_t errlen)
{
	switch (c) {
	case OPT_MTU:
		if (fe_parse_uint(val, FE_MTU_MIN, FE_MTU_MAX, &o->mtu) < 0) {
			snprintf(err, errlen, "invalid --mtu '%s': give a "
				 "number from %u to %u", val,
				 FE_MTU_MIN, FE_MTU_MAX);
			return -EINVAL;
		}
		break;
	case OPT_TXQUEUELEN:
		if (fe_parse_uint(val, 1, FE_TXQLEN_MAX, &o->txqueuelen) < 0) {
			snprintf(err, errlen, "invalid --txqueuelen '%s': "
				 "give a number from 1 to %u", val,
				 FE_TXQLEN_MAX);
			return -EINVAL;
		}
		break;
	case OPT_STATUS_FD:
		if (parse_fd(val, &o->status_fd) < 0) {
			snprintf(err, errlen, "invalid --status-fd '%s': "
				 "give a descriptor number", val);
			return -EINVAL;
		}
		break;
	case OPT_CONTROL_FD:
		if (parse_control_fd(val, &o->control_in,
				     &o->control_out) < 0) {
			snprintf(err, errlen, "invalid --control-fd '%s': "
				 "give FD or IN,OUT descriptor numbers", val);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

/* The options that may be given more than once, up to a bound. */
static int add_to_list(struct fe_opts *o, int c, const char *val, char *err,
		       size_t errlen)
{
	switch (c) {
	case 'p':
		if (o->npublish == FE_PUBLISH_MAX) {
			snprintf(err, errlen, "too many --publish "
				 "options (at most %d)", FE_PUBLISH_MAX);
			return -EINVAL;
		}
		o->publish[o->npublish++] = val;
		break;
	case OPT_BRIDGE:
		if (o->nbridges == FE_BRIDGE_MAX) {
			snprintf(err, errlen, "too many --bridge options "
				 "(at most %d)", FE_BRIDGE_MAX);
			return -EINVAL;
		}
		o->bridges[o->nbridges++] = val;
		break;
	}
	return 0;
}

/*
 * The options that take a word.  --uplink, --cidr and --dns are kept as
 * given, for the topology (topology.c) to parse.
 */
static int set_word(struct fe_opts *o, int c, const char *val, char *err,
		    size_t errlen)
{
	const char *why;

	switch (c) {
	case OPT_NAME:
		why = fe_name_check(val);
		if (why) {
			snprintf(err, errlen, "invalid --name '%.40s': %s",
				 val, why);
			return -EINVAL;
		}
		o->name = val;
		break;
	case OPT_MAP_ROOT:
		if (strcmp(val, "self") == 0) {
			o->map_root = FE_MAP_ROOT_SELF;
		} else if (strcmp(val, "subids") == 0) {
			o->map_root = FE_MAP_ROOT_SUBIDS;
		} else {
			snprintf(err, errlen, "invalid --map-root '%.40s': "
				 "give self (root inside is you, the "
				 "default) or subids (root inside is "
				 "your first subordinate id)", val);
			return -EINVAL;
		}
		break;
	case OPT_UPLINK:
		o->uplink = val;
		break;
	case OPT_CIDR:
		o->cidr = val;
		break;
	case OPT_DNS:
		o->dns = val;
		break;
	}
	return 0;
}

/* What getopt_long refused (@c ':' or '?'), said with the option's name. */
static void refused(char **argv, int c, char *err, size_t errlen)
{
	const char *arg = argv[optind - 1];
	const char *eq = strchr(arg, '=');
	int len = eq ? (int)(eq - arg) : (int)strlen(arg);

	if (c == ':')
		snprintf(err, errlen, "option '%s' needs a value; see "
			 "'hckns --help'", arg);
	/* getopt_long sets optopt for a known option only. */
	else if (strncmp(arg, "--", 2) == 0 && eq && optopt)
		snprintf(err, errlen, "option '%.*s' takes no "
			 "value; see 'hckns --help'", len, arg);
	else if (strncmp(arg, "--", 2) == 0)
		snprintf(err, errlen, "unknown option '%.*s'; see "
			 "'hckns --help'", len, arg);
	else
		snprintf(err, errlen, "unknown option '-%c'; see "
			 "'hckns --help'", optopt);
}

int fe_parse_opts(int argc, char **argv, const char *env_verbose,
		  struct fe_opts *o, char *err, size_t errlen)
{
	const char *seen[OPT__END] = { NULL };
	int c, rc;

	*o = (struct fe_opts){ .mtu = FE_MTU_DEFAULT, .status_fd = -1,
			       .control_in = -1, .control_out = -1 };
	o->verbose = env_true(env_verbose);
	err[0] = '\0';
	opterr = 0;
	optind = 0;	/* full re-initialisation: parse may run twice */
	/* '+': stop at the first non-option, it starts the command. */
	while ((c = getopt_long(argc, argv, "+:hVvp:", long_opts, NULL)) != -1) {
		if (c > 0 && c < OPT__END && single_name(c) &&
		    !once(seen, c, single_name(c), optarg, err, errlen))
			return -EINVAL;
		switch (c) {
		case 'h':
		case 'V':
		case 'v':
		case OPT_HOST_LOOPBACK:
		case OPT_MAP_SUBIDS:
		case OPT_DETACH:
		case OPT_NO_DEFAULT_BRIDGES:
		case OPT_IPV6:
			set_flag(o, c);
			rc = 0;
			break;
		case OPT_MTU:
		case OPT_TXQUEUELEN:
		case OPT_STATUS_FD:
		case OPT_CONTROL_FD:
			rc = set_number(o, c, optarg, err, errlen);
			break;
		case 'p':
		case OPT_BRIDGE:
			rc = add_to_list(o, c, optarg, err, errlen);
			break;
		case OPT_NAME:
		case OPT_MAP_ROOT:
		case OPT_UPLINK:
		case OPT_CIDR:
		case OPT_DNS:
			rc = set_word(o, c, optarg, err, errlen);
			break;
		case ':':
		case '?':
		default:
			refused(argv, c, err, errlen);
			rc = -EINVAL;
			break;
		}
		if (rc < 0)
			return rc;
	}
	/* Two answers to who ids 1.. are: one range cannot be both. */
	if (o->map_subids && o->map_root == FE_MAP_ROOT_SUBIDS) {
		snprintf(err, errlen, "--map-subids and --map-root=subids exclude "
			 "each other: --map-root=subids maps your whole "
			 "subordinate range already, from 0; give one of them");
		return -EINVAL;
	}
	if (optind < argc)
		o->argv = argv + optind;
	return 0;
}

bool fe_network_opts_given(const struct fe_opts *o)
{
	return o->host_loopback || o->map_subids || o->map_root ||
	       o->mtu != FE_MTU_DEFAULT ||
	       o->nbridges ||
	       o->no_default_bridges || o->uplink || o->cidr || o->dns ||
	       o->ipv6 || o->txqueuelen;
}

static uint32_t fnv(uint32_t h, const char *s)
{
	/* FNV-1a, with a separator so that "ab","c" differs from "a","bc". */
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

int fe_network_describe(const struct fe_opts *o, char *buf, size_t len)
{
	size_t used = 0;
	int n;

#define LINE(...) do {							\
		n = snprintf(buf + used, len - used, __VA_ARGS__);	\
		if (n < 0 || (size_t)n >= len - used)			\
			return -ENOSPC;					\
		used += (size_t)n;					\
	} while (0)
	buf[0] = '\0';
	LINE("--mtu %u\n", o->mtu);
	LINE("--txqueuelen %u\n", o->txqueuelen);
	LINE("--host-loopback %s\n", o->host_loopback ? "on" : "off");
	LINE("--map-subids %s\n", o->map_subids ? "on" : "off");
	LINE("--map-root %s\n", o->map_root == FE_MAP_ROOT_SUBIDS ? "subids"
								   : "self");
	LINE("--ipv6 %s\n", o->ipv6 ? "on" : "off");
	LINE("--no-default-bridges %s\n", o->no_default_bridges ? "on" : "off");
	LINE("--uplink %s\n", o->uplink ? o->uplink : "(default)");
	LINE("--cidr %s\n", o->cidr ? o->cidr : "(default)");
	LINE("--dns %s\n", o->dns ? o->dns : "(default)");
	LINE("--bridge");
	for (size_t i = 0; i < o->nbridges; i++)
		LINE(" %s", o->bridges[i]);
	LINE("%s\n", o->nbridges ? "" : " (none)");
#undef LINE
	return (int)used;
}

/* The first line of @a that differs from @b's, in @out; false if none. */
bool fe_network_differ(const char *a, const char *b, char *out, size_t len,
		       char *theirs, size_t tlen)
{
	while (*a || *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

		if (la != lb || strncmp(a, b, la) != 0) {
			snprintf(out, len, "%.*s", (int)la, a);
			snprintf(theirs, tlen, "%.*s", (int)lb, b);
			return true;
		}
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
	}
	return false;
}

int32_t fe_network_fingerprint(const struct fe_opts *o)
{
	char num[64];
	uint32_t h = 2166136261u;

	/* --map-root=self is the default: the same instance as none. */
	snprintf(num, sizeof(num), "%d %d %u %d %d %u %d", o->host_loopback,
		 o->map_subids, o->mtu, o->no_default_bridges, o->ipv6,
		 o->txqueuelen, o->map_root == FE_MAP_ROOT_SUBIDS);
	h = fnv(h, num);
	for (size_t i = 0; i < o->nbridges; i++)
		h = fnv(h, o->bridges[i]);
	h = fnv(h, o->uplink ? o->uplink : "-");
	h = fnv(h, o->cidr ? o->cidr : "-");
	h = fnv(h, o->dns ? o->dns : "-");
	return (int32_t)h;
}
