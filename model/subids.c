// SPDX-License-Identifier: MIT
/*
 * --map-subids and --map-root=subids, the pure part: lines of /etc/subuid
 * and /etc/subgid, the checks of a range, a free range to propose, the
 * maps and the argv of newuidmap and newgidmap.
 * No system calls but reading a stream it is given.
 */
#include "model/subids.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number in [0, UINT32_MAX], digits only.  Return: 0 or -EINVAL. */
static int parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0)
		return -EINVAL;
	while (i + 1 < n && s[i] == '0')
		i++;
	/* cppcheck-suppress knownConditionTrueFalse ; no: the loop stops at 1-9 too */
	if (n - i > 10)
		return -EINVAL;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/*
 * One line's owner (its first @olen bytes) and range, whoever it is for.
 * Return: 1; 0 for an empty line or a comment; -EINVAL when malformed.
 */
static int split_line(const char *line, size_t *olen,
		      struct fe_subid_range *r)
{
	const char *c1, *c2, *end;

	end = line + strcspn(line, "\n");
	if (end == line || line[0] == '#')
		return 0;
	c1 = memchr(line, ':', (size_t)(end - line));
	if (!c1)
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2 || memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
		return -EINVAL;
	*olen = (size_t)(c1 - line);
	if (*olen == 0 ||
	    parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &r->start) < 0 ||
	    parse_u32(c2 + 1, (size_t)(end - c2 - 1), &r->count) < 0)
		return -EINVAL;
	return 1;
}

int fe_subid_line(const char *line, const char *name, uint32_t id,
		  struct fe_subid_range *out)
{
	struct fe_subid_range r;
	size_t olen = 0;
	uint32_t owner_id;
	bool ours;
	int e = split_line(line, &olen, &r);

	if (e <= 0)
		return e;
	/* The owner by name, or by uid in decimal (as shadow looks it up). */
	ours = (name && strlen(name) == olen && memcmp(line, name, olen) == 0) ||
	       (parse_u32(line, olen, &owner_id) == 0 && owner_id == id);
	if (!ours)
		return 0;
	*out = r;
	return 1;
}

int fe_subid_find(FILE *f, const char *name, uint32_t id,
		  struct fe_subid_range *out)
{
	char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;

	while (getline(&line, &cap, f) >= 0) {
		if (fe_subid_line(line, name, id, out) == 1) {
			r = 0;
			break;
		}
	}
	if (r == -ENOENT && ferror(f))
		r = -EIO;
	free(line);
	return r;
}

int fe_subid_end(FILE *f, uint64_t *end)
{
	struct fe_subid_range r;
	char *line = NULL;
	size_t cap = 0, olen;
	int e = 0;

	while (getline(&line, &cap, f) >= 0)
		if (split_line(line, &olen, &r) == 1 &&
		    (uint64_t)r.start + r.count > *end)
			*end = (uint64_t)r.start + r.count;
	if (ferror(f))
		e = -EIO;
	free(line);
	return e;
}

int fe_subid_propose(uint64_t end, struct fe_subid_range *out)
{
	uint64_t start = end > FE_SUBID_FIRST ? end : FE_SUBID_FIRST;

	if (start + FE_SUBID_COUNT - 1 > FE_ID_MAX)
		return -ENOSPC;
	out->start = (uint32_t)start;
	out->count = FE_SUBID_COUNT;
	return 0;
}

int fe_subid_check(const struct fe_subid_range *r, uint32_t own,
		   bool own_mapped, const char *kind, char *why,
		   size_t whylen)
{
	uint64_t last = (uint64_t)r->start + r->count - 1;

	if (r->count == 0) {
		snprintf(why, whylen, "it is empty");
		return -EINVAL;
	}
	/* Inside, the range becomes 1..count: both ends must be ids. */
	if (last > FE_ID_MAX || r->count > FE_ID_MAX) {
		snprintf(why, whylen, "it goes past the largest %s, %u", kind,
			 FE_ID_MAX);
		return -EINVAL;
	}
	if (own >= r->start && own <= last) {
		snprintf(why, whylen, "it contains your own %s %u, which %s",
			 kind, own, own_mapped ? "is mapped to 0" :
			 "--map-root=subids leaves unmapped");
		return -EINVAL;
	}
	return 0;
}

int fe_idmap_text(uint32_t own, const struct fe_subid_range *r, char *buf,
		  size_t len)
{
	int n;

	if (r)
		n = snprintf(buf, len, "0 %u 1\n1 %u %u\n", own, r->start,
			     r->count);
	else
		n = snprintf(buf, len, "0 %u 1\n", own);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int fe_idmap_root_text(const struct fe_subid_range *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "0 %u %u\n", r->start, r->count);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

void fe_idmap_argv(struct fe_idmap_argv *a, const char *tool, pid_t pid,
		   uint32_t own, const struct fe_subid_range *r)
{
	snprintf(a->num[0], sizeof(a->num[0]), "%d", (int)pid);
	snprintf(a->num[1], sizeof(a->num[1]), "%u", own);
	snprintf(a->num[2], sizeof(a->num[2]), "%u", r->start);
	snprintf(a->num[3], sizeof(a->num[3]), "%u", r->count);
	a->argv[0] = (char *)tool;
	a->argv[1] = a->num[0];
	a->argv[2] = (char *)"0";	/* inside: 0 ... */
	a->argv[3] = a->num[1];		/* ... is the caller's own id, */
	a->argv[4] = (char *)"1";	/* one id; */
	a->argv[5] = (char *)"1";	/* inside: 1 ... */
	a->argv[6] = a->num[2];		/* ... is the range's start, */
	a->argv[7] = a->num[3];		/* count ids */
	a->argv[8] = NULL;
}

void fe_one_line(const char *in, size_t n, char *out, size_t len)
{
	static const char more[] = "...";
	size_t o = 0, i = 0;
	bool cut = false;

	if (len == 0)
		return;
	/* Leading and trailing blanks (newlines too) are not part of it. */
	while (i < n && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' ||
			 in[i] == '\r'))
		i++;
	while (n > i && (in[n - 1] == ' ' || in[n - 1] == '\t' ||
			 in[n - 1] == '\n' || in[n - 1] == '\r'))
		n--;
	for (; i < n; i++) {
		char c = in[i];
		const char *s;
		char one[2] = { 0 };
		size_t sl;

		if (c == '\n') {
			/* One separator for a run of line ends. */
			while (i + 1 < n && (in[i + 1] == '\n' || in[i + 1] == '\r'))
				i++;
			s = "; ";
		} else if (c == '\r') {
			continue;
		} else {
			one[0] = (char)(c >= 0x20 && c < 0x7f ? c :
					c == '\t' ? ' ' : '?');
			s = one;
		}
		sl = strlen(s);
		if (o + sl >= len) {
			cut = true;
			break;
		}
		memcpy(out + o, s, sl);
		o += sl;
	}
	out[o] = '\0';
	if (cut && len > sizeof(more)) {
		if (o > len - sizeof(more))
			o = len - sizeof(more);
		memcpy(out + o, more, sizeof(more));
	}
}
