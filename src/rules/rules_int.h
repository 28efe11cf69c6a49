/*
 * rules_int.h - internals of the rules loader shared by rules_*.c.
 *
 * The rule set is three name-indexed vectors (lists, macros, rules) of
 * individually allocated definitions, so pointers handed to callers stay valid
 * while later files are loaded. rules_set.c owns the containers, rules_text.c
 * the positioned texts, rules_load.c the YAML reading and the Falco semantics.
 */
#ifndef PG_RULES_RULES_INT_H
#define PG_RULES_RULES_INT_H

#include "rules/rules.h"

/* Open-addressing name -> index table. */
struct rule_map {
	uint32_t *slots; /* index + 1; 0 = empty */
	size_t cap;	 /* power of two */
	size_t n;
};

struct rule_vec {
	void **v;
	size_t n;
	size_t cap;
	struct rule_map map;
};

struct rule_set {
	struct rule_vec lists;
	struct rule_vec macros;
	struct rule_vec rules;
	uint32_t seq; /* next definition sequence number */
	struct diag_src **srcs;
	size_t nsrcs;
	char *engine_version;
	uint32_t engine_version_num[3];
	struct rule_plugin_req *plugins;
	size_t nplugins;
};

/* ---- rules_set.c ---- */

/* Index of @name in @vec (whose entries start with a char *name), or -1. */
long rule_vec_find(const struct rule_vec *vec, const char *name);
/* Append @def (whose first member is its char *name). 0 or -ENOMEM. */
int rule_vec_push(struct rule_vec *vec, void *def);

void rule_list_def_free(struct rule_list_def *l);
void rule_macro_def_free(struct rule_macro_def *m);
void rule_def_free(struct rule_def *r);
void rule_exception_def_fini(struct rule_exception_def *e);
void rule_xval_fini(struct rule_xval *x);
void rule_plugin_req_fini(struct rule_plugin_req *p);

/*
 * Recompute every list's expanded items from the raw ones. A raw item that
 * names a list defined before this list's last definition is replaced by that
 * list's (already expanded) items. Expansion stops, with an error in @dl, past
 * @limit items in total. 0, -E2BIG or -ENOMEM.
 */
int rule_set_expand_lists(struct rule_set *rs, struct diag_list *dl, size_t limit);

/* ---- rules_text.c ---- */

void rule_text_fini(struct rule_text *t);
/* Make @t the value @s/@len of one scalar at @pos, of which @skip leading bytes were dropped. */
int rule_text_set(struct rule_text *t, const char *s, size_t len, const struct rule_scalar_pos *pos,
		  size_t skip);
/* Append " " and @more to @t (or take @more when @t is empty). 0 or -ENOMEM. */
int rule_text_append(struct rule_text *t, const struct rule_text *more);
/* Move @from into @to (freeing what @to held); @from is left empty. */
void rule_text_move(struct rule_text *to, struct rule_text *from);

#endif /* PG_RULES_RULES_INT_H */
