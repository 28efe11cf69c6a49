/*
 * rules_text.c - strings that remember which YAML scalars their bytes came
 * from, and the mapping of a byte offset in such a string back to the file's
 * line:col.
 *
 * The loader keeps, per scalar, only its style and its [start, end) span in
 * the file; nothing is paid at load time. When the compiler has an error at
 * byte N of a condition, the scalar's source text is decoded again, with the
 * same rules libyaml's scanner applies (line folding, escapes, block
 * indentation and chomping), noting for each produced byte the file offset it
 * came from. The decoded bytes are compared with the value libyaml gave; if
 * they ever disagree (an exotic construct this decoder does not model, such as
 * Unicode line separators) the scalar's own position is used instead, so the
 * answer is always either exact or the start of the scalar, never wrong.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"
#include "lib/ascii.h"

/* ---- texts ---- */

void rule_text_fini(struct rule_text *t)
{
	free(t->str);
	free(t->segs);
	memset(t, 0, sizeof(*t));
}

int rule_text_set(struct rule_text *t, const char *s, size_t len, const struct rule_scalar_pos *pos,
		  size_t skip)
{
	char *str = malloc(len + 1);
	struct rule_text_seg *seg = malloc(sizeof(*seg));

	if (!str || !seg) {
		free(str);
		free(seg);
		return -ENOMEM;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	seg->off = 0;
	seg->len = len;
	seg->skip = skip;
	seg->pos = *pos;
	rule_text_fini(t);
	t->str = str;
	t->len = len;
	t->segs = seg;
	t->nsegs = 1;
	return 0;
}

void rule_text_move(struct rule_text *to, struct rule_text *from)
{
	rule_text_fini(to);
	*to = *from;
	memset(from, 0, sizeof(*from));
}

int rule_text_append(struct rule_text *t, const struct rule_text *more)
{
	size_t base = t->nsegs ? t->len + 1 : 0, i;
	char *str;
	struct rule_text_seg *segs;

	str = realloc(t->str, base + more->len + 1);
	if (!str)
		return -ENOMEM;
	t->str = str;
	segs = realloc(t->segs, (t->nsegs + more->nsegs + 1) * sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	t->segs = segs;
	if (base)
		str[base - 1] = ' ';
	memcpy(str + base, more->str ? more->str : "", more->len);
	str[base + more->len] = '\0';
	t->len = base + more->len;
	for (i = 0; i < more->nsegs; i++) {
		segs[t->nsegs] = more->segs[i];
		segs[t->nsegs].off += base;
		t->nsegs++;
	}
	return 0;
}

/* ---- decoding a scalar again ---- */

/* Where the decoder is and what it is looking for. */
struct rule_dec {
	const char *s;	  /* the file's text */
	size_t p;	  /* read position */
	size_t e;	  /* end of the scalar's content */
	uint32_t col;	  /* column of p (characters), for block scalars */
	const char *want; /* the expected bytes, from value offset skip on */
	size_t skip;	  /* value bytes before want[0] */
	size_t wlen;	  /* bytes in want */
	size_t target;	  /* value offset looked for */
	size_t n;	  /* value bytes produced */
	size_t found;	  /* file offset of the target byte */
	size_t last;	  /* file offset of the last byte produced */
	bool have;	  /* found is set */
	bool bad;	  /* decoding disagrees with the value */
};

/* One value byte @c, produced by the file byte at @from. */
static void rule_dec_emit(struct rule_dec *d, char c, size_t from)
{
	if (d->n >= d->skip && d->n < d->skip + d->wlen && d->want[d->n - d->skip] != c)
		d->bad = true;
	if (d->n == d->target && !d->have) {
		d->found = from;
		d->have = true;
	}
	d->last = from;
	d->n++;
}

static bool rule_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool rule_is_break(char c)
{
	return c == '\n' || c == '\r';
}

/* Length of the line break at p (CR LF counts as one). */
static size_t rule_break_len(const struct rule_dec *d)
{
	if (d->s[d->p] == '\r' && d->p + 1 < d->e && d->s[d->p + 1] == '\n')
		return 2;
	return 1;
}

static bool rule_dec_more(const struct rule_dec *d)
{
	return d->p < d->e;
}

/* Whitespace or line breaks pending between two runs of text. */
struct rule_fold {
	size_t ws_start, ws_end; /* pending blanks */
	bool leading;		 /* a line break was seen */
	bool have_lb;		 /* ... and it is a real one (not an escaped break) */
	size_t lb;		 /* where */
	size_t ntrail;		 /* further breaks */
	size_t trail;		 /* where the first of them is */
};

/* Emit what libyaml emits for pending blanks/breaks in flow and plain scalars. */
static void rule_fold_flush(struct rule_dec *d, struct rule_fold *f)
{
	size_t i;

	if (f->leading) {
		if (f->have_lb && !f->ntrail)
			rule_dec_emit(d, ' ', f->lb);
		for (i = 0; i < f->ntrail; i++)
			rule_dec_emit(d, '\n', f->trail);
	} else {
		for (i = f->ws_start; i < f->ws_end; i++)
			rule_dec_emit(d, d->s[i], i);
	}
	memset(f, 0, sizeof(*f));
}

/* Consume blanks and breaks after a run of text (shared by plain and quoted). */
static void rule_fold_scan(struct rule_dec *d, struct rule_fold *f)
{
	while (rule_dec_more(d) && (rule_is_blank(d->s[d->p]) || rule_is_break(d->s[d->p]))) {
		if (rule_is_blank(d->s[d->p])) {
			if (!f->leading) {
				if (f->ws_start == f->ws_end)
					f->ws_start = d->p;
				f->ws_end = d->p + 1;
			}
			d->p++;
			continue;
		}
		if (!f->leading) {
			f->ws_start = f->ws_end = 0;
			f->leading = true;
			f->have_lb = true;
			f->lb = d->p;
		} else if (!f->ntrail++) {
			f->trail = d->p;
		}
		d->p += rule_break_len(d);
	}
}

static void rule_dec_plain(struct rule_dec *d)
{
	struct rule_fold f = {0};

	while (rule_dec_more(d)) {
		if (f.leading || f.ws_start != f.ws_end)
			rule_fold_flush(d, &f);
		while (rule_dec_more(d) && !rule_is_blank(d->s[d->p]) &&
		       !rule_is_break(d->s[d->p])) {
			rule_dec_emit(d, d->s[d->p], d->p);
			d->p++;
		}
		rule_fold_scan(d, &f);
	}
}

/* Emit code point @cp as UTF-8, every byte mapped to @from. */
static void rule_dec_utf8(struct rule_dec *d, unsigned long cp, size_t from)
{
	if (cp < 0x80) {
		rule_dec_emit(d, cp, from);
	} else if (cp < 0x800) {
		rule_dec_emit(d, 0xc0 | (cp >> 6), from);
		rule_dec_emit(d, 0x80 | (cp & 0x3f), from);
	} else if (cp < 0x10000) {
		rule_dec_emit(d, 0xe0 | (cp >> 12), from);
		rule_dec_emit(d, 0x80 | ((cp >> 6) & 0x3f), from);
		rule_dec_emit(d, 0x80 | (cp & 0x3f), from);
	} else {
		rule_dec_emit(d, 0xf0 | (cp >> 18), from);
		rule_dec_emit(d, 0x80 | ((cp >> 12) & 0x3f), from);
		rule_dec_emit(d, 0x80 | ((cp >> 6) & 0x3f), from);
		rule_dec_emit(d, 0x80 | (cp & 0x3f), from);
	}
}

/* One backslash escape of a double-quoted scalar at p; false when unknown. */
static bool rule_dec_escape(struct rule_dec *d)
{
	static const char simple_in[] = "0abt\tnvfre \"/'\\";
	static const char simple_out[] = "\0\a\b\t\t\n\v\f\r\x1b \"/'\\";
	size_t at = d->p, i, ndig = 0;
	unsigned long cp = 0;
	const char *hit;
	char c;

	if (d->p + 1 >= d->e)
		return false;
	c = d->s[d->p + 1];
	hit = c ? memchr(simple_in, c, sizeof(simple_in) - 1) : NULL;
	if (hit) {
		rule_dec_emit(d, simple_out[hit - simple_in], at);
		d->p += 2;
		return true;
	}
	switch (c) {
	case 'N':
		cp = 0x85;
		break;
	case '_':
		cp = 0xa0;
		break;
	case 'L':
		cp = 0x2028;
		break;
	case 'P':
		cp = 0x2029;
		break;
	case 'x':
		ndig = 2;
		break;
	case 'u':
		ndig = 4;
		break;
	case 'U':
		ndig = 8;
		break;
	default:
		return false;
	}
	d->p += 2;
	for (i = 0; i < ndig; i++) {
		int v = d->p < d->e ? ascii_hexval(d->s[d->p]) : -1;

		if (v < 0)
			return false;
		cp = cp << 4 | v;
		d->p++;
	}
	rule_dec_utf8(d, cp, at);
	return true;
}

static void rule_dec_quoted(struct rule_dec *d, bool single)
{
	struct rule_fold f = {0};

	d->p++; /* the opening quote */
	if (d->e > d->p)
		d->e--; /* the closing one */
	while (rule_dec_more(d) && !d->bad) {
		while (rule_dec_more(d) && !rule_is_blank(d->s[d->p]) &&
		       !rule_is_break(d->s[d->p])) {
			char c = d->s[d->p];

			if (single && c == '\'' && d->p + 1 < d->e && d->s[d->p + 1] == '\'') {
				rule_dec_emit(d, '\'', d->p);
				d->p += 2;
			} else if (!single && c == '\\' && d->p + 1 < d->e &&
				   rule_is_break(d->s[d->p + 1])) {
				d->p++;
				d->p += rule_break_len(d);
				f.leading = true; /* an escaped break: no folding space */
				break;
			} else if (!single && c == '\\') {
				if (!rule_dec_escape(d)) {
					d->bad = true;
					return;
				}
			} else {
				rule_dec_emit(d, c, d->p);
				d->p++;
			}
		}
		rule_fold_scan(d, &f);
		rule_fold_flush(d, &f);
	}
}

/* Block scalar state, after libyaml's yaml_parser_scan_block_scalar(). */
struct rule_block {
	int indent;
	bool have_lb;
	size_t lb;
	size_t ntrail;
	size_t trail;
};

/* Eat indentation and empty lines; fix the indentation when not known yet. */
static void rule_block_breaks(struct rule_dec *d, struct rule_block *b, int ctx_indent)
{
	int max_indent = 0;

	for (;;) {
		while ((!b->indent || (int)d->col < b->indent) && rule_dec_more(d) &&
		       d->s[d->p] == ' ') {
			d->p++;
			d->col++;
		}
		if ((int)d->col > max_indent)
			max_indent = d->col;
		if ((!b->indent || (int)d->col < b->indent) && rule_dec_more(d) &&
		    d->s[d->p] == '\t') {
			d->bad = true;
			return;
		}
		if (!rule_dec_more(d) || !rule_is_break(d->s[d->p]))
			break;
		if (!b->ntrail++)
			b->trail = d->p;
		d->p += rule_break_len(d);
		d->col = 0;
	}
	if (!b->indent) {
		b->indent = max_indent;
		if (b->indent < ctx_indent + 1)
			b->indent = ctx_indent + 1;
		if (b->indent < 1)
			b->indent = 1;
	}
}

static void rule_dec_block(struct rule_dec *d, bool literal, int ctx_indent)
{
	struct rule_block b = {0};
	int chomping = 0, increment = 0;
	bool leading_blank = false;
	size_t i;

	d->p++; /* | or > */
	while (rule_dec_more(d) && !increment && !chomping) {
		char c = d->s[d->p];

		if (c == '+' || c == '-')
			chomping = c == '+' ? 1 : -1;
		else if (c >= '1' && c <= '9')
			increment = c - '0';
		else
			break;
		d->p++;
	}
	if (rule_dec_more(d) && (d->s[d->p] == '+' || d->s[d->p] == '-') && !chomping)
		chomping = d->s[d->p++] == '+' ? 1 : -1;
	else if (rule_dec_more(d) && d->s[d->p] >= '1' && d->s[d->p] <= '9' && !increment)
		increment = d->s[d->p++] - '0';
	while (rule_dec_more(d) && rule_is_blank(d->s[d->p]))
		d->p++;
	if (rule_dec_more(d) && d->s[d->p] == '#')
		while (rule_dec_more(d) && !rule_is_break(d->s[d->p]))
			d->p++;
	if (rule_dec_more(d))
		d->p += rule_break_len(d);
	d->col = 0;
	if (increment)
		b.indent = ctx_indent >= 0 ? ctx_indent + increment : increment;
	rule_block_breaks(d, &b, ctx_indent);
	while ((int)d->col == b.indent && rule_dec_more(d) && !d->bad) {
		bool trailing_blank = rule_is_blank(d->s[d->p]);

		if (!literal && b.have_lb && !leading_blank && !trailing_blank) {
			if (!b.ntrail)
				rule_dec_emit(d, ' ', b.lb);
		} else if (b.have_lb) {
			rule_dec_emit(d, '\n', b.lb);
		}
		b.have_lb = false;
		for (i = 0; i < b.ntrail; i++)
			rule_dec_emit(d, '\n', b.trail);
		b.ntrail = 0;
		leading_blank = rule_is_blank(d->s[d->p]);
		while (rule_dec_more(d) && !rule_is_break(d->s[d->p])) {
			rule_dec_emit(d, d->s[d->p], d->p);
			d->p++;
		}
		if (rule_dec_more(d)) {
			b.have_lb = true;
			b.lb = d->p;
			d->p += rule_break_len(d);
		}
		d->col = 0;
		rule_block_breaks(d, &b, ctx_indent);
	}
	if (chomping != -1 && b.have_lb)
		rule_dec_emit(d, '\n', b.lb);
	if (chomping == 1)
		for (i = 0; i < b.ntrail; i++)
			rule_dec_emit(d, '\n', b.trail);
}

/*
 * File offset of byte @skip + @off of the value of the scalar at @pos, whose
 * bytes from @skip on are @want/@wlen. -EINVAL when the decoding disagrees.
 */
static int rule_scalar_offset(const struct rule_scalar_pos *pos, const char *want, size_t wlen,
			      size_t skip, size_t off, size_t *out)
{
	size_t tlen;
	const char *text = diag_src__text(pos->src, &tlen);
	struct rule_dec d = {
		.s = text,
		.p = pos->start,
		.e = pos->end,
		.want = want,
		.skip = skip,
		.wlen = wlen,
		.target = skip + off,
	};

	if (pos->start > pos->end || pos->end > tlen)
		return -EINVAL;
	switch (pos->style) {
	case RULE_STYLE_PLAIN:
		rule_dec_plain(&d);
		break;
	case RULE_STYLE_SINGLE_QUOTED:
	case RULE_STYLE_DOUBLE_QUOTED:
		rule_dec_quoted(&d, pos->style == RULE_STYLE_SINGLE_QUOTED);
		break;
	case RULE_STYLE_LITERAL:
	case RULE_STYLE_FOLDED:
		rule_dec_block(&d, pos->style == RULE_STYLE_LITERAL, (int)pos->indent);
		break;
	}
	if (d.bad || d.n < skip + wlen)
		return -EINVAL;
	if (d.have) {
		*out = d.found;
	} else if (d.target == skip + wlen) {
		/* just past the end: after the last byte produced */
		*out = d.n ? d.last + 1 : d.p;
	} else {
		return -EINVAL;
	}
	return 0;
}

static void rule_scalar_fallback(const struct rule_scalar_pos *pos, struct diag_loc *loc)
{
	loc->src = pos->src;
	loc->file = NULL;
	loc->line = pos->line;
	loc->col = pos->col;
}

static int rule_scalar_locate_piece(const struct rule_scalar_pos *pos, const char *piece,
				    size_t plen, size_t skip, size_t off, struct diag_loc *loc)
{
	size_t at;

	if (off > plen)
		return -ERANGE;
	rule_scalar_fallback(pos, loc);
	if (!pos->src || rule_scalar_offset(pos, piece, plen, skip, off, &at))
		return 0;
	if (diag_src__linecol(pos->src, at, &loc->line, &loc->col))
		rule_scalar_fallback(pos, loc);
	return 0;
}

int rule_scalar__locate(const struct rule_scalar_pos *pos, const char *value, size_t vlen,
			size_t off, struct diag_loc *loc)
{
	return rule_scalar_locate_piece(pos, value, vlen, 0, off, loc);
}

int rule_text__locate(const struct rule_text *t, size_t off, struct diag_loc *loc)
{
	size_t i;

	if (!t->nsegs || off > t->len)
		return -ERANGE;
	for (i = 0; i < t->nsegs; i++) {
		const struct rule_text_seg *seg = &t->segs[i];
		bool last = i + 1 == t->nsegs;

		/* a joiner byte belongs to the end of the piece before it */
		if (off <= seg->off + seg->len || last || off < t->segs[i + 1].off) {
			size_t in = off < seg->off ? 0 : off - seg->off;

			if (in > seg->len)
				in = seg->len;
			return rule_scalar_locate_piece(&seg->pos, t->str + seg->off, seg->len,
							seg->skip, in, loc);
		}
	}
	return -ERANGE;
}
