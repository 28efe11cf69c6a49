/*
 * extract.c - the extractors: one switch over the registry ids that reads a
 * field's value from the decoded event and the process state.
 *
 * Semantics follow the libs filter checks (sinsp_filtercheck_event.cpp,
 * _thread.cpp, _fd.cpp, _user.cpp, _group.cpp): which events have a value
 * at all (fd.* only on events that create, use or close an fd; evt.res only
 * on syscall exit events), what "absent" means, how strings are built.
 *
 * HOW IT WORKS: a struct fld_worker has one cache slot per distinct field
 * reference of whatever compiled it (a ruleset, a -p format), each stamped
 * with the generation of the event it holds. fld_worker__begin() bumps the
 * generation (so every slot is stale at once, O(1)) and rewinds the scratch
 * arena where built strings live. Nothing here allocates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fields/fields.h"
#include "fields/fields_int.h"
#include "state/state.h"

struct fld_slot {
	uint64_t gen;
	struct fld_vals vals;
	struct fld_value one;
};

struct fld_worker {
	uint64_t gen;
	uint32_t nslots;
	struct fld_slot *slots;
	char *scratch;
	size_t scap, sused;
};

struct fld_worker *fld_worker_new(uint32_t nslots, size_t scratch)
{
	struct fld_worker *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return NULL;
	fw->scap = scratch ? scratch : FLD_SCRATCH_DEFAULT;
	fw->nslots = nslots;
	fw->slots = calloc(nslots ? nslots : 1, sizeof(*fw->slots));
	fw->scratch = malloc(fw->scap);
	if (!fw->slots || !fw->scratch) {
		fld_worker_free(fw);
		errno = ENOMEM;
		return NULL;
	}
	fw->gen = 1;
	return fw;
}

void fld_worker_free(struct fld_worker *fw)
{
	if (!fw)
		return;
	free(fw->slots);
	free(fw->scratch);
	free(fw);
}

void fld_worker__begin(struct fld_worker *fw)
{
	fw->gen++;
	fw->sused = 0;
}

void *fld_worker__scratch(struct fld_worker *fw, size_t n)
{
	size_t at = (fw->sused + 15) & ~(size_t)15;

	if (at + n > fw->scap)
		return NULL;
	fw->sused = at + n;
	return fw->scratch + at;
}

/* ---- scratch strings ---- */

/* A string being built in scratch; truncated silently when scratch runs out. */
struct sb {
	struct fld_worker *fw;
	char *s;
	size_t len, cap;
};

static void sb_init(struct sb *b, struct fld_worker *fw)
{
	b->fw = fw;
	b->s = fw->scratch + fw->sused;
	b->len = 0;
	b->cap = fw->scap - fw->sused;
	if (b->cap)
		b->s[0] = 0;
}

static void sb_put(struct sb *b, const char *p, size_t n)
{
	if (b->cap == 0)
		return;
	if (b->len + n + 1 > b->cap)
		n = b->cap - 1 - b->len;
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_str(struct sb *b, const char *p)
{
	sb_put(b, p, strlen(p));
}

static void sb_fmt(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->cap == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* Finish: keep the bytes in scratch, return the string. */
static const char *sb_done(struct sb *b, uint32_t *len)
{
	if (b->cap == 0) {
		*len = 0;
		return "";
	}
	b->fw->sused += b->len + 1;
	*len = (uint32_t)b->len;
	return b->s;
}

/* Scratch bytes for @n values (aligned). NULL when full. */
static struct fld_value *scratch_vals(struct fld_worker *fw, uint32_t n)
{
	size_t at = (fw->sused + 15) & ~(size_t)15;
	size_t need = n * sizeof(struct fld_value);

	if (at + need > fw->scap)
		return NULL;
	fw->sused = at + need;
	return (struct fld_value *)(void *)(fw->scratch + at);
}

/* Append a NUL-separated list joined with spaces. */
static void sb_list(struct sb *b, const char *list, size_t len)
{
	size_t i = 0;
	bool first = true;

	while (i < len) {
		size_t n = strnlen(list + i, len - i);

		if (!first)
			sb_put(b, " ", 1);
		sb_put(b, list + i, n);
		first = false;
		i += n + 1;
	}
}

/* ---- value setters ---- */

struct out {
	struct fld_vals *vals;
	struct fld_value *v;
};

static bool set_str(struct out *o, const char *s, uint32_t len)
{
	o->v->str.s = s;
	o->v->str.len = len;
	return true;
}

static bool set_cstr(struct out *o, const char *s)
{
	return set_str(o, s, (uint32_t)strlen(s));
}

static bool set_u(struct out *o, uint64_t u)
{
	o->v->u = u;
	return true;
}

static bool set_i(struct out *o, int64_t i)
{
	o->v->i = i;
	return true;
}

static bool set_b(struct out *o, bool b)
{
	o->v->b = b;
	return true;
}

/* ---- events ---- */

static const char *const cat_names[] = {
	[ECAT_UNKNOWN] = "unknown", [ECAT_OTHER] = "other",   [ECAT_FILE] = "file",
	[ECAT_NET] = "net",	    [ECAT_IPC] = "IPC",	      [ECAT_MEMORY] = "memory",
	[ECAT_PROCESS] = "process", [ECAT_SLEEP] = "sleep",   [ECAT_SYSTEM] = "system",
	[ECAT_SIGNAL] = "signal",   [ECAT_USER] = "user",     [ECAT_TIME] = "time",
	[ECAT_PROCESSING] = "processing",		      [ECAT_IO_READ] = "I/O",
	[ECAT_IO_WRITE] = "I/O",    [ECAT_IO_OTHER] = "I/O", [ECAT_WAIT] = "wait",
	[ECAT_SCHEDULER] = "scheduler",			      [ECAT_INTERNAL] = "internal",
	[ECAT_SYSCALL] = "syscall", [ECAT_TRACEPOINT] = "tracepoint",
	[ECAT_PLUGIN] = "plugin",   [ECAT_METAEVENT] = "meta",
};

static bool is_exit(const struct evt *ev)
{
	return !evt_type_is_enter(ev->hdr->type);
}

/* Does the event have a return value (libs has_return_value)? */
static bool has_res(const struct evt *ev)
{
	const struct evt_param_info *p;

	if (!is_exit(ev) || ev->nparams == 0 || !ev->info->nparams)
		return false;
	if (ev->info->origin != ECAT_SYSCALL && ev->info->origin != ECAT_UNKNOWN)
		return false;
	if (ev->hdr->type == EVT_GENERIC_X)
		return false;
	p = &ev->info->params[0];
	(void)p;
	return p->type != EPT_CHARBUF && p->type != EPT_BYTEBUF && p->type != EPT_FSPATH &&
	       ev->plen[0] >= 4;
}

static int64_t res_value(const struct evt *ev)
{
	return evt_param_s64(ev, 0, 0);
}

/* The index of the parameter named @key among the first @n of @inf, -1. */
static int info_param_index(const struct evt_info *inf, uint32_t n, const char *key,
			    uint32_t len)
{
	uint32_t i;

	for (i = 0; i < inf->nparams && i < n; i++) {
		const char *pn = inf->params[i].name;

		if (pn && strlen(pn) == len && memcmp(pn, key, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Index of the parameter named @key of this event, -1 when none. */
static int param_index(const struct evt *ev, const char *key, uint32_t len)
{
	return info_param_index(ev->info, ev->nparams, key, len);
}

static bool ex_param_str(struct fld_worker *fw, const struct evt *ev, uint32_t i, struct out *o)
{
	struct sb b;
	size_t need;

	sb_init(&b, fw);
	if (b.cap == 0)
		return false;
	need = evt_print_param(ev, i, b.s, b.cap);
	b.len = need < b.cap ? need : b.cap - 1;
	o->v->str.s = sb_done(&b, &o->v->str.len);
	return true;
}

/* evt.rawarg: numbers as numbers (S64), everything else as text. */
static bool ex_rawarg(struct fld_worker *fw, const struct evt *ev, uint32_t i, struct out *o)
{
	const struct evt_param_info *pi = &ev->info->params[i];

	switch (pi->type) {
	case EPT_INT8: case EPT_INT16: case EPT_INT32: case EPT_INT64: case EPT_ERRNO:
	case EPT_FD: case EPT_PID: case EPT_FD32: case EPT_PID32:
		o->vals->type = FLD_T_S64;
		return set_i(o, evt_param_s64(ev, i, 0));
	case EPT_UINT8: case EPT_UINT16: case EPT_UINT32: case EPT_UINT64: case EPT_FLAGS8:
	case EPT_FLAGS16: case EPT_FLAGS32: case EPT_UID: case EPT_GID: case EPT_MODE:
	case EPT_PORT: case EPT_SYSCALLID: case EPT_SIGTYPE: case EPT_RELTIME: case EPT_ABSTIME:
	case EPT_ENUMFLAGS8: case EPT_ENUMFLAGS16: case EPT_ENUMFLAGS32:
		o->vals->type = FLD_T_U64;
		return set_u(o, evt_param_u64(ev, i, 0));
	case EPT_CHARBUF: case EPT_FSPATH: case EPT_FSRELPATH:
		return set_cstr(o, evt_param_str(ev, i));
	default:
		return ex_param_str(fw, ev, i, o);
	}
}

static bool ex_time(struct fld_worker *fw, uint64_t ts, enum fld_id id, struct out *o)
{
	time_t sec = (time_t)(ts / 1000000000ull);
	struct tm tm;
	char buf[64];
	struct sb b;

	sb_init(&b, fw);
	if (id == FLD_EVT_TIME_ISO)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	switch (id) {
	case FLD_EVT_TIME:
		strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
		sb_fmt(&b, "%s.%09" PRIu64, buf, (uint64_t)(ts % 1000000000ull));
		break;
	case FLD_EVT_TIME_S:
		strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
		sb_str(&b, buf);
		break;
	case FLD_EVT_TIME_ISO:
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		sb_fmt(&b, "%s.%09" PRIu64 "Z", buf, (uint64_t)(ts % 1000000000ull));
		break;
	case FLD_EVT_DATETIME:
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		sb_fmt(&b, "%s.%09" PRIu64, buf, (uint64_t)(ts % 1000000000ull));
		break;
	default:
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		sb_str(&b, buf);
		break;
	}
	o->v->str.s = sb_done(&b, &o->v->str.len);
	return true;
}

/*
 * Where the open-like events keep their "flags" and "mode" parameters, by
 * event type (-1: none), from the event table: the evt.is_open_* fields
 * read them on every open, and a lookup by name costs ~190 instructions.
 * Built on first use by whichever thread gets there; the flag in front of
 * pthread_once makes an event pay one load.
 */
enum { OPEN_P_FLAGS, OPEN_P_MODE };
static int8_t open_pidx[2][EVT_TYPE_MAX];
static pthread_once_t open_pidx_once = PTHREAD_ONCE_INIT;
static bool open_pidx_ready; /* release by open_pidx_init, acquire by open_param */

static void open_pidx_init(void)
{
	static const char *const names[2] = { "flags", "mode" };

	for (unsigned t = 0; t < EVT_TYPE_MAX; t++) {
		const struct evt_info *inf = evt_info((uint16_t)t);

		for (unsigned k = 0; k < 2; k++)
			open_pidx[k][t] = (int8_t)(inf ? info_param_index(inf, INT8_MAX, names[k],
									  (uint32_t)strlen(names[k]))
						       : -1);
	}
	__atomic_store_n(&open_pidx_ready, true, __ATOMIC_RELEASE);
}

/* The index of parameter @which (OPEN_P_*) of @ev, -1 when it has none. */
static int open_param(const struct evt *ev, int which)
{
	int i;

	if (!__atomic_load_n(&open_pidx_ready, __ATOMIC_ACQUIRE))
		pthread_once(&open_pidx_once, open_pidx_init);
	i = ev->hdr->type < EVT_TYPE_MAX ? open_pidx[which][ev->hdr->type] : -1;
	return i < (int)ev->nparams ? i : -1;
}

/* Open flags of an open-like exit event, -1 when it is not one. */
static int64_t open_flags(const struct evt *ev)
{
	int i;

	switch (ev->hdr->type) {
	case EVT_SYSCALL_OPEN_X:
	case EVT_SYSCALL_OPENAT_2_X:
	case EVT_SYSCALL_OPENAT2_X:
	case EVT_SYSCALL_OPEN_BY_HANDLE_AT_X:
		i = open_param(ev, OPEN_P_FLAGS);
		return i < 0 ? -1 : (int64_t)evt_param_u64(ev, (uint32_t)i, 0);
	default:
		return -1;
	}
}

/* libs PPM_O_* bits (the flags parameter is in libs' encoding). */
#define PPM_O_RDONLY (1 << 0)
#define PPM_O_WRONLY (1 << 1)
#define PPM_O_CREAT (1 << 2)
#define PPM_O_TMPFILE (1 << 13)
#define PPM_O_F_CREATED (1 << 14)

static bool ex_open_kind(const struct evt *ev, enum fld_id id, struct out *o)
{
	int64_t fl = open_flags(ev);

	if (fl < 0) {
		if (id == FLD_EVT_IS_OPEN_EXEC && ev->hdr->type == EVT_SYSCALL_CREAT_X) {
			int i = open_param(ev, OPEN_P_MODE);

			return set_b(o, i >= 0 && (evt_param_u64(ev, (uint32_t)i, 0) & 0111));
		}
		return set_b(o, false);
	}
	switch (id) {
	case FLD_EVT_IS_OPEN_READ:
		return set_b(o, (fl & PPM_O_RDONLY) != 0);
	case FLD_EVT_IS_OPEN_WRITE:
		return set_b(o, (fl & PPM_O_WRONLY) != 0);
	case FLD_EVT_IS_OPEN_CREATE:
		return set_b(o, (fl & PPM_O_F_CREATED) ||
					((fl & PPM_O_TMPFILE) && has_res(ev) && res_value(ev) >= 0));
	default: {
		int i = open_param(ev, OPEN_P_MODE);

		return set_b(o, (fl & (PPM_O_CREAT | PPM_O_TMPFILE)) && i >= 0 &&
					ev->hdr->type != EVT_SYSCALL_OPEN_BY_HANDLE_AT_X &&
					(evt_param_u64(ev, (uint32_t)i, 0) & 0111));
	}
	}
}

static bool ex_args(struct fld_worker *fw, const struct evt *ev, struct out *o)
{
	struct sb b;
	uint32_t i;

	sb_init(&b, fw);
	for (i = 0; i < ev->nparams && i < ev->info->nparams; i++) {
		size_t need;

		if (i)
			sb_put(&b, " ", 1);
		sb_str(&b, ev->info->params[i].name);
		sb_put(&b, "=", 1);
		if (b.cap == 0 || b.len + 1 >= b.cap)
			break;
		need = evt_print_param(ev, i, b.s + b.len, b.cap - b.len);
		b.len = b.len + need < b.cap ? b.len + need : b.cap - 1;
	}
	o->v->str.s = sb_done(&b, &o->v->str.len);
	return true;
}

static bool ex_buffer(const struct evt *ev, enum fld_id id, struct out *o)
{
	uint32_t i;

	for (i = 0; i < ev->nparams && i < ev->info->nparams; i++) {
		if (ev->info->params[i].type != EPT_BYTEBUF)
			continue;
		if (id == FLD_EVT_BUFLEN)
			return set_u(o, ev->plen[i]);
		return set_str(o, (const char *)ev->param[i], ev->plen[i]);
	}
	return false;
}

/* libs names a generic "syscall" event after its system call (its ID parameter). */
static const char *event_name(const struct evt *ev)
{
	if (evt_type_is_generic(ev->hdr->type)) {
		uint64_t id = evt_param_u64(ev, 0, 0);

		if (id < FLD_SC_COUNT && fld_sc_names[id])
			return fld_sc_names[id];
	}
	return ev->info->name;
}

bool fld_sc_known(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < FLD_SC_COUNT; i++) {
		if (fld_sc_names[i] && strlen(fld_sc_names[i]) == len &&
		    memcmp(fld_sc_names[i], name, len) == 0)
			return true;
	}
	return false;
}

/* libs names I/O events after the kind of fd they act on. */
static const char *io_category(const struct fld_ctx *c)
{
	if (!c->fd)
		return "unknown";
	switch (c->fd->type) {
	case PROC_FD_FILE:
	case PROC_FD_DIRECTORY:
		return "file";
	case PROC_FD_IPV4_SOCK:
	case PROC_FD_IPV6_SOCK:
		return "net";
	case PROC_FD_UNIX_SOCK:
	case PROC_FD_PIPE:
		return "IPC";
	default:
		return "unknown";
	}
}

static bool ex_event(struct fld_worker *fw, const struct fld_ctx *c, const struct fld_ref *r,
		     struct out *o)
{
	const struct evt *ev = c->ev;
	enum fld_id id = r->def->id;
	uint32_t fl = ev->info->flags;

	switch (id) {
	case FLD_EVT_NUM:
		return set_u(o, c->num);
	case FLD_EVT_TIME:
	case FLD_EVT_TIME_S:
	case FLD_EVT_TIME_ISO:
	case FLD_EVT_DATETIME:
	case FLD_EVT_DATETIME_S:
		return ex_time(fw, ev->hdr->ts, id, o);
	case FLD_EVT_RAWTIME:
		return set_u(o, ev->hdr->ts);
	case FLD_EVT_RAWTIME_S:
		return set_u(o, ev->hdr->ts / 1000000000ull);
	case FLD_EVT_RAWTIME_NS:
		return set_u(o, ev->hdr->ts % 1000000000ull);
	case FLD_EVT_RELTIME:
		return c->first_ts ? set_u(o, ev->hdr->ts - c->first_ts) : false;
	case FLD_EVT_DIR:
		return set_cstr(o, is_exit(ev) ? "<" : ">");
	case FLD_EVT_TYPE:
		return set_cstr(o, event_name(ev));
	case FLD_SYSCALL_TYPE:
		if (ev->info->origin != ECAT_SYSCALL)
			return false;
		return set_cstr(o, event_name(ev));
	case FLD_EVT_CATEGORY:
		if (ev->info->category == ECAT_IO_READ || ev->info->category == ECAT_IO_WRITE ||
		    ev->info->category == ECAT_IO_OTHER)
			return set_cstr(o, io_category(c));
		return set_cstr(o, (unsigned)ev->info->category <
						   sizeof(cat_names) / sizeof(cat_names[0]) &&
					   cat_names[ev->info->category] ?
				   cat_names[ev->info->category] :
				   "unknown");
	case FLD_EVT_CPU:
		return set_i(o, c->cpu);
	case FLD_EVT_ARGS:
	case FLD_EVT_INFO:
		return ex_args(fw, ev, o);
	case FLD_EVT_ARG:
	case FLD_EVT_RAWARG: {
		int i = r->key ? param_index(ev, r->key, r->key_len) : (int)r->idx;

		if (i < 0 || (uint32_t)i >= ev->nparams || (uint32_t)i >= ev->info->nparams)
			return false;
		if (id == FLD_EVT_RAWARG)
			return ex_rawarg(fw, ev, (uint32_t)i, o);
		return ex_param_str(fw, ev, (uint32_t)i, o);
	}
	case FLD_EVT_BUFFER:
	case FLD_EVT_BUFLEN:
		return ex_buffer(ev, id, o);
	case FLD_EVT_RES: {
		int64_t res;
		const char *name;

		if (!has_res(ev))
			return false;
		res = res_value(ev);
		if (res >= 0)
			return set_cstr(o, "SUCCESS");
		name = res > -4096 ? strerrorname_np((int)-res) : NULL;
		return set_cstr(o, name ? name : "E?");
	}
	case FLD_EVT_RAWRES:
		return has_res(ev) ? set_i(o, res_value(ev)) : false;
	case FLD_EVT_FAILED:
		return set_b(o, has_res(ev) && res_value(ev) < 0);
	case FLD_EVT_IS_IO:
		return set_b(o, (fl & (EVT_FLAG_READS_FROM_FD | EVT_FLAG_WRITES_TO_FD)) != 0);
	case FLD_EVT_IS_IO_READ:
		return set_b(o, (fl & EVT_FLAG_READS_FROM_FD) != 0);
	case FLD_EVT_IS_IO_WRITE:
		return set_b(o, (fl & EVT_FLAG_WRITES_TO_FD) != 0);
	case FLD_EVT_IO_DIR:
		if (fl & EVT_FLAG_READS_FROM_FD)
			return set_cstr(o, "r");
		if (fl & EVT_FLAG_WRITES_TO_FD)
			return set_cstr(o, "w");
		return false;
	case FLD_EVT_IS_WAIT:
		return set_b(o, (fl & EVT_FLAG_WAITS) != 0);
	case FLD_EVT_COUNT:
		return set_u(o, 1);
	case FLD_EVT_COUNT_ERROR:
		return set_u(o, has_res(ev) && res_value(ev) < 0);
	case FLD_EVT_COUNT_EXIT:
		return set_u(o, is_exit(ev));
	case FLD_EVT_IS_OPEN_READ:
	case FLD_EVT_IS_OPEN_WRITE:
	case FLD_EVT_IS_OPEN_EXEC:
	case FLD_EVT_IS_OPEN_CREATE:
		return ex_open_kind(ev, id, o);
	case FLD_EVT_HOSTNAME:
		return c->hostname ? set_cstr(o, c->hostname) : false;
	default:
		return false;
	}
}

/* ---- processes ---- */

static const struct proc_image *image_of(const struct proc_process *p)
{
	return p ? proc_process_image(p) : NULL;
}

static bool put_cmdline(struct fld_worker *fw, const struct proc_image *img, bool exe,
			struct out *o)
{
	struct sb b;

	sb_init(&b, fw);
	sb_str(&b, exe ? img->exe : img->comm);
	if (img->args_len) {
		sb_put(&b, " ", 1);
		sb_list(&b, img->args, img->args_len);
	}
	o->v->str.s = sb_done(&b, &o->v->str.len);
	return true;
}

/* Value of an ancestor-family field for process @p. */
static bool anc_value(struct fld_worker *fw, enum fld_id id, struct proc_process *p,
		      struct out *o)
{
	const struct proc_image *img = image_of(p);

	switch (id) {
	case FLD_PROC_ANAME:
		return set_cstr(o, img->comm);
	case FLD_PROC_AEXE:
		return set_cstr(o, img->exe);
	case FLD_PROC_AEXEPATH:
		return set_cstr(o, img->exepath);
	case FLD_PROC_ACMDLINE:
		return put_cmdline(fw, img, false, o);
	case FLD_PROC_APID:
		return set_i(o, (int64_t)proc_process_tgid(p));
	default:
		return false;
	}
}

static bool ex_ancestor(struct fld_worker *fw, const struct fld_ctx *c, const struct fld_ref *r,
			struct out *o)
{
	struct proc_process *anc[PROC_ANCESTORS_MAX];
	unsigned n, i;

	if (r->has_arg) {
		if (r->idx == 0)
			return anc_value(fw, r->def->id, c->proc, o);
		if (r->idx > PROC_ANCESTORS_MAX)
			return false;
		n = proc_process_ancestors(c->pw, c->proc, anc, (unsigned)r->idx);
		if (n < (unsigned)r->idx)
			return false;
		return anc_value(fw, r->def->id, anc[r->idx - 1], o);
	}
	/* No argument: every ancestor from the parent up (filters). */
	n = proc_process_ancestors(c->pw, c->proc, anc, PROC_ANCESTORS_MAX);
	if (n == 0)
		return false;
	o->v = scratch_vals(fw, n);
	if (!o->v)
		return false;
	for (i = 0; i < n; i++) {
		struct out one = { o->vals, &o->v[i] };

		anc_value(fw, r->def->id, anc[i], &one);
	}
	o->vals->n = n;
	return true;
}

/* A shell, as libs' loginshellid decides: comm ends in "sh". */
static bool comm_is_shell(const char *comm)
{
	size_t n = strlen(comm);

	return n >= 2 && comm[n - 2] == 's' && comm[n - 1] == 'h';
}

/* The process among @p and its ancestors whose pid is @id (sid, vpgid). */
static struct proc_process *leader_of(const struct fld_ctx *c, uint64_t id)
{
	struct proc_process *anc[PROC_ANCESTORS_MAX];
	unsigned n, i;

	if (proc_process_tgid(c->proc) == id || proc_process_vpid(c->proc) == id)
		return c->proc;
	n = proc_process_ancestors(c->pw, c->proc, anc, PROC_ANCESTORS_MAX);
	for (i = 0; i < n; i++) {
		if (proc_process_tgid(anc[i]) == id || proc_process_vpid(anc[i]) == id)
			return anc[i];
	}
	return NULL;
}

static const char *const cap_names[] = {
	"CAP_CHOWN",	      "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID",	      "CAP_KILL",	    "CAP_SETGID",	   "CAP_SETUID",
	"CAP_SETPCAP",	      "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",      "CAP_NET_RAW",	    "CAP_IPC_LOCK",	   "CAP_IPC_OWNER",
	"CAP_SYS_MODULE",     "CAP_SYS_RAWIO",	    "CAP_SYS_CHROOT",	   "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",      "CAP_SYS_ADMIN",	    "CAP_SYS_BOOT",	   "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",   "CAP_SYS_TIME",	    "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
	"CAP_LEASE",	      "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",	    "CAP_SYSLOG",	   "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",	    "CAP_PERFMON",	   "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static bool put_caps(struct fld_worker *fw, uint64_t caps, struct out *o)
{
	struct sb b;
	unsigned i;

	sb_init(&b, fw);
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		if (!(caps & (1ull << i)))
			continue;
		if (b.len)
			sb_put(&b, " ", 1);
		sb_str(&b, cap_names[i]);
	}
	o->v->str.s = sb_done(&b, &o->v->str.len);
	return true;
}

static bool ex_env(struct fld_worker *fw, const struct proc_image *img, const struct fld_ref *r,
		   struct out *o)
{
	size_t i = 0;
	struct sb b;

	if (!r->key) {
		sb_init(&b, fw);
		sb_list(&b, img->env, img->env_len);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	}
	while (i < img->env_len) {
		const char *e = img->env + i;
		size_t n = strnlen(e, img->env_len - i);

		if (n > r->key_len && memcmp(e, r->key, r->key_len) == 0 && e[r->key_len] == '=')
			return set_str(o, e + r->key_len + 1, (uint32_t)(n - r->key_len - 1));
		i += n + 1;
	}
	return set_cstr(o, "");
}

static uint64_t count_args(const struct proc_image *img)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < img->args_len; i++)
		n += img->args[i] == 0;
	return n;
}

/*
 * The runtime's container fields (container_rt.c's cache). As libs: on the
 * host only container.name and container.full_id have a value ("host");
 * in a container a field is absent when the runtime did not say.
 */
static bool ex_container(const struct fld_ctx *c, const struct proc_image *img, enum fld_id id,
			 struct out *o)
{
	const struct proc_ctr_info *ci;

	if (!img->container_id[0])
		return id == FLD_CONTAINER_NAME || id == FLD_CONTAINER_FULL_ID ?
			       set_cstr(o, "host") :
			       false;
	ci = c->pw ? proc_ctr_lookup(c->pw, img->container_id) : NULL;
	if (!ci)
		return false;
	switch (id) {
	case FLD_CONTAINER_FULL_ID:
		return ci->full_id[0] ? set_cstr(o, ci->full_id) : false;
	case FLD_CONTAINER_NAME:
		return ci->name[0] ? set_cstr(o, ci->name) : false;
	case FLD_CONTAINER_IMAGE:
		return ci->image[0] ? set_cstr(o, ci->image) : false;
	case FLD_CONTAINER_IMAGE_ID:
		return ci->image_id[0] ? set_cstr(o, ci->image_id) : false;
	case FLD_CONTAINER_IMAGE_REPOSITORY:
		return ci->image_repo[0] ? set_cstr(o, ci->image_repo) : false;
	case FLD_CONTAINER_IMAGE_TAG:
		return ci->image_tag[0] ? set_cstr(o, ci->image_tag) : false;
	case FLD_CONTAINER_IMAGE_DIGEST:
		return ci->image_digest[0] ? set_cstr(o, ci->image_digest) : false;
	case FLD_CONTAINER_PRIVILEGED:
		return ci->privileged >= 0 ? set_b(o, ci->privileged) : false;
	case FLD_CONTAINER_START_TS:
		return ci->start_ts ? set_u(o, ci->start_ts) : false;
	default:
		return false;
	}
}

/* Append one mount as libs writes it: source:dest:mode:rdwr:propagation. */
static void sb_mount(struct sb *b, const struct proc_ctr_mount *m)
{
	sb_str(b, m->source);
	sb_put(b, ":", 1);
	sb_str(b, m->dest);
	sb_put(b, ":", 1);
	sb_str(b, m->mode);
	sb_put(b, m->rdwr ? ":true:" : ":false:", m->rdwr ? 6 : 7);
	sb_str(b, m->propagation);
}

/* The mount @r selects: by number, or the first whose source (@by_dest:
 * destination) matches the glob as libs' glob_match (fnmatch, no flags).
 * The glob is copied into scratch to end it with a NUL. NULL: none. */
static const struct proc_ctr_mount *mount_of(struct fld_worker *fw,
					     const struct proc_ctr_mounts *ms,
					     const struct fld_ref *r, bool by_dest)
{
	char *glob;
	uint32_t i;

	if (r->idx >= 0)
		return (uint64_t)r->idx < ms->n ? &ms->m[r->idx] : NULL;
	glob = fld_worker__scratch(fw, (size_t)r->key_len + 1);
	if (!glob)
		return NULL;
	memcpy(glob, r->key, r->key_len);
	glob[r->key_len] = '\0';
	for (i = 0; i < ms->n; i++)
		if (!fnmatch(glob, by_dest ? ms->m[i].dest : ms->m[i].source, 0))
			return &ms->m[i];
	return NULL;
}

/*
 * container.mounts and container.mount*[N|GLOB], from the runtime's mounts
 * in the container metadata cache. Absent on the host, for a container the
 * cache does not know, and when no mount is selected; container.mounts of
 * a known container without mounts is "". Worker thread; the entry and its
 * mounts block stay valid until the worker's next quiescent state.
 */
static bool ex_ctr_mount(struct fld_worker *fw, const struct fld_ctx *c,
			 const struct proc_image *img, const struct fld_ref *r, struct out *o)
{
	enum fld_id id = r->def->id;
	const struct proc_ctr_mounts *ms;
	const struct proc_ctr_mount *m;
	const struct proc_ctr_info *ci;
	struct sb b;
	uint32_t i;

	if (!img->container_id[0] || !c->pw)
		return false;
	ci = proc_ctr_lookup(c->pw, img->container_id);
	if (!ci)
		return false;
	ms = ci->mounts;
	if (id == FLD_CONTAINER_MOUNTS) {
		sb_init(&b, fw);
		for (i = 0; ms && i < ms->n; i++) {
			if (i)
				sb_put(&b, ",", 1);
			sb_mount(&b, &ms->m[i]);
		}
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	}
	m = ms ? mount_of(fw, ms, r, id == FLD_CONTAINER_MOUNT_SOURCE) : NULL;
	if (!m)
		return false;
	switch (id) {
	case FLD_CONTAINER_MOUNT:
		sb_init(&b, fw);
		sb_mount(&b, m);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	case FLD_CONTAINER_MOUNT_SOURCE:
		return set_cstr(o, m->source);
	case FLD_CONTAINER_MOUNT_DEST:
		return set_cstr(o, m->dest);
	case FLD_CONTAINER_MOUNT_MODE:
		return set_cstr(o, m->mode);
	case FLD_CONTAINER_MOUNT_RDWR:
		return set_cstr(o, m->rdwr ? "true" : "false");
	case FLD_CONTAINER_MOUNT_PROPAGATION:
		return set_cstr(o, m->propagation);
	default:
		return false;
	}
}

static bool ex_proc(struct fld_worker *fw, const struct fld_ctx *c, const struct fld_ref *r,
		    struct out *o)
{
	enum fld_id id = r->def->id;
	struct proc_process *p = c->proc, *pp;
	const struct proc_image *img;
	uint64_t ts = c->ev->hdr->ts;

	if (id == FLD_THREAD_TID)
		return set_i(o, (int64_t)c->ev->hdr->tid);
	if (!p)
		return false;
	img = image_of(p);
	/* a thread seen only through its events: libs knows no name for it */
	if ((img->flags & PROC_IMG_PLACEHOLDER) &&
	    (id == FLD_PROC_EXE || id == FLD_PROC_EXEPATH || id == FLD_PROC_NAME ||
	     id == FLD_PROC_CMDLINE || id == FLD_PROC_EXELINE))
		return false;
	switch (id) {
	case FLD_PROC_EXE:
		return set_cstr(o, img->exe);
	case FLD_PROC_EXEPATH:
		return set_cstr(o, img->exepath);
	case FLD_PROC_NAME:
		return set_cstr(o, img->comm);
	case FLD_PROC_ARGS: {
		struct sb b;

		sb_init(&b, fw);
		sb_list(&b, img->args, img->args_len);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	}
	case FLD_PROC_CMDLINE:
		return put_cmdline(fw, img, false, o);
	case FLD_PROC_EXELINE:
		return put_cmdline(fw, img, true, o);
	case FLD_PROC_CMDNARGS:
		return set_u(o, count_args(img));
	case FLD_PROC_ENV:
		return ex_env(fw, img, r, o);
	case FLD_PROC_CWD:
		return set_cstr(o, proc_process_cwd(p));
	case FLD_PROC_TTY:
		return set_u(o, proc_process_tty(p));
	case FLD_PROC_PID:
		return set_i(o, (int64_t)proc_process_tgid(p));
	case FLD_PROC_VPID:
		return set_i(o, (int64_t)proc_process_vpid(p));
	case FLD_PROC_SID:
		return set_i(o, (int64_t)proc_process_sid(p));
	case FLD_PROC_VPGID:
		return set_i(o, (int64_t)proc_process_vpgid(p));
	case FLD_PROC_IS_SID_LEADER:
		return set_b(o, proc_process_sid(p) == proc_process_vpid(p));
	case FLD_PROC_IS_VPGID_LEADER:
		return set_b(o, proc_process_vpgid(p) == proc_process_vpid(p));
	case FLD_PROC_SNAME:
	case FLD_PROC_SID_EXE:
	case FLD_PROC_SID_EXEPATH:
	case FLD_PROC_VPGID_NAME:
	case FLD_PROC_VPGID_EXE:
	case FLD_PROC_VPGID_EXEPATH: {
		bool sid = id == FLD_PROC_SNAME || id == FLD_PROC_SID_EXE ||
			   id == FLD_PROC_SID_EXEPATH;
		struct proc_process *l =
			leader_of(c, sid ? proc_process_sid(p) : proc_process_vpgid(p));
		const struct proc_image *li = image_of(l);

		if (!li)
			return false;
		if (id == FLD_PROC_SNAME || id == FLD_PROC_VPGID_NAME)
			return set_cstr(o, li->comm);
		if (id == FLD_PROC_SID_EXE || id == FLD_PROC_VPGID_EXE)
			return set_cstr(o, li->exe);
		return set_cstr(o, li->exepath);
	}
	case FLD_PROC_PPID:
		pp = proc_process_parent(c->pw, p);
		return set_i(o, (int64_t)(pp ? proc_process_tgid(pp) : proc_process_ptid(p)));
	case FLD_PROC_PVPID:
		pp = proc_process_parent(c->pw, p);
		return pp ? set_i(o, (int64_t)proc_process_vpid(pp)) : false;
	case FLD_PROC_PNAME:
	case FLD_PROC_PEXE:
	case FLD_PROC_PEXEPATH:
	case FLD_PROC_PCMDLINE:
	case FLD_PROC_PPID_DURATION:
	case FLD_PROC_PPID_TS: {
		const struct proc_image *pi;

		pp = proc_process_parent(c->pw, p);
		pi = pp ? proc_process_parent_image(p, pp) : NULL;
		if (!pi)
			return false;
		if (id == FLD_PROC_PNAME)
			return set_cstr(o, pi->comm);
		if (id == FLD_PROC_PEXE)
			return set_cstr(o, pi->exe);
		if (id == FLD_PROC_PEXEPATH)
			return set_cstr(o, pi->exepath);
		if (id == FLD_PROC_PCMDLINE)
			return put_cmdline(fw, pi, false, o);
		if (!proc_process_clone_ts(pp))
			return false;
		if (id == FLD_PROC_PPID_TS)
			return set_u(o, proc_process_clone_ts(pp));
		return set_u(o, ts - proc_process_clone_ts(pp));
	}
	case FLD_PROC_ANAME:
	case FLD_PROC_AEXE:
	case FLD_PROC_AEXEPATH:
	case FLD_PROC_ACMDLINE:
	case FLD_PROC_APID:
		return ex_ancestor(fw, c, r, o);
	case FLD_PROC_LOGINSHELLID: {
		struct proc_process *anc[PROC_ANCESTORS_MAX];
		unsigned n = proc_process_ancestors(c->pw, p, anc, PROC_ANCESTORS_MAX), i;
		int64_t found = comm_is_shell(img->comm) ? (int64_t)proc_process_tgid(p) : -1;

		for (i = 0; i < n; i++) {
			if (comm_is_shell(image_of(anc[i])->comm))
				found = (int64_t)proc_process_tgid(anc[i]);
		}
		return found < 0 ? false : set_i(o, found);
	}
	case FLD_PROC_DURATION:
		return proc_process_clone_ts(p) ? set_u(o, ts - proc_process_clone_ts(p)) : false;
	case FLD_PROC_PID_TS:
		return proc_process_clone_ts(p) ? set_u(o, proc_process_clone_ts(p)) : false;
	case FLD_PROC_IS_EXE_WRITABLE:
		return set_b(o, img->flags & PROC_IMG_EXE_WRITABLE);
	case FLD_PROC_IS_EXE_UPPER_LAYER:
		return set_b(o, img->flags & PROC_IMG_EXE_UPPER);
	case FLD_PROC_IS_EXE_FROM_MEMFD:
		return set_b(o, img->flags & PROC_IMG_EXE_MEMFD);
	case FLD_PROC_EXE_INO:
		return set_i(o, (int64_t)img->exe_ino);
	case FLD_PROC_EXE_INO_CTIME:
		return set_u(o, img->exe_ctime);
	case FLD_PROC_EXE_INO_MTIME:
		return set_u(o, img->exe_mtime);
	case FLD_PROC_EXE_INO_CTIME_DPS:
		if (!img->exe_ctime || !proc_process_clone_ts(p) ||
		    proc_process_clone_ts(p) < img->exe_ctime)
			return false;
		return set_u(o, proc_process_clone_ts(p) - img->exe_ctime);
	case FLD_PROC_FDOPENCOUNT:
		return c->thr ? set_u(o, proc_fd_count(c->pw, c->thr)) : false;
	case FLD_THREAD_CAP_PERMITTED:
		return put_caps(fw, img->cap_permitted, o);
	case FLD_THREAD_CAP_INHERITABLE:
		return put_caps(fw, img->cap_inheritable, o);
	case FLD_THREAD_CAP_EFFECTIVE:
		return put_caps(fw, img->cap_effective, o);
	case FLD_THREAD_ISMAIN:
		return set_b(o, c->ev->hdr->tid == proc_process_tgid(p));
	case FLD_THREAD_VTID:
		return c->thr ? set_i(o, (int64_t)proc_thread_vtid(c->thr)) : false;
	case FLD_THREAD_CGROUPS: {
		struct sb b;

		sb_init(&b, fw);
		sb_list(&b, img->cgroups, img->cgroups_len);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	}
	case FLD_USER_UID:
		return set_u(o, proc_process_uid(p));
	case FLD_USER_LOGINUID: {
		uint32_t l = proc_process_loginuid(p);

		return set_i(o, l == UINT32_MAX ? -1 : (int64_t)l);
	}
	case FLD_USER_NAME:
	case FLD_USER_HOMEDIR:
	case FLD_USER_SHELL:
	case FLD_USER_LOGINNAME: {
		uint32_t uid = id == FLD_USER_LOGINNAME ? proc_process_loginuid(p) :
							   proc_process_uid(p);
		const struct proc_user *u = proc_user_lookup(c->pw, uid);

		if (!u)
			return id == FLD_USER_NAME && uid == 0 ? set_cstr(o, "root") : false;
		if (id == FLD_USER_HOMEDIR)
			return set_cstr(o, u->home);
		if (id == FLD_USER_SHELL)
			return set_cstr(o, u->shell);
		return set_cstr(o, u->name);
	}
	case FLD_GROUP_GID:
		return set_u(o, proc_process_gid(p));
	case FLD_GROUP_NAME: {
		const struct proc_group *g = proc_group_lookup(c->pw, proc_process_gid(p));

		if (!g)
			return proc_process_gid(p) == 0 ? set_cstr(o, "root") : false;
		return set_cstr(o, g->name);
	}
	case FLD_CONTAINER_ID:
		return set_cstr(o, img->container_id[0] ? img->container_id : "host");
	case FLD_CONTAINER_FULL_ID:
	case FLD_CONTAINER_NAME:
	case FLD_CONTAINER_IMAGE:
	case FLD_CONTAINER_IMAGE_ID:
	case FLD_CONTAINER_IMAGE_REPOSITORY:
	case FLD_CONTAINER_IMAGE_TAG:
	case FLD_CONTAINER_IMAGE_DIGEST:
	case FLD_CONTAINER_PRIVILEGED:
	case FLD_CONTAINER_START_TS:
		return ex_container(c, img, id, o);
	case FLD_CONTAINER_MOUNTS:
	case FLD_CONTAINER_MOUNT:
	case FLD_CONTAINER_MOUNT_SOURCE:
	case FLD_CONTAINER_MOUNT_DEST:
	case FLD_CONTAINER_MOUNT_MODE:
	case FLD_CONTAINER_MOUNT_RDWR:
	case FLD_CONTAINER_MOUNT_PROPAGATION:
		return ex_ctr_mount(fw, c, img, r, o);
	case FLD_CONTAINER_TYPE:
		return set_cstr(o, proc_container_type_name(img->container_type));
	default:
		return false;
	}
}

/* ---- fds ---- */

static const struct {
	const char *name;
	char c;
} fd_types[] = {
	[PROC_FD_UNKNOWN] = { "unknown", 'o' },	   [PROC_FD_FILE] = { "file", 'f' },
	[PROC_FD_DIRECTORY] = { "directory", 'd' }, [PROC_FD_IPV4_SOCK] = { "ipv4", '4' },
	[PROC_FD_IPV6_SOCK] = { "ipv6", '6' },	   [PROC_FD_UNIX_SOCK] = { "unix", 'u' },
	[PROC_FD_NETLINK] = { "netlink", 'n' },	   [PROC_FD_PIPE] = { "pipe", 'p' },
	[PROC_FD_EVENT] = { "event", 'e' },	   [PROC_FD_SIGNALFD] = { "signalfd", 's' },
	[PROC_FD_EVENTPOLL] = { "eventpoll", 'l' }, [PROC_FD_INOTIFY] = { "inotify", 'i' },
	[PROC_FD_TIMERFD] = { "timerfd", 't' },	   [PROC_FD_MEMFD] = { "memfd", 'm' },
	[PROC_FD_BPF] = { "bpf", 'b' },		   [PROC_FD_USERFAULTFD] = { "userfaultfd", 'u' },
	[PROC_FD_IOURING] = { "io_uring", 'r' },
};

static uint32_t fd_type_of(const struct proc_fd *fd)
{
	return fd->type < sizeof(fd_types) / sizeof(fd_types[0]) ? fd->type : PROC_FD_UNKNOWN;
}

/* libs' guess of the fd type from the event alone (a failed open has no fd). */
static char typechar_from_event(const struct evt *ev)
{
	switch (ev->hdr->type | 1) {
	case EVT_SYSCALL_OPENAT_2_X:
	case EVT_SYSCALL_OPENAT2_X:
	case EVT_SYSCALL_CREAT_X:
		return 'f';
	case EVT_SOCKET_SOCKET_X:
	case EVT_SOCKET_ACCEPT_5_X:
	case EVT_SOCKET_ACCEPT4_6_X:
		return '4';
	case EVT_SYSCALL_PIPE_X:
	case EVT_SYSCALL_PIPE2_X:
		return 'p';
	case EVT_SYSCALL_EVENTFD_X:
	case EVT_SYSCALL_EVENTFD2_X:
		return 'e';
	case EVT_SYSCALL_SIGNALFD_X:
	case EVT_SYSCALL_SIGNALFD4_X:
		return 's';
	case EVT_SYSCALL_TIMERFD_CREATE_X:
		return 't';
	case EVT_SYSCALL_INOTIFY_INIT_X:
	case EVT_SYSCALL_INOTIFY_INIT1_X:
		return 'i';
	default:
		return 'o';
	}
}

/* The name of a file the event was about when there is no fd (a failed open). */
static bool name_from_event(struct fld_worker *fw, const struct fld_ctx *c, bool raw,
			    struct out *o)
{
	const struct evt *ev = c->ev;
	const char *name, *cwd;
	struct sb b;
	int i;

	if (!is_exit(ev))
		return false;
	switch (ev->hdr->type) {
	case EVT_SYSCALL_OPEN_X:
	case EVT_SYSCALL_CREAT_X:
	case EVT_SYSCALL_OPENAT_2_X:
	case EVT_SYSCALL_OPENAT2_X:
		i = param_index(ev, "name", 4);
		if (i < 0)
			return false;
		name = evt_param_str(ev, (uint32_t)i);
		if (raw || name[0] == '/' || !c->proc)
			return set_cstr(o, name);
		/* Relative to the cwd (an AT_FDCWD dirfd; other dirfds: as written). */
		cwd = proc_process_cwd(c->proc);
		sb_init(&b, fw);
		sb_str(&b, cwd);
		if (b.len && b.s[b.len - 1] != '/')
			sb_put(&b, "/", 1);
		sb_str(&b, name);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	case EVT_SOCKET_CONNECT_X:
	case EVT_SOCKET_ACCEPT_5_X:
	case EVT_SOCKET_ACCEPT4_6_X:
		return ex_param_str(fw, ev, 1, o);
	default:
		return set_cstr(o, "");
	}
}

static bool is_ip_sock(const struct proc_fd *fd)
{
	return fd && (fd->type == PROC_FD_IPV4_SOCK || fd->type == PROC_FD_IPV6_SOCK) &&
	       (fd->sock.family == AF_INET || fd->sock.family == AF_INET6);
}

/* The tuple's source (client) or destination (server) address. */
static bool sock_ip(const struct proc_fd *fd, bool server, struct fld_ip *ip)
{
	const struct proc_sock *s = &fd->sock;
	bool v4 = s->family == AF_INET;

	memset(ip, 0, sizeof(*ip));
	ip->family = v4 ? AF_INET : AF_INET6;
	ip->prefix = v4 ? 32 : 128;
	memcpy(ip->a, server ? s->dip : s->sip, v4 ? 4 : 16);
	return true;
}

/* libs' roles: a server socket's local end is the tuple's destination. */
static bool fd_is_server(const struct proc_fd *fd)
{
	return (fd->flags & PROC_FD_F_SERVER) != 0;
}

static bool ex_fd(struct fld_worker *fw, const struct fld_ctx *c, const struct fld_ref *r,
		  struct out *o)
{
	const struct proc_fd *fd = c->fd;
	enum fld_id id = r->def->id;
	uint32_t fl = c->ev->info->flags;
	const char *slash;

	if (!(fl & (EVT_FLAG_CREATES_FD | EVT_FLAG_USES_FD | EVT_FLAG_DESTROYS_FD)))
		return false;
	if (id == FLD_FD_NUM)
		return set_i(o, c->fdnum);
	if (id == FLD_FD_TYPES) {
		if (!c->thr || !c->pw)
			return false;
		fd = proc_fd_get(c->pw, c->thr, r->idx);
		return fd ? set_cstr(o, fd_types[fd_type_of(fd)].name) : false;
	}
	switch (id) {
	case FLD_FD_TYPE:
		return fd ? set_cstr(o, fd_types[fd_type_of(fd)].name) : false;
	case FLD_FD_TYPECHAR: {
		struct sb b;
		char ch = fd ? fd_types[fd_type_of(fd)].c : typechar_from_event(c->ev);

		sb_init(&b, fw);
		sb_put(&b, &ch, 1);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	}
	case FLD_FD_NAME:
	case FLD_FD_NAMERAW:
		if (!fd)
			return name_from_event(fw, c, id == FLD_FD_NAMERAW, o);
		return set_str(o, fd->name, fd->name_len);
	case FLD_FD_CONTAINERNAME:
	case FLD_FD_CONTAINERDIRECTORY: {
		const struct proc_image *img = image_of(c->proc);
		struct sb b;

		if (!fd || !img)
			return false;
		sb_init(&b, fw);
		sb_str(&b, img->container_id[0] ? img->container_id : "host");
		sb_put(&b, ":", 1);
		if (id == FLD_FD_CONTAINERNAME)
			sb_put(&b, fd->name, fd->name_len);
		else
			sb_put(&b, fd->name, fd->dir_len > 1 ? fd->dir_len - 1 : fd->dir_len);
		o->v->str.s = sb_done(&b, &o->v->str.len);
		return true;
	}
	case FLD_FD_DIRECTORY: {
		const char *s;
		uint32_t len;

		if (fd && fd->type != PROC_FD_FILE && fd->type != PROC_FD_DIRECTORY)
			return false;
		if (fd) {
			s = fd->name;
			len = fd->name_len;
		} else {
			if (!name_from_event(fw, c, false, o))
				return false;
			s = o->v->str.s;
			len = o->v->str.len;
		}
		if (fd && fd->type == PROC_FD_DIRECTORY)
			return set_str(o, s, len);
		slash = memrchr(s, '/', len);
		if (!slash || slash == s)
			return set_cstr(o, "/");
		if ((uint32_t)(slash - s) == len - 1)
			return set_str(o, s, len); /* libs keeps a trailing '/' name whole */
		{
			struct sb b;

			sb_init(&b, fw);
			sb_put(&b, s, (size_t)(slash - s));
			o->v->str.s = sb_done(&b, &o->v->str.len);
		}
		return true;
	}
	case FLD_FD_FILENAME:
		if (!fd || fd->type != PROC_FD_FILE)
			return false;
		slash = memrchr(fd->name, '/', fd->name_len);
		if (!slash)
			return set_cstr(o, "/");
		if ((uint32_t)(slash - fd->name) == fd->name_len - 1)
			return set_str(o, fd->name, fd->name_len);
		return set_cstr(o, slash + 1);
	case FLD_FD_INO:
		return fd ? set_i(o, (int64_t)fd->ino) : false;
	default:
		break;
	}
	/* libs: a socket with no role yet (neither connected nor a server) has no tuple */
	if (is_ip_sock(fd) && !(fd->flags & (PROC_FD_F_SERVER | PROC_FD_F_CLIENT)) &&
	    id != FLD_FD_L4PROTO && id != FLD_FD_SOCKFAMILY && id != FLD_FD_IS_SERVER)
		return false;
	if (!is_ip_sock(fd)) {
		if (fd && id == FLD_FD_SOCKFAMILY && fd->type == PROC_FD_UNIX_SOCK)
			return set_cstr(o, "unix");
		if (fd && id == FLD_FD_L4PROTO)
			return false;
		return false;
	}
	switch (id) {
	case FLD_FD_CIP:
	case FLD_FD_CNET:
		return sock_ip(fd, false, &o->v->ip);
	case FLD_FD_SIP:
	case FLD_FD_SNET:
		return sock_ip(fd, true, &o->v->ip);
	case FLD_FD_LIP:
	case FLD_FD_LNET:
		return sock_ip(fd, fd_is_server(fd), &o->v->ip);
	case FLD_FD_RIP:
	case FLD_FD_RNET:
		return sock_ip(fd, !fd_is_server(fd), &o->v->ip);
	case FLD_FD_IP:
	case FLD_FD_NET:
		o->v = scratch_vals(fw, 2);
		if (!o->v)
			return false;
		sock_ip(fd, false, &o->v[0].ip);
		sock_ip(fd, true, &o->v[1].ip);
		o->vals->n = 2;
		return true;
	case FLD_FD_CPORT:
		return set_u(o, fd->sock.sport);
	case FLD_FD_SPORT:
		return set_u(o, fd->sock.dport);
	case FLD_FD_LPORT:
		return set_u(o, fd_is_server(fd) ? fd->sock.dport : fd->sock.sport);
	case FLD_FD_RPORT:
		return set_u(o, fd_is_server(fd) ? fd->sock.sport : fd->sock.dport);
	case FLD_FD_PORT:
		o->v = scratch_vals(fw, 2);
		if (!o->v)
			return false;
		o->v[0].u = fd->sock.sport;
		o->v[1].u = fd->sock.dport;
		o->vals->n = 2;
		return true;
	case FLD_FD_L4PROTO:
		switch (fd->sock.l4proto) {
		case 6:
			return set_cstr(o, "tcp");
		case 17:
			return set_cstr(o, "udp");
		case 1:
		case 58:
			return set_cstr(o, "icmp");
		case 255:
			return set_cstr(o, "raw");
		default:
			return set_cstr(o, "<unknown>");
		}
	case FLD_FD_SOCKFAMILY:
		return set_cstr(o, "ip");
	case FLD_FD_IS_SERVER:
		return set_b(o, fd_is_server(fd));
	default:
		return false;
	}
}

const struct fld_vals *fld_extract(struct fld_worker *fw, const struct fld_ctx *c,
				   const struct fld_ref *ref)
{
	struct fld_slot *s = &fw->slots[ref->slot < fw->nslots ? ref->slot : 0];
	const struct fld_def *d = ref->def;
	struct out o;
	bool ok;

	if (s->gen == fw->gen && ref->slot < fw->nslots)
		return &s->vals;
	s->gen = fw->gen;
	s->vals.n = 1;
	s->vals.type = d->type;
	s->vals.v = &s->one;
	o.vals = &s->vals;
	o.v = &s->one;
	if (d->flags & FLD_F_NO_SOURCE)
		ok = false;
	else if (d->id <= FLD_EVT_HOSTNAME)
		ok = ex_event(fw, c, ref, &o);
	else if (d->id >= FLD_FD_NUM && d->id <= FLD_FD_TYPES)
		ok = ex_fd(fw, c, ref, &o);
	else
		ok = ex_proc(fw, c, ref, &o);
	if (!ok)
		s->vals.n = 0;
	else
		s->vals.v = o.v;
	return &s->vals;
}
