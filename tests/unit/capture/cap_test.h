/*
 * cap_test.h - helpers shared by the capture unit tests: load a fixture into
 * memory, walk its blocks, and read all events of a reader.
 */
#ifndef PG_TESTS_CAP_TEST_H
#define PG_TESTS_CAP_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

struct fixture_count {
	const char *name;
	uint64_t events;
};

/* Event counts of the shared captures (fixtures/SOURCES.md; the same as the
 * scap blocks in each file). */
static const struct fixture_count fixture_counts[] = {
	{ "captures/curl_google.scap", 1536 },	 { "captures/single_ipv6_conn.scap", 1728 },
	{ "captures/sample_libs.scap", 572 },	 { "captures/cat_write.scap", 345 },
	{ "captures/syscall.scap", 368 },
};
#define N_FIXTURES (sizeof(fixture_counts) / sizeof(fixture_counts[0]))

/* Whole file in a malloc'd buffer, or NULL. */
static inline uint8_t *load_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Offset of the @nth (0-based) block of type @type, or -1. */
static inline long find_block(const uint8_t *buf, size_t len, uint32_t type, int nth)
{
	size_t off = 0;

	while (off + 8 <= len) {
		uint32_t t, l;

		memcpy(&t, buf + off, 4);
		memcpy(&l, buf + off + 4, 4);
		if (t == type && nth-- == 0)
			return (long)off;
		if (l < 12)
			return -1;
		off += l;
	}
	return -1;
}

static inline int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

#endif /* PG_TESTS_CAP_TEST_H */
