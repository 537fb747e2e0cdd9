/* SPDX-License-Identifier: MIT */
/*
 * hckns: --map-subids and --map-root=subids, the caller's
 * subordinate ids.
 *
 * subids.c  pure: the lines of /etc/subuid and /etc/subgid, the checks of a
 *           range, the maps hckns writes and the argv of newuidmap and
 *           newgidmap; unit-tested (tests/unit/test_subids.c);
 * idmap.c   the rest: reading the files, finding the tools, running them
 *           (fe_idmap_subids() and fe_idmap_write_subids() in
 *           frontend/helper_client.h).
 *
 * With --map-subids, inside the new user namespace id 0 is the caller's
 * uid (gid) and ids 1..COUNT are the caller's first subordinate range
 * START..START+COUNT-1 outside:
 *
 *     0 UID 1
 *     1 START COUNT
 *
 * An unprivileged caller cannot write such a map: the distribution's
 * setuid newuidmap and newgidmap (package uidmap) write it after checking
 * /etc/subuid and /etc/subgid themselves, and leave setgroups(2) allowed
 * for a delegated gid range.  Root may write any map and writes the same
 * two lines itself, from root's own ranges in the same files.  The first
 * line maps one id only, so the map is never the identity of the initial
 * user namespace, which the helper refuses to run in.
 *
 * With --map-root=subids, the caller's own uid (gid) is not mapped at all:
 * root inside is the range's first id, the rest follow:
 *
 *     0 START COUNT
 *
 * For root, this is the point: the command and the helper are not host
 * root (SECURITY.md, "Root's instance").  The range must not contain the
 * caller's own id, so host uid 0 never appears inside.  Root writes the
 * map itself; for anyone else hckns refuses the option (main.c): their
 * instance's root is never host root, and slirp4netns --enable-sandbox,
 * run by them, takes uid 0 of the instance to bind its API socket in
 * their private runtime directory, which a subordinate id may not enter.
 */
#ifndef HCKNS_MODEL_SUBIDS_H
#define HCKNS_MODEL_SUBIDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A subordinate id range of /etc/subuid or /etc/subgid (subids.h). */
struct fe_subid_range {
	uint32_t start;
	uint32_t count;
};

#define FE_SUBUID_FILE "/etc/subuid"
#define FE_SUBGID_FILE "/etc/subgid"
/* The largest id; (uid_t)-1 is "no id" to the kernel. */
#define FE_ID_MAX 4294967294u
/* A suggestion for usermod when no range is delegated (shadow's default). */
/* Where shadow's useradd starts giving ranges, and how many ids (login.defs). */
#define FE_SUBID_FIRST 100000u
#define FE_SUBID_COUNT 65536u

/**
 * fe_subid_line() - look at one line of /etc/subuid or /etc/subgid.
 * @line: the line, with or without its newline.
 * @name: the user's name, or NULL when the user has none.
 * @id: the user's uid: subuid(5) names the owner by name or by uid.
 * @out: receives the range when the line is the user's.
 *
 * The format is OWNER:START:COUNT, START and COUNT in decimal.
 * Return: 1 when the line is a well-formed range of this user; 0 when it is
 * another user's, empty or a comment; -EINVAL when it is malformed (shadow
 * skips those too).
 */
int fe_subid_line(const char *line, const char *name, uint32_t id,
		  struct fe_subid_range *out);

/**
 * fe_subid_find() - the user's first range in a stream of such lines.
 * Return: 0 with @out set; -ENOENT when the user has none; -EIO on a read
 * error.
 */
int fe_subid_find(FILE *f, const char *name, uint32_t id,
		  struct fe_subid_range *out);

/**
 * fe_subid_end() - raise *@end to the end (START+COUNT) of every
 * well-formed line of a stream, whoever it is for: past it, a new range
 * overlaps nobody's in that file.
 * Return: 0, or -EIO on a read error.
 */
int fe_subid_end(FILE *f, uint64_t *end);

/**
 * fe_subid_propose() - a range of FE_SUBID_COUNT ids for usermod that
 * starts at @end (fe_subid_end() of both files), FE_SUBID_FIRST at the
 * earliest.
 * Return: 0, or -ENOSPC when it would go past FE_ID_MAX.
 */
int fe_subid_propose(uint64_t end, struct fe_subid_range *out);

/**
 * fe_subid_files_end() - fe_subid_end() of /etc/subuid and /etc/subgid
 * both (a missing file has no range): past it, a new range overlaps none.
 * Return: 0, or -errno when a file cannot be read.
 */
int fe_subid_files_end(uint64_t *end);

/**
 * fe_subid_check() - can @r be mapped beside @own?  The range must not be
 * empty, must end at FE_ID_MAX at the latest, and must not contain @own:
 * with --map-subids (@own_mapped) @own is 0 inside and the kernel refuses
 * overlapping maps; with --map-root=subids @own must stay unmapped.
 * @kind: "uid" or "gid", for the reason.
 * Return: 0, or -EINVAL with a reason ("it contains ...") in @why.
 */
int fe_subid_check(const struct fe_subid_range *r, uint32_t own,
		   bool own_mapped, const char *kind, char *why,
		   size_t whylen);

/**
 * fe_idmap_text() - the uid_map or gid_map hckns writes itself.
 * @r: the subordinate range, or NULL for the single line "0 OWN 1".
 * Return: 0, or -ENOSPC.
 */
int fe_idmap_text(uint32_t own, const struct fe_subid_range *r, char *buf,
		  size_t len);

/**
 * fe_idmap_root_text() - the map of --map-root=subids: "0 START COUNT".
 * Return: 0, or -ENOSPC.
 */
int fe_idmap_root_text(const struct fe_subid_range *r, char *buf, size_t len);

/* The argv of newuidmap or newgidmap, and the numbers it points into. */
struct fe_idmap_argv {
	char *argv[9];
	char num[6][16];
};

/**
 * fe_idmap_argv() - TOOL PID 0 OWN 1 1 START COUNT: map @own to 0 and @r to
 * 1..COUNT in the user namespace of @pid.  @tool is kept, not copied.
 */
void fe_idmap_argv(struct fe_idmap_argv *a, const char *tool, pid_t pid,
		   uint32_t own, const struct fe_subid_range *r);

/**
 * fe_one_line() - @n bytes of a program's output as one line of printable
 * ASCII: lines joined with "; ", blanks trimmed, other bytes as '?', cut
 * (with "...") to fit @len.
 */
void fe_one_line(const char *in, size_t n, char *out, size_t len);

#endif
