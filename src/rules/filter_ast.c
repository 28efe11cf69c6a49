/*
 * filter_ast.c - the condition AST: its arena, constructors, names and printer.
 *
 * All nodes and strings of one AST come from a bump arena owned by the AST,
 * so parsing does one or two mallocs per condition and freeing is a walk over
 * a few chunks. The printer renders a tree back to canonical condition text;
 * tests use it to compare trees and to check that print -> parse -> print is
 * stable, and the compiler may use it to show a user what it understood.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/filter_int.h"

struct flt_chunk {
	struct flt_chunk *next;
	size_t used;
	size_t cap;
	alignas(max_align_t) unsigned char data[];
};

struct flt_ast {
	struct flt_chunk *chunks;
	struct flt_node *root;
	char *src;
	size_t src_len;
};

#define FLT_CHUNK_MIN 4096

static struct flt_chunk *chunk_new(size_t cap)
{
	struct flt_chunk *c = malloc(sizeof(*c) + cap);

	if (!c)
		return NULL;
	c->next = NULL;
	c->used = 0;
	c->cap = cap;
	return c;
}

void *flt_arena__alloc(struct flt_ast *ast, size_t size)
{
	struct flt_chunk *c = ast->chunks;
	size_t align = alignof(max_align_t);
	void *p;

	size = (size + align - 1) & ~(align - 1);
	if (!c || c->cap - c->used < size) {
		size_t cap = c ? c->cap * 2 : FLT_CHUNK_MIN;

		if (cap < size)
			cap = size;
		c = chunk_new(cap);
		if (!c) {
			errno = ENOMEM;
			return NULL;
		}
		c->next = ast->chunks;
		ast->chunks = c;
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

struct flt_ast *flt_ast__new_for(const char *src, size_t src_len)
{
	/* A node per 2-3 source bytes at worst; one chunk fits typical conditions. */
	size_t cap = src_len * 16 + 256;
	struct flt_ast *ast = calloc(1, sizeof(*ast));

	if (!ast)
		return NULL;
	if (cap < FLT_CHUNK_MIN)
		cap = FLT_CHUNK_MIN;
	ast->chunks = chunk_new(cap);
	if (!ast->chunks)
		goto out_free_ast;
	ast->src = flt_arena__alloc(ast, src_len + 1);
	if (!ast->src)
		goto out_free_ast;
	if (src_len)
		memcpy(ast->src, src, src_len);
	ast->src[src_len] = '\0';
	ast->src_len = src_len;
	return ast;

out_free_ast:
	flt_ast__free(ast);
	errno = ENOMEM;
	return NULL;
}

struct flt_ast *flt_ast__new(void)
{
	return flt_ast__new_for("", 0);
}

void flt_ast__free(struct flt_ast *ast)
{
	struct flt_chunk *c, *next;

	if (!ast)
		return;
	for (c = ast->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(ast);
}

const struct flt_node *flt_ast__root(const struct flt_ast *ast)
{
	return ast->root;
}

const char *flt_ast__source(const struct flt_ast *ast)
{
	return ast->src;
}

void flt_ast__set_root(struct flt_ast *ast, struct flt_node *root)
{
	ast->root = root;
}

struct flt_node *flt_node__new(struct flt_ast *ast, enum flt_kind kind, struct flt_span span)
{
	struct flt_node *n = flt_arena__alloc(ast, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->span = span;
	return n;
}

int flt_node__set_str(struct flt_ast *ast, struct flt_str *dst, const char *s, size_t len)
{
	char *p = flt_arena__alloc(ast, len + 1);

	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	dst->s = p;
	dst->len = (uint32_t)len;
	return 0;
}

int flt_node__set_kids(struct flt_ast *ast, struct flt_nodes *dst, struct flt_node *const *v,
		       uint32_t n)
{
	struct flt_node **p = NULL;

	if (n) {
		p = flt_arena__alloc(ast, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memcpy(p, v, n * sizeof(*p));
	}
	dst->v = p;
	dst->n = n;
	return 0;
}

static const char *const op_names[] = {
#define FLT_X_(id, text, alias, kind) text,
	FLT_OPERATORS(FLT_X_)
#undef FLT_X_
};

static const enum flt_op_kind op_kinds[] = {
#define FLT_X_(id, text, alias, kind) FLT_OPK_##kind,
	FLT_OPERATORS(FLT_X_)
#undef FLT_X_
};

static const char *const mod_names[] = {
#define FLT_X_(id, text) text,
	FLT_MODIFIERS(FLT_X_)
#undef FLT_X_
};

static const char *const xform_names[] = {
#define FLT_X_(id, text) text,
	FLT_TRANSFORMERS(FLT_X_)
#undef FLT_X_
};

const char *flt_op__name(enum flt_op op)
{
	return (unsigned)op < FLT_OP__COUNT ? op_names[op] : "?";
}

enum flt_op_kind flt_op__kind(enum flt_op op)
{
	return (unsigned)op < FLT_OP__COUNT ? op_kinds[op] : FLT_OPK_UNARY;
}

const char *flt_mod__name(enum flt_mod mod)
{
	return (unsigned)mod < FLT_MOD__COUNT ? mod_names[mod] : "?";
}

const char *flt_xform__name(enum flt_xform xf)
{
	return (unsigned)xf < FLT_XF__COUNT ? xform_names[xf] : "?";
}

const char *flt_kind__name(enum flt_kind kind)
{
	static const char *const names[] = {
		[FLT_AND] = "and",	   [FLT_OR] = "or",	  [FLT_NOT] = "not",
		[FLT_CHECK] = "check",	   [FLT_IDENT] = "ident", [FLT_FIELD] = "field",
		[FLT_XFORM] = "xform",	   [FLT_VALUE] = "value", [FLT_LIST] = "list",
		[FLT_LISTREF] = "listref",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

void flt_offset__linecol(const char *src, size_t len, uint32_t off, uint32_t *line, uint32_t *col)
{
	uint32_t l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (src[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* ---- printer ---- */

struct pbuf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
};

static void put(struct pbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct pbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/*
 * Double-quoted, escaped so that the lexer reads back the same bytes. A
 * backslash right before the closing quote would escape it (the quote ends at
 * the first one not preceded by a backslash), so a trailing one is \x5c.
 */
static void put_quoted(struct pbuf *b, const struct flt_str *str)
{
	char tmp[8];

	put(b, "\"", 1);
	for (uint32_t i = 0; i < str->len; i++) {
		unsigned char c = (unsigned char)str->s[i];

		switch (c) {
		case '"':
			put(b, "\\\"", 2);
			break;
		case '\\':
			if (i + 1 == str->len)
				put(b, "\\x5c", 4);
			else
				put(b, "\\\\", 2);
			break;
		case '\b':
			put(b, "\\b", 2);
			break;
		case '\f':
			put(b, "\\f", 2);
			break;
		case '\n':
			put(b, "\\n", 2);
			break;
		case '\r':
			put(b, "\\r", 2);
			break;
		case '\t':
			put(b, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
				puts_(b, tmp);
			} else {
				put(b, (const char *)&c, 1);
			}
		}
	}
	put(b, "\"", 1);
}

static void put_arg(struct pbuf *b, const struct flt_str *arg, bool quoted)
{
	put(b, "[", 1);
	if (quoted)
		put_quoted(b, arg);
	else
		put(b, arg->s, arg->len);
	put(b, "]", 1);
}

static void print_node(struct pbuf *b, const struct flt_node *n);

/* Parenthesize a logical child when printing it bare would change the tree. */
static void print_operand(struct pbuf *b, const struct flt_node *parent, const struct flt_node *n)
{
	bool paren =
		(n->kind == FLT_AND || n->kind == FLT_OR) &&
		(parent->kind == FLT_NOT || parent->kind == FLT_AND || n->kind == parent->kind);

	if (paren)
		put(b, "(", 1);
	print_node(b, n);
	if (paren)
		put(b, ")", 1);
}

static void print_seq(struct pbuf *b, const struct flt_nodes *kids, const char *sep)
{
	for (uint32_t i = 0; i < kids->n; i++) {
		if (i)
			puts_(b, sep);
		print_node(b, kids->v[i]);
	}
}

static void print_check(struct pbuf *b, const struct flt_check *c)
{
	print_node(b, c->lhs);
	put(b, " ", 1);
	puts_(b, flt_op__name(c->op));
	if (c->mod != FLT_MOD_NONE) {
		put(b, " ", 1);
		puts_(b, flt_mod__name(c->mod));
	}
	if (c->rhs) {
		put(b, " ", 1);
		print_node(b, c->rhs);
	}
}

static void print_node(struct pbuf *b, const struct flt_node *n)
{
	switch (n->kind) {
	case FLT_AND:
	case FLT_OR:
		for (uint32_t i = 0; i < n->kids.n; i++) {
			if (i)
				puts_(b, n->kind == FLT_AND ? " and " : " or ");
			print_operand(b, n, n->kids.v[i]);
		}
		break;
	case FLT_NOT:
		puts_(b, "not ");
		print_operand(b, n, n->operand);
		break;
	case FLT_CHECK:
		print_check(b, &n->check);
		break;
	case FLT_FIELD:
		put(b, n->field.name.s, n->field.name.len);
		if (n->field.has_arg)
			put_arg(b, &n->field.arg, n->field.arg_quoted);
		break;
	case FLT_XFORM:
		puts_(b, flt_xform__name(n->xform.xf));
		put(b, "(", 1);
		print_seq(b, &n->xform.args, ", ");
		put(b, ")", 1);
		if (n->xform.has_arg)
			put_arg(b, &n->xform.arg, n->xform.arg_quoted);
		break;
	case FLT_LIST:
		put(b, "(", 1);
		print_seq(b, &n->kids, ", ");
		put(b, ")", 1);
		break;
	case FLT_VALUE:
		if (n->vkind == FLT_V_QUOTED)
			put_quoted(b, &n->str);
		else
			put(b, n->str.s, n->str.len);
		break;
	case FLT_IDENT:
	case FLT_LISTREF:
		put(b, n->str.s, n->str.len);
		break;
	}
}

char *flt_node__print(const struct flt_node *node)
{
	struct pbuf b = {0};

	put(&b, "", 0);
	if (node)
		print_node(&b, node);
	if (b.oom) {
		free(b.s);
		errno = ENOMEM;
		return NULL;
	}
	return b.s;
}
