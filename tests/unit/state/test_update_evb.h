/*
 * test_update_evb.h - build events in the libs layout for the state tests: a header,
 * u16 parameter lengths (u32 for large-payload types), then the bytes.
 * Parameters are given as typed items; missing trailing parameters of the
 * table entry are left empty.
 */
#ifndef PG_TESTS_EVB_H
#define PG_TESTS_EVB_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "abi/event_table.h"

struct evb {
	uint8_t buf[8192];
	uint8_t data[8192];
	uint32_t len[EVT_MAX_PARAMS];
	uint32_t n, dlen;
	struct evt ev;
};

static inline void evb_raw(struct evb *b, const void *p, uint32_t len)
{
	memcpy(b->data + b->dlen, p, len);
	b->dlen += len;
	b->len[b->n++] = len;
}

static inline void evb_u64(struct evb *b, uint64_t v) { evb_raw(b, &v, 8); }
static inline void evb_u32(struct evb *b, uint32_t v) { evb_raw(b, &v, 4); }
static inline void evb_u16(struct evb *b, uint16_t v) { evb_raw(b, &v, 2); }
static inline void evb_u8(struct evb *b, uint8_t v) { evb_raw(b, &v, 1); }
static inline void evb_str(struct evb *b, const char *s) { evb_raw(b, s, (uint32_t)strlen(s) + 1); }
static inline void evb_empty(struct evb *b) { b->len[b->n++] = 0; }

/* A NUL-separated list from "a\0b\0" with its full length. */
static inline void evb_list(struct evb *b, const char *s, uint32_t len) { evb_raw(b, s, len); }

/* PT_SOCKTUPLE, IPv4 (addresses in network order, ports host order). */
static inline void evb_tuple4(struct evb *b, const char *sip, uint16_t sp, const char *dip,
			      uint16_t dp)
{
	uint8_t t[13];
	struct in_addr a;

	t[0] = 2;
	inet_pton(AF_INET, sip, &a);
	memcpy(t + 1, &a, 4);
	memcpy(t + 5, &sp, 2);
	inet_pton(AF_INET, dip, &a);
	memcpy(t + 7, &a, 4);
	memcpy(t + 11, &dp, 2);
	evb_raw(b, t, sizeof(t));
}

static inline void evb_tuple6(struct evb *b, const char *sip, uint16_t sp, const char *dip,
			      uint16_t dp)
{
	uint8_t t[37];

	t[0] = 10;
	inet_pton(AF_INET6, sip, t + 1);
	memcpy(t + 17, &sp, 2);
	inet_pton(AF_INET6, dip, t + 19);
	memcpy(t + 35, &dp, 2);
	evb_raw(b, t, sizeof(t));
}

static inline void evb_tuple_unix(struct evb *b, uint64_t src, uint64_t dst, const char *path)
{
	uint8_t t[200];
	size_t l = strlen(path) + 1;

	t[0] = 1;
	memcpy(t + 1, &src, 8);
	memcpy(t + 9, &dst, 8);
	memcpy(t + 17, path, l);
	evb_raw(b, t, (uint32_t)(17 + l));
}

static inline void evb_sockaddr4(struct evb *b, const char *ip, uint16_t port)
{
	uint8_t t[7];
	struct in_addr a;

	t[0] = 2;
	inet_pton(AF_INET, ip, &a);
	memcpy(t + 1, &a, 4);
	memcpy(t + 5, &port, 2);
	evb_raw(b, t, sizeof(t));
}

static inline void evb_begin(struct evb *b)
{
	b->n = 0;
	b->dlen = 0;
}

/* Lay the event out and decode it into b->ev. NULL on a decode failure. */
static inline const struct evt *evb_end(struct evb *b, uint16_t type, uint64_t tid, uint64_t ts)
{
	const struct evt_info *inf = evt_info(type);
	int large = inf && (inf->flags & EVT_FLAG_LARGE_PAYLOAD);
	uint32_t np = inf ? inf->nparams : b->n, lsz = large ? 4 : 2, i, off;
	struct evt_hdr h;

	while (b->n < np)
		b->len[b->n++] = 0;
	h.ts = ts;
	h.tid = tid;
	h.type = type;
	h.nparams = np;
	off = EVT_HDR_LEN;
	for (i = 0; i < np; i++) {
		memcpy(b->buf + off, &b->len[i], lsz);
		off += lsz;
	}
	memcpy(b->buf + off, b->data, b->dlen);
	off += b->dlen;
	h.len = off;
	memcpy(b->buf, &h, EVT_HDR_LEN);
	if (evt_decode(b->buf, off, &b->ev, NULL) != EVT_OK)
		return NULL;
	return &b->ev;
}

/* A clone exit (clone_20: res, exe, args, tid, pid, ptid, cwd, fd limit,
 * page faults, vm sizes, comm, cgroups, flags, uid, gid, vtid, vpid). */
static inline const struct evt *evb_clone_x(struct evb *b, uint64_t tid, int64_t res, uint64_t pid,
					    uint64_t ptid, const char *exe, const char *comm,
					    const char *args, uint32_t alen, const char *cwd,
					    uint32_t flags, uint32_t uid, uint64_t ts)
{
	evb_begin(b);
	evb_u64(b, (uint64_t)res);
	evb_str(b, exe);
	evb_list(b, args, alen);
	evb_u64(b, tid);
	evb_u64(b, pid);
	evb_u64(b, ptid);
	evb_str(b, cwd);
	evb_u64(b, 1024);
	evb_u64(b, 0);
	evb_u64(b, 0);
	evb_u32(b, 0);
	evb_u32(b, 0);
	evb_u32(b, 0);
	evb_str(b, comm);
	evb_list(b, "cpu=/\0", 6);
	evb_u32(b, flags);
	evb_u32(b, uid);
	evb_u32(b, uid);
	evb_u64(b, tid);
	evb_u64(b, pid);
	return evb_end(b, EVT_SYSCALL_CLONE_20_X, tid, ts);
}

#endif /* PG_TESTS_EVB_H */
