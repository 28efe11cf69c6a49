/*
 * format.c - output formats: Falco's rule outputs and sysdig's -p strings.
 *
 * Grammar (both tools agree on it):
 *
 *   format := { literal | '%' field | '%(' field ')' }
 *   field  := NAME [ '[' ARG ']' ]      NAME := [A-Za-z0-9_.]+
 *
 * NAME is resolved against the registry; when the longest run of name
 * characters is not a field, shorter runs ending before a '.' are tried, so
 * "%proc.name." is proc.name followed by a literal dot. A '%' that starts no
 * field name is a literal. A format is compiled once into literal pieces and
 * field references (interned into the owner's reference table, so a field
 * the condition already extracted is not extracted again) and rendered with
 * no allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ruleset_int.h"

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.';
}

struct pieces {
	struct fmt_piece *v;
	uint32_t n, cap;
};

static int push(struct pieces *p, const struct fmt_piece *x)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		struct fmt_piece *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = *x;
	return 0;
}

/*
 * Resolve the field at s[0..len): name, then an optional [arg]. Returns the
 * bytes consumed (0: not a field) and fills @ref.
 */
static size_t parse_field(const char *s, size_t len, struct fld_ref *ref, const char **err)
{
	size_t n = 0, try, alen = 0;
	const char *msg, *arg = NULL;
	bool has_arg;

	while (n < len && name_char(s[n]))
		n++;
	for (try = n; try > 0; try--) {
		int rc;

		if (try != n && s[try] != '.')
			continue;
		has_arg = try < len && s[try] == '[';
		if (has_arg) {
			/* "%proc.name[%proc.pid]": a field without arguments ends at '[' */
			const struct fld_def *d = fld_lookup(s, try);

			if (d && d->argk == FLD_ARG_NONE)
				has_arg = false;
		}
		if (has_arg) {
			const char *close = memchr(s + try, ']', len - try);

			if (!close) {
				*err = "unterminated field argument";
				return 0;
			}
			arg = s + try + 1;
			alen = (size_t)(close - arg);
		}
		rc = fld_resolve(s, try, arg, alen, has_arg, ref, &msg);
		if (rc == 0)
			return try + (has_arg ? alen + 2 : 0);
		if (rc != -ENOENT) {
			*err = msg;
			return 0;
		}
	}
	*err = "invalid formatting token: unknown field";
	return 0;
}

int fmt_compile(struct rs_arena *a, struct rs_refs *refs, const char *s, size_t len,
		struct fmt *out, const char **err, size_t *err_off)
{
	struct pieces p = { 0 };
	struct fmt_piece x;
	size_t i = 0, lit = 0;
	int rc = 0;

	while (i < len) {
		struct fld_ref ref;
		size_t start, used;
		bool paren;

		if (s[i] != '%') {
			i++;
			continue;
		}
		paren = i + 1 < len && s[i + 1] == '(';
		start = i + 1 + paren;
		if (start >= len || !name_char(s[start])) {
			i++;
			continue;
		}
		*err = NULL;
		used = parse_field(s + start, len - start, &ref, err);
		if (!used || (paren && (start + used >= len || s[start + used] != ')'))) {
			*err_off = start;
			if (!*err || used)
				*err = "invalid formatting token";
			rc = -EINVAL;
			goto fail;
		}
		if (i > lit) {
			memset(&x, 0, sizeof(x));
			x.lit = rs_strndup(a, s + lit, i - lit);
			x.len = (uint32_t)(i - lit);
			if (!x.lit || push(&p, &x))
				goto nomem;
		}
		memset(&x, 0, sizeof(x));
		rc = rs_refs_intern(refs, a, &ref);
		if (rc < 0)
			goto nomem;
		x.ref = (uint32_t)rc;
		x.name = rs_strndup(a, s + start, used);
		if (!x.name || push(&p, &x))
			goto nomem;
		i = start + used + paren;
		lit = i;
	}
	if (len > lit) {
		memset(&x, 0, sizeof(x));
		x.lit = rs_strndup(a, s + lit, len - lit);
		x.len = (uint32_t)(len - lit);
		if (!x.lit || push(&p, &x))
			goto nomem;
	}
	out->n = p.n;
	out->p = rs_alloc(a, (p.n ? p.n : 1) * sizeof(*out->p));
	if (!out->p)
		goto nomem;
	if (p.n)
		memcpy(out->p, p.v, p.n * sizeof(*p.v));
	free(p.v);
	return 0;
nomem:
	rc = -ENOMEM;
fail:
	free(p.v);
	return rc;
}

size_t fmt_render(const struct fmt *f, const struct fld_ref *refs, struct fld_worker *fw,
		  const struct fld_ctx *c, char *buf, size_t cap)
{
	size_t at = 0;
	uint32_t i;

	if (cap)
		buf[0] = 0;
	for (i = 0; i < f->n; i++) {
		const struct fmt_piece *p = &f->p[i];

		if (p->lit) {
			if (at < cap) {
				size_t room = cap - at - 1, n = p->len < room ? p->len : room;

				memcpy(buf + at, p->lit, n);
				buf[at + n] = 0;
			}
			at += p->len;
		} else {
			const struct fld_vals *v = fld_extract(fw, c, &refs[p->ref]);

			at += fld_vals__render(v, at < cap ? buf + at : NULL, at < cap ? cap - at : 0);
		}
	}
	return at;
}

/* ---- standalone formats ---- */

struct rule_format {
	struct rs_arena arena;
	struct rs_refs refs;
	struct fmt fmt;
};

struct rule_format *rule_format_new(const char *s, const char **err, size_t *err_off)
{
	struct rule_format *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return NULL;
	rc = fmt_compile(&f->arena, &f->refs, s, strlen(s), &f->fmt, err, err_off);
	if (rc) {
		rule_format_free(f);
		errno = -rc;
		return NULL;
	}
	return f;
}

void rule_format_free(struct rule_format *f)
{
	if (!f)
		return;
	free(f->refs.v);
	rs_arena_free(&f->arena);
	free(f);
}

struct fld_worker *rule_format__worker(const struct rule_format *f)
{
	return fld_worker_new(f->refs.n, 0);
}

size_t rule_format__render(const struct rule_format *f, struct fld_worker *fw,
			   const struct fld_ctx *ctx, char *buf, size_t cap)
{
	return fmt_render(&f->fmt, f->refs.v, fw, ctx, buf, cap);
}

bool rule_format__all_present(const struct rule_format *f, struct fld_worker *fw,
			      const struct fld_ctx *ctx)
{
	uint32_t i;

	for (i = 0; i < f->fmt.n; i++) {
		const struct fmt_piece *p = &f->fmt.p[i];

		if (!p->lit && fld_extract(fw, ctx, &f->refs.v[p->ref])->n == 0)
			return false;
	}
	return true;
}
