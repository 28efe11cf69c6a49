/*
 * event_table.h - the event types peregrine knows, their parameters, and the
 * in-place decoder.
 *
 * The table itself (event_table.c) is the one place where event numbers,
 * names, directions, flags and parameter layouts are written down; the
 * decoder, the capture reader/writer, the printer, the legacy converter, the
 * field extractors and the generator all read it. Numbers follow libs
 * (falcosecurity/libs driver/ppm_events_public.h): enter events even, exit
 * events odd, old layouts kept under their own numbers with EVT_FLAG_OLD.
 *
 * Thread safety: everything here is immutable data or pure functions of their
 * arguments; any thread may call any function. The only mutable state is the
 * caller-owned struct evt_stats passed to evt_decode().
 */
#ifndef PG_ABI_EVENT_TABLE_H
#define PG_ABI_EVENT_TABLE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "event_types.h" /* enum evt_type: EVT_<NAME>_E / EVT_<NAME>_X = libs numbers */

/* Parameter types, named as in libs (PT_*); the names are facts of the
 * format, the values are ours (never stored in a file). */
enum evt_ptype {
	EPT_NONE = 0,
	EPT_INT8, EPT_INT16, EPT_INT32, EPT_INT64,
	EPT_UINT8, EPT_UINT16, EPT_UINT32, EPT_UINT64,
	EPT_CHARBUF,	  /* NUL-terminated string */
	EPT_BYTEBUF,	  /* raw bytes (read/write payloads) */
	EPT_ERRNO,	  /* int64: >= 0 result, < 0 -errno */
	EPT_SOCKADDR,	  /* u8 family + address */
	EPT_SOCKTUPLE,	  /* u8 family + src + dst */
	EPT_FD,		  /* int64 */
	EPT_PID,	  /* int64 */
	EPT_FDLIST,	  /* u16 count + count * {u64 fd, u16 flags} */
	EPT_FSPATH,	  /* path, NUL-terminated */
	EPT_SYSCALLID,	  /* u16 */
	EPT_SIGTYPE,	  /* u8 */
	EPT_RELTIME,	  /* u64 ns */
	EPT_ABSTIME,	  /* u64 ns since epoch */
	EPT_PORT, EPT_L4PROTO, EPT_SOCKFAMILY, EPT_BOOL,
	EPT_IPV4ADDR, EPT_DYN,
	EPT_FLAGS8, EPT_FLAGS16, EPT_FLAGS32,
	EPT_UID, EPT_GID,
	EPT_DOUBLE,
	EPT_SIGSET,	  /* u32 */
	EPT_CHARBUFARRAY, /* NUL-separated strings */
	EPT_CHARBUF_PAIR_ARRAY,
	EPT_IPV4NET, EPT_IPV6ADDR, EPT_IPV6NET, EPT_IPADDR, EPT_IPNET,
	EPT_MODE,	  /* u32 */
	EPT_FSRELPATH,	  /* path relative to a dirfd parameter */
	EPT_ENUMFLAGS8, EPT_ENUMFLAGS16, EPT_ENUMFLAGS32,
	EPT_FD32,	  /* int32 fd (newer libs events) */
	EPT_PID32,	  /* int32 pid */
	EPT_MAX
};

/* How a parameter's value is printed (libs PF_*). */
enum evt_pfmt { EPF_NA = 0, EPF_DEC, EPF_HEX, EPF_10_PADDED_DEC, EPF_ID, EPF_DIR, EPF_OCT };

/* Unaligned little-endian loads from event bytes (parameters and lengths sit
 * at any offset). */
static inline uint16_t evt_ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t evt_ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Bytes a parameter of fixed-size type @t has on the wire (IP addresses
 * included); 0 for variable-length types. Any thread. */
uint32_t evt_ptype_size(enum evt_ptype t);

/* Event flags (subset of libs EF_*), one bit each. */
#define EVT_FLAG_CREATES_FD (1u << 0)	 /* the exit event returns a new fd */
#define EVT_FLAG_DESTROYS_FD (1u << 1)	 /* the event closes an fd */
#define EVT_FLAG_USES_FD (1u << 2)	 /* the event acts on an fd parameter */
#define EVT_FLAG_READS_FROM_FD (1u << 3)
#define EVT_FLAG_WRITES_TO_FD (1u << 4)
#define EVT_FLAG_MODIFIES_STATE (1u << 5) /* state tracking must see it */
#define EVT_FLAG_UNUSED (1u << 6)	 /* slot reserved by libs, never produced */
#define EVT_FLAG_WAITS (1u << 7)
#define EVT_FLAG_SKIPPARSERESET (1u << 8)
#define EVT_FLAG_OLD (1u << 9)		 /* an old layout; converted on read */
#define EVT_FLAG_LARGE_PAYLOAD (1u << 10) /* parameter lengths are u32 */
#define EVT_FLAG_METAEVENT (1u << 11)	 /* made by the engine, not a syscall */
#define EVT_FLAG_CONVERTER_MANAGED (1u << 12) /* libs' converter has rules for it */

/* Event categories (libs EC_*), used by evt.category. */
enum evt_cat {
	ECAT_UNKNOWN = 0, ECAT_OTHER, ECAT_FILE, ECAT_NET, ECAT_IPC, ECAT_MEMORY,
	ECAT_PROCESS, ECAT_SLEEP, ECAT_SYSTEM, ECAT_SIGNAL, ECAT_USER, ECAT_TIME,
	ECAT_PROCESSING, ECAT_IO_READ, ECAT_IO_WRITE, ECAT_IO_OTHER, ECAT_WAIT,
	ECAT_SCHEDULER, ECAT_INTERNAL, ECAT_SYSCALL, ECAT_TRACEPOINT, ECAT_PLUGIN,
	ECAT_METAEVENT,
};

/* One named flag or enum value of a flags parameter. */
struct evt_flag_name {
	const char *name;
	uint32_t value;
};

struct evt_param_info {
	const char *name;
	enum evt_ptype type;
	enum evt_pfmt fmt;
	const struct evt_flag_name *flags; /* NULL-name terminated, or NULL */
	uint8_t dirfd_param;		   /* for EPT_FSRELPATH: index of the dirfd */
	/* For EPT_DYN: the value's first byte indexes this table, which gives
	 * the type of the bytes that follow. */
	const struct evt_param_info *dyn;
	uint8_t ndyn;
};

struct evt_info {
	const char *name; /* "open", "execve", ... NULL for an unknown slot */
	enum evt_cat category;
	uint32_t flags;	  /* EVT_FLAG_* */
	uint32_t nparams;
	const struct evt_param_info *params;
	/* What produces it: ECAT_SYSCALL, ECAT_TRACEPOINT, ECAT_PLUGIN,
	 * ECAT_METAEVENT or ECAT_INTERNAL (kernel iterators); ECAT_UNKNOWN for
	 * unused slots. @category is the syscall category (file, net, ...). */
	enum evt_cat origin;
};

/* Number of slots in the table (one past the highest event type known). */
extern const uint32_t evt_table_size;

/* The raw table, indexed by type, unused slots included (name NULL, flags
 * EVT_FLAG_UNUSED). Most callers want evt_info(), which hides unused slots. */
extern const struct evt_info evt_table[EVT_TYPE_MAX];

/* Table entry of @type, or NULL when the type is out of range or an unused
 * slot. Inline: the reader and the decoder ask it on every event. */
static inline const struct evt_info *evt_info(uint16_t type)
{
	if (type >= EVT_TYPE_MAX || !evt_table[type].name)
		return NULL;
	return &evt_table[type];
}

/* Direction of an event type: true for enter (even numbers). */
static inline bool evt_type_is_enter(uint16_t type)
{
	return (type & 1) == 0;
}

/* A generic event: a system call without an event of its own, named by its
 * first parameter (the syscall id), so its evt.type is not its type's. */
static inline bool evt_type_is_generic(uint16_t type)
{
	return type == EVT_GENERIC_E || type == EVT_GENERIC_X;
}

/* Look a type up by name and direction; -1 when there is none. Old layouts are
 * never returned (the current layout of a name is unique per direction). */
int evt_type_by_name(const char *name, bool enter);

/* Why a buffer was rejected by the decoder. X-macro: one list, read by the
 * enum and the names. */
#define EVT_REJECT_LIST(X)                                                         \
	X(SHORT_HEADER, "buffer shorter than the event header")                   \
	X(BAD_LEN, "event length smaller than its header or past the buffer")     \
	X(UNKNOWN_TYPE, "event type not in the event table")                      \
	X(TOO_MANY_PARAMS, "nparams larger than the table allows")                \
	X(PARAMS_PAST_END, "parameter lengths run past the end of the event")

enum evt_reject {
	EVT_OK = 0,
#define X(id, desc) EVT_REJECT_##id,
	EVT_REJECT_LIST(X)
#undef X
	EVT_REJECT_MAX
};

/* Human-readable description of a reject reason. */
const char *evt_reject_str(enum evt_reject r);
/* Short identifier of a reject reason ("SHORT_HEADER"), for stats keys. */
const char *evt_reject_name(enum evt_reject r);

/* Per-caller reject counters (one per worker or reader; never shared). */
struct evt_stats {
	uint64_t decoded;
	uint64_t rejected[EVT_REJECT_MAX];
};

/* A decoded event: pointers into the caller's buffer, nothing copied. */
struct evt {
	const struct evt_hdr *hdr;
	const struct evt_info *info;
	uint32_t nparams;
	const uint8_t *param[EVT_MAX_PARAMS];
	uint32_t plen[EVT_MAX_PARAMS];
};

/*
 * evt_decode - validate the event at @buf (at most @avail bytes) and point
 * @ev's parameter slots into it. Returns EVT_OK, or the reason it was
 * rejected (also counted in @st when @st is not NULL). Never reads outside
 * [buf, buf + avail). Any thread; touches only @ev and @st.
 */
enum evt_reject evt_decode(const void *buf, size_t avail, struct evt *ev, struct evt_stats *st);

/* Typed accessors; they return @def when the parameter is missing or has a
 * length that does not fit the type. */
int64_t evt_param_s64(const struct evt *ev, uint32_t i, int64_t def);
uint64_t evt_param_u64(const struct evt *ev, uint32_t i, uint64_t def);
/* String parameter: returns a pointer to a NUL-terminated string inside the
 * event, or "" when the parameter is absent or not NUL-terminated within its
 * length. */
const char *evt_param_str(const struct evt *ev, uint32_t i);


/*
 * evt_convert - bring an event from an older capture to the current layout,
 * so that nothing past the capture reader ever sees an old one.
 * @in/@inlen: the event as stored; @hdr_len: EVT_HDR_LEN, or EVT_HDR_V1_LEN
 * for scap V1 event blocks whose header has no nparams field. Writes the
 * current-layout event (26-byte header, current type number, every parameter
 * of the current table entry; missing ones filled as libs' converter does) to
 * @out (@outcap bytes). Returns the new length (> 0); 0 when @in is already
 * current and complete and may be used as it is (never for V1 headers;
 * an event of a current type with fewer parameters than its entry, which
 * libs passes as it is, gets the missing tail as empty parameters); or -EINVAL
 * (malformed), -ENOSPC (@outcap too small), -ENOTSUP (no known conversion),
 * -ENOENT (libs drops this event: an unused slot, or an old enter event
 * whose facts the exit event carries; the caller skips it).
 * Parameters libs takes from the thread's enter event are filled with their
 * fallback (empty or default) here, as this function keeps no state; use
 * evt_conv__convert() to have them filled from the enter event.
 * Any thread; touches only @out.
 */
long evt_convert(const void *in, size_t inlen, unsigned hdr_len, void *out, size_t outcap);

/*
 * struct evt_conv - converter state for one capture being read: the last
 * enter event of each thread (a bounded, direct-mapped cache keyed by tid),
 * so that an old exit event gets the parameters libs moved into exit events
 * from its enter event. Owned by one thread (the capture reader).
 */
struct evt_conv;

/* NULL + errno on failure. */
struct evt_conv *evt_conv__new(void);
/* Accepts NULL. */
void evt_conv__free(struct evt_conv *cv);
/* How long the bytes given to evt_conv__remember() stay valid. */
enum evt_conv_mem {
	EVT_CONV_STABLE, /* until @cv is freed (caller memory, a mapped file): kept by pointer */
	EVT_CONV_HELD,	 /* until the caller's next evt_conv__pin() (a read window):
			  * kept by pointer, copied by the pin if still wanted */
	EVT_CONV_COPY,	 /* only during the call: copied now */
};
/*
 * evt_conv__remember - note a current-layout (V2) enter event for its
 * thread, exactly as evt_conv__convert() would before dropping it, without
 * converting it: the cheap path readers take for enter events they hand out
 * as they are. @mem says how long @ev's bytes stay valid.
 */
void evt_conv__remember(struct evt_conv *cv, const void *ev, size_t len, enum evt_conv_mem mem);
/*
 * evt_conv__pin - copy every enter event remembered as EVT_CONV_HELD since
 * the last pin that is still the one of its thread; call it before the held
 * bytes change (a reader, before it moves or refills its window). Its cost
 * is the threads remembered since the last pin, not the cache's size.
 * Accepts NULL.
 */
void evt_conv__pin(struct evt_conv *cv);
/* evt_convert() with enter-event memory; @cv may be NULL (= evt_convert). */
long evt_conv__convert(struct evt_conv *cv, const void *in, size_t inlen, unsigned hdr_len,
		       void *out, size_t outcap);

/*
 * evt_print_param - render parameter @i of @ev as `capture cat` shows it: fds
 * and numbers in decimal, errnos as "-2(ENOENT)", flags by name
 * ("O_RDONLY|O_CLOEXEC"), socket tuples as "ip:port->ip:port", byte buffers
 * with non-printable bytes escaped. Writes at most @cap bytes including the
 * NUL; returns the length it wanted (like snprintf). Any thread.
 */
size_t evt_print_param(const struct evt *ev, uint32_t i, char *buf, size_t cap);

#endif /* PG_ABI_EVENT_TABLE_H */
