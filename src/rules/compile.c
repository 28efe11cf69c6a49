/*
 * compile.c - the rules compiler: a loaded rule_set in, an immutable
 * rule_ruleset out.
 *
 * For each rule: parse the condition (filter.h), expand macros (each macro
 * is compiled once and shared; a macro that reaches itself is an error),
 * resolve list names after `in`/`intersects`/`pmatch` and inside value lists,
 * type-check every check against the field registry, append the rule's
 * exceptions as `and not (...)` the way the reference engine builds them
 * (rule_loader_compiler.cpp), compile the output format, and compute the
 * set of event types the condition can match (the reference engine's
 * evttype resolver: evt.type checks combined through and/or/not by De
 * Morgan's rules, any other check meaning "every type").
 *
 * Errors point inside the rules file: a byte span of a condition maps to
 * FILE:LINE:COL through rule_text__locate(). Compilation goes on after an
 * error so that one run reports all of them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/event_table.h"
#include "rules/ruleset_int.h"
#include "lib/ascii.h"

/* ---- arena ---- */

struct rs_chunk {
	struct rs_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *rs_alloc(struct rs_arena *a, size_t n)
{
	struct rs_chunk *c = a->head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *rs_strndup(struct rs_arena *a, const char *s, size_t n)
{
	char *p = rs_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

void rs_arena_free(struct rs_arena *a)
{
	struct rs_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- string sets ---- */

uint32_t rs_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct rs_strset *rs_strset_new(struct rs_arena *a, uint32_t n)
{
	struct rs_strset *set = rs_alloc(a, sizeof(*set));
	uint32_t cap = 8;

	if (!set)
		return NULL;
	while (cap < 2 * n + 2)
		cap <<= 1;
	set->slots = rs_alloc(a, cap * sizeof(*set->slots));
	if (!set->slots)
		return NULL;
	set->mask = cap - 1;
	set->minlen = UINT32_MAX;
	return set;
}

void rs_strset_add(struct rs_strset *set, const char *s, uint32_t len)
{
	uint32_t h = rs_hash(s, len), i = h & set->mask;

	while (set->slots[i].s) {
		if (set->slots[i].hash == h && set->slots[i].len == len &&
		    memcmp(set->slots[i].s, s, len) == 0)
			return;
		i = (i + 1) & set->mask;
	}
	set->slots[i].s = s;
	set->slots[i].len = len;
	set->slots[i].hash = h;
	set->n++;
	if (len < set->minlen)
		set->minlen = len;
	if (len > set->maxlen)
		set->maxlen = len;
	if (len < 256)
		set->lens[len / 64] |= 1ull << (len % 64);
	else
		set->long_lens = true;
}

bool rs_strset_has(const struct rs_strset *set, const char *s, uint32_t len)
{
	uint32_t h, i;

	if (len < set->minlen || len > set->maxlen)
		return false;
	h = rs_hash(s, len);
	for (i = h & set->mask; set->slots[i].s; i = (i + 1) & set->mask) {
		if (set->slots[i].hash == h && set->slots[i].len == len &&
		    memcmp(set->slots[i].s, s, len) == 0)
			return true;
	}
	return false;
}

/* ---- field references ---- */

static bool ref_same(const struct fld_ref *a, const struct fld_ref *b)
{
	if (a->def != b->def || a->has_arg != b->has_arg || a->idx != b->idx ||
	    a->key_len != b->key_len)
		return false;
	return !a->key_len || memcmp(a->key, b->key, a->key_len) == 0;
}

int rs_refs_intern(struct rs_refs *refs, struct rs_arena *a, const struct fld_ref *r)
{
	uint32_t i;

	for (i = 0; i < refs->n; i++) {
		if (ref_same(&refs->v[i], r))
			return (int)i;
	}
	if (refs->n == refs->cap) {
		uint32_t cap = refs->cap ? refs->cap * 2 : 64;
		struct fld_ref *v = realloc(refs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		refs->v = v;
		refs->cap = cap;
	}
	refs->v[refs->n] = *r;
	if (r->key_len) {
		refs->v[refs->n].key = rs_strndup(a, r->key, r->key_len);
		if (!refs->v[refs->n].key)
			return -ENOMEM;
	}
	refs->v[refs->n].slot = refs->n;
	return (int)refs->n++;
}

/* ---- compiler state ---- */

/* Where the text being compiled came from, for locating errors. */
struct src_text {
	const struct rule_text *text; /* condition text with positions, or NULL */
	const struct diag_loc *fallback; /* used when text is NULL (exceptions) */
	const char *what;		 /* "rule 'x'" / "macro 'y'" */
};

enum macro_state { M_NEW, M_BUSY, M_DONE };

struct macro_c {
	struct flt_ast *ast;
	struct cn *cn;	/* compiled, NULL after an error */
	enum macro_state state;
	bool parse_failed;
	bool quiet_fail;   /* failed while errors were not reported */
	bool unknown;	   /* failed on an unknown field */
};

/* A compiled check by its source text (the compiler's table of them). */
struct chk_seen {
	const char *s;
	uint32_t len, hash;
	struct cn *cn;
};

struct compiler {
	struct rule_ruleset *rs;
	struct rule_set *set;
	struct diag_list *dl;
	struct macro_c *macros;
	size_t nmacros;
	struct chk_seen *seen; /* open addressing, cap a power of two */
	uint32_t nseen, capseen;
	struct fld_worker *fw; /* by_type's scratch extraction worker, made on first use */
	int nomem;
	bool unknown_field; /* the current rule hit an unknown field */
	bool quiet;	    /* skip_if_unknown_filter: count, do not report */
	int errors;
};

static void report(struct compiler *c, const struct src_text *t, struct flt_span span,
		   enum diag_code code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(struct compiler *c, const struct src_text *t, struct flt_span span,
		   enum diag_code code, const char *fmt, ...)
{
	struct diag_loc loc;
	const struct diag_loc *where = t->fallback;
	char msg[512];
	va_list ap;

	c->errors++;
	if (c->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->text && rule_text__locate(t->text, span.start, &loc) == 0)
		where = &loc;
	diag_list__add(c->dl, DIAG_ERROR, code, where, "%s: %s", t->what, msg);
}

static void *c_alloc(struct compiler *c, size_t n)
{
	void *p = rs_alloc(&c->rs->arena, n);

	if (!p)
		c->nomem = 1;
	return p;
}

/* ---- values ---- */

/* Strip one pair of matching quotes around a list item, as written in YAML. */
static void unquote(const char **s, size_t *len)
{
	if (*len >= 2 && ((*s)[0] == '"' || (*s)[0] == '\'') && (*s)[*len - 1] == (*s)[0]) {
		(*s)++;
		*len -= 2;
	}
}

struct rawval {
	const char *s;
	size_t len;
	struct flt_span span;
};

struct rawvals {
	struct rawval *v;
	size_t n, cap;
};

static int rawvals_push(struct rawvals *rv, const char *s, size_t len, struct flt_span span)
{
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 16;
		struct rawval *v = realloc(rv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rv->v = v;
		rv->cap = cap;
	}
	rv->v[rv->n].s = s;
	rv->v[rv->n].len = len;
	rv->v[rv->n].span = span;
	rv->n++;
	return 0;
}

static int push_list(struct compiler *c, struct rawvals *rv, const struct rule_list_def *l,
		     struct flt_span span)
{
	size_t i;

	l = rule_set__find_list(c->set, l->name);
	rule_set__mark_list_used(c->set, l->name);
	for (i = 0; i < l->nitems; i++) {
		const char *s = l->items[i];
		size_t len = strlen(s);

		unquote(&s, &len);
		if (rawvals_push(rv, s, len, span))
			return -ENOMEM;
	}
	return 0;
}

/* Gather the right-hand side constants, list names expanded. */
static int gather_values(struct compiler *c, const struct src_text *t, const struct flt_node *rhs,
			 struct rawvals *rv)
{
	const struct rule_list_def *l;
	uint32_t i;

	switch (rhs->kind) {
	case FLT_VALUE:
		return rawvals_push(rv, rhs->str.s, rhs->str.len, rhs->span);
	case FLT_LISTREF:
		l = rule_set__find_list(c->set, rhs->str.s);
		if (!l) {
			report(c, t, rhs->span, DIAG_ERR_COMPILE_CONDITION, "unknown list '%s'",
			       rhs->str.s);
			return -EINVAL;
		}
		return push_list(c, rv, l, rhs->span);
	case FLT_LIST:
		for (i = 0; i < rhs->kids.n; i++) {
			const struct flt_node *k = rhs->kids.v[i];

			if (k->kind != FLT_VALUE) {
				report(c, t, k->span, DIAG_ERR_COMPILE_CONDITION,
				       "a list may only hold values");
				return -EINVAL;
			}
			l = k->vkind == FLT_V_BARE ? rule_set__find_list(c->set, k->str.s) : NULL;
			if (l) {
				if (push_list(c, rv, l, k->span))
					return -ENOMEM;
			} else if (rawvals_push(rv, k->str.s, k->str.len, k->span)) {
				return -ENOMEM;
			}
		}
		return 0;
	default:
		report(c, t, rhs->span, DIAG_ERR_COMPILE_CONDITION, "unexpected right-hand side");
		return -EINVAL;
	}
}

static bool op_ok(enum fld_type t, enum flt_op op, bool multi_rhs)
{
	(void)multi_rhs;
	if (op == FLT_OP_EXISTS)
		return true;
	switch (t) {
	case FLD_T_STR:
		return op != FLT_OP_BCONTAINS && op != FLT_OP_BSTARTSWITH;
	case FLD_T_BYTES:
		return op == FLT_OP_EQ || op == FLT_OP_NE || op == FLT_OP_CONTAINS ||
		       op == FLT_OP_IN || op == FLT_OP_STARTSWITH || op == FLT_OP_ENDSWITH ||
		       op == FLT_OP_INTERSECTS || op == FLT_OP_BCONTAINS ||
		       op == FLT_OP_BSTARTSWITH;
	case FLD_T_BOOL:
		return op == FLT_OP_EQ || op == FLT_OP_NE || op == FLT_OP_IN ||
		       op == FLT_OP_INTERSECTS;
	case FLD_T_IPADDR:
	case FLD_T_IPNET:
		return op == FLT_OP_EQ || op == FLT_OP_NE || op == FLT_OP_IN ||
		       op == FLT_OP_INTERSECTS;
	default: /* numbers */
		return op == FLT_OP_EQ || op == FLT_OP_NE || op == FLT_OP_LT || op == FLT_OP_LE ||
		       op == FLT_OP_GT || op == FLT_OP_GE || op == FLT_OP_IN ||
		       op == FLT_OP_INTERSECTS;
	}
}

static const char *type_family(enum fld_type t)
{
	if (fld_type__is_string(t))
		return t == FLD_T_BYTES ? "buffer" : "string";
	if (t == FLD_T_BOOL)
		return "boolean";
	if (t == FLD_T_IPADDR || t == FLD_T_IPNET)
		return "ip address and network";
	return "numeric";
}

static bool parse_s64(const char *s, size_t len, int64_t *out)
{
	char buf[40], *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtoll(buf, &end, 0);
	return !errno && !*end;
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	char buf[40], *end;

	if (len == 0 || len >= sizeof(buf) || s[0] == '-')
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtoull(buf, &end, 0);
	return !errno && !*end;
}

static int push_regex(struct compiler *c, regex_t *re)
{
	struct rule_ruleset *rs = c->rs;

	if (rs->nres == rs->capres) {
		uint32_t cap = rs->capres ? rs->capres * 2 : 16;
		regex_t **v = realloc(rs->res, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->res = v;
		rs->capres = cap;
	}
	rs->res[rs->nres++] = re;
	return 0;
}

/* Parse one constant for a check on a field of type @t with operator @op. */
static int parse_value(struct compiler *c, const struct src_text *t, const struct ccheck *chk,
		       const struct rawval *rv, struct cval *out, const char *fname)
{
	enum fld_type ty = chk->type;
	size_t i;

	out->s = rs_strndup(&c->rs->arena, rv->s, rv->len);
	out->len = (uint32_t)rv->len;
	if (!out->s)
		return -ENOMEM;
	switch (ty) {
	case FLD_T_STR:
	case FLD_T_BYTES:
		if (chk->op == FLT_OP_BCONTAINS || chk->op == FLT_OP_BSTARTSWITH) {
			char *b = c_alloc(c, rv->len / 2 + 1);

			if (!b)
				return -ENOMEM;
			if (rv->len % 2)
				goto bad_hex;
			for (i = 0; i < rv->len; i += 2) {
				int hi = ascii_hexval(rv->s[i]), lo = ascii_hexval(rv->s[i + 1]);

				if (hi < 0 || lo < 0)
					goto bad_hex;
				b[i / 2] = (char)(hi * 16 + lo);
			}
			out->s = b;
			out->len = (uint32_t)(rv->len / 2);
		}
		if (chk->op == FLT_OP_ICONTAINS) {
			char *l = rs_strndup(&c->rs->arena, rv->s, rv->len);

			if (!l)
				return -ENOMEM;
			for (i = 0; i < rv->len; i++)
				l[i] = (char)tolower((unsigned char)l[i]);
			out->lower = l;
		}
		if (chk->op == FLT_OP_REGEX) {
			size_t n = rv->len + 8;
			char *pat = malloc(n);
			int rc;

			out->re = c_alloc(c, sizeof(*out->re));
			if (!pat || !out->re) {
				free(pat);
				return -ENOMEM;
			}
			snprintf(pat, n, "^(%.*s)$", (int)rv->len, rv->s);
			rc = regcomp(out->re, pat, REG_EXTENDED | REG_NOSUB);
			free(pat);
			if (!rc && push_regex(c, out->re)) {
				regfree(out->re);
				return -ENOMEM;
			}
			if (rc) {
				out->re = NULL;
				report(c, t, rv->span, DIAG_ERR_COMPILE_CONDITION,
				       "invalid regex pattern '%.*s'", (int)rv->len, rv->s);
				return -EINVAL;
			}
		}
		return 0;
	case FLD_T_BOOL:
		if (rv->len == 4 && memcmp(rv->s, "true", 4) == 0) {
			out->b = true;
			return 0;
		}
		if (rv->len == 5 && memcmp(rv->s, "false", 5) == 0)
			return 0;
		report(c, t, rv->span, DIAG_ERR_COMPILE_CONDITION,
		       "'%.*s' is not a valid boolean for field '%s' (true or false)", (int)rv->len,
		       rv->s, fname);
		return -EINVAL;
	case FLD_T_IPADDR:
	case FLD_T_IPNET:
		if (fld_ip_parse(rv->s, rv->len, true, &out->ip) == 0)
			return 0;
		report(c, t, rv->span, DIAG_ERR_COMPILE_CONDITION,
		       "'%.*s' is not a valid IP address or network for field '%s'", (int)rv->len,
		       rv->s, fname);
		return -EINVAL;
	case FLD_T_DOUBLE: {
		char buf[64], *end;

		snprintf(buf, sizeof(buf), "%.*s", (int)rv->len, rv->s);
		out->d = strtod(buf, &end);
		if (rv->len && !*end)
			return 0;
		break;
	}
	case FLD_T_S16:
	case FLD_T_S32:
	case FLD_T_S64:
		if (parse_s64(rv->s, rv->len, &out->i))
			return 0;
		break;
	default:
		if (parse_u64(rv->s, rv->len, &out->u))
			return 0;
		break;
	}
	report(c, t, rv->span, DIAG_ERR_COMPILE_CONDITION,
	       "'%.*s' is not a valid number for field '%s' of type %s", (int)rv->len, rv->s, fname,
	       fld_type__name(ty));
	return -EINVAL;
bad_hex:
	report(c, t, rv->span, DIAG_ERR_COMPILE_CONDITION,
	       "'%.*s' is not a valid hex string for operator '%s'", (int)rv->len, rv->s,
	       flt_op__name(chk->op));
	return -EINVAL;
}

/* ---- fields ---- */

/* Resolve a FLT_FIELD or FLT_XFORM node into @out; its value type in *type. */
static int compile_field(struct compiler *c, const struct src_text *t, const struct flt_node *n,
			 struct cfield *out, enum fld_type *type, bool rhs)
{
	const struct flt_node *f = n;
	struct fld_ref ref;
	const char *msg;
	int rc;

	out->xf = FLT_XF__COUNT;
	if (n->kind == FLT_XFORM) {
		enum flt_xform xf = n->xform.xf;

		if (xf != FLT_XF_VAL && xf != FLT_XF_TOLOWER && xf != FLT_XF_TOUPPER &&
		    xf != FLT_XF_BASENAME && xf != FLT_XF_LEN && xf != FLT_XF_B64) {
			report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
			       "transformer '%s' is not supported", flt_xform__name(xf));
			return -EINVAL;
		}
		if (n->xform.args.n != 1 || n->xform.args.v[0]->kind != FLT_FIELD) {
			report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
			       "transformer '%s' takes exactly one field", flt_xform__name(xf));
			return -EINVAL;
		}
		if (xf == FLT_XF_VAL && !rhs) {
			report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
			       "val() may only name a field on the right-hand side");
			return -EINVAL;
		}
		f = n->xform.args.v[0];
		if (xf != FLT_XF_VAL)
			out->xf = (uint8_t)xf;
	}
	if (f->kind != FLT_FIELD) {
		report(c, t, f->span, DIAG_ERR_COMPILE_CONDITION, "expected a field");
		return -EINVAL;
	}
	rc = fld_resolve(f->field.name.s, f->field.name.len, f->field.arg.s, f->field.arg.len,
			 f->field.has_arg, &ref, &msg);
	if (rc) {
		if (rc == -ENOENT) {
			c->unknown_field = true;
			report(c, t, f->span, DIAG_ERR_COMPILE_CONDITION, "unknown field '%s'",
			       f->field.name.s);
		} else {
			report(c, t, f->span, DIAG_ERR_COMPILE_CONDITION, "field '%s': %s",
			       f->field.name.s, msg);
		}
		return -EINVAL;
	}
	if (rhs && (ref.def->flags & FLD_F_FILTER_ONLY)) {
		report(c, t, f->span, DIAG_ERR_COMPILE_CONDITION,
		       "field '%s' can not be used as a right-hand side value", ref.def->name);
		return -EINVAL;
	}
	rc = rs_refs_intern(&c->rs->refs, &c->rs->arena, &ref);
	if (rc < 0) {
		c->nomem = 1;
		return rc;
	}
	out->ref = (uint32_t)rc;
	*type = ref.def->type;
	if (out->xf != FLT_XF__COUNT) {
		if (!fld_type__is_string(*type)) {
			report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
			       "transformer '%s' needs a string field, '%s' is %s",
			       flt_xform__name(n->xform.xf), ref.def->name, fld_type__name(*type));
			return -EINVAL;
		}
		if (out->xf == FLT_XF_LEN)
			*type = FLD_T_U64;
		else
			*type = FLD_T_STR;
	}
	return 0;
}

static struct cn *new_node(struct compiler *c, enum cn_kind kind, uint32_t n)
{
	struct cn *node = c_alloc(c, sizeof(*node));

	if (!node)
		return NULL;
	node->kind = kind;
	node->n = n;
	if (n) {
		node->kids = c_alloc(c, n * sizeof(*node->kids));
		if (!node->kids)
			return NULL;
	}
	return node;
}

/* A node's second user (a macro's, a check's): worth a memo slot (struct
 * cn's memo), unless it costs less than the memo (a constant, a bit test). */
static struct cn *shared(struct compiler *c, struct cn *node)
{
	if (node && !node->memo && node->kind != CN_TRUE && node->kind != CN_TYPES)
		node->memo = ++c->rs->nmemo;
	return node;
}

static struct cn *compile_check(struct compiler *c, const struct src_text *t,
				const struct flt_node *n)
{
	const struct flt_check *ck = &n->check;
	struct rawvals rv = { 0 };
	struct ccheck *chk;
	struct cn *node;
	const char *fname;
	size_t i;
	int rc = 0;

	node = new_node(c, CN_CHECK, 0);
	chk = c_alloc(c, sizeof(*chk));
	if (!node || !chk)
		return NULL;
	node->chk = chk;
	chk->op = ck->op;
	chk->mod = ck->mod;
	if (compile_field(c, t, ck->lhs, &chk->lhs, &chk->type, false))
		return NULL;
	fname = c->rs->refs.v[chk->lhs.ref].def->name;
	if (!op_ok(chk->type, chk->op, false)) {
		report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
		       "'%s' operator not supported for %s filters (field '%s' is %s)",
		       flt_op__name(chk->op), type_family(chk->type), fname,
		       fld_type__name(chk->type));
		return NULL;
	}
	if (chk->op == FLT_OP_EXISTS)
		return node;
	if (!ck->rhs) {
		report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION, "operator '%s' needs a value",
		       flt_op__name(chk->op));
		return NULL;
	}
	if (ck->rhs->kind == FLT_XFORM || ck->rhs->kind == FLT_FIELD) {
		enum fld_type rt;

		if (chk->op == FLT_OP_PMATCH || chk->op == FLT_OP_REGEX ||
		    chk->type == FLD_T_IPNET) {
			report(c, t, ck->rhs->span, DIAG_ERR_COMPILE_CONDITION,
			       "operator '%s' doesn't support right-hand side fields",
			       flt_op__name(chk->op));
			return NULL;
		}
		if (compile_field(c, t, ck->rhs, &chk->rhs, &rt, true))
			return NULL;
		if (fld_type__is_string(rt) != fld_type__is_string(chk->type) ||
		    fld_type__is_number(rt) != fld_type__is_number(chk->type)) {
			report(c, t, ck->rhs->span, DIAG_ERR_COMPILE_CONDITION,
			       "field '%s' (%s) can not be compared with a field of type %s",
			       fname, fld_type__name(chk->type), fld_type__name(rt));
			return NULL;
		}
		chk->has_rhs_field = true;
		return node;
	}
	rc = gather_values(c, t, ck->rhs, &rv);
	if (rc)
		goto out;
	if (rv.n > 1 && (chk->op != FLT_OP_IN && chk->op != FLT_OP_INTERSECTS &&
			 chk->op != FLT_OP_PMATCH && chk->mod == FLT_MOD_NONE)) {
		report(c, t, ck->rhs->span, DIAG_ERR_COMPILE_CONDITION,
		       "operator '%s' takes a single value", flt_op__name(chk->op));
		rc = -EINVAL;
		goto out;
	}
	chk->nvals = (uint32_t)rv.n;
	chk->vals = c_alloc(c, (rv.n ? rv.n : 1) * sizeof(*chk->vals));
	if (!chk->vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rv.n; i++) {
		rc = parse_value(c, t, chk, &rv.v[i], &chk->vals[i], fname);
		if (rc)
			goto out;
	}
	if (fld_type__is_string(chk->type) &&
	    (chk->op == FLT_OP_IN || chk->op == FLT_OP_INTERSECTS ||
	     (chk->op == FLT_OP_EQ && chk->mod != FLT_MOD_NONE))) {
		chk->set = rs_strset_new(&c->rs->arena, chk->nvals);
		if (!chk->set) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < chk->nvals; i++)
			rs_strset_add(chk->set, chk->vals[i].s, chk->vals[i].len);
	}
	if (chk->op == FLT_OP_PMATCH ||
	    (chk->op == FLT_OP_STARTSWITH && chk->mod == FLT_MOD_ANYOF)) {
		chk->prefix = rs_strset_new(&c->rs->arena, chk->nvals);
		if (!chk->prefix) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < chk->nvals; i++) {
			uint32_t len = chk->vals[i].len;

			/* pmatch: "/a/b/" and "/a/b" name the same directory */
			if (chk->op == FLT_OP_PMATCH && len > 1 && chk->vals[i].s[len - 1] == '/')
				len--;
			rs_strset_add(chk->prefix, chk->vals[i].s, len);
		}
	}
out:
	free(rv.v);
	if (rc == -ENOMEM)
		c->nomem = 1;
	return rc ? NULL : node;
}

static struct cn *compile_node(struct compiler *c, const struct src_text *t,
			       const struct flt_node *n, int depth);

static struct cn *compile_macro(struct compiler *c, const struct src_text *t,
				const struct flt_node *n, int depth)
{
	const struct rule_macro_def *m = rule_set__find_macro(c->set, n->str.s);
	struct macro_c *mc;
	struct src_text mt;
	char what[300];
	bool saved_unknown;
	size_t i;

	if (!m) {
		report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
		       "Undefined macro '%s' used in filter.", n->str.s);
		return NULL;
	}
	rule_set__mark_macro_used(c->set, m->name);
	for (i = 0; i < c->nmacros; i++) {
		if (rule_set__macro(c->set, i) == m)
			break;
	}
	mc = &c->macros[i];
	if (mc->state == M_DONE && !mc->cn && mc->quiet_fail && !c->quiet)
		mc->state = M_NEW; /* report its errors this time */
	if (mc->state == M_DONE) {
		if (!mc->cn) {
			c->errors++;
			c->unknown_field = c->unknown_field || mc->unknown;
			return NULL;
		}
		return shared(c, mc->cn);
	}
	if (mc->state == M_BUSY) {
		report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION,
		       "macro '%s' refers to itself (a macro cycle)", m->name);
		return NULL;
	}
	if (mc->parse_failed) {
		c->errors++;
		return NULL;
	}
	snprintf(what, sizeof(what), "macro '%s'", m->name);
	mt.text = &m->cond;
	mt.fallback = &m->pos;
	mt.what = what;
	mc->state = M_BUSY;
	saved_unknown = c->unknown_field;
	c->unknown_field = false;
	mc->cn = compile_node(c, &mt, flt_ast__root(mc->ast), depth + 1);
	mc->state = M_DONE;
	mc->quiet_fail = !mc->cn && c->quiet;
	mc->unknown = !mc->cn && c->unknown_field;
	c->unknown_field = c->unknown_field || saved_unknown;
	return mc->cn;
}

/* The slot of (@s, @len, @h) in a table of @cap slots (a power of two, not
 * full): the one holding it, or the empty one where it would go. */
static uint32_t seen_slot(const struct chk_seen *v, uint32_t cap, const char *s, uint32_t len,
			  uint32_t h)
{
	uint32_t k;

	for (k = h & (cap - 1); v[k].s; k = (k + 1) & (cap - 1)) {
		if (v[k].hash == h && v[k].len == len && memcmp(v[k].s, s, len) == 0)
			break;
	}
	return k;
}

/* Room for one more check in the table of compiled checks; false when
 * memory runs out (the check is then compiled on its own: not an error). */
static bool seen_room(struct compiler *c)
{
	struct chk_seen *v;
	uint32_t cap, i;

	if ((c->nseen + 1) * 2 <= c->capseen)
		return true;
	cap = c->capseen ? c->capseen * 2 : 256;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return false;
	for (i = 0; i < c->capseen; i++) {
		const struct chk_seen *e = &c->seen[i];

		if (e->s)
			v[seen_slot(v, cap, e->s, e->len, e->hash)] = *e;
	}
	free(c->seen);
	c->seen = v;
	c->capseen = cap;
	return true;
}

/*
 * A compiled check on a field the event type decides (FLD_F_BY_TYPE:
 * evt.type, evt.dir, syscall.type) becomes CN_TYPES, a bit per type: the
 * check is run once per type at compile time (rs_check_types), not once
 * per event, and the index of rules by type sees what it excludes
 * (evttypes, exact). A right-hand field can depend on anything: such a
 * check stays as it is.
 */
static struct cn *by_type(struct compiler *c, struct cn *node)
{
	uint64_t *bits;

	if (!node || node->kind != CN_CHECK || node->chk->has_rhs_field ||
	    !(c->rs->refs.v[node->chk->lhs.ref].def->flags & FLD_F_BY_TYPE))
		return node;
	if (!c->fw)
		c->fw = fld_worker_new(1, 0);
	bits = c_alloc(c, RS_TYPE_WORDS * sizeof(*bits));
	if (!c->fw || !bits) {
		c->nomem = 1; /* the compile fails */
		return node;
	}
	rs_check_types(c->rs, node->chk, c->fw, bits);
	node->types = bits;
	node->kind = CN_TYPES;
	return node;
}

/*
 * A check, compiled once per distinct source text: the same text in two
 * rules or macros (`proc.name in (shell_binaries)`, `fd.num>=0`, ...) is
 * one node, whose value the evaluator's memo then computes once per event.
 * A check means the same wherever it is written (lists and macros are
 * resolved by name over the whole rule set), and only checks that compiled
 * are kept, so a broken one is reported at every place it is used.
 * Exceptions (no source text) are compiled each time.
 */
static struct cn *compile_check_once(struct compiler *c, const struct src_text *t,
				     const struct flt_node *n)
{
	const char *s;
	uint32_t len, h, k;
	struct cn *node;

	if (!t->text || n->span.end <= n->span.start || n->span.end > t->text->len)
		return by_type(c, compile_check(c, t, n));
	s = t->text->str + n->span.start;
	len = n->span.end - n->span.start;
	h = rs_hash(s, len);
	if (c->capseen) {
		k = seen_slot(c->seen, c->capseen, s, len, h);
		if (c->seen[k].s)
			return shared(c, c->seen[k].cn);
	}
	node = by_type(c, compile_check(c, t, n));
	if (!node || !seen_room(c))
		return node;
	k = seen_slot(c->seen, c->capseen, s, len, h);
	c->seen[k] = (struct chk_seen){ s, len, h, node };
	c->nseen++;
	return node;
}

static struct cn *compile_node(struct compiler *c, const struct src_text *t,
			       const struct flt_node *n, int depth)
{
	struct cn *node;
	uint32_t i;
	bool ok = true;

	if (depth > 4 * FLT_MAX_DEPTH) {
		report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION, "condition nested too deeply");
		return NULL;
	}
	switch (n->kind) {
	case FLT_AND:
	case FLT_OR:
		node = new_node(c, n->kind == FLT_AND ? CN_AND : CN_OR, n->kids.n);
		if (!node)
			return NULL;
		for (i = 0; i < n->kids.n; i++) {
			node->kids[i] = compile_node(c, t, n->kids.v[i], depth + 1);
			ok = ok && node->kids[i];
		}
		return ok ? node : NULL;
	case FLT_NOT:
		node = new_node(c, CN_NOT, 1);
		if (!node)
			return NULL;
		node->kids[0] = compile_node(c, t, n->operand, depth + 1);
		return node->kids[0] ? node : NULL;
	case FLT_CHECK:
		return compile_check_once(c, t, n);
	case FLT_IDENT:
		return compile_macro(c, t, n, depth);
	default:
		report(c, t, n->span, DIAG_ERR_COMPILE_CONDITION, "unexpected %s",
		       flt_kind__name(n->kind));
		return NULL;
	}
}

/* Parse a condition, reporting a syntax error at its place. */
static struct flt_ast *parse_text(struct compiler *c, const struct src_text *t, const char *s,
				  size_t len)
{
	struct flt_diag fd;
	struct flt_ast *ast = flt_parse(s, len, &fd);

	if (!ast) {
		if (errno == ENOMEM) {
			c->nomem = 1;
			return NULL;
		}
		report(c, t, fd.span, DIAG_ERR_COMPILE_CONDITION, "%s", fd.msg);
	}
	return ast;
}

/* ---- exceptions ---- */

/* Append @s to a growing buffer. */
struct buf {
	char *s;
	size_t len, cap;
	int err;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* A value quoted for the condition language (the reference engine's paren-quoting). */
static void buf_quoted(struct buf *b, const char *s)
{
	const char *p;

	buf_put(b, "\"", 1);
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_put(b, "\\", 1);
		buf_put(b, p, 1);
	}
	buf_put(b, "\"", 1);
}

static bool is_list_op(const char *comp)
{
	return !strcmp(comp, "in") || !strcmp(comp, "intersects") || !strcmp(comp, "pmatch");
}

/* One `field comp value` term of an exception. */
static void exc_term(struct buf *b, const char *field, const char *comp,
		     const struct rule_xval *val)
{
	size_t i;

	buf_str(b, field);
	buf_put(b, " ", 1);
	buf_str(b, comp);
	buf_put(b, " ", 1);
	if (val->is_list) {
		buf_put(b, "(", 1);
		for (i = 0; i < val->nitems; i++) {
			if (i)
				buf_put(b, ", ", 2);
			if (val->items[i].is_list)
				continue;
			buf_quoted(b, val->items[i].str);
		}
		buf_put(b, ")", 1);
	} else if (is_list_op(comp)) {
		/* a bare scalar after a list operator names a list */
		buf_str(b, val->str);
	} else {
		buf_quoted(b, val->str);
	}
}

/*
 * The text of `(e1 or e2 ...)` for the exceptions of @r, as the reference
 * engine builds it: for a single field, `field comp (v1, v2)`; for a tuple of
 * fields, one `(f1 c1 v1 and f2 c2 v2)` per value. Empty when no exception
 * has values.
 */
static int exceptions_text(const struct rule_def *r, struct buf *b)
{
	size_t e, v, i;
	bool any = false;

	for (e = 0; e < r->nexceptions; e++) {
		const struct rule_exception_def *x = &r->exceptions[e];

		if (!x->nvalues)
			continue;
		if (!x->fields.is_list) {
			struct rule_xval all = { .is_list = true,
						 .items = x->values,
						 .nitems = x->nvalues };

			buf_str(b, any ? " or " : "");
			if (!is_list_op(x->comps.str ? x->comps.str : "in")) {
				for (v = 0; v < x->nvalues; v++) {
					buf_str(b, v ? " or " : "(");
					exc_term(b, x->fields.str, x->comps.str, &x->values[v]);
				}
				buf_put(b, ")", 1);
			} else {
				exc_term(b, x->fields.str, x->comps.str, &all);
			}
			any = true;
			continue;
		}
		for (v = 0; v < x->nvalues; v++) {
			const struct rule_xval *tuple = &x->values[v];

			if (!tuple->is_list || tuple->nitems != x->fields.nitems)
				continue;
			buf_str(b, any ? " or (" : "(");
			for (i = 0; i < x->fields.nitems; i++) {
				if (i)
					buf_str(b, " and ");
				exc_term(b, x->fields.items[i].str, x->comps.items[i].str,
					 &tuple->items[i]);
			}
			buf_put(b, ")", 1);
			any = true;
		}
	}
	return b->err;
}

/* ---- event types ---- */

struct tset {
	uint64_t w[RS_TYPE_WORDS];
};

static struct tset all_types;

static void tset_all(struct tset *s)
{
	*s = all_types;
}

static void tset_none(struct tset *s)
{
	memset(s, 0, sizeof(*s));
}

static void tset_not(struct tset *s)
{
	size_t i;

	for (i = 0; i < RS_TYPE_WORDS; i++)
		s->w[i] = ~s->w[i] & all_types.w[i];
}

static bool tset_empty(const struct tset *a);

/* Generic events (evt_type_is_generic): they may be any system call. */
static void tset_add_generic(struct tset *s)
{
	s->w[EVT_GENERIC_E / 64] |= 1ull << (EVT_GENERIC_E % 64);
	s->w[EVT_GENERIC_X / 64] |= 1ull << (EVT_GENERIC_X % 64);
}

static void tset_add_name(struct tset *s, const char *name, size_t len)
{
	struct tset own = { { 0 } };
	uint32_t t;

	for (t = 0; t < evt_table_size && t < EVT_TYPE_MAX; t++) {
		const struct evt_info *info = evt_info((uint16_t)t);

		if (info && info->name && strlen(info->name) == len &&
		    memcmp(info->name, name, len) == 0)
			own.w[t / 64] |= 1ull << (t % 64);
	}
	for (t = 0; t < RS_TYPE_WORDS; t++)
		s->w[t] |= own.w[t];
	/* system calls without an event of their own arrive as generic events */
	if (fld_sc_known(name, len) && tset_empty(&own))
		tset_add_generic(s);
}

static bool tset_eq(const struct tset *a, const struct tset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static bool tset_empty(const struct tset *a)
{
	size_t i;

	for (i = 0; i < RS_TYPE_WORDS; i++) {
		if (a->w[i])
			return false;
	}
	return true;
}

static void init_all_types(void)
{
	uint32_t t;

	if (!tset_empty(&all_types))
		return;
	for (t = 0; t < evt_table_size && t < EVT_TYPE_MAX; t++) {
		if (evt_info((uint16_t)t))
			all_types.w[t / 64] |= 1ull << (t % 64);
	}
}

/*
 * The event types @n can be true for when @neg is false (or false for, when
 * @neg is true). Not @exact: the reference engine's evttype resolver, which
 * looks at evt.type =, != and in only (its warnings are the user's
 * contract). @exact: what the index uses, also reading every CN_TYPES
 * node's bits (`evt.dir = <` rules out enter events).
 */
static void evttypes(const struct rule_ruleset *rs, const struct cn *n, bool neg, bool exact,
		     struct tset *out)
{
	struct tset k;
	uint32_t i, j;

	switch (n->kind) {
	case CN_AND:
	case CN_OR: {
		bool inter = (n->kind == CN_AND) != neg;

		if (inter)
			tset_all(out);
		else
			tset_none(out);
		for (i = 0; i < n->n; i++) {
			evttypes(rs, n->kids[i], neg, exact, &k);
			for (j = 0; j < RS_TYPE_WORDS; j++)
				out->w[j] = inter ? out->w[j] & k.w[j] : out->w[j] | k.w[j];
		}
		return;
	}
	case CN_NOT:
		evttypes(rs, n->kids[0], !neg, exact, out);
		return;
	case CN_TYPES:
		if (exact) {
			/* every type's from the bits, but generic events'
			 * (evt_type_is_generic) as the resolver says */
			static const uint16_t gen[2] = { EVT_GENERIC_E, EVT_GENERIC_X };

			evttypes(rs, n, neg, false, &k);
			for (i = 0; i < RS_TYPE_WORDS; i++)
				out->w[i] = (neg ? ~n->types[i] : n->types[i]) & all_types.w[i];
			for (i = 0; i < 2; i++) {
				uint64_t bit = 1ull << (gen[i] % 64);

				out->w[gen[i] / 64] = (out->w[gen[i] / 64] & ~bit) |
						      (k.w[gen[i] / 64] & bit);
			}
			return;
		}
		/* fall through */
	case CN_CHECK: {
		const struct ccheck *chk = n->chk;
		bool eq;

		if (rs->refs.v[chk->lhs.ref].def->id != FLD_EVT_TYPE ||
		    chk->lhs.xf != FLT_XF__COUNT || chk->has_rhs_field || chk->mod != FLT_MOD_NONE ||
		    (chk->op != FLT_OP_EQ && chk->op != FLT_OP_NE && chk->op != FLT_OP_IN)) {
			tset_all(out);
			return;
		}
		tset_none(out);
		for (i = 0; i < chk->nvals; i++)
			tset_add_name(out, chk->vals[i].s, chk->vals[i].len);
		eq = chk->op != FLT_OP_NE;
		if (eq == neg) {
			tset_not(out);
			/* a generic event may be any other system call */
			tset_add_generic(out);
		}
		return;
	}
	default:
		tset_all(out);
		return;
	}
}

/* ---- rules ---- */

static int compile_rule(struct compiler *c, const struct rule_def *r, struct crule *cr,
			struct tset *types)
{
	struct src_text t = { &r->cond, &r->pos, NULL };
	struct flt_ast *ast, *xast = NULL;
	struct buf xb = { 0 };
	struct tset ref;
	char what[300];
	struct cn *cond, *xcn;
	const char *err;
	size_t err_off;
	int before = c->errors, rc;

	snprintf(what, sizeof(what), "rule '%s'", r->name);
	t.what = what;
	c->unknown_field = false;
	c->quiet = r->skip_if_unknown_filter;
	ast = parse_text(c, &t, r->cond.str, r->cond.len);
	if (!ast) {
		c->quiet = false;
		return -EINVAL;
	}
	cond = compile_node(c, &t, flt_ast__root(ast), 0);
	flt_ast__free(ast);
	if (cond && exceptions_text(r, &xb) == 0 && xb.len) {
		struct src_text xt = { NULL, &r->pos, what };

		if (r->nexceptions)
			xt.fallback = &r->exceptions[0].pos;
		xast = parse_text(c, &xt, xb.s, xb.len);
		xcn = xast ? compile_node(c, &xt, flt_ast__root(xast), 0) : NULL;
		flt_ast__free(xast);
		if (xcn) {
			struct cn *not = new_node(c, CN_NOT, 1), *and = new_node(c, CN_AND, 2);

			if (not && and) {
				not->kids[0] = xcn;
				and->kids[0] = cond;
				and->kids[1] = not;
				cond = and;
			}
		} else {
			cond = NULL;
		}
	}
	free(xb.s);
	c->quiet = false;
	if (!cond || c->errors != before) {
		if (r->skip_if_unknown_filter && c->unknown_field) {
			c->errors = before;
			diag_list__add(c->dl, DIAG_WARNING, DIAG_UNKNOWN_FILTER, &r->pos,
				       "rule '%s': skipped: it uses a field peregrine does not know "
				       "(skip-if-unknown-filter: true)",
				       r->name);
			return 1;
		}
		if (r->skip_if_unknown_filter && c->errors != before) {
			/* the errors were not reported while quiet: compile again, loudly */
			c->errors = before;
			ast = parse_text(c, &t, r->cond.str, r->cond.len);
			if (ast)
				compile_node(c, &t, flt_ast__root(ast), 0);
			flt_ast__free(ast);
			if (c->errors == before)
				c->errors++;
		}
		return -EINVAL;
	}
	rc = fmt_compile(&c->rs->arena, &c->rs->refs, r->output.str, r->output.len, &cr->output,
			 &err, &err_off);
	if (rc == -ENOMEM) {
		c->nomem = 1;
		return rc;
	}
	if (rc) {
		struct diag_loc loc;
		const struct diag_loc *where = &r->pos;

		if (rule_text__locate(&r->output, err_off, &loc) == 0)
			where = &loc;
		c->errors++;
		diag_list__add(c->dl, DIAG_ERROR, DIAG_ERR_COMPILE_OUTPUT, where,
			       "rule '%s': invalid output format: %s", r->name, err);
		return -EINVAL;
	}
	cr->cond = cond;
	evttypes(c->rs, cond, false, false, &ref);
	if (r->warn_evttypes && tset_eq(&ref, &all_types))
		diag_list__add(c->dl, DIAG_WARNING, DIAG_NO_EVTTYPE, &r->pos,
			       "rule '%s': Rule matches too many evt.type values. This has a "
			       "significant performance penalty.",
			       r->name);
	else if (r->warn_evttypes && tset_empty(&ref))
		diag_list__add(c->dl, DIAG_WARNING, DIAG_NO_EVTTYPE, &r->pos,
			       "rule '%s': Rule matches no evt.type value: it can never fire.",
			       r->name);
	evttypes(c->rs, cond, false, true, types);
	return 0;
}

static int fill_info(struct compiler *c, const struct rule_def *r, struct crule *cr)
{
	struct rs_arena *a = &c->rs->arena;
	const char **tags;
	size_t i;

	cr->info.name = rs_strndup(a, r->name, strlen(r->name));
	cr->info.desc = rs_strndup(a, r->desc.str, r->desc.len);
	cr->info.source = rs_strndup(a, r->source, strlen(r->source));
	cr->info.priority = r->priority;
	tags = c_alloc(c, (r->ntags + 1) * sizeof(*tags));
	if (!cr->info.name || !cr->info.desc || !cr->info.source || !tags)
		return -ENOMEM;
	for (i = 0; i < r->ntags; i++) {
		tags[i] = rs_strndup(a, r->tags[i], strlen(r->tags[i]));
		if (!tags[i])
			return -ENOMEM;
	}
	cr->info.tags = tags;
	cr->info.ntags = r->ntags;
	cr->enabled = r->enabled;
	return 0;
}

/* Build the per-type index over the enabled rules. */
static int build_index(struct rule_ruleset *rs, const struct tset *types)
{
	uint32_t t, i, total = 0;

	rs->ntypes = EVT_TYPE_MAX;
	rs->off = calloc(rs->ntypes + 1, sizeof(*rs->off));
	if (!rs->off)
		return -ENOMEM;
	for (t = 0; t < rs->ntypes; t++) {
		rs->off[t] = total;
		for (i = 0; i < rs->nrules; i++)
			total += rs->rules[i].enabled && (types[i].w[t / 64] >> (t % 64) & 1);
	}
	rs->off[rs->ntypes] = total;
	rs->ids = calloc(total ? total : 1, sizeof(*rs->ids));
	if (!rs->ids)
		return -ENOMEM;
	total = 0;
	for (t = 0; t < rs->ntypes; t++) {
		for (i = 0; i < rs->nrules; i++) {
			if (rs->rules[i].enabled && (types[i].w[t / 64] >> (t % 64) & 1))
				rs->ids[total++] = i;
		}
	}
	return 0;
}

static struct rule_ruleset *ruleset_alloc(void)
{
	struct rule_ruleset *rs = calloc(1, sizeof(*rs));

	init_all_types();
	return rs;
}

/* Parse every macro once: syntax errors are reported even for unused ones. */
static int parse_macros(struct compiler *c)
{
	size_t i;

	c->nmacros = rule_set__nmacros(c->set);
	c->macros = calloc(c->nmacros + 1, sizeof(*c->macros));
	if (!c->macros)
		return -ENOMEM;
	for (i = 0; i < c->nmacros; i++) {
		const struct rule_macro_def *m = rule_set__macro(c->set, i);
		char what[300];
		struct src_text t = { &m->cond, &m->pos, what };

		snprintf(what, sizeof(what), "macro '%s'", m->name);
		c->macros[i].ast = parse_text(c, &t, m->cond.str, m->cond.len);
		c->macros[i].parse_failed = !c->macros[i].ast;
	}
	return 0;
}

static void free_macros(struct compiler *c)
{
	size_t i;

	for (i = 0; c->macros && i < c->nmacros; i++)
		flt_ast__free(c->macros[i].ast);
	free(c->macros);
	free(c->seen);
	c->seen = NULL;
	c->nseen = c->capseen = 0;
	fld_worker_free(c->fw);
	c->fw = NULL;
}

struct rule_ruleset *rule_compile(struct rule_set *set, const struct rule_compile_opts *opts,
				  struct diag_list *dl)
{
	struct compiler c = { 0 };
	struct tset *types = NULL;
	size_t i, n = rule_set__nrules(set);
	enum rule_priority min = RULE_PRIO_DEBUG;

	if (opts && opts->min_priority_set)
		min = opts->min_priority;
	c.set = set;
	c.dl = dl;
	c.rs = ruleset_alloc();
	types = calloc(n + 1, sizeof(*types));
	if (!c.rs || !types || parse_macros(&c))
		goto nomem;
	c.rs->rules = calloc(n + 1, sizeof(*c.rs->rules));
	if (!c.rs->rules)
		goto nomem;
	c.rs->nmacros = rule_set__nmacros(set);
	c.rs->nlists = rule_set__nlists(set);
	for (i = 0; i < n; i++) {
		const struct rule_def *r = rule_set__rule(set, i);
		struct crule *cr = &c.rs->rules[c.rs->nrules];
		int rc;

		if (r->priority > min || strcmp(r->source, "syscall") != 0)
			continue;
		rc = compile_rule(&c, r, cr, &types[c.rs->nrules]);
		if (c.nomem)
			goto nomem;
		if (rc)
			continue;
		if (fill_info(&c, r, cr))
			goto nomem;
		cr->info.index = c.rs->nrules;
		c.rs->nrules++;
	}
	if (c.nomem)
		goto nomem;
	if (!opts || !opts->no_unused_warnings)
		rule_set__warn_unused(set, dl);
	free_macros(&c);
	if (c.errors) {
		free(types);
		rule_ruleset_free(c.rs);
		errno = EINVAL;
		return NULL;
	}
	if (build_index(c.rs, types))
		goto nomem_nomacros;
	free(types);
	return c.rs;
nomem:
	free_macros(&c);
nomem_nomacros:
	free(types);
	rule_ruleset_free(c.rs);
	errno = ENOMEM;
	return NULL;
}

struct rule_ruleset *rule_compile_condition(const char *name, const char *cond,
					    struct diag_list *dl)
{
	struct rule_set *set = rule_set_new();
	struct diag_src *src = NULL;
	struct rule_ruleset *rs = NULL;
	struct rule_def r = { 0 };
	struct rule_text_seg seg = { 0 };
	struct crule *cr;
	struct tset *types = NULL;
	struct compiler c = { 0 };
	int rc;

	if (!set)
		return NULL;
	src = diag_src_new(name, cond, strlen(cond));
	c.set = set;
	c.dl = dl;
	c.rs = ruleset_alloc();
	types = calloc(1, sizeof(*types));
	if (!src || !c.rs || !types || parse_macros(&c))
		goto nomem;
	c.rs->rules = calloc(1, sizeof(*c.rs->rules));
	if (!c.rs->rules)
		goto nomem;
	seg.len = strlen(cond);
	seg.pos.src = src;
	seg.pos.line = 1;
	seg.pos.col = 1;
	seg.pos.end = (uint32_t)seg.len;
	seg.pos.style = RULE_STYLE_PLAIN;
	r.name = (char *)"filter";
	r.cond.str = (char *)cond;
	r.cond.len = seg.len;
	r.cond.segs = &seg;
	r.cond.nsegs = 1;
	r.output.str = (char *)"";
	r.desc.str = (char *)"";
	r.source = (char *)"syscall";
	r.enabled = true;
	r.pos.src = src;
	r.pos.line = 1;
	r.pos.col = 1;
	cr = &c.rs->rules[0];
	rc = compile_rule(&c, &r, cr, &types[0]);
	if (c.nomem)
		goto nomem;
	if (rc || c.errors) {
		rule_ruleset_free(c.rs);
		c.rs = NULL;
		errno = EINVAL;
		goto out;
	}
	if (fill_info(&c, &r, cr))
		goto nomem;
	c.rs->nrules = 1;
	if (build_index(c.rs, types))
		goto nomem;
	rs = c.rs;
	c.rs = NULL;
	goto out;
nomem:
	rule_ruleset_free(c.rs);
	c.rs = NULL;
	errno = ENOMEM;
out:
	free_macros(&c);
	free(types);
	diag_src_put(src);
	rule_set_free(set);
	return rs;
}

/* Free the regexes a check holds (the rest is arena memory). */
static void free_regexes(struct rule_ruleset *rs)
{
	uint32_t i;

	for (i = 0; i < rs->nres; i++)
		regfree(rs->res[i]);
	free(rs->res);
}

void rule_ruleset_free(struct rule_ruleset *r)
{
	if (!r)
		return;
	free_regexes(r);
	free(r->refs.v);
	free(r->off);
	free(r->ids);
	free(r->rules);
	rs_arena_free(&r->arena);
	free(r);
}

size_t rule_ruleset__nrules(const struct rule_ruleset *r)
{
	return r->nrules;
}

size_t rule_ruleset__nmacros(const struct rule_ruleset *r)
{
	return r->nmacros;
}

size_t rule_ruleset__nlists(const struct rule_ruleset *r)
{
	return r->nlists;
}

size_t rule_ruleset__nrules_for_type(const struct rule_ruleset *r, uint16_t type)
{
	if (type >= r->ntypes)
		return 0;
	return r->off[type + 1] - r->off[type];
}

const struct rule_info *rule_ruleset__rule(const struct rule_ruleset *r, size_t i)
{
	return i < r->nrules ? &r->rules[i].info : NULL;
}
