/*
 * fd.c - per-process fd tables.
 *
 * Only the worker that owns a process reads or writes its fd table (fd.*
 * fields are extracted for the event's own process, on its owner), so there
 * is no synchronisation here at all: an open-addressing hash from fd number
 * to one allocation per fd (the entry and its name). Removal leaves a marker
 * that later inserts reuse; the table is rebuilt when markers pile up.
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

static uint32_t fd_hash(int64_t fd)
{
	uint64_t h = (uint64_t)fd * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

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
	ft->used = ft->n;
	return 0;
}

/* Index of fd's slot, or -1. */
static int64_t fdt_find(const struct proc_fdtable *ft, int64_t fd)
{
	uint32_t i, n;

	if (!ft->cap)
		return -1;
	for (i = fd_hash(fd) & (ft->cap - 1), n = 0; n < ft->cap; i = (i + 1) & (ft->cap - 1), n++) {
		struct proc_fd *e = ft->slot[i];

		if (!e)
			return -1;
		if (e != FD_DELETED && e->fd == fd)
			return i;
	}
	return -1;
}

/* Put e (its fd not present) into the table. */
static int fdt_insert(struct proc_fdtable *ft, struct proc_fd *e)
{
	uint32_t i;
	int err;

	if ((ft->used + 1) * 4 > ft->cap * 3) {
		uint32_t cap = ft->cap ? ft->cap : FD_MIN_CAP;

		while ((ft->n + 1) * 2 > cap)
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
	return 0;
}

static void fdt_remove_at(struct proc_fdtable *ft, int64_t i)
{
	free(ft->slot[i]);
	ft->slot[i] = FD_DELETED;
	ft->n--;
}

void proc_fdtable_free(struct proc_fdtable *ft)
{
	uint32_t i;

	for (i = 0; i < ft->cap; i++)
		if (ft->slot[i] && ft->slot[i] != FD_DELETED)
			free(ft->slot[i]);
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

/* Remove slot i (owner), remembering the fd while an inheritance pends. */
static void fdt_close_at(struct proc_worker *w, struct proc_fdtable *ft, int64_t i)
{
	int64_t fd = ft->slot[i]->fd;

	fdt_remove_at(ft, i);
	if (ft->pend)
		fdt_gone(w, ft, fd);
}

void proc_fdtable_close_on_exec(struct proc_worker *w, struct proc_fdtable *ft)
{
	uint32_t i;

	if (ft->pend)
		ft->pend_cloexec = 1;
	for (i = 0; i < ft->cap; i++) {
		struct proc_fd *e = ft->slot[i];

		if (e && e != FD_DELETED && (e->flags & O_CLOEXEC)) {
			fdt_close_at(w, ft, i);
			CNT_INC(w, fd_removes);
		}
	}
}

bool proc_fdtable_gone(const struct proc_fdtable *ft, int64_t fd)
{
	for (uint32_t i = 0; i < ft->ngone; i++)
		if (ft->gone[i] == fd)
			return true;
	return false;
}

/* Index of fd's slot in p's table, or -1. On a miss with an inheritance
 * pending: replay copies the snapshot in; live (no snapshots: the other
 * worker's table is not ours to read) reads that one fd of the child from
 * /proc, where the process still is, unless the child closed it since. */
static int64_t fdt_lookup(struct proc_worker *w, struct proc_process *p, int64_t fd)
{
	struct proc_fdtable *ft = &p->fds;
	int64_t i = fdt_find(ft, fd);

	if (i >= 0 || !ft->pend)
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

static struct proc_fd *fd_entry_new(const struct proc_fd_info *fi)
{
	size_t len = fi->name ? strnlen(fi->name, PROC_PATH_MAX - 1) : 0;
	struct proc_fd *e = malloc(sizeof(*e) + len + 1);
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
	int64_t i = fdt_find(ft, fi->fd);
	struct proc_fd *e;
	int err;

	if (i >= 0 && !over)
		return 0;
	if (i < 0 && ft->n >= PROC_FDS_MAX) {
		CNT_INC(w, fd_dropped);
		return -ENOSPC;
	}
	e = fd_entry_new(fi);
	if (!e) {
		CNT_INC(w, alloc_failures);
		return -ENOMEM;
	}
	if (i >= 0) {
		free(ft->slot[i]);
		ft->slot[i] = e;
	} else {
		err = fdt_insert(ft, e);
		if (err) {
			free(e);
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
	int64_t i;

	if (!p)
		return thr->owner != w->id ? -EPERM : -ENOENT;
	i = fdt_lookup(w, p, fd);
	if (i < 0)
		return -ENOENT;
	fdt_close_at(w, &p->fds, i);
	CNT_INC(w, fd_removes);
	/* many markers and few entries: rebuild smaller so probes stay short */
	if (p->fds.cap > FD_MIN_CAP && p->fds.n * 8 < p->fds.cap)
		fdt_grow(&p->fds, p->fds.cap / 2); /* on ENOMEM the old table stays */
	return 0;
}

int proc_fd_dup(struct proc_worker *w, struct proc_thread *thr, int64_t oldfd, int64_t newfd)
{
	struct proc_process *p = fd_owner_proc(w, thr);
	const struct proc_fd *o;
	struct proc_fd_info fi;
	int64_t i;

	if (!p)
		return thr->owner != w->id ? -EPERM : -ENOENT;
	i = fdt_lookup(w, p, oldfd);
	if (i < 0)
		return -ENOENT;
	if (oldfd == newfd)
		return 0;
	o = p->fds.slot[i];
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
	int64_t i;

	if (!p)
		return NULL;
	i = fdt_lookup(w, p, fd);
	return i < 0 ? NULL : p->fds.slot[i];
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
	uint32_t i;
	int r;

	if (!p)
		return 0;
	if (p->fds.pend)
		proc_fdshare_resolve(w, &p->fds);
	for (i = 0; i < p->fds.cap; i++) {
		struct proc_fd *e = p->fds.slot[i];

		if (e && e != FD_DELETED && (r = fn(e, arg)) != 0)
			return r;
	}
	return 0;
}
