/*
 * update_int.h - what update.c and procfs.c share: the per-worker counters
 * of PROC_UPD_STATS and libs' path normalisation. Internal to src/state/.
 */
#ifndef PG_STATE_UPDATE_INT_H
#define PG_STATE_UPDATE_INT_H

#include "state/state_int.h"

enum {
#define UPD_ENUM(name, desc) UPD_##name,
	PROC_UPD_STATS(UPD_ENUM)
#undef UPD_ENUM
};

/* Only the worker writes its counters (see CNT_ADD in state_int.h). */
#define UPD_INC(w, name) ST((w)->upd[UPD_##name], LD((w)->upd[UPD_##name]) + 1)

/*
 * Join dir and name as libs' concatenate_paths does: an absolute name is
 * only normalised, a relative one is appended to dir; "." and ".." entries
 * and repeated '/' are resolved, a trailing '/' dropped (except for "/").
 * Writes at most cap bytes (NUL included); returns the length.
 */
size_t upd_path_join(char *out, size_t cap, const char *dir, const char *name);

/* A cwd as libs keeps it: joined with the old one and ending with '/'. */
size_t upd_cwd_join(char *out, size_t cap, const char *dir, const char *name);

/* The state's fd type for a capture (libs scap) fd type. */
uint32_t upd_fd_type_from_cap(uint8_t cap_type);

#endif /* PG_STATE_UPDATE_INT_H */
