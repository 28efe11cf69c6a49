/*
 * driver.c - runs a libFuzzer harness once on each file named on the
 * command line (a directory: each file in it), without libFuzzer.
 *
 * `make test` links every fuzz/fuzz_*.c with this driver and the normal
 * compiler and flags (SAN=address included) and replays fuzz/corpus/ through
 * it (tests/sh/fuzz_corpus.sh): a harness that no longer builds, or an input
 * that once passed and now crashes, fails the tests. Each input is read into
 * a buffer of exactly its size, so a read past its end is an ASan report.
 * Prints "N inputs"; exit status 1 when a file cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long fd_ninputs;

/* Run the harness on @path. 0 or -1 (said on stderr). */
static int fd_run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t n;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "driver: %s: out of memory\n", path);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		fprintf(stderr, "driver: %s: short read\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	fd_ninputs++;
	return 0;
}

/* @path, or each regular file in it when it is a directory (sorted, so a
 * failure is reproducible by the order of the runs before it). */
static int fd_run_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	char sub[4096];
	int n, i, rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fd_run_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(sub, &st) == 0 && S_ISREG(st.st_mode) &&
		    fd_run_file(sub) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++)
		if (fd_run_path(argv[i]) < 0)
			rc = 1;
	printf("%lu inputs\n", fd_ninputs);
	return rc;
}
