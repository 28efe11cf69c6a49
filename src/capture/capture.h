/*
 * capture.h - read and write .scap capture files (the libs "savefile" format).
 *
 * A capture is a pcapng-like sequence of blocks: a section header, the
 * machine info, the initial process/fd/user/interface tables, then one block
 * per event. The reader turns the tables into plain structs with owned
 * strings (the state module seeds itself from them on replay) and hands out
 * events one by one, always in the current event layout: old layouts (scap
 * V1 event blocks, EVT_FLAG_OLD types, exit events with fewer parameters than
 * the table) are converted with evt_convert() first, so nothing downstream
 * ever sees an old layout. One exception, for fidelity with the libs readers
 * users compare against: old enter events that current libs' converter drops
 * (their facts moved to the exit event) are still handed out, re-headed as V2
 * with missing parameters empty, so event counts and numbering match sysdig.
 * Files (raw through pread(), gzip through zlib) are read into a window
 * and events are handed out in place there; caller memory is read in
 * place (cap_reader_open_mem).
 *
 * The writer produces scap 1.2 files that libs' reader (and Debian's sysdig
 * 0.29.3, built on libs of March 2022) can read: SHB, MI, IL, UL, PL V9,
 * FDL V2, then EV/EVF V2 (or V2_LARGE) blocks.
 *
 * Thread safety: a reader or writer belongs to one thread at a time; distinct
 * readers and writers are independent. Tables returned by a reader are
 * immutable until the reader is closed and may be read by any thread.
 */
#ifndef PG_CAPTURE_H
#define PG_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/event.h"

/* Where and why reading or writing failed. */
struct cap_error {
	uint64_t offset; /* byte offset in the (uncompressed) capture */
	int err;	 /* the -errno the call returned */
	char msg[256];	 /* "offset 1234: block length 99 runs past the end ..." */
};

/* Machine info block (MI). */
struct cap_machine {
	uint32_t num_cpus;
	uint64_t memory_bytes;
	uint64_t max_pid;
	char hostname[129];  /* NUL-terminated (128 bytes on disk) */
	uint64_t boot_ts;    /* host boot time, ns since epoch; 0 in old captures */
	uint64_t flags;
};

/* Process-table entry presence bits (struct cap_proc.has): which optional
 * facts the block version carried. */
#define CAP_PROC_HAS_SID (1u << 0)     /* sid (PL V6+) */
#define CAP_PROC_HAS_VPGID (1u << 1)   /* vpgid (PL V8+) */
#define CAP_PROC_HAS_EXEPATH (1u << 2) /* exepath (PL V7+) */
#define CAP_PROC_HAS_MEM (1u << 3)     /* vm sizes and page faults (PL V2+) */
#define CAP_PROC_HAS_ENV (1u << 4)     /* env (PL V3+) */
#define CAP_PROC_HAS_NS (1u << 5)      /* vtid, vpid, cgroups (PL V4+) */
#define CAP_PROC_HAS_ROOT (1u << 6)    /* root (PL V5+) */
#define CAP_PROC_HAS_LOGINUID (1u << 7)
#define CAP_PROC_HAS_CAPS (1u << 8)    /* the three capability sets */
#define CAP_PROC_HAS_EXE_INO (1u << 9) /* exe inode, ctime, mtime, upper layer */
#define CAP_PROC_HAS_TTY (1u << 10)    /* tty and pidns_init_start_ts */
#define CAP_PROC_HAS_PGID (1u << 11)

/* One thread of the initial process table. Strings are owned by the table
 * and always NUL-terminated; args, env and cgroups are NUL-separated lists
 * whose byte length (without the extra terminator) is in *_len. */
struct cap_proc {
	uint64_t tid, pid, ptid;
	int64_t sid, vpgid, pgid;     /* -1 when unknown */
	char *comm, *exe, *exepath, *cwd, *root;
	char *args, *env, *cgroups;
	uint32_t args_len, env_len, cgroups_len;
	uint64_t fdlimit;
	uint32_t flags;		      /* PPM_CL_* clone flags of the thread */
	uint32_t uid, gid, loginuid;  /* loginuid UINT32_MAX when unknown */
	uint32_t vmsize_kb, vmrss_kb, vmswap_kb;
	uint64_t pfmajor, pfminor;
	int64_t vtid, vpid;	      /* -1 when unknown */
	uint32_t tty;
	uint64_t pidns_init_start_ts;
	uint64_t clone_ts;	      /* not stored in scap files; always 0 here */
	uint64_t exe_ino, exe_ino_ctime, exe_ino_mtime;
	bool exe_writable, exe_upper_layer, exe_lower_layer, exe_from_memfd;
	uint64_t cap_inheritable, cap_permitted, cap_effective;
	uint32_t has;		      /* CAP_PROC_HAS_* */
};

/* fd types, libs numbering (scap_fd_type); stored in files as one byte. */
enum cap_fd_type {
	CAP_FD_UNKNOWN = 0,
	CAP_FD_FILE = 1,
	CAP_FD_DIRECTORY = 2,
	CAP_FD_IPV4_SOCK = 3,
	CAP_FD_IPV6_SOCK = 4,
	CAP_FD_IPV4_SERVSOCK = 5,
	CAP_FD_IPV6_SERVSOCK = 6,
	CAP_FD_FIFO = 7,
	CAP_FD_UNIX_SOCK = 8,
	CAP_FD_EVENT = 9,
	CAP_FD_UNSUPPORTED = 10,
	CAP_FD_SIGNALFD = 11,
	CAP_FD_EVENTPOLL = 12,
	CAP_FD_INOTIFY = 13,
	CAP_FD_TIMERFD = 14,
	CAP_FD_NETLINK = 15,
	CAP_FD_FILE_V2 = 16, /* file with open flags and device */
	CAP_FD_BPF = 17,
	CAP_FD_USERFAULTFD = 18,
	CAP_FD_IOURING = 19,
	CAP_FD_MEMFD = 20,
	CAP_FD_PIDFD = 21,
};

/* One open fd of the initial tables. Addresses are kept as stored (IPv4 as
 * the u32 the kernel gave, i.e. network byte order in memory); server
 * sockets use the s* fields. */
struct cap_fd {
	uint64_t tid; /* owner thread (the FDL block's tid) */
	int64_t fd;
	uint64_t ino;
	uint8_t type; /* enum cap_fd_type */
	uint8_t l4proto;
	uint16_t sport, dport;
	uint32_t sip4, dip4;
	uint8_t sip6[16], dip6[16];
	uint64_t unix_src, unix_dst;
	uint32_t open_flags, dev; /* CAP_FD_FILE_V2; dev only when has_dev */
	bool has_dev;
	char *name; /* path (files, unix sockets, others); "" for IP sockets */
};

struct cap_user {
	uint32_t uid, gid;
	char *name, *home, *shell;
};

struct cap_group {
	uint32_t gid;
	char *name;
};

/* Interface types (libs scap_ifinfo_type). */
#define CAP_IF_IPV4 1
#define CAP_IF_IPV6 2

struct cap_iface {
	uint16_t type; /* CAP_IF_IPV4 or CAP_IF_IPV6 */
	char *name;
	uint32_t addr4, netmask4, bcast4;
	uint8_t addr6[16], netmask6[16], bcast6[16];
	uint64_t linkspeed;
};

/* The initial tables of a capture, in file order. */
struct cap_tables {
	struct cap_proc *procs;
	uint32_t nprocs;
	struct cap_fd *fds;
	uint32_t nfds;
	struct cap_user *users;
	uint32_t nusers;
	struct cap_group *groups;
	uint32_t ngroups;
	struct cap_iface *ifaces;
	uint32_t nifaces;
};

/* Free everything a struct cap_tables owns (strings and arrays) and zero it.
 * For tables a caller built itself with malloc'd strings and arrays. */
void cap_tables_release(struct cap_tables *t);

/* An event handed out by cap_reader_next(). */
struct cap_event {
	const struct evt_hdr *hdr; /* current layout, hdr->len bytes */
	uint32_t len;		   /* == hdr->len */
	uint16_t cpu;
	uint32_t flags;		   /* EVF block flags; 0 for EV blocks */
	uint64_t offset;	   /* file offset of the event's block */
	/* true when hdr points into the caller's memory (cap_reader_open_mem)
	 * and stays valid until cap_reader_close(); false when it points into
	 * a reader buffer that the next cap_reader_next() call may overwrite
	 * (a file's read window, a converted event). */
	bool stable;
};

/* Per-reader counters, filled while reading. */
struct cap_reader_stats {
	uint64_t events;	    /* events handed out */
	uint64_t converted;	    /* of which converted from an old layout */
	/* of which kept with their own parameters (padded to the table entry)
	 * because libs' converter drops them (old enter events) or has no rule */
	uint64_t kept_old;
	uint64_t kept_in_place;	    /* of kept_old, already complete: no copy */
	uint64_t skipped_unknown;   /* events of types the table does not know */
	uint64_t skipped_blocks;    /* unknown or misplaced blocks skipped */
	uint64_t filtered;	    /* events the filter skipped (not in events) */
	uint64_t first_ts, last_ts; /* of the events handed out */
};

/* Count of one block type seen so far. */
struct cap_block_count {
	uint32_t type;
	uint64_t count;
};

struct cap_reader;

/*
 * cap_reader_open - open a capture (raw or gzip, detected by its magic) and
 * read everything up to the first event: section header, machine info and
 * tables. Returns NULL and sets errno on failure; @err (may be NULL) then
 * says where and what.
 */
struct cap_reader *cap_reader_open(const char *path, struct cap_error *err);

/* The same on an open fd (not closed by the reader; may be closed right
 * after this call returns). */
struct cap_reader *cap_reader_open_fd(int fd, struct cap_error *err);

/* The same on a memory buffer, which must stay valid until close (raw
 * captures are read in place; gzip data is inflated through a memfd). */
struct cap_reader *cap_reader_open_mem(const void *buf, size_t len, struct cap_error *err);

/*
 * cap_reader_next - the next event, in the current layout. Returns 1 and
 * fills @ev, 0 at the end of the capture, or -errno (-EINVAL for corrupt
 * input, -EIO, -ENOMEM) with the details in cap_reader_error(). After an
 * error every further call returns the same error. No allocation and no
 * syscall per event on raw files.
 */
int cap_reader_next(struct cap_reader *r, struct cap_event *ev);

/*
 * A filter consulted on the header of every event of a known type, in file
 * order, BEFORE its parameters are checked or its layout converted: true
 * hands it out, false skips it (counted in stats.filtered; a skipped old
 * enter event is not remembered for its exit either, so all events of one
 * tid must get the same answer for their conversion to be complete). ts,
 * tid and type are the raw header's (type may be an old layout's number).
 * Several readers on the same file, each keeping a share, therefore see
 * the same sequence of filter calls: the n-th call is the n-th event the
 * unfiltered reader would hand out. Call before the first
 * cap_reader_next(); fn NULL removes the filter.
 */
typedef bool cap_filter_fn(void *ctx, uint64_t ts, uint64_t tid, uint16_t type, uint16_t cpu);
void cap_reader_set_filter(struct cap_reader *r, cap_filter_fn *fn, void *ctx);

/*
 * An fd on the raw (uncompressed) bytes of the capture at @path: the file
 * itself, or a memfd holding a gzip file inflated once, so that several
 * readers can each open it with cap_reader_open_fd(). The caller closes
 * it. -errno with @err filled on failure.
 */
int cap_raw_fd(const char *path, struct cap_error *err);

/* The last error of @r (offset, message). */
const struct cap_error *cap_reader_error(const struct cap_reader *r);

/* Machine info, or NULL when the capture has none. */
const struct cap_machine *cap_reader_machine(const struct cap_reader *r);

/* The initial tables (empty arrays when the capture has none). */
const struct cap_tables *cap_reader_tables(const struct cap_reader *r);

/* Format version from the section header. */
void cap_reader_version(const struct cap_reader *r, uint16_t *major, uint16_t *minor);

/* true when the file is gzip-compressed. */
bool cap_reader_is_gzip(const struct cap_reader *r);

/* Counters so far. */
const struct cap_reader_stats *cap_reader_stats(const struct cap_reader *r);

/* Block counts per type so far (all blocks once the events are exhausted);
 * *n receives the number of entries. */
const struct cap_block_count *cap_reader_block_counts(const struct cap_reader *r, uint32_t *n);

/* Name of a block type ("EV_V2", "PL_V9", ...), or "unknown". */
const char *cap_block_name(uint32_t type);

/* Close @r and free everything it owns, tables included. Accepts NULL. */
void cap_reader_close(struct cap_reader *r);

/* Writer flags. */
#define CAP_WRITE_GZIP (1u << 0)   /* gzip-compress the file */
/* Write the process table in the layout of libs before 0.10 (no tty, pidns
 * start, exe inode facts, pgid; fd types newer than FILE_V2 written as
 * UNSUPPORTED) so that readers of that age (sysdig 0.29.3) see correct
 * loginuid and capabilities. Current libs reads both layouts. */
#define CAP_WRITE_COMPAT_2022 (1u << 1)

struct cap_writer;

/*
 * cap_writer_open - create @path (truncating it) and write the section
 * header, @machine (may be NULL) and @tables (may be NULL). Returns NULL and
 * sets errno on failure, with details in @err (may be NULL).
 */
struct cap_writer *cap_writer_open(const char *path, unsigned flags,
				   const struct cap_machine *machine,
				   const struct cap_tables *tables, struct cap_error *err);

/*
 * cap_writer_event - append one event (current layout, @ev->len bytes) as
 * an EV_V2 block, or EVF_V2 when @flags is not 0 (the _LARGE variants for
 * large-payload types). Returns 0 or -errno (-EINVAL for a malformed event,
 * -EIO on a write failure).
 */
int cap_writer_event(struct cap_writer *w, uint16_t cpu, const void *ev, uint32_t flags);

/* The last error of @w. */
const struct cap_error *cap_writer_error(const struct cap_writer *w);

/* Flush and close. Returns 0 or -errno (the file may be incomplete then).
 * Accepts NULL. */
int cap_writer_close(struct cap_writer *w);

#endif /* PG_CAPTURE_H */
