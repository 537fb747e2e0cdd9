/* SPDX-License-Identifier: MIT */
/* hckns front end: declarations shared by its files. */
#ifndef HCKNS_FE_H
#define HCKNS_FE_H

#include <stdarg.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hckns/proto.h"

/* Exit statuses (doc/design.md). */
#define FE_EXIT_FAILURE 125	/* hckns itself failed */
#define FE_EXIT_NOEXEC 126	/* command found but not executable */
#define FE_EXIT_NOTFOUND 127	/* command not found */

/* ---- util.c ---------------------------------------------------------- */

extern bool fe_verbose;
/* The last message of fe_error(), for the status fd's "exited" line. */
extern char fe_last_error[1024];

/* One line on stderr: "hckns: <message>". */
void fe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A trace line on stderr when verbose: "hckns: [  12.345 ms] <message>". */
void fe_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * fe_clone() - fork a child and get a pidfd of it.
 * @flags: extra clone3 flags: namespaces (CLONE_NEW*), CLONE_PARENT; where
 *         clone3 is missing, clone(2) takes them instead.
 * @pidfd: receives a pidfd (O_CLOEXEC) of the child in the parent.
 *
 * Return: as fork(2): the pid in the parent, 0 in the child, -errno.
 */
pid_t fe_clone(uint64_t flags, int *pidfd);

/*
 * fe_pidfd_wait() - waitid(2) on a pidfd (@options: WNOHANG, WNOWAIT...).
 * Return: a wait status as waitpid(2) gives it, -EAGAIN when WNOHANG found
 * it running, or -errno.
 */
int fe_pidfd_wait(int pidfd, int options);
/* pidfd_open(2): a pidfd of @pid, or -1 with errno. */
int fe_pidfd_open(pid_t pid);
/* Send @sig through a pidfd.  Return: 0, or -errno. */
int fe_pidfd_signal(int pidfd, int sig);
/* Return: 0, or -errno.  Retries EINTR and short writes. */
int fe_write_all(int fd, const void *buf, size_t len);
/* Write a whole small file (such as /proc/PID/uid_map).  Return 0 or -errno. */
int fe_write_file(const char *path, const char *text);
/* Remove a directory tree we own; does not follow symbolic links. */
int fe_rm_rf(const char *path);
/* The same for the entry @name of directory @dirfd, never through a link. */
int fe_rm_rf_at(int dirfd, const char *name);
/* Close every descriptor >= @from except those in @keep. */
void fe_close_from(int from, const int *keep, size_t nkeep);
/* Restore the default signal mask and dispositions (in a child). */
void fe_reset_signals(void);
/* "exited with status 3" / "killed by signal 9 (Killed)". */
void fe_describe_status(int wstatus, char *buf, size_t len);
/* Shell-style exit status: the status, or 128+N for a signal. */
int fe_exit_code(int wstatus);
/* Monotonic milliseconds since the first call. */
double fe_now_ms(void);

/* ---- helper_client.c --------------------------------------------------- */

struct fe_helper {
	pid_t pid;
	int pidfd;
	int sock;		/* SOCK_SEQPACKET to the helper */
	uint32_t seq;
	bool idmap_failed;	/* fe_helper_spawn() failed at the id maps */
};

/* A subordinate id range of /etc/subuid or /etc/subgid (subids.h). */
struct fe_subid_range {
	uint32_t start;
	uint32_t count;
};

#define FE_TOOL_PATH_MAX 4096

struct fe_idmap {
	uid_t outer_uid;	/* mapped to 0 inside */
	gid_t outer_gid;
	/*
	 * --map-subids (fe_idmap_subids()): ids 1..count inside are these
	 * ranges outside, written by newuidmap and newgidmap at these
	 * absolute paths, or by the front end itself when they are ""
	 * (root may write any map).
	 */
	bool subids;
	/*
	 * --map-root=subids: 0..count-1 inside are the ranges, and
	 * outer_uid/outer_gid are not mapped at all (subids is set too).
	 */
	bool root_subid;
	struct fe_subid_range uid_range, gid_range;
	char newuidmap[FE_TOOL_PATH_MAX];
	char newgidmap[FE_TOOL_PATH_MAX];
};

/**
 * fe_idmap_subids() - prepare @map for --map-subids (idmap.c): the
 * caller's first ranges in /etc/subuid and /etc/subgid, and (unless the
 * caller is root) the absolute paths of newuidmap and newgidmap found in
 * @path (a PATH list).
 * Return: 0, or -errno with a one-line message that says what to do in
 * @why.
 */
int fe_idmap_subids(struct fe_idmap *map, const char *path, char *why,
		    size_t whylen);

/**
 * fe_idmap_become_root() - in a process that just created or entered a
 * user namespace: become its uid and gid 0 when it is not already (with
 * --map-root=subids the caller's own ids are unmapped there), with no
 * supplementary groups.  Call it before PR_SET_PDEATHSIG, which a change
 * of ids clears.
 * Return: 0, or -errno.
 */
int fe_idmap_become_root(void);

/**
 * fe_idmap_write_subids() - write the maps of @map into the user namespace
 * of @pid: through newuidmap and newgidmap (each bounded in time, its
 * output in @why when it fails), or directly as root.  setgroups(2) stays
 * allowed.
 * Return: 0, or -errno with a one-line message in @why.
 */
int fe_idmap_write_subids(pid_t pid, const struct fe_idmap *map, char *why,
			  size_t whylen);

/**
 * fe_helper_spawn() - start hckns-helper in new user+net+mount namespaces.
 * @path: the helper executable (an absolute path).
 * @map: the id maps to write from outside.
 * @stderr_fd: the helper's stderr (its fatal messages), or -1 for /dev/null.
 *
 * The child becomes the first process of the namespaces; the front end
 * writes uid_map, setgroups ("deny") and gid_map, or has newuidmap and
 * newgidmap write the maps of @map->subids, then lets it exec the helper
 * with the socket on descriptor 3 and every other descriptor but 0-2
 * closed.
 *
 * Return: 0, or -errno with a one-line reason in @why; @h->idmap_failed
 * tells that the id maps failed, @why then says what to do.
 */
int fe_helper_spawn(struct fe_helper *h, const char *path,
		    const struct fe_idmap *map, int stderr_fd,
		    char *why, size_t whylen);

/* CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21): all the helper holds. */
#define FE_HELPER_CAPS ((1ull << 12) | (1ull << 21))

/**
 * fe_helper_status_check() - does @status, the text of the helper's
 * /proc/PID/status, show it confined: "Seccomp: 2" (its filter loaded),
 * "NoNewPrivs: 1", and CapEff and CapBnd exactly FE_HELPER_CAPS?
 * Return: NULL when it does, else @why saying the first field that differs.
 */
const char *fe_helper_status_check(const char *status, char *why, size_t len);

/**
 * fe_helper_check_confined() - fe_helper_status_check() of the running
 * helper @pid (an unreaped child, so the pid is still its).
 * Return: 0, or -errno (-EPERM: not confined) with a reason in @why.
 */
int fe_helper_check_confined(pid_t pid, char *why, size_t len);

/**
 * fe_helper_call() - send one request and wait for its answer.
 * @reason: receives the helper's reason on failure ("" on success).
 *
 * Return: 0 on success; the helper's error as -errno; -EPIPE when the helper
 * is gone; -EPROTO when the answer is malformed or does not match.
 */
int fe_helper_call(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen);
/* The two halves of fe_helper_call(), for a caller that waits in between. */
int fe_helper_send(struct fe_helper *h, uint16_t op, const void *payload,
		   size_t plen, char *reason, size_t rlen);
int fe_helper_recv(struct fe_helper *h, uint16_t op, char *reason,
		   size_t rlen);

/*
 * Close the socket (the helper exits on EOF) and reap the helper, killing it
 * after @timeout_ms.  Return: its wait status, or -errno.
 */
int fe_helper_close(struct fe_helper *h, int timeout_ms);

/* ---- opts.c ------------------------------------------------------------ */

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

/* ---- topology.c -------------------------------------------------------- */

/*
 * The tap the helper creates (tap-add) and slirp4netns serves; the helper's
 * uplink-guard knows it by this name (include/hckns/proto.h).
 */
#define FE_TAP_NAME PROTO_UPLINK_TAP

/* The four default bridges, and room for as many --bridge options. */
#define FE_TOPO_BRIDGES_MAX (4 + FE_BRIDGE_MAX)
/* The steps of the largest topology (fe_topology_steps()). */
#define FE_TOPO_STEPS_MAX (12 + 5 * FE_TOPO_BRIDGES_MAX)

struct fe_bridge {
	char name[PROTO_IFNAMSIZ];
	uint8_t addr[4];	/* IPv4, when prefixlen is not 0 */
	uint8_t prefixlen;	/* 0: no address */
};

/*
 * The network of one run: the bridges in the order they are made, the
 * uplink among them (it holds tap_host and the default route), and
 * slirp4netns's network with the addresses that follow from it.
 */
struct fe_topology {
	struct fe_bridge bridges[FE_TOPO_BRIDGES_MAX];
	size_t nbridges;
	size_t uplink;		/* index in bridges[] */
	uint8_t net[4];		/* --cidr: 10.0.2.0 */
	uint8_t prefixlen;	/* 24 */
	char cidr[20];		/* "10.0.2.0/24", for slirp4netns --cidr */
	uint8_t gateway[4];	/* network + 2: slirp's gateway, the host */
	uint8_t slirp_dns[4];	/* network + 3: slirp's DNS forwarder */
	uint8_t dhcp_first[4];	/* network + 15 .. */
	uint8_t dhcp_last[4];	/* .. network + 30: slirp's DHCP leases */
	uint8_t dns_family;	/* /etc/resolv.conf's server: --dns, else */
	uint8_t dns[16];	/* slirp_dns */
	bool ipv6;		/* --ipv6: fd00::100/64 on the uplink */
	unsigned int mtu;	/* of tap_host and the uplink */
	unsigned int txqueuelen;	/* of tap_host; 0: the kernel's */
	char guest_addr[16];	/* the uplink's address: forwards lead there */
};

/**
 * fe_topology_build() - the network the options describe, checked.
 * @err: receives a one-line reason on failure.
 *
 * The default bridges (br_world, the uplink; br_ctrl 192.168.100.100/24;
 * br_test; br_debug) unless --no-default-bridges, then each --bridge NAME
 * (a new bridge, or a new address for a default one).  The uplink is
 * --uplink, else br_world, else the first --bridge; its address is
 * slirp's network + 100 unless --bridge gives one.  Every value is
 * validated and every clash refused here, before anything is created.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int fe_topology_build(const struct fe_opts *o, struct fe_topology *t,
		      char *err, size_t errlen);

/* One helper request of the set-up, in order. */
struct fe_step {
	uint16_t op;
	union proto_payload p;
	size_t plen;
	/*
	 * before_slirp: before slirp4netns starts, which attaches to what the
	 * step makes (tap-add); the others run while slirp4netns starts.
	 */
	bool before_slirp;
	/*
	 * Not needed to run: where the kernel refuses it (EPERM), the run goes
	 * on and -v says "IF_REFUSED (reason): THEN".
	 */
	const char *if_refused, *then;
	char what[64];		/* for traces and errors: "bridge-add br_ctrl" */
};

/**
 * fe_topology_steps() - the helper requests that build @t.
 * @steps: room for @max steps (FE_TOPO_STEPS_MAX is always enough).
 *
 * Steps that do not depend on the tap come first, so they can run while
 * slirp4netns starts.
 *
 * Return: the number of steps, or -ENOSPC.
 */
int fe_topology_steps(const struct fe_topology *t, struct fe_step *steps,
		      size_t max);

/* The address port forwards lead to: the uplink's, 10.0.2.100 by default. */
const char *fe_topology_guest_addr(const struct fe_topology *t);

/* ---- netinfo.c ---------------------------------------------------------- */

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

/* ---- runtime.c --------------------------------------------------------- */

#define FE_API_SOCK "api.sock"
#define FE_SLIRP_LOG "slirp4netns.log"

/* The directory that holds this user's instances, checked and held. */
struct fe_base {
	int fd;			/* O_DIRECTORY|O_NOFOLLOW, checked; -1 */
	char path[PATH_MAX];	/* the same, for messages and socket paths */
};

/**
 * fe_base_choose() - where this user's instances live: @parent/@name.
 * @xdg, @tmpdir: $XDG_RUNTIME_DIR and $TMPDIR (may be NULL).
 *
 * $XDG_RUNTIME_DIR/hckns when XDG_RUNTIME_DIR is an absolute directory of
 * @uid's with mode 0700; else /run/user/UID/hckns when that is such a
 * directory (the same instances from a shell without XDG_RUNTIME_DIR);
 * else $TMPDIR/hckns-UID (TMPDIR defaulting to /tmp) when TMPDIR is root's
 * or @uid's and not writable by others, unless sticky (for root: not
 * writable by others at all); else, for root, /run/hckns.
 * Return: 0; -EPERM (no trustworthy place, @why says what to set),
 * -ENAMETOOLONG.
 */
int fe_base_choose(const char *xdg, const char *tmpdir, uid_t uid,
		   char *parent, size_t plen, char *name, size_t nlen,
		   char *why, size_t whylen);

/**
 * fe_base_open() - choose the base (fe_base_choose()), check that no
 * directory above it can be changed by others (root's or @uid's, not
 * writable by others unless sticky), create it 0700 when @create, open it
 * with O_NOFOLLOW and check that it is @uid's, mode 0700.  Everything
 * below is reached through @b->fd, or by @b->path once checked so.
 * Return: 0; -ENOENT (!@create and none yet); -errno with a one-line
 * reason naming the path, its owner and what to do in @why.
 */
int fe_base_open(const char *xdg, const char *tmpdir, uid_t uid, bool create,
		 struct fe_base *b, char *why, size_t whylen);
/* fe_base_open() of a base fe_base_choose() gave already. */
int fe_base_open_at(const char *parent, const char *name, uid_t uid,
		    bool create, struct fe_base *b, char *why, size_t whylen);
void fe_base_close(struct fe_base *b);

/* $XDG_RUNTIME_DIR as the XDG spec wants it: absolute, @uid's, 0700. */
bool fe_runtime_xdg_usable(const char *xdg, uid_t uid);

/**
 * fe_instance_dir_check() - open BASE/@name (no link followed) and check
 * that it is ours, mode 0700.
 * Return: its descriptor; -ESRCH (none); -EPERM with @why (not ours).
 */
int fe_instance_dir_check(const struct fe_base *b, const char *name,
			  char *why, size_t whylen);

/* A name hckns gives instance directories: --name's or a pid. */
bool fe_instance_name_like(const char *name);
/*
 * Does BASE/@name look like an instance directory: so named, a real
 * directory (not a link), ours, mode 0700?  What the sweep and ls take.
 */
bool fe_instance_entry(const struct fe_base *b, const char *name);

/**
 * fe_runtime_fits() - @base/@instance in @dir, if its sockets' paths fit a
 * sockaddr_un.  Return: 0, or -ENAMETOOLONG with what to do in @why.
 */
int fe_runtime_fits(const char *base, const char *instance, char *dir,
		    size_t len, char *why, size_t whylen);

/**
 * fe_runtime_create() - create (mode 0700) and check the instance directory.
 * @dir: receives BASE/INSTANCE.
 * Return: 0, or -errno with a one-line reason (and what to do) in @why.
 */
int fe_runtime_create(const struct fe_base *b, const char *instance,
		      char *dir, size_t len, char *why, size_t whylen);

/* ---- instances.c ------------------------------------------------------ */

#define FE_LOCK_FILE "lock"

struct fe_instance {
	char name[64];		/* the directory's name: the front end's pid */
	char dir[4096];		/* its runtime directory */
};

/*
 * fe_instance_lock() - create RUNDIR/lock and hold it exclusively.
 * Return: the descriptor (close-on-exec; the keeper shares it), or -errno.
 */
int fe_instance_lock(const char *rundir, char *why, size_t whylen);
/* Is an instance alive in @dir (its lock held)? */
bool fe_instance_alive(const char *dir);
/* The live instances under @base, sorted by name.  Return: 0 or -errno. */
int fe_instances_list(const struct fe_base *b, struct fe_instance **out,
		      size_t *n);
/**
 * fe_instance_find() - the instance a subcommand acts on.
 * @sel: --instance (a name or pid, or a directory if it has a '/'), or NULL
 *       for the only running instance.
 * Return: 0; -ESRCH (none), -EEXIST (several, listed in @why), -EINVAL.
 */
int fe_instance_find(const struct fe_base *b, const char *sel,
		     struct fe_instance *out, char *why, size_t whylen);
/*
 * fe_instance_by_pid() - the instance whose keeper has pid @sel, the PID
 * column of `hckns ls`, when @sel is a number that names no instance.
 * Return: 0, or -ESRCH.
 */
int fe_instance_by_pid(const struct fe_base *b, const char *sel,
		       struct fe_instance *out);

/* flock(2) that gives up after @timeout_ms.  Return: 0, -ETIMEDOUT, -errno. */
int fe_flock_wait(int fd, int op, int timeout_ms);
/*
 * fe_name_lock() - hold BASE/.NAME.lock while deciding to create or join
 * instance NAME (bounded).  Return: the descriptor, or -errno with @why.
 */
int fe_name_lock(const char *base, const char *name, int timeout_ms,
		 char *why, size_t whylen);
/* Listen on RUNDIR/keeper.sock.  Return: the descriptor, or -errno. */
int fe_keeper_listen(const char *rundir, char *why, size_t whylen);
/*
 * Connect to DIR/keeper.sock, whose keeper must be ours (SO_PEERCRED).
 * Return: the descriptor; -EPERM (another user's keeper), -errno.
 */
int fe_keeper_connect(const char *dir);
/* Is the peer of unix socket @fd of our uid?  Return: 0, -EPERM, -errno. */
int fe_peer_is_us(int fd);
/* Ask the keeper in @dir about its instance (INFO).  Return: 0 or -errno. */
struct fe_keeper_msg;
int fe_instance_query(const char *dir, struct fe_keeper_msg *info);

/* `hckns ls|stop ...` (cmd_instances.c); @argv[0] is the verb. */
int fe_cmd_instances(int argc, char **argv);

/* `hckns doctor` (doctor.c); @argv[0] is "doctor".  Return: exit status. */
int fe_cmd_doctor(int argc, char **argv);

/* What fe_doctor_run() checks besides the proc and dev roots. */
struct fe_doctor_env {
	const char *path;	/* $PATH: slirp4netns, newuidmap */
	const char *xdg;	/* $XDG_RUNTIME_DIR, or NULL */
	const char *tmpdir;	/* $TMPDIR, or NULL */
	uid_t uid;
	gid_t gid;
	const char *exe;	/* this hckns, where its helper is looked for */
	bool probe;		/* create a user+net+mount namespace for real */
};

/**
 * fe_doctor_run() - check this host for what hckns needs (doctor.c).
 * @procroot: where the sysctls are read ("/proc"; a test's own root).
 * @devroot: where net/tun is looked for ("/dev").
 * @out: one line per check ("ok   ...", "FAIL ...: why; remedy",
 *       "note ..."), then a summary line.
 * Return: the number of FAIL lines; 0 when hckns can run.
 */
int fe_doctor_run(const char *procroot, const char *devroot,
		  const struct fe_doctor_env *env, FILE *out);

/*
 * fe_doctor_slirp_version() - the version in `slirp4netns --version`'s
 * output ("slirp4netns version 1.2.0\n...") as major, minor, patch.
 * Return: 0, or -EINVAL.
 */
int fe_doctor_slirp_version(const char *text, unsigned int v[3]);

/* `hckns fwd ...` (cmd_fwd.c); @argv[0] is "fwd".  Return: exit status. */
int fe_cmd_fwd(int argc, char **argv);

/*
 * fe_runtime_sweep() - remove the runtime directories under @base whose
 * instance is gone (a crash, a power cut: nobody holds their lock), without
 * racing anyone who is creating one.  Return: how many were removed.
 */
int fe_runtime_sweep(const struct fe_base *b);

/* ---- keeper.c ---------------------------------------------------------- */

/*
 * The instance's namespaces, in the order a process enters them (the user
 * namespace first, which gives it the capabilities the others need).
 * Descriptors of them travel in this order.
 */
enum { FE_NS_USER, FE_NS_NET, FE_NS_MNT, FE_NS_PID, FE_NS_COUNT };

/**
 * fe_ns_check() - may we enter these namespaces?  @fds: FE_NS_COUNT
 * descriptors, FE_NS_* order.  The user namespace must be owned by our uid
 * and be a child of our own user namespace; each other one must be of its
 * type and owned by that user namespace.  Checked before any setns(), so
 * that a keeper that is not what it seems cannot make us enter anything
 * else.  Return: 0, or -EPERM/-EINVAL with the reason in @why.
 */
int fe_ns_check(const int *fds, int n, char *why, size_t whylen);

struct fe_keeper {
	pid_t pid;
	int pidfd;
	int sock;		/* SOCK_SEQPACKET; EOF tells the keeper to end */
	int ready_fd;		/* slirp4netns writes "1" here when ready */
};

/*
 * Messages between the keeper and the processes that use its instance, one
 * SOCK_SEQPACKET datagram each.  The creating front end's socketpair and
 * every connection to RUNDIR/keeper.sock that joined are the instance's
 * holders: the instance lives while one of them is open.
 */
enum fe_keeper_msg_type {
	FE_KEEPER_START = 1,	/* creator: start slirp4netns for .pid (the
				 * helper); the FE_NS_COUNT namespace
				 * descriptors ride along (SCM_RIGHTS) */
	FE_KEEPER_STARTED,	/* keeper: slirp4netns runs, .value = its pid */
	FE_KEEPER_FAILED,	/* keeper: refused, .value = errno */
	FE_KEEPER_SLIRP_EXITED,	/* keeper, to every holder: .value = status */
	FE_KEEPER_READY,	/* creator: configured, joiners may come */
	FE_KEEPER_JOIN,		/* joiner: let me in */
	FE_KEEPER_JOINED,	/* keeper: .pid = its pid, .value = the
				 * fingerprint of its network options, and
				 * the FE_NS_COUNT namespace descriptors */
	FE_KEEPER_QUERY,	/* `hckns ls` */
	FE_KEEPER_INFO,		/* keeper: .value = holders, .pid = its pid,
				 * .started = when (CLOCK_REALTIME s) */
	FE_KEEPER_STOP,		/* `hckns stop`; keeper, to every holder:
				 * .value = the pid of who asked */
	FE_KEEPER_LEAVE,	/* holder: I am leaving */
	FE_KEEPER_LEFT,		/* keeper: .value = holders that remain;
				   the last holder's comes once all is gone,
				   after a SLIRP_EXITED when slirp4netns
				   ended before it was stopped */
	FE_KEEPER_HELPER,	/* creator, once the helper answered hello:
				 * .pid = the helper; a copy of its socket
				 * and a pidfd of it ride along: the keeper
				 * holds the instance (its PID 1) from now */
};

struct fe_keeper_msg {
	uint32_t type;
	int32_t value;
	int32_t pid;
	int32_t flags;		/* JOINED, INFO: FE_KEEPER_F_* of the instance */
	int64_t started;	/* INFO */
};

/* The instance lets 10.0.2.2 reach the host's loopback (--host-loopback). */
#define FE_KEEPER_F_HOST_LOOPBACK 1

/* The keeper's socket for joiners, queries and stops, in the runtime dir. */
#define FE_KEEPER_SOCK "keeper.sock"
/* How long `hckns stop` lets the commands end after SIGTERM. */
#define FE_STOP_TIMEOUT_MS 5000

/*
 * fe_keeper_send() - one message, with @nfds (at most FE_NS_COUNT)
 * descriptors (SCM_RIGHTS).
 * Return: 0, or -errno.
 */
int fe_keeper_send(int sock, const struct fe_keeper_msg *m, const int *fds,
		   int nfds);
/*
 * fe_keeper_recv() - one message, and up to @nfds descriptors into @fds
 * (received close-on-exec; more than @nfds is malformed, all closed).
 * Return: the number of descriptors received, -EPIPE at EOF, -EPROTO for a
 * malformed message, -errno.
 */
int fe_keeper_recv(int sock, struct fe_keeper_msg *m, int *fds, int nfds,
		   int flags);

/* The keeper's life (keeper_main.c); never returns. */
void __attribute__((noreturn))
fe_keeper_main(const struct fe_opts *o, const char *rundir, const char *slirp,
	       int sock, int ready_w, int listen_fd);

/**
 * fe_slirp_sandbox_works() - can slirp4netns --enable-sandbox work here, and
 * keep forwarding DNS?
 *
 * Its sandbox is a mount namespace where only the host's /etc and /run are
 * left (slirp4netns(1)), and libslirp reads the name server from
 * /etc/resolv.conf there: the file must be under /etc or /run (a
 * systemd-resolved link into /run is fine, WSL's link to
 * /mnt/wsl/resolv.conf is not: DNS would stop, silently).  As root,
 * slirp4netns makes that namespace and drops its capabilities itself, which
 * needs CAP_SYS_ADMIN and CAP_SETPCAP in the bounding set (without them it
 * exits at start).  Runs no program.
 * Return: true, or false with the reason in @why.
 */
bool fe_slirp_sandbox_works(char *why, size_t len);

/* Start slirp4netns for @target's namespaces (keeper.c). */
pid_t fe_spawn_slirp(const struct fe_opts *o, const char *rundir,
		     const char *slirp, pid_t target, int ready_fd,
		     int exit_fd, int *pidfd);

/**
 * fe_keeper_start() - fork the keeper, which owns @rundir and slirp4netns.
 * @slirp: absolute path of slirp4netns.
 * @lock_fd: the instance's lock (fe_instance_lock()), kept by the keeper too.
 * @listen_fd: the listening RUNDIR/keeper.sock, for joiners.
 *
 * When the last holder is gone (the front end's end of the channel and every
 * joiner's connection closed, whatever the reason), the keeper removes the
 * forwards, stops slirp4netns, closes its copy of the helper's socket and
 * waits (bounded) for the helper's end, with which the kernel ends every
 * process of the instance's PID namespace, removes @rundir and exits.
 * Return: 0, or -errno.
 */
int fe_keeper_start(struct fe_keeper *k, const struct fe_opts *o,
		    const char *rundir, const char *slirp, int lock_fd,
		    int listen_fd);

/* ---- diagnose.c -------------------------------------------------------- */

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
