/*
 * decode.c - the in-place event decoder and the table lookups.
 *
 * Every event a worker sees passes through evt_decode() once, straight out of
 * a ring buffer or an mmap()ed capture, so it is written for speed: no copy,
 * no allocation, one pass over the length array, and every length checked
 * against the event before a parameter pointer is handed out. What it does not
 * trust it rejects with a reason, counted per caller so the counts never
 * bounce between cores.
 */
#include <string.h>

#include "event_table.h"

static const char *const reject_desc[EVT_REJECT_MAX] = {
	[EVT_OK] = "ok",
#define X(id, desc) [EVT_REJECT_##id] = desc,
	EVT_REJECT_LIST(X)
#undef X
};

static const char *const reject_name[EVT_REJECT_MAX] = {
	[EVT_OK] = "OK",
#define X(id, desc) [EVT_REJECT_##id] = #id,
	EVT_REJECT_LIST(X)
#undef X
};

const char *evt_reject_str(enum evt_reject r)
{
	if ((unsigned)r >= EVT_REJECT_MAX)
		return "unknown reject reason";
	return reject_desc[r];
}

const char *evt_reject_name(enum evt_reject r)
{
	if ((unsigned)r >= EVT_REJECT_MAX)
		return "UNKNOWN";
	return reject_name[r];
}

int evt_type_by_name(const char *name, bool enter)
{
	uint32_t t;

	if (!name)
		return -1;
	/* Linear: called when rules are compiled, never per event. */
	for (t = enter ? 0 : 1; t < EVT_TYPE_MAX; t += 2) {
		const struct evt_info *e = &evt_table[t];

		if (e->name && !(e->flags & (EVT_FLAG_OLD | EVT_FLAG_UNUSED)) &&
		    strcmp(e->name, name) == 0)
			return (int)t;
	}
	return -1;
}

static inline enum evt_reject reject(struct evt_stats *st, enum evt_reject r)
{
	if (st)
		st->rejected[r]++;
	return r;
}

enum evt_reject evt_decode(const void *buf, size_t avail, struct evt *ev, struct evt_stats *st)
{
	const uint8_t *p = buf;
	const struct evt_info *info;
	uint32_t len, n, i;
	uint16_t type;
	size_t off;

	if (avail < EVT_HDR_LEN)
		return reject(st, EVT_REJECT_SHORT_HEADER);
	len = evt_ld32(p + offsetof(struct evt_hdr, len));
	if (len < EVT_HDR_LEN || len > avail || len > EVT_MAX_LEN)
		return reject(st, EVT_REJECT_BAD_LEN);
	type = evt_ld16(p + offsetof(struct evt_hdr, type));
	if (type >= EVT_TYPE_MAX || !evt_table[type].name)
		return reject(st, EVT_REJECT_UNKNOWN_TYPE);
	info = &evt_table[type];
	n = evt_ld32(p + offsetof(struct evt_hdr, nparams));
	/* Newer producers append parameters: more than the table knows is fine,
	 * the extra ones are just not named. */
	if (n > EVT_MAX_PARAMS)
		return reject(st, EVT_REJECT_TOO_MANY_PARAMS);

	/* len <= EVT_MAX_LEN, n <= 32 lengths below 2^32: no sum can wrap. */
	if (info->flags & EVT_FLAG_LARGE_PAYLOAD) {
		off = EVT_HDR_LEN + (size_t)n * 4;
		if (off > len)
			return reject(st, EVT_REJECT_PARAMS_PAST_END);
		for (i = 0; i < n; i++) {
			uint32_t l = evt_ld32(p + EVT_HDR_LEN + i * 4);

			ev->param[i] = p + off;
			ev->plen[i] = l;
			off += l;
		}
	} else {
		off = EVT_HDR_LEN + (size_t)n * 2;
		if (off > len)
			return reject(st, EVT_REJECT_PARAMS_PAST_END);
		for (i = 0; i < n; i++) {
			uint32_t l = evt_ld16(p + EVT_HDR_LEN + i * 2);

			ev->param[i] = p + off;
			ev->plen[i] = l;
			off += l;
		}
	}
	/* one check for all: the sums only grow, so some parameter went past
	 * the end exactly when the last one did (no pointer above is used then) */
	if (off > len)
		return reject(st, EVT_REJECT_PARAMS_PAST_END);
	ev->hdr = (const struct evt_hdr *)buf;
	ev->info = info;
	ev->nparams = n;
	if (st)
		st->decoded++;
	return EVT_OK;
}

int64_t evt_param_s64(const struct evt *ev, uint32_t i, int64_t def)
{
	const uint8_t *p;

	if (i >= ev->nparams)
		return def;
	p = ev->param[i];
	/* Sign-extend from the stored width: an int32 -1 reads as -1. */
	switch (ev->plen[i]) {
	case 1:
		return (int8_t)p[0];
	case 2:
		return (int16_t)evt_ld16(p);
	case 4:
		return (int32_t)evt_ld32(p);
	case 8: {
		int64_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	default:
		return def;
	}
}

uint64_t evt_param_u64(const struct evt *ev, uint32_t i, uint64_t def)
{
	const uint8_t *p;

	if (i >= ev->nparams)
		return def;
	p = ev->param[i];
	switch (ev->plen[i]) {
	case 1:
		return p[0];
	case 2:
		return evt_ld16(p);
	case 4:
		return evt_ld32(p);
	case 8: {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	default:
		return def;
	}
}

const char *evt_param_str(const struct evt *ev, uint32_t i)
{
	uint32_t l;

	if (i >= ev->nparams)
		return "";
	l = ev->plen[i];
	if (l == 0)
		return "";
	/* Producers end strings with their NUL; look further only when not. */
	if (ev->param[i][l - 1] != '\0' && !memchr(ev->param[i], '\0', l))
		return "";
	return (const char *)ev->param[i];
}

/* Wire sizes of the fixed-size parameter types (the converter and the
 * printer agree through this one table). */
uint32_t evt_ptype_size(enum evt_ptype t)
{
	switch (t) {
	case EPT_INT8: case EPT_UINT8: case EPT_FLAGS8: case EPT_ENUMFLAGS8:
	case EPT_SIGTYPE: case EPT_L4PROTO: case EPT_SOCKFAMILY:
		return 1;
	case EPT_INT16: case EPT_UINT16: case EPT_FLAGS16: case EPT_ENUMFLAGS16:
	case EPT_SYSCALLID: case EPT_PORT:
		return 2;
	case EPT_INT32: case EPT_UINT32: case EPT_FLAGS32: case EPT_ENUMFLAGS32:
	case EPT_UID: case EPT_GID: case EPT_MODE: case EPT_SIGSET: case EPT_FD32:
	case EPT_PID32: case EPT_IPV4ADDR: case EPT_BOOL:
		return 4;
	case EPT_INT64: case EPT_UINT64: case EPT_RELTIME: case EPT_ABSTIME:
	case EPT_ERRNO: case EPT_FD: case EPT_PID: case EPT_DOUBLE:
		return 8;
	case EPT_IPV6ADDR:
		return 16;
	default:
		return 0;
	}
}
