/*
 * ruleset_int.h - the compiled form shared by the compiler (compile.c), the
 * format compiler (format.c) and the evaluator (eval.c). Not a public header.
 *
 * A compiled condition is a tree of struct cn nodes. Leaves are struct
 * ccheck: a field reference (an index into the ruleset's table of distinct
 * field references, which is also the cache slot), an operator, and its
 * right-hand side pre-digested for the operator: parsed numbers and
 * addresses, a hash set for `in`, a prefix set for `pmatch` and
 * `startswith` lists, compiled regexes, lower-cased needles for icontains.
 * Every node lives in the ruleset's arena and is read-only after compile.
 */
#ifndef PG_RULES_RULESET_INT_H
#define PG_RULES_RULESET_INT_H

#include <regex.h>

#include "fields/fields.h"
#include "rules/filter.h"
#include "rules/ruleset.h"

/* ---- arena ---- */

struct rs_chunk;
struct rs_arena {
	struct rs_chunk *head;
};

void *rs_alloc(struct rs_arena *a, size_t n); /* zeroed; NULL on ENOMEM */
char *rs_strndup(struct rs_arena *a, const char *s, size_t n);
void rs_arena_free(struct rs_arena *a);

/* ---- string sets (open addressing, FNV-1a) ---- */

struct rs_sitem {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

struct rs_strset {
	struct rs_sitem *slots;
	uint32_t mask;	  /* capacity - 1 (a power of two) */
	uint32_t n;
	uint32_t minlen, maxlen;
	uint64_t lens[4]; /* bit L set: some item has length L (L < 256) */
	bool long_lens;	  /* some item is 256 bytes or longer */
};

uint32_t rs_hash(const char *s, size_t len);
struct rs_strset *rs_strset_new(struct rs_arena *a, uint32_t n);
void rs_strset_add(struct rs_strset *set, const char *s, uint32_t len);
bool rs_strset_has(const struct rs_strset *set, const char *s, uint32_t len);

/* ---- compiled conditions ---- */

/* CN_TYPES: a check on a field the event type decides (FLD_F_BY_TYPE:
 * `evt.type in (open, openat)`, `evt.dir = <`), answered by one bit per
 * type, computed at compile time by evaluating the check on a bare event of
 * each type (rs_check_types); generic events ask the check (chk). */
enum cn_kind { CN_AND, CN_OR, CN_NOT, CN_CHECK, CN_TRUE, CN_FALSE, CN_TYPES };

/* One right-hand side constant, parsed for the field's type. */
struct cval {
	const char *s; /* the text (strings; bytes for bcontains) */
	uint32_t len;
	const char *lower; /* lower-cased s (icontains, iglob needs none) */
	int64_t i;
	uint64_t u;
	double d;
	bool b;
	struct fld_ip ip;
	regex_t *re;
};

/* A transformer applied to a field: FLT_XF__COUNT means none. */
struct cfield {
	uint32_t ref; /* index into the ruleset's refs */
	uint8_t xf;
};

struct ccheck {
	struct cfield lhs;
	enum flt_op op;
	enum flt_mod mod;
	enum fld_type type; /* of lhs after its transformer */
	uint32_t nvals;
	struct cval *vals;
	struct rs_strset *set;	  /* in/intersects/(= anyof) on strings */
	struct rs_strset *prefix; /* pmatch, startswith anyof: prefixes */
	bool has_rhs_field;
	struct cfield rhs;
};

struct cn {
	enum cn_kind kind;
	uint32_t n;
	struct cn **kids; /* AND/OR: n kids; NOT: kids[0] */
	struct ccheck *chk; /* CHECK, TYPES */
	const uint64_t *types; /* TYPES: RS_TYPE_WORDS words, bit t: true for type t */
	/* A node that more than one place uses (a macro's, or a check written
	 * the same way twice): 1 + its slot in a rule_worker's per-event memo
	 * (its value is computed once per event however many rules ask); 0
	 * for any other node. */
	uint32_t memo;
};

/* ---- formats ---- */

struct fmt_piece {
	const char *lit; /* literal text, or NULL for a field */
	uint32_t len;
	uint32_t ref;	   /* field: index into refs */
	const char *name;  /* field as written, for output_fields */
};

struct fmt {
	struct fmt_piece *p;
	uint32_t n;
};

/* Distinct field references; each one's index is its cache slot. */
struct rs_refs {
	struct fld_ref *v;
	uint32_t n, cap;
};

/* Intern a resolved reference (key copied into @a); its index, or -ENOMEM. */
int rs_refs_intern(struct rs_refs *refs, struct rs_arena *a, const struct fld_ref *r);

/*
 * Compile format @s[0..len) into @out. 0, -ENOMEM, or -EINVAL with *err and
 * *err_off (byte offset into s) set.
 */
int fmt_compile(struct rs_arena *a, struct rs_refs *refs, const char *s, size_t len,
		struct fmt *out, const char **err, size_t *err_off);
size_t fmt_render(const struct fmt *f, const struct fld_ref *refs, struct fld_worker *fw,
		  const struct fld_ctx *c, char *buf, size_t cap);

/* ---- the ruleset ---- */

struct crule {
	struct rule_info info;
	struct cn *cond;
	struct fmt output;
	bool enabled;
};

/* Event-type bitset over the event table. */
#define RS_TYPE_WORDS ((EVT_TYPE_MAX + 63) / 64)

struct rule_ruleset {
	struct rs_arena arena;
	struct rs_refs refs;
	struct crule *rules;
	uint32_t nrules;
	size_t nmacros, nlists;
	/* rules per event type: ids[off[t] .. off[t + 1]) */
	uint32_t *off;
	uint32_t *ids;
	uint32_t ntypes;
	uint32_t nmemo; /* memo slots (struct cn's memo) */
	/* compiled regexes, freed with the ruleset (regfree) */
	regex_t **res;
	uint32_t nres, capres;
};

/* One thread's evaluation state for one ruleset: the field cache and the
 * memo of shared nodes, both valid for the event rule_eval() is on.
 * memo[i] is gen << 1 | value: a slot holds this event's value only when
 * its generation is the current one. */
struct rule_worker {
	struct fld_worker *fw;
	uint32_t gen;
	uint32_t *memo; /* the ruleset's nmemo slots */
};

/* Evaluate a compiled condition for the event rule_eval() is on (eval.c). */
bool cn_eval(const struct cn *n, const struct rule_ruleset *rs, struct rule_worker *w,
	     const struct fld_ctx *c);

/* CN_TYPES's bits for @chk, a check on a FLD_F_BY_TYPE field without a
 * right-hand field (eval.c): @out (RS_TYPE_WORDS words) gets bit t when
 * the check is true for an event of type t; generic events' bits stay
 * clear. @fw is a scratch extraction worker (any slot count). Compile time,
 * the compiling thread. */
void rs_check_types(const struct rule_ruleset *rs, const struct ccheck *chk,
		    struct fld_worker *fw, uint64_t *out);

#endif /* PG_RULES_RULESET_INT_H */
