/*
 * abi_test.h - helpers shared by the src/abi/ unit tests: build events by
 * hand (any header, any lengths) and walk the event blocks of a .scap file.
 */
#ifndef PG_TESTS_ABI_TEST_H
#define PG_TESTS_ABI_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/event_table.h"

/* A hand-built event: up to 16 params, each given as bytes + length. */
struct tevt {
	uint8_t buf[8192];
	size_t len;
};

struct tparam {
	const void *p;
	uint32_t len;
};

/* Build a V2 (hdr_len 26) or V1 (hdr_len 22) event; @lsz is 2 or 4. */
static inline void tevt_build(struct tevt *t, unsigned hdr_len, uint16_t type, uint64_t tid,
			      unsigned lsz, const struct tparam *ps, uint32_t n)
{
	size_t off = hdr_len + (size_t)n * lsz;
	uint64_t ts = 1000;
	uint32_t i, len;

	for (i = 0; i < n; i++) {
		if (lsz == 2) {
			uint16_t l = (uint16_t)ps[i].len;

			memcpy(t->buf + hdr_len + i * 2, &l, 2);
		} else {
			memcpy(t->buf + hdr_len + i * 4, &ps[i].len, 4);
		}
		memcpy(t->buf + off, ps[i].p, ps[i].len);
		off += ps[i].len;
	}
	len = (uint32_t)off;
	memcpy(t->buf, &ts, 8);
	memcpy(t->buf + 8, &tid, 8);
	memcpy(t->buf + 16, &len, 4);
	memcpy(t->buf + 20, &type, 2);
	if (hdr_len == EVT_HDR_LEN)
		memcpy(t->buf + 22, &n, 4);
	t->len = off;
}

#define TP_STR(s) { (s), (uint32_t)sizeof(s) }
#define TP_VAL(v) { &(v), (uint32_t)sizeof(v) }

/* Read a whole file; NULL when missing. */
static inline uint8_t *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/*
 * Call @fn for each event of an (uncompressed) scap file: @hdr_len says
 * whether it came from a V1 (22) or V2 (26) block. Returns the number of
 * event blocks, or -1 on a malformed block structure.
 */
static inline long t_scap_walk(const uint8_t *b, size_t len,
			       void (*fn)(const uint8_t *ev, size_t avail, unsigned hdr_len,
					  void *arg),
			       void *arg)
{
	size_t off = 0;
	long nev = 0;

	while (off + 12 <= len) {
		uint32_t type, blen, skip = 2;

		memcpy(&type, b + off, 4);
		memcpy(&blen, b + off + 4, 4);
		if (blen < 12 || blen > len - off)
			return -1;
		switch (type) {
		case 0x208: case 0x217: case 0x222: /* EVF: u32 flags too */
			skip = 6;
			/* fallthrough */
		case 0x204: case 0x216: case 0x221: {
			unsigned h = (type == 0x204 || type == 0x208) ? EVT_HDR_V1_LEN : EVT_HDR_LEN;

			if (blen < 12 + skip)
				return -1;
			fn(b + off + 8 + skip, blen - 12 - skip, h, arg);
			nev++;
			break;
		}
		default:
			break;
		}
		off += blen;
	}
	return nev;
}

#endif /* PG_TESTS_ABI_TEST_H */
