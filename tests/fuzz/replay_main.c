/* SPDX-License-Identifier: MIT */
/*
 * replay_main.c — runs a libFuzzer target without libFuzzer: calls
 * LLVMFuzzerTestOneInput() once on every file named on the command line and
 * on every file in every directory named there (not recursively, skipping
 * dot files, in name order). Linked with fuzz_reqbody.c, this is
 * fuzz_reqbody_replay, which ctest runs over tests/fuzz/corpus/ with any
 * compiler: the corpus stays a regression test where clang is not installed.
 *
 * Exits 0 when every input ran, 1 when an argument or a file could not be
 * read or nothing was replayed; a failed check in the target aborts.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on the file at @p path. @return 0 or -1 (reported). */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *p = realloc(buf, cap = cap ? 2 * cap : 4096);
			if (!p) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		perror(path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Shrunk to the exact size, so that AddressSanitizer sees a read past the end. */
	uint8_t *exact = realloc(buf, len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Replays every file in the directory @p dir. @return the count, or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, visible, alphasort);
	long count = 0;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			failed = 1;
			continue;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) < 0 ? -1 : 1;
		if (n < 0)
			failed = 1;
		else
			total += n;
	}
	printf("replayed %ld inputs\n", total);
	if (total == 0) {
		fprintf(stderr, "usage: %s FILE-OR-DIR...: nothing was replayed\n", argv[0]);
		failed = 1;
	}
	return failed;
}
