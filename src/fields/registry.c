/*
 * registry.c - the field registry as data, name resolution, value rendering
 * and the --list-fields printer.
 *
 * Everything here is generated from FLD_REGISTRY (fields.h): the table, the
 * lookup and the listing. Lookup is a linear scan over ~130 names; it runs at
 * compile time only, never per event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fields/fields.h"

const struct fld_def fld_registry[FLD__COUNT] = {
#define FLD_X_(id, name, type, argk, flags, desc) \
	[FLD_##id] = { FLD_##id, name, FLD_T_##type, FLD_ARG_##argk, flags, desc },
	FLD_REGISTRY(FLD_X_)
#undef FLD_X_
};

static const char *const fld_type_names[FLD_T__COUNT] = {
#define FLD_X_(id, libs) [FLD_T_##id] = libs,
	FLD_TYPES(FLD_X_)
#undef FLD_X_
};

const char *fld_type__name(enum fld_type t)
{
	return (unsigned)t < FLD_T__COUNT ? fld_type_names[t] : "?";
}

const struct fld_def *fld_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < FLD__COUNT; i++) {
		const char *n = fld_registry[i].name;

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &fld_registry[i];
	}
	return NULL;
}

/* Does any event table entry have a parameter called @key? */
static bool evt_param_name_known(const char *key, size_t len)
{
	uint32_t t, p;

	for (t = 0; t < evt_table_size; t++) {
		const struct evt_info *info = evt_info((uint16_t)t);

		if (!info)
			continue;
		for (p = 0; p < info->nparams; p++) {
			const char *n = info->params[p].name;

			if (n && strlen(n) == len && memcmp(n, key, len) == 0)
				return true;
		}
	}
	return false;
}

/* A non-negative decimal index; -1 when @s is not one. */
static int64_t parse_index(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The registry entry @name names, exact or as "<field>.<key>" for keyed fields. */
static const struct fld_def *find_def(const char *name, size_t len, const char **key,
				      size_t *key_len)
{
	const struct fld_def *d = fld_lookup(name, len), *best = NULL;
	size_t i, best_len = 0;

	*key = NULL;
	*key_len = 0;
	if (d)
		return d;
	for (i = 0; i < FLD__COUNT; i++) {
		const struct fld_def *c = &fld_registry[i];
		size_t n = strlen(c->name);

		if (c->argk != FLD_ARG_KEY && c->argk != FLD_ARG_KEY_OPT)
			continue;
		if (n + 1 < len && memcmp(c->name, name, n) == 0 && name[n] == '.' && n > best_len) {
			best = c;
			best_len = n;
		}
	}
	if (best) {
		*key = name + best_len + 1;
		*key_len = len - best_len - 1;
	}
	return best;
}

int fld_resolve(const char *name, size_t name_len, const char *arg, size_t arg_len, bool has_arg,
		struct fld_ref *out, const char **msg)
{
	const char *key;
	size_t key_len;
	const struct fld_def *d = find_def(name, name_len, &key, &key_len);

	memset(out, 0, sizeof(*out));
	out->idx = -1;
	if (!d) {
		*msg = "unknown field";
		return -ENOENT;
	}
	out->def = d;
	if (key && has_arg) {
		*msg = "a field takes either a .name or an [argument], not both";
		return -EINVAL;
	}
	switch (d->argk) {
	case FLD_ARG_NONE:
		if (has_arg) {
			*msg = "this field does not take an argument";
			return -EINVAL;
		}
		return 0;
	case FLD_ARG_INDEX:
	case FLD_ARG_INDEX_OPT:
		if (!has_arg) {
			if (d->argk == FLD_ARG_INDEX) {
				*msg = "this field requires an argument, e.g. [0]";
				return -EINVAL;
			}
			return 0;
		}
		out->idx = parse_index(arg, arg_len);
		if (out->idx < 0) {
			*msg = "the argument of this field must be a non-negative number";
			return -EINVAL;
		}
		out->has_arg = true;
		return 0;
	case FLD_ARG_KEY:
	case FLD_ARG_KEY_OPT:
		if (has_arg) {
			key = arg;
			key_len = arg_len;
		}
		if (!key) {
			if (d->argk == FLD_ARG_KEY) {
				*msg = "this field requires an argument, e.g. .name or [0]";
				return -EINVAL;
			}
			return 0;
		}
		if (key_len == 0) {
			*msg = "empty field argument";
			return -EINVAL;
		}
		out->has_arg = true;
		if (d->id == FLD_EVT_ARG || d->id == FLD_EVT_RAWARG) {
			if (has_arg) {
				out->idx = parse_index(key, key_len);
				if (out->idx < 0) {
					*msg = "the [argument] of evt.arg must be a parameter number";
					return -EINVAL;
				}
				return 0;
			}
			if (!evt_param_name_known(key, key_len)) {
				*msg = "no event has a parameter of this name";
				return -EINVAL;
			}
		}
		out->key = key;
		out->key_len = (uint32_t)key_len;
		return 0;
	case FLD_ARG_INDEX_OR_GLOB:
		if (!has_arg) {
			*msg = "this field requires a number or a path glob, e.g. [0] or [/proc*]";
			return -EINVAL;
		}
		if (arg_len == 0) {
			*msg = "empty field argument";
			return -EINVAL;
		}
		out->has_arg = true;
		out->idx = parse_index(arg, arg_len);
		if (out->idx < 0) {
			out->key = arg;
			out->key_len = (uint32_t)arg_len;
		}
		return 0;
	}
	*msg = "bad field";
	return -EINVAL;
}

/* ---- IP addresses ---- */

int fld_ip_parse(const char *s, size_t len, bool net, struct fld_ip *out)
{
	char buf[64];
	const char *slash;
	size_t alen = len;
	long prefix = -1;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	slash = memchr(buf, '/', len);
	if (slash) {
		char *end;

		if (!net)
			return -EINVAL;
		alen = (size_t)(slash - buf);
		buf[alen] = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || prefix < 0)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, out->a) == 1) {
		out->family = AF_INET;
		if (prefix > 32)
			return -EINVAL;
		out->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->a) == 1) {
		out->family = AF_INET6;
		if (prefix > 128)
			return -EINVAL;
		out->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
		return 0;
	}
	return -EINVAL;
}

bool fld_ip_in_net(const struct fld_ip *ip, const struct fld_ip *net)
{
	unsigned bits = net->prefix, i;

	if (ip->family != net->family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8) {
		if (ip->a[i] != net->a[i])
			return false;
	}
	if (bits) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		if ((ip->a[i] & mask) != (net->a[i] & mask))
			return false;
	}
	return true;
}

/* ---- rendering ---- */

static size_t put(char *buf, size_t cap, size_t at, const char *s, size_t n)
{
	if (at < cap) {
		size_t room = cap - at - 1;

		memcpy(buf + at, s, n < room ? n : room);
		buf[at + (n < room ? n : room)] = 0;
	}
	return at + n;
}

/* A string value: control characters escaped (\n \r \t, else \xNN), so
 * that a value from a hostile process (a file name, a command line, a
 * process name) cannot end an alert's line and forge the next one in a
 * line-based sink; every other byte as it is. */
static size_t put_str(char *buf, size_t cap, size_t at, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	for (;; s++) {
		unsigned char c = (unsigned char)*s;
		char e[4] = {'\\', 0, 0, 0};
		size_t n = 2;

		if (c >= 0x20 && c != 0x7f)
			continue;
		at = put(buf, cap, at, run, (size_t)(s - run));
		if (!c)
			return at;
		run = s + 1;
		if (c == '\n' || c == '\r' || c == '\t') {
			e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else {
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			n = 4;
		}
		at = put(buf, cap, at, e, n);
	}
}

static size_t render_one(enum fld_type t, const struct fld_value *v, char *buf, size_t cap,
			 size_t at)
{
	char tmp[64];
	int n = 0;

	switch (t) {
	case FLD_T_STR:
		return put_str(buf, cap, at, v->str.s);
	case FLD_T_BYTES: {
		uint32_t i;

		for (i = 0; i < v->str.len; i++) {
			char c = v->str.s[i];

			c = (c >= 32 && c < 127) ? c : '.';
			at = put(buf, cap, at, &c, 1);
		}
		return at;
	}
	case FLD_T_S16:
	case FLD_T_S32:
	case FLD_T_S64:
		n = snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		break;
	case FLD_T_U32:
	case FLD_T_U64:
	case FLD_T_PORT:
	case FLD_T_RELTIME:
	case FLD_T_ABSTIME:
		n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v->u);
		break;
	case FLD_T_BOOL:
		n = snprintf(tmp, sizeof(tmp), "%s", v->b ? "true" : "false");
		break;
	case FLD_T_DOUBLE:
		n = snprintf(tmp, sizeof(tmp), "%.2f", v->d);
		break;
	case FLD_T_IPADDR:
	case FLD_T_IPNET:
		if (!inet_ntop(v->ip.family, v->ip.a, tmp, sizeof(tmp)))
			tmp[0] = 0;
		n = (int)strlen(tmp);
		if (t == FLD_T_IPNET)
			n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, "/%u", v->ip.prefix);
		break;
	case FLD_T__COUNT:
		break;
	}
	return put(buf, cap, at, tmp, (size_t)n);
}

size_t fld_vals__render(const struct fld_vals *vals, char *buf, size_t cap)
{
	size_t at = 0;
	uint32_t i;

	if (cap)
		buf[0] = 0;
	if (!vals || vals->n == 0)
		return put(buf, cap, 0, "<NA>", 4);
	for (i = 0; i < vals->n; i++) {
		if (i)
			at = put(buf, cap, at, " ", 1);
		at = render_one(vals->type, &vals->v[i], buf, cap, at);
	}
	return at;
}

/* ---- listing ---- */

struct fld_class {
	const char *prefix, *title, *desc;
};

static const struct fld_class fld_classes[] = {
#define FLD_X_(prefix, title, desc) { prefix, title, desc },
	FLD_CLASSES(FLD_X_)
#undef FLD_X_
};

/* How --list-fields writes a field's argument. */
static const char *arg_hint(enum fld_argk k)
{
	switch (k) {
	case FLD_ARG_NONE:
		return "";
	case FLD_ARG_KEY:
		return ".NAME|[N]";
	case FLD_ARG_KEY_OPT:
		return "[NAME]";
	case FLD_ARG_INDEX_OR_GLOB:
		return "[N|GLOB]";
	default:
		return "[N]";
	}
}

static bool in_class(const struct fld_def *d, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(d->name, prefix, n) == 0 && d->name[n] == '.';
}

/* Print @text wrapped at 100 columns, continuation lines indented by @indent. */
static void print_wrapped(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		const char *sp = p;
		size_t w;

		while (*sp && *sp != ' ')
			sp++;
		w = (size_t)(sp - p);
		if (col > indent && col + (int)w > 100) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		fwrite(p, 1, w, f);
		col += (int)w;
		p = sp;
		if (*p == ' ') {
			fputc(' ', f);
			col++;
			p++;
		}
	}
	fputc('\n', f);
}

void fld_list_print(void *file, bool verbose)
{
	FILE *f = file;
	const char *last_title = NULL;
	size_t c, i;

	for (c = 0; c < sizeof(fld_classes) / sizeof(fld_classes[0]); c++) {
		if (!last_title || strcmp(last_title, fld_classes[c].title) != 0) {
			fprintf(f, "%s-------------------------------\n", last_title ? "\n" : "");
			fprintf(f, "%-30s%s\n", "Field Class:", fld_classes[c].title);
			fprintf(f, "%-30s", "Description:");
			print_wrapped(f, fld_classes[c].desc, 30, 30);
			fputc('\n', f);
			last_title = fld_classes[c].title;
		}
		for (i = 0; i < FLD__COUNT; i++) {
			const struct fld_def *d = &fld_registry[i];
			char name[96];

			if (!in_class(d, fld_classes[c].prefix))
				continue;
			snprintf(name, sizeof(name), "%s%s", d->name, arg_hint(d->argk));
			if (verbose)
				fprintf(f, "%-30s(%s) ", name, fld_type__name(d->type));
			else
				fprintf(f, "%-30s", name);
			if (strlen(name) >= 30)
				fprintf(f, "\n%30s", "");
			print_wrapped(f, d->desc, 30, 30);
		}
	}
}
