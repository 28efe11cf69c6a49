/*
 * u64map.h - a small open-addressing hash map from non-zero u64 keys to u64
 * values, for state one thread keeps to itself (a replay worker's tid -> tgid
 * map, the state's per-worker table of replica processes).
 *
 * Linear probing, at most half full, backward-shift deletion (no tombstones,
 * so lookups stay short however many keys come and go). Not thread-safe: one
 * thread owns a map. Key 0 is "empty" and is never stored; a lookup of an
 * absent key returns 0. Lookups are inline: the replay scan does one per
 * run of events.
 */
#ifndef PG_LIB_U64MAP_H
#define PG_LIB_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys, *vals; /* key 0 = empty */
	size_t cap, n;	       /* cap: 0 or a power of two */
};

static inline size_t u64map_slot(const struct u64map *m, uint64_t k)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);
}

/* The value of k, or 0 when k is absent (or 0). */
static inline uint64_t u64map_get(const struct u64map *m, uint64_t k)
{
	if (!m->cap || !k)
		return 0;
	for (size_t s = u64map_slot(m, k);; s = (s + 1) & (m->cap - 1)) {
		if (m->keys[s] == k)
			return m->vals[s];
		if (!m->keys[s])
			return 0;
	}
}

/* Set k to v (an existing k keeps its value unless replace). k 0 is ignored;
 * out of memory drops the insertion: 0 or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t k, uint64_t v, bool replace);
/* Remove k (absent: nothing). */
void u64map_del(struct u64map *m, uint64_t k);
/* Free the storage; the map is empty and usable again. */
void u64map_free(struct u64map *m);

#endif /* PG_LIB_U64MAP_H */
