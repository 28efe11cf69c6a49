/*
 * fdshare.c - fork across partitions: the fd table a clone child inherits
 * when its parent's process belongs to another worker.
 *
 * An fd table is touched by its owner only (fd.c), so the child's owner
 * cannot copy the parent's table itself. What one thread replaying the
 * capture copies is the parent's table as it stands when the child-side
 * clone exit (key S) is applied (update.c, on_clone). Every replay worker
 * scans every clone exit, so the parent's owner P meets the child's event
 * at S too, with everything it owns below S applied and nothing above: it
 * copies the table then into an immutable snapshot, hashes it by child tid
 * and moves its progress past S. The child's owner C, applying S, notes
 * the inheritance in the child's table and goes on; the first lookup that
 * misses there (fd.c) waits for P's progress > S (usually long passed;
 * a wait for a key below C's own, which P reaches without waiting for C),
 * finds the snapshot by (child tid, S) and copies it in under the entries
 * the child made since, minus the fds it closed and, after an exec, the
 * close-on-exec ones: the eager copy's result, without stopping C at
 * every fork.
 *
 * Nothing depends on the order of the two sides of the clone: the
 * parent-side exit changes nothing here, so a child-side exit before it
 * (vfork always) is the same case. A parent that exited or is unknown at
 * S is seen so by P and C alike (both read AS OF S): no snapshot, no fds,
 * as with one worker. A parent exiting after S does not matter: the
 * snapshot is a copy. The snapshot is P's until every worker has passed S
 * and C has taken it (or its child's process went: abandon): P unlinks
 * it at a quiescent state and frees it after a grace period.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "state/update_int.h"

static unsigned long snap_hash(uint64_t tid)
{
	uint64_t h = tid * 0xff51afd7ed558ccdull;

	return (unsigned long)(h ^ (h >> 31));
}

struct snap_key {
	uint64_t tid, key;
};

static int snap_match(struct cds_lfht_node *node, const void *k)
{
	const struct proc_fdsnap *s = caa_container_of(node, struct proc_fdsnap, node);
	const struct snap_key *sk = k;

	/* acquire: pairs with the release store before insertion, so whoever
	 * matches sees the snapshot whole (TSan cannot see liburcu's own) */
	return LD_ACQ(s->child_tid) == sk->tid && s->key == sk->key;
}

static size_t ent_size(const struct proc_fd *fd)
{
	return (sizeof(*fd) + fd->name_len + 1 + 7) & ~(size_t)7;
}

static int snap_size(const struct proc_fd *fd, void *arg)
{
	*(size_t *)arg += ent_size(fd);
	return 0;
}

static int snap_copy(const struct proc_fd *fd, void *arg)
{
	struct proc_fdsnap *s = arg;

	memcpy(s->ents + s->size, fd, sizeof(*fd) + fd->name_len + 1);
	s->size += ent_size(fd);
	s->nfds++;
	return 0;
}

int proc_fdshare_publish(struct proc_worker *w, struct proc_process *p, uint64_t child_tid)
{
	const struct proc_fdtable *ft = &p->fds;

	if (p->fds.pend) /* p is itself a child whose fds are not copied yet */
		proc_fdshare_resolve(w, &p->fds);
	size_t size = 0;
	struct proc_fdsnap *s;

	proc_fdtable_each(ft, snap_size, &size);
	s = malloc(sizeof(*s) + size);
	if (!s) {
		CNT_INC(w, alloc_failures);
		return -ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	s->key = w->key;
	proc_fdtable_each(ft, snap_copy, s); /* s->size: the entries' bytes so far */
	s->size += sizeof(*s);
	ST_REL(s->child_tid, child_tid);
	cds_lfht_node_init(&s->node);
	cds_list_add_tail(&s->olink, &w->forks);
	/* cds_lfht_add publishes the node with the ordering readers need */
	cds_lfht_add(w->t->forks, snap_hash(child_tid), &s->node);
	CNT_INC(w, fork_snapshots);
	CNT_ADD(w, fork_snapshot_fds, s->nfds);
	return 0;
}

void proc_fdshare_defer(struct proc_worker *w, struct proc_thread *child, unsigned owner)
{
	struct proc_fdtable *ft = &child->proc->fds;

	ft->pend = 1;
	ft->pend_cloexec = 0;
	ft->pend_owner = owner;
	ft->pend_tid = LD(child->tid);
	ft->pend_key = w->key;
	ft->ngone = 0;
}

/* The pending snapshot of ft, once its publisher has passed its key; NULL
 * when the parent was unknown or dead there (or out of memory). */
static struct proc_fdsnap *snap_wait_find(struct proc_worker *w, const struct proc_fdtable *ft)
{
	struct snap_key sk = {.tid = ft->pend_tid, .key = ft->pend_key};
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (ft->pend_key)
		proc_wait_progress(w, ft->pend_owner, ft->pend_key + 1);
	cds_lfht_lookup(w->t->forks, snap_hash(sk.tid), snap_match, &sk, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct proc_fdsnap, node) : NULL;
}

static void pend_clear(struct proc_fdtable *ft)
{
	ft->pend = 0;
	ft->ngone = 0;
}

int proc_fdshare_resolve(struct proc_worker *w, struct proc_fdtable *ft)
{
	struct proc_fdsnap *s;
	const unsigned char *at;
	int copied = 0;

	if (!ft->pend)
		return 0;
	s = snap_wait_find(w, ft);
	if (!s) {
		pend_clear(ft);
		UPD_INC(w, fds_not_inherited);
		return -ENOENT;
	}
	at = s->ents;
	for (uint32_t i = 0; i < s->nfds; i++) {
		const struct proc_fd *fd = (const struct proc_fd *)at;
		struct proc_fd_info fi = {
			.fd = fd->fd,
			.type = fd->type,
			.flags = fd->flags,
			.ino = fd->ino,
			.name = fd->name,
			.sock = &fd->sock,
		};

		at += ent_size(fd);
		/* closed since the fork, or closed by an exec since */
		if (proc_fdtable_gone(ft, fd->fd) || (ft->pend_cloexec && (fd->flags & O_CLOEXEC)))
			continue;
		if (proc_fdtable_put_under(w, ft, &fi) == 0)
			copied++;
	}
	pend_clear(ft);
	ST_REL(s->taken, 1); /* the publisher may free it once all passed it */
	UPD_INC(w, fds_inherited_remote);
	return copied ? copied : 1;
}

void proc_fdshare_abandon(struct proc_worker *w, struct proc_fdtable *ft)
{
	struct proc_fdsnap *s;

	if (!ft->pend)
		return;
	s = snap_wait_find(w, ft);
	if (s)
		ST_REL(s->taken, 1);
	pend_clear(ft);
}

void proc_fdshare_discard(struct proc_worker *w, unsigned owner, uint64_t child_tid)
{
	struct proc_fdtable ft = {
		.pend = 1, .pend_owner = owner, .pend_tid = child_tid, .pend_key = w->key};

	proc_fdshare_abandon(w, &ft);
}

static void snap_free_cb(struct rcu_head *head)
{
	struct proc_fdsnap *s = caa_container_of(head, struct proc_fdsnap, rcu);

	TSAN_GP();
	proc_free_poisoned(s, s->size);
}

void proc_fdshare_reclaim(struct proc_worker *w, uint64_t min)
{
	struct cds_list_head *pos, *next;

	cds_list_for_each_safe(pos, next, &w->forks)
	{
		struct proc_fdsnap *s = cds_list_entry(pos, struct proc_fdsnap, olink);

		/* in key order: the first one a worker may still look for ends
		 * it; one whose child's owner has not copied it stays */
		if (s->key >= min)
			break;
		if (!LD_ACQ(s->taken))
			continue;
		cds_list_del(&s->olink);
		cds_lfht_del(w->t->forks, &s->node);
		call_rcu(&s->rcu, snap_free_cb);
		CNT_INC(w, fork_snapshots_freed);
	}
}

void proc_fdshare_destroy(struct proc_table *t)
{
	struct cds_list_head *pos, *next;
	unsigned i, n = LD(t->nworkers);

	if (n > t->max_workers)
		n = t->max_workers;
	rcu_register_thread();
	for (i = 0; i < n; i++)
		cds_list_for_each(pos, &t->workers[i].forks) cds_lfht_del(
			t->forks, &cds_list_entry(pos, struct proc_fdsnap, olink)->node);
	rcu_unregister_thread();
	for (i = 0; i < n; i++) {
		cds_list_for_each_safe(pos, next, &t->workers[i].forks)
		{
			struct proc_fdsnap *s = cds_list_entry(pos, struct proc_fdsnap, olink);

			cds_list_del(&s->olink);
			proc_free_poisoned(s, s->size);
		}
	}
}
