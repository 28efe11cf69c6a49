/*
 * filter.h - the condition language front end: AST, parser and printer.
 *
 * A rule's `condition:` (and a macro's body) is written in the libs filter
 * language: checks like `proc.name in (bash, sh)` combined with and/or/not.
 * flt_parse() turns one condition string into an AST whose every node carries
 * a byte span into that string, so later stages (macro and list resolution,
 * type-checking against the field registry, compilation) can point an error at
 * file:line:col. Names are kept as written: a bare identifier in a boolean
 * position (a macro) or after a list operator (a list) is resolved later by
 * the compiler, not here.
 *
 * Memory: every node and string of one AST lives in that AST's arena and is
 * released at once by flt_ast__free(). An AST is immutable once parsed and may
 * be read from any thread.
 */
#ifndef PG_RULES_FILTER_H
#define PG_RULES_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The check operators, defined once: X(id, text, alias, kind).
 * kind: UNARY takes no value, NUM a number (or a field), STR a string (or a
 * field, or a list after a modifier), LIST a list, a list name or a field.
 * alias is a second spelling that parses to the same operator (or NULL).
 */
#define FLT_OPERATORS(X)                         \
	X(EXISTS, "exists", NULL, UNARY)         \
	X(EQ, "=", "==", STR)                    \
	X(NE, "!=", NULL, STR)                   \
	X(LT, "<", NULL, NUM)                    \
	X(LE, "<=", NULL, NUM)                   \
	X(GT, ">", NULL, NUM)                    \
	X(GE, ">=", NULL, NUM)                   \
	X(CONTAINS, "contains", NULL, STR)       \
	X(ICONTAINS, "icontains", NULL, STR)     \
	X(BCONTAINS, "bcontains", NULL, STR)     \
	X(STARTSWITH, "startswith", NULL, STR)   \
	X(BSTARTSWITH, "bstartswith", NULL, STR) \
	X(ENDSWITH, "endswith", NULL, STR)       \
	X(GLOB, "glob", NULL, STR)               \
	X(IGLOB, "iglob", NULL, STR)             \
	X(REGEX, "regex", NULL, STR)             \
	X(IN, "in", NULL, LIST)                  \
	X(INTERSECTS, "intersects", NULL, LIST)  \
	X(PMATCH, "pmatch", NULL, LIST)

enum flt_op {
#define FLT_X_(id, text, alias, kind) FLT_OP_##id,
	FLT_OPERATORS(FLT_X_)
#undef FLT_X_
		FLT_OP__COUNT
};

enum flt_op_kind {
	FLT_OPK_UNARY, /* no right-hand side */
	FLT_OPK_NUM,   /* right-hand side: a number or a transformed field */
	FLT_OPK_STR,   /* a string, a transformed field, or a list after a modifier */
	FLT_OPK_LIST,  /* a list, a list name or a transformed field */
};

/*
 * String operator modifiers (`proc.name startswith anyof (a, b)`): the check
 * is true when the operator holds for one/any/all of the list's values.
 */
#define FLT_MODIFIERS(X)  \
	X(NONE, "")       \
	X(ONEOF, "oneof") \
	X(ANYOF, "anyof") \
	X(ALLOF, "allof")

enum flt_mod {
#define FLT_X_(id, text) FLT_MOD_##id,
	FLT_MODIFIERS(FLT_X_)
#undef FLT_X_
		FLT_MOD__COUNT
};

/*
 * Field transformers, X(id, text). VAL is special: `val(field)` only names a
 * field as a right-hand side value and takes exactly one plain field.
 */
#define FLT_TRANSFORMERS(X)     \
	X(VAL, "val")           \
	X(TOLOWER, "tolower")   \
	X(TOUPPER, "toupper")   \
	X(B64, "b64")           \
	X(BASENAME, "basename") \
	X(LEN, "len")           \
	X(JOIN, "join")         \
	X(CONCAT, "concat")     \
	X(GETOPT, "getopt")

enum flt_xform {
#define FLT_X_(id, text) FLT_XF_##id,
	FLT_TRANSFORMERS(FLT_X_)
#undef FLT_X_
		FLT_XF__COUNT
};

enum flt_kind {
	FLT_AND,     /* kids: two or more operands, all must hold */
	FLT_OR,	     /* kids: two or more operands, one must hold */
	FLT_NOT,     /* operand */
	FLT_CHECK,   /* check: lhs op [mod] [rhs] */
	FLT_IDENT,   /* str: a bare name in boolean position (a macro, resolved later) */
	FLT_FIELD,   /* field: name and optional [arg] */
	FLT_XFORM,   /* xform: transformer(args...) and optional [arg] */
	FLT_VALUE,   /* str: a literal; vkind says how it was written */
	FLT_LIST,    /* kids: `(a, b)` values; in transformer arguments also fields */
	FLT_LISTREF, /* str: a bare name after a list operator or modifier (a list) */
};

/* How a FLT_VALUE was written; the compiler may treat them alike. */
enum flt_vkind {
	FLT_V_BARE,   /* bare string: bash, /etc/passwd, 5 after `=` */
	FLT_V_QUOTED, /* "..." or '...', escapes already decoded */
	FLT_V_NUMBER, /* after a numeric operator or in a transformer: 10, -1.5e+3, 0x1F */
};

/* Byte offsets into the parsed string, [start, end). */
struct flt_span {
	uint32_t start;
	uint32_t end;
};

/* A string in the AST's arena; NUL-terminated, len excludes the NUL. May hold NULs. */
struct flt_str {
	const char *s;
	uint32_t len;
};

struct flt_node;

struct flt_nodes {
	struct flt_node **v;
	uint32_t n;
};

struct flt_check {
	struct flt_node *lhs; /* FLT_FIELD or FLT_XFORM */
	enum flt_op op;
	enum flt_mod mod;
	struct flt_node *rhs; /* NULL (unary), FLT_VALUE, FLT_LIST, FLT_LISTREF, FLT_XFORM */
};

struct flt_field {
	struct flt_str name; /* proc.aname */
	struct flt_str arg;  /* 2 in proc.aname[2]; valid when has_arg */
	bool has_arg;
	bool arg_quoted; /* the argument was written quoted: proc.env["HOME"] */
};

struct flt_xform_node {
	enum flt_xform xf;
	struct flt_nodes args; /* FLT_FIELD, FLT_XFORM, FLT_VALUE or FLT_LIST (of those) */
	struct flt_str arg;    /* trailing [arg], as on a field */
	bool has_arg;
	bool arg_quoted;
};

struct flt_node {
	enum flt_kind kind;
	enum flt_vkind vkind; /* FLT_VALUE only */
	struct flt_span span;
	union {
		struct flt_nodes kids;	     /* FLT_AND, FLT_OR, FLT_LIST */
		struct flt_node *operand;    /* FLT_NOT */
		struct flt_check check;	     /* FLT_CHECK */
		struct flt_field field;	     /* FLT_FIELD */
		struct flt_xform_node xform; /* FLT_XFORM */
		struct flt_str str;	     /* FLT_IDENT, FLT_VALUE, FLT_LISTREF */
	};
};

/*
 * A parse error: what went wrong and where. span is the offending text; for
 * errors about an unclosed bracket, note_span is where it was opened (else
 * has_note is false). msg never contains a newline.
 */
struct flt_diag {
	char msg[256];
	struct flt_span span;
	struct flt_span note_span;
	bool has_note;
};

/* An AST and the arena that owns its nodes. Opaque. */
struct flt_ast;

/* Recursion limit of the parser: deeper nesting is an error, not a crash. */
#define FLT_MAX_DEPTH 100

/*
 * Parse the condition src[0..len). On success return the AST (free it with
 * flt_ast__free()). On a syntax error return NULL, set errno to EINVAL and
 * fill *diag (diag may be NULL); on allocation failure return NULL with errno
 * ENOMEM. Spans are offsets into src. Thread-safe: touches only its arguments.
 */
struct flt_ast *flt_parse(const char *src, size_t len, struct flt_diag *diag);

/* The root node of a parsed AST (never NULL for an AST flt_parse returned). */
const struct flt_node *flt_ast__root(const struct flt_ast *ast);

/* The condition text the AST was parsed from (a NUL-terminated copy). */
const char *flt_ast__source(const struct flt_ast *ast);

/* Free an AST and every node in it. NULL is fine. */
void flt_ast__free(struct flt_ast *ast);

/*
 * Constructors, for stages that build or rewrite trees (macro expansion,
 * tests). Each allocates in ast's arena and returns NULL with errno ENOMEM
 * when memory runs out. Strings are copied. Child arrays are copied too.
 */
struct flt_ast *flt_ast__new(void);
void flt_ast__set_root(struct flt_ast *ast, struct flt_node *root);
struct flt_node *flt_node__new(struct flt_ast *ast, enum flt_kind kind, struct flt_span span);
int flt_node__set_str(struct flt_ast *ast, struct flt_str *dst, const char *s, size_t len);
int flt_node__set_kids(struct flt_ast *ast, struct flt_nodes *dst, struct flt_node *const *v,
		       uint32_t n);

/*
 * Render a node back as condition text in canonical form: single spaces,
 * keywords in lower case, `=` for `==`, quoted values in double quotes, and
 * parentheses exactly where the tree needs them, so that parsing the output
 * gives the same tree. Returns a malloc'ed string (NULL + ENOMEM on failure).
 */
char *flt_node__print(const struct flt_node *node);

/* Names from the tables above ("contains", "tolower", "anyof", "and"...). */
const char *flt_op__name(enum flt_op op);
enum flt_op_kind flt_op__kind(enum flt_op op);
const char *flt_mod__name(enum flt_mod mod);
const char *flt_xform__name(enum flt_xform xf);
const char *flt_kind__name(enum flt_kind kind);

/*
 * Map a byte offset of a condition to a 1-based line and column (a tab or any
 * byte counts as one column, a newline starts a new line).
 */
void flt_offset__linecol(const char *src, size_t len, uint32_t off, uint32_t *line, uint32_t *col);

#endif /* PG_RULES_FILTER_H */
