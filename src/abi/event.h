/*
 * event.h - the one in-memory event layout shared by the probe, the capture
 * files and the workers.
 *
 * It is the libs event layout, byte for byte: a 26-byte packed little-endian
 * header, then nparams parameter lengths (u16 each, or u32 for event types
 * flagged EVT_FLAG_LARGE_PAYLOAD), then the parameter bytes back to back.
 * Keeping exactly these bytes everywhere is what lets a worker decode an event
 * in place, straight out of a ring buffer or an mmap()ed capture, without a
 * copy. This header has no pointers and only fixed-width types so the BPF side
 * can include it too.
 */
#ifndef PG_ABI_EVENT_H
#define PG_ABI_EVENT_H

#ifdef __bpf__
/* vmlinux.h provides the __u* types for the probe. */
typedef __u8 pg_u8;
typedef __u16 pg_u16;
typedef __u32 pg_u32;
typedef __u64 pg_u64;
#else
#include <stdint.h>
typedef uint8_t pg_u8;
typedef uint16_t pg_u16;
typedef uint32_t pg_u32;
typedef uint64_t pg_u64;
#endif

/* Event header as stored in rings and scap V2 event blocks (26 bytes). */
struct evt_hdr {
	pg_u64 ts;	/* nanoseconds since the epoch */
	pg_u64 tid;	/* thread id that made the event */
	pg_u32 len;	/* whole event: header + lengths + parameter bytes */
	pg_u16 type;	/* event type, libs numbering (enter even, exit odd) */
	pg_u32 nparams; /* number of parameters that follow */
} __attribute__((packed));

#define EVT_HDR_LEN 26u
/* Header of scap V1 event blocks (files before scap 1.2): no nparams field;
 * the count comes from the event table entry of the type. */
#define EVT_HDR_V1_LEN 22u

/* Hard limits a decoder enforces before trusting any length. */
#define EVT_MAX_PARAMS 32u	     /* more than any event type has */
#define EVT_MAX_LEN (64u << 20)	     /* no single event is larger than 64 MiB */

#endif /* PG_ABI_EVENT_H */
