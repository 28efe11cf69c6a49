/*
 * u64map.c - the insertion, growth and deletion of u64map.h's hash map.
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/u64map.h"

static int u64map_grow(struct u64map *m)
{
	struct u64map nm = {.cap = m->cap ? m->cap * 2 : 4096};

	nm.keys = calloc(nm.cap, sizeof(*nm.keys));
	nm.vals = calloc(nm.cap, sizeof(*nm.vals));
	if (!nm.keys || !nm.vals) {
		free(nm.keys);
		free(nm.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t s = u64map_slot(&nm, m->keys[i]);

		while (nm.keys[s])
			s = (s + 1) & (nm.cap - 1);
		nm.keys[s] = m->keys[i];
		nm.vals[s] = m->vals[i];
		nm.n++;
	}
	free(m->keys);
	free(m->vals);
	*m = nm;
	return 0;
}

int u64map_put(struct u64map *m, uint64_t k, uint64_t v, bool replace)
{
	size_t s;

	if (!k)
		return 0;
	if ((m->n + 1) * 2 > m->cap && u64map_grow(m) < 0)
		return -ENOMEM;
	for (s = u64map_slot(m, k); m->keys[s]; s = (s + 1) & (m->cap - 1)) {
		if (m->keys[s] == k) {
			if (replace)
				m->vals[s] = v;
			return 0;
		}
	}
	m->keys[s] = k;
	m->vals[s] = v;
	m->n++;
	return 0;
}

void u64map_del(struct u64map *m, uint64_t k)
{
	size_t s, j;

	if (!m->cap || !k)
		return;
	for (s = u64map_slot(m, k); m->keys[s] != k; s = (s + 1) & (m->cap - 1))
		if (!m->keys[s])
			return;
	j = s;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->keys[j])
			break;
		size_t h = u64map_slot(m, m->keys[j]);

		/* move j back to s when its home h is not in (s, j] */
		if ((s < j) ? (h <= s || h > j) : (h <= s && h > j)) {
			m->keys[s] = m->keys[j];
			m->vals[s] = m->vals[j];
			s = j;
		}
	}
	m->keys[s] = 0;
	m->n--;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = m->vals = NULL;
	m->cap = m->n = 0;
}
