/*
 * eval.c - the evaluator: runs compiled conditions over one event.
 *
 * rule_eval() looks up the rules indexed for the event's type and walks each
 * one's condition tree with short-circuit and/or. Field values come from the
 * worker's per-event cache (fields.h), so a field several rules test is
 * extracted once. Nothing here allocates or locks; the only memory written
 * is the worker's own cache and scratch.
 *
 * Check semantics follow libs (sinsp_filtercheck.cpp, filter_compare.cpp):
 * a check on an absent field is false whatever the operator (`!=`
 * included; `not` turns it true); a field with several values (proc.aname
 * without [N], fd.ip) passes when any of them does; glob is fnmatch(3)
 * without FNM_PATHNAME; regex matches the whole string; pmatch matches a
 * listed directory or anything below it.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/ruleset_int.h"

struct rule_worker *rule_worker_new(const struct rule_ruleset *r)
{
	struct rule_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fw = fld_worker_new(r->refs.n, 0);
	w->memo = calloc(r->nmemo + 1, sizeof(*w->memo));
	if (!w->fw || !w->memo) {
		rule_worker_free(w);
		return NULL;
	}
	return w;
}

void rule_worker_free(struct rule_worker *w)
{
	if (!w)
		return;
	fld_worker_free(w->fw);
	free(w->memo);
	free(w);
}

/* A new event: every one of the @nmemo memo slots stale (one store, but
 * for a wrap of the 31-bit generation every 2^31 events, which clears the
 * slots). */
static void memo_next(struct rule_worker *w, uint32_t nmemo)
{
	if (++w->gen >= 1u << 31) {
		memset(w->memo, 0, nmemo * sizeof(*w->memo));
		w->gen = 1;
	}
}

/* ---- values with transformers ---- */

struct xvals {
	struct fld_vals vals;
	struct fld_value one;
};

/* Value of one base64 digit (RFC 4648 standard alphabet), or -1. */
static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decode base64 @s (@len bytes, a multiple of 4, '=' padding only at the
 * end) into @d, which has room for len / 4 * 3 bytes. Returns the decoded
 * length, or -1 when @s is not base64: the b64() transformer then gives no
 * value, as the reference engine's does for input it cannot decode.
 */
static long b64_decode(const char *s, uint32_t len, char *d)
{
	uint32_t i, n = 0, pad = 0;

	if (len % 4)
		return -1;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			bool is_pad = i + (uint32_t)k >= len - pad;

			v[k] = is_pad ? 0 : b64_digit((unsigned char)s[i + (uint32_t)k]);
			if (v[k] < 0)
				return -1;
		}
		d[n++] = (char)(v[0] << 2 | v[1] >> 4);
		d[n++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		d[n++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)(n - pad);
}

/* The values of @f, its transformer applied (into @tmp when it has one). */
static const struct fld_vals *get_vals(const struct rule_ruleset *rs, struct fld_worker *fw,
				       const struct fld_ctx *c, const struct cfield *f,
				       struct xvals *tmp)
{
	const struct fld_vals *v = fld_extract(fw, c, &rs->refs.v[f->ref]);
	const char *s;
	uint32_t len, i;
	char *d;

	if (f->xf == FLT_XF__COUNT || v->n == 0)
		return v;
	/* transformers apply to the first value (single-valued string fields) */
	s = v->v[0].str.s;
	len = v->v[0].str.len;
	tmp->vals.n = 1;
	tmp->vals.v = &tmp->one;
	tmp->vals.type = FLD_T_STR;
	switch (f->xf) {
	case FLT_XF_LEN:
		tmp->vals.type = FLD_T_U64;
		tmp->one.u = len;
		return &tmp->vals;
	case FLT_XF_B64: {
		long n;

		d = fld_worker__scratch(fw, len / 4 * 3 + 1);
		n = d ? b64_decode(s, len, d) : -1;
		if (n < 0) {
			tmp->vals.n = 0;
			return &tmp->vals;
		}
		d[n] = 0;
		tmp->one.str.s = d;
		tmp->one.str.len = (uint32_t)n;
		return &tmp->vals;
	}
	case FLT_XF_BASENAME: {
		const char *sl = memrchr(s, '/', len);

		tmp->one.str.s = sl ? sl + 1 : s;
		tmp->one.str.len = sl ? (uint32_t)(len - (uint32_t)(sl + 1 - s)) : len;
		return &tmp->vals;
	}
	default:
		d = fld_worker__scratch(fw, len + 1);
		if (!d) {
			tmp->vals.n = 0;
			return &tmp->vals;
		}
		for (i = 0; i < len; i++)
			d[i] = (char)(f->xf == FLT_XF_TOLOWER ? tolower((unsigned char)s[i]) :
								 toupper((unsigned char)s[i]));
		d[len] = 0;
		tmp->one.str.s = d;
		tmp->one.str.len = len;
		return &tmp->vals;
	}
}

/* ---- strings ---- */

static bool mem_icontains(const char *h, size_t hl, const char *n, size_t nl)
{
	size_t i, j;

	if (nl == 0)
		return true;
	for (i = 0; i + nl <= hl; i++) {
		for (j = 0; j < nl; j++) {
			if (tolower((unsigned char)h[i + j]) != tolower((unsigned char)n[j]))
				break;
		}
		if (j == nl)
			return true;
	}
	return false;
}

static int str_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	if (r)
		return r;
	return al < bl ? -1 : al > bl;
}

/* Does any prefix of s at a path-component boundary belong to @set? */
static bool pmatch(const struct rs_strset *set, const char *s, uint32_t len)
{
	uint32_t k;

	if (rs_strset_has(set, s, len))
		return true;
	for (k = 1; k < len; k++) {
		if (s[k] == '/' && rs_strset_has(set, s, k))
			return true;
	}
	return len && s[0] == '/' && rs_strset_has(set, "/", 1);
}

/* Does any member of @set start s? (one hash lookup per distinct length) */
static bool prefix_any(const struct rs_strset *set, const char *s, uint32_t len)
{
	uint32_t l, max = set->maxlen < len ? set->maxlen : len;

	for (l = set->minlen; l <= max; l++) {
		if (l < 256 && !(set->lens[l / 64] >> (l % 64) & 1))
			continue;
		if (rs_strset_has(set, s, l))
			return true;
	}
	return false;
}

static bool str_op(enum flt_op op, const char *s, uint32_t len, const struct cval *v)
{
	switch (op) {
	case FLT_OP_EQ:
	case FLT_OP_IN:
	case FLT_OP_INTERSECTS:
		return len == v->len && memcmp(s, v->s, len) == 0;
	case FLT_OP_NE:
		return !(len == v->len && memcmp(s, v->s, len) == 0);
	case FLT_OP_LT:
		return str_cmp(s, len, v->s, v->len) < 0;
	case FLT_OP_LE:
		return str_cmp(s, len, v->s, v->len) <= 0;
	case FLT_OP_GT:
		return str_cmp(s, len, v->s, v->len) > 0;
	case FLT_OP_GE:
		return str_cmp(s, len, v->s, v->len) >= 0;
	case FLT_OP_CONTAINS:
	case FLT_OP_BCONTAINS:
		return memmem(s, len, v->s, v->len) != NULL;
	case FLT_OP_ICONTAINS:
		return mem_icontains(s, len, v->s, v->len);
	case FLT_OP_STARTSWITH:
	case FLT_OP_BSTARTSWITH:
		return len >= v->len && memcmp(s, v->s, v->len) == 0;
	case FLT_OP_ENDSWITH:
		return len >= v->len && memcmp(s + len - v->len, v->s, v->len) == 0;
	case FLT_OP_GLOB:
		return fnmatch(v->s, s, 0) == 0;
	case FLT_OP_IGLOB:
		return fnmatch(v->s, s, FNM_CASEFOLD) == 0;
	case FLT_OP_REGEX:
		return v->re && regexec(v->re, s, 0, NULL, 0) == 0;
	case FLT_OP_PMATCH: {
		uint32_t l = v->len > 1 && v->s[v->len - 1] == '/' ? v->len - 1 : v->len;

		return len >= l && memcmp(s, v->s, l) == 0 &&
		       (len == l || s[l] == '/' || (l == 1 && v->s[0] == '/'));
	}
	default:
		return false;
	}
}

static bool str_check(const struct ccheck *chk, const struct fld_value *fv)
{
	const char *s = fv->str.s;
	uint32_t len = fv->str.len, i, hits = 0;

	if (chk->set && (chk->op == FLT_OP_IN || chk->op == FLT_OP_INTERSECTS ||
			 (chk->op == FLT_OP_EQ && chk->mod == FLT_MOD_ANYOF)))
		return rs_strset_has(chk->set, s, len);
	if (chk->prefix && chk->op == FLT_OP_PMATCH)
		return pmatch(chk->prefix, s, len);
	if (chk->prefix && chk->op == FLT_OP_STARTSWITH)
		return prefix_any(chk->prefix, s, len);
	for (i = 0; i < chk->nvals; i++) {
		bool m = str_op(chk->op, s, len, &chk->vals[i]);

		if (chk->mod == FLT_MOD_ALLOF) {
			if (!m)
				return false;
		} else if (m) {
			if (chk->mod != FLT_MOD_ONEOF)
				return true;
			hits++;
		}
	}
	if (chk->mod == FLT_MOD_ALLOF)
		return chk->nvals > 0;
	return chk->mod == FLT_MOD_ONEOF && hits == 1;
}

/* ---- numbers, bools, addresses ---- */

static bool is_signed(enum fld_type t)
{
	return t == FLD_T_S16 || t == FLD_T_S32 || t == FLD_T_S64;
}

static bool num_op(enum flt_op op, int c)
{
	switch (op) {
	case FLT_OP_EQ:
	case FLT_OP_IN:
	case FLT_OP_INTERSECTS:
		return c == 0;
	case FLT_OP_NE:
		return c != 0;
	case FLT_OP_LT:
		return c < 0;
	case FLT_OP_LE:
		return c <= 0;
	case FLT_OP_GT:
		return c > 0;
	case FLT_OP_GE:
		return c >= 0;
	default:
		return false;
	}
}

static int num_cmp(enum fld_type t, const struct fld_value *a, const struct cval *b)
{
	if (is_signed(t))
		return a->i < b->i ? -1 : a->i > b->i;
	if (t == FLD_T_DOUBLE)
		return a->d < b->d ? -1 : a->d > b->d;
	return a->u < b->u ? -1 : a->u > b->u;
}

static bool ip_match(enum fld_type t, const struct fld_ip *ip, const struct fld_ip *v)
{
	unsigned full = v->family == AF_INET ? 32 : 128;

	if (t == FLD_T_IPADDR && v->prefix == full)
		return ip->family == v->family &&
		       memcmp(ip->a, v->a, v->family == AF_INET ? 4 : 16) == 0;
	return fld_ip_in_net(ip, v);
}

static bool one_check(const struct ccheck *chk, enum fld_type t, const struct fld_value *fv)
{
	uint32_t i;

	if (fld_type__is_string(t))
		return str_check(chk, fv);
	if (t == FLD_T_BOOL) {
		for (i = 0; i < chk->nvals; i++) {
			if (num_op(chk->op == FLT_OP_NE ? FLT_OP_NE : FLT_OP_EQ,
				   fv->b != chk->vals[i].b))
				return true;
		}
		return false;
	}
	if (t == FLD_T_IPADDR || t == FLD_T_IPNET) {
		bool any = false;

		for (i = 0; i < chk->nvals && !any; i++)
			any = ip_match(t, &fv->ip, &chk->vals[i].ip);
		return chk->op == FLT_OP_NE ? !any : any;
	}
	if (chk->op == FLT_OP_NE) {
		for (i = 0; i < chk->nvals; i++) {
			if (num_cmp(t, fv, &chk->vals[i]) == 0)
				return false;
		}
		return true;
	}
	for (i = 0; i < chk->nvals; i++) {
		if (num_op(chk->op, num_cmp(t, fv, &chk->vals[i])))
			return true;
	}
	return false;
}

/* lhs value against a right-hand side field's value. */
static bool field_check(const struct ccheck *chk, enum fld_type t, const struct fld_value *a,
			const struct fld_value *b)
{
	struct cval v = { 0 };

	if (fld_type__is_string(t)) {
		v.s = b->str.s;
		v.len = b->str.len;
		if (chk->op == FLT_OP_GLOB || chk->op == FLT_OP_IGLOB)
			return str_op(chk->op, a->str.s, a->str.len, &v);
		return str_op(chk->op, a->str.s, a->str.len, &v);
	}
	if (t == FLD_T_BOOL)
		return num_op(chk->op, a->b != b->b);
	if (t == FLD_T_IPADDR) {
		bool eq = a->ip.family == b->ip.family && memcmp(a->ip.a, b->ip.a, 16) == 0;

		return chk->op == FLT_OP_NE ? !eq : eq;
	}
	v.i = b->i;
	v.u = b->u;
	v.d = b->d;
	return num_op(chk->op, num_cmp(t, a, &v));
}

static bool check_eval(const struct ccheck *chk, const struct rule_ruleset *rs,
		       struct fld_worker *fw, const struct fld_ctx *c)
{
	struct xvals lt, rt;
	const struct fld_vals *lv = get_vals(rs, fw, c, &chk->lhs, &lt), *rv;
	uint32_t i;

	if (chk->op == FLT_OP_EXISTS)
		return lv->n > 0;
	if (lv->n == 0)
		return false;
	if (chk->has_rhs_field) {
		rv = get_vals(rs, fw, c, &chk->rhs, &rt);
		if (rv->n == 0)
			return false;
		for (i = 0; i < lv->n; i++) {
			if (field_check(chk, chk->type, &lv->v[i], &rv->v[0]))
				return true;
		}
		return false;
	}
	for (i = 0; i < lv->n; i++) {
		if (one_check(chk, chk->type, &lv->v[i]))
			return true;
	}
	return false;
}

void rs_check_types(const struct rule_ruleset *rs, const struct ccheck *chk,
		    struct fld_worker *fw, uint64_t *out)
{
	struct evt_hdr h = { 0 };
	struct evt ev = { 0 };
	struct fld_ctx c = { 0 };

	memset(out, 0, RS_TYPE_WORDS * sizeof(*out));
	h.len = EVT_HDR_LEN;
	ev.hdr = &h;
	c.ev = &ev;
	for (uint32_t t = 0; t < EVT_TYPE_MAX; t++) {
		/* a bare event: what a FLD_F_BY_TYPE field reads is all there */
		ev.info = evt_info((uint16_t)t);
		if (!ev.info || evt_type_is_generic((uint16_t)t))
			continue;
		h.type = (uint16_t)t;
		fld_worker__begin(fw);
		if (check_eval(chk, rs, fw, &c))
			out[t / 64] |= 1ull << (t % 64);
	}
}

static inline bool memo_eval(const struct cn *n, const struct rule_ruleset *rs,
			     struct rule_worker *w, const struct fld_ctx *c);

static bool node_eval(const struct cn *n, const struct rule_ruleset *rs, struct rule_worker *w,
		      const struct fld_ctx *c)
{
	uint32_t i;

	switch (n->kind) {
	case CN_AND:
		for (i = 0; i < n->n; i++) {
			if (!memo_eval(n->kids[i], rs, w, c))
				return false;
		}
		return true;
	case CN_OR:
		for (i = 0; i < n->n; i++) {
			if (memo_eval(n->kids[i], rs, w, c))
				return true;
		}
		return false;
	case CN_NOT:
		return !memo_eval(n->kids[0], rs, w, c);
	case CN_CHECK:
		return check_eval(n->chk, rs, w->fw, c);
	case CN_TYPES: {
		uint16_t t = c->ev->hdr->type;

		if (t >= EVT_TYPE_MAX || evt_type_is_generic(t))
			return check_eval(n->chk, rs, w->fw, c);
		return n->types[t / 64] >> (t % 64) & 1;
	}
	case CN_TRUE:
		return true;
	default:
		return false;
	}
}

/* A node's value for this event; a shared node's is computed once: many
 * rules of one event type start with the same macros (open_read,
 * spawned_process, ...) or checks (proc.name in (shell_binaries)). Evaluation has no side effects but the field
 * cache's, so a remembered value is the value. */
static inline bool memo_eval(const struct cn *n, const struct rule_ruleset *rs,
			     struct rule_worker *w, const struct fld_ctx *c)
{
	uint32_t *m;
	bool v;

	if (!n->memo)
		return node_eval(n, rs, w, c);
	m = &w->memo[n->memo - 1];
	if (*m >> 1 == w->gen)
		return *m & 1;
	v = node_eval(n, rs, w, c);
	*m = w->gen << 1 | v;
	return v;
}

bool cn_eval(const struct cn *n, const struct rule_ruleset *rs, struct rule_worker *w,
	     const struct fld_ctx *c)
{
	return memo_eval(n, rs, w, c);
}

/* rule_eval's loop, apart: most events have no rules (read, write, close
 * with falco_rules.yaml), and their call then saves no registers. */
static __attribute__((noinline)) int eval_rules(const struct rule_ruleset *r,
						struct rule_worker *w,
						const struct fld_ctx *ctx, bool first_only,
						rule_match_fn fn, void *arg, uint16_t type)
{
	struct rule_match m;
	uint32_t k;
	int matches = 0;

	fld_worker__begin(w->fw);
	memo_next(w, r->nmemo);
	m.rs = r;
	m.w = w;
	m.ctx = ctx;
	for (k = r->off[type]; k < r->off[type + 1]; k++) {
		const struct crule *cr = &r->rules[r->ids[k]];

		if (!cn_eval(cr->cond, r, w, ctx))
			continue;
		matches++;
		m.rule = &cr->info;
		if ((fn && fn(arg, &m)) || first_only)
			break;
	}
	return matches;
}

int rule_eval(const struct rule_ruleset *r, struct rule_worker *w, const struct fld_ctx *ctx,
	      bool first_only, rule_match_fn fn, void *arg)
{
	uint16_t type = ctx->ev->hdr->type;

	if (type >= r->ntypes || r->off[type] == r->off[type + 1])
		return 0;
	return eval_rules(r, w, ctx, first_only, fn, arg, type);
}

size_t rule_match__output(const struct rule_match *m, char *buf, size_t cap)
{
	const struct crule *cr = &m->rs->rules[m->rule->index];

	return fmt_render(&cr->output, m->rs->refs.v, m->w->fw, m->ctx, buf, cap);
}

int rule_match__foreach_field(const struct rule_match *m,
			      int (*fn)(void *arg, const char *name, const struct fld_vals *v),
			      void *arg)
{
	const struct crule *cr = &m->rs->rules[m->rule->index];
	uint32_t i, j;
	int rc;

	for (i = 0; i < cr->output.n; i++) {
		const struct fmt_piece *p = &cr->output.p[i];
		bool dup = false;

		if (p->lit)
			continue;
		for (j = 0; j < i && !dup; j++)
			dup = !cr->output.p[j].lit && strcmp(cr->output.p[j].name, p->name) == 0;
		if (dup)
			continue;
		rc = fn(arg, p->name, fld_extract(m->w->fw, m->ctx, &m->rs->refs.v[p->ref]));
		if (rc)
			return rc;
	}
	return 0;
}
