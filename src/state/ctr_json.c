/*
 * ctr_json.c - a small strict JSON reader for container runtime replies and
 * capture container events.
 *
 * The Docker Engine API answers in JSON, and so do the container events
 * libs writes into captures. Both are outside input, and peregrine only
 * needs a handful of members out of them, so this is a validating
 * tokenizer (a flat token array, see ctr_int.h) plus lookups, not a DOM:
 * one allocation that grows to at most one token per input byte, bounded
 * nesting, no recursion deeper than CTR_JSON_MAX_DEPTH, and every error
 * reported with its byte offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/ctr_int.h"
#include "lib/ascii.h"

struct jp {
	struct ctr_json *j;
	const char *s;
	size_t len, pos;
	unsigned depth;
};

static int jp_fail(struct jp *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->j->err, sizeof(p->j->err), "offset %zu: ", p->pos);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(p->j->err))
		vsnprintf(p->j->err + n, sizeof(p->j->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* A new token at the current position; its index, or -errno. */
static int jp_tok(struct jp *p, enum ctr_jtype type)
{
	struct ctr_json *j = p->j;

	if (j->n == j->cap) {
		uint32_t ncap = j->cap ? j->cap * 2 : 64;
		struct ctr_jtok *t;

		if (j->cap >= CTR_JSON_MAX_TOKENS) {
			snprintf(j->err, sizeof(j->err), "offset %zu: more than %u values", p->pos,
				 CTR_JSON_MAX_TOKENS);
			return -E2BIG;
		}
		t = realloc(j->t, (size_t)ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		j->t = t;
		j->cap = ncap;
	}
	memset(&j->t[j->n], 0, sizeof(j->t[0]));
	j->t[j->n].type = type;
	j->t[j->n].start = (uint32_t)p->pos;
	return (int)j->n++;
}

/* string := '"' { char | '\' ( ["\/bfnrt] | 'u' hex hex hex hex ) } '"' */
static int jp_string(struct jp *p)
{
	int t, i;

	p->pos++; /* the opening quote */
	t = jp_tok(p, CTR_J_STR);
	if (t < 0)
		return t;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			p->j->t[t].len = (uint32_t)(p->pos - p->j->t[t].start);
			p->pos++;
			p->j->t[t].next = p->j->n;
			return t;
		}
		if (c < 0x20)
			return jp_fail(p, "control character in a string");
		if (c == '\\') {
			if (++p->pos >= p->len)
				break;
			c = (unsigned char)p->s[p->pos];
			if (c == 'u') {
				for (i = 1; i <= 4; i++)
					if (p->pos + (size_t)i >= p->len ||
					    ascii_hexval(p->s[p->pos + (size_t)i]) < 0)
						return jp_fail(p, "bad \\u escape");
				p->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return jp_fail(p, "bad escape '\\%c'",
					       c >= 0x20 && c < 0x7f ? c : '?');
			}
		}
		p->pos++;
	}
	return jp_fail(p, "unterminated string");
}

/* number := [ '-' ] ( '0' | [1-9] digits ) [ '.' digits ] [ ( 'e' | 'E' ) [ '+' | '-' ] digits ] */
static int jp_number(struct jp *p)
{
	const char *s = p->s;
	size_t b;
	int t = jp_tok(p, CTR_J_NUM);

	if (t < 0)
		return t;
	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
		return jp_fail(p, "bad number");
	if (s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && s[p->pos] == '.') {
		b = ++p->pos;
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
		if (p->pos == b)
			return jp_fail(p, "digits expected after '.'");
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		b = p->pos;
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
		if (p->pos == b)
			return jp_fail(p, "digits expected in the exponent");
	}
	p->j->t[t].len = (uint32_t)(p->pos - p->j->t[t].start);
	p->j->t[t].next = p->j->n;
	return t;
}

static int jp_word(struct jp *p, const char *w, enum ctr_jtype type)
{
	size_t n = strlen(w);
	int t;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
		return jp_fail(p, "unexpected character '%c'",
			       p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f ? p->s[p->pos] : '?');
	t = jp_tok(p, type);
	if (t < 0)
		return t;
	p->pos += n;
	p->j->t[t].len = (uint32_t)n;
	p->j->t[t].next = p->j->n;
	return t;
}

static int jp_value(struct jp *p);

/*
 * array  := '[' [ value { ',' value } ] ']'
 * object := '{' [ string ':' value { ',' string ':' value } ] '}'
 */
static int jp_container(struct jp *p, bool obj)
{
	char close = obj ? '}' : ']';
	int t, rc;

	if (++p->depth > CTR_JSON_MAX_DEPTH)
		return jp_fail(p, "nested deeper than %u", CTR_JSON_MAX_DEPTH);
	t = jp_tok(p, obj ? CTR_J_OBJ : CTR_J_ARR);
	if (t < 0)
		return t;
	p->pos++;
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		goto out_done;
	}
	for (;;) {
		jp_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jp_fail(p, "object key expected");
			rc = jp_string(p);
			if (rc < 0)
				return rc;
			jp_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return jp_fail(p, "':' expected after an object key");
			p->pos++;
		}
		rc = jp_value(p);
		if (rc < 0)
			return rc;
		p->j->t[t].n++;
		jp_ws(p);
		if (p->pos >= p->len)
			return jp_fail(p, "'%c' expected before the end", close);
		if (p->s[p->pos] == close) {
			p->pos++;
			break;
		}
		if (p->s[p->pos] != ',')
			return jp_fail(p, "',' or '%c' expected", close);
		p->pos++;
	}
out_done:
	p->depth--;
	p->j->t[t].len = (uint32_t)(p->pos - p->j->t[t].start);
	p->j->t[t].next = p->j->n;
	return t;
}

/* value := object | array | string | number | 'true' | 'false' | 'null' */
static int jp_value(struct jp *p)
{
	jp_ws(p);
	if (p->pos >= p->len)
		return jp_fail(p, "value expected before the end");
	switch (p->s[p->pos]) {
	case '{':
		return jp_container(p, true);
	case '[':
		return jp_container(p, false);
	case '"':
		return jp_string(p);
	case 't':
		return jp_word(p, "true", CTR_J_TRUE);
	case 'f':
		return jp_word(p, "false", CTR_J_FALSE);
	case 'n':
		return jp_word(p, "null", CTR_J_NULL);
	default:
		return jp_number(p);
	}
}

int ctr_json_parse(struct ctr_json *j, const char *s, size_t len)
{
	struct jp p = {.j = j, .s = s, .len = len};
	int rc;

	memset(j, 0, sizeof(*j));
	j->s = s;
	j->len = len;
	if (len > CTR_JSON_MAX_INPUT) {
		snprintf(j->err, sizeof(j->err), "%zu bytes: more than %u", len,
			 CTR_JSON_MAX_INPUT);
		return -E2BIG;
	}
	rc = jp_value(&p);
	if (rc < 0)
		return rc;
	jp_ws(&p);
	if (p.pos != len)
		return jp_fail(&p, "garbage after the value");
	return 0;
}

void ctr_json_free(struct ctr_json *j)
{
	free(j->t);
	j->t = NULL;
	j->n = j->cap = 0;
}

enum ctr_jtype ctr_json_type(const struct ctr_json *j, int tok)
{
	if (tok < 0 || (uint32_t)tok >= j->n)
		return CTR_J_NULL;
	return (enum ctr_jtype)j->t[tok].type;
}

/* The code point of the four hex digits at s, or '?' when one is not a
 * hex digit (the reader checks escapes; strings from elsewhere may not). */
static uint32_t hex4(const char *s)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++) {
		int d = ascii_hexval(s[k]);

		if (d < 0)
			return '?';
		v = v << 4 | (uint32_t)d;
	}
	return v;
}

/* Decode raw string bytes (escapes) into out; returns the length stored.
 * out == NULL: store nothing, return the whole decoded length. */
static size_t json_unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (!out)
		cap = SIZE_MAX;
	if (!cap)
		return 0;
	while (i < len) {
		char buf[4];
		size_t n = 1;
		uint32_t cp;

		if (s[i] != '\\') {
			unsigned char c = (unsigned char)s[i];

			/* a raw UTF-8 sequence is copied whole or not at all */
			n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (n > len - i)
				n = len - i;
			memcpy(buf, s + i, n);
			i += n;
		} else if (i + 1 < len && s[i + 1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *f = strchr(from, s[i + 1]);

			buf[0] = f ? to[f - from] : '?';
			i += 2;
		} else if (i + 6 <= len) {
			cp = hex4(s + i + 2);
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= len && s[i] == '\\' &&
			    s[i + 1] == 'u') {
				uint32_t lo = hex4(s + i + 2);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = '?'; /* a lone surrogate */
			if (cp < 0x80) {
				buf[0] = (char)cp;
			} else if (cp < 0x800) {
				buf[0] = (char)(0xc0 | cp >> 6);
				buf[1] = (char)(0x80 | (cp & 0x3f));
				n = 2;
			} else if (cp < 0x10000) {
				buf[0] = (char)(0xe0 | cp >> 12);
				buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[2] = (char)(0x80 | (cp & 0x3f));
				n = 3;
			} else {
				buf[0] = (char)(0xf0 | cp >> 18);
				buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[3] = (char)(0x80 | (cp & 0x3f));
				n = 4;
			}
		} else {
			break; /* cannot happen after a successful parse */
		}
		if (o + n > cap - 1)
			break; /* whole characters only */
		if (out)
			memcpy(out + o, buf, n);
		o += n;
	}
	if (out)
		out[o] = '\0';
	return o;
}

int ctr_json_str(const struct ctr_json *j, int tok, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	if (ctr_json_type(j, tok) != CTR_J_STR)
		return -1;
	return (int)json_unescape(j->s + j->t[tok].start, j->t[tok].len, out, cap);
}

long ctr_json_strlen(const struct ctr_json *j, int tok)
{
	if (ctr_json_type(j, tok) != CTR_J_STR)
		return -1;
	return (long)json_unescape(j->s + j->t[tok].start, j->t[tok].len, NULL, 0);
}

int ctr_json_get(const struct ctr_json *j, int obj, const char *key)
{
	size_t klen = strlen(key);
	uint32_t i, k;
	char buf[512];

	if (ctr_json_type(j, obj) != CTR_J_OBJ)
		return -1;
	k = (uint32_t)obj + 1;
	for (i = 0; i < j->t[obj].n; i++) {
		const struct ctr_jtok *kt = &j->t[k];
		const char *raw = j->s + kt->start;

		if (memchr(raw, '\\', kt->len)) {
			/* a key cut by the buffer decodes to more than klen */
			if (klen < sizeof(buf) / 2 &&
			    json_unescape(raw, kt->len, buf, sizeof(buf)) == klen &&
			    !memcmp(buf, key, klen))
				return (int)k + 1;
		} else if (kt->len == klen && !memcmp(raw, key, klen)) {
			return (int)k + 1;
		}
		k = j->t[k + 1].next;
	}
	return -1;
}

int ctr_json_at(const struct ctr_json *j, int arr, uint32_t i)
{
	uint32_t k, e;

	if (ctr_json_type(j, arr) != CTR_J_ARR || i >= j->t[arr].n)
		return -1;
	k = (uint32_t)arr + 1;
	for (e = 0; e < i; e++)
		k = j->t[k].next;
	return (int)k;
}

int ctr_json_bool(const struct ctr_json *j, int tok)
{
	enum ctr_jtype t = ctr_json_type(j, tok);

	return t == CTR_J_TRUE ? 1 : t == CTR_J_FALSE ? 0 : -1;
}

int ctr_json_i64(const struct ctr_json *j, int tok, int64_t *out)
{
	const char *s;
	uint32_t len, i = 0;
	bool neg = false;
	uint64_t v = 0;

	if (ctr_json_type(j, tok) != CTR_J_NUM)
		return -EINVAL;
	s = j->s + j->t[tok].start;
	len = j->t[tok].len;
	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL; /* a fraction or an exponent */
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return -EINVAL;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}
