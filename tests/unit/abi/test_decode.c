/*
 * test_decode.c - the in-place decoder: well-formed events decode with
 * pointers into the buffer, every malformed case is rejected with its own
 * counted reason, and no length makes it read past the buffer (this test
 * also runs under ASan, with each event copied to an exactly-sized heap
 * block so one byte too far is caught).
 */
#include <time.h>

#include "t.h"
#include "abi_test.h"

/* Decode from a heap copy of exactly @len bytes so ASan sees overreads. */
static enum evt_reject decode_exact(const void *p, size_t len, struct evt *ev,
				    struct evt_stats *st)
{
	static uint8_t *last;
	enum evt_reject r;

	free(last);
	last = malloc(len ? len : 1);
	memcpy(last, p, len);
	r = evt_decode(last, len, ev, st);
	return r;
}

T_TEST(ok)
{
	int64_t fd = 3;
	uint32_t flags = 1, mode = 0644, dev = 8;
	uint64_t ino = 1234;
	struct tparam ps[] = { TP_VAL(fd), TP_STR("/etc/hosts"), TP_VAL(flags),
			       TP_VAL(mode), TP_VAL(dev), TP_VAL(ino) };
	struct evt_stats st = { 0 };
	struct tevt t;
	struct evt ev;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 77, 2, ps, 6);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_OK);
	T_EQ_INT(st.decoded, 1);
	T_EQ_INT(ev.nparams, 6);
	T_EQ_STR(ev.info->name, "open");
	T_EQ_INT(ev.hdr->tid, 77);
	T_EQ_INT(evt_param_s64(&ev, 0, -1), 3);
	T_EQ_STR(evt_param_str(&ev, 1), "/etc/hosts");
	T_EQ_INT(evt_param_u64(&ev, 3, 0), 0644);
	T_EQ_INT(evt_param_u64(&ev, 5, 0), 1234);
	T_EQ_INT(evt_param_u64(&ev, 6, 99), 99); /* absent */
	T_EQ_STR(evt_param_str(&ev, 0), "\x03"); /* NUL inside the length: a string */
}

T_TEST(more_params_than_table)
{
	int64_t res = 0, fd = 3;
	struct tparam ps[EVT_MAX_PARAMS + 1];
	struct evt_stats st = { 0 };
	struct tevt t;
	struct evt ev;
	uint32_t i;

	ps[0] = (struct tparam)TP_VAL(res);
	for (i = 1; i <= EVT_MAX_PARAMS; i++)
		ps[i] = (struct tparam)TP_VAL(fd);
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, ps, 5);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_OK);
	T_EQ_INT(ev.nparams, 5);
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, ps, EVT_MAX_PARAMS);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_OK);
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, ps, EVT_MAX_PARAMS + 1);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_TOO_MANY_PARAMS);
	T_EQ_INT(st.rejected[EVT_REJECT_TOO_MANY_PARAMS], 1);
}

T_TEST(rejects)
{
	int64_t res = 0, fd = 3;
	struct tparam ps[] = { TP_VAL(res), TP_VAL(fd) };
	struct evt_stats st = { 0 };
	struct tevt t;
	struct evt ev;
	uint32_t v;
	uint16_t ty;
	int r;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, ps, 2);
	T_EQ_INT(decode_exact(t.buf, 25, &ev, &st), EVT_REJECT_SHORT_HEADER);
	T_EQ_INT(decode_exact(t.buf, 0, &ev, &st), EVT_REJECT_SHORT_HEADER);
	/* len smaller than the header */
	v = 20;
	memcpy(t.buf + 16, &v, 4);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_BAD_LEN);
	/* len past the buffer */
	v = (uint32_t)t.len + 1;
	memcpy(t.buf + 16, &v, 4);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_BAD_LEN);
	v = (uint32_t)t.len;
	memcpy(t.buf + 16, &v, 4);
	/* unknown and unused types */
	ty = EVT_TYPE_MAX;
	memcpy(t.buf + 20, &ty, 2);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_UNKNOWN_TYPE);
	ty = EVT_PROCEXIT_X;
	memcpy(t.buf + 20, &ty, 2);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_UNKNOWN_TYPE);
	ty = EVT_SYSCALL_CLOSE_X;
	memcpy(t.buf + 20, &ty, 2);
	/* nparams too large */
	v = 0xffffffffu;
	memcpy(t.buf + 22, &v, 4);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_TOO_MANY_PARAMS);
	/* the length array itself past the end */
	v = 30;
	memcpy(t.buf + 22, &v, 4);
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_PARAMS_PAST_END);
	v = 2;
	memcpy(t.buf + 22, &v, 4);
	/* a parameter length past the end, by one byte */
	t.buf[28] = 9;
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_REJECT_PARAMS_PAST_END);
	t.buf[28] = 8;
	T_EQ_INT(decode_exact(t.buf, t.len, &ev, &st), EVT_OK);
	T_EQ_INT(st.rejected[EVT_REJECT_SHORT_HEADER], 2);
	T_EQ_INT(st.rejected[EVT_REJECT_BAD_LEN], 2);
	T_EQ_INT(st.rejected[EVT_REJECT_UNKNOWN_TYPE], 2);
	T_EQ_INT(st.rejected[EVT_REJECT_TOO_MANY_PARAMS], 1);
	T_EQ_INT(st.rejected[EVT_REJECT_PARAMS_PAST_END], 2);
	for (r = 0; r < EVT_REJECT_MAX; r++)
		T_CHECK(evt_reject_str(r) && evt_reject_name(r));
	T_EQ_STR(evt_reject_name(EVT_REJECT_BAD_LEN), "BAD_LEN");
}

/* Large-payload types carry u32 lengths; u16 ones are read as u32. */
T_TEST(large_payload)
{
	const struct evt_info *e = NULL;
	struct evt_stats st = { 0 };
	static uint8_t big[70000];
	struct tparam ps[1] = { { big, sizeof(big) } };
	static struct tevt t;
	struct evt ev;
	uint16_t type;
	uint8_t *b;
	size_t len;

	for (type = 0; type < EVT_TYPE_MAX; type++) {
		e = evt_info(type);
		if (e && (e->flags & EVT_FLAG_LARGE_PAYLOAD) && e->nparams >= 1)
			break;
	}
	T_CHECK(type < EVT_TYPE_MAX);
	/* 70000 bytes in one parameter: only expressible with u32 lengths. */
	len = EVT_HDR_LEN + 4 + sizeof(big);
	b = malloc(len);
	memset(big, 'a', sizeof(big));
	tevt_build(&t, EVT_HDR_LEN, type, 1, 4, ps, 0);
	memcpy(b, t.buf, EVT_HDR_LEN);
	{
		uint32_t n = 1, l = sizeof(big), L = (uint32_t)len;

		memcpy(b + 22, &n, 4);
		memcpy(b + 16, &L, 4);
		memcpy(b + 26, &l, 4);
	}
	memcpy(b + 30, big, sizeof(big));
	T_EQ_INT(evt_decode(b, len, &ev, &st), EVT_OK);
	T_EQ_INT(ev.plen[0], sizeof(big));
	/* The same bytes with a u32 length one too large. */
	{
		uint32_t l = sizeof(big) + 1;

		memcpy(b + 26, &l, 4);
	}
	T_EQ_INT(evt_decode(b, len, &ev, &st), EVT_REJECT_PARAMS_PAST_END);
	/* Two u16 lengths where a u32 is expected: (2 | 2 << 16) is past the end. */
	{
		uint16_t l2[2] = { 2, 2 };
		uint32_t n = 2, L = EVT_HDR_LEN + 4 + 4;

		memcpy(b + 22, &n, 4);
		memcpy(b + 16, &L, 4);
		memcpy(b + 26, l2, 4);
	}
	T_EQ_INT(evt_decode(b, EVT_HDR_LEN + 8, &ev, &st), EVT_REJECT_PARAMS_PAST_END);
	free(b);
}

/* Throughput on one core: a buffer of back-to-back typical events. */
T_TEST(throughput)
{
	int64_t res = 64, fd = 3;
	uint32_t size = 64;
	uint8_t data[64] = { 0 };
	struct tparam ps[] = { TP_VAL(res), { data, sizeof(data) }, TP_VAL(fd), TP_VAL(size) };
	struct evt_stats st = { 0 };
	struct tevt t;
	struct evt ev;
	size_t n = 1 << 20, i, total, off;
	uint8_t *buf;
	struct timespec a, b;
	double secs, gbps;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_READ_X, 1, 2, ps, 4);
	total = n * t.len;
	buf = malloc(total);
	for (i = 0; i < n; i++)
		memcpy(buf + i * t.len, t.buf, t.len);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int rep = 0; rep < 4; rep++)
		for (off = 0; off < total; off += ev.hdr->len)
			if (evt_decode(buf + off, total - off, &ev, &st) != EVT_OK)
				T_FAIL("decode failed at %zu", off);
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(buf);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	gbps = 4.0 * (double)total / secs / 1e9;
	printf("# decode: %.2f GB/s, %.1f Mevents/s\n", gbps, 4.0 * (double)n / secs / 1e6);
	/* Only meaningful in optimised, uninstrumented builds. */
	if (!getenv("SAN") || !getenv("SAN")[0])
		T_CHECK(gbps >= 1.0);
}

int main(void)
{
	T_RUN(ok);
	T_RUN(more_params_than_table);
	T_RUN(rejects);
	T_RUN(large_payload);
	T_RUN(throughput);
	return T_DONE();
}
