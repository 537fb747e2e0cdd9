/* SPDX-License-Identifier: MIT */
/* What a runtime directory says of its network, for joiners and `hckns fwd` (netinfo.c). */
#ifndef HCKNS_COMMON_NETINFO_H
#define HCKNS_COMMON_NETINFO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/opts.h"
#include "model/topology.h"

/* In the runtime directory: the uplink's address, for `hckns fwd`, joiners. */
#define FE_GUEST_ADDR_FILE "guest-addr"

/* Write @t's guest address into @rundir (a new file).  Return: 0 or -errno. */
int fe_netinfo_save(const char *rundir, const struct fe_topology *t);
/*
 * fe_netinfo_guest_addr() - the guest address of the instance in @rundir.
 * Return: 0; -ENOENT (an instance that wrote none), -EBADMSG, -errno.
 */
int fe_netinfo_guest_addr(const char *rundir, char *out, size_t len);

/* The instance's network options (fe_network_describe()), for joiners. */
#define FE_OPTIONS_FILE "options"
int fe_netinfo_save_options(const char *rundir, const struct fe_opts *o);
/* Read them into @out (NUL-terminated).  Return: 0 or -errno. */
int fe_netinfo_options(const char *rundir, char *out, size_t len);

#endif
