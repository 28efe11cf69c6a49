/*
 * fd.c - per-process fd tables.
 *
 * Only the worker that owns a process reads or writes its fd table (fd.*
 * fields are extracted for the event's own process, on its owner), so there
 * is no synchronisation here at all. One allocation per fd (the entry and
 * its name). fds are small and dense (the kernel hands out the lowest free
 * one), so those below PROC_FD_DENSE_MAX index an array (`dense`, grown to
 * a power of two above the highest, cut back when nearly empty); the rest
 * (a dup2 to a huge number, a corrupt capture's negative fd) go to an
 * open-addressing hash whose removals leave markers, rebuilt when they pile
 * up. A lookup is one load in the common case: this was 12% of a worker's
 * time as a hash over every fd.
 *
 * Entries freed by a worker are kept in its cache, by 64-byte size class
 * (PROC_FD_CLASSES, at most PROC_FD_CACHE_MAX each), for its next opens:
 * the owner allocates and frees every entry of its tables (fork copies,
 * snapshot copies and process release included), so the cache needs no
 * lock and an open event no call into malloc once the worker is warm.
 *
 * A table may have a pending inheritance (a fork whose parent another
 * worker owns; fdshare.c): its own entries win, the snapshot lies beneath
 * them and is copied in the first time a lookup misses (or the whole table
 * is needed); fds closed before that are remembered so the snapshot does
 * not bring them back. So the wait for the parent's owner moves from the
 * fork to the child's first use of an inherited fd, usually never.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "state/state_int.h"

#define FD_DELETED PROC_FD_DELETED
#define FD_MIN_CAP 8u
#define FD_DENSE_MIN 16u
/* A dense part this large or more is cut back when nearly empty. */
#define FD_DENSE_SHRINK 1024u

static uint32_t fd_hash(int64_t fd)
{
	uint64_t h = (uint64_t)fd * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

/* Rebuild the sparse part with cap slots, dropping the markers. */
static int fdt_grow(struct proc_fdtable *ft, uint32_t cap)
{
	struct proc_fd **slot = calloc(cap, sizeof(*slot));
	uint32_t i, j;

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < ft->cap; i++) {
		struct proc_fd *e = ft->slot[i];

		if (!e || e == FD_DELETED)
			continue;
		for (j = fd_hash(e->fd) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = e;
	}
	free(ft->slot);
	ft->slot = slot;
	ft->cap = cap;
	ft->used = ft->sn;
	return 0;
}

/* Resize the dense part to dcap cells (a power of two, above every fd in
 * it). On ENOMEM the table is unchanged. */
static int fdt_dense_resize(struct proc_fdtable *ft, uint32_t dcap)
{
	struct proc_fd **d = realloc(ft->dense, dcap * sizeof(*d));

	if (!d)
		return -ENOMEM;
	if (dcap > ft->dcap)
		memset(d + ft->dcap, 0, (dcap - ft->dcap) * sizeof(*d));
	ft->dense = d;
	ft->dcap = dcap;
	return 0;
}

static struct proc_fd **fdt_sparse_find(const struct proc_fdtable *ft, int64_t fd)
{
	uint32_t i, n;

	if (!ft->cap)
		return NULL;
	for (i = fd_hash(fd) & (ft->cap - 1), n = 0; n < ft->cap; i = (i + 1) & (ft->cap - 1), n++) {
		struct proc_fd *e = ft->slot[i];

		if (!e)
			return NULL;
		if (e != FD_DELETED && e->fd == fd)
			return &ft->slot[i];
	}
	return NULL;
}

/* The cell holding fd's entry, or NULL. The common case is one load: fds
 * are small and dense (the kernel hands out the lowest free one). */
static inline struct proc_fd **fdt_find(const struct proc_fdtable *ft, int64_t fd)
{
	if ((uint64_t)fd < ft->dcap)
		return ft->dense[fd] ? &ft->dense[fd] : NULL;
	if ((uint64_t)fd < PROC_FD_DENSE_MAX)
		return NULL;
	return fdt_sparse_find(ft, fd);
}

static inline bool fdt_is_dense(const struct proc_fdtable *ft, struct proc_fd *const *c)
{
	/* no dense part yet: dense is NULL, and NULL + 0 is undefined */
	return ft->dcap && c >= ft->dense && c < ft->dense + ft->dcap;
}

/* Put e (its fd not present) into the table. */
static int fdt_insert(struct proc_fdtable *ft, struct proc_fd *e)
{
	uint32_t i;
	int err;

	if ((uint64_t)e->fd < PROC_FD_DENSE_MAX) {
		if ((uint64_t)e->fd >= ft->dcap) {
			uint32_t dcap = ft->dcap ? ft->dcap : FD_DENSE_MIN;

			while (dcap <= (uint64_t)e->fd)
				dcap *= 2;
			err = fdt_dense_resize(ft, dcap);
			if (err)
				return err;
		}
		ft->dense[e->fd] = e;
		ft->n++;
		return 0;
	}
	if ((ft->used + 1) * 4 > ft->cap * 3) {
		uint32_t cap = ft->cap ? ft->cap : FD_MIN_CAP;

		while ((ft->sn + 1) * 2 > cap)
			cap *= 2;
		err = fdt_grow(ft, cap);
		if (err)
			return err;
	}
	for (i = fd_hash(e->fd) & (ft->cap - 1); ft->slot[i] && ft->slot[i] != FD_DELETED;
	     i = (i + 1) & (ft->cap - 1))
		;
	if (!ft->slot[i])
		ft->used++;
	ft->slot[i] = e;
	ft->n++;
	ft->sn++;
	return 0;
}

/* Size class of an entry of @size bytes; PROC_FD_CLASSES and up: not
 * recycled. */
static inline unsigned fd_class(size_t size)
{
	return (unsigned)((size + 63) / 64) - 1;
}

/* An entry of @size bytes: a recycled one of its class when w has one. No
 * call into the allocator for most opens. */
static struct proc_fd *fd_alloc(struct proc_worker *w, size_t size)
{
	unsigned c = fd_class(size);
	struct proc_fd *e;

	if (c >= PROC_FD_CLASSES)
		return malloc(size);
	e = w->fd_free[c];
	if (!e)
		return malloc((c + 1) * 64);
	w->fd_free[c] = *(struct proc_fd **)e;
	w->fd_nfree[c]--;
	return e;
}

/* Give e back: to w's cache of its class (w may be NULL), else free it. */
static void fd_release(struct proc_worker *w, struct proc_fd *e)
{
	unsigned c = fd_class(sizeof(*e) + e->name_len + 1);

	if (!w || c >= PROC_FD_CLASSES || w->fd_nfree[c] >= PROC_FD_CACHE_MAX) {
		free(e);
		return;
	}
	*(struct proc_fd **)e = w->fd_free[c];
	w->fd_free[c] = e;
	w->fd_nfree[c]++;
}

void proc_fd_cache_drain(struct proc_worker *w)
{
	for (unsigned c = 0; c < PROC_FD_CLASSES; c++) {
		while (w->fd_free[c]) {
			struct proc_fd *e = w->fd_free[c];

			w->fd_free[c] = *(struct proc_fd **)e;
			free(e);
		}
		w->fd_nfree[c] = 0;
	}
}

/* Release the entry in cell c (w's cache) and empty the cell. */
static void fdt_remove_at(struct proc_worker *w, struct proc_fdtable *ft, struct proc_fd **c)
{
	fd_release(w, *c);
	ft->n--;
	if (fdt_is_dense(ft, c)) {
		*c = NULL;
	} else {
		*c = FD_DELETED;
		ft->sn--;
	}
}

/* After removals: a nearly empty table gets smaller, so that probes stay
 * short and a process that once used a high fd does not keep a large
 * dense part. On ENOMEM the table stays as it is. */
static void fdt_shrink(struct proc_fdtable *ft)
{
	if (ft->cap > FD_MIN_CAP && ft->sn * 8 < ft->cap)
		fdt_grow(ft, ft->cap / 2);
	if (ft->dcap >= FD_DENSE_SHRINK && ft->n * 64 < ft->dcap) {
		uint32_t top, dcap = FD_DENSE_MIN;
		struct proc_fd **d;

		for (top = ft->dcap; top > 0 && !ft->dense[top - 1]; top--)
			;
		while (dcap < top)
			dcap *= 2;
		if (dcap * 4 > ft->dcap)
			return;
		d = realloc(ft->dense, dcap * sizeof(*d));
		if (d) {
			ft->dense = d;
			ft->dcap = dcap;
		}
	}
}

/* Call fn on every entry (any order) until it returns non-zero. */
int proc_fdtable_each(const struct proc_fdtable *ft,
		      int (*fn)(const struct proc_fd *fd, void *arg), void *arg)
{
	uint32_t i;
	int r;

	for (i = 0; i < ft->dcap; i++)
		if (ft->dense[i] && (r = fn(ft->dense[i], arg)) != 0)
			return r;
	for (i = 0; i < ft->cap; i++) {
		struct proc_fd *e = ft->slot[i];

		if (e && e != FD_DELETED && (r = fn(e, arg)) != 0)
			return r;
	}
	return 0;
}

void proc_fdtable_free(struct proc_worker *w, struct proc_fdtable *ft)
{
	uint32_t i;

	for (i = 0; i < ft->dcap; i++)
		if (ft->dense[i])
			fd_release(w, ft->dense[i]);
	for (i = 0; i < ft->cap; i++)
		if (ft->slot[i] && ft->slot[i] != FD_DELETED)
			fd_release(w, ft->slot[i]);
	free(ft->dense);
	free(ft->slot);
	free(ft->gone);
	memset(ft, 0, sizeof(*ft));
}

/* Pending inheritance: fd was closed, the snapshot must not bring it back. */
static void fdt_gone(struct proc_worker *w, struct proc_fdtable *ft, int64_t fd)
{
	if (ft->ngone == ft->capgone) {
		uint32_t cap = ft->capgone ? ft->capgone * 2 : 8;
		int64_t *v = realloc(ft->gone, cap * sizeof(*v));

		if (!v) { /* cannot remember it: copy the snapshot in now */
			CNT_INC(w, alloc_failures);
			proc_fdshare_resolve(w, ft);
			return;
		}
		ft->gone = v;
		ft->capgone = cap;
	}
	ft->gone[ft->ngone++] = fd;
}

/* Remove the entry in cell c (owner), remembering the fd while an
 * inheritance pends. */
static void fdt_close_at(struct proc_worker *w, struct proc_fdtable *ft, struct proc_fd **c)
{
	int64_t fd = (*c)->fd;

	fdt_remove_at(w, ft, c);
	if (ft->pend)
		fdt_gone(w, ft, fd);
}

void proc_fdtable_close_on_exec(struct proc_worker *w, struct proc_fdtable *ft)
{
	uint32_t i;

	if (ft->pend)
		ft->pend_cloexec = 1;
	for (i = 0; i < ft->dcap; i++) {
		if (ft->dense[i] && (ft->dense[i]->flags & O_CLOEXEC)) {
			fdt_close_at(w, ft, &ft->dense[i]);
			CNT_INC(w, fd_removes);
		}
	}
	for (i = 0; i < ft->cap; i++) {
		struct proc_fd *e = ft->slot[i];

		if (e && e != FD_DELETED && (e->flags & O_CLOEXEC)) {
			fdt_close_at(w, ft, &ft->slot[i]);
			CNT_INC(w, fd_removes);
		}
	}
	fdt_shrink(ft);
}

bool proc_fdtable_gone(const struct proc_fdtable *ft, int64_t fd)
{
	for (uint32_t i = 0; i < ft->ngone; i++)
		if (ft->gone[i] == fd)
			return true;
	return false;
}

/* The cell of fd in p's table, or NULL. On a miss with an inheritance
 * pending: replay copies the snapshot in; live (no snapshots: the other
 * worker's table is not ours to read) reads that one fd of the child from
 * /proc, where the process still is, unless the child closed it since. */
static struct proc_fd **fdt_lookup(struct proc_worker *w, struct proc_process *p, int64_t fd)
{
	struct proc_fdtable *ft = &p->fds;
	struct proc_fd **i = fdt_find(ft, fd);

	if (i || !ft->pend)
		return i;
	if (w->t->procfs) {
		if (fd >= 0 && !proc_fdtable_gone(ft, fd) && proc_procfs_load_fd(w, p, fd) == 0)
			i = fdt_find(ft, fd);
		return i;
	}
	if (proc_fdshare_resolve(w, ft) > 0)
		i = fdt_find(ft, fd);
	return i;
}

/* The owned process of thr, or NULL (counted when foreign). */
static struct proc_process *fd_owner_proc(struct proc_worker *w, struct proc_thread *thr)
{
	if (thr->owner != w->id) {
		CNT_INC(w, foreign_writes);
		return NULL;
	}
	return thr->proc;
}

static struct proc_fd *fd_entry_new(struct proc_worker *w, const struct proc_fd_info *fi)
{
	size_t len = fi->name ? strnlen(fi->name, PROC_PATH_MAX - 1) : 0;
	struct proc_fd *e = fd_alloc(w, sizeof(*e) + len + 1);
	const char *slash;

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->fd = fi->fd;
	e->type = fi->type;
	e->flags = fi->flags;
	e->ino = fi->ino;
	if (fi->sock)
		e->sock = *fi->sock;
	if (len)
		memcpy(e->name, fi->name, len);
	e->name[len] = '\0';
	e->name_len = (uint32_t)len;
	slash = memrchr(e->name, '/', len);
	e->dir_len = slash ? (uint32_t)(slash - e->name + 1) : 0;
	return e;
}

/* Add fi to ft. An fd already there is replaced (@over: an open after a
 * missed close wins) or kept (not @over: fi lies beneath it). */
static int fdt_add(struct proc_worker *w, struct proc_fdtable *ft, const struct proc_fd_info *fi,
		   bool over)
{
	struct proc_fd **i = fdt_find(ft, fi->fd);
	struct proc_fd *e;
	int err;

	if (i && !over)
		return 0;
	if (!i && ft->n >= PROC_FDS_MAX) {
		CNT_INC(w, fd_dropped);
		return -ENOSPC;
	}
	e = fd_entry_new(w, fi);
	if (!e) {
		CNT_INC(w, alloc_failures);
		return -ENOMEM;
	}
	if (i) {
		fd_release(w, *i);
		*i = e;
	} else {
		err = fdt_insert(ft, e);
		if (err) {
			fd_release(w, e);
			CNT_INC(w, alloc_failures);
			return err;
		}
	}
	CNT_INC(w, fd_adds);
	return 0;
}

int proc_fd_add(struct proc_worker *w, struct proc_thread *thr, const struct proc_fd_info *fi)
{
	struct proc_process *p = fd_owner_proc(w, thr);

	if (!p)
		return thr->owner != w->id ? -EPERM : -ENOENT;
	return fdt_add(w, &p->fds, fi, true);
}

int proc_fd_remove(struct proc_worker *w, struct proc_thread *thr, int64_t fd)
{
	struct proc_process *p = fd_owner_proc(w, thr);
	struct proc_fd **i;

	if (!p)
		return thr->owner != w->id ? -EPERM : -ENOENT;
	i = fdt_lookup(w, p, fd);
	if (!i)
		return -ENOENT;
	fdt_close_at(w, &p->fds, i);
	CNT_INC(w, fd_removes);
	fdt_shrink(&p->fds);
	return 0;
}

int proc_fd_dup(struct proc_worker *w, struct proc_thread *thr, int64_t oldfd, int64_t newfd)
{
	struct proc_process *p = fd_owner_proc(w, thr);
	const struct proc_fd *o;
	struct proc_fd_info fi;
	struct proc_fd **i;

	if (!p)
		return thr->owner != w->id ? -EPERM : -ENOENT;
	i = fdt_lookup(w, p, oldfd);
	if (!i)
		return -ENOENT;
	if (oldfd == newfd)
		return 0;
	o = *i;
	fi = (struct proc_fd_info){
		.fd = newfd,
		.type = o->type,
		.flags = o->flags & ~(uint32_t)O_CLOEXEC, /* dup clears close-on-exec */
		.ino = o->ino,
		.name = o->name,
		.sock = &o->sock,
	};
	return proc_fd_add(w, thr, &fi);
}

const struct proc_fd *proc_fd_get(struct proc_worker *w, struct proc_thread *thr, int64_t fd)
{
	struct proc_process *p = fd_owner_proc(w, thr);
	struct proc_fd **i;

	if (!p)
		return NULL;
	i = fdt_lookup(w, p, fd);
	return i ? *i : NULL;
}

unsigned proc_fd_count(struct proc_worker *w, struct proc_thread *thr)
{
	struct proc_process *p = fd_owner_proc(w, thr);

	if (p && p->fds.pend)
		proc_fdshare_resolve(w, &p->fds);
	return p ? p->fds.n : 0;
}

int proc_fdtable_put_under(struct proc_worker *w, struct proc_fdtable *ft,
			   const struct proc_fd_info *fi)
{
	return fdt_add(w, ft, fi, false);
}

int proc_fd_foreach(struct proc_worker *w, struct proc_thread *thr,
		    int (*fn)(const struct proc_fd *fd, void *arg), void *arg)
{
	struct proc_process *p = fd_owner_proc(w, thr);

	if (!p)
		return 0;
	if (p->fds.pend)
		proc_fdshare_resolve(w, &p->fds);
	return proc_fdtable_each(&p->fds, fn, arg);
}
