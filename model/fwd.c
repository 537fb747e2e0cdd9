// SPDX-License-Identifier: MIT
/*
 * Port forward specs: [tcp:|udp:][HOST_ADDR:]HOST_PORT[:[GUEST_ADDR:]GUEST_PORT].
 *
 * A spec comes from the command line (-p, `hckns fwd add`), so a refusal
 * says what was wrong and what is expected, in one line that quotes the
 * spec.  The rules a forward must follow live in fe_fwd_set(), which the
 * control protocol uses too.
 */
#include "model/fwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The most ':'-separated fields a spec can have, plus one to notice more. */
#define MAX_FIELDS 6
/*
 * How much of a spec, and of one of its fields, a reason quotes before
 * "...": with every byte escaped (4 bytes each), a reason stays within
 * FE_FWD_ERR_MAX (at most 17 + 195 + 3 + 57 + 99 + 57 bytes).
 */
#define QUOTE_MAX 48
#define QUOTE_FIELD 24
/* Room for a quote: every byte escaped, "...", NUL. */
#define QUOTE_ROOM(n) ((n) * 4 + 4)

struct field {
	const char *s;
	size_t len;
};

/*
 * Quote @len bytes of @s for a one-line message: printable ASCII as is,
 * other bytes as \xNN, at most @max bytes of @s and then "...".
 */
static void quote(const char *s, size_t len, size_t max, char *out,
		  size_t outlen)
{
	size_t o = 0, i;

	if (outlen == 0)
		return;
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[5];
		size_t n = 1;

		if (c >= 0x20 && c < 0x7f)
			tmp[0] = (char)c;
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		if (o + n >= outlen)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (i < len && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* An address from the caller, perhaps NULL, quoted as a field. */
static void quote_str(const char *s, char *out, size_t outlen)
{
	quote(s ? s : "", s ? strlen(s) : 0, QUOTE_FIELD, out, outlen);
}

const char *fe_fwd_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return NULL;
	}
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;

	return s && inet_pton(AF_INET, s, &a) == 1;
}

int fe_fwd_set(struct fe_fwd *f, int proto, const char *host_addr,
	       long long host_port, const char *guest_addr,
	       long long guest_port, char *err, size_t errlen)
{
	char q[QUOTE_ROOM(QUOTE_FIELD)];

	if (errlen)
		err[0] = '\0';
	if (!fe_fwd_proto_name(proto)) {
		snprintf(err, errlen, "unknown protocol %d (tcp or udp)", proto);
		return -EINVAL;
	}
	if (!is_ipv4(host_addr)) {
		quote_str(host_addr, q, sizeof(q));
		snprintf(err, errlen, "host address '%s' is not an IPv4 "
			 "address such as 127.0.0.1", q);
		return -EINVAL;
	}
	if (host_port < 1 || host_port > 65535) {
		snprintf(err, errlen, "host port %lld is out of range (1..65535)",
			 host_port);
		return -EINVAL;
	}
	if (!is_ipv4(guest_addr)) {
		quote_str(guest_addr, q, sizeof(q));
		snprintf(err, errlen, "guest address '%s' is not an IPv4 "
			 "address such as 10.0.2.100", q);
		return -EINVAL;
	}
	if (guest_port < 1 || guest_port > 65535) {
		snprintf(err, errlen, "guest port %lld is out of range "
			 "(1..65535)", guest_port);
		return -EINVAL;
	}
	/* inet_pton() took both, so they are dotted quads that fit. */
	*f = (struct fe_fwd){
		.proto = proto,
		.host_port = (uint16_t)host_port,
		.guest_port = (uint16_t)guest_port,
	};
	snprintf(f->host_addr, sizeof(f->host_addr), "%s", host_addr);
	snprintf(f->guest_addr, sizeof(f->guest_addr), "%s", guest_addr);
	return 0;
}

/*
 * A port field: decimal digits only.  Return: the value (saturated at
 * 1000000, out of range either way), or -1 when it is not a number.
 */
static long parse_port(const struct field *p)
{
	long v = 0;

	if (p->len == 0)
		return -1;
	for (size_t i = 0; i < p->len; i++) {
		if (p->s[i] < '0' || p->s[i] > '9')
			return -1;
		v = v * 10 + (p->s[i] - '0');
		if (v > 1000000)
			v = 1000000;
	}
	return v;
}

/* Check a port field; on failure, say why in @why. */
static int check_port(const struct field *p, const char *which, long *out,
		      char *why, size_t whylen)
{
	char q[QUOTE_ROOM(QUOTE_FIELD)];

	quote(p->s, p->len, QUOTE_FIELD, q, sizeof(q));
	*out = parse_port(p);
	if (*out < 0) {
		snprintf(why, whylen, "%s port '%s' is not a decimal number",
			 which, q);
		return -EINVAL;
	}
	if (*out < 1 || *out > 65535) {
		snprintf(why, whylen, "%s port %s is out of range (1..65535)",
			 which, q);
		return -EINVAL;
	}
	return 0;
}

static bool field_is(const struct field *p, const char *s)
{
	return p->len == strlen(s) && memcmp(p->s, s, p->len) == 0;
}

static bool field_has(const struct field *p, char c)
{
	return memchr(p->s, c, p->len) != NULL;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Whether @spec seems to hold an IPv6 address ("[::1]:80", "::1:80",
 * "fe80::1:80"), to say so rather than something confusing.  "tcp::80" is
 * an empty field, not IPv6.
 */
static bool looks_ipv6(const char *spec)
{
	size_t colons = 0;

	if (strncmp(spec, "tcp:", 4) == 0 || strncmp(spec, "udp:", 4) == 0)
		spec += 4;
	if (strchr(spec, '['))
		return true;
	for (const char *c = spec; *c; c++)
		colons += *c == ':';
	return colons >= 3 && strstr(spec, "::") != NULL;
}

/* Field @p, the @which ("host", "guest") address, into @out. */
static int copy_addr(const struct field *p, const char *which,
		     char out[INET_ADDRSTRLEN], char *why, size_t whylen)
{
	char q[QUOTE_ROOM(QUOTE_FIELD)];

	if (p->len >= INET_ADDRSTRLEN || !field_has(p, '.')) {
		quote(p->s, p->len, QUOTE_FIELD, q, sizeof(q));
		snprintf(why, whylen, "%s address '%s' is not an IPv4 address "
			 "such as %s", which, q,
			 strcmp(which, "host") == 0 ? "127.0.0.1" : "10.0.2.15");
		return -EINVAL;
	}
	memcpy(out, p->s, p->len);
	out[p->len] = '\0';
	return 0;
}

/* Split @spec at ':' into @fl; MAX_FIELDS means "that many or more". */
static size_t split_fields(const char *spec, struct field fl[MAX_FIELDS])
{
	const char *s = spec;
	size_t n = 0;

	for (;;) {
		const char *colon = strchr(s, ':');

		fl[n].s = s;
		fl[n].len = colon ? (size_t)(colon - s) : strlen(s);
		n++;
		if (!colon || n == MAX_FIELDS)
			break;
		s = colon + 1;
	}
	return n;
}

/*
 * The protocol in @proto: the first of the @n fields at @p when it is tcp
 * or udp, else TCP.  Return: how many fields it took (0 or 1), or -EINVAL
 * for a word that is neither a protocol nor an address.
 */
static int take_proto(const struct field *p, size_t n, int *proto,
		      char *why, size_t whylen)
{
	char q[QUOTE_ROOM(QUOTE_FIELD)];

	*proto = IPPROTO_TCP;
	if (field_is(p, "tcp") || field_is(p, "udp")) {
		*proto = field_is(p, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
		return 1;
	}
	if (n > 1 && p->len > 0 && is_alpha(p->s[0]) && !field_has(p, '.')) {
		quote(p->s, p->len, QUOTE_FIELD, q, sizeof(q));
		snprintf(why, whylen, "'%s' is neither a protocol (tcp or udp) "
			 "nor an IPv4 address", q);
		return -EINVAL;
	}
	return 0;
}

/* The @rest fields at @p, after the protocol: 1 to 4, none empty. */
static int check_fields(const struct field *p, size_t rest, char *why,
			size_t whylen)
{
	if (rest == 0) {
		snprintf(why, whylen, "no host port");
		return -EINVAL;
	}
	if (rest > 4) {
		snprintf(why, whylen, "too many ':'-separated fields");
		return -EINVAL;
	}
	for (size_t i = 0; i < rest; i++) {
		if (p[i].len == 0) {
			snprintf(why, whylen, "a field is empty (a ':' at an "
				 "end, or two in a row)");
			return -EINVAL;
		}
	}
	return 0;
}

/* Which field is which; NULL for an address not given. */
struct roles {
	const struct field *addr, *hp, *gaddr, *gp;
};

/*
 * The roles of the @rest fields at @p.  An address has a dot, a port has
 * none:
 *   PORT | ADDR:PORT | PORT:PORT | ADDR:PORT:PORT | PORT:ADDR:PORT |
 *   ADDR:PORT:ADDR:PORT
 */
static int assign_roles(const struct field *p, size_t rest, struct roles *r,
			char *why, size_t whylen)
{
	char q[QUOTE_ROOM(QUOTE_FIELD)];

	*r = (struct roles){ 0 };
	switch (rest) {
	case 1:
		if (field_has(p, '.')) {
			quote(p->s, p->len, QUOTE_FIELD, q, sizeof(q));
			snprintf(why, whylen, "no host port after the address "
				 "'%s'", q);
			return -EINVAL;
		}
		r->hp = r->gp = p;
		break;
	case 2:
		if (field_has(p, '.')) {
			r->addr = p;
			r->hp = r->gp = p + 1;
		} else {
			r->hp = p;
			r->gp = p + 1;
		}
		break;
	case 3:
		if (field_has(p, '.')) {
			r->addr = p;
			r->hp = p + 1;
		} else {
			r->hp = p;
			r->gaddr = p + 1;
		}
		r->gp = p + 2;
		break;
	default:
		r->addr = p;
		r->hp = p + 1;
		r->gaddr = p + 2;
		r->gp = p + 3;
		break;
	}
	return 0;
}

/* Parse @spec; on failure, the reason without a prefix in @why. */
static int parse(const char *spec, const char *guest_addr, struct fe_fwd *f,
		 char *why, size_t whylen)
{
	struct field fl[MAX_FIELDS];
	struct roles r;
	char host_addr[INET_ADDRSTRLEN] = FE_FWD_HOST_ADDR;
	char guest[INET_ADDRSTRLEN];
	int proto, took;
	size_t n, rest;
	long hport, gport;

	if (*spec == '\0') {
		snprintf(why, whylen, "it is empty");
		return -EINVAL;
	}
	if (looks_ipv6(spec)) {
		snprintf(why, whylen, "IPv6 is not supported (slirp4netns "
			 "forwards IPv4 only)");
		return -EINVAL;
	}
	n = split_fields(spec, fl);
	took = take_proto(fl, n, &proto, why, whylen);
	if (took < 0)
		return -EINVAL;
	rest = n - (size_t)took;
	if (check_fields(fl + took, rest, why, whylen) < 0 ||
	    assign_roles(fl + took, rest, &r, why, whylen) < 0)
		return -EINVAL;
	if (r.addr && copy_addr(r.addr, "host", host_addr, why, whylen) < 0)
		return -EINVAL;
	if (r.gaddr) {
		if (copy_addr(r.gaddr, "guest", guest, why, whylen) < 0)
			return -EINVAL;
		guest_addr = guest;
	}
	if (check_port(r.hp, "host", &hport, why, whylen) < 0)
		return -EINVAL;
	gport = hport;
	if (r.gp != r.hp && check_port(r.gp, "guest", &gport, why, whylen) < 0)
		return -EINVAL;
	return fe_fwd_set(f, proto, host_addr, hport, guest_addr, gport, why,
			  whylen);
}

int fe_fwd_parse(const char *spec, const char *guest_addr, struct fe_fwd *f,
		 char *err, size_t errlen)
{
	char why[FE_FWD_ERR_MAX], q[QUOTE_ROOM(QUOTE_MAX)];
	int r;

	if (errlen)
		err[0] = '\0';
	why[0] = '\0';
	r = parse(spec ? spec : "", guest_addr, f, why, sizeof(why));
	if (r == 0)
		return 0;
	quote(spec ? spec : "", spec ? strlen(spec) : 0, QUOTE_MAX, q,
	      sizeof(q));
	snprintf(err, errlen, "invalid forward '%s': %s; expected %s", q, why,
		 FE_FWD_SYNTAX);
	return r;
}

int fe_fwd_format(const struct fe_fwd *f, char *buf, size_t len)
{
	const char *proto = fe_fwd_proto_name(f->proto);
	int r;

	if (!proto)
		return -EINVAL;
	r = snprintf(buf, len, "%s:%s:%u:%s:%u", proto, f->host_addr,
		     f->host_port, f->guest_addr, f->guest_port);
	return r < 0 || (size_t)r >= len ? -ENOSPC : r;
}

bool fe_fwd_match(const struct fe_fwd *a, const struct fe_fwd *b)
{
	struct in_addr x, y;

	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	if (inet_pton(AF_INET, a->host_addr, &x) == 1 &&
	    inet_pton(AF_INET, b->host_addr, &y) == 1)
		return x.s_addr == y.s_addr;
	return strcmp(a->host_addr, b->host_addr) == 0;
}

int fe_fwd_check_reachable(const struct fe_fwd *f, bool host_loopback,
			   char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (f->proto != IPPROTO_UDP || host_loopback ||
	    strncmp(f->host_addr, "127.", 4) != 0)
		return 0;
	snprintf(err, errlen, "a UDP forward on the host's loopback (%s) gets "
		 "no replies unless the instance runs with --host-loopback "
		 "(slirp4netns drops replies to 10.0.2.2 otherwise); start it "
		 "with --host-loopback, or listen on another host address",
		 f->host_addr);
	return -EINVAL;
}
