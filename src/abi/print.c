/*
 * print.c - render one event parameter as text, the way `capture cat` and
 * alert outputs show it.
 *
 * The parameter's table entry says how: its type picks the decoding, its
 * print format picks decimal, hex or octal, its flag table turns bit sets and
 * enum values into names. Everything is bounds-checked against the
 * parameter's length, since the bytes may come from a hostile capture; a
 * value too short for its type prints as "<NA>". Like snprintf, the output
 * is truncated to the buffer but the wanted length is returned.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "event_table.h"

struct sbuf {
	char *buf;
	size_t cap;
	size_t len; /* wanted length, may exceed cap */
};

static void put_mem(struct sbuf *s, const char *p, size_t n)
{
	if (s->len < s->cap) {
		size_t room = s->cap - s->len;

		memcpy(s->buf + s->len, p, n < room ? n : room);
	}
	s->len += n;
}

static void put_str(struct sbuf *s, const char *p)
{
	put_mem(s, p, strlen(p));
}

__attribute__((format(printf, 2, 3))) static void put_fmt(struct sbuf *s, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_mem(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static uint64_t ld(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n); /* little-endian host, as the format */
	return v;
}

static int64_t sext(uint64_t v, uint32_t n)
{
	if (n >= 8)
		return (int64_t)v;
	if (v & (1ull << (n * 8 - 1)))
		v |= ~0ull << (n * 8);
	return (int64_t)v;
}

/* Bytes up to the first NUL (or the whole parameter), non-printables as \xNN. */
static void put_bytes(struct sbuf *s, const uint8_t *p, uint32_t n, bool stop_at_nul)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == 0 && stop_at_nul)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			put_mem(s, (const char *)&c, 1);
		else if (c == '\\')
			put_str(s, "\\\\");
		else
			put_fmt(s, "\\x%02x", c);
	}
}

static void put_num(struct sbuf *s, uint64_t v, int64_t sv, bool is_signed, enum evt_pfmt fmt)
{
	switch (fmt) {
	case EPF_HEX:
		put_fmt(s, "0x%" PRIx64, v);
		break;
	case EPF_OCT:
		put_fmt(s, "0%" PRIo64, v);
		break;
	case EPF_10_PADDED_DEC:
		put_fmt(s, "%010" PRIu64, v);
		break;
	default:
		if (is_signed)
			put_fmt(s, "%" PRId64, sv);
		else
			put_fmt(s, "%" PRIu64, v);
	}
}

static void put_flags(struct sbuf *s, const struct evt_flag_name *f, uint32_t v)
{
	uint32_t left = v;
	bool any = false;

	for (; f->name; f++) {
		/* Multi-bit values (O_RDWR) come first in the tables; a bit is
		 * named once, so O_RDWR is not also O_WRONLY|O_RDONLY. */
		if (f->value == 0 || (left & f->value) != f->value)
			continue;
		if (any)
			put_str(s, "|");
		put_str(s, f->name);
		left &= ~f->value;
		any = true;
	}
	if (left) {
		put_fmt(s, "%s0x%x", any ? "|" : "", left);
		any = true;
	}
	if (!any)
		put_str(s, "0");
}

static const char *flag_zero_name(const struct evt_flag_name *f)
{
	for (; f->name; f++)
		if (f->value == 0)
			return f->name;
	return NULL;
}

static void put_enum(struct sbuf *s, const struct evt_flag_name *f, uint32_t v)
{
	for (; f && f->name; f++) {
		if (f->value == v) {
			put_str(s, f->name);
			return;
		}
	}
	put_fmt(s, "%u", v);
}

static void put_ipv4(struct sbuf *s, const uint8_t *p)
{
	put_fmt(s, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

static void put_ipv6(struct sbuf *s, const uint8_t *p)
{
	char tmp[INET6_ADDRSTRLEN];

	if (inet_ntop(AF_INET6, p, tmp, sizeof(tmp)))
		put_str(s, tmp);
}

#define PPM_AF_UNIX 1
#define PPM_AF_INET 2
#define PPM_AF_INET6 10

static void put_sockaddr(struct sbuf *s, const uint8_t *p, uint32_t n)
{
	if (n < 1)
		return;
	switch (p[0]) {
	case PPM_AF_INET:
		if (n < 7)
			break;
		put_ipv4(s, p + 1);
		put_fmt(s, ":%u", (unsigned)ld(p + 5, 2));
		return;
	case PPM_AF_INET6:
		if (n < 19)
			break;
		put_ipv6(s, p + 1);
		put_fmt(s, ":%u", (unsigned)ld(p + 17, 2));
		return;
	case PPM_AF_UNIX:
		put_bytes(s, p + 1, n - 1, true);
		return;
	}
	put_fmt(s, "family %u", p[0]);
}

static void put_socktuple(struct sbuf *s, const uint8_t *p, uint32_t n)
{
	if (n < 1)
		return;
	switch (p[0]) {
	case PPM_AF_INET:
		if (n < 13)
			break;
		put_ipv4(s, p + 1);
		put_fmt(s, ":%u->", (unsigned)ld(p + 5, 2));
		put_ipv4(s, p + 7);
		put_fmt(s, ":%u", (unsigned)ld(p + 11, 2));
		return;
	case PPM_AF_INET6:
		if (n < 37)
			break;
		put_ipv6(s, p + 1);
		put_fmt(s, ":%u->", (unsigned)ld(p + 17, 2));
		put_ipv6(s, p + 19);
		put_fmt(s, ":%u", (unsigned)ld(p + 35, 2));
		return;
	case PPM_AF_UNIX:
		if (n < 17)
			break;
		put_fmt(s, "%" PRIx64 "->%" PRIx64 " ", ld(p + 1, 8), ld(p + 9, 8));
		put_bytes(s, p + 17, n - 17, true);
		return;
	}
	put_fmt(s, "family %u", p[0]);
}

static void put_fdlist(struct sbuf *s, const uint8_t *p, uint32_t n)
{
	uint32_t cnt, i;

	if (n < 2)
		return;
	cnt = (uint32_t)ld(p, 2);
	for (i = 0; i < cnt && 2 + (i + 1) * 10 <= n; i++) {
		const uint8_t *q = p + 2 + i * 10;

		put_fmt(s, "%s%" PRId64 ":%u", i ? " " : "", (int64_t)ld(q, 8), (unsigned)ld(q + 8, 2));
	}
}

/* NUL-separated strings, shown space-separated. */
static void put_strarray(struct sbuf *s, const uint8_t *p, uint32_t n)
{
	uint32_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != 0)
			continue;
		if (start)
			put_str(s, " ");
		put_bytes(s, p + start, i - start, false);
		start = i + 1;
	}
	if (start < n) {
		if (start)
			put_str(s, " ");
		put_bytes(s, p + start, n - start, false);
	}
}

static void put_value(struct sbuf *s, const struct evt_param_info *pi, enum evt_ptype t,
		      enum evt_pfmt fmt, const uint8_t *p, uint32_t n, int depth);

/* Size of the numeric types put_fixed() prints; addresses are printed by
 * their own code even though their size is fixed too. */
static uint32_t fixed_size(enum evt_ptype t)
{
	return t == EPT_IPV4ADDR || t == EPT_IPV6ADDR ? 0 : evt_ptype_size(t);
}

static bool is_signed_type(enum evt_ptype t)
{
	return t == EPT_INT8 || t == EPT_INT16 || t == EPT_INT32 || t == EPT_INT64 ||
	       t == EPT_ERRNO || t == EPT_FD || t == EPT_PID || t == EPT_FD32 || t == EPT_PID32;
}

static void put_fixed(struct sbuf *s, const struct evt_param_info *pi, enum evt_ptype t,
		      enum evt_pfmt fmt, const uint8_t *p, uint32_t n)
{
	uint32_t want = fixed_size(t);
	uint64_t v;
	int64_t sv;

	if (n != want) {
		put_str(s, "<NA>");
		return;
	}
	v = ld(p, n);
	sv = sext(v, n);
	switch (t) {
	case EPT_ERRNO:
		put_fmt(s, "%" PRId64, sv);
		if (sv < 0 && sv > -4096) {
			const char *name = strerrorname_np((int)-sv);

			put_fmt(s, "(%s)", name ? name : "E?");
		}
		return;
	case EPT_SIGTYPE: {
		const char *name = sigabbrev_np((int)v);

		put_fmt(s, "%u", (unsigned)v);
		if (name)
			put_fmt(s, "(SIG%s)", name);
		return;
	}
	case EPT_FLAGS8: case EPT_FLAGS16: case EPT_FLAGS32:
		if (pi && pi->flags) {
			const char *zero = v ? NULL : flag_zero_name(pi->flags);

			if (zero)
				put_str(s, zero);
			else
				put_flags(s, pi->flags, (uint32_t)v);
			return;
		}
		break;
	case EPT_ENUMFLAGS8: case EPT_ENUMFLAGS16: case EPT_ENUMFLAGS32:
		if (pi && pi->flags) {
			put_enum(s, pi->flags, (uint32_t)v);
			return;
		}
		break;
	case EPT_MODE:
		put_fmt(s, "0%" PRIo64, v);
		return;
	case EPT_DOUBLE: {
		double d;

		memcpy(&d, p, sizeof(d));
		put_fmt(s, "%g", d);
		return;
	}
	default:
		break;
	}
	put_num(s, v, sv, is_signed_type(t), fmt);
}

static void put_value(struct sbuf *s, const struct evt_param_info *pi, enum evt_ptype t,
		      enum evt_pfmt fmt, const uint8_t *p, uint32_t n, int depth)
{
	if (fixed_size(t)) {
		put_fixed(s, pi, t, fmt, p, n);
		return;
	}
	switch (t) {
	case EPT_CHARBUF: case EPT_FSPATH: case EPT_FSRELPATH:
		put_bytes(s, p, n, true);
		return;
	case EPT_SOCKADDR:
		put_sockaddr(s, p, n);
		return;
	case EPT_SOCKTUPLE:
		put_socktuple(s, p, n);
		return;
	case EPT_FDLIST:
		put_fdlist(s, p, n);
		return;
	case EPT_CHARBUFARRAY: case EPT_CHARBUF_PAIR_ARRAY:
		put_strarray(s, p, n);
		return;
	case EPT_IPV4ADDR:
		if (n == 4)
			put_ipv4(s, p);
		else
			put_str(s, "<NA>");
		return;
	case EPT_IPV6ADDR:
		if (n == 16)
			put_ipv6(s, p);
		else
			put_str(s, "<NA>");
		return;
	case EPT_DYN:
		/* First byte: which type follows (pi->dyn); one level only. */
		if (pi && pi->dyn && n >= 1 && p[0] < pi->ndyn && depth == 0) {
			const struct evt_param_info *d = &pi->dyn[p[0]];

			put_value(s, d, d->type, d->fmt, p + 1, n - 1, depth + 1);
			return;
		}
		put_bytes(s, p, n, false);
		return;
	default:
		put_bytes(s, p, n, false);
		return;
	}
}

size_t evt_print_param(const struct evt *ev, uint32_t i, char *buf, size_t cap)
{
	struct sbuf s = { buf, cap ? cap - 1 : 0, 0 };
	const struct evt_param_info *pi = NULL;

	if (ev && i < ev->nparams) {
		if (ev->info && i < ev->info->nparams)
			pi = &ev->info->params[i];
		if (pi)
			put_value(&s, pi, pi->type, pi->fmt, ev->param[i], ev->plen[i], 0);
		else /* appended by a newer producer: no type known */
			put_bytes(&s, ev->param[i], ev->plen[i], false);
	}
	if (cap)
		buf[s.len < s.cap ? s.len : s.cap] = '\0';
	return s.len;
}
