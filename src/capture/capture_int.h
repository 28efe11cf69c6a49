/*
 * capture_int.h - facts of the scap file format shared by the reader, the
 * table parsers and the writer: block type numbers, fixed sizes, and the
 * bounds-checked little cursor the parsers read with.
 *
 * Block numbers and layouts are those of falcosecurity/libs
 * (userspace/libscap/scap_savefile.h). Every block is
 * {u32 type; u32 total_len; body; padding to 4; u32 total_len}.
 */
#ifndef PG_CAPTURE_INT_H
#define PG_CAPTURE_INT_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "capture.h"

#define CAP_SHB_TYPE 0x0A0D0D0Au
#define CAP_SHB_MAGIC 0x1A2B3C4Du
#define CAP_SHB_MAGIC_SWAPPED 0x4D3C2B1Au
#define CAP_MAJOR 1
#define CAP_MINOR 2

#define CAP_MI 0x201u
#define CAP_MI_INT 0x8002ABCDu
#define CAP_PL_V1 0x202u
#define CAP_PL_V1_INT 0x8000ABCDu
#define CAP_PL_V2 0x207u
#define CAP_PL_V2_INT 0x8013ABCDu
#define CAP_PL_V3 0x209u
#define CAP_PL_V3_INT 0x8014ABCDu
#define CAP_PL_V4 0x210u
#define CAP_PL_V5 0x211u
#define CAP_PL_V6 0x212u
#define CAP_PL_V7 0x213u
#define CAP_PL_V8 0x214u
#define CAP_PL_V9 0x215u
#define CAP_FDL 0x203u
#define CAP_FDL_INT 0x8001ABCDu
#define CAP_FDL_V2 0x218u
#define CAP_EV 0x204u
#define CAP_EV_INT 0x8010ABCDu
#define CAP_EV_V2 0x216u
#define CAP_EV_V2_LARGE 0x221u
#define CAP_EVF 0x208u
#define CAP_EVF_V2 0x217u
#define CAP_EVF_V2_LARGE 0x222u
#define CAP_IL 0x205u
#define CAP_IL_INT 0x8011ABCDu
#define CAP_IL_V2 0x219u
#define CAP_UL 0x206u
#define CAP_UL_INT 0x8012ABCDu
#define CAP_UL_V2 0x220u

/* block header (8) + trailer (4) */
#define CAP_BLOCK_OVERHEAD 12u
/* SHB body: u32 magic, u16 major, u16 minor, u64 section length */
#define CAP_SHB_BODY 16u
/* MI body: u32 cpus, u64 memory, u64 max_pid, char hostname[128], 4 x u64 */
#define CAP_MI_BODY 180u
#define CAP_MI_MIN_BODY 148u

/* String limits of libs' readers (SCAP_MAX_PATH_SIZE and friends); the
 * writer clamps to them so that libs accepts what we write. */
#define CAP_MAX_PATH 1024u
#define CAP_MAX_ARGS 4096u
#define CAP_MAX_CRED 255u

/* A metadata block larger than this is treated as corrupt. */
#define CAP_MAX_META_BLOCK (1u << 30)

/* Bounds-checked reader over one block body. On the first overrun it sets
 * bad and every later get returns zeros, so parsers check once per entry. */
struct cap_cur {
	const uint8_t *p, *end;
	const uint8_t *base; /* start of the block body */
	uint64_t base_off;   /* file offset of base */
	int bad;
};

static inline size_t cap_cur_left(const struct cap_cur *c)
{
	return (size_t)(c->end - c->p);
}

static inline uint64_t cap_cur_off(const struct cap_cur *c)
{
	return c->base_off + (uint64_t)(c->p - c->base);
}

static inline int cap_cur_take(struct cap_cur *c, void *dst, size_t n)
{
	if (c->bad || cap_cur_left(c) < n) {
		c->bad = 1;
		memset(dst, 0, n);
		return -1;
	}
	memcpy(dst, c->p, n);
	c->p += n;
	return 0;
}

static inline uint8_t cap_get_u8(struct cap_cur *c)
{
	uint8_t v;

	cap_cur_take(c, &v, sizeof(v));
	return v;
}

static inline uint16_t cap_get_u16(struct cap_cur *c)
{
	uint16_t v;

	cap_cur_take(c, &v, sizeof(v));
	return v;
}

static inline uint32_t cap_get_u32(struct cap_cur *c)
{
	uint32_t v;

	cap_cur_take(c, &v, sizeof(v));
	return v;
}

static inline uint64_t cap_get_u64(struct cap_cur *c)
{
	uint64_t v;

	cap_cur_take(c, &v, sizeof(v));
	return v;
}

/* Format an error into @e (offset first, as every message shows it). */
void cap_set_error(struct cap_error *e, int err, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parse one table block body into @t. @type is the block type. Returns 0 or
 * -EINVAL/-ENOMEM with @e filled. In capture_tables.c. */
int cap_parse_proclist(struct cap_tables *t, uint32_t type, struct cap_cur *c,
		       struct cap_error *e);
int cap_parse_fdlist(struct cap_tables *t, uint32_t type, struct cap_cur *c, struct cap_error *e);
int cap_parse_userlist(struct cap_tables *t, uint32_t type, struct cap_cur *c,
		       struct cap_error *e);
int cap_parse_iflist(struct cap_tables *t, uint32_t type, struct cap_cur *c, struct cap_error *e);

#endif /* PG_CAPTURE_INT_H */
