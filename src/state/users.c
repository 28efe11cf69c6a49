/*
 * users.c - the user and group cache (uid -> name, home, shell; gid -> name).
 *
 * Read on any worker for user.name and friends, written almost never (at
 * start from /etc/passwd and /etc/group or from a capture's user list). So it
 * is a snapshot: an immutable open-addressing table behind one pointer.
 * Readers load the pointer (acquire) and probe, with no lock and no write. A
 * writer, serialised by a mutex, builds a new snapshot with the old entries
 * plus the new ones, publishes it (release) and frees the old one after a
 * grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state_int.h"

struct proc_users {
	struct rcu_head rcu;
	uint32_t ucap, gcap; /* powers of two */
	uint32_t nu, ng;
	struct proc_user *users;   /* ucap slots, used when `used` bit set */
	struct proc_group *groups; /* gcap slots */
	uint8_t *uused, *gused;
};

static uint32_t id_hash(uint32_t id)
{
	return (uint32_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 32);
}

static void users_free(struct proc_users *u)
{
	if (!u)
		return;
	free(u->users);
	free(u->groups);
	free(u->uused);
	free(u->gused);
	free(u);
}

static void users_free_cb(struct rcu_head *head)
{
	TSAN_GP();
	users_free(caa_container_of(head, struct proc_users, rcu));
}

static uint32_t cap_for(uint32_t n)
{
	uint32_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	return cap;
}

static void put_user(struct proc_users *u, const struct proc_user *e)
{
	uint32_t i = id_hash(e->uid) & (u->ucap - 1);

	while (u->uused[i] && u->users[i].uid != e->uid)
		i = (i + 1) & (u->ucap - 1);
	if (!u->uused[i])
		u->nu++;
	u->uused[i] = 1;
	u->users[i] = *e;
}

static void put_group(struct proc_users *u, const struct proc_group *e)
{
	uint32_t i = id_hash(e->gid) & (u->gcap - 1);

	while (u->gused[i] && u->groups[i].gid != e->gid)
		i = (i + 1) & (u->gcap - 1);
	if (!u->gused[i])
		u->ng++;
	u->gused[i] = 1;
	u->groups[i] = *e;
}

/* A new snapshot: old's entries plus room for nu users and ng groups more. */
static struct proc_users *users_copy(const struct proc_users *old, size_t nu, size_t ng)
{
	struct proc_users *u = calloc(1, sizeof(*u));
	uint32_t i;

	if (!u)
		return NULL;
	u->ucap = cap_for((uint32_t)((old ? old->nu : 0) + nu));
	u->gcap = cap_for((uint32_t)((old ? old->ng : 0) + ng));
	u->users = calloc(u->ucap, sizeof(*u->users));
	u->groups = calloc(u->gcap, sizeof(*u->groups));
	u->uused = calloc(u->ucap, 1);
	u->gused = calloc(u->gcap, 1);
	if (!u->users || !u->groups || !u->uused || !u->gused) {
		users_free(u);
		return NULL;
	}
	for (i = 0; old && i < old->ucap; i++)
		if (old->uused[i])
			put_user(u, &old->users[i]);
	for (i = 0; old && i < old->gcap; i++)
		if (old->gused[i])
			put_group(u, &old->groups[i]);
	return u;
}

static int users_update(struct proc_table *t, const struct proc_user *us, size_t nu,
			const struct proc_group *gs, size_t ng)
{
	struct proc_users *old, *u;
	size_t i;

	if (nu > UINT32_MAX / 4 || ng > UINT32_MAX / 4)
		return -EINVAL;
	pthread_mutex_lock(&t->users_lock);
	old = LD_ACQ(t->users);
	u = users_copy(old, nu, ng);
	if (!u) {
		pthread_mutex_unlock(&t->users_lock);
		return -ENOMEM;
	}
	for (i = 0; i < nu; i++)
		put_user(u, &us[i]);
	for (i = 0; i < ng; i++)
		put_group(u, &gs[i]);
	ST_REL(t->users, u);
	pthread_mutex_unlock(&t->users_lock);
	if (old)
		call_rcu(&old->rcu, users_free_cb);
	return 0;
}

int proc_users_add(struct proc_table *t, const struct proc_user *u, size_t n)
{
	return users_update(t, u, n, NULL, 0);
}

int proc_groups_add(struct proc_table *t, const struct proc_group *g, size_t n)
{
	return users_update(t, NULL, 0, g, n);
}

const struct proc_user *proc_user_lookup(struct proc_worker *w, uint32_t uid)
{
	const struct proc_users *u = LD_ACQ(w->t->users);
	uint32_t i;

	if (!u)
		return NULL;
	for (i = id_hash(uid) & (u->ucap - 1); u->uused[i]; i = (i + 1) & (u->ucap - 1))
		if (u->users[i].uid == uid)
			return &u->users[i];
	return NULL;
}

const struct proc_group *proc_group_lookup(struct proc_worker *w, uint32_t gid)
{
	const struct proc_users *u = LD_ACQ(w->t->users);
	uint32_t i;

	if (!u)
		return NULL;
	for (i = id_hash(gid) & (u->gcap - 1); u->gused[i]; i = (i + 1) & (u->gcap - 1))
		if (u->groups[i].gid == gid)
			return &u->groups[i];
	return NULL;
}

/* Split a colon-separated line in place; returns the number of fields. */
static int split_colons(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

static void copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* Grow-as-you-go array append; returns 0 or -ENOMEM. */
static int push(void **arr, size_t *n, size_t *cap, size_t elem, const void *e)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *a = realloc(*arr, ncap * elem);

		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = ncap;
	}
	memcpy((char *)*arr + *n * elem, e, elem);
	(*n)++;
	return 0;
}

static int load_passwd(struct proc_table *t, const char *path)
{
	FILE *f = fopen(path, "re");
	struct proc_user *arr = NULL, u;
	size_t n = 0, cap = 0;
	char line[1024], *fl[7];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || split_colons(line, fl, 7) < 7)
			continue;
		memset(&u, 0, sizeof(u));
		u.uid = (uint32_t)strtoul(fl[2], NULL, 10);
		u.gid = (uint32_t)strtoul(fl[3], NULL, 10);
		copy_field(u.name, sizeof(u.name), fl[0]);
		copy_field(u.home, sizeof(u.home), fl[5]);
		copy_field(u.shell, sizeof(u.shell), fl[6]);
		err = push((void **)&arr, &n, &cap, sizeof(u), &u);
	}
	fclose(f);
	if (!err)
		err = proc_users_add(t, arr, n);
	free(arr);
	return err;
}

static int load_group(struct proc_table *t, const char *path)
{
	FILE *f = fopen(path, "re");
	struct proc_group *arr = NULL, g;
	size_t n = 0, cap = 0;
	char line[4096], *fl[4];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || split_colons(line, fl, 4) < 3)
			continue;
		memset(&g, 0, sizeof(g));
		g.gid = (uint32_t)strtoul(fl[2], NULL, 10);
		copy_field(g.name, sizeof(g.name), fl[0]);
		err = push((void **)&arr, &n, &cap, sizeof(g), &g);
	}
	fclose(f);
	if (!err)
		err = proc_groups_add(t, arr, n);
	free(arr);
	return err;
}

int proc_users_load(struct proc_table *t, const char *passwd_path, const char *group_path)
{
	int err = 0;

	if (passwd_path)
		err = load_passwd(t, passwd_path);
	if (!err && group_path)
		err = load_group(t, group_path);
	return err;
}

void proc_users_free_all(struct proc_table *t)
{
	users_free(t->users);
	t->users = NULL;
}
