/*
 * filter_parse.c - recursive-descent parser of the condition language.
 *
 * One function per production, each preceded by its grammar rule (EBNF, as in
 * libs' parser.h, whose language this accepts). Binary operators are parsed
 * by precedence climbing over the small binops[] table; a run of the same
 * operator becomes one n-ary node, and parentheses are kept in the tree's
 * shape (`a and (b and c)` stays nested) so that printing is faithful.
 *
 * Errors never unwind: the first error fills the diagnostic, sets p->failed
 * and every production returns NULL up the stack. Recursion is bounded by
 * FLT_MAX_DEPTH so hostile input cannot exhaust the stack.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/filter_int.h"

struct parser {
	struct flt_lexer lx;
	struct flt_ast *ast;
	struct flt_diag *diag;
	bool failed;
	bool nomem;
	uint32_t depth;
	uint32_t prev_start; /* the last consumed token, for "after 'x'" messages */
	uint32_t prev_end;
	struct flt_node **stk; /* operands of n-ary nodes under construction */
	uint32_t nstk;
	uint32_t capstk;
};

/* Binary operator precedence: higher binds tighter. */
static const struct {
	const char *word;
	enum flt_kind kind;
	uint8_t prec;
} binops[] = {
	{"or", FLT_OR, 1},
	{"and", FLT_AND, 2},
};

/* ---- diagnostics ---- */

/* 'text' of src[start, end), shortened, with control bytes shown as spaces. */
static const char *snip(const struct parser *p, uint32_t start, uint32_t end, char *buf,
			size_t size)
{
	const uint32_t max = 40;
	uint32_t n = end - start, k = 0;
	bool cut = n > max;

	if (start >= p->lx.len)
		return "end of condition";
	if (cut)
		n = max;
	buf[k++] = '\'';
	for (uint32_t i = 0; i < n && k + 6 < size; i++) {
		unsigned char c = (unsigned char)p->lx.src[start + i];

		buf[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	if (cut) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k++] = '\'';
	buf[k] = '\0';
	return buf;
}

static const char *tok_desc(const struct parser *p, const struct flt_token *t, char *buf,
			    size_t size)
{
	return snip(p, t->start, t->end, buf, size);
}

/* "col 5", or "line 2 col 5" when the condition spans lines. */
static const char *where(const struct parser *p, uint32_t off, char *buf, size_t size)
{
	uint32_t line, col;

	flt_offset__linecol(p->lx.src, p->lx.len, off, &line, &col);
	if (line == 1)
		snprintf(buf, size, "col %u", col);
	else
		snprintf(buf, size, "line %u col %u", line, col);
	return buf;
}

static __attribute__((format(printf, 4, 5))) void *fail(struct parser *p, uint32_t start,
							uint32_t end, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	if (p->diag) {
		va_start(ap, fmt);
		vsnprintf(p->diag->msg, sizeof(p->diag->msg), fmt, ap);
		va_end(ap);
		p->diag->span.start = start;
		p->diag->span.end = end;
		p->diag->has_note = false;
	}
	return NULL;
}

static void note(struct parser *p, uint32_t start, uint32_t end)
{
	if (p->diag) {
		p->diag->note_span.start = start;
		p->diag->note_span.end = end;
		p->diag->has_note = true;
	}
}

static void *fail_nomem(struct parser *p)
{
	p->nomem = true;
	return fail(p, 0, 0, "out of memory");
}

static void *fail_tok(struct parser *p, const struct flt_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Report "fmt, got 'tok'" - or, when tok is an unterminated string, that
 * (the more useful fact).
 */
static void *fail_tok(struct parser *p, const struct flt_token *t, const char *fmt, ...)
{
	char what[200], got[64], pos[32];
	va_list ap;

	if (t->kind == FLT_T_BAD_STRING) {
		fail(p, t->start, t->start + 1,
		     "unterminated string: no closing %c for the quote at %s", p->lx.src[t->start],
		     where(p, t->start, pos, sizeof(pos)));
		note(p, t->start, t->start + 1);
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(p, t->start, t->end, "%s, got %s", what, tok_desc(p, t, got, sizeof(got)));
}

/* "expected 'c' to close 'o' opened at col N", noting the opener. */
static void *fail_close(struct parser *p, const struct flt_token *t, const char *close,
			const char *open, uint32_t open_at)
{
	char pos[32];

	if (t->kind == FLT_T_BAD_STRING)
		return fail_tok(p, t, "-");
	fail(p, t->start, t->end, "expected '%s' to close '%s' opened at %s", close, open,
	     where(p, open_at, pos, sizeof(pos)));
	note(p, open_at, open_at + (uint32_t)strlen(open));
	return NULL;
}

/* ---- helpers ---- */

static void peek(struct parser *p, enum flt_lex_mode mode, struct flt_token *t)
{
	flt_lex(&p->lx, mode, t);
}

static void advance(struct parser *p, const struct flt_token *t)
{
	p->lx.pos = t->end;
	p->prev_start = t->start;
	p->prev_end = t->end;
}

static bool tok_is(const struct parser *p, const struct flt_token *t, const char *w)
{
	size_t n = strlen(w);

	return t->end - t->start == n && memcmp(p->lx.src + t->start, w, n) == 0;
}

static bool is_keyword(const struct parser *p, const struct flt_token *t)
{
	return (t->kind == FLT_T_IDENT || t->kind == FLT_T_CALL) &&
	       (tok_is(p, t, "and") || tok_is(p, t, "or") || tok_is(p, t, "not"));
}

static char at(const struct parser *p, uint32_t i)
{
	return i < p->lx.len ? p->lx.src[i] : '\0';
}

static bool enter(struct parser *p, uint32_t off)
{
	if (++p->depth > FLT_MAX_DEPTH) {
		fail(p, off, off + 1, "condition nested too deeply (more than %d levels)",
		     FLT_MAX_DEPTH);
		return false;
	}
	return true;
}

static void leave(struct parser *p)
{
	p->depth--;
}

static struct flt_node *node(struct parser *p, enum flt_kind kind, uint32_t start, uint32_t end)
{
	struct flt_node *n = flt_node__new(p->ast, kind, (struct flt_span){start, end});

	if (!n)
		return fail_nomem(p);
	return n;
}

static bool push(struct parser *p, struct flt_node *n)
{
	if (p->nstk == p->capstk) {
		uint32_t cap = p->capstk ? p->capstk * 2 : 64;
		struct flt_node **v = realloc(p->stk, cap * sizeof(*v));

		if (!v) {
			fail_nomem(p);
			return false;
		}
		p->stk = v;
		p->capstk = cap;
	}
	p->stk[p->nstk++] = n;
	return true;
}

/* Move stk[base..] into dst (in the arena) and pop them. */
static bool pop_into(struct parser *p, uint32_t base, struct flt_nodes *dst)
{
	/* no node pushed yet: stk is NULL, and NULL + 0 is undefined */
	int err = flt_node__set_kids(p->ast, dst, p->stk ? p->stk + base : NULL, p->nstk - base);

	p->nstk = base;
	if (err) {
		fail_nomem(p);
		return false;
	}
	return true;
}

static bool copy_str(struct parser *p, struct flt_str *dst, const struct flt_token *t)
{
	if (flt_node__set_str(p->ast, dst, p->lx.src + t->start, t->end - t->start)) {
		fail_nomem(p);
		return false;
	}
	return true;
}

/* Decode a quoted token into dst. */
static bool unquote(struct parser *p, struct flt_str *dst, const struct flt_token *t)
{
	uint32_t n, off, elen;
	const char *msg;
	char *buf = flt_arena__alloc(p->ast, t->end - t->start);

	if (!buf) {
		fail_nomem(p);
		return false;
	}
	if (flt_lex_unquote(p->lx.src, t->start, t->end, buf, &n, &off, &elen, &msg)) {
		char esc[64];

		if (elen)
			fail(p, off, off + elen, "%s %s", msg,
			     snip(p, off, off + elen, esc, sizeof(esc)));
		else
			fail(p, off, off + 2, "%s", msg);
		return false;
	}
	buf[n] = '\0';
	dst->s = buf;
	dst->len = n;
	return true;
}

/* A FLT_VALUE node from a token (quoted, bare or number). */
static struct flt_node *value(struct parser *p, const struct flt_token *t, enum flt_vkind vk)
{
	struct flt_node *n = node(p, FLT_VALUE, t->start, t->end);

	if (!n)
		return NULL;
	n->vkind = vk;
	if (!(vk == FLT_V_QUOTED ? unquote(p, &n->str, t) : copy_str(p, &n->str, t)))
		return NULL;
	advance(p, t);
	return n;
}

/* ---- productions ---- */

static struct flt_node *parse_expr(struct parser *p, int limit);
static struct flt_node *parse_xform(struct parser *p, const struct flt_token *name, bool rhs);

/*
 * FieldArg ::= '[' (QuotedStr | FieldArgBareStr) ']'      (no blanks inside)
 * Called with the cursor on '['.
 */
static bool parse_field_arg(struct parser *p, struct flt_str *arg, bool *has, bool *quoted)
{
	uint32_t open = p->lx.pos;
	struct flt_token t;

	p->lx.pos++;
	peek(p, FLT_LM_FIELD_ARG, &t);
	if (t.kind == FLT_T_STRING) {
		if (!unquote(p, arg, &t))
			return false;
		*quoted = true;
	} else if (t.kind == FLT_T_BARE) {
		if (!copy_str(p, arg, &t))
			return false;
	} else if (t.kind == FLT_T_BAD_STRING) {
		fail_tok(p, &t, "-");
		return false;
	} else {
		fail_tok(p, &t, "expected a field argument (a bare or quoted string) after '['");
		return false;
	}
	advance(p, &t);
	if (at(p, p->lx.pos) != ']') {
		peek(p, FLT_LM_FIELD_ARG, &t);
		fail_close(p, &t, "]", "[", open);
		return false;
	}
	p->lx.pos++;
	p->prev_end = p->lx.pos;
	*has = true;
	return true;
}

/* Field ::= FieldName ('[' FieldArg ']')? */
static struct flt_node *parse_field(struct parser *p, const struct flt_token *t)
{
	struct flt_node *n = node(p, FLT_FIELD, t->start, t->end);

	if (!n || !copy_str(p, &n->field.name, t))
		return NULL;
	advance(p, t);
	if (at(p, p->lx.pos) == '[' &&
	    !parse_field_arg(p, &n->field.arg, &n->field.has_arg, &n->field.arg_quoted))
		return NULL;
	n->span.end = p->prev_end;
	return n;
}

/*
 * TransformerListArg ::= Field | FieldTransformer | QuotedStr | NumValue
 * FieldTransformerArg ::= TransformerListArg | TransformerList
 */
static struct flt_node *parse_xarg(struct parser *p, const char *xf_name)
{
	struct flt_token t;

	peek(p, FLT_LM_XARG, &t);
	switch (t.kind) {
	case FLT_T_NUMBER:
		return value(p, &t, FLT_V_NUMBER);
	case FLT_T_STRING:
		return value(p, &t, FLT_V_QUOTED);
	case FLT_T_FIELD:
		return parse_field(p, &t);
	case FLT_T_CALL:
		return parse_xform(p, &t, false);
	default:
		break;
	}
	return fail_tok(p, &t,
			"expected a field, a transformer, a quoted string or a number as argument "
			"of %s",
			xf_name);
}

/* TransformerList ::= '(' ( TransformerListArg (',' TransformerListArg)* )? ')' */
static struct flt_node *parse_xlist(struct parser *p, const struct flt_token *open,
				    const char *xf_name)
{
	uint32_t base = p->nstk;
	struct flt_node *n = node(p, FLT_LIST, open->start, open->end), *item;
	struct flt_token t;

	if (!n || !enter(p, open->start))
		return NULL;
	advance(p, open);
	peek(p, FLT_LM_XARG, &t);
	if (t.kind != FLT_T_RPAREN) {
		for (;;) {
			item = parse_xarg(p, xf_name);
			if (!item || !push(p, item))
				return NULL;
			peek(p, FLT_LM_XARG, &t);
			if (t.kind != FLT_T_COMMA)
				break;
			advance(p, &t);
		}
	}
	if (t.kind != FLT_T_RPAREN)
		return fail_close(p, &t, ")", "(", open->start);
	advance(p, &t);
	if (!pop_into(p, base, &n->kids))
		return NULL;
	n->span.end = t.end;
	leave(p);
	return n;
}

/*
 * FieldTransformer     ::= FieldTransformerType FieldTransformerTail
 * FieldTransformerTail ::= FieldTransformerArg (',' FieldTransformerArg)* ')' ('[' FieldArg ']')?
 * FieldTransformerVal  ::= 'val(' Field ')' ('[' FieldArg ']')?
 *
 * name is a FLT_T_CALL token: a word with '(' right after it. val() is only
 * allowed where rhs is true, and takes exactly one plain field.
 */
static struct flt_node *parse_xform(struct parser *p, const struct flt_token *name, bool rhs)
{
	char nm[64];
	int xf = flt_xform__lookup(p->lx.src + name->start, name->end - name->start);
	uint32_t base = p->nstk;
	struct flt_node *n, *arg;
	struct flt_token t;

	snip(p, name->start, name->end, nm, sizeof(nm));
	if (xf < 0)
		return fail(p, name->start, name->end, "unknown field transformer %s", nm);
	if (xf == FLT_XF_VAL && !rhs)
		return fail(p, name->start, name->end,
			    "'val()' is only allowed as the value on the right of an operator");
	n = node(p, FLT_XFORM, name->start, name->end);
	if (!n || !enter(p, name->start))
		return NULL;
	n->xform.xf = (enum flt_xform)xf;
	advance(p, name);
	p->lx.pos++; /* the '(' */
	if (xf == FLT_XF_VAL) {
		peek(p, FLT_LM_EXPR, &t);
		if (t.kind != FLT_T_FIELD)
			return fail_tok(p, &t, "expected a field name inside 'val()'");
		arg = parse_field(p, &t);
		if (!arg || !push(p, arg))
			return NULL;
		peek(p, FLT_LM_XARG, &t);
	} else {
		for (;;) {
			peek(p, FLT_LM_XARG, &t);
			arg = t.kind == FLT_T_LPAREN ? parse_xlist(p, &t, nm) : parse_xarg(p, nm);
			if (!arg || !push(p, arg))
				return NULL;
			peek(p, FLT_LM_XARG, &t);
			if (t.kind != FLT_T_COMMA)
				break;
			advance(p, &t);
		}
	}
	if (t.kind != FLT_T_RPAREN) {
		char opened[80];

		snprintf(opened, sizeof(opened), "%s(", flt_xform__name(n->xform.xf));
		fail_close(p, &t, ")", opened, name->start);
		return NULL;
	}
	advance(p, &t);
	if (!pop_into(p, base, &n->xform.args))
		return NULL;
	if (at(p, p->lx.pos) == '[' &&
	    !parse_field_arg(p, &n->xform.arg, &n->xform.has_arg, &n->xform.arg_quoted))
		return NULL;
	n->span.end = p->prev_end;
	leave(p);
	return n;
}

/* ListValue ::= '(' (StrValue (',' StrValue)*)? ')' */
static struct flt_node *parse_list(struct parser *p, const struct flt_token *open)
{
	uint32_t base = p->nstk;
	struct flt_node *n = node(p, FLT_LIST, open->start, open->end), *item;
	struct flt_token t;

	if (!n)
		return NULL;
	advance(p, open);
	peek(p, FLT_LM_LIST_ITEM, &t);
	if (t.kind != FLT_T_RPAREN) {
		for (;;) {
			if (t.kind == FLT_T_STRING)
				item = value(p, &t, FLT_V_QUOTED);
			else if (t.kind == FLT_T_BARE)
				item = value(p, &t, FLT_V_BARE);
			else if (p->prev_end == open->end)
				item = fail_tok(p, &t, "expected a value or ')' after '('");
			else
				item = fail_tok(p, &t, "expected a value after ','");
			if (!item || !push(p, item))
				return NULL;
			peek(p, FLT_LM_LIST_ITEM, &t);
			if (t.kind != FLT_T_COMMA)
				break;
			advance(p, &t);
			peek(p, FLT_LM_LIST_ITEM, &t);
		}
	}
	if (t.kind != FLT_T_RPAREN)
		return fail_close(p, &t, ")", "(", open->start);
	advance(p, &t);
	if (!pop_into(p, base, &n->kids))
		return NULL;
	n->span.end = t.end;
	return n;
}

/*
 * ListValue ::= '(' ... ')' | Identifier
 * ListOperand ::= ListValue | FieldTransformerOrVal     (when xform is true)
 */
static struct flt_node *parse_list_value(struct parser *p, const struct flt_token *op, bool xform)
{
	char opname[64];
	struct flt_token t;
	struct flt_node *n;

	peek(p, FLT_LM_LIST, &t);
	if (t.kind == FLT_T_LPAREN)
		return parse_list(p, &t);
	if (t.kind == FLT_T_CALL && xform)
		return parse_xform(p, &t, true);
	if (t.kind == FLT_T_IDENT && !is_keyword(p, &t)) {
		n = node(p, FLT_LISTREF, t.start, t.end);
		if (!n || !copy_str(p, &n->str, &t))
			return NULL;
		advance(p, &t);
		return n;
	}
	return fail_tok(p, &t, "expected a list '(...)' or a list name after %s",
			snip(p, op->start, op->end, opname, sizeof(opname)));
}

/* Whether `oneof`/`anyof`/`allof` at t starts a modifier: a blank, then a list. */
static int modifier_at(struct parser *p, const struct flt_token *t)
{
	struct flt_lexer save = p->lx;
	struct flt_token next;
	int mod;

	if (t->kind != FLT_T_BARE)
		return -1;
	mod = flt_mod__lookup(p->lx.src + t->start, t->end - t->start);
	if (mod < 0 || !flt_is_blank(at(p, t->end)))
		return -1;
	p->lx.pos = t->end;
	peek(p, FLT_LM_LIST, &next);
	p->lx = save;
	if (next.kind == FLT_T_LPAREN || (next.kind == FLT_T_IDENT && !is_keyword(p, &next)))
		return mod;
	return -1;
}

/*
 * Condition ::= UnaryOperator
 *             | NumOperator (NumValue | FieldTransformerOrVal)
 *             | StrOperator (StrValue | FieldTransformerOrVal)
 *             | StrOperator StrOperatorModifier ListValue
 *             | ListOperator (ListValue | FieldTransformerOrVal)
 */
static struct flt_node *parse_condition(struct parser *p, struct flt_node *lhs)
{
	char buf[64], opname[64];
	struct flt_node *n = node(p, FLT_CHECK, lhs->span.start, lhs->span.end), *rhs = NULL;
	struct flt_token t, op;
	enum flt_vkind vk;
	int o, mod;

	if (!n)
		return NULL;
	n->check.lhs = lhs;
	peek(p, FLT_LM_OP, &op);
	o = op.kind == FLT_T_OP ? (int)op.op : -1;
	if ((op.kind == FLT_T_IDENT || op.kind == FLT_T_CALL) && !is_keyword(p, &op)) {
		o = flt_op__lookup(p->lx.src + op.start, op.end - op.start);
		if (o < 0)
			return fail(p, op.start, op.end, "unknown operator %s",
				    tok_desc(p, &op, buf, sizeof(buf)));
	}
	if (o < 0)
		return fail_tok(p, &op, "expected an operator after %s",
				snip(p, lhs->span.start, lhs->span.end, buf, sizeof(buf)));
	tok_desc(p, &op, opname, sizeof(opname));
	n->check.op = (enum flt_op)o;
	advance(p, &op);

	switch (flt_op__kind(n->check.op)) {
	case FLT_OPK_UNARY:
		break;
	case FLT_OPK_NUM:
		peek(p, FLT_LM_NUMBER, &t);
		if (t.kind == FLT_T_CALL)
			rhs = parse_xform(p, &t, true);
		else if (t.kind == FLT_T_NUMBER)
			rhs = value(p, &t, FLT_V_NUMBER);
		else
			return fail_tok(p, &t, "expected a number after %s", opname);
		break;
	case FLT_OPK_STR:
		if (op.kind != FLT_T_OP && op.end < p->lx.len && !flt_is_blank(at(p, op.end)))
			return fail(p, op.end, op.end + 1, "expected a blank after %s", opname);
		peek(p, FLT_LM_VALUE, &t);
		mod = t.blank_before ? modifier_at(p, &t) : -1;
		if (mod > 0) {
			n->check.mod = (enum flt_mod)mod;
			advance(p, &t);
			rhs = parse_list_value(p, &t, false);
		} else if (t.kind == FLT_T_CALL) {
			rhs = parse_xform(p, &t, true);
		} else if (t.kind == FLT_T_STRING || t.kind == FLT_T_BARE) {
			vk = t.kind == FLT_T_STRING ? FLT_V_QUOTED : FLT_V_BARE;
			rhs = value(p, &t, vk);
		} else {
			return fail_tok(p, &t, "expected a value after %s", opname);
		}
		break;
	case FLT_OPK_LIST:
		rhs = parse_list_value(p, &op, true);
		break;
	}
	if (p->failed)
		return NULL;
	n->check.rhs = rhs;
	n->span.end = p->prev_end;
	return n;
}

/*
 * Check ::= '(' Expr ')'
 *         | Field Condition
 *         | FieldTransformer Condition
 *         | Identifier
 */
static struct flt_node *parse_check(struct parser *p)
{
	char buf[64];
	struct flt_token t, close;
	struct flt_node *n;

	peek(p, FLT_LM_EXPR, &t);
	switch (t.kind) {
	case FLT_T_LPAREN:
		if (!enter(p, t.start))
			return NULL;
		advance(p, &t);
		n = parse_expr(p, 0);
		if (!n)
			return NULL;
		peek(p, FLT_LM_EXPR, &close);
		if (close.kind != FLT_T_RPAREN)
			return fail_close(p, &close, ")", "(", t.start);
		advance(p, &close);
		leave(p);
		return n;
	case FLT_T_FIELD:
		n = parse_field(p, &t);
		return n ? parse_condition(p, n) : NULL;
	case FLT_T_CALL:
		if (is_keyword(p, &t))
			break;
		n = parse_xform(p, &t, false);
		return n ? parse_condition(p, n) : NULL;
	case FLT_T_IDENT:
		if (is_keyword(p, &t))
			break;
		n = node(p, FLT_IDENT, t.start, t.end);
		if (!n || !copy_str(p, &n->str, &t))
			return NULL;
		advance(p, &t);
		return n;
	default:
		break;
	}
	if (p->prev_end == 0 && t.kind == FLT_T_EOF)
		return fail(p, t.start, t.end, "empty condition");
	if (p->prev_end == 0)
		return fail_tok(p, &t, "expected a condition");
	return fail_tok(p, &t, "expected a condition after %s",
			snip(p, p->prev_start, p->prev_end, buf, sizeof(buf)));
}

/*
 * NotExpr     ::= ('not' blank)* NotExprTail
 * NotExprTail ::= 'not(' Expr ')' | Check
 */
static struct flt_node *parse_unary(struct parser *p)
{
	struct flt_token t;
	struct flt_node *n, *operand;
	char c;

	peek(p, FLT_LM_EXPR, &t);
	if ((t.kind != FLT_T_IDENT && t.kind != FLT_T_CALL) || !tok_is(p, &t, "not"))
		return parse_check(p);
	c = at(p, t.end);
	if (t.end < p->lx.len && !flt_is_blank(c) && c != '(')
		return fail(p, t.end, t.end + 1, "expected a blank or '(' after 'not'");
	if (!enter(p, t.start))
		return NULL;
	advance(p, &t);
	operand = parse_unary(p);
	if (!operand)
		return NULL;
	n = node(p, FLT_NOT, t.start, operand->span.end);
	if (!n)
		return NULL;
	n->operand = operand;
	leave(p);
	return n;
}

/* The binops[] entry the token is, or -1. */
static int binop_at(const struct parser *p, const struct flt_token *t)
{
	if (t->kind != FLT_T_IDENT && t->kind != FLT_T_CALL)
		return -1;
	for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (tok_is(p, t, binops[i].word))
			return (int)i;
	return -1;
}

/*
 * Expr    ::= OrExpr
 * OrExpr  ::= AndExpr ('or' AndExpr)*
 * AndExpr ::= NotExpr ('and' NotExpr)*
 *
 * As precedence climbing: Expr(limit) ::= NotExpr (binop Expr(prec(binop)))*
 * for binops binding tighter than limit; 'and'/'or' must be followed by a
 * blank or '('.
 */
static struct flt_node *parse_expr(struct parser *p, int limit)
{
	struct flt_node *left, *right = NULL, *n;
	struct flt_token t;
	uint32_t base;
	int b, first;
	char c;

	if (!enter(p, p->lx.pos))
		return NULL;
	left = parse_unary(p);
	if (!left)
		return NULL;
	for (;;) {
		peek(p, FLT_LM_EXPR, &t);
		first = binop_at(p, &t);
		if (first < 0 || binops[first].prec <= limit)
			break;
		base = p->nstk;
		if (!push(p, left))
			return NULL;
		while ((b = binop_at(p, &t)) == first) {
			c = at(p, t.end);
			if (t.end < p->lx.len && !flt_is_blank(c) && c != '(')
				return fail(p, t.end, t.end + 1,
					    "expected a blank or '(' after '%s'", binops[b].word);
			advance(p, &t);
			right = parse_expr(p, binops[b].prec);
			if (!right || !push(p, right))
				return NULL;
			peek(p, FLT_LM_EXPR, &t);
		}
		n = node(p, binops[first].kind, left->span.start, right->span.end);
		if (!n || !pop_into(p, base, &n->kids))
			return NULL;
		left = n;
	}
	leave(p);
	return left;
}

struct flt_ast *flt_parse(const char *src, size_t len, struct flt_diag *diag)
{
	struct parser p = {.lx = {.src = src, .len = (uint32_t)len}, .diag = diag};
	struct flt_node *root;
	struct flt_token t;
	const char *nul;
	char buf[64];

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (len >= UINT32_MAX) {
		fail(&p, 0, 0, "condition too long");
		errno = EINVAL;
		return NULL;
	}
	nul = memchr(src, '\0', len);
	if (nul) {
		/* libs reads conditions as C strings; a NUL byte can only be a mistake. */
		fail(&p, (uint32_t)(nul - src), (uint32_t)(nul - src) + 1, "NUL byte in condition");
		errno = EINVAL;
		return NULL;
	}
	p.ast = flt_ast__new_for(src, len);
	if (!p.ast)
		return NULL;
	/* Spans and messages refer to the arena copy, which is NUL-terminated. */
	p.lx.src = flt_ast__source(p.ast);
	root = parse_expr(&p, 0);
	if (root) {
		peek(&p, FLT_LM_EXPR, &t);
		if (t.kind == FLT_T_RPAREN)
			fail(&p, t.start, t.end, "unbalanced ')': no '(' to close");
		else if (t.kind != FLT_T_EOF)
			fail_tok(&p, &t, "expected 'and', 'or' or end of condition after %s",
				 snip(&p, p.prev_start, p.prev_end, buf, sizeof(buf)));
	}
	free(p.stk);
	if (p.failed) {
		flt_ast__free(p.ast);
		errno = p.nomem ? ENOMEM : EINVAL;
		return NULL;
	}
	flt_ast__set_root(p.ast, root);
	return p.ast;
}
