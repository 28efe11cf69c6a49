/*
 * pg_scn2scap.c - turn a small text scenario into a .scap capture, so tests of
 * the default rules are data: each tests/data/default_rules/NAME.scn says which
 * processes exist, which events happen and which rules must fire.
 *
 *   pg_scn2scap SCENARIO OUT.scap
 *
 * Scenario lines (# starts a comment; values may be "double quoted", with \0
 * \n \t \\ \" escapes, so a NUL-separated argument list is "-c\0id"):
 *
 *   user uid=0 gid=0 name=root home=/root shell=/bin/bash
 *   proc tid=100 pid=100 ptid=1 comm=bash exe=bash exepath=/usr/bin/bash
 *        cwd=/root args="-c\0x" uid=0 gid=0 tty=0 cgroups="cpuset=/docker/ID"
 *   evt TID NAME key=value...      an exit event of syscall NAME (current layout)
 *   evt TID NAME> key=value...     its enter event; `evt -1 container> json="..."`
 *                                  is a capture's container event (libs' JSON)
 *   expect "RULE" COUNT            read by the shell test, ignored here
 *
 * An evt line names parameters of the event table entry; unnamed ones are left
 * empty. Numbers take any C base (0644 is octal); flag parameters also take
 * their names ("O_WRONLY|O_TRUNC"); socket tuples are "1.2.3.4:5->6.7.8.9:10"
 * and socket addresses "1.2.3.4:10". Events get increasing timestamps, 1 us
 * apart. The file is written in the layout sysdig 0.29.3 reads, so the same
 * capture can be checked with `sysdig -r`.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/event_table.h"
#include "capture/capture.h"

#define SCN_MAX_TOKENS 64
#define SCN_EVT_MAX    16384

struct scn_tok {
	char *key; /* NULL for a positional token */
	char *val;
	size_t len; /* of val (may hold NULs) */
};

struct scn {
	const char *path;
	unsigned line;
	struct cap_tables t;
	struct cap_writer *w;
	const char *out;
	uint64_t ts;
};

static int scn_err(const struct scn *s, const char *msg, const char *what)
{
	fprintf(stderr, "%s:%u: %s%s%s\n", s->path, s->line, msg, what ? ": " : "",
		what ? what : "");
	return -EINVAL;
}

/* Unescape a value in place; returns its length. */
static size_t scn_unescape(char *v)
{
	char *o = v;

	for (char *p = v; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case '0':
			*o++ = '\0';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		default:
			*o++ = *p;
			break;
		}
	}
	*o = '\0';
	return (size_t)(o - v);
}

/* Split a line into tokens: word, key=word, key="quoted", "quoted". */
static int scn_split(char *p, struct scn_tok *tok, int max)
{
	int n = 0;

	for (;;) {
		char *start, *eq = NULL;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -E2BIG;
		start = p;
		while (*p && !isspace((unsigned char)*p) && *p != '"') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		tok[n].key = NULL;
		if (eq) {
			*eq = '\0';
			tok[n].key = start;
			start = eq + 1;
		}
		if (*p == '"' && start == p) {
			char *q = ++p;

			while (*p && (*p != '"' || p[-1] == '\\'))
				p++;
			if (*p != '"')
				return -EINVAL;
			*p++ = '\0';
			tok[n].val = q;
		} else {
			if (*p == '"')
				return -EINVAL;
			if (*p)
				*p++ = '\0';
			tok[n].val = start;
		}
		tok[n].len = scn_unescape(tok[n].val);
		n++;
	}
}

static const char *scn_get(struct scn_tok *tok, int n, const char *key, size_t *len)
{
	for (int i = 0; i < n; i++) {
		if (tok[i].key && strcmp(tok[i].key, key) == 0) {
			if (len)
				*len = tok[i].len;
			return tok[i].val;
		}
	}
	return NULL;
}

static uint64_t scn_num(struct scn_tok *tok, int n, const char *key, uint64_t def)
{
	const char *v = scn_get(tok, n, key, NULL);

	return v ? strtoull(v, NULL, 0) : def;
}

static char *scn_dup(struct scn_tok *tok, int n, const char *key, const char *def, uint32_t *len)
{
	size_t l;
	const char *v = scn_get(tok, n, key, &l);
	char *r;

	if (!v) {
		v = def;
		l = strlen(def);
	}
	r = malloc(l + 2);
	if (!r)
		return NULL;
	memcpy(r, v, l);
	r[l] = r[l + 1] = '\0';
	if (len)
		*len = (uint32_t)l;
	return r;
}

static int scn_user(struct scn *s, struct scn_tok *tok, int n)
{
	struct cap_user *u = realloc(s->t.users, (s->t.nusers + 1) * sizeof(*u));

	if (!u)
		return -ENOMEM;
	s->t.users = u;
	u = &u[s->t.nusers++];
	u->uid = (uint32_t)scn_num(tok, n, "uid", 0);
	u->gid = (uint32_t)scn_num(tok, n, "gid", 0);
	u->name = scn_dup(tok, n, "name", "root", NULL);
	u->home = scn_dup(tok, n, "home", "/", NULL);
	u->shell = scn_dup(tok, n, "shell", "/bin/sh", NULL);
	return u->name && u->home && u->shell ? 0 : -ENOMEM;
}

static int scn_proc(struct scn *s, struct scn_tok *tok, int n)
{
	struct cap_proc *p = realloc(s->t.procs, (s->t.nprocs + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	s->t.procs = p;
	p = &p[s->t.nprocs++];
	memset(p, 0, sizeof(*p));
	p->tid = scn_num(tok, n, "tid", 1);
	p->pid = scn_num(tok, n, "pid", p->tid);
	p->ptid = scn_num(tok, n, "ptid", 0);
	p->sid = p->vpgid = p->pgid = (int64_t)p->pid;
	p->vtid = (int64_t)p->tid;
	p->vpid = (int64_t)p->pid;
	p->comm = scn_dup(tok, n, "comm", "init", NULL);
	p->exe = scn_dup(tok, n, "exe", p->comm ? p->comm : "", NULL);
	p->exepath = scn_dup(tok, n, "exepath", "", NULL);
	p->cwd = scn_dup(tok, n, "cwd", "/", NULL);
	p->root = scn_dup(tok, n, "root", "/", NULL);
	p->args = scn_dup(tok, n, "args", "", &p->args_len);
	p->env = scn_dup(tok, n, "env", "", &p->env_len);
	p->cgroups = scn_dup(tok, n, "cgroups", "", &p->cgroups_len);
	p->fdlimit = 1024;
	p->uid = (uint32_t)scn_num(tok, n, "uid", 0);
	p->gid = (uint32_t)scn_num(tok, n, "gid", 0);
	p->loginuid = (uint32_t)scn_num(tok, n, "loginuid", UINT32_MAX);
	p->tty = (uint32_t)scn_num(tok, n, "tty", 0);
	p->cap_effective = p->cap_permitted = scn_num(tok, n, "caps", 0);
	p->has = CAP_PROC_HAS_SID | CAP_PROC_HAS_VPGID | CAP_PROC_HAS_EXEPATH | CAP_PROC_HAS_ENV |
		 CAP_PROC_HAS_NS | CAP_PROC_HAS_ROOT | CAP_PROC_HAS_LOGINUID | CAP_PROC_HAS_CAPS |
		 CAP_PROC_HAS_TTY;
	if (!p->comm || !p->exe || !p->exepath || !p->cwd || !p->root || !p->args || !p->env ||
	    !p->cgroups)
		return -ENOMEM;
	return 0;
}

/* "NAME|NAME|0x10" against a flag table; plain numbers pass through. */
static int scn_flags(const struct evt_flag_name *fl, const char *v, uint64_t *out)
{
	char buf[256], *save = NULL, *w;

	if (isdigit((unsigned char)*v) || *v == '-') {
		*out = strtoull(v, NULL, 0);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	*out = 0;
	for (w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
		const struct evt_flag_name *f = fl;

		while (f && f->name && strcmp(f->name, w) != 0)
			f++;
		if (!f || !f->name)
			return -ENOENT;
		*out |= f->value;
	}
	return 0;
}

/* "1.2.3.4:80" into address (network order) and port (host order). */
static int scn_ipport(const char *v, uint8_t addr[4], uint16_t *port)
{
	char buf[64], *c;

	snprintf(buf, sizeof(buf), "%s", v);
	c = strrchr(buf, ':');
	if (!c)
		return -EINVAL;
	*c = '\0';
	*port = (uint16_t)strtoul(c + 1, NULL, 10);
	return inet_pton(AF_INET, buf, addr) == 1 ? 0 : -EINVAL;
}

/* Encode one parameter value as the event table types it; returns its length. */
static long scn_param(const struct evt_param_info *pi, const char *v, size_t vlen, uint8_t *o)
{
	uint64_t u;
	uint16_t port, dport;
	uint8_t a[4], d[4];

	switch (pi->type) {
	case EPT_INT8:
	case EPT_UINT8:
	case EPT_SIGTYPE:
	case EPT_L4PROTO:
	case EPT_SOCKFAMILY:
	case EPT_FLAGS8:
	case EPT_ENUMFLAGS8:
		if (scn_flags(pi->flags, v, &u) < 0)
			return -ENOENT;
		*o = (uint8_t)u;
		return 1;
	case EPT_INT16:
	case EPT_UINT16:
	case EPT_SYSCALLID:
	case EPT_PORT:
	case EPT_FLAGS16:
	case EPT_ENUMFLAGS16: {
		uint16_t x;

		if (scn_flags(pi->flags, v, &u) < 0)
			return -ENOENT;
		x = (uint16_t)u;
		memcpy(o, &x, 2);
		return 2;
	}
	case EPT_INT32:
	case EPT_UINT32:
	case EPT_FLAGS32:
	case EPT_ENUMFLAGS32:
	case EPT_UID:
	case EPT_GID:
	case EPT_MODE:
	case EPT_SIGSET:
	case EPT_FD32:
	case EPT_PID32:
	case EPT_BOOL: {
		uint32_t x;

		if (scn_flags(pi->flags, v, &u) < 0)
			return -ENOENT;
		x = (uint32_t)u;
		memcpy(o, &x, 4);
		return 4;
	}
	case EPT_INT64:
	case EPT_UINT64:
	case EPT_RELTIME:
	case EPT_ABSTIME:
	case EPT_ERRNO:
	case EPT_FD:
	case EPT_PID:
		u = strtoull(v, NULL, 0);
		memcpy(o, &u, 8);
		return 8;
	case EPT_CHARBUF:
	case EPT_FSPATH:
	case EPT_FSRELPATH:
		memcpy(o, v, vlen);
		o[vlen] = '\0';
		return (long)vlen + 1;
	case EPT_BYTEBUF:
	case EPT_CHARBUFARRAY:
	case EPT_CHARBUF_PAIR_ARRAY:
		memcpy(o, v, vlen);
		if (pi->type != EPT_BYTEBUF && vlen && v[vlen - 1] != '\0')
			o[vlen++] = '\0';
		return (long)vlen;
	case EPT_SOCKADDR:
		if (scn_ipport(v, a, &port) < 0)
			return -EINVAL;
		o[0] = 2; /* PPM_AF_INET */
		memcpy(o + 1, a, 4);
		memcpy(o + 5, &port, 2);
		return 7;
	case EPT_SOCKTUPLE: {
		char buf[128], *arrow;

		snprintf(buf, sizeof(buf), "%s", v);
		arrow = strstr(buf, "->");
		if (!arrow)
			return -EINVAL;
		*arrow = '\0';
		if (scn_ipport(buf, a, &port) < 0 || scn_ipport(arrow + 2, d, &dport) < 0)
			return -EINVAL;
		o[0] = 2;
		memcpy(o + 1, a, 4);
		memcpy(o + 5, &port, 2);
		memcpy(o + 7, d, 4);
		memcpy(o + 11, &dport, 2);
		return 13;
	}
	default:
		return -ENOTSUP;
	}
}

static int scn_open_writer(struct scn *s)
{
	struct cap_machine m = {.num_cpus = 1, .memory_bytes = 1ull << 30, .max_pid = 4194304};
	struct cap_error ce;

	snprintf(m.hostname, sizeof(m.hostname), "scenario");
	s->w = cap_writer_open(s->out, CAP_WRITE_COMPAT_2022, &m, &s->t, &ce);
	if (!s->w) {
		fprintf(stderr, "%s: %s\n", s->out, ce.msg);
		return -EIO;
	}
	return 0;
}

static int scn_evt(struct scn *s, struct scn_tok *tok, int n)
{
	static uint8_t buf[SCN_EVT_MAX], data[SCN_EVT_MAX];
	uint32_t lens[EVT_MAX_PARAMS];
	const struct evt_info *inf;
	struct evt_hdr h;
	size_t dlen = 0, off;
	int type, rc;
	bool enter;

	if (n < 3 || tok[1].key || tok[2].key)
		return scn_err(s, "expected: evt TID NAME key=value...", NULL);
	enter = tok[2].len > 1 && tok[2].val[tok[2].len - 1] == '>';
	if (enter)
		tok[2].val[tok[2].len - 1] = '\0';
	type = evt_type_by_name(tok[2].val, enter);
	inf = type < 0 ? NULL : evt_info((uint16_t)type);
	if (!inf)
		return scn_err(s, "unknown event", tok[2].val);
	for (int i = 3; i < n; i++) {
		uint32_t j;

		for (j = 0; j < inf->nparams; j++)
			if (tok[i].key && strcmp(tok[i].key, inf->params[j].name) == 0)
				break;
		if (j == inf->nparams)
			return scn_err(s, "the event has no parameter",
				       tok[i].key ? tok[i].key : tok[i].val);
	}
	for (uint32_t j = 0; j < inf->nparams; j++) {
		size_t vl;
		const char *v = scn_get(tok, n, inf->params[j].name, &vl);
		long l = 0;

		if (v) {
			if (dlen + vl + 64 > sizeof(data))
				return scn_err(s, "event too large", NULL);
			l = scn_param(&inf->params[j], v, vl, data + dlen);
			if (l < 0)
				return scn_err(s, "bad value for", inf->params[j].name);
		}
		lens[j] = (uint32_t)l;
		dlen += (size_t)l;
	}
	if (!s->w && (rc = scn_open_writer(s)) < 0)
		return rc;
	{
		bool large = inf->flags & EVT_FLAG_LARGE_PAYLOAD;
		unsigned lsz = large ? 4 : 2;

		off = EVT_HDR_LEN;
		for (uint32_t j = 0; j < inf->nparams; j++) {
			memcpy(buf + off, &lens[j], lsz);
			off += lsz;
		}
	}
	memcpy(buf + off, data, dlen);
	off += dlen;
	s->ts += 1000;
	h.ts = s->ts;
	h.tid = strtoull(tok[1].val, NULL, 0);
	h.len = (uint32_t)off;
	h.type = (uint16_t)type;
	h.nparams = inf->nparams;
	memcpy(buf, &h, EVT_HDR_LEN);
	rc = cap_writer_event(s->w, 0, buf, 0);
	if (rc < 0)
		return scn_err(s, "the writer refused the event", cap_writer_error(s->w)->msg);
	return 0;
}

int main(int argc, char **argv)
{
	struct scn s = {0};
	struct scn_tok tok[SCN_MAX_TOKENS];
	char line[8192];
	FILE *f;
	int rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: pg_scn2scap SCENARIO OUT.scap\n");
		return 2;
	}
	s.path = argv[1];
	s.out = argv[2];
	s.ts = 1700000000000000000ull;
	f = fopen(s.path, "r");
	if (!f) {
		perror(s.path);
		return 2;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		int n;

		s.line++;
		n = scn_split(line, tok, SCN_MAX_TOKENS);
		if (n < 0) {
			rc = scn_err(&s, "can not split the line (quotes?)", NULL);
			break;
		}
		if (n == 0 || strcmp(tok[0].val, "expect") == 0)
			continue;
		if (s.w && strcmp(tok[0].val, "evt") != 0)
			rc = scn_err(&s, "user and proc lines must come before the events", NULL);
		else if (strcmp(tok[0].val, "user") == 0)
			rc = scn_user(&s, tok, n);
		else if (strcmp(tok[0].val, "proc") == 0)
			rc = scn_proc(&s, tok, n);
		else if (strcmp(tok[0].val, "evt") == 0)
			rc = scn_evt(&s, tok, n);
		else
			rc = scn_err(&s, "unknown line", tok[0].val);
	}
	fclose(f);
	if (rc == 0 && !s.w)
		rc = scn_open_writer(&s);
	if (cap_writer_close(s.w) < 0 && rc == 0)
		rc = -EIO;
	cap_tables_release(&s.t);
	return rc < 0 ? 1 : 0;
}
