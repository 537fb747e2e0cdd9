// SPDX-License-Identifier: MIT
/*
 * The helper's fixed descriptors, which its system-call filter names by
 * number (helper/filter-gen.c builds the filter, helper/hckns-helper.c
 * loads it).
 */
#ifndef HCKNS_HELPER_FILTER_H
#define HCKNS_HELPER_FILTER_H

/* The socket to the front end (frontend/helper_client.c puts it there). */
#define SOCK_FD 3
/*
 * The netlink route socket: the first descriptor the helper opens after
 * closing everything above SOCK_FD (0-2 are always open; the front end
 * sets them), checked after nl_connect().
 */
#define NL_FD 4

#endif
