/*
 * capture_reader.c - the .scap reader: block walking, section header,
 * machine info, dispatch of the table blocks, and the event iterator.
 *
 * HOW IT WORKS. All parsing goes through src_get(off, n), which returns a
 * pointer to n bytes at file offset off. A file (raw or gzip) is read into
 * a sliding window: pread() for raw bytes, gzread() for gzip. Since the
 * reader only moves forward, bytes before the requested offset are dropped
 * at each refill and the window grows to the largest block seen; a block
 * costs a bounds check and events are handed out in place, valid until the
 * next call. Reading beats mmap() here: the first touch of each page of a
 * mapping costs a fault (on the 2-vCPU CI VM, walking the headers of a
 * cached 930 MB capture took 0.55 s through a fresh mapping, 0.05 s
 * through the same mapping again, 0.065 s with read() into a 256 KiB
 * buffer; a 1-worker replay of that file went from 2.4 s to 1.85 s). A
 * mapping shared by the workers of a replay only moves that cost to the
 * first worker to touch each page.
 * Enter events the converter must remember stay in the window by pointer
 * and are copied only when a refill would move them (evt_conv__pin).
 * cap_reader_open_mem() reads caller memory in place, as one window that
 * holds all of it. Every block's
 * length is checked against what the file holds and against its trailer
 * before any byte of its body is trusted, and every event's length and
 * parameter lengths against its block, so corrupt input ends in an error
 * that names the offset, never in a read out of bounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h> /* memfd_create */
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "abi/event_table.h"
#include "capture_int.h"

#define GZ_WINDOW_MIN (1u << 20)
#define RAW_WINDOW_MIN (256u << 10) /* fits L2 with the engine's working set */
#define SCRATCH_MIN (64u << 10)
#define MAX_BLOCK_TYPES 32

struct cap_reader {
	/* caller memory (cap_reader_open_mem), read as a window that holds
	 * all of it; else NULL and the window is filled from fd or gz */
	const uint8_t *map;
	int fd; /* raw file (our dup) or -1 */
	gzFile gz;
	uint8_t *win;
	size_t win_cap, win_len;
	uint64_t win_off;
	bool win_eof;

	uint64_t pos; /* offset of the next block */
	uint16_t major, minor;
	bool has_machine;
	struct cap_machine machine;
	struct cap_tables tables;
	struct cap_reader_stats stats;
	struct cap_block_count blocks[MAX_BLOCK_TYPES];
	uint32_t nblocks, last_block; /* last_block: index cache for the hot path */

	uint8_t *scratch; /* converted events */
	size_t scratch_cap;
	struct evt_conv *conv; /* enter events remembered for old exit events */
	uint16_t last_type;    /* evt_info() cache: events come in runs of a type */
	const struct evt_info *last_info;

	struct cap_error err;
	int failed; /* sticky -errno */

	cap_filter_fn *filter; /* consulted on each event's header, or NULL */
	void *filter_ctx;
	bool passed; /* next_fast showed the block at pos to the filter: kept */
};

void cap_set_error(struct cap_error *e, int err, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return;
	e->offset = off;
	e->err = err;
	n = snprintf(e->msg, sizeof(e->msg), "offset %llu: ", (unsigned long long)off);
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
}

static int fail(struct cap_reader *r, int err, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct cap_reader *r, int err, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->err.offset = off;
	r->err.err = err;
	n = snprintf(r->err.msg, sizeof(r->err.msg), "offset %llu: ", (unsigned long long)off);
	va_start(ap, fmt);
	vsnprintf(r->err.msg + n, sizeof(r->err.msg) - n, fmt, ap);
	va_end(ap);
	r->failed = err;
	return err;
}

/* Refill the window so it holds [off, off + n); see HOW IT WORKS. */
static const uint8_t *win_get(struct cap_reader *r, uint64_t off, size_t n, size_t *have)
{
	size_t drop = (size_t)(off - r->win_off);

	if (r->map) { /* the window is all of the caller's memory: past its end */
		*have = off < r->win_len ? r->win_len - (size_t)off : 0;
		return NULL;
	}

	if (drop > r->win_len)
		drop = r->win_len; /* cannot happen: the reader never skips ahead */
	/* the converter keeps enter events in the window by pointer
	 * (EVT_CONV_HELD): they are copied before its bytes move */
	evt_conv__pin(r->conv);
	memmove(r->win, r->win + drop, r->win_len - drop);
	r->win_len -= drop;
	r->win_off += drop;
	if (n > r->win_cap) {
		size_t cap = r->win_cap * 2 > n ? r->win_cap * 2 : n;
		uint8_t *w = realloc(r->win, cap);

		if (!w) {
			fail(r, -ENOMEM, off, "out of memory for a %zu-byte block", n);
			*have = 0;
			return NULL;
		}
		r->win = w;
		r->win_cap = cap;
	}
	while (r->win_len < n && !r->win_eof) {
		size_t want = r->win_cap - r->win_len;
		ssize_t k;
		int zerr;

		if (r->fd >= 0) {
			k = pread(r->fd, r->win + r->win_len, want, (off_t)(r->win_off + r->win_len));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				fail(r, -errno, r->win_off + r->win_len, "read: %s", strerror(errno));
				*have = 0;
				return NULL;
			}
			r->win_eof = k == 0;
			r->win_len += (size_t)k;
			continue;
		}
		k = gzread(r->gz, r->win + r->win_len, want > (1u << 30) ? 1u << 30 : (unsigned)want);
		if (k < 0) {
			fail(r, -EINVAL, r->win_off + r->win_len, "corrupt gzip data: %s",
			     gzerror(r->gz, &zerr));
			*have = 0;
			return NULL;
		}
		if (k == 0) {
			r->win_eof = true;
			gzerror(r->gz, &zerr);
			if (zerr != Z_OK && zerr != Z_STREAM_END) {
				fail(r, -EINVAL, r->win_off + r->win_len,
				     "gzip stream ends early (truncated file?)");
				*have = 0;
				return NULL;
			}
		}
		r->win_len += (size_t)k;
	}
	*have = r->win_len;
	return r->win_len >= n ? r->win : NULL;
}

/* @n bytes at @off, or NULL with *have = the bytes the file holds there. */
static inline const uint8_t *src_get(struct cap_reader *r, uint64_t off, size_t n, size_t *have)
{
	if (off >= r->win_off && off - r->win_off + n <= r->win_len) {
		*have = r->win_len - (size_t)(off - r->win_off);
		return r->win + (off - r->win_off);
	}
	return win_get(r, off, n, have);
}

/* The bytes at r->pos already in memory: a pointer and how many (*left,
 * maybe 0). The hot paths walk these without a call per block. */
static inline const uint8_t *src_here(const struct cap_reader *r, uint64_t *left)
{
	if (r->pos >= r->win_off && r->pos - r->win_off <= r->win_len) {
		*left = r->win_len - (r->pos - r->win_off);
		return r->win + (r->pos - r->win_off);
	}
	*left = 0;
	return r->win;
}

/* Count n blocks of type. */
static inline __attribute__((always_inline)) void count_blocks(struct cap_reader *r, uint32_t type,
							       uint64_t n)
{
	uint32_t i;

	if (r->last_block < r->nblocks && r->blocks[r->last_block].type == type) {
		r->blocks[r->last_block].count += n;
		return;
	}
	for (i = 0; i < r->nblocks; i++) {
		if (r->blocks[i].type == type)
			break;
	}
	if (i == r->nblocks) {
		if (r->nblocks == MAX_BLOCK_TYPES)
			return; /* only fuzzed files have this many types */
		r->blocks[r->nblocks].type = type;
		r->blocks[r->nblocks++].count = 0;
	}
	r->blocks[i].count += n;
	r->last_block = i;
}

static bool is_event_block(uint32_t type)
{
	switch (type) {
	case CAP_EV:
	case CAP_EV_INT:
	case CAP_EV_V2:
	case CAP_EV_V2_LARGE:
	case CAP_EVF:
	case CAP_EVF_V2:
	case CAP_EVF_V2_LARGE:
		return true;
	}
	return false;
}

/*
 * Read and check the block at r->pos. Returns 1 with the body in
 * @body/@body_len (trailer excluded), 0 at a clean end of file, or -errno.
 * Does not advance r->pos.
 */
static int read_block_slow(struct cap_reader *r, uint32_t *type, const uint8_t **body,
			   uint32_t *body_len);

static inline int read_block(struct cap_reader *r, uint32_t *type, const uint8_t **body,
			     uint32_t *body_len)
{
	/* Fast path for a block already in memory and well formed; anything
	 * unusual (a refill, end of file, errors) takes the slow path. */
	uint64_t left;
	const uint8_t *p = src_here(r, &left);

	if (left >= 8) {
		uint32_t len = evt_ld32(p + 4);

		if (len >= CAP_BLOCK_OVERHEAD && len <= EVT_MAX_LEN && len <= left &&
		    evt_ld32(p + len - 4) == len) {
			*type = evt_ld32(p);
			*body = p + 8;
			*body_len = len - CAP_BLOCK_OVERHEAD;
			return 1;
		}
	}
	return read_block_slow(r, type, body, body_len);
}

static int read_block_slow(struct cap_reader *r, uint32_t *type, const uint8_t **body,
			   uint32_t *body_len)
{
	const uint8_t *p;
	uint32_t len, trailer, max;
	size_t have;

	p = src_get(r, r->pos, 8, &have);
	if (!p) {
		if (r->failed)
			return r->failed;
		if (have == 0)
			return 0;
		return fail(r, -EINVAL, r->pos,
			    "truncated file: expected an 8-byte block header, found %zu bytes", have);
	}
	*type = evt_ld32(p);
	len = evt_ld32(p + 4);
	if (len < CAP_BLOCK_OVERHEAD)
		return fail(r, -EINVAL, r->pos,
			    "block type 0x%x has length %u, less than the 12-byte minimum", *type,
			    len);
	max = is_event_block(*type) ? EVT_MAX_LEN + 64 : CAP_MAX_META_BLOCK;
	if (len > max)
		return fail(r, -EINVAL, r->pos,
			    "block type 0x%x has length %u, more than the %u allowed", *type, len,
			    max);
	p = src_get(r, r->pos, len, &have);
	if (!p) {
		if (r->failed)
			return r->failed;
		return fail(r, -EINVAL, r->pos,
			    "truncated file: block type 0x%x needs %u bytes, only %zu remain",
			    *type, len, have);
	}
	trailer = evt_ld32(p + len - 4);
	if (trailer != len)
		return fail(r, -EINVAL, r->pos,
			    "block type 0x%x: length %u in its header but %u in its trailer at "
			    "offset %llu",
			    *type, len, trailer, (unsigned long long)(r->pos + len - 4));
	*body = p + 8;
	*body_len = len - CAP_BLOCK_OVERHEAD;
	return 1;
}

static int read_section_header(struct cap_reader *r)
{
	const uint8_t *body;
	uint32_t type = 0, len, magic;
	int rc;

	rc = read_block(r, &type, &body, &len);
	if (rc == 0)
		return fail(r, -EINVAL, 0, "empty file: expected a scap section header block");
	if (rc < 0) {
		/* Say "not a capture" rather than the length complaint. */
		size_t have;
		const uint8_t *p = src_get(r, 0, 4, &have);

		if (p && evt_ld32(p) != CAP_SHB_TYPE)
			return fail(r, -EINVAL, 0,
				    "not a scap capture: expected section header block type "
				    "0x0a0d0d0a, found 0x%08x",
				    evt_ld32(p));
		return rc;
	}
	if (rc < 0)
		return rc;
	if (type != CAP_SHB_TYPE)
		return fail(r, -EINVAL, 0,
			    "not a scap capture: expected section header block type 0x0a0d0d0a, "
			    "found 0x%08x",
			    type);
	if (len < CAP_SHB_BODY)
		return fail(r, -EINVAL, 0, "section header block too short (%u body bytes, need %u)",
			    len, CAP_SHB_BODY);
	magic = evt_ld32(body);
	if (magic == CAP_SHB_MAGIC_SWAPPED)
		return fail(r, -EINVAL, 8, "big-endian captures are not supported");
	if (magic != CAP_SHB_MAGIC)
		return fail(r, -EINVAL, 8, "bad byte-order magic 0x%08x, expected 0x1a2b3c4d",
			    magic);
	r->major = evt_ld16(body + 4);
	r->minor = evt_ld16(body + 6);
	if (r->major != CAP_MAJOR)
		return fail(r, -EINVAL, 12, "unsupported scap version %u.%u (this reader knows 1.x)",
			    r->major, r->minor);
	count_blocks(r, type, 1);
	r->pos += len + CAP_BLOCK_OVERHEAD;
	return 0;
}

static int read_machine(struct cap_reader *r, const uint8_t *body, uint32_t len)
{
	struct cap_machine *m = &r->machine;

	if (len < CAP_MI_MIN_BODY)
		return fail(r, -EINVAL, r->pos, "machine info block too short (%u bytes, need %u)",
			    len, CAP_MI_MIN_BODY);
	memset(m, 0, sizeof(*m));
	memcpy(&m->num_cpus, body, 4);
	memcpy(&m->memory_bytes, body + 4, 8);
	memcpy(&m->max_pid, body + 12, 8);
	memcpy(m->hostname, body + 20, 128);
	m->hostname[128] = '\0';
	if (len >= 156)
		memcpy(&m->boot_ts, body + 148, 8);
	if (len >= 164)
		memcpy(&m->flags, body + 156, 8);
	r->has_machine = true;
	return 0;
}

static int read_table_block(struct cap_reader *r, uint32_t type, const uint8_t *body,
			    uint32_t len)
{
	struct cap_cur c = { .p = body, .end = body + len, .base = body, .base_off = r->pos + 8 };
	int rc;

	switch (type) {
	case CAP_MI:
	case CAP_MI_INT:
		return read_machine(r, body, len);
	case CAP_PL_V1:
	case CAP_PL_V1_INT:
	case CAP_PL_V2:
	case CAP_PL_V2_INT:
	case CAP_PL_V3:
	case CAP_PL_V3_INT:
	case CAP_PL_V4:
	case CAP_PL_V5:
	case CAP_PL_V6:
	case CAP_PL_V7:
	case CAP_PL_V8:
	case CAP_PL_V9:
		rc = cap_parse_proclist(&r->tables, type, &c, &r->err);
		break;
	case CAP_FDL:
	case CAP_FDL_INT:
	case CAP_FDL_V2:
		rc = cap_parse_fdlist(&r->tables, type, &c, &r->err);
		break;
	case CAP_UL:
	case CAP_UL_INT:
	case CAP_UL_V2:
		rc = cap_parse_userlist(&r->tables, type, &c, &r->err);
		break;
	case CAP_IL:
	case CAP_IL_INT:
	case CAP_IL_V2:
		rc = cap_parse_iflist(&r->tables, type, &c, &r->err);
		break;
	default:
		r->stats.skipped_blocks++;
		return 0;
	}
	if (rc)
		r->failed = rc;
	return rc;
}

/* Read the metadata blocks up to (not including) the first event block. */
static int read_metadata(struct cap_reader *r)
{
	for (;;) {
		const uint8_t *body;
		uint32_t type, len;
		int rc = read_block(r, &type, &body, &len);

		if (rc <= 0)
			return rc;
		if (is_event_block(type))
			return 0;
		count_blocks(r, type, 1);
		rc = read_table_block(r, type, body, len);
		if (rc)
			return rc;
		r->pos += len + CAP_BLOCK_OVERHEAD;
	}
}

static struct cap_reader *reader_new(void)
{
	struct cap_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->scratch = malloc(SCRATCH_MIN);
	if (!r->scratch) {
		free(r);
		return NULL;
	}
	r->scratch_cap = SCRATCH_MIN;
	r->fd = -1;
	return r;
}

/* Shared tail of the constructors: parse up to the first event. */
static struct cap_reader *reader_start(struct cap_reader *r, struct cap_error *err)
{
	int rc = read_section_header(r);

	if (!rc)
		rc = read_metadata(r);
	if (rc) {
		if (err)
			*err = r->err;
		cap_reader_close(r);
		errno = -rc;
		return NULL;
	}
	return r;
}

static void set_err_errno(struct cap_error *err, int e, const char *what)
{
	cap_set_error(err, -e, 0, "%s: %s", what, strerror(e));
	errno = e;
}

struct cap_reader *cap_reader_open_fd(int fd, struct cap_error *err)
{
	struct cap_reader *r;
	unsigned char magic[2] = { 0, 0 };
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		set_err_errno(err, errno, "fstat");
		return NULL;
	}
	r = reader_new();
	if (!r) {
		set_err_errno(err, ENOMEM, "reader");
		return NULL;
	}
	n = pread(fd, magic, sizeof(magic), 0);
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		if (dfd >= 0 && lseek(dfd, 0, SEEK_SET) < 0) {
			set_err_errno(err, errno, "lseek");
			close(dfd);
			cap_reader_close(r);
			return NULL;
		}
		r->gz = dfd >= 0 ? gzdopen(dfd, "rb") : NULL;
		r->win = malloc(GZ_WINDOW_MIN);
		if (!r->gz || !r->win) {
			if (dfd >= 0 && !r->gz)
				close(dfd);
			set_err_errno(err, r->win ? EIO : ENOMEM, "gzdopen");
			cap_reader_close(r);
			return NULL;
		}
		r->win_cap = GZ_WINDOW_MIN;
		gzbuffer(r->gz, 256 << 10);
		return reader_start(r, err);
	}
	if (st.st_size == 0) {
		cap_set_error(err, -EINVAL, 0, "empty file: expected a scap section header block");
		cap_reader_close(r);
		errno = EINVAL;
		return NULL;
	}
	r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	r->win = malloc(RAW_WINDOW_MIN);
	if (r->fd < 0 || !r->win) {
		set_err_errno(err, r->win ? errno : ENOMEM, "reader");
		cap_reader_close(r);
		return NULL;
	}
	r->win_cap = RAW_WINDOW_MIN;
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return reader_start(r, err);
}

struct cap_reader *cap_reader_open(const char *path, struct cap_error *err)
{
	struct cap_reader *r;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		cap_set_error(err, -e, 0, "cannot open %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	r = cap_reader_open_fd(fd, err);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

struct cap_reader *cap_reader_open_mem(const void *buf, size_t len, struct cap_error *err)
{
	const uint8_t *b = buf;
	struct cap_reader *r;
	int fd, e;

	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		fd = memfd_create("cap_reader", MFD_CLOEXEC);
		if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
			e = fd < 0 ? errno : EIO;
			if (fd >= 0)
				close(fd);
			set_err_errno(err, e, "memfd");
			return NULL;
		}
		r = cap_reader_open_fd(fd, err);
		e = errno;
		close(fd);
		errno = e;
		return r;
	}
	if (len == 0) {
		cap_set_error(err, -EINVAL, 0, "empty file: expected a scap section header block");
		errno = EINVAL;
		return NULL;
	}
	r = reader_new();
	if (!r) {
		set_err_errno(err, ENOMEM, "reader");
		return NULL;
	}
	r->map = b;
	/* one window over all of it: the hot paths have no second case */
	r->win = (uint8_t *)b; /* never written: win_get() does not refill it */
	r->win_cap = r->win_len = len;
	r->win_eof = true;
	return reader_start(r, err);
}

/* Length in bytes of the parameter-length array entries of @info's type. */
static inline uint32_t len_size(const struct evt_info *info)
{
	return (info->flags & EVT_FLAG_LARGE_PAYLOAD) ? 4 : 2;
}

/* Do a V2 event's nparams and parameter lengths fit its length? No side
 * effects: next_fast asks it before it commits to a block. At most 32
 * lengths below 2^32, so the sum cannot wrap: all are added (a plain loop)
 * and compared once. Inlined in both callers: out of line it cost a
 * replay worker ~30 more instructions per event (callgrind). */
static inline __attribute__((always_inline)) bool params_fit(const uint8_t *e, uint32_t evlen,
							     uint32_t ls)
{
	uint32_t nparams = evt_ld32(e + 22), i;
	const uint8_t *lens = e + EVT_HDR_LEN;
	uint64_t used;

	if (nparams > EVT_MAX_PARAMS)
		return false;
	used = EVT_HDR_LEN + (uint64_t)nparams * ls;
	if (used > evlen)
		return false;
	if (ls == 2)
		for (i = 0; i < nparams; i++)
			used += evt_ld16(lens + 2 * i);
	else
		for (i = 0; i < nparams; i++)
			used += evt_ld32(lens + 4 * i);
	return used <= evlen;
}

/* The error of an event params_fit() refused, naming what does not fit
 * (the first parameter that goes past the end, if that is it). */
static __attribute__((noinline, cold)) int params_bad(struct cap_reader *r, const uint8_t *e,
						      uint32_t evlen, uint32_t ls, uint64_t off)
{
	uint32_t nparams = evt_ld32(e + 22), i, pl = 0;
	uint64_t used = EVT_HDR_LEN + (uint64_t)nparams * ls;

	if (nparams > EVT_MAX_PARAMS)
		return fail(r, -EINVAL, off, "event type %u has %u parameters, at most %u expected",
			    evt_ld16(e + 20), nparams, EVT_MAX_PARAMS);
	if (used > evlen)
		return fail(r, -EINVAL, off,
			    "event type %u: %u parameter lengths do not fit its length %u",
			    evt_ld16(e + 20), nparams, evlen);
	for (i = 0; i < nparams; i++) {
		pl = ls == 2 ? evt_ld16(e + EVT_HDR_LEN + 2 * i) : evt_ld32(e + EVT_HDR_LEN + 4 * i);
		used += pl;
		if (used > evlen)
			break;
	}
	return fail(r, -EINVAL, off,
		    "event type %u: parameter %u has length %u, past the end of the %u-byte event",
		    evt_ld16(e + 20), i, pl, evlen);
}

/* Check a V2 event's nparams and parameter lengths against its length. */
static inline __attribute__((always_inline)) int
check_v2_params(struct cap_reader *r, const uint8_t *e, uint32_t evlen,
		const struct evt_info *info, uint64_t off)
{
	uint32_t ls = len_size(info);

	return params_fit(e, evlen, ls) ? 0 : params_bad(r, e, evlen, ls, off);
}

/* An old-layout enter event libs' converter would only remember and drop
 * (its facts now travel in the exit event): remembered by reference and
 * handed out as it is. The common case of every current capture. */
static inline void remember_in_place(struct cap_reader *r, const uint8_t *e, uint32_t evlen)
{
	evt_conv__remember(r->conv, e, evlen, r->map ? EVT_CONV_STABLE : EVT_CONV_HELD);
	r->stats.kept_old++;
	r->stats.kept_in_place++;
}

/* The rest of a handed-out event (ev->hdr already set) from its block's
 * body, and the reader's counts of it. */
static inline void event_out(struct cap_reader *r, struct cap_event *ev, const uint8_t *body,
			     bool has_flags, uint64_t off)
{
	ev->cpu = evt_ld16(body);
	ev->flags = has_flags ? evt_ld32(body + 2) : 0;
	ev->offset = off;
	if (r->stats.events++ == 0)
		r->stats.first_ts = ev->hdr->ts;
	r->stats.last_ts = ev->hdr->ts;
}

/* Grow the scratch buffer to at least @n bytes. */
static int scratch_reserve(struct cap_reader *r, size_t n, uint64_t off)
{
	uint8_t *s;

	if (n <= r->scratch_cap)
		return 0;
	s = realloc(r->scratch, n);
	if (!s)
		return fail(r, -ENOMEM, off, "out of memory converting an event");
	r->scratch = s;
	r->scratch_cap = n;
	return 0;
}

/*
 * Number of parameters of a V1 event, found as libs' reader does: the
 * largest count (at most the table's) whose lengths exactly fill the event.
 */
static long v1_nparams(const uint8_t *e, uint32_t evlen, uint32_t max, uint32_t ls)
{
	uint32_t n = max + 1;

	while (n-- > 0) {
		uint64_t end = EVT_HDR_V1_LEN + (uint64_t)n * ls;
		uint32_t i;

		if (end > evlen)
			continue;
		for (i = 0; i < n && end <= evlen; i++)
			end += ls == 2 ? evt_ld16(e + EVT_HDR_V1_LEN + 2 * i)
				       : evt_ld32(e + EVT_HDR_V1_LEN + 4 * i);
		if (end == evlen)
			return n;
	}
	return -EINVAL;
}

/*
 * Hand out an event libs' converter drops or cannot convert with its own
 * parameters: re-headed as V2, missing parameters (up to the table entry's
 * count) added empty. Returns the new length in r->scratch or -errno.
 */
static long keep_old(struct cap_reader *r, const uint8_t *e, uint32_t evlen, unsigned hdr_len,
		     const struct evt_info *info, uint64_t off)
{
	uint32_t ls = len_size(info), have, total, i;
	const uint8_t *lens;
	struct evt_hdr h;
	size_t data, sz;
	uint8_t *o;
	long n;

	if (hdr_len == EVT_HDR_LEN) {
		have = evt_ld32(e + 22);
	} else {
		n = v1_nparams(e, evlen, info->nparams, ls);
		if (n < 0)
			return fail(r, -EINVAL, off,
				    "V1 event type %u: parameter lengths do not add up to its "
				    "length %u",
				    evt_ld16(e + 20), evlen);
		have = (uint32_t)n;
	}
	total = have > info->nparams ? have : info->nparams;
	lens = e + hdr_len;
	data = evlen - hdr_len - (size_t)have * ls;
	sz = EVT_HDR_LEN + (size_t)total * ls + data;
	if (sz > EVT_MAX_LEN)
		return fail(r, -EINVAL, off, "event type %u too large", evt_ld16(e + 20));
	if (scratch_reserve(r, sz, off))
		return r->failed;
	o = r->scratch;
	memcpy(&h, e, 16); /* ts, tid */
	h.len = (uint32_t)sz;
	h.type = evt_ld16(e + 20);
	h.nparams = total;
	memcpy(o, &h, EVT_HDR_LEN);
	memcpy(o + EVT_HDR_LEN, lens, (size_t)have * ls);
	for (i = have; i < total; i++)
		memset(o + EVT_HDR_LEN + (size_t)i * ls, 0, ls);
	memcpy(o + EVT_HDR_LEN + (size_t)total * ls, lens + (size_t)have * ls, data);
	return (long)sz;
}

/* Convert an old-layout event into r->scratch. Returns the new length, 0
 * when @e may be used as it is, -ENOENT/-ENOTSUP when libs drops it or has
 * no rule (see keep_old), or another -errno. */
/* The converter state, made on the first event that needs it. */
static int conv_state(struct cap_reader *r, uint64_t off)
{
	if (!r->conv) {
		r->conv = evt_conv__new();
		if (!r->conv)
			return fail(r, -ENOMEM, off, "out of memory for the event converter");
	}
	return 0;
}

static long convert(struct cap_reader *r, const uint8_t *e, uint32_t evlen, unsigned hdr_len,
		    uint64_t off)
{
	if (conv_state(r, off))
		return r->failed;
	for (;;) {
		long n = evt_conv__convert(r->conv, e, evlen, hdr_len, r->scratch, r->scratch_cap);
		uint8_t *s;

		if (n == -ENOSPC && r->scratch_cap < 2 * (size_t)EVT_MAX_LEN) {
			s = realloc(r->scratch, r->scratch_cap * 2);
			if (!s)
				return fail(r, -ENOMEM, off, "out of memory converting an event");
			r->scratch = s;
			r->scratch_cap *= 2;
			continue;
		}
		if (n == -ENOTSUP || n == -ENOENT)
			return n;
		if (n < 0)
			return fail(r, -EINVAL, off,
				    "event type %u (scap %s layout) is malformed and cannot be "
				    "converted",
				    evt_ld16(e + 20), hdr_len == EVT_HDR_LEN ? "V2" : "V1");
		if (n == 0 && hdr_len != EVT_HDR_LEN)
			return fail(r, -EINVAL, off, "V1 event type %u was not converted",
				    evt_ld16(e + 20));
		if (n > 0 && (size_t)n < EVT_HDR_LEN)
			return fail(r, -EINVAL, off, "conversion of event type %u failed",
				    evt_ld16(e + 20));
		return n;
	}
}

/* Hand out the event of an event block; 1, 0 to skip it, or -errno. */
static int take_event(struct cap_reader *r, uint32_t type, const uint8_t *body, uint32_t blen,
		      struct cap_event *ev)
{
	bool v2 = type == CAP_EV_V2 || type == CAP_EV_V2_LARGE || type == CAP_EVF_V2 ||
		  type == CAP_EVF_V2_LARGE;
	bool has_flags = type == CAP_EVF || type == CAP_EVF_V2 || type == CAP_EVF_V2_LARGE;
	uint32_t pre = has_flags ? 6 : 2, hdr_len = v2 ? EVT_HDR_LEN : EVT_HDR_V1_LEN;
	uint64_t off = r->pos;
	const struct evt_info *info;
	const uint8_t *e;
	bool kept = false;
	uint32_t evlen;
	long n = 0;

	if (blen < pre + hdr_len)
		return fail(r, -EINVAL, off,
			    "event block body of %u bytes cannot hold a %u-byte event header", blen,
			    hdr_len);
	e = body + pre;
	evlen = evt_ld32(e + 16);
	if (evlen < hdr_len || evlen > blen - pre)
		return fail(r, -EINVAL, off,
			    "event length %u does not fit its block (expected %u..%u bytes)", evlen,
			    hdr_len, blen - pre);
	if (evt_ld16(e + 20) != r->last_type || !r->last_info) {
		r->last_type = evt_ld16(e + 20);
		r->last_info = evt_info(r->last_type);
	}
	info = r->last_info;
	if (!info) {
		r->stats.skipped_unknown++;
		return 0;
	}
	/* before any check or conversion: a skipped event costs nothing more,
	 * and the converter only ever sees (remembers) the kept ones */
	if (r->passed) {
		r->passed = false; /* next_fast asked already: kept */
	} else if (r->filter) {
		uint64_t ts, tid;

		memcpy(&ts, e, sizeof(ts));
		memcpy(&tid, e + 8, sizeof(tid));
		if (!r->filter(r->filter_ctx, ts, tid, r->last_type, evt_ld16(body))) {
			r->stats.filtered++;
			return 0;
		}
	}
	if (v2) {
		if (check_v2_params(r, e, evlen, info, off))
			return r->failed;
		if (evt_ld32(e + 22) >= info->nparams && (info->flags & EVT_FLAG_OLD) &&
		    evt_type_is_enter(r->last_type)) {
			if ((info->flags & EVT_FLAG_CONVERTER_MANAGED) && conv_state(r, off))
				return r->failed;
			remember_in_place(r, e, evlen); /* no copy, no conversion */
		} else if ((info->flags & EVT_FLAG_OLD) || evt_ld32(e + 22) < info->nparams) {
			n = convert(r, e, evlen, EVT_HDR_LEN, off);
		}
	} else {
		n = convert(r, e, evlen, EVT_HDR_V1_LEN, off);
	}
	if (n == -ENOTSUP || n == -ENOENT) {
		n = keep_old(r, e, evlen, hdr_len, info, off);
		kept = true;
	}
	if (n < 0)
		return (int)n;
	if (n > 0) {
		ev->hdr = (const struct evt_hdr *)r->scratch;
		ev->len = (uint32_t)n;
		ev->stable = false;
		if (kept)
			r->stats.kept_old++;
		else
			r->stats.converted++;
	} else {
		ev->hdr = (const struct evt_hdr *)e;
		ev->len = evlen;
		ev->stable = r->map != NULL;
	}
	event_out(r, ev, body, has_flags, off);
	return 1;
}

/*
 * The common case, kept lean: a run of V2 event blocks in memory, of one
 * block type, whose lengths check out and whose event types are known.
 * Events the filter skips (most of a replay worker's: the other workers'
 * events) go by with the reader's fields in locals; the first one kept is
 * handed out from here when it needs nothing more than its parameter
 * lengths checked: a current layout with every parameter the table lists,
 * or an old-layout enter event the converter only remembers. Returns 1
 * with @ev filled, or 0 at the first block this cannot take; the full path
 * then handles that block and checks it all again (with r->passed set if
 * the filter already kept it, so that it is not asked twice). Skipped and
 * handed-out blocks are accounted as the full path would have. For readers
 * with a filter (replay workers): it saves a kept event the full path's
 * second look at its block, ~47 instructions per event for one worker;
 * a reader without one goes the full path, which is as lean for it.
 */
static int next_fast(struct cap_reader *r, struct cap_event *ev)
{
	const uint8_t *p, *e;
	const struct evt_info *info;
	uint64_t left, skipped = 0, ts, tid;
	uint32_t btype, len, pre, evlen, np, n = 0;
	uint16_t type;
	int rc = 0;

	p = src_here(r, &left);
	if (left < 8)
		return 0;
	btype = evt_ld32(p);
	if (btype == CAP_EV_V2)
		pre = 2;
	else if (btype == CAP_EVF_V2)
		pre = 6;
	else
		return 0;
	for (;;) {
		if (left < 8 || evt_ld32(p) != btype)
			break;
		len = evt_ld32(p + 4);
		if (len < CAP_BLOCK_OVERHEAD + pre + EVT_HDR_LEN || len > EVT_MAX_LEN ||
		    len > left || evt_ld32(p + len - 4) != len)
			break;
		e = p + 8 + pre;
		evlen = evt_ld32(e + 16);
		type = evt_ld16(e + 20);
		if (evlen < EVT_HDR_LEN || evlen > len - CAP_BLOCK_OVERHEAD - pre ||
		    type >= EVT_TYPE_MAX || !evt_table[type].name)
			break;
		memcpy(&ts, e, sizeof(ts));
		memcpy(&tid, e + 8, sizeof(tid));
		if (!r->filter(r->filter_ctx, ts, tid, type, evt_ld16(p + 8))) {
			n++;
			p += len;
			left -= len;
			skipped += len;
			continue;
		}
		/* kept: hand it out if it is a common one */
		r->passed = true;
		info = &evt_table[type];
		np = evt_ld32(e + 22);
		if (np < info->nparams)
			break; /* padded to the table: a copy */
		if (info->flags & EVT_FLAG_OLD) {
			if (!evt_type_is_enter(type) ||
			    ((info->flags & EVT_FLAG_CONVERTER_MANAGED) && !r->conv))
				break; /* converted, or the converter is not made yet */
		}
		if (!params_fit(e, evlen, len_size(info)))
			break; /* the full path says what is wrong, at its block */
		if (info->flags & EVT_FLAG_OLD)
			remember_in_place(r, e, evlen);
		r->passed = false;
		ev->hdr = (const struct evt_hdr *)e;
		ev->len = evlen;
		ev->stable = r->map != NULL;
		event_out(r, ev, p + 8, pre == 6, r->pos + skipped);
		skipped += len;
		rc = 1;
		break;
	}
	if (n + (uint32_t)rc == 0)
		return 0;
	r->pos += skipped;
	r->stats.filtered += n;
	count_blocks(r, btype, n + (uint32_t)rc);
	return rc;
}

int cap_reader_next(struct cap_reader *r, struct cap_event *ev)
{
	for (;;) {
		const uint8_t *body;
		uint32_t type, len;
		int rc;

		if (r->failed)
			return r->failed;
		if (r->filter && !r->passed && next_fast(r, ev))
			return 1;
		rc = read_block(r, &type, &body, &len);
		if (rc <= 0)
			return rc;
		count_blocks(r, type, 1);
		if (is_event_block(type)) {
			rc = take_event(r, type, body, len, ev);
			if (rc < 0)
				return rc;
		} else {
			/* Tables after the first event (a second section): skipped. */
			r->stats.skipped_blocks++;
			rc = 0;
		}
		r->pos += len + CAP_BLOCK_OVERHEAD;
		if (rc > 0)
			return 1;
	}
}

void cap_reader_set_filter(struct cap_reader *r, cap_filter_fn *fn, void *ctx)
{
	r->filter = fn;
	r->filter_ctx = ctx;
}

int cap_raw_fd(const char *path, struct cap_error *err)
{
	unsigned char buf[1 << 16];
	gzFile gz;
	int fd, mfd, e, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		cap_set_error(err, -e, 0, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	if (pread(fd, buf, 2, 0) != 2 || buf[0] != 0x1f || buf[1] != 0x8b)
		return fd;
	mfd = memfd_create("cap_raw", MFD_CLOEXEC);
	gz = mfd >= 0 ? gzdopen(fd, "rb") : NULL;
	if (!gz) {
		e = mfd < 0 ? errno : ENOMEM;
		close(fd);
		if (mfd >= 0)
			close(mfd);
		set_err_errno(err, e, "inflating into a memfd");
		return -e;
	}
	while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
		if (write(mfd, buf, (size_t)n) != n) {
			e = errno ? errno : EIO;
			gzclose(gz);
			close(mfd);
			set_err_errno(err, e, "writing the inflated capture");
			return -e;
		}
	}
	gzclose(gz); /* closes fd; a truncated stream is reported by the readers */
	return mfd;
}

const struct cap_error *cap_reader_error(const struct cap_reader *r)
{
	return &r->err;
}

const struct cap_machine *cap_reader_machine(const struct cap_reader *r)
{
	return r->has_machine ? &r->machine : NULL;
}

const struct cap_tables *cap_reader_tables(const struct cap_reader *r)
{
	return &r->tables;
}

void cap_reader_version(const struct cap_reader *r, uint16_t *major, uint16_t *minor)
{
	*major = r->major;
	*minor = r->minor;
}

bool cap_reader_is_gzip(const struct cap_reader *r)
{
	return r->gz != NULL;
}

const struct cap_reader_stats *cap_reader_stats(const struct cap_reader *r)
{
	return &r->stats;
}

const struct cap_block_count *cap_reader_block_counts(const struct cap_reader *r, uint32_t *n)
{
	*n = r->nblocks;
	return r->blocks;
}

const char *cap_block_name(uint32_t type)
{
	switch (type) {
	case CAP_SHB_TYPE: return "SHB";
	case CAP_MI: return "MI";
	case CAP_MI_INT: return "MI_INT";
	case CAP_PL_V1: return "PL_V1";
	case CAP_PL_V1_INT: return "PL_V1_INT";
	case CAP_PL_V2: return "PL_V2";
	case CAP_PL_V2_INT: return "PL_V2_INT";
	case CAP_PL_V3: return "PL_V3";
	case CAP_PL_V3_INT: return "PL_V3_INT";
	case CAP_PL_V4: return "PL_V4";
	case CAP_PL_V5: return "PL_V5";
	case CAP_PL_V6: return "PL_V6";
	case CAP_PL_V7: return "PL_V7";
	case CAP_PL_V8: return "PL_V8";
	case CAP_PL_V9: return "PL_V9";
	case CAP_FDL: return "FDL";
	case CAP_FDL_INT: return "FDL_INT";
	case CAP_FDL_V2: return "FDL_V2";
	case CAP_EV: return "EV";
	case CAP_EV_INT: return "EV_INT";
	case CAP_EV_V2: return "EV_V2";
	case CAP_EV_V2_LARGE: return "EV_V2_LARGE";
	case CAP_EVF: return "EVF";
	case CAP_EVF_V2: return "EVF_V2";
	case CAP_EVF_V2_LARGE: return "EVF_V2_LARGE";
	case CAP_IL: return "IL";
	case CAP_IL_INT: return "IL_INT";
	case CAP_IL_V2: return "IL_V2";
	case CAP_UL: return "UL";
	case CAP_UL_INT: return "UL_INT";
	case CAP_UL_V2: return "UL_V2";
	}
	return "unknown";
}

void cap_reader_close(struct cap_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->gz)
		gzclose(r->gz);
	if (!r->map)
		free(r->win);
	free(r->scratch);
	evt_conv__free(r->conv);
	cap_tables_release(&r->tables);
	free(r);
}
