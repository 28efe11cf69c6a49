/*
 * test_corrupt.c - corrupt captures end in a clear error naming the byte
 * offset, never in a crash. Each case starts from a real fixture and
 * truncates or patches a few bytes.
 */
#include <errno.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cap_test.h"

#define EV_V1 0x204u
#define EV_V2 0x216u
#define PL_V9 0x215u

/* Open @buf and read it to the end; returns the first error (or 0) and
 * copies the error details to @err. */
static int read_all(const uint8_t *buf, size_t len, struct cap_error *err)
{
	struct cap_reader *r = cap_reader_open_mem(buf, len, err);
	struct cap_event ev;
	int rc;

	if (!r)
		return -errno;
	while ((rc = cap_reader_next(r, &ev)) > 0)
		;
	if (rc < 0)
		*err = *cap_reader_error(r);
	cap_reader_close(r);
	return rc;
}

static uint8_t *fixture(const char *name, size_t *len)
{
	return load_file(t_fixture(name), len);
}

T_TEST(wrong_magic)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/syscall.scap", &len);

	T_CHECK(buf);
	buf[0] = 'X';
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, 0);
	T_CHECK(strstr(err.msg, "not a scap capture") != NULL);
	free(buf);

	buf = fixture("captures/syscall.scap", &len);
	buf[8] ^= 0xff; /* byte-order magic */
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, 8);
	T_CHECK(strstr(err.msg, "byte-order magic") != NULL);
	free(buf);

	T_EQ_INT(read_all((const uint8_t *)"", 0, &err), -EINVAL);
	T_CHECK(strstr(err.msg, "empty") != NULL);
}

T_TEST(truncated_in_events)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/syscall.scap", &len);
	long off = find_block(buf, len, EV_V1, 100);
	char dir[] = "/tmp/cap_trunc_XXXXXX", path[64];
	struct cap_reader *r;
	struct cap_event ev;
	uint64_t n = 0;
	int rc;

	T_CHECK(buf && off > 0);
	/* in memory: cut in the middle of the 101st event block */
	T_EQ_INT(read_all(buf, (size_t)off + 20, &err), -EINVAL);
	T_EQ_INT(err.offset, off);
	T_CHECK(strstr(err.msg, "truncated") != NULL);
	/* through a file (the mmap path): 100 events, then the error */
	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.scap", dir);
	T_CHECK(write_file(path, buf, (size_t)off + 5) == 0);
	r = cap_reader_open(path, &err);
	T_CHECK(r != NULL);
	while ((rc = cap_reader_next(r, &ev)) > 0)
		n++;
	T_EQ_INT(rc, -EINVAL);
	T_EQ_INT(n, 100);
	T_EQ_INT(cap_reader_error(r)->offset, off);
	T_CHECK(strstr(cap_reader_error(r)->msg, "8-byte block header") != NULL);
	/* sticky */
	T_EQ_INT(cap_reader_next(r, &ev), -EINVAL);
	cap_reader_close(r);
	unlink(path);
	rmdir(dir);
	/* cut exactly at a block boundary: a clean end */
	T_EQ_INT(read_all(buf, (size_t)off, &err), 0);
	free(buf);
}

T_TEST(truncated_in_tables)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/sample_libs.scap", &len);
	long pl = find_block(buf, len, PL_V9, 0);

	T_CHECK(buf && pl > 0);
	T_CHECK(cap_reader_open_mem(buf, (size_t)pl + 1000, &err) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(err.offset, pl);
	T_CHECK(strstr(err.msg, "truncated file") != NULL);
	free(buf);
}

T_TEST(trailer_mismatch)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/sample_libs.scap", &len);
	long off = find_block(buf, len, EV_V2, 10);
	uint32_t blen;

	T_CHECK(buf && off > 0);
	memcpy(&blen, buf + off + 4, 4);
	buf[off + blen - 4] ^= 0x40;
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, off);
	T_CHECK(strstr(err.msg, "trailer") != NULL);
	free(buf);
}

T_TEST(block_longer_than_file)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/sample_libs.scap", &len);
	long off = find_block(buf, len, EV_V2, 20);
	uint32_t huge = (uint32_t)len;

	T_CHECK(buf && off > 0);
	memcpy(buf + off + 4, &huge, 4);
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, off);
	T_CHECK(strstr(err.msg, "remain") != NULL);
	huge = 0xfffffff0u;
	memcpy(buf + off + 4, &huge, 4);
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, off);
	T_CHECK(strstr(err.msg, "allowed") != NULL);
	huge = 4;
	memcpy(buf + off + 4, &huge, 4);
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_CHECK(strstr(err.msg, "minimum") != NULL);
	free(buf);
}

T_TEST(absurd_param_length)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/single_ipv6_conn.scap", &len);
	int nth;

	T_CHECK(buf);
	/* first V2 event with at least one parameter */
	for (nth = 0;; nth++) {
		long off = find_block(buf, len, EV_V2, nth);
		uint32_t np;
		uint16_t big = 0xffff;

		T_CHECK(off > 0);
		memcpy(&np, buf + off + 10 + 22, 4);
		if (np == 0)
			continue;
		memcpy(buf + off + 10 + 26, &big, 2);
		T_EQ_INT(read_all(buf, len, &err), -EINVAL);
		T_EQ_INT(err.offset, off);
		T_CHECK(strstr(err.msg, "parameter 0 has length 65535") != NULL);
		break;
	}
	free(buf);
}

/* The lengths are summed before they are compared: the message must still
 * name the first parameter that goes past the end, here the last one of an
 * event with three or more, one byte too long. */
T_TEST(last_param_one_byte_long)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/single_ipv6_conn.scap", &len);
	char want[64];
	int nth;

	T_CHECK(buf);
	for (nth = 0;; nth++) {
		long off = find_block(buf, len, EV_V2, nth);
		uint32_t np, evlen, sum = 0;
		uint16_t pl;

		T_CHECK(off > 0);
		memcpy(&np, buf + off + 10 + 22, 4);
		memcpy(&evlen, buf + off + 10 + 16, 4);
		if (np < 3)
			continue;
		for (uint32_t i = 0; i < np; i++) {
			memcpy(&pl, buf + off + 10 + 26 + 2 * i, 2);
			sum += pl;
		}
		/* the event's bytes are exactly its header, lengths and values */
		T_EQ_INT(26 + 2 * np + sum, evlen);
		memcpy(&pl, buf + off + 10 + 26 + 2 * (np - 1), 2);
		pl++;
		memcpy(buf + off + 10 + 26 + 2 * (np - 1), &pl, 2);
		T_EQ_INT(read_all(buf, len, &err), -EINVAL);
		T_EQ_INT(err.offset, off);
		snprintf(want, sizeof(want), "parameter %u has length %u,", np - 1, pl);
		T_CHECK(strstr(err.msg, want) != NULL);
		break;
	}
	free(buf);
}

T_TEST(absurd_event_length_and_nparams)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/single_ipv6_conn.scap", &len);
	long off = find_block(buf, len, EV_V2, 3);
	uint32_t v = 1u << 30;

	T_CHECK(buf && off > 0);
	memcpy(buf + off + 10 + 16, &v, 4); /* event len */
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, off);
	T_CHECK(strstr(err.msg, "does not fit its block") != NULL);
	free(buf);

	buf = fixture("captures/single_ipv6_conn.scap", &len);
	v = 5000;
	memcpy(buf + off + 10 + 22, &v, 4); /* nparams */
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_CHECK(strstr(err.msg, "parameters") != NULL);
	free(buf);
}

T_TEST(bad_table_entry_length)
{
	struct cap_error err = { 0 };
	size_t len;
	uint8_t *buf = fixture("captures/sample_libs.scap", &len);
	long pl = find_block(buf, len, PL_V9, 0);
	uint32_t v = 0x00ffffff;

	T_CHECK(buf && pl > 0);
	memcpy(buf + pl + 8, &v, 4); /* first process entry length */
	T_EQ_INT(read_all(buf, len, &err), -EINVAL);
	T_EQ_INT(err.offset, pl + 8);
	T_CHECK(strstr(err.msg, "process entry length") != NULL);
	free(buf);
}

T_TEST(unknown_block_skipped)
{
	struct cap_error err = { 0 };
	size_t len, i;
	uint8_t *buf = fixture("captures/syscall.scap", &len);
	long off = find_block(buf, len, EV_V1, 5);
	uint32_t t = 0x7777;
	struct cap_reader *r;
	struct cap_event ev;
	uint64_t n = 0;

	T_CHECK(buf && off > 0);
	memcpy(buf + off, &t, 4); /* the 6th event block becomes unknown */
	r = cap_reader_open_mem(buf, len, &err);
	T_CHECK(r != NULL);
	while (cap_reader_next(r, &ev) > 0)
		n++;
	T_EQ_INT(n, 367);
	T_EQ_INT(cap_reader_stats(r)->skipped_blocks, 1);
	cap_reader_close(r);
	free(buf);
	/* random bytes after a valid header: an error, never a crash */
	buf = fixture("captures/syscall.scap", &len);
	srand(1);
	for (i = 200; i < len; i += 97)
		buf[i] = (uint8_t)rand();
	(void)read_all(buf, len, &err);
	free(buf);
}

int main(void)
{
	T_RUN(wrong_magic);
	T_RUN(truncated_in_events);
	T_RUN(truncated_in_tables);
	T_RUN(trailer_mismatch);
	T_RUN(block_longer_than_file);
	T_RUN(absurd_param_length);
	T_RUN(last_param_one_byte_long);
	T_RUN(absurd_event_length_and_nparams);
	T_RUN(bad_table_entry_length);
	T_RUN(unknown_block_skipped);
	return T_DONE();
}
