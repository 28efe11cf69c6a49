/*
 * filter_int.h - internals shared by the condition lexer, parser and AST code.
 *
 * The filter language is not context-free at the token level: `/etc/passwd`
 * is one bare string after `=`, `)` ends a list but is part of a field
 * argument, `5abc` is a bare string after `=` but an error after `>`. So the
 * lexer is modal: the parser says what it expects (an expression start, an
 * operator, a value...) and flt_lex() cuts the next token accordingly. The
 * lexer never allocates; quoted strings are decoded later, when the parser
 * keeps them, by flt_lex_unquote().
 */
#ifndef PG_RULES_FILTER_INT_H
#define PG_RULES_FILTER_INT_H

#include "rules/filter.h"

enum flt_lex_mode {
	FLT_LM_EXPR,	  /* ( ) words (identifier, field name) */
	FLT_LM_OP,	  /* symbol operators, words */
	FLT_LM_VALUE,	  /* right of a string operator: quoted, bare, call */
	FLT_LM_NUMBER,	  /* right of a numeric operator: number, call */
	FLT_LM_LIST,	  /* right of a list operator: ( call word */
	FLT_LM_LIST_ITEM, /* inside a value list: quoted, bare , ) */
	FLT_LM_XARG,	  /* transformer argument: number, quoted, ( call word , ) */
	FLT_LM_FIELD_ARG, /* inside [ ]: quoted, bare argument (no blanks skipped) */
};

enum flt_tok {
	FLT_T_EOF,
	FLT_T_LPAREN,
	FLT_T_RPAREN,
	FLT_T_COMMA,
	FLT_T_IDENT,  /* word without dots: macro, list, keyword, operator word */
	FLT_T_FIELD,  /* dotted word: proc.name */
	FLT_T_CALL,   /* word immediately followed by '(' (the '(' is not part of it) */
	FLT_T_OP,     /* symbol operator; tok.op says which */
	FLT_T_STRING, /* quoted string, quotes included; decode with flt_lex_unquote */
	FLT_T_BARE,   /* bare string */
	FLT_T_NUMBER,
	FLT_T_BAD_STRING, /* a quote with no closing quote */
	FLT_T_JUNK,	  /* a byte that starts no token in this mode */
};

struct flt_token {
	enum flt_tok kind;
	enum flt_op op; /* FLT_T_OP */
	uint32_t start;
	uint32_t end;
	bool blank_before; /* blanks were skipped before the token */
};

struct flt_lexer {
	const char *src;
	uint32_t len;
	uint32_t pos;
};

/* Cut the next token at lx->pos in the given mode; does not advance. */
void flt_lex(const struct flt_lexer *lx, enum flt_lex_mode mode, struct flt_token *tok);

/* Whether c is a blank between tokens (the libs set: space \t \b \r \n). */
static inline bool flt_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n';
}

/*
 * Decode the quoted string src[start, end) (quotes included) into dst, which
 * has room for end - start bytes; *dst_len gets the decoded length. Returns
 * 0, or -1 with *err_off at the bad escape, *err_msg set and *err_len the
 * length of the escape worth quoting after the message (0: none).
 */
int flt_lex_unquote(const char *src, uint32_t start, uint32_t end, char *dst, uint32_t *dst_len,
		    uint32_t *err_off, uint32_t *err_len, const char **err_msg);

/* Look up a word operator/modifier/transformer; -1 when unknown. */
int flt_op__lookup(const char *s, uint32_t len);
int flt_mod__lookup(const char *s, uint32_t len);
int flt_xform__lookup(const char *s, uint32_t len);

/* Allocate size bytes (aligned for any node) in the AST's arena; NULL on ENOMEM. */
void *flt_arena__alloc(struct flt_ast *ast, size_t size);

/* An AST whose arena is sized for a condition of src_len bytes, holding a copy of src. */
struct flt_ast *flt_ast__new_for(const char *src, size_t src_len);

#endif /* PG_RULES_FILTER_INT_H */
