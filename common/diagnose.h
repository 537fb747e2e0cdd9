/* SPDX-License-Identifier: MIT */
/* Why a user namespace cannot be had, and where programs are (diagnose.c). */
#ifndef HCKNS_COMMON_DIAGNOSE_H
#define HCKNS_COMMON_DIAGNOSE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * fe_userns_advice() - why creating or using a user namespace failed, and
 * what to do, from the sysctls under @procroot ("/proc" outside tests).
 * Return: @buf.
 */
const char *fe_userns_advice(const char *procroot, int err, char *buf,
			     size_t len);

/* A small integer sysctl under @procroot/sys; -1 when absent or unreadable. */
long fe_read_sysctl(const char *procroot, const char *name);

/*
 * fe_find_helper() - where hckns-helper is for the front end at @exe:
 * next to it (the build tree), ../libexec/hckns/ relative to it (any
 * PREFIX or DESTDIR), then the LIBEXECDIR chosen at build time; never PATH.
 * Return: 0 with the path in @out, or -ENOENT.
 */
int fe_find_helper(const char *exe, char *out, size_t len);

/*
 * fe_find_in_path() - find @name in @path (a PATH list; NULL or empty:
 * /usr/local/bin:/usr/bin:/bin).  Empty and relative entries are skipped
 * (traced by -v), so @out is always an absolute path.
 * Return: 0, or -ENOENT/-EACCES.
 */
int fe_find_in_path(const char *name, const char *path, char *out, size_t len);

#endif
