/*
 * filter_lex.c - the modal lexer of the condition language.
 *
 * The parser asks for the next token in a mode (what the grammar allows at
 * that point, see enum flt_lex_mode); flt_lex() skips blanks and cuts one
 * token without consuming it, so the parser can peek and decide. Token classes
 * follow libs' lexical rules (userspace/libsinsp/filter/parser.cpp) so that
 * the same conditions are accepted:
 *
 *   identifier   [a-zA-Z][a-zA-Z0-9_]*
 *   field name   identifier ('.' identifier)+
 *   bare string  [^()"'[:space:]=,]+
 *   field arg    [^][\"'[:space:]]+ (bare) or a quoted string, no blanks
 *   number       [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?  or  0[xX][0-9a-fA-F]+
 *   quoted       "..." or '...': ends at the first quote of its kind that is
 *                not preceded by a backslash; escapes are decoded afterwards
 *                by flt_lex_unquote() (\b \f \n \r \t \\ \/ \" \' \xHH, and
 *                libs' legacy "\ " which yields a single backslash).
 */
#include <string.h>

#include "rules/filter_int.h"
#include "lib/ascii.h"

static const char *const op_text[] = {
#define FLT_X_(id, text, alias, kind) text,
	FLT_OPERATORS(FLT_X_)
#undef FLT_X_
};

static const char *const op_alias[] = {
#define FLT_X_(id, text, alias, kind) alias,
	FLT_OPERATORS(FLT_X_)
#undef FLT_X_
};

static const char *const mod_text[] = {
#define FLT_X_(id, text) text,
	FLT_MODIFIERS(FLT_X_)
#undef FLT_X_
};

static const char *const xform_text[] = {
#define FLT_X_(id, text) text,
	FLT_TRANSFORMERS(FLT_X_)
#undef FLT_X_
};

static bool word_is(const char *s, uint32_t len, const char *w)
{
	return w && strlen(w) == len && memcmp(s, w, len) == 0;
}

int flt_op__lookup(const char *s, uint32_t len)
{
	for (int i = 0; i < FLT_OP__COUNT; i++)
		if (word_is(s, len, op_text[i]) || word_is(s, len, op_alias[i]))
			return i;
	return -1;
}

int flt_mod__lookup(const char *s, uint32_t len)
{
	for (int i = 1; i < FLT_MOD__COUNT; i++)
		if (word_is(s, len, mod_text[i]))
			return i;
	return -1;
}

int flt_xform__lookup(const char *s, uint32_t len)
{
	for (int i = 0; i < FLT_XF__COUNT; i++)
		if (word_is(s, len, xform_text[i]))
			return i;
	return -1;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

/* [[:space:]] of the POSIX classes libs' regexes use. */
static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_bare(char c)
{
	return !is_space(c) && c != '(' && c != ')' && c != '"' && c != '\'' && c != '=' &&
	       c != ',';
}

static bool is_field_arg(char c)
{
	return !is_space(c) && c != '[' && c != ']' && c != '"' && c != '\'';
}

static bool is_hex(char c)
{
	return ascii_hexval(c) >= 0;
}

/* Length of an identifier at i (0 if none). */
static uint32_t scan_ident(const struct flt_lexer *lx, uint32_t i)
{
	uint32_t j = i;

	if (j >= lx->len || !is_alpha(lx->src[j]))
		return 0;
	while (j < lx->len && is_ident(lx->src[j]))
		j++;
	return j - i;
}

/* identifier ('.' identifier)*: returns the end, sets *dotted. */
static uint32_t scan_word(const struct flt_lexer *lx, uint32_t i, bool *dotted)
{
	uint32_t j = i + scan_ident(lx, i), n;

	*dotted = false;
	while (j < lx->len && lx->src[j] == '.' && (n = scan_ident(lx, j + 1)) > 0) {
		j += 1 + n;
		*dotted = true;
	}
	return j;
}

static uint32_t scan_while(const struct flt_lexer *lx, uint32_t i, bool (*pred)(char))
{
	while (i < lx->len && pred(lx->src[i]))
		i++;
	return i;
}

/* A number at i: returns its end, or i when there is none. */
static uint32_t scan_number(const struct flt_lexer *lx, uint32_t i)
{
	const char *s = lx->src;
	uint32_t n = lx->len, j = i, k;

	if (j + 2 < n && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X') && is_hex(s[j + 2]))
		return scan_while(lx, j + 2, is_hex);
	if (j < n && (s[j] == '+' || s[j] == '-'))
		j++;
	if (j >= n || !is_digit(s[j]))
		return i;
	j = scan_while(lx, j, is_digit);
	if (j < n && s[j] == '.')
		j = scan_while(lx, j + 1, is_digit);
	if (j + 2 < n && (s[j] == 'e' || s[j] == 'E') && (s[j + 1] == '+' || s[j + 1] == '-') &&
	    is_digit(s[j + 2])) {
		k = scan_while(lx, j + 2, is_digit);
		j = k;
	}
	return j;
}

/* A quoted string starting at i: FLT_T_STRING or FLT_T_BAD_STRING. */
static void scan_quoted(const struct flt_lexer *lx, uint32_t i, struct flt_token *tok)
{
	char q = lx->src[i];

	tok->start = i;
	for (uint32_t j = i + 1; j < lx->len; j++) {
		if (lx->src[j] == q && lx->src[j - 1] != '\\') {
			tok->kind = FLT_T_STRING;
			tok->end = j + 1;
			return;
		}
	}
	tok->kind = FLT_T_BAD_STRING;
	tok->end = lx->len;
}

static void set_tok(struct flt_token *tok, enum flt_tok kind, uint32_t start, uint32_t end)
{
	tok->kind = kind;
	tok->start = start;
	tok->end = end;
}

/* Punctuation and quotes common to most modes; returns true when it cut a token. */
static bool lex_common(const struct flt_lexer *lx, uint32_t i, struct flt_token *tok)
{
	if (i >= lx->len) {
		set_tok(tok, FLT_T_EOF, lx->len, lx->len);
		return true;
	}
	switch (lx->src[i]) {
	case '(':
		set_tok(tok, FLT_T_LPAREN, i, i + 1);
		return true;
	case ')':
		set_tok(tok, FLT_T_RPAREN, i, i + 1);
		return true;
	case ',':
		set_tok(tok, FLT_T_COMMA, i, i + 1);
		return true;
	case '"':
	case '\'':
		scan_quoted(lx, i, tok);
		return true;
	}
	return false;
}

/* A word at i: FLT_T_CALL when '(' follows at once, else FLT_T_IDENT/FIELD. */
static bool lex_word(const struct flt_lexer *lx, uint32_t i, struct flt_token *tok)
{
	bool dotted;
	uint32_t end;

	if (!is_alpha(lx->src[i]))
		return false;
	end = scan_word(lx, i, &dotted);
	if (!dotted && end < lx->len && lx->src[end] == '(')
		set_tok(tok, FLT_T_CALL, i, end);
	else
		set_tok(tok, dotted ? FLT_T_FIELD : FLT_T_IDENT, i, end);
	return true;
}

/* A bare string at i, or one junk byte. */
static void lex_bare_or_junk(const struct flt_lexer *lx, uint32_t i, struct flt_token *tok)
{
	uint32_t end = scan_while(lx, i, is_bare);

	if (end > i)
		set_tok(tok, FLT_T_BARE, i, end);
	else
		set_tok(tok, FLT_T_JUNK, i, i + 1);
}

static const char *const sym_ops[] = {"<=", ">=", "==", "!=", "<", ">", "="};

static bool lex_sym_op(const struct flt_lexer *lx, uint32_t i, struct flt_token *tok)
{
	for (size_t k = 0; k < sizeof(sym_ops) / sizeof(sym_ops[0]); k++) {
		uint32_t n = strlen(sym_ops[k]);

		if (i + n <= lx->len && memcmp(lx->src + i, sym_ops[k], n) == 0) {
			set_tok(tok, FLT_T_OP, i, i + n);
			tok->op = (enum flt_op)flt_op__lookup(sym_ops[k], n);
			return true;
		}
	}
	return false;
}

/* Right of a numeric operator: a number must not run on into a bare string. */
static void lex_number_value(const struct flt_lexer *lx, uint32_t i, struct flt_token *tok)
{
	uint32_t end = scan_number(lx, i);

	if (end > i && (end >= lx->len || !is_bare(lx->src[end])))
		set_tok(tok, FLT_T_NUMBER, i, end);
	else
		lex_bare_or_junk(lx, i, tok);
}

void flt_lex(const struct flt_lexer *lx, enum flt_lex_mode mode, struct flt_token *tok)
{
	uint32_t i = lx->pos;

	if (mode != FLT_LM_FIELD_ARG)
		while (i < lx->len && flt_is_blank(lx->src[i]))
			i++;
	tok->blank_before = i != lx->pos;
	tok->op = FLT_OP_EXISTS;

	if (mode == FLT_LM_FIELD_ARG) {
		uint32_t end;

		if (i >= lx->len) {
			set_tok(tok, FLT_T_EOF, i, i);
		} else if (lx->src[i] == '"' || lx->src[i] == '\'') {
			scan_quoted(lx, i, tok);
		} else {
			end = scan_while(lx, i, is_field_arg);
			set_tok(tok, end > i ? FLT_T_BARE : FLT_T_JUNK, i, end > i ? end : i + 1);
		}
		return;
	}
	if (lex_common(lx, i, tok))
		return;

	switch (mode) {
	case FLT_LM_OP:
		if (lex_sym_op(lx, i, tok) || lex_word(lx, i, tok))
			return;
		break;
	case FLT_LM_NUMBER:
		if (is_alpha(lx->src[i]) && lex_word(lx, i, tok) && tok->kind == FLT_T_CALL)
			return;
		lex_number_value(lx, i, tok);
		return;
	case FLT_LM_XARG:
		if (scan_number(lx, i) > i) {
			lex_number_value(lx, i, tok);
			return;
		}
		if (lex_word(lx, i, tok))
			return;
		break;
	case FLT_LM_VALUE:
		if (is_alpha(lx->src[i]) && lex_word(lx, i, tok) && tok->kind == FLT_T_CALL)
			return;
		break;
	case FLT_LM_EXPR:
	case FLT_LM_LIST:
		if (lex_word(lx, i, tok))
			return;
		break;
	case FLT_LM_LIST_ITEM:
	case FLT_LM_FIELD_ARG:
		break;
	}
	lex_bare_or_junk(lx, i, tok);
}

int flt_lex_unquote(const char *src, uint32_t start, uint32_t end, char *dst, uint32_t *dst_len,
		    uint32_t *err_off, uint32_t *err_len, const char **err_msg)
{
	char q = src[start];
	uint32_t n = 0;

	for (uint32_t i = start + 1; i + 1 < end; i++) {
		char c = src[i];

		if (c != '\\') {
			dst[n++] = c;
			continue;
		}
		*err_off = i;
		*err_len = 0;
		if (i + 2 >= end) {
			*err_msg = "unterminated escape sequence";
			return -1;
		}
		c = src[++i];
		switch (c) {
		case 'b':
			dst[n++] = '\b';
			break;
		case 'f':
			dst[n++] = '\f';
			break;
		case 'n':
			dst[n++] = '\n';
			break;
		case 'r':
			dst[n++] = '\r';
			break;
		case 't':
			dst[n++] = '\t';
			break;
		case ' ': /* libs keeps "\ " for old rules: it means a backslash */
		case '\\':
			dst[n++] = '\\';
			break;
		case '/':
			dst[n++] = '/';
			break;
		case '"':
		case '\'':
			if (c != q) {
				*err_msg = c == '"' ? "invalid escape \\\" in a '-quoted string"
						    : "invalid escape \\' in a \"-quoted string";
				return -1;
			}
			dst[n++] = c;
			break;
		case 'x':
			if (i + 2 >= end - 1) {
				*err_msg = "truncated hex escape: \\x needs two hex digits";
				return -1;
			}
			if (!is_hex(src[i + 1]) || !is_hex(src[i + 2])) {
				*err_msg = "invalid hex escape (two hex digits expected):";
				*err_len = 4;
				return -1;
			}
			dst[n++] = (char)(ascii_hexval(src[i + 1]) * 16 + ascii_hexval(src[i + 2]));
			i += 2;
			break;
		default:
			*err_msg = "unsupported escape sequence";
			*err_len = 2;
			return -1;
		}
	}
	*dst_len = n;
	return 0;
}
