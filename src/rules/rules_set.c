/*
 * rules_set.c - the rule set's containers: name-indexed vectors of lists,
 * macros and rules, their destructors, accessors, list expansion and the
 * usage marks behind the "not referred to" warnings.
 *
 * Definitions are looked up by name on every define/append, so each vector
 * carries a small open-addressing hash of names (FNV-1a, linear probing).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules_int.h"

static const char *const rule_prio_names[] = {
#define RULE_X_PRIO_NAME(name, str) str,
	RULE_PRIORITIES(RULE_X_PRIO_NAME)
#undef RULE_X_PRIO_NAME
};

const char *rule_priority_name(enum rule_priority prio)
{
	if ((unsigned)prio >= RULE_PRIO_COUNT)
		return "";
	return rule_prio_names[prio];
}

int rule_priority_parse(const char *s, enum rule_priority *out)
{
	int i;

	for (i = 0; i < RULE_PRIO_COUNT; i++) {
		if (!strcasecmp(s, rule_prio_names[i])) {
			*out = i;
			return 0;
		}
	}
	if (!strcasecmp(s, "info")) {
		*out = RULE_PRIO_INFORMATIONAL;
		return 0;
	}
	return -EINVAL;
}

/* ---- name map ---- */

static uint64_t rule_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static const char *rule_vec_name(const struct rule_vec *vec, size_t i)
{
	/* every definition struct starts with its char *name */
	return *(char *const *)vec->v[i];
}

static int rule_map_grow(struct rule_vec *vec)
{
	size_t cap = vec->map.cap ? 2 * vec->map.cap : 64, i;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < vec->n; i++) {
		size_t h = rule_hash(rule_vec_name(vec, i)) & (cap - 1);

		while (slots[h])
			h = (h + 1) & (cap - 1);
		slots[h] = i + 1;
	}
	free(vec->map.slots);
	vec->map.slots = slots;
	vec->map.cap = cap;
	return 0;
}

long rule_vec_find(const struct rule_vec *vec, const char *name)
{
	size_t h;

	if (!vec->map.cap)
		return -1;
	h = rule_hash(name) & (vec->map.cap - 1);
	while (vec->map.slots[h]) {
		uint32_t i = vec->map.slots[h] - 1;

		if (!strcmp(rule_vec_name(vec, i), name))
			return i;
		h = (h + 1) & (vec->map.cap - 1);
	}
	return -1;
}

int rule_vec_push(struct rule_vec *vec, void *def)
{
	size_t h;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? 2 * vec->cap : 32;
		void **nv = realloc(vec->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vec->v = nv;
		vec->cap = cap;
	}
	/* keep the load factor under one half */
	if (2 * (vec->n + 1) > vec->map.cap) {
		vec->v[vec->n] = def; /* so a rehash sees it is not yet there */
		if (rule_map_grow(vec))
			return -ENOMEM;
	}
	vec->v[vec->n] = def;
	h = rule_hash(*(char **)def) & (vec->map.cap - 1);
	while (vec->map.slots[h])
		h = (h + 1) & (vec->map.cap - 1);
	vec->map.slots[h] = ++vec->n;
	return 0;
}

static void rule_vec_fini(struct rule_vec *vec, void (*free_fn)(void *))
{
	size_t i;

	for (i = 0; i < vec->n; i++)
		free_fn(vec->v[i]);
	free(vec->v);
	free(vec->map.slots);
}

/* ---- destructors ---- */

void rule_xval_fini(struct rule_xval *x)
{
	size_t i;

	for (i = 0; i < x->nitems; i++)
		rule_xval_fini(&x->items[i]);
	free(x->items);
	free(x->str);
	memset(x, 0, sizeof(*x));
}

void rule_exception_def_fini(struct rule_exception_def *e)
{
	size_t i;

	free(e->name);
	rule_xval_fini(&e->fields);
	rule_xval_fini(&e->comps);
	for (i = 0; i < e->nvalues; i++)
		rule_xval_fini(&e->values[i]);
	free(e->values);
	memset(e, 0, sizeof(*e));
}

void rule_list_def_free(struct rule_list_def *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nraw; i++)
		free(l->raw_items[i]);
	free(l->raw_items);
	free(l->raw_pos);
	free(l->items);
	free(l->name);
	free(l);
}

void rule_macro_def_free(struct rule_macro_def *m)
{
	if (!m)
		return;
	rule_text_fini(&m->cond);
	free(m->name);
	free(m);
}

void rule_def_free(struct rule_def *r)
{
	size_t i;

	if (!r)
		return;
	rule_text_fini(&r->cond);
	rule_text_fini(&r->output);
	rule_text_fini(&r->desc);
	for (i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (i = 0; i < r->nexceptions; i++)
		rule_exception_def_fini(&r->exceptions[i]);
	free(r->exceptions);
	free(r->source);
	free(r->name);
	free(r);
}

void rule_plugin_req_fini(struct rule_plugin_req *p)
{
	size_t i;

	for (i = 0; i < p->nalternatives; i++)
		rule_plugin_req_fini(&p->alternatives[i]);
	free(p->alternatives);
	free(p->name);
	free(p->version);
	memset(p, 0, sizeof(*p));
}

static void rule_list_free_v(void *p)
{
	rule_list_def_free(p);
}

static void rule_macro_free_v(void *p)
{
	rule_macro_def_free(p);
}

static void rule_def_free_v(void *p)
{
	rule_def_free(p);
}

struct rule_set *rule_set_new(void)
{
	struct rule_set *rs = calloc(1, sizeof(*rs));

	if (!rs)
		errno = ENOMEM;
	return rs;
}

void rule_set_free(struct rule_set *rs)
{
	size_t i;

	if (!rs)
		return;
	rule_vec_fini(&rs->lists, rule_list_free_v);
	rule_vec_fini(&rs->macros, rule_macro_free_v);
	rule_vec_fini(&rs->rules, rule_def_free_v);
	for (i = 0; i < rs->nplugins; i++)
		rule_plugin_req_fini(&rs->plugins[i]);
	free(rs->plugins);
	free(rs->engine_version);
	for (i = 0; i < rs->nsrcs; i++)
		diag_src_put(rs->srcs[i]);
	free(rs->srcs);
	free(rs);
}

/* ---- accessors ---- */

size_t rule_set__nlists(const struct rule_set *rs)
{
	return rs->lists.n;
}

size_t rule_set__nmacros(const struct rule_set *rs)
{
	return rs->macros.n;
}

size_t rule_set__nrules(const struct rule_set *rs)
{
	return rs->rules.n;
}

const struct rule_list_def *rule_set__list(const struct rule_set *rs, size_t i)
{
	return i < rs->lists.n ? rs->lists.v[i] : NULL;
}

const struct rule_macro_def *rule_set__macro(const struct rule_set *rs, size_t i)
{
	return i < rs->macros.n ? rs->macros.v[i] : NULL;
}

const struct rule_def *rule_set__rule(const struct rule_set *rs, size_t i)
{
	return i < rs->rules.n ? rs->rules.v[i] : NULL;
}

const struct rule_list_def *rule_set__find_list(const struct rule_set *rs, const char *name)
{
	long i = rule_vec_find(&rs->lists, name);

	return i < 0 ? NULL : rs->lists.v[i];
}

const struct rule_macro_def *rule_set__find_macro(const struct rule_set *rs, const char *name)
{
	long i = rule_vec_find(&rs->macros, name);

	return i < 0 ? NULL : rs->macros.v[i];
}

const struct rule_def *rule_set__find_rule(const struct rule_set *rs, const char *name)
{
	long i = rule_vec_find(&rs->rules, name);

	return i < 0 ? NULL : rs->rules.v[i];
}

const char *rule_set__engine_version(const struct rule_set *rs)
{
	return rs->engine_version;
}

size_t rule_set__nplugin_reqs(const struct rule_set *rs)
{
	return rs->nplugins;
}

const struct rule_plugin_req *rule_set__plugin_req(const struct rule_set *rs, size_t i)
{
	return i < rs->nplugins ? &rs->plugins[i] : NULL;
}

/* ---- usage ---- */

void rule_set__mark_list_used(struct rule_set *rs, const char *name)
{
	long i = rule_vec_find(&rs->lists, name);

	if (i >= 0)
		((struct rule_list_def *)rs->lists.v[i])->used = true;
}

void rule_set__mark_macro_used(struct rule_set *rs, const char *name)
{
	long i = rule_vec_find(&rs->macros, name);

	if (i >= 0)
		((struct rule_macro_def *)rs->macros.v[i])->used = true;
}

void rule_set__warn_unused(const struct rule_set *rs, struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < rs->macros.n; i++) {
		const struct rule_macro_def *m = rs->macros.v[i];

		if (!m->used)
			diag_list__add(dl, DIAG_WARNING, DIAG_UNUSED_MACRO, &m->pos,
				       "macro '%s': Macro not referred to by any other rule/macro",
				       m->name);
	}
	for (i = 0; i < rs->lists.n; i++) {
		const struct rule_list_def *l = rs->lists.v[i];

		if (!l->used)
			diag_list__add(dl, DIAG_WARNING, DIAG_UNUSED_LIST, &l->pos,
				       "list '%s': List not referred to by any other rule/macro",
				       l->name);
	}
}

/* ---- list expansion ---- */

static int rule_list_expand(struct rule_set *rs, struct rule_list_def *l, size_t *budget)
{
	size_t n = 0, cap = l->nraw, i, j;
	const char **items = malloc((cap ? cap : 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	for (i = 0; i < l->nraw; i++) {
		long k = rule_vec_find(&rs->lists, l->raw_items[i]);
		struct rule_list_def *ref = k < 0 ? NULL : rs->lists.v[k];
		const char *const *add = (const char *const *)&l->raw_items[i];
		size_t nadd = 1;

		/* only lists defined before this one's last (re)definition, as the reference engine
		 */
		if (ref && ref != l && ref->index < l->visibility) {
			ref->used = true;
			if (ref->index < l->index) {
				add = ref->items; /* expanded earlier in this pass */
				nadd = ref->nitems;
			} else {
				add = (const char *const *)ref->raw_items;
				nadd = ref->nraw;
			}
		}
		if (nadd > *budget) {
			free(items);
			return -E2BIG;
		}
		*budget -= nadd;
		if (n + nadd > cap) {
			const char **nv;

			cap = 2 * (n + nadd);
			nv = realloc(items, cap * sizeof(*nv));
			if (!nv) {
				free(items);
				return -ENOMEM;
			}
			items = nv;
		}
		for (j = 0; j < nadd; j++)
			items[n++] = add[j];
	}
	l->items = items;
	l->nitems = n;
	return 0;
}

/*
 * HOW IT WORKS: lists sit in the vector in the order of their first
 * definition (their index), and are expanded in that order. A list may only
 * refer to lists whose index is below its own visibility (its last definition
 * or append), as in the reference engine. A reference to an earlier list sees
 * that list's full expansion, already computed in this pass, so nesting works
 * at any depth without recursion; a reference to a later list (possible when
 * this list was appended to after that one was defined) sees its raw items,
 * like the reference engine's one-level expansion. Cycles are impossible.
 * The total is capped: nested lists can double at each level.
 */
int rule_set_expand_lists(struct rule_set *rs, struct diag_list *dl, size_t limit)
{
	size_t i, budget = limit;
	int err;

	for (i = 0; i < rs->lists.n; i++) {
		struct rule_list_def *l = rs->lists.v[i];

		free(l->items);
		l->items = NULL;
		l->nitems = 0;
		l->used = false;
	}
	for (i = 0; i < rs->lists.n; i++) {
		struct rule_list_def *l = rs->lists.v[i];

		err = rule_list_expand(rs, l, &budget);
		if (err == -E2BIG)
			diag_list__add(dl, DIAG_ERROR, DIAG_ERR_VALIDATE, &l->pos,
				       "list '%s': lists expand to more than %zu items in total",
				       l->name, limit);
		if (err)
			return err;
	}
	return 0;
}
