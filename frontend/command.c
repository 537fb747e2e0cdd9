// SPDX-License-Identifier: MIT
/*
 * The command's process.
 *
 * A child of ours joins the instance's namespaces and makes the command
 * with CLONE_PARENT: setns(CLONE_NEWPID) puts a process's children in the
 * namespace, not the process, so the command is made by that child but
 * is the front end's child, supervised through its pidfd as any child.
 *
 * The command runs in a process group of its own, as a shell runs a job:
 * a signal to hckns's process group reaches hckns alone, which relays it
 * once (loop.c); on a terminal whose foreground hckns has, the command's
 * group becomes the foreground, so that Ctrl-C reaches the command alone,
 * and hckns takes the terminal back, with its modes when the command did
 * not end well, once the command ends.  Ctrl-Z stops the command, and
 * hckns stops too, so that the shell sees its job stopped; fg continues
 * both.
 */
#include "frontend/run.h"
#include "common/util.h"
#include "frontend/helper_client.h"
#include "hckns/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/*
 * What the command's child and the command report on the error pipe: the
 * command's pid once it exists, or why it could not run.
 */
struct exec_report {
	int step;		/* STEP_* */
	int err;
	pid_t pid;		/* STEP_STARTED: the command, in our PID ns */
	bool switched;		/* became root inside: --map-root=subids */
};

enum {
	STEP_EXEC,		/* the command's execvp() */
	STEP_SETNS,		/* joining the instance's namespaces */
	STEP_CHDIR,		/* the working directory inside */
	STEP_ROOT,		/* becoming root inside (--map-root=subids) */
	STEP_FORK,		/* making the command in the PID namespace */
	STEP_STARTED,		/* not a failure: .pid is the command */
};

/*
 * execvp() says EACCES when a PATH directory cannot be searched, even when
 * the command is nowhere: sh says "not found" (127) then, and so do we.
 * True when some PATH entry has @name as something other than a directory.
 */
static bool in_path(const char *name)
{
	const char *p = getenv("PATH");

	for (p = p ? p : "/bin:/usr/bin"; ; p++) {
		const char *end = strchrnul(p, ':');
		char file[PATH_MAX];
		struct stat st;

		if (snprintf(file, sizeof(file), "%.*s%s%s", (int)(end - p), p,
			     end == p ? "" : "/", name) < (int)sizeof(file) &&
		    stat(file, &st) == 0 && !S_ISDIR(st.st_mode))
			return true;
		if (!*end)
			return false;
		p = end;
	}
}

/*
 * The terminal whose foreground process group hckns's is, or -1: the one
 * to hand to the command.
 */
static int foreground_terminal(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0 && tcgetpgrp(fd) != getpgrp()) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* In the command: its own process group, the terminal's foreground. */
static void own_group(const struct run *run)
{
	setpgid(0, 0);
	/* SIGTTOU is still blocked: a background group may do this. */
	if (run->tty_fd >= 0)
		tcsetpgrp(run->tty_fd, getpgrp());
}

static void __attribute__((noreturn))
command_exec(const struct run *run, char **argv, int parent_pidfd,
	     int errpipe)
{
	struct pollfd p = { .fd = parent_pidfd, .events = POLLIN };
	struct exec_report f = { .step = STEP_EXEC };

	/*
	 * Second line of defence: the front end's exit, not only EOF.  Its
	 * pid is 0 to us (outside our PID namespace), dead or alive, so
	 * getppid() cannot tell whether it died before the parent-death
	 * signal was set; its pidfd can.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (poll(&p, 1, 0) != 0)
		_exit(FE_EXIT_FAILURE);
	own_group(run);
	fe_reset_signals();
	/* Where it is: for `hckns fwd` inside, and for AutoHCK's QemuHCK. */
	setenv("HCKNS_INSTANCE", strrchr(run->rundir, '/') + 1, 1);
	setenv("HCKNS_RUNTIME_DIR", run->rundir, 1);
	setenv("HCKNS_API_SOCKET", run->api_sock, 1);
	setenv("AUTOHCK_SLIRP", run->api_sock, 1);
	execvp(argv[0], argv);
	f.err = errno;
	if (f.err == EACCES && !strchr(argv[0], '/') && !in_path(argv[0]))
		f.err = ENOENT;
	fe_write_all(errpipe, &f, sizeof(f));
	_exit(f.err == ENOENT ? FE_EXIT_NOTFOUND : FE_EXIT_NOEXEC);
}

/* The command's child: joins the namespaces, makes the command, reports. */
static void __attribute__((noreturn))
command_child(const struct run *run, char **argv, int parent_pidfd,
	      int errpipe)
{
	static const int types[FE_NS_COUNT] = {
		CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID,
	};
	struct exec_report f = { 0 };
	pid_t pid;
	int pidfd = -1;

	/* User first, so that we hold its capabilities for the others. */
	for (int i = 0; i < FE_NS_COUNT; i++)
		if (setns(run->ns[i], types[i]) < 0) {
			f = (struct exec_report){ STEP_SETNS, errno, 0, false };
			goto fail;
		}
	/*
	 * Not root there when our own ids are unmapped (--map-root=subids);
	 * then before chdir, so that it is entered with the command's rights.
	 */
	f.switched = getuid() != 0;
	f.err = -fe_idmap_become_root();
	f.step = STEP_ROOT;
	if (f.err)
		goto fail;
	/* Entering a mount namespace moves us to its root. */
	f.step = STEP_CHDIR;
	f.err = chdir(run->cwd) < 0 ? errno : 0;
	if (f.err)
		goto fail;
	pid = fe_clone(CLONE_PARENT, &pidfd);
	if (pid == 0)
		command_exec(run, argv, parent_pidfd, errpipe);
	/* ENOMEM: the namespace's PID 1 is gone, the instance ends. */
	f = pid < 0 ? (struct exec_report){ STEP_FORK, -pid, 0, false }
		    : (struct exec_report){ STEP_STARTED, 0, pid, false };
fail:
	fe_write_all(errpipe, &f, sizeof(f));
	_exit(f.step == STEP_STARTED ? 0 : FE_EXIT_FAILURE);
}

/*
 * Read the error pipe to its end: the command's pid from its parent, and
 * (in either order) why it could not run.  EOF comes once the command has
 * exec'd (the pipe is close-on-exec) and its parent has ended.  Return:
 * whether a failure came, in @fail; the command's pid in @pid (-1: none).
 */
static bool read_exec_reports(int fd, pid_t *pid, struct exec_report *fail)
{
	bool failed = false;

	*pid = -1;
	/* At most two reports come; a third read is the EOF. */
	for (int i = 0; i < 3; i++) {
		struct exec_report r;
		ssize_t n;

		do
			n = read(fd, &r, sizeof(r));
		while (n < 0 && errno == EINTR);
		if (n != sizeof(r))
			break;
		if (r.step == STEP_STARTED && r.pid > 0) {
			*pid = r.pid;
		} else if (!failed) {
			*fail = r;
			failed = true;
		}
	}
	return failed;
}

/* Why the command did not run, in one line.  Return: hckns's status. */
static int exec_failed(const struct run *run, const struct exec_report *f,
		       const char *cmd)
{
	if (f->step == STEP_SETNS)
		fe_error("cannot join the namespaces: %s", strerror(f->err));
	else if (f->step == STEP_ROOT)
		fe_error("cannot become root inside the namespaces, whose root "
			 "is not you (--map-root=subids): %s", strerror(f->err));
	else if (f->step == STEP_CHDIR && f->switched)
		fe_error("cannot enter the working directory %s inside the "
			 "namespaces: %s; root inside is a subordinate id "
			 "(--map-root=subids), not you: start hckns in a "
			 "directory that id may enter", run->cwd,
			 strerror(f->err));
	else if (f->step == STEP_CHDIR)
		fe_error("cannot enter the working directory %s inside the "
			 "namespaces: %s", run->cwd, strerror(f->err));
	else if (f->step == STEP_FORK)
		fe_error("cannot start the command in the instance's PID "
			 "namespace: %s%s", strerror(f->err), f->err == ENOMEM ?
			 " (the instance is ending)" : "");
	/* No command given: $SHELL was run, and it is what to fix. */
	else if (!run->o.argv && f->err == ENOENT)
		fe_error("your shell %s (SHELL) was not found: set SHELL to an "
			 "installed shell (such as /bin/bash), or give hckns a "
			 "command", cmd);
	else if (!run->o.argv)
		fe_error("your shell %s (SHELL) cannot be executed: %s; set SHELL "
			 "to an installed shell (such as /bin/bash), or give "
			 "hckns a command", cmd, strerror(f->err));
	else if (f->err == ENOENT)
		fe_error("%s: command not found", cmd);
	else
		fe_error("%s: cannot execute: %s", cmd, strerror(f->err));
	if (f->step != STEP_EXEC)
		return FE_EXIT_FAILURE;
	return f->err == ENOENT ? FE_EXIT_NOTFOUND : FE_EXIT_NOEXEC;
}

/* Start the child; the command's pid (or why not) comes on the pipe. */
static int spawn(struct run *run, char **argv, pid_t *pid,
		 struct exec_report *f, bool *failed)
{
	int errpipe[2], self, child_pidfd = -1;
	pid_t child;

	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		fe_error("pipe: %s", strerror(errno));
		return -errno;
	}
	/* The command watches us through it (command_exec()). */
	self = fe_pidfd_open(getpid());
	child = self < 0 ? -errno : fe_clone(0, &child_pidfd);
	if (child == 0) {
		close(errpipe[0]);
		command_child(run, argv, self, errpipe[1]);
	}
	if (self >= 0)
		close(self);
	close(errpipe[1]);
	if (child < 0) {
		close(errpipe[0]);
		fe_error("cannot fork the command: %s", strerror((int)-child));
		return (int)child;
	}
	*failed = read_exec_reports(errpipe[0], pid, f);
	close(errpipe[0]);
	fe_pidfd_wait(child_pidfd, 0);
	close(child_pidfd);
	return 0;
}

int fe_command_start(struct run *run)
{
	static char *shell_argv[2];
	char **argv = run->o.argv;
	struct exec_report f = { 0 };
	bool failed = false;
	pid_t pid = -1;

	if (!argv) {
		const char *sh = getenv("SHELL");

		shell_argv[0] = (char *)(sh && *sh ? sh : "/bin/sh");
		argv = shell_argv;
	}
	run->tty_fd = foreground_terminal();
	if (run->tty_fd >= 0 && tcgetattr(run->tty_fd, &run->tty_modes) < 0) {
		close(run->tty_fd);
		run->tty_fd = -1;
	}
	if (spawn(run, argv, &pid, &f, &failed) < 0)
		return FE_EXIT_FAILURE;
	if (pid > 0 && !failed) {
		/* Our child (CLONE_PARENT), unreaped: its pid is still its own. */
		run->cmd_pidfd = fe_pidfd_open(pid);
		if (run->cmd_pidfd < 0) {
			f = (struct exec_report){ STEP_FORK, errno, 0, false };
			failed = true;
			kill(pid, SIGKILL);
		}
	}
	if (failed) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		fe_terminal_restore(run);
		return exec_failed(run, &f, argv[0]);
	}
	run->cmd_pid = pid;
	/* As a shell does, both sides: whichever comes first. */
	setpgid(pid, pid);
	if (run->tty_fd >= 0)
		tcsetpgrp(run->tty_fd, pid);
	fe_trace("command started, pid %d%s: %s", (int)pid,
		 run->tty_fd >= 0 ? ", the terminal's foreground" : "", argv[0]);
	fe_status_started(run);
	return 0;
}

void fe_command_signal(struct run *run, int sig)
{
	if (run->cmd_pidfd >= 0 && !run->cmd_ended)
		fe_pidfd_signal(run->cmd_pidfd, sig);
}

void fe_terminal_restore(struct run *run)
{
	int st = run->cmd_status;

	if (run->tty_fd < 0)
		return;
	tcsetpgrp(run->tty_fd, getpgrp());
	/* A shell keeps the modes a job left when it exited by itself. */
	if (!run->cmd_ended || run->failed || !WIFEXITED(st))
		tcsetattr(run->tty_fd, TCSADRAIN, &run->tty_modes);
	close(run->tty_fd);
	run->tty_fd = -1;
}

/*
 * SIGCHLD: did the command stop for the terminal (Ctrl-Z, or reading or
 * writing it from the background)?  Then take the terminal back and stop
 * too, so that the shell sees its job stopped; once continued (fg or bg),
 * continue the command, in the foreground again when we are.
 */
void fe_command_job_control(struct run *run)
{
	siginfo_t si = { 0 };
	int sig;

	if (run->cmd_ended || run->cmd_pidfd < 0 ||
	    waitid((idtype_t)P_PIDFD, (id_t)run->cmd_pidfd, &si,
		   WSTOPPED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	sig = si.si_status;
	if (run->tty_fd < 0 ||
	    (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU))
		return;
	tcgetattr(run->tty_fd, &run->cmd_modes);
	tcsetpgrp(run->tty_fd, getpgrp());
	tcsetattr(run->tty_fd, TCSADRAIN, &run->tty_modes);
	fe_trace("the command stopped (SIG%s): stopping as its job",
		 sigabbrev_np(sig));
	kill(getpid(), SIGSTOP);
	if (tcgetpgrp(run->tty_fd) == getpgrp()) {
		tcsetattr(run->tty_fd, TCSADRAIN, &run->cmd_modes);
		tcsetpgrp(run->tty_fd, run->cmd_pid);
	}
	fe_trace("continued: continuing the command");
	kill(-run->cmd_pid, SIGCONT);
}
