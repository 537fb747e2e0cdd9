// SPDX-License-Identifier: MIT
/*
 * Replays fuzz inputs without libFuzzer: calls LLVMFuzzerTestOneInput() once
 * for every file named on the command line (a directory stands for the
 * files in it), so that a plain cc build, or the sanitizer build, checks
 * the whole corpus as a regression test.
 *
 * Each input is copied into a buffer of exactly its size, as libFuzzer does,
 * so that AddressSanitizer or valgrind catch a read past its end.
 *
 * Quiet unless -v; a broken invariant or a sanitizer report ends the run,
 * and the input that caused it is named on stderr.
 *
 * Exit status: 0 when every input ran; 1 when a file could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No input is larger than this; libFuzzer runs with -max_len of 4200 at most. */
#define REPLAY_MAX (1u << 20)

/* Set in sanitizer builds only: called before a sanitizer ends the run. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c): the runtime's */
extern void __sanitizer_set_death_callback(void (*cb)(void))
	__attribute__((weak));

static bool verbose;
static const char *current;	/* the input being run, for the messages */

static void say_current(void)
{
	static const char msg[] = "replay: failed on ";

	if (!current)
		return;
	/* Async-signal-safe: write(2) only.  When one fails, stderr is gone. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDERR_FILENO, current, strlen(current)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

static void on_abort(int sig)
{
	say_current();
	raise(sig);	/* SA_RESETHAND: the default action, a core dump */
}

static int replay_file(const char *path)
{
	uint8_t *buf = NULL, *exact = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n = 0;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: not a file of at most %u bytes\n",
			path, REPLAY_MAX);
		goto out;
	}
	/* One byte more than its size, to notice a file that grew. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto nomem;
	while (len <= (size_t)st.st_size &&
	       (n = read(fd, buf + len, (size_t)st.st_size + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: %s\n", path,
			n < 0 ? strerror(errno) : "changed while read");
		goto out;
	}
	/* Exactly @len bytes, so that a read past them is caught. */
	exact = malloc(len ? len : 1);
	if (!exact)
		goto nomem;
	if (len)
		memcpy(exact, buf, len);
	if (verbose)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	current = path;
	LLVMFuzzerTestOneInput(exact, len);
	current = NULL;
	r = 0;
	goto out;
nomem:
	fprintf(stderr, "replay: %s: out of memory\n", path);
out:
	free(exact);
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static int replay_path(const char *path, unsigned int *count)
{
	struct dirent **names;
	struct stat st;
	int n, r = 0;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		++*count;
		return replay_file(path);
	}
	/* Sorted, so that runs are reproducible. */
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *file;

		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		++*count;
		if (asprintf(&file, "%s/%s", path, names[i]->d_name) < 0) {
			fprintf(stderr, "replay: %s: out of memory\n", path);
			r = -1;
		} else {
			if (replay_file(file) < 0)
				r = -1;
			free(file);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_abort,
				.sa_flags = (int)SA_RESETHAND };
	unsigned int count = 0;
	int i = 1, r = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", argv[0]);
		return 2;
	}
	sigaction(SIGABRT, &sa, NULL);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(say_current);
	for (; i < argc; i++)
		if (replay_path(argv[i], &count) < 0)
			r = 1;
	printf("replay: %u inputs, %s\n", count,
	       r ? "some could not be read" : "all passed");
	return r;
}
