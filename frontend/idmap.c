// SPDX-License-Identifier: MIT
/*
 * --map-subids and --map-root=subids: find the caller's subordinate ranges
 * and the tools, write the maps (see subids.h for what is mapped and why
 * this way), and become root of the namespace where the caller's own ids
 * are not mapped.
 */
#include "frontend/helper_client.h"
#include "common/util.h"
#include "common/diagnose.h"
#include "model/subids.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* newuidmap and newgidmap take milliseconds; a hung one is killed. */
#define IDMAP_TOOL_TIMEOUT_MS 5000
/* What of a tool's output is kept for the message. */
#define IDMAP_TOOL_OUTPUT_MAX 1024

/*
 * The first range of the user @name (or NULL) of uid @uid in @file (both
 * files name their owners by user), checked against @own, the uid or gid
 * that 0 maps to, or (not @own_mapped) that stays unmapped.
 */
int fe_subid_files_end(uint64_t *end)
{
	static const char *const files[] = { FE_SUBUID_FILE, FE_SUBGID_FILE };
	int r = 0;

	*end = 0;
	for (size_t i = 0; i < 2 && r == 0; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f) {
			r = errno == ENOENT ? 0 : -errno;
			continue;
		}
		r = fe_subid_end(f, end);
		fclose(f);
	}
	return r;
}

/*
 * The range to propose to an administrator: past every line of both
 * files, so that it overlaps no one's ("START-END"), or, when there is
 * none, words that say what to choose.
 */
static void proposal(char *buf, size_t len)
{
	struct fe_subid_range p;
	uint64_t end;

	if (fe_subid_files_end(&end) == 0 && fe_subid_propose(end, &p) == 0)
		snprintf(buf, len, "%u-%u", p.start, p.start + p.count - 1);
	else
		snprintf(buf, len, "START-END");
}

static int find_range(const char *file, const char *kind, const char *name,
		      uid_t uid, uint32_t own, bool own_mapped,
		      struct fe_subid_range *r, char *why, size_t whylen)
{
	char reason[128], uidstr[16], range[32];
	const char *user = name;
	FILE *f = fopen(file, "re");
	int e;

	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned int)uid);
	if (!user)
		user = uidstr;
	e = f ? fe_subid_find(f, name, (uint32_t)uid, r) : -errno;
	if (f)
		fclose(f);
	if (e == -ENOENT) {
		/*
		 * The same remedy whether the file or only the line is
		 * missing, with a range that overlaps no line of either file.
		 */
		proposal(range, sizeof(range));
		if (strcmp(kind, "uid") == 0)
			snprintf(why, whylen, "no subordinate uid range for %s "
				 "in %s: as root, run 'usermod --add-subuids %s "
				 "--add-subgids %s %s'", user, file, range,
				 range, user);
		else
			snprintf(why, whylen, "no subordinate gid range for %s "
				 "in %s: as root, run 'usermod --add-subgids %s "
				 "%s'", user, file, range, user);
		return e;
	}
	if (e < 0) {
		snprintf(why, whylen, "cannot read %s: %s", file, strerror(-e));
		return e;
	}
	e = fe_subid_check(r, own, own_mapped, kind, reason, sizeof(reason));
	if (e < 0) {
		snprintf(why, whylen, "the subordinate %s range of %s in %s, "
			 "%u-%u, cannot be mapped: %s; as root, give %s "
			 "another range in %s", kind, user, file, r->start,
			 r->start + (r->count ? r->count - 1 : 0), reason,
			 user, file);
		return e;
	}
	return 0;
}

static int find_tool(const char *tool, const char *path, char *out,
		     size_t len, char *why, size_t whylen)
{
	int r = fe_find_in_path(tool, path, out, len);

	if (r == 0 && out[0] != '/')
		r = -ENOENT;	/* a relative PATH entry: never run that */
	if (r < 0) {
		snprintf(why, whylen, "%s not found%s: install the uidmap "
			 "package (apt install uidmap)", tool,
			 r == -EACCES ? " (not executable)" : "");
		return r;
	}
	return 0;
}

int fe_idmap_subids(struct fe_idmap *map, const char *path, char *why,
		    size_t whylen)
{
	struct passwd *pw = getpwuid(map->outer_uid);
	const char *name = pw ? pw->pw_name : NULL;
	int r;

	map->subids = true;
	map->newuidmap[0] = map->newgidmap[0] = '\0';
	r = find_range(FE_SUBUID_FILE, "uid", name, map->outer_uid,
		       map->outer_uid, !map->root_subid, &map->uid_range, why,
		       whylen);
	if (r < 0)
		return r;
	r = find_range(FE_SUBGID_FILE, "gid", name, map->outer_uid,
		       map->outer_gid, !map->root_subid, &map->gid_range, why,
		       whylen);
	if (r < 0)
		return r;
	fe_trace("subordinate ids of %s: uids %u+%u, gids %u+%u",
		 name ? name : "?", map->uid_range.start, map->uid_range.count,
		 map->gid_range.start, map->gid_range.count);
	/* Root writes the maps itself: it needs no setuid tool. */
	if (map->outer_uid == 0)
		return 0;
	r = find_tool("newuidmap", path, map->newuidmap,
		      sizeof(map->newuidmap), why, whylen);
	if (r == 0)
		r = find_tool("newgidmap", path, map->newgidmap,
			      sizeof(map->newgidmap), why, whylen);
	return r;
}

/* In the child: run the tool, its output on the pipe. */
static void __attribute__((noreturn))
exec_tool(char *const argv[], int out)
{
	static char *const envp[] = { "LC_ALL=C",
				      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				      NULL };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		fe_child_die("cannot give %s its descriptors", argv[0]);
	fe_close_from(STDERR_FILENO + 1, NULL, 0);
	fe_reset_signals();
	execve(argv[0], argv, envp);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(FE_EXIT_NOEXEC);
}

/*
 * run_tool() - run @argv[0] (an absolute path), collect its output, and
 * wait for it at most IDMAP_TOOL_TIMEOUT_MS; then it is killed.
 * Return: its wait status, or -errno (-ETIMEDOUT).
 */
static int run_tool(char *const argv[], char *out, size_t outlen)
{
	double deadline = fe_now_ms() + IDMAP_TOOL_TIMEOUT_MS;
	int p[2], pidfd = -1, status = 0, r = 0;
	size_t n = 0;
	bool exited = false;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pid = fe_clone(0, &pidfd);
	if (pid == 0) {
		close(p[0]);
		exec_tool(argv, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return pid;
	}
	/*
	 * Until it exits: a process it left behind could hold the pipe, so
	 * its end, not EOF, ends the wait.
	 */
	while (!exited) {
		struct pollfd fds[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = p[0], .events = POLLIN },
		};
		int left = (int)(deadline - fe_now_ms());

		if (left <= 0) {
			fe_pidfd_signal(pidfd, SIGKILL);
			r = -ETIMEDOUT;
			break;
		}
		if (poll(fds, p[0] >= 0 ? 2 : 1, left) < 0 && errno != EINTR) {
			r = -errno;
			fe_pidfd_signal(pidfd, SIGKILL);
			break;
		}
		if (fds[0].revents)
			exited = true;
		/* Read what is there; at exit, what is left. */
		while (p[0] >= 0) {
			char buf[256];
			ssize_t k = read(p[0], buf, sizeof(buf));

			if (k > 0) {
				size_t keep = outlen - 1 - n;

				if ((size_t)k < keep)
					keep = (size_t)k;
				memcpy(out + n, buf, keep);
				n += keep;
				continue;
			}
			if (k == 0) {
				close(p[0]);
				p[0] = -1;
			}
			break;
		}
	}
	out[n] = '\0';
	if (p[0] >= 0)
		close(p[0]);
	if (waitpid(pid, &status, 0) < 0 && r == 0)
		r = -errno;
	close(pidfd);
	return r < 0 ? r : status;
}

/* Map @own and @range with @tool into @pid's user namespace. */
static int tool_map(const char *tool, const char *kind, pid_t pid,
		    uint32_t own, const struct fe_subid_range *range,
		    char *why, size_t whylen)
{
	char out[IDMAP_TOOL_OUTPUT_MAX], line[512], how[64];
	struct fe_idmap_argv a;
	const char *base = strrchr(tool, '/') ? strrchr(tool, '/') + 1 : tool;
	int r;

	fe_idmap_argv(&a, tool, pid, own, range);
	fe_trace("%s %s %s %s %s %s %s %s", a.argv[0], a.argv[1], a.argv[2],
		 a.argv[3], a.argv[4], a.argv[5], a.argv[6], a.argv[7]);
	r = run_tool(a.argv, out, sizeof(out));
	fe_one_line(out, strlen(out), line, sizeof(line));
	if (r == 0)
		return 0;
	if (r == -ETIMEDOUT) {
		snprintf(why, whylen, "%s did not finish within %d s and was "
			 "killed%s%s", tool, IDMAP_TOOL_TIMEOUT_MS / 1000,
			 line[0] ? ": " : "", line);
		return r;
	}
	if (r < 0) {
		snprintf(why, whylen, "cannot run %s: %s", tool, strerror(-r));
		return r;
	}
	fe_describe_status(r, how, sizeof(how));
	snprintf(why, whylen, "%s refused to map the subordinate %ss "
		 "%u-%u (%s): %s", base, kind, range->start,
		 range->start + range->count - 1, how,
		 line[0] ? line : "it said nothing");
	return -EPERM;
}

/* As root: the same maps, written by us; setgroups stays allowed. */
static int write_map(pid_t pid, const char *file, uint32_t own,
		     bool root_subid, const struct fe_subid_range *range,
		     char *why, size_t whylen)
{
	char path[64], text[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	r = root_subid ? fe_idmap_root_text(range, text, sizeof(text)) :
			 fe_idmap_text(own, range, text, sizeof(text));
	if (r == 0)
		r = fe_write_file(path, text);
	if (r < 0)
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(-r));
	return r;
}

int fe_idmap_write_subids(pid_t pid, const struct fe_idmap *map, char *why,
			  size_t whylen)
{
	int r;

	if (!map->newuidmap[0]) {
		r = write_map(pid, "uid_map", map->outer_uid, map->root_subid,
			      &map->uid_range, why, whylen);
		if (r == 0)
			r = write_map(pid, "gid_map", map->outer_gid,
				      map->root_subid, &map->gid_range, why,
				      whylen);
		return r;
	}
	r = tool_map(map->newuidmap, "uid", pid, map->outer_uid,
		     &map->uid_range, why, whylen);
	if (r == 0)
		r = tool_map(map->newgidmap, "gid", pid, map->outer_gid,
			     &map->gid_range, why, whylen);
	return r;
}

int fe_idmap_become_root(void)
{
	/*
	 * Our ids are unmapped there (seen as the overflow id) only with
	 * --map-root=subids; otherwise we are 0 already and nothing changes
	 * (setgroups(2) may be denied then).  Holding every capability of
	 * the namespace, we may take any mapped id: gid and groups first,
	 * while we still may.  The kernel keeps the capabilities across a
	 * change to the namespace's root (capabilities(7), "Effect of user
	 * ID changes on capabilities"), and execve(2) keeps them for uid 0.
	 */
	if (getuid() == 0 && geteuid() == 0)
		return 0;
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}
