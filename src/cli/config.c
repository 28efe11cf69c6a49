/*
 * config.c - load peregrine.yaml (libyaml document API) and -o overrides
 * into struct cfg, driven by the one key list CFG_KEYS in config.h.
 *
 * The YAML tree is walked with the dotted path of each mapping key; a path
 * that is a key of the list is parsed by its type, a path that is a prefix
 * of some key is descended into, anything else is an unknown key reported at
 * its file:line. Values are checked where they are read (a priority name, a
 * partition mode) so that bad values are reported at their position too.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cli/config.h"
#include "lib/utf8.h"
#include "rules/rules.h"

enum cfg_type { CFG_T_BOOL, CFG_T_U32, CFG_T_U64, CFG_T_DBL, CFG_T_STR, CFG_T_STRS };

struct cfg_key {
	const char *path;
	enum cfg_type type;
	size_t off;
	const char *def;
};

static const struct cfg_key cfg_keys[] = {
#define CFG_X(path, type, field, def) {path, CFG_T_##type, offsetof(struct cfg, field), def},
	CFG_KEYS(CFG_X)
#undef CFG_X
};
#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static void cfg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void strs_free(struct cfg_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int strs_add(struct cfg_strs *s, const char *v, size_t len)
{
	char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	s->v = nv;
	nv[s->n] = strndup(v, len);
	if (!nv[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

/* "a, b,c" -> three entries (a sequence given on the command line). */
static int strs_parse_csv(struct cfg_strs *s, const char *v)
{
	strs_free(s);
	while (*v) {
		const char *e = strchr(v, ',');
		size_t len = e ? (size_t)(e - v) : strlen(v);
		const char *b = v;

		while (len && (*b == ' ' || *b == '[')) {
			b++;
			len--;
		}
		while (len && (b[len - 1] == ' ' || b[len - 1] == ']'))
			len--;
		if (len && strs_add(s, b, len) < 0)
			return -ENOMEM;
		if (!e)
			break;
		v = e + 1;
	}
	return 0;
}

static const struct cfg_key *cfg_find(const char *path)
{
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_keys[i].path, path) == 0)
			return &cfg_keys[i];
	return NULL;
}

/* true when @path followed by '.' starts some key. */
static bool cfg_is_prefix(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (strncmp(cfg_keys[i].path, path, n) == 0 && cfg_keys[i].path[n] == '.')
			return true;
	return false;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const t[] = {"true", "yes", "on", "1"};
	static const char *const f[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* Values with a fixed vocabulary, checked when set. NULL when fine. */
static const char *cfg_check_value(const struct cfg_key *k, const char *v)
{
	enum rule_priority p;

	if (strcmp(k->path, "priority") == 0 && rule_priority_parse(v, &p) < 0)
		return "expected a priority (emergency, alert, critical, error, warning, notice, "
		       "informational, debug)";
	if (strcmp(k->path, "rule_matching") == 0 && strcmp(v, "first") && strcmp(v, "all"))
		return "expected first or all";
	if (strcmp(k->path, "engine.partition") == 0 && strcmp(v, "tgid") && strcmp(v, "tid") &&
	    strcmp(v, "cpu"))
		return "expected tgid, tid or cpu";
	if (strcmp(k->path, "engine.probe_hook") == 0 && strcmp(v, "raw") && strcmp(v, "syscall"))
		return "expected raw or syscall";
	if (strcmp(k->path, "syscall_event_drops.actions") == 0 && strcmp(v, "ignore") &&
	    strcmp(v, "log") && strcmp(v, "alert") && strcmp(v, "exit"))
		return "expected actions among ignore, log, alert, exit";
	return NULL;
}

/* Set key @k from scalar @v. NULL or what is wrong. */
static const char *cfg_set_scalar(struct cfg *c, const struct cfg_key *k, const char *v)
{
	void *f = (char *)c + k->off;
	const char *why = cfg_check_value(k, v);
	uint64_t u;
	char *end;

	if (why && k->type != CFG_T_STRS)
		return why;
	switch (k->type) {
	case CFG_T_BOOL:
		return parse_bool(v, f) < 0 ? "expected true or false" : NULL;
	case CFG_T_U32:
		if (parse_u64(v, UINT32_MAX, &u) < 0)
			return "expected a number from 0 to 4294967295";
		*(uint32_t *)f = (uint32_t)u;
		return NULL;
	case CFG_T_U64:
		if (parse_u64(v, UINT64_MAX, &u) < 0)
			return "expected a non-negative number";
		*(uint64_t *)f = u;
		return NULL;
	case CFG_T_DBL: {
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (errno || !*v || *end || !isfinite(d))
			return "expected a number";
		*(double *)f = d;
		return NULL;
	}
	case CFG_T_STR: {
		char *s = strdup(v);

		if (!s)
			return "out of memory";
		free(*(char **)f);
		*(char **)f = s;
		return NULL;
	}
	case CFG_T_STRS: {
		/* parsed and checked aside: a refused list leaves the old one */
		struct cfg_strs l = {0};

		if (strs_parse_csv(&l, v) < 0) {
			strs_free(&l);
			return "out of memory";
		}
		for (size_t i = 0; i < l.n; i++)
			if ((why = cfg_check_value(k, l.v[i]))) {
				strs_free(&l);
				return why;
			}
		strs_free(f);
		*(struct cfg_strs *)f = l;
		return NULL;
	}
	}
	return "bad key type";
}

int cfg_init(struct cfg *c)
{
	char err[128];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CFG_NKEYS; i++)
		if (cfg_keys[i].def && cfg_set_scalar(c, &cfg_keys[i], cfg_keys[i].def)) {
			cfg_err(err, sizeof(err), "default of %s", cfg_keys[i].path);
			cfg_free(c);
			return -ENOMEM;
		}
	return 0;
}

void cfg_free(struct cfg *c)
{
	for (size_t i = 0; i < CFG_NKEYS; i++) {
		void *f = (char *)c + cfg_keys[i].off;

		if (cfg_keys[i].type == CFG_T_STR) {
			free(*(char **)f);
			*(char **)f = NULL;
		} else if (cfg_keys[i].type == CFG_T_STRS) {
			strs_free(f);
		}
	}
}

/* ---- YAML ---- */

struct cfg_walk {
	struct cfg *c;
	yaml_document_t *doc;
	const char *name;
	char *err;
	size_t errlen;
};

static int walk_value(struct cfg_walk *w, const char *path, yaml_node_t *n)
{
	const struct cfg_key *k = cfg_find(path);
	unsigned line = (unsigned)n->start_mark.line + 1;
	const char *why;

	if (!k) {
		cfg_err(w->err, w->errlen, "%s:%u: unknown key '%s'", w->name, line, path);
		return -EINVAL;
	}
	if (k->type == CFG_T_STRS && n->type == YAML_SEQUENCE_NODE) {
		struct cfg_strs *s = (struct cfg_strs *)((char *)w->c + k->off);
		struct cfg_strs l = {0}; /* built aside: a refused list leaves the old one */

		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(w->doc, *it);

			if (!e || e->type != YAML_SCALAR_NODE) {
				cfg_err(w->err, w->errlen, "%s:%u: %s: expected a list of strings",
					w->name, line, path);
				strs_free(&l);
				return -EINVAL;
			}
			if ((why = cfg_check_value(k, (const char *)e->data.scalar.value))) {
				cfg_err(w->err, w->errlen, "%s:%u: %s: %s", w->name,
					(unsigned)e->start_mark.line + 1, path, why);
				strs_free(&l);
				return -EINVAL;
			}
			if (strs_add(&l, (const char *)e->data.scalar.value,
				     e->data.scalar.length) < 0) {
				strs_free(&l);
				return -ENOMEM;
			}
		}
		strs_free(s);
		*s = l;
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE) {
		cfg_err(w->err, w->errlen, "%s:%u: %s: expected a single value", w->name, line, path);
		return -EINVAL;
	}
	why = cfg_set_scalar(w->c, k, (const char *)n->data.scalar.value);
	if (why) {
		cfg_err(w->err, w->errlen, "%s:%u: %s: '%s': %s", w->name, line, path,
			(const char *)n->data.scalar.value, why);
		return -EINVAL;
	}
	return 0;
}

static int walk_map(struct cfg_walk *w, const char *prefix, yaml_node_t *n)
{
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		char path[256];
		int rc;

		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			cfg_err(w->err, w->errlen, "%s:%u: expected a key", w->name,
				k ? (unsigned)k->start_mark.line + 1 : 0);
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 (const char *)k->data.scalar.value);
		if (v->type == YAML_MAPPING_NODE && !cfg_find(path) && cfg_is_prefix(path))
			rc = walk_map(w, path, v);
		else if (!cfg_find(path)) {
			cfg_err(w->err, w->errlen, "%s:%u: unknown key '%s'", w->name,
				(unsigned)k->start_mark.line + 1, path);
			return -EINVAL;
		} else
			rc = walk_value(w, path, v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cfg_load_string(struct cfg *c, const char *name, const char *text, size_t len, char *err,
		    size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct cfg_walk w = {c, &doc, name, err, errlen};
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		cfg_err(err, errlen, "%s:%u:%u: %s", name, (unsigned)parser.problem_mark.line + 1,
			(unsigned)parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE)
		rc = walk_map(&w, "", root);
	else if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
		cfg_err(err, errlen, "%s:%u: expected a mapping of keys", name,
			(unsigned)root->start_mark.line + 1);
		rc = -EINVAL;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int rc;

	if (!f) {
		rc = -errno;
		cfg_err(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	rc = cfg_load_string(c, path, buf ? buf : "", len, err, errlen);
	free(buf);
	return rc;
}

int cfg_set(struct cfg *c, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	const struct cfg_key *k;
	char path[256];
	const char *why;

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(path)) {
		cfg_err(err, errlen, "-o %s: expected key=value", kv);
		return -EINVAL;
	}
	memcpy(path, kv, (size_t)(eq - kv));
	path[eq - kv] = '\0';
	k = cfg_find(path);
	if (!k) {
		cfg_err(err, errlen, "-o %s: unknown key '%s'", kv, path);
		return -EINVAL;
	}
	why = cfg_set_scalar(c, k, eq + 1);
	if (why) {
		cfg_err(err, errlen, "-o %s: %s", kv, why);
		return -EINVAL;
	}
	return 0;
}

int cfg_check(struct cfg *c, char *err, size_t errlen)
{
	enum rule_priority p;

	if (rule_priority_parse(c->priority, &p) < 0) {
		cfg_err(err, errlen, "priority: '%s' is not a priority", c->priority);
		return -EINVAL;
	}
	c->min_priority = (int)p;
	c->match_all = strcmp(c->rule_matching, "all") == 0;
	if (c->sed_threshold < 0 || c->sed_threshold > 1) {
		cfg_err(err, errlen, "syscall_event_drops.threshold: %g is not between 0 and 1",
			c->sed_threshold);
		return -EINVAL;
	}
	if (c->file_enabled && !*c->file_name) {
		cfg_err(err, errlen, "file_output.enabled: file_output.filename is empty");
		return -EINVAL;
	}
	if (c->program_enabled && !*c->program) {
		cfg_err(err, errlen, "program_output.enabled: program_output.program is empty");
		return -EINVAL;
	}
	if (c->http_enabled && !*c->http_url) {
		cfg_err(err, errlen, "http_output.enabled: http_output.url is empty");
		return -EINVAL;
	}
	if (c->metrics_port == 0 || c->metrics_port > 65535) {
		cfg_err(err, errlen, "metrics.listen_port: %u is not a port", c->metrics_port);
		return -EINVAL;
	}
	if (c->workers > 64) {
		cfg_err(err, errlen, "engine.workers: %u is more than 64", c->workers);
		return -EINVAL;
	}
	return 0;
}

/* @s as a YAML double-quoted scalar. Characters YAML allows in a file go
 * as they are; '"', '\\' and the others are escaped (\xNN, \uNNNN), so
 * the output always loads. A byte that is not UTF-8 has no YAML spelling:
 * it is written \xNN, which loads as the character U+00NN. */
static void print_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);

	fputc('"', f);
	while (s < end) {
		uint32_t u;
		size_t n = utf8_seq(s, (size_t)(end - s), &u);
		long cp = n ? (long)u : -1;

		if (!n)
			n = 1;
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp < 0)
			fprintf(f, "\\x%02x", *s);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\x%02lx", cp);
		else if ((cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
			 cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
			fprintf(f, "\\u%04lx", cp); /* not printable, or a line break */
		else
			fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

/* The shortest of %.15g / %.17g that reads back as @v. */
static void print_dbl(FILE *f, double v)
{
	char b[64];

	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	fputs(b, f);
}

/* The value of key @k in @c, after "name:" (a sequence on the lines below
 * at @ind + 2). */
static void print_value(FILE *f, const struct cfg *c, const struct cfg_key *k, int ind)
{
	const void *v = (const char *)c + k->off;
	const struct cfg_strs *ss;

	switch (k->type) {
	case CFG_T_BOOL:
		fprintf(f, " %s\n", *(const bool *)v ? "true" : "false");
		return;
	case CFG_T_U32:
		fprintf(f, " %u\n", *(const uint32_t *)v);
		return;
	case CFG_T_U64:
		fprintf(f, " %llu\n", (unsigned long long)*(const uint64_t *)v);
		return;
	case CFG_T_DBL:
		fputc(' ', f);
		print_dbl(f, *(const double *)v);
		fputc('\n', f);
		return;
	case CFG_T_STR:
		fputc(' ', f);
		print_str(f, *(char *const *)v);
		fputc('\n', f);
		return;
	case CFG_T_STRS:
		ss = v;
		if (!ss->n) {
			fputs(" []\n", f);
			return;
		}
		fputc('\n', f);
		for (size_t i = 0; i < ss->n; i++) {
			fprintf(f, "%*s- ", ind + 2, "");
			print_str(f, ss->v[i]);
			fputc('\n', f);
		}
		return;
	}
}

void cfg_print(const struct cfg *c, FILE *f)
{
	const char *prev = "";

	for (size_t i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *p = k->path, *q = prev, *dot;
		bool alias = false;
		int ind = 0;

		for (size_t j = 0; j < i; j++)
			alias |= cfg_keys[j].off == k->off; /* rules_file: printed once */
		if (alias)
			continue;
		/* skip the parent mappings this key shares with the previous one
		 * (CFG_KEYS keeps the keys of a mapping together) */
		while ((dot = strchr(p, '.')) && strncmp(p, q, (size_t)(dot - p + 1)) == 0) {
			q += dot - p + 1;
			p = dot + 1;
			ind += 2;
		}
		while ((dot = strchr(p, '.'))) {
			fprintf(f, "%*s%.*s:\n", ind, "", (int)(dot - p), p);
			p = dot + 1;
			ind += 2;
		}
		fprintf(f, "%*s%s:", ind, "", p);
		print_value(f, c, k, ind);
		prev = k->path;
	}
}
