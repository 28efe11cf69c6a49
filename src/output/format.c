/*
 * format.c - alert slots and Falco's two output shapes.
 *
 * Text: "HH:MM:SS.nnnnnnnnn: Priority output", the event time in local time
 * as Falco's default time format prints it (ISO 8601 UTC when
 * time_format_iso_8601 is set). JSON: one object whose keys come in the
 * order Falco's nlohmann::json map writes them (alphabetical), "time" always
 * ISO 8601 UTC with nanoseconds. Everything here is a pure function of its
 * arguments: any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/utf8.h"
#include "output/output.h"
#include "rules/rules.h"

/* ---- alert slots ---- */

static size_t fmt_copy(char *dst, size_t cap, const char *s, size_t len, uint16_t *flags)
{
	if (len >= cap) {
		len = cap - 1;
		*flags |= OUT_ALERT_TRUNCATED;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return len;
}

void out_alert_init(struct out_alert *a, uint64_t ts, uint32_t priority, const char *rule,
		    const char *source)
{
	a->ts = ts;
	a->priority = priority;
	a->flags = 0;
	a->ntags = a->nfields = 0;
	a->tags_len = a->fbuf_len = 0;
	a->output_len = 0;
	a->output[0] = '\0';
	fmt_copy(a->rule, sizeof(a->rule), rule, strlen(rule), &a->flags);
	source = source ? source : "syscall";
	fmt_copy(a->source, sizeof(a->source), source, strlen(source), &a->flags);
}

void out_alert_add_tag(struct out_alert *a, const char *tag)
{
	size_t len = strlen(tag);

	if (a->tags_len + len + 1 > sizeof(a->tags)) {
		a->flags |= OUT_ALERT_TRUNCATED;
		return;
	}
	memcpy(a->tags + a->tags_len, tag, len + 1);
	a->tags_len += len + 1;
	a->ntags++;
}

const char *out_alert_tag(const struct out_alert *a, unsigned i)
{
	const char *p = a->tags;

	if (i >= a->ntags)
		return NULL;
	while (i--)
		p += strlen(p) + 1;
	return p;
}

void out_alert_set_output(struct out_alert *a, const char *s, size_t len)
{
	a->output_len = fmt_copy(a->output, sizeof(a->output), s, len, &a->flags);
}

void out_alert_add_field(struct out_alert *a, const char *name, const char *value, size_t vlen,
			 enum out_fv_kind kind)
{
	size_t nlen = strlen(name);
	struct out_field *f;

	if (a->nfields >= OUT_FIELDS_MAX || a->fbuf_len + nlen + 2 > sizeof(a->fbuf)) {
		a->flags |= OUT_ALERT_TRUNCATED;
		return;
	}
	f = &a->fields[a->nfields++];
	f->kind = kind;
	f->name = a->fbuf_len;
	memcpy(a->fbuf + a->fbuf_len, name, nlen + 1);
	a->fbuf_len += nlen + 1;
	f->value = a->fbuf_len;
	if (!value)
		value = "";
	a->fbuf_len += fmt_copy(a->fbuf + a->fbuf_len, sizeof(a->fbuf) - a->fbuf_len, value, vlen,
				&a->flags) +
		       1;
}

/* ---- time ---- */

size_t out_time_text(uint64_t ts, char *buf, size_t cap)
{
	time_t s = (time_t)(ts / 1000000000ull);
	struct tm tm;

	localtime_r(&s, &tm);
	return (size_t)snprintf(buf, cap, "%02d:%02d:%02d.%09u", tm.tm_hour, tm.tm_min, tm.tm_sec,
				(unsigned)(ts % 1000000000ull));
}

size_t out_time_iso8601(uint64_t ts, char *buf, size_t cap)
{
	time_t s = (time_t)(ts / 1000000000ull);
	struct tm tm;

	gmtime_r(&s, &tm);
	return (size_t)snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
				tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
				(unsigned)(ts % 1000000000ull));
}

/* ---- a bounded string builder: counts what it wanted like snprintf ---- */

struct fmt_buf {
	char *p;
	size_t cap, len;
};

static void fb_put(struct fmt_buf *b, const char *s, size_t n)
{
	if (b->len < b->cap) {
		size_t room = b->cap - b->len;

		memcpy(b->p + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

static void fb_str(struct fmt_buf *b, const char *s)
{
	fb_put(b, s, strlen(s));
}

/* @s as a JSON string. JSON text must be UTF-8: a byte that is not part of
 * a valid sequence (a hostile file or process name may hold any) becomes
 * U+FFFD, so that the line stays parseable by every consumer. */
static void fb_json_str(struct fmt_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	fb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[6];

		if (c >= 0x80) {
			uint32_t cp;
			size_t l = utf8_seq((const unsigned char *)s + i, n - i, &cp);

			if (l) {
				fb_put(b, s + i, l);
				i += l - 1;
			} else {
				fb_put(b, "\\ufffd", 6);
			}
			continue;
		}
		switch (c) {
		case '"':
			fb_put(b, "\\\"", 2);
			break;
		case '\\':
			fb_put(b, "\\\\", 2);
			break;
		case '\n':
			fb_put(b, "\\n", 2);
			break;
		case '\r':
			fb_put(b, "\\r", 2);
			break;
		case '\t':
			fb_put(b, "\\t", 2);
			break;
		default:
			if (c < 0x20) {
				memcpy(e, "\\u00", 4);
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				fb_put(b, e, 6);
			} else {
				fb_put(b, (const char *)&s[i], 1);
			}
		}
	}
	fb_put(b, "\"", 1);
}

static size_t fb_end(struct fmt_buf *b)
{
	if (b->cap)
		b->p[b->len < b->cap ? b->len : b->cap - 1] = '\0';
	return b->len;
}

size_t out_format_text(const struct out_alert *a, bool iso8601, char *buf, size_t cap)
{
	struct fmt_buf b = {buf, cap, 0};
	char t[64];

	if (iso8601)
		out_time_iso8601(a->ts, t, sizeof(t));
	else
		out_time_text(a->ts, t, sizeof(t));
	fb_str(&b, t);
	fb_str(&b, ": ");
	fb_str(&b, rule_priority_name(a->priority));
	fb_str(&b, " ");
	fb_put(&b, a->output, a->output_len);
	return fb_end(&b);
}

/* Field indexes sorted by name (insertion sort: at most OUT_FIELDS_MAX). */
static void fmt_sort_fields(const struct out_alert *a, unsigned *idx)
{
	for (unsigned i = 0; i < a->nfields; i++) {
		unsigned j = i;

		idx[i] = i;
		while (j > 0 && strcmp(a->fbuf + a->fields[idx[j - 1]].name,
				       a->fbuf + a->fields[i].name) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
}

static void fmt_json_fields(struct fmt_buf *b, const struct out_alert *a)
{
	unsigned idx[OUT_FIELDS_MAX];

	fmt_sort_fields(a, idx);
	fb_str(b, "{");
	for (unsigned i = 0; i < a->nfields; i++) {
		const struct out_field *f = &a->fields[idx[i]];
		const char *v = a->fbuf + f->value;

		if (i)
			fb_str(b, ",");
		fb_json_str(b, a->fbuf + f->name, strlen(a->fbuf + f->name));
		fb_str(b, ":");
		if (f->kind == OUT_FV_NULL)
			fb_str(b, "null");
		else if (f->kind == OUT_FV_NUM || f->kind == OUT_FV_BOOL)
			fb_str(b, *v ? v : "null");
		else
			fb_json_str(b, v, strlen(v));
	}
	fb_str(b, "}");
}

size_t out_format(const struct out_alert *a, const struct out_fmt *f, char *buf, size_t cap)
{
	struct fmt_buf b = {buf, cap, 0};
	char line[OUT_OUTPUT_MAX + 128], t[64];
	size_t n;

	if (!f->json)
		return out_format_text(a, f->time_iso8601, buf, cap);
	fb_str(&b, "{\"hostname\":");
	fb_json_str(&b, f->hostname ? f->hostname : "", f->hostname ? strlen(f->hostname) : 0);
	if (f->json_output_prop) {
		n = out_format_text(a, f->time_iso8601, line, sizeof(line));
		fb_str(&b, ",\"output\":");
		fb_json_str(&b, line, n < sizeof(line) ? n : sizeof(line) - 1);
	}
	fb_str(&b, ",\"output_fields\":");
	fmt_json_fields(&b, a);
	fb_str(&b, ",\"priority\":");
	fb_json_str(&b, rule_priority_name(a->priority), strlen(rule_priority_name(a->priority)));
	fb_str(&b, ",\"rule\":");
	fb_json_str(&b, a->rule, strlen(a->rule));
	fb_str(&b, ",\"source\":");
	fb_json_str(&b, a->source, strlen(a->source));
	if (f->json_tags_prop) {
		const char *tg = a->tags;

		fb_str(&b, ",\"tags\":[");
		for (unsigned i = 0; i < a->ntags; i++) {
			if (i)
				fb_str(&b, ",");
			fb_json_str(&b, tg, strlen(tg));
			tg += strlen(tg) + 1;
		}
		fb_str(&b, "]");
	}
	out_time_iso8601(a->ts, t, sizeof(t));
	fb_str(&b, ",\"time\":\"");
	fb_str(&b, t);
	fb_str(&b, "\"}");
	return fb_end(&b);
}
