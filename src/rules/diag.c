/*
 * diag.c - located diagnostics and the source texts they point into.
 *
 * A diag_src keeps a copy of a file and a table of where each line starts, so
 * turning a byte offset into line:col (and back) is a binary search, and the
 * renderer can print the offending line without going back to the disk.
 * Diagnostics are rare, so they are plain heap strings in a growing array.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rules/diag.h"

struct diag_src {
	unsigned refs;
	char *name;
	char *text;
	size_t len;
	size_t *line_start; /* byte offset where each line starts */
	uint32_t nlines;
};

struct diag_list {
	struct diag *v;
	size_t n;
	size_t cap;
	size_t nerrors;
	size_t nwarnings;
};

static const char *const diag_code_names[] = {
#define DIAG_X_NAME(name, str) str,
	DIAG_CODES(DIAG_X_NAME)
#undef DIAG_X_NAME
};

const char *diag_code_name(enum diag_code code)
{
	if ((unsigned)code >= DIAG_CODE_COUNT)
		return "";
	return diag_code_names[code];
}

/* ---- source texts ---- */

static int diag_src_index_lines(struct diag_src *src)
{
	size_t cap = 64, n = 0;
	size_t *v = malloc(cap * sizeof(*v));
	const char *p = src->text, *end = src->text + src->len;

	if (!v)
		return -ENOMEM;
	v[n++] = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (!nl)
			break;
		p = nl + 1;
		if (p == end)
			break; /* a final newline does not start a line */
		if (n == cap) {
			size_t *nv = realloc(v, 2 * cap * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap *= 2;
		}
		v[n++] = p - src->text;
	}
	src->line_start = v;
	src->nlines = n;
	return 0;
}

struct diag_src *diag_src_new(const char *name, const char *text, size_t len)
{
	struct diag_src *src = calloc(1, sizeof(*src));

	if (!src)
		goto out_nomem;
	src->refs = 1;
	src->name = strdup(name ? name : "");
	src->text = malloc(len + 1);
	if (!src->name || !src->text)
		goto out_free;
	if (len)
		memcpy(src->text, text, len);
	src->text[len] = '\0';
	src->len = len;
	if (diag_src_index_lines(src))
		goto out_free;
	return src;

out_free:
	free(src->name);
	free(src->text);
	free(src);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

struct diag_src *diag_src_get(struct diag_src *src)
{
	if (src)
		src->refs++;
	return src;
}

void diag_src_put(struct diag_src *src)
{
	if (!src || --src->refs)
		return;
	free(src->line_start);
	free(src->name);
	free(src->text);
	free(src);
}

const char *diag_src__name(const struct diag_src *src)
{
	return src->name;
}

const char *diag_src__text(const struct diag_src *src, size_t *len)
{
	if (len)
		*len = src->len;
	return src->text;
}

uint32_t diag_src__nlines(const struct diag_src *src)
{
	return src->nlines;
}

const char *diag_src__line(const struct diag_src *src, uint32_t line, size_t *len)
{
	size_t start, end;

	if (line == 0 || line > src->nlines)
		return NULL;
	start = src->line_start[line - 1];
	end = line < src->nlines ? src->line_start[line] : src->len;
	while (end > start && (src->text[end - 1] == '\n' || src->text[end - 1] == '\r'))
		end--;
	if (len)
		*len = end - start;
	return src->text + start;
}

/* Is byte @c the first byte of a UTF-8 sequence (or plain ASCII)? */
static bool diag_utf8_lead(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

int diag_src__linecol(const struct diag_src *src, size_t off, uint32_t *line, uint32_t *col)
{
	uint32_t lo = 0, hi = src->nlines;
	uint32_t c = 1;
	size_t i;

	if (off > src->len)
		return -ERANGE;
	/* last line whose start is <= off */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (src->line_start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (i = src->line_start[lo]; i < off; i++)
		if (diag_utf8_lead(src->text[i]))
			c++;
	*line = lo + 1;
	*col = c;
	return 0;
}

int diag_src__offset(const struct diag_src *src, uint32_t line, uint32_t col, size_t *off)
{
	size_t len, i;
	const char *s = diag_src__line(src, line, &len);
	uint32_t c = 1;

	if (!s)
		return -ERANGE;
	for (i = 0; i < len && c < col; i++) {
		/* step over a whole UTF-8 sequence */
		while (i + 1 < len && !diag_utf8_lead(s[i + 1]))
			i++;
		c++;
	}
	*off = (size_t)(s - src->text) + i;
	return 0;
}

/* ---- the list ---- */

struct diag_list *diag_list_new(void)
{
	struct diag_list *dl = calloc(1, sizeof(*dl));

	if (!dl)
		errno = ENOMEM;
	return dl;
}

void diag_list__clear(struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++) {
		free((char *)dl->v[i].file);
		free((char *)dl->v[i].msg);
		diag_src_put(dl->v[i].src);
	}
	dl->n = 0;
	dl->nerrors = 0;
	dl->nwarnings = 0;
}

void diag_list_free(struct diag_list *dl)
{
	if (!dl)
		return;
	diag_list__clear(dl);
	free(dl->v);
	free(dl);
}

int diag_list__vadd(struct diag_list *dl, enum diag_severity sev, enum diag_code code,
		    const struct diag_loc *loc, const char *fmt, va_list ap)
{
	struct diag *d;
	const char *file = "";
	char *msg = NULL, *fcopy;

	if (sev == DIAG_ERROR)
		dl->nerrors++;
	else
		dl->nwarnings++;
	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? 2 * dl->cap : 16;
		struct diag *nv = realloc(dl->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		dl->v = nv;
		dl->cap = cap;
	}
	if (loc && loc->src)
		file = loc->src->name;
	else if (loc && loc->file)
		file = loc->file;
	if (vasprintf(&msg, fmt, ap) < 0)
		return -ENOMEM;
	fcopy = strdup(file);
	if (!fcopy) {
		free(msg);
		return -ENOMEM;
	}
	d = &dl->v[dl->n++];
	d->severity = sev;
	d->code = code;
	d->file = fcopy;
	d->line = loc ? loc->line : 0;
	d->col = loc ? loc->col : 0;
	d->msg = msg;
	d->src = loc ? diag_src_get(loc->src) : NULL;
	return 0;
}

int diag_list__add(struct diag_list *dl, enum diag_severity sev, enum diag_code code,
		   const struct diag_loc *loc, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = diag_list__vadd(dl, sev, code, loc, fmt, ap);
	va_end(ap);
	return err;
}

size_t diag_list__count(const struct diag_list *dl)
{
	return dl->n;
}

size_t diag_list__errors(const struct diag_list *dl)
{
	return dl->nerrors;
}

size_t diag_list__warnings(const struct diag_list *dl)
{
	return dl->nwarnings;
}

const struct diag *diag_list__at(const struct diag_list *dl, size_t i)
{
	return i < dl->n ? &dl->v[i] : NULL;
}

/* ---- rendering ---- */

/* The caret line: blanks up to column @col (tabs copied from @line), then '^'. */
static void diag_render_caret(const char *line, size_t len, uint32_t col, FILE *out)
{
	uint32_t c = 1;
	size_t i;

	for (i = 0; i < len && c < col; i++) {
		if (!diag_utf8_lead(line[i]))
			continue;
		fputc(line[i] == '\t' ? '\t' : ' ', out);
		c++;
	}
	for (; c < col; c++)
		fputc(' ', out);
	fputs("^\n", out);
}

int diag__render(const struct diag *d, FILE *out)
{
	const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";
	const char *line = NULL;
	size_t len = 0;

	if (d->line && d->col)
		fprintf(out, "%s:%u:%u: %s: %s\n", d->file, d->line, d->col, sev, d->msg);
	else if (d->line)
		fprintf(out, "%s:%u: %s: %s\n", d->file, d->line, sev, d->msg);
	else if (d->file[0])
		fprintf(out, "%s: %s: %s\n", d->file, sev, d->msg);
	else
		fprintf(out, "%s: %s\n", sev, d->msg);
	if (d->src && d->line)
		line = diag_src__line(d->src, d->line, &len);
	if (line) {
		fprintf(out, "%.*s\n", (int)len, line);
		if (d->col)
			diag_render_caret(line, len, d->col, out);
	}
	return ferror(out) ? -EIO : 0;
}

int diag_list__render(const struct diag_list *dl, FILE *out)
{
	size_t i;
	int err = 0;

	for (i = 0; i < dl->n; i++)
		if (diag__render(&dl->v[i], out))
			err = -EIO;
	return err;
}
