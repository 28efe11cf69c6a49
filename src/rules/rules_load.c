/*
 * rules_load.c - read Falco rules files (YAML) into a struct rule_set.
 *
 * libyaml's document API gives a node tree with a start mark per node; the
 * loader walks the top-level sequence item by item, checks each item the way
 * the reference engine's rule_loader_reader.cpp does, and applies it with the
 * semantics of its rule_loader_collector.cpp: define (a redefinition replaces
 * in place, keeping the first definition's position in the order), append,
 * selective replace, enable. Unlike the reference engine it does not stop at
 * the first error: an item with errors is reported and skipped, and loading
 * goes on with the next one, so a user sees every problem of a file at once.
 *
 * Aliases can make a small document describe a huge one; every node the
 * loader visits is charged to a budget proportional to the file size, so a
 * hostile file costs bounded time.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rules/rules_int.h"

/* Messages that the reference engine defines once (rule_loading_messages.h). */
#define MSG_WARNING_APPEND                                                                    \
	"'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under " \
	"'override' instead."
#define MSG_WARNING_ENABLED                                                                       \
	"The standalone 'enabled' key usage is deprecated. The correct approach requires also a " \
	"'replace' entry under the 'override' key (i.e. 'enabled: replace')."
#define MSG_OVERRIDE_APPEND                                                                  \
	"Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry " \
	"(e.g. 'condition: append') under 'override' instead."
#define MSG_NO_PREVIOUS_MACRO                                                                    \
	"Macro uses 'append' or 'override.condition: append' but no macro by that name already " \
	"exists"
#define MSG_NO_PREVIOUS_LIST \
	"List uses 'append' or 'override.items: append' but no list by that name already exists"
#define MSG_NO_PREVIOUS_RULE_APPEND \
	"Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
#define MSG_NO_PREVIOUS_RULE_REPLACE                                                             \
	"An 'override.<key>: replace' to a rule was requested but no rule by that name already " \
	"exists"
#define MSG_INVALID_MACRO_NAME                                                     \
	"Macro has an invalid name. Macro names must match a regular expression: " \
	"([a-zA-Z]+[a-zA-Z0-9_]*)"
#define MSG_INVALID_LIST_NAME                                                    \
	"List has an invalid name. List names must match a regular expression: " \
	"([^()\"'[:space:]=,]+)"

/* Nodes visited per byte of input before the loader gives up (alias bombs). */
#define LD_BUDGET_PER_BYTE 64
#define LD_BUDGET_MIN	   (1u << 20)
/* Depth of nested sequences in exception fields/comps/values. */
#define LD_XVAL_DEPTH 4
/* Items all lists may expand to, in total. */
#define LD_LIST_EXPAND_LIMIT (1u << 22)

/* Every key an item may have; one bit each in a key mask. */
#define LD_KEYS(X)                                 \
	X(RULE, "rule")                            \
	X(MACRO, "macro")                          \
	X(LIST, "list")                            \
	X(REQ_ENGINE, "required_engine_version")   \
	X(REQ_PLUGINS, "required_plugin_versions") \
	X(ITEMS, "items")                          \
	X(CONDITION, "condition")                  \
	X(OUTPUT, "output")                        \
	X(DESC, "desc")                            \
	X(PRIORITY, "priority")                    \
	X(TAGS, "tags")                            \
	X(ENABLED, "enabled")                      \
	X(SOURCE, "source")                        \
	X(EXCEPTIONS, "exceptions")                \
	X(WARN_EVTTYPES, "warn_evttypes")          \
	X(SKIP_UNKNOWN, "skip-if-unknown-filter")  \
	X(CAPTURE, "capture")                      \
	X(CAPTURE_DURATION, "capture_duration")    \
	X(APPEND, "append")                        \
	X(OVERRIDE, "override")

enum ld_key {
#define LD_X_ENUM(name, str) LD_K_##name,
	LD_KEYS(LD_X_ENUM)
#undef LD_X_ENUM
		LD_K_COUNT
};

static const char *const ld_key_names[] = {
#define LD_X_NAME(name, str) str,
	LD_KEYS(LD_X_NAME)
#undef LD_X_NAME
};

#define LD_BIT(k) (1u << LD_K_##k)

/* Keys each kind of item may carry. */
#define LD_LIST_KEYS  (LD_BIT(LIST) | LD_BIT(ITEMS) | LD_BIT(APPEND) | LD_BIT(OVERRIDE))
#define LD_MACRO_KEYS (LD_BIT(MACRO) | LD_BIT(CONDITION) | LD_BIT(APPEND) | LD_BIT(OVERRIDE))
#define LD_RULE_KEYS                                                                           \
	(LD_BIT(RULE) | LD_BIT(CONDITION) | LD_BIT(OUTPUT) | LD_BIT(DESC) | LD_BIT(PRIORITY) | \
	 LD_BIT(TAGS) | LD_BIT(ENABLED) | LD_BIT(SOURCE) | LD_BIT(EXCEPTIONS) |                \
	 LD_BIT(WARN_EVTTYPES) | LD_BIT(SKIP_UNKNOWN) | LD_BIT(CAPTURE) |                      \
	 LD_BIT(CAPTURE_DURATION) | LD_BIT(APPEND) | LD_BIT(OVERRIDE))
/* Rule keys that `override` may append to, and replace. */
#define LD_RULE_APPENDABLE \
	(LD_BIT(CONDITION) | LD_BIT(OUTPUT) | LD_BIT(DESC) | LD_BIT(TAGS) | LD_BIT(EXCEPTIONS))
#define LD_RULE_REPLACEABLE                                                                \
	(LD_RULE_APPENDABLE | LD_BIT(PRIORITY) | LD_BIT(ENABLED) | LD_BIT(WARN_EVTTYPES) | \
	 LD_BIT(SKIP_UNKNOWN))

/* One top-level item's keys, found in one pass over its mapping. */
struct ld_item {
	yaml_node_t *node;
	yaml_node_t *val[LD_K_COUNT];
	yaml_node_t *key[LD_K_COUNT];
	unsigned mask; /* keys present */
};

/* The loader's state for one file. */
struct ld {
	struct rule_set *rs;
	struct diag_list *dl;
	struct diag_src *src;
	yaml_document_t *doc;
	char what[160]; /* "rule 'x'": what messages are about */
	size_t nerr;
	size_t budget;
	bool nomem;
	bool over_budget;
};

/* ---- diagnostics ---- */

static void ld_loc(const struct ld *ld, const yaml_node_t *n, struct diag_loc *loc)
{
	loc->src = ld->src;
	loc->file = NULL;
	loc->line = n ? n->start_mark.line + 1 : 0;
	loc->col = n ? n->start_mark.column + 1 : 0;
}

static void ld_vreport_at(struct ld *ld, enum diag_severity sev, enum diag_code code,
			  const struct diag_loc *loc, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (sev == DIAG_ERROR)
		ld->nerr++;
	if (ld->what[0])
		diag_list__add(ld->dl, sev, code, loc, "%s: %s", ld->what, msg);
	else
		diag_list__add(ld->dl, sev, code, loc, "%s", msg);
}

static void ld_vreport(struct ld *ld, enum diag_severity sev, enum diag_code code,
		       const yaml_node_t *n, const char *fmt, va_list ap)
{
	struct diag_loc loc;

	ld_loc(ld, n, &loc);
	ld_vreport_at(ld, sev, code, &loc, fmt, ap);
}

/* A collector-stage error at a remembered location (an exception's). */
__attribute__((format(printf, 3, 4))) static void
ld_verr_at(struct ld *ld, const struct diag_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vreport_at(ld, DIAG_ERROR, DIAG_ERR_VALIDATE, loc, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void ld_err(struct ld *ld, const yaml_node_t *n,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vreport(ld, DIAG_ERROR, DIAG_ERR_YAML_VALIDATE, n, fmt, ap);
	va_end(ap);
}

/* An error of the collector stage (definitions that do not fit together). */
__attribute__((format(printf, 3, 4))) static void ld_verr(struct ld *ld, const yaml_node_t *n,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vreport(ld, DIAG_ERROR, DIAG_ERR_VALIDATE, n, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void
ld_warn(struct ld *ld, enum diag_code code, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vreport(ld, DIAG_WARNING, code, n, fmt, ap);
	va_end(ap);
}

static void ld_nomem(struct ld *ld)
{
	if (!ld->nomem)
		ld_err(ld, NULL, "out of memory");
	ld->nomem = true;
}

/* Charge one visited node; false (once reported) when the budget is spent. */
static bool ld_charge(struct ld *ld, const yaml_node_t *n, size_t cost)
{
	if (cost <= ld->budget) {
		ld->budget -= cost;
		return true;
	}
	if (!ld->over_budget)
		ld_err(ld, n, "document too complex (aliases expand to too many nodes)");
	ld->over_budget = true;
	ld->budget = 0;
	return false;
}

/* ---- nodes ---- */

static yaml_node_t *ld_node(const struct ld *ld, int id)
{
	return yaml_document_get_node(ld->doc, id);
}

static bool ld_is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static const char *ld_str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* The value of the first key @key of mapping @map, or NULL. */
static yaml_node_t *ld_map_get(const struct ld *ld, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ld_node(ld, p->key);

		if (ld_is_scalar(k) && !strcmp(ld_str(k), key))
			return ld_node(ld, p->value);
	}
	return NULL;
}

/* A null value: an empty or ~/null plain scalar (as yaml-cpp's IsNull). */
static bool ld_is_null(const yaml_node_t *n)
{
	const char *s;

	if (!ld_is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = ld_str(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* yaml-cpp's booleans: y/yes/true/on and n/no/false/off, in lower, Upper or UPPER case. */
static int ld_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"y", "yes", "true", "on"};
	static const char *const no[] = {"n", "no", "false", "off"};
	char low[8];
	size_t i, len = strlen(s);
	bool upper = true, capital;

	if (!len || len >= sizeof(low))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		low[i] = tolower((unsigned char)s[i]);
		if (!isupper((unsigned char)s[i]))
			upper = false;
	}
	low[len] = '\0';
	capital = isupper((unsigned char)s[0]) && !strcmp(s + 1, low + 1);
	if (!upper && !capital && strcmp(s, low))
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (!strcmp(low, yes[i]))
			return *out = true, 0;
		if (!strcmp(low, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

/* Find the item's keys; unknown ones are reported later, once the kind is known. */
static void ld_item_scan(struct ld *ld, yaml_node_t *node, struct ld_item *it)
{
	yaml_node_pair_t *p;

	memset(it, 0, sizeof(*it));
	it->node = node;
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ld_node(ld, p->key);
		int i;

		if (!ld_is_scalar(k))
			continue;
		for (i = 0; i < LD_K_COUNT; i++) {
			if (strcmp(ld_str(k), ld_key_names[i]))
				continue;
			if (!(it->mask & (1u << i))) { /* the first one wins, as in yaml-cpp */
				it->mask |= 1u << i;
				it->val[i] = ld_node(ld, p->value);
				it->key[i] = k;
			}
			break;
		}
	}
}

static void ld_warn_unknown_keys(struct ld *ld, const struct ld_item *it, unsigned allowed,
				 const char *kind)
{
	yaml_node_pair_t *p;

	for (p = it->node->data.mapping.pairs.start; p < it->node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ld_node(ld, p->key);
		int i;

		if (!ld_is_scalar(k)) {
			ld_warn(ld, DIAG_UNKNOWN_ITEM, k, "%s key is not a scalar, ignored", kind);
			continue;
		}
		for (i = 0; i < LD_K_COUNT; i++)
			if (!strcmp(ld_str(k), ld_key_names[i]))
				break;
		if (i == LD_K_COUNT || !(allowed & (1u << i)))
			ld_warn(ld, DIAG_UNKNOWN_ITEM, k, "Unknown key '%s' in a %s, ignored",
				ld_str(k), kind);
	}
}

/*
 * A required or optional scalar value (decode_val_generic in the reference
 * engine). NULL when absent (no error if optional) or wrong (error reported).
 */
static yaml_node_t *ld_scalar(struct ld *ld, const struct ld_item *it, enum ld_key k, bool required)
{
	yaml_node_t *v = it->val[k];

	if (!v) {
		if (required)
			ld_err(ld, it->node, "Item has no mapping for key '%s'", ld_key_names[k]);
		return NULL;
	}
	if (ld_is_null(v)) {
		ld_err(ld, v, "Mapping for key '%s' is empty", ld_key_names[k]);
		return NULL;
	}
	if (!ld_is_scalar(v)) {
		ld_err(ld, v, "Value for key '%s' is not a scalar value", ld_key_names[k]);
		return NULL;
	}
	if (!v->data.scalar.length) {
		ld_err(ld, v, "Value for key '%s' must be non-empty", ld_key_names[k]);
		return NULL;
	}
	return v;
}

/* An optional boolean; @out untouched when absent. 0, or -EINVAL (reported). */
static int ld_bool(struct ld *ld, const struct ld_item *it, enum ld_key k, bool required, bool *out)
{
	yaml_node_t *v = ld_scalar(ld, it, k, required);

	if (!v)
		return it->val[k] || required ? -EINVAL : 0;
	if (ld_parse_bool(ld_str(v), out)) {
		ld_err(ld, v, "Can't decode YAML scalar value for key '%s': '%s' is not a boolean",
		       ld_key_names[k], ld_str(v));
		return -EINVAL;
	}
	return 0;
}

static void ld_scalar_pos(const struct ld *ld, const yaml_node_t *v, const yaml_node_t *key,
			  struct rule_scalar_pos *pos)
{
	size_t len, start = 0, end;

	diag_src__text(ld->src, &len);
	end = len;
	if (diag_src__offset(ld->src, v->start_mark.line + 1, v->start_mark.column + 1, &start))
		start = 0;
	if (diag_src__offset(ld->src, v->end_mark.line + 1, v->end_mark.column + 1, &end))
		end = len;
	pos->src = ld->src;
	pos->line = v->start_mark.line + 1;
	pos->col = v->start_mark.column + 1;
	pos->start = start;
	pos->end = end < start ? start : end;
	pos->indent = key ? key->start_mark.column : 0;
	switch (v->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		pos->style = RULE_STYLE_SINGLE_QUOTED;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		pos->style = RULE_STYLE_DOUBLE_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		pos->style = RULE_STYLE_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		pos->style = RULE_STYLE_FOLDED;
		break;
	default:
		pos->style = RULE_STYLE_PLAIN;
		break;
	}
}

/* A required/optional string key into a positioned text; @trim drops outer blanks. */
static int ld_text(struct ld *ld, const struct ld_item *it, enum ld_key k, bool required, bool trim,
		   struct rule_text *out)
{
	yaml_node_t *v = ld_scalar(ld, it, k, required);
	struct rule_scalar_pos pos;
	const char *s;
	size_t len, skip = 0;

	if (!v)
		return it->val[k] || required ? -EINVAL : 0;
	ld_scalar_pos(ld, v, it->key[k], &pos);
	s = ld_str(v);
	len = v->data.scalar.length;
	if (trim) {
		while (skip < len && isspace((unsigned char)s[skip]))
			skip++;
		while (len > skip && isspace((unsigned char)s[len - 1]))
			len--;
	}
	if (rule_text_set(out, s + skip, len - skip, &pos, skip)) {
		ld_nomem(ld);
		return -ENOMEM;
	}
	return 0;
}

static char *ld_strdup(struct ld *ld, const char *s)
{
	char *d = strdup(s);

	if (!d)
		ld_nomem(ld);
	return d;
}

/* A sequence of scalars (list items, tags). Arrays grow into *@v, *@pos. */
static int ld_strings(struct ld *ld, const struct ld_item *it, enum ld_key k, char ***v,
		      struct diag_loc **pos, size_t *n)
{
	yaml_node_t *seq = it->val[k];
	yaml_node_item_t *i;
	size_t cap = 0;
	int err = 0;

	if (seq->type != YAML_SEQUENCE_NODE) {
		ld_err(ld, seq, "Value for key '%s' is not a sequence", ld_key_names[k]);
		return -EINVAL;
	}
	cap = seq->data.sequence.items.top - seq->data.sequence.items.start;
	if (!ld_charge(ld, seq, cap + 1))
		return -E2BIG;
	*v = calloc(cap ? cap : 1, sizeof(**v));
	if (pos)
		*pos = calloc(cap ? cap : 1, sizeof(**pos));
	if (!*v || (pos && !*pos)) {
		ld_nomem(ld);
		return -ENOMEM;
	}
	for (i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *e = ld_node(ld, *i);

		if (!ld_is_scalar(e)) {
			ld_err(ld, e, "sequence value of key '%s' is not scalar", ld_key_names[k]);
			err = -EINVAL;
			continue;
		}
		if (pos)
			ld_loc(ld, e, &(*pos)[*n]);
		(*v)[*n] = ld_strdup(ld, ld_str(e));
		if (!(*v)[*n])
			return -ENOMEM;
		(*n)++;
	}
	return err;
}

/* ---- override ---- */

/*
 * The `override` mapping: which keys are appended to, which replaced. Keys
 * outside @can_append / @can_replace are errors, worded as the reference
 * engine words them. 0 or -EINVAL.
 */
static int ld_overrides(struct ld *ld, const struct ld_item *it, unsigned can_append,
			unsigned can_replace, unsigned *app, unsigned *rep)
{
	yaml_node_t *o = it->val[LD_K_OVERRIDE];
	yaml_node_pair_t *p;
	size_t nerr = ld->nerr;

	*app = *rep = 0;
	if (!o)
		return 0;
	if (o->type != YAML_MAPPING_NODE) {
		ld_err(ld, o, "Value for key 'override' is not a mapping");
		return -EINVAL;
	}
	for (p = o->data.mapping.pairs.start; p < o->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ld_node(ld, p->key), *v = ld_node(ld, p->value);
		unsigned bit = 0;
		int i;

		if (!ld_is_scalar(k) || !ld_is_scalar(v)) {
			ld_err(ld, ld_is_scalar(k) ? v : k, "override entries must be scalars");
			continue;
		}
		for (i = 0; i < LD_K_COUNT; i++)
			if (!strcmp(ld_str(k), ld_key_names[i]))
				bit = 1u << i;
		if (!strcmp(ld_str(v), "append")) {
			if (!(bit & can_append))
				ld_err(ld, k,
				       "Key '%s' cannot be appended to, use 'replace' instead",
				       ld_str(k));
			*app |= bit & can_append;
		} else if (!strcmp(ld_str(v), "replace")) {
			if (!(bit & can_replace))
				ld_err(ld, k, "Key '%s' cannot be replaced", ld_str(k));
			*rep |= bit & can_replace;
		} else {
			ld_err(ld, v,
			       "Invalid override operation for key '%s': '%s'. Allowed values are: "
			       "%s%s",
			       ld_str(k), ld_str(v), bit & can_append ? "append " : "",
			       bit & can_replace ? "replace " : "");
		}
	}
	return ld->nerr == nerr ? 0 : -EINVAL;
}

/* ---- names ---- */

static bool ld_list_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (strchr("()\"'=,", *s) || isspace((unsigned char)*s))
			return false;
	return true;
}

static bool ld_macro_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Read the item's name key and set ld->what for the messages that follow. */
static const char *ld_name(struct ld *ld, const struct ld_item *it, enum ld_key k)
{
	yaml_node_t *v = ld_scalar(ld, it, k, true);

	if (!v)
		return NULL;
	snprintf(ld->what, sizeof(ld->what), "%s '%s'", ld_key_names[k], ld_str(v));
	return ld_str(v);
}

/* ---- lists ---- */

static void ld_list(struct ld *ld, const struct ld_item *it)
{
	struct rule_list_def *l = calloc(1, sizeof(*l)), *prev;
	size_t nerr = ld->nerr, i;
	unsigned app, rep;
	bool append = false;
	const char *name;
	long at;

	if (!l)
		return ld_nomem(ld);
	name = ld_name(ld, it, LD_K_LIST);
	if (!name)
		goto out_free;
	ld_warn_unknown_keys(ld, it, LD_LIST_KEYS, "list");
	if (!ld_list_name_ok(name))
		ld_err(ld, it->node, MSG_INVALID_LIST_NAME);
	l->name = ld_strdup(ld, name);
	ld_loc(ld, it->node, &l->pos);
	if (!it->val[LD_K_ITEMS])
		ld_err(ld, it->node, "Item has no mapping for key 'items'");
	else
		ld_strings(ld, it, LD_K_ITEMS, &l->raw_items, &l->raw_pos, &l->nraw);
	ld_bool(ld, it, LD_K_APPEND, false, &append);
	if (append)
		ld_warn(ld, DIAG_DEPRECATED_ITEM, it->node, MSG_WARNING_APPEND);
	ld_overrides(ld, it, LD_BIT(ITEMS), LD_BIT(ITEMS), &app, &rep);
	if (append && (app | rep))
		ld_err(ld, it->node, MSG_OVERRIDE_APPEND);
	append |= !!(app & LD_BIT(ITEMS));
	if (ld->nerr != nerr || ld->nomem)
		goto out_free;

	at = rule_vec_find(&ld->rs->lists, l->name);
	prev = at < 0 ? NULL : ld->rs->lists.v[at];
	if (append) {
		char **nv;
		struct diag_loc *np;

		if (!prev) {
			ld_verr(ld, it->node, MSG_NO_PREVIOUS_LIST);
			goto out_free;
		}
		nv = realloc(prev->raw_items, (prev->nraw + l->nraw + 1) * sizeof(*nv));
		if (nv)
			prev->raw_items = nv;
		np = realloc(prev->raw_pos, (prev->nraw + l->nraw + 1) * sizeof(*np));
		if (np)
			prev->raw_pos = np;
		if (!nv || !np) {
			ld_nomem(ld);
			goto out_free;
		}
		for (i = 0; i < l->nraw; i++) {
			prev->raw_items[prev->nraw] = l->raw_items[i];
			prev->raw_pos[prev->nraw++] = l->raw_pos[i];
		}
		l->nraw = 0;
		prev->visibility = ld->rs->seq++;
		goto out_free;
	}
	l->visibility = ld->rs->seq++;
	if (prev) {
		struct rule_list_def tmp = *prev;

		l->index = prev->index;
		*prev = *l;
		*l = tmp; /* the old definition, freed below */
		goto out_free;
	}
	l->index = l->visibility;
	if (rule_vec_push(&ld->rs->lists, l)) {
		ld_nomem(ld);
		goto out_free;
	}
	return;

out_free:
	rule_list_def_free(l);
}

/* ---- macros ---- */

static void ld_macro(struct ld *ld, const struct ld_item *it)
{
	struct rule_macro_def *m = calloc(1, sizeof(*m)), *prev;
	size_t nerr = ld->nerr;
	unsigned app, rep;
	bool append = false;
	const char *name;
	long at;

	if (!m)
		return ld_nomem(ld);
	name = ld_name(ld, it, LD_K_MACRO);
	if (!name)
		goto out_free;
	ld_warn_unknown_keys(ld, it, LD_MACRO_KEYS, "macro");
	if (!ld_macro_name_ok(name))
		ld_err(ld, it->node, MSG_INVALID_MACRO_NAME);
	m->name = ld_strdup(ld, name);
	ld_loc(ld, it->node, &m->pos);
	ld_text(ld, it, LD_K_CONDITION, true, false, &m->cond);
	ld_bool(ld, it, LD_K_APPEND, false, &append);
	if (append)
		ld_warn(ld, DIAG_DEPRECATED_ITEM, it->node, MSG_WARNING_APPEND);
	ld_overrides(ld, it, LD_BIT(CONDITION), LD_BIT(CONDITION), &app, &rep);
	if (append && (app | rep))
		ld_err(ld, it->node, MSG_OVERRIDE_APPEND);
	append |= !!(app & LD_BIT(CONDITION));
	if (ld->nerr != nerr || ld->nomem)
		goto out_free;

	at = rule_vec_find(&ld->rs->macros, m->name);
	prev = at < 0 ? NULL : ld->rs->macros.v[at];
	if (append) {
		if (!prev) {
			ld_verr(ld, it->node, MSG_NO_PREVIOUS_MACRO);
			goto out_free;
		}
		if (rule_text_append(&prev->cond, &m->cond))
			ld_nomem(ld);
		prev->visibility = ld->rs->seq++;
		goto out_free;
	}
	m->visibility = ld->rs->seq++;
	if (prev) {
		struct rule_macro_def tmp = *prev;

		m->index = prev->index;
		*prev = *m;
		*m = tmp;
		goto out_free;
	}
	m->index = m->visibility;
	if (rule_vec_push(&ld->rs->macros, m)) {
		ld_nomem(ld);
		goto out_free;
	}
	return;

out_free:
	rule_macro_def_free(m);
}

/* ---- exceptions ---- */

static bool ld_xval_valid(const struct rule_xval *x)
{
	return x->is_list || x->str;
}

/* A field, comp or value: a scalar or a (nested) sequence of them. */
static int ld_xval(struct ld *ld, yaml_node_t *n, struct rule_xval *out, int depth)
{
	yaml_node_item_t *i;
	size_t cap;

	ld_loc(ld, n, &out->pos);
	if (!ld_charge(ld, n, 1))
		return -E2BIG;
	if (ld_is_scalar(n)) {
		if (!n->data.scalar.length) {
			ld_err(ld, n, "Value must be non-empty");
			return -EINVAL;
		}
		out->str = ld_strdup(ld, ld_str(n));
		return out->str ? 0 : -ENOMEM;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		ld_err(ld, n, "Value is not a scalar or a sequence");
		return -EINVAL;
	}
	if (depth >= LD_XVAL_DEPTH) {
		ld_err(ld, n, "Sequences nested too deep");
		return -EINVAL;
	}
	out->is_list = true;
	cap = n->data.sequence.items.top - n->data.sequence.items.start;
	out->items = calloc(cap ? cap : 1, sizeof(*out->items));
	if (!out->items) {
		ld_nomem(ld);
		return -ENOMEM;
	}
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		int err = ld_xval(ld, ld_node(ld, *i), &out->items[out->nitems++], depth + 1);

		if (err)
			return err;
	}
	return 0;
}

/* A rule's `exceptions` into @ex/@n; @append: fields may be missing. */
static int ld_exceptions(struct ld *ld, yaml_node_t *exs, bool append,
			 struct rule_exception_def **ex, size_t *n)
{
	yaml_node_item_t *i;
	size_t nerr = ld->nerr, cap, j;

	*ex = NULL;
	*n = 0;
	if (!exs || ld_is_null(exs))
		return 0;
	if (exs->type != YAML_SEQUENCE_NODE) {
		ld_err(ld, exs, "Rule exceptions must be a sequence");
		return -EINVAL;
	}
	cap = exs->data.sequence.items.top - exs->data.sequence.items.start;
	*ex = calloc(cap ? cap : 1, sizeof(**ex));
	if (!*ex) {
		ld_nomem(ld);
		return -ENOMEM;
	}
	for (i = exs->data.sequence.items.start; i < exs->data.sequence.items.top; i++) {
		yaml_node_t *en = ld_node(ld, *i);
		struct rule_exception_def *e = &(*ex)[*n];
		struct ld_item sub;
		yaml_node_pair_t *p;
		yaml_node_t *name = NULL, *fields = NULL, *comps = NULL, *values = NULL;

		if (en->type != YAML_MAPPING_NODE) {
			ld_err(ld, en, "Rule exception must be a mapping");
			continue;
		}
		memset(&sub, 0, sizeof(sub));
		for (p = en->data.mapping.pairs.start; p < en->data.mapping.pairs.top; p++) {
			yaml_node_t *k = ld_node(ld, p->key), *v = ld_node(ld, p->value);
			const char *ks = ld_is_scalar(k) ? ld_str(k) : "";

			if (!strcmp(ks, "name") && !name)
				name = v;
			else if (!strcmp(ks, "fields") && !fields)
				fields = v;
			else if (!strcmp(ks, "comps") && !comps)
				comps = v;
			else if (!strcmp(ks, "values") && !values)
				values = v;
			else
				ld_warn(ld, DIAG_UNKNOWN_ITEM, k,
					"Unknown key '%s' in an exception, ignored", ks);
		}
		ld_loc(ld, en, &e->pos);
		if (!name) {
			ld_err(ld, en, "Item has no mapping for key 'name'");
			continue;
		}
		if (!ld_is_scalar(name) || ld_is_null(name) || !name->data.scalar.length) {
			ld_err(ld, name, "Exception name must be a non-empty scalar");
			continue;
		}
		for (j = 0; j < *n; j++)
			if (!strcmp((*ex)[j].name, ld_str(name)))
				break;
		if (j < *n) {
			ld_err(ld, en, "Exceptions names in the same object must be unique");
			continue;
		}
		e->name = ld_strdup(ld, ld_str(name));
		if (!e->name)
			return -ENOMEM;
		(*n)++;
		if (fields && !ld_is_null(fields))
			ld_xval(ld, fields, &e->fields, 1);
		else if (!append)
			ld_err(ld, en, "Item has no mapping for key 'fields'");
		if (comps && !ld_is_null(comps))
			ld_xval(ld, comps, &e->comps, 1);
		if (values && values->type != YAML_SEQUENCE_NODE) {
			ld_err(ld, values, "Rule exception values must be a sequence");
		} else if (values) {
			yaml_node_item_t *vi;

			cap = values->data.sequence.items.top - values->data.sequence.items.start;
			e->values = calloc(cap ? cap : 1, sizeof(*e->values));
			if (!e->values) {
				ld_nomem(ld);
				return -ENOMEM;
			}
			for (vi = values->data.sequence.items.start;
			     vi < values->data.sequence.items.top; vi++)
				if (ld_xval(ld, ld_node(ld, *vi), &e->values[e->nvalues++], 1))
					break;
		} else if (append) {
			ld_warn(ld, DIAG_APPEND_NO_VALUES, en,
				"Overriding/appending exception with no values");
		}
	}
	return ld->nerr == nerr ? 0 : -EINVAL;
}

static bool ld_is_operator(const char *s)
{
	static const char *const ops[] = {
		"=",	      "==",	     "!=",	 "<=",	      "<",
		">=",	      ">",	     "contains", "icontains", "bcontains",
		"startswith", "bstartswith", "endswith", "glob",      "iglob",
		"in",	      "intersects",  "pmatch",	 "exists",    "regex",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(s, ops[i]))
			return true;
	return false;
}

static int ld_xval_set_str(struct rule_xval *x, const char *s, const struct diag_loc *pos)
{
	x->is_list = false;
	x->str = strdup(s);
	x->pos = *pos;
	return x->str ? 0 : -ENOMEM;
}

/*
 * Check an exception against its rule (validate_exception_info in the
 * reference engine) and fill in the default comps: "=" per field for a list
 * of fields, "in" for a single field. Field names are checked by the
 * compiler, which knows them.
 */
static int ld_exception_check(struct ld *ld, struct rule_exception_def *e)
{
	size_t i;

	if (!ld_xval_valid(&e->fields)) {
		ld_verr_at(ld, &e->pos,
			   "Rule exception item must have fields property with a list of fields");
		goto out_err;
	}
	if (e->fields.is_list) {
		if (!ld_xval_valid(&e->comps)) {
			e->comps.is_list = true;
			e->comps.pos = e->pos;
			e->comps.items = calloc(e->fields.nitems + 1, sizeof(*e->comps.items));
			if (!e->comps.items)
				return -ENOMEM;
			for (i = 0; i < e->fields.nitems; i++) {
				if (ld_xval_set_str(&e->comps.items[i], "=", &e->pos))
					return -ENOMEM;
				e->comps.nitems++;
			}
		}
		if (e->fields.nitems != e->comps.nitems) {
			ld_verr_at(ld, &e->pos, "Fields and comps lists must have equal length");
			goto out_err;
		}
		for (i = 0; i < e->comps.nitems; i++) {
			const struct rule_xval *c = &e->comps.items[i];

			if (!c->str || !ld_is_operator(c->str)) {
				ld_verr_at(ld, &e->pos,
					   "'%s' is not a supported comparison operator",
					   c->str ? c->str : "");
				goto out_err;
			}
		}
		return 0;
	}
	if (!ld_xval_valid(&e->comps) && ld_xval_set_str(&e->comps, "in", &e->pos))
		return -ENOMEM;
	if (e->comps.is_list) {
		ld_verr_at(ld, &e->pos, "Fields and comps must both be strings");
		goto out_err;
	}
	if (strcmp(e->comps.str, "in") && strcmp(e->comps.str, "pmatch") &&
	    strcmp(e->comps.str, "intersects")) {
		ld_verr_at(ld, &e->pos,
			   "When fields is a single value, comps must be one of (in, pmatch, "
			   "intersects)");
		goto out_err;
	}
	return 0;

out_err:
	return -EINVAL;
}

/* ---- rules ---- */

static struct rule_def *ld_rule_find(struct ld *ld, const char *name)
{
	long at = rule_vec_find(&ld->rs->rules, name);

	return at < 0 ? NULL : ld->rs->rules.v[at];
}

/* Read the keys in @keys of a rule item into @r; 0 or -EINVAL (reported). */
static int ld_rule_keys(struct ld *ld, const struct ld_item *it, unsigned keys, bool append,
			struct rule_def *r)
{
	size_t nerr = ld->nerr;
	yaml_node_t *v;

	if (keys & LD_BIT(CONDITION))
		ld_text(ld, it, LD_K_CONDITION, true, false, &r->cond);
	if (keys & LD_BIT(OUTPUT))
		ld_text(ld, it, LD_K_OUTPUT, true, !append, &r->output);
	if (keys & LD_BIT(DESC))
		ld_text(ld, it, LD_K_DESC, true, false, &r->desc);
	if ((keys & LD_BIT(PRIORITY)) && (v = ld_scalar(ld, it, LD_K_PRIORITY, true))) {
		ld_loc(ld, v, &r->priority_pos);
		if (rule_priority_parse(ld_str(v), &r->priority))
			ld_err(ld, v, "Invalid priority '%s'", ld_str(v));
	}
	if ((keys & LD_BIT(SOURCE)) && (v = ld_scalar(ld, it, LD_K_SOURCE, false))) {
		free(r->source);
		r->source = ld_strdup(ld, ld_str(v));
	}
	if (keys & LD_BIT(ENABLED))
		ld_bool(ld, it, LD_K_ENABLED, false, &r->enabled);
	if (keys & LD_BIT(WARN_EVTTYPES))
		ld_bool(ld, it, LD_K_WARN_EVTTYPES, false, &r->warn_evttypes);
	if (keys & LD_BIT(SKIP_UNKNOWN))
		ld_bool(ld, it, LD_K_SKIP_UNKNOWN, false, &r->skip_if_unknown_filter);
	if (keys & LD_BIT(CAPTURE))
		ld_bool(ld, it, LD_K_CAPTURE, false, &r->capture);
	if ((keys & LD_BIT(CAPTURE_DURATION)) &&
	    (v = ld_scalar(ld, it, LD_K_CAPTURE_DURATION, false))) {
		char *end;
		unsigned long ms = strtoul(ld_str(v), &end, 10);

		if (*end || !isdigit((unsigned char)ld_str(v)[0]) || ms > UINT32_MAX)
			ld_err(ld, v, "Can't decode YAML scalar value for key 'capture_duration'");
		r->capture_duration = ms;
	}
	if ((keys & LD_BIT(TAGS)) && it->val[LD_K_TAGS] && !ld_is_null(it->val[LD_K_TAGS]))
		ld_strings(ld, it, LD_K_TAGS, &r->tags, NULL, &r->ntags);
	if (keys & LD_BIT(EXCEPTIONS))
		ld_exceptions(ld, it->val[LD_K_EXCEPTIONS], append, &r->exceptions,
			      &r->nexceptions);
	return ld->nerr == nerr && !ld->nomem ? 0 : -EINVAL;
}

/* Add @tag to @r unless it has it (the reference engine keeps tags in a set). */
static int ld_tag_add(struct rule_def *r, char **tag)
{
	size_t i;
	char **nv;

	for (i = 0; i < r->ntags; i++)
		if (!strcmp(r->tags[i], *tag))
			return 0;
	nv = realloc(r->tags, (r->ntags + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	r->tags = nv;
	r->tags[r->ntags++] = *tag;
	*tag = NULL;
	return 0;
}

static int ld_tags_dedup(struct rule_def *r)
{
	char **tags = r->tags;
	size_t n = r->ntags, i;
	int err = 0;

	r->tags = NULL;
	r->ntags = 0;
	for (i = 0; i < n; i++) {
		if (!err)
			err = ld_tag_add(r, &tags[i]);
		free(tags[i]);
	}
	free(tags);
	return err;
}

static int ld_exceptions_check(struct ld *ld, struct rule_def *r)
{
	size_t i;
	int err = 0;

	for (i = 0; i < r->nexceptions; i++) {
		int e = ld_exception_check(ld, &r->exceptions[i]);

		if (e == -ENOMEM)
			ld_nomem(ld);
		if (e)
			err = e;
	}
	return err;
}

/* Define rule @r; true when the set took @r itself (else the caller frees it). */
static bool ld_rule_define(struct ld *ld, const struct ld_item *it, struct rule_def *r)
{
	struct rule_def *prev = ld_rule_find(ld, r->name);

	r->enabled = true;
	r->warn_evttypes = true;
	r->source = ld_strdup(ld, "syscall");
	if (ld_rule_keys(ld, it, LD_RULE_KEYS & ~LD_BIT(APPEND) & ~LD_BIT(OVERRIDE), false, r))
		return false;
	if (prev && strcmp(prev->source, r->source)) {
		ld_verr(ld, it->node, "Rule has been re-defined with a different source");
		return false;
	}
	if (ld_exceptions_check(ld, r) || ld_tags_dedup(r))
		return false;
	r->visibility = ld->rs->seq++;
	if (prev) {
		struct rule_def tmp = *prev;

		r->index = prev->index;
		*prev = *r;
		*r = tmp; /* the caller frees the old definition */
		return false;
	}
	r->index = r->visibility;
	if (rule_vec_push(&ld->rs->rules, r)) {
		ld_nomem(ld);
		return false;
	}
	return true;
}

/* Append the exceptions of @u to @prev (collector::append). */
static int ld_rule_append_exceptions(struct ld *ld, struct rule_def *prev, struct rule_def *u)
{
	size_t i, j;
	struct rule_exception_def *nv;

	/* check everything first, so a failed append changes nothing */
	for (i = 0; i < u->nexceptions; i++) {
		struct rule_exception_def *e = &u->exceptions[i];

		for (j = 0; j < prev->nexceptions; j++)
			if (!strcmp(prev->exceptions[j].name, e->name))
				break;
		if (j == prev->nexceptions) {
			if (!e->nvalues) {
				ld_verr_at(ld, &e->pos,
					   "Rule exception must have values property with a list "
					   "of values");
				return -EINVAL;
			}
			if (ld_exception_check(ld, e))
				return -EINVAL;
		} else if (ld_xval_valid(&e->fields) || ld_xval_valid(&e->comps)) {
			ld_verr_at(ld, &e->pos,
				   "Can not append exception %s to existing exception, only values",
				   ld_xval_valid(&e->fields) ? "fields" : "comps");
			return -EINVAL;
		}
	}
	nv = realloc(prev->exceptions, (prev->nexceptions + u->nexceptions + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	prev->exceptions = nv;
	for (i = 0; i < u->nexceptions; i++) {
		struct rule_exception_def *e = &u->exceptions[i];
		struct rule_xval *vv;

		for (j = 0; j < prev->nexceptions; j++)
			if (!strcmp(prev->exceptions[j].name, e->name))
				break;
		if (j == prev->nexceptions) {
			prev->exceptions[prev->nexceptions++] = *e;
			memset(e, 0, sizeof(*e));
			continue;
		}
		vv = realloc(prev->exceptions[j].values,
			     (prev->exceptions[j].nvalues + e->nvalues + 1) * sizeof(*vv));
		if (!vv)
			return -ENOMEM;
		prev->exceptions[j].values = vv;
		if (e->nvalues) /* an exception appended with no values has none to copy */
			memcpy(vv + prev->exceptions[j].nvalues, e->values, e->nvalues * sizeof(*vv));
		prev->exceptions[j].nvalues += e->nvalues;
		e->nvalues = 0;
	}
	return 0;
}

/* Apply the keys @keys of @u to the existing rule (collector::append). */
static void ld_rule_append(struct ld *ld, const struct ld_item *it, unsigned keys,
			   struct rule_def *u)
{
	struct rule_def *prev = ld_rule_find(ld, u->name);
	size_t i;
	int err = 0;

	if (!prev) {
		ld_verr(ld, it->node, MSG_NO_PREVIOUS_RULE_APPEND);
		return;
	}
	if (!(keys & (LD_RULE_APPENDABLE))) {
		ld_verr(ld, it->node, "Appended rule must have exceptions or condition property");
		return;
	}
	if ((keys & LD_BIT(EXCEPTIONS)) && (err = ld_rule_append_exceptions(ld, prev, u)))
		goto out;
	if ((keys & LD_BIT(CONDITION)) && u->cond.len)
		err = rule_text_append(&prev->cond, &u->cond);
	if (!err && (keys & LD_BIT(OUTPUT)) && u->output.len)
		err = rule_text_append(&prev->output, &u->output);
	if (!err && (keys & LD_BIT(DESC)) && u->desc.len)
		err = rule_text_append(&prev->desc, &u->desc);
	for (i = 0; !err && (keys & LD_BIT(TAGS)) && i < u->ntags; i++)
		err = ld_tag_add(prev, &u->tags[i]);
	prev->visibility = ld->rs->seq++;
out:
	if (err == -ENOMEM)
		ld_nomem(ld);
}

/* Replace the keys @keys of the existing rule with those of @u (collector::selective_replace). */
static void ld_rule_replace(struct ld *ld, const struct ld_item *it, unsigned keys,
			    struct rule_def *u)
{
	struct rule_def *prev = ld_rule_find(ld, u->name);
	size_t i;

	if (!prev) {
		ld_verr(ld, it->node, MSG_NO_PREVIOUS_RULE_REPLACE);
		return;
	}
	if (ld_exceptions_check(ld, u) || ld_tags_dedup(u))
		return;
	if (keys & LD_BIT(CONDITION))
		rule_text_move(&prev->cond, &u->cond);
	if (keys & LD_BIT(OUTPUT))
		rule_text_move(&prev->output, &u->output);
	if (keys & LD_BIT(DESC))
		rule_text_move(&prev->desc, &u->desc);
	if (keys & LD_BIT(TAGS)) {
		for (i = 0; i < prev->ntags; i++)
			free(prev->tags[i]);
		free(prev->tags);
		prev->tags = u->tags;
		prev->ntags = u->ntags;
		u->tags = NULL;
		u->ntags = 0;
	}
	if (keys & LD_BIT(EXCEPTIONS)) {
		for (i = 0; i < prev->nexceptions; i++)
			rule_exception_def_fini(&prev->exceptions[i]);
		free(prev->exceptions);
		prev->exceptions = u->exceptions;
		prev->nexceptions = u->nexceptions;
		u->exceptions = NULL;
		u->nexceptions = 0;
	}
	if (keys & LD_BIT(PRIORITY)) {
		prev->priority = u->priority;
		prev->priority_pos = u->priority_pos;
	}
	if (keys & LD_BIT(ENABLED))
		prev->enabled = u->enabled;
	if (keys & LD_BIT(WARN_EVTTYPES))
		prev->warn_evttypes = u->warn_evttypes;
	if (keys & LD_BIT(SKIP_UNKNOWN))
		prev->skip_if_unknown_filter = u->skip_if_unknown_filter;
	prev->visibility = ld->rs->seq++;
}

/* An item with override: check its keys against the override, then apply. */
static void ld_rule_override(struct ld *ld, const struct ld_item *it, unsigned app, unsigned rep)
{
	unsigned expected = it->mask & (LD_RULE_APPENDABLE | LD_RULE_REPLACEABLE);
	size_t nerr = ld->nerr;
	struct rule_def *ua = calloc(1, sizeof(*ua)), *ur = calloc(1, sizeof(*ur));
	int k;

	if (!ua || !ur) {
		ld_nomem(ld);
		goto out_free;
	}
	for (k = 0; k < LD_K_COUNT; k++) {
		unsigned bit = 1u << k;

		if (!((app | rep) & bit))
			continue;
		if (!(expected & bit))
			ld_err(ld, it->val[LD_K_OVERRIDE],
			       "An %s override for '%s' was specified but '%s' is not defined",
			       app & bit ? "append" : "replace", ld_key_names[k], ld_key_names[k]);
		expected &= ~bit;
	}
	for (k = 0; k < LD_K_COUNT; k++)
		if (expected & (1u << k))
			ld_err(ld, it->key[k],
			       "Unexpected key '%s': no corresponding entry under 'override' is "
			       "defined.",
			       ld_key_names[k]);
	if (ld->nerr != nerr)
		goto out_free;
	ua->name = ld_strdup(ld, ld_str(it->val[LD_K_RULE]));
	ur->name = ld_strdup(ld, ld_str(it->val[LD_K_RULE]));
	if (!ua->name || !ur->name)
		goto out_free;
	if (app && !ld_rule_keys(ld, it, app, true, ua))
		ld_rule_append(ld, it, app, ua);
	if (rep && !ld_rule_keys(ld, it, rep, true, ur))
		ld_rule_replace(ld, it, rep, ur);
out_free:
	rule_def_free(ua);
	rule_def_free(ur);
}

static void ld_rule(struct ld *ld, const struct ld_item *it)
{
	struct rule_def *r = calloc(1, sizeof(*r));
	size_t nerr = ld->nerr;
	unsigned app, rep;
	bool append = false;
	const char *name;

	if (!r)
		return ld_nomem(ld);
	name = ld_name(ld, it, LD_K_RULE);
	if (!name)
		goto out_free;
	ld_warn_unknown_keys(ld, it, LD_RULE_KEYS, "rule");
	r->name = ld_strdup(ld, name);
	ld_loc(ld, it->node, &r->pos);
	ld_bool(ld, it, LD_K_APPEND, false, &append);
	if (append)
		ld_warn(ld, DIAG_DEPRECATED_ITEM, it->node, MSG_WARNING_APPEND);
	ld_overrides(ld, it, LD_RULE_APPENDABLE, LD_RULE_REPLACEABLE, &app, &rep);
	if (append && (app | rep))
		ld_err(ld, it->node, MSG_OVERRIDE_APPEND);
	if (ld->nerr != nerr || !r->name)
		goto out_free;

	if (app | rep) {
		ld_rule_override(ld, it, app, rep);
	} else if (append) {
		unsigned keys = it->mask & (LD_BIT(CONDITION) | LD_BIT(EXCEPTIONS));

		if (!ld_rule_keys(ld, it, keys, true, r))
			ld_rule_append(ld, it, keys, r);
	} else if (!(it->mask &
		     (LD_BIT(CONDITION) | LD_BIT(OUTPUT) | LD_BIT(DESC) | LD_BIT(PRIORITY)))) {
		struct rule_def *prev;

		/* only `enabled`: switch an existing rule on or off */
		if (ld_bool(ld, it, LD_K_ENABLED, true, &r->enabled))
			goto out_free;
		ld_warn(ld, DIAG_DEPRECATED_ITEM, it->node, MSG_WARNING_ENABLED);
		prev = ld_rule_find(ld, r->name);
		if (!prev)
			ld_verr(ld, it->node,
				"Rule has 'enabled' key but no rule by that name already exists");
		else
			prev->enabled = r->enabled;
	} else {
		if (ld_rule_define(ld, it, r))
			return; /* now owned by the set */
	}
out_free:
	rule_def_free(r);
}

/* ---- required versions ---- */

/* "x.y.z" with decimal parts into @v; 0 or -EINVAL. */
static int ld_semver(const char *s, uint32_t v[3])
{
	int i;

	for (i = 0; i < 3; i++) {
		char *end;
		unsigned long n;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		n = strtoul(s, &end, 10);
		if (n > UINT32_MAX)
			return -EINVAL;
		v[i] = n;
		if (i < 2 && *end != '.')
			return -EINVAL;
		s = end + (i < 2);
	}
	/* a pre-release or build suffix is allowed, as semver allows it */
	return *s && *s != '-' && *s != '+' ? -EINVAL : 0;
}

static int ld_vercmp(const uint32_t a[3], const uint32_t b[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static void ld_engine_version(struct ld *ld, const struct ld_item *it)
{
	static const uint32_t have[3] = {RULE_ENGINE_VERSION_MAJOR, RULE_ENGINE_VERSION_MINOR,
					 RULE_ENGINE_VERSION_PATCH};
	yaml_node_t *v;
	uint32_t req[3];
	const char *s;
	char buf[48];
	char *end;

	snprintf(ld->what, sizeof(ld->what), "required_engine_version");
	v = ld_scalar(ld, it, LD_K_REQ_ENGINE, true);
	if (!v)
		return;
	s = ld_str(v);
	/* a bare number N is the old numbering: version 0.N.0 */
	if (isdigit((unsigned char)*s) && strtoul(s, &end, 10) <= UINT32_MAX && !*end) {
		req[0] = 0;
		req[1] = strtoul(s, NULL, 10);
		req[2] = 0;
	} else if (ld_semver(s, req)) {
		ld_err(ld, v,
		       "Unable to parse engine version '%s' as a semver string. Expected \"x.y.z\" "
		       "semver format.",
		       s);
		return;
	}
	if (req[0] != have[0] || ld_vercmp(req, have) > 0) {
		ld_verr(ld, v,
			"Rules require engine version %u.%u.%u, but engine version is %u.%u.%u",
			req[0], req[1], req[2], have[0], have[1], have[2]);
		return;
	}
	if (ld->rs->engine_version && ld_vercmp(req, ld->rs->engine_version_num) <= 0)
		return; /* not higher than what is known */
	snprintf(buf, sizeof(buf), "%u.%u.%u", req[0], req[1], req[2]);
	free(ld->rs->engine_version);
	ld->rs->engine_version = ld_strdup(ld, buf);
	memcpy(ld->rs->engine_version_num, req, sizeof(req));
}

/* One entry of required_plugin_versions (or an alternative): name and version. */
static int ld_plugin_req(struct ld *ld, yaml_node_t *n, const char *what, struct rule_plugin_req *r)
{
	yaml_node_t *name, *ver;
	uint32_t v[3];

	if (n->type != YAML_MAPPING_NODE) {
		ld_err(ld, n, "%s must be a mapping", what);
		return -EINVAL;
	}
	ld_loc(ld, n, &r->pos);
	name = ld_map_get(ld, n, "name");
	ver = ld_map_get(ld, n, "version");
	if (!ld_is_scalar(name) || ld_is_null(name)) {
		ld_err(ld, name ? name : n, "Item has no mapping for key 'name'");
		return -EINVAL;
	}
	if (!ld_is_scalar(ver) || ld_is_null(ver)) {
		ld_err(ld, ver ? ver : n, "Item has no mapping for key 'version'");
		return -EINVAL;
	}
	if (ld_semver(ld_str(ver), v)) {
		ld_verr(ld, ver, "Invalid required version '%s' for plugin '%s'", ld_str(ver),
			ld_str(name));
		return -EINVAL;
	}
	r->name = ld_strdup(ld, ld_str(name));
	r->version = ld_strdup(ld, ld_str(ver));
	return r->name && r->version ? 0 : -ENOMEM;
}

static void ld_plugin_versions(struct ld *ld, const struct ld_item *it)
{
	yaml_node_t *seq = it->val[LD_K_REQ_PLUGINS];
	yaml_node_item_t *i;

	snprintf(ld->what, sizeof(ld->what), "required_plugin_versions");
	if (seq->type != YAML_SEQUENCE_NODE) {
		ld_err(ld, seq, "Value of required_plugin_versions must be a sequence");
		return;
	}
	for (i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *n = ld_node(ld, *i), *alts = NULL;
		struct rule_plugin_req r = {0}, *nv;
		yaml_node_item_t *a;
		size_t j;

		if (!ld_charge(ld, n, 1) || ld_plugin_req(ld, n, "Plugin version", &r))
			goto next;
		alts = ld_map_get(ld, n, "alternatives");
		if (alts && alts->type != YAML_SEQUENCE_NODE) {
			ld_err(ld, alts, "Value of plugin version alternatives must be a sequence");
			goto next;
		}
		if (alts) {
			size_t cap =
				alts->data.sequence.items.top - alts->data.sequence.items.start;

			r.alternatives = calloc(cap + 1, sizeof(*r.alternatives));
			if (!r.alternatives) {
				ld_nomem(ld);
				goto next;
			}
			for (a = alts->data.sequence.items.start; a < alts->data.sequence.items.top;
			     a++) {
				struct rule_plugin_req *alt = &r.alternatives[r.nalternatives];
				yaml_node_t *an = ld_node(ld, *a);

				if (!ld_charge(ld, an, 1) ||
				    ld_plugin_req(ld, an, "Plugin version alternative", alt))
					goto next;
				r.nalternatives++;
				for (j = 0; j + 1 < r.nalternatives; j++)
					if (!strcmp(r.alternatives[j].name, alt->name))
						break;
				if (j + 1 < r.nalternatives || !strcmp(r.name, alt->name)) {
					ld_verr(ld, an,
						"Defined multiple alternative version requirements "
						"for plugin '%s'",
						alt->name);
					goto next;
				}
			}
		}
		nv = realloc(ld->rs->plugins, (ld->rs->nplugins + 1) * sizeof(*nv));
		if (!nv) {
			ld_nomem(ld);
			goto next;
		}
		ld->rs->plugins = nv;
		nv[ld->rs->nplugins++] = r;
		continue;
	next:
		rule_plugin_req_fini(&r);
	}
}

/* ---- items and documents ---- */

static void ld_item(struct ld *ld, yaml_node_t *node)
{
	struct ld_item it;

	ld->what[0] = '\0';
	if (ld_is_null(node))
		return;
	if (node->type != YAML_MAPPING_NODE) {
		ld_err(ld, node,
		       "Unexpected element type. Each element should be a yaml associative array.");
		return;
	}
	if (!ld_charge(ld, node, 1 + node->data.mapping.pairs.top - node->data.mapping.pairs.start))
		return;
	ld_item_scan(ld, node, &it);
	if (it.mask & LD_BIT(REQ_ENGINE))
		ld_engine_version(ld, &it);
	else if (it.mask & LD_BIT(REQ_PLUGINS))
		ld_plugin_versions(ld, &it);
	else if (it.mask & LD_BIT(LIST))
		ld_list(ld, &it);
	else if (it.mask & LD_BIT(MACRO))
		ld_macro(ld, &it);
	else if (it.mask & LD_BIT(RULE))
		ld_rule(ld, &it);
	else
		ld_err(ld, node,
		       "Unknown top level item: expected one of 'rule', 'macro', 'list', "
		       "'required_engine_version', 'required_plugin_versions'");
}

static void ld_document(struct ld *ld)
{
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);
	yaml_node_item_t *i;

	if (!root || ld_is_null(root))
		return;
	if (root->type != YAML_SEQUENCE_NODE) {
		ld_err(ld, root,
		       root->type == YAML_MAPPING_NODE
			       ? "Rules content is not yaml array of objects"
			       : "Rules content is not yaml");
		return;
	}
	for (i = root->data.sequence.items.start; i < root->data.sequence.items.top; i++) {
		if (ld->over_budget || ld->nomem)
			return;
		ld_item(ld, ld_node(ld, *i));
	}
	ld->what[0] = '\0';
}

/* Report a libyaml error at its own position. */
static void ld_yaml_error(struct ld *ld, const yaml_parser_t *p)
{
	struct diag_loc loc = {.src = ld->src};
	const char *problem = p->problem ? p->problem : "unknown YAML error";

	if (p->error == YAML_MEMORY_ERROR) {
		ld_nomem(ld);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		size_t len;

		diag_src__text(ld->src, &len);
		if (diag_src__linecol(ld->src, p->problem_offset < len ? p->problem_offset : len,
				      &loc.line, &loc.col))
			loc.line = loc.col = 0;
	} else {
		loc.line = p->problem_mark.line + 1;
		loc.col = p->problem_mark.column + 1;
	}
	ld->nerr++;
	if (p->context)
		diag_list__add(ld->dl, DIAG_ERROR, DIAG_ERR_YAML_PARSE, &loc,
			       "Invalid YAML: %s %s (line %zu, column %zu)", problem, p->context,
			       p->context_mark.line + 1, p->context_mark.column + 1);
	else
		diag_list__add(ld->dl, DIAG_ERROR, DIAG_ERR_YAML_PARSE, &loc, "Invalid YAML: %s",
			       problem);
}

/*
 * Parse every document first, as the reference engine does: a syntax error
 * anywhere in the file means nothing of it is applied.
 */
static int ld_parse(struct ld *ld, const char *text, size_t len, yaml_document_t **docs,
		    size_t *ndocs)
{
	yaml_parser_t parser;
	size_t cap = 0;
	int err = 0;

	*docs = NULL;
	*ndocs = 0;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;

		if (!yaml_parser_load(&parser, &doc)) {
			ld_yaml_error(ld, &parser);
			err = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		if (*ndocs == cap) {
			size_t ncap = cap ? 2 * cap : 2;
			yaml_document_t *nv = realloc(*docs, ncap * sizeof(*nv));

			if (!nv) {
				yaml_document_delete(&doc);
				err = -ENOMEM;
				break;
			}
			*docs = nv;
			cap = ncap;
		}
		(*docs)[(*ndocs)++] = doc;
	}
	yaml_parser_delete(&parser);
	return err;
}

static int rule_set_add_src(struct rule_set *rs, struct diag_src *src)
{
	struct diag_src **nv = realloc(rs->srcs, (rs->nsrcs + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	rs->srcs = nv;
	rs->srcs[rs->nsrcs++] = src;
	return 0;
}

int rule_set_load_string(struct rule_set *rs, const char *name, const char *text, size_t len,
			 struct diag_list *dl)
{
	struct ld ld = {.rs = rs, .dl = dl};
	yaml_document_t *docs;
	size_t ndocs, i;
	int err;

	ld.src = diag_src_new(name, text, len);
	if (!ld.src)
		return -ENOMEM;
	if (rule_set_add_src(rs, ld.src)) {
		diag_src_put(ld.src);
		return -ENOMEM;
	}
	ld.budget = len * LD_BUDGET_PER_BYTE;
	if (ld.budget < LD_BUDGET_MIN)
		ld.budget = LD_BUDGET_MIN;
	err = ld_parse(&ld, diag_src__text(ld.src, NULL), len, &docs, &ndocs);
	for (i = 0; i < ndocs; i++) {
		if (!err) {
			ld.doc = &docs[i];
			ld_document(&ld);
		}
		yaml_document_delete(&docs[i]);
	}
	free(docs);
	if (rule_set_expand_lists(rs, dl, LD_LIST_EXPAND_LIMIT))
		ld.nerr++;
	if (ld.nomem || err == -ENOMEM)
		return -ENOMEM;
	return ld.nerr ? -EINVAL : 0;
}

int rule_set_load_file(struct rule_set *rs, const char *path, struct diag_list *dl)
{
	struct diag_loc loc = {.file = path};
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err;

	if (!f)
		goto out_err;
	for (;;) {
		size_t got;

		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				errno = ENOMEM;
				goto out_close;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		errno = EIO;
		goto out_close;
	}
	fclose(f);
	err = rule_set_load_string(rs, path, buf, len, dl);
	free(buf);
	return err;

out_close:
	err = errno;
	fclose(f);
	free(buf);
	errno = err;
out_err:
	err = errno ? errno : EIO;
	diag_list__add(dl, DIAG_ERROR, DIAG_ERR_FILE_READ, &loc, "Could not read rules file: %s",
		       strerror(err));
	return -err;
}
