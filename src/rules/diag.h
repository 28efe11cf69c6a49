/*
 * diag.h - located diagnostics: errors and warnings that point at file:line:col.
 *
 * Every stage that reads user input (the rules-file loader, the condition
 * parser, the compiler) reports problems into one struct diag_list instead of
 * stopping at the first one, so a user sees all of them in one run. Each entry
 * carries the file, line and column it is about and, when the text of that
 * file is known, renders like a compiler does: the message, the offending
 * source line, and a caret under the column.
 *
 * Source texts are held in struct diag_src: a named, reference-counted, read-only
 * copy of a file, shared by whoever needs to point into it (the rule set that
 * was loaded from it, and every diagnostic about it), so a diagnostic outlives
 * the loader that produced it.
 *
 * Thread safety: none. A diag_list is filled and read by one thread at a time
 * (the loading thread); a diag_src is immutable once made, but its reference
 * count is not atomic.
 */
#ifndef PG_RULES_DIAG_H
#define PG_RULES_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
};

/*
 * What a diagnostic is about. The names follow the reference engine's load
 * result codes, so tools that filter its warnings by code keep working.
 */
#define DIAG_CODES(X)                                                  \
	X(NONE, "")                                                    \
	/* errors */                                                   \
	X(ERR_FILE_READ, "LOAD_ERR_FILE_READ")                         \
	X(ERR_YAML_PARSE, "LOAD_ERR_YAML_PARSE")                       \
	X(ERR_YAML_VALIDATE, "LOAD_ERR_YAML_VALIDATE")                 \
	X(ERR_COMPILE_CONDITION, "LOAD_ERR_COMPILE_CONDITION")         \
	X(ERR_COMPILE_OUTPUT, "LOAD_ERR_COMPILE_OUTPUT")               \
	X(ERR_VALIDATE, "LOAD_ERR_VALIDATE")                           \
	X(ERR_EXTENSION, "LOAD_ERR_EXTENSION")                         \
	/* warnings */                                                 \
	X(UNKNOWN_SOURCE, "LOAD_UNKNOWN_SOURCE")                       \
	X(UNSAFE_NA_CHECK, "LOAD_UNSAFE_NA_CHECK")                     \
	X(NO_EVTTYPE, "LOAD_NO_EVTTYPE")                               \
	X(UNKNOWN_FILTER, "LOAD_UNKNOWN_FILTER")                       \
	X(UNUSED_MACRO, "LOAD_UNUSED_MACRO")                           \
	X(UNUSED_LIST, "LOAD_UNUSED_LIST")                             \
	X(UNKNOWN_ITEM, "LOAD_UNKNOWN_ITEM")                           \
	X(DEPRECATED_ITEM, "LOAD_DEPRECATED_ITEM")                     \
	X(WARNING_INTERNAL, "LOAD_WARNING_INTERNAL")                   \
	X(APPEND_NO_VALUES, "LOAD_APPEND_NO_VALUES")                   \
	X(EXCEPTION_NAME_NOT_UNIQUE, "LOAD_EXCEPTION_NAME_NOT_UNIQUE") \
	X(INVALID_MACRO_NAME, "LOAD_INVALID_MACRO_NAME")               \
	X(INVALID_LIST_NAME, "LOAD_INVALID_LIST_NAME")                 \
	X(COMPILE_CONDITION, "LOAD_COMPILE_CONDITION")

enum diag_code {
#define DIAG_X_ENUM(name, str) DIAG_##name,
	DIAG_CODES(DIAG_X_ENUM)
#undef DIAG_X_ENUM
		DIAG_CODE_COUNT
};

/* The reference engine's name of a code ("LOAD_UNUSED_MACRO"), "" for DIAG_NONE. */
const char *diag_code_name(enum diag_code code);

/* ---- source texts ---- */

struct diag_src;

/*
 * A new source named @name holding a copy of @len bytes of @text (a NUL is
 * added after them). Its reference count starts at 1. NULL + errno on failure.
 */
struct diag_src *diag_src_new(const char *name, const char *text, size_t len);
/* Take one more reference; returns @src. Accepts NULL. */
struct diag_src *diag_src_get(struct diag_src *src);
/* Drop one reference, freeing the source with the last one. Accepts NULL. */
void diag_src_put(struct diag_src *src);

const char *diag_src__name(const struct diag_src *src);
/* The text (NUL-terminated) and, when @len is not NULL, its length. */
const char *diag_src__text(const struct diag_src *src, size_t *len);
/* Number of lines (a last line without a newline counts). */
uint32_t diag_src__nlines(const struct diag_src *src);
/*
 * Line @line (1-based) without its line break: start in the text, length in
 * @len. NULL when there is no such line.
 */
const char *diag_src__line(const struct diag_src *src, uint32_t line, size_t *len);
/*
 * 1-based line and column of byte offset @off (0 <= off <= length). Columns
 * count characters (UTF-8 sequences), as libyaml's marks do.
 * 0, or -ERANGE when @off is past the end.
 */
int diag_src__linecol(const struct diag_src *src, size_t off, uint32_t *line, uint32_t *col);
/*
 * Byte offset of 1-based @line and @col (a column past the line's end stops
 * at the end of the line). 0, or -ERANGE when there is no such line.
 */
int diag_src__offset(const struct diag_src *src, uint32_t line, uint32_t col, size_t *off);

/* ---- locations ---- */

/*
 * Where a diagnostic points. line and col are 1-based; line 0 means "the whole
 * file". @src may be NULL (the text is not known, e.g. the file could not be
 * read), then @file names it; when @src is set @file may be NULL.
 */
struct diag_loc {
	struct diag_src *src;
	const char *file;
	uint32_t line;
	uint32_t col;
};

/* ---- diagnostics ---- */

/* One diagnostic; read-only for callers, owned by its list. */
struct diag {
	enum diag_severity severity;
	enum diag_code code;
	const char *file; /* never NULL; "" when unknown */
	uint32_t line;	  /* 0 when unknown */
	uint32_t col;	  /* 0 when unknown */
	const char *msg;
	struct diag_src *src; /* the file's text when known (a reference), else NULL */
};

struct diag_list;

/* An empty list. NULL + errno on failure. */
struct diag_list *diag_list_new(void);
/* Free the list and its diagnostics. Accepts NULL. */
void diag_list_free(struct diag_list *dl);
/* Forget every diagnostic (the list stays usable). */
void diag_list__clear(struct diag_list *dl);

/*
 * Add a diagnostic at @loc (NULL: no location) with a printf-style message.
 * 0 or -ENOMEM (then the diagnostic is lost, but the error count still
 * counts it, so a failed load is never mistaken for a clean one).
 */
int diag_list__add(struct diag_list *dl, enum diag_severity sev, enum diag_code code,
		   const struct diag_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int diag_list__vadd(struct diag_list *dl, enum diag_severity sev, enum diag_code code,
		    const struct diag_loc *loc, const char *fmt, va_list ap);

size_t diag_list__count(const struct diag_list *dl);
size_t diag_list__errors(const struct diag_list *dl);
size_t diag_list__warnings(const struct diag_list *dl);
/* Entry @i in the order they were added, NULL past the end. */
const struct diag *diag_list__at(const struct diag_list *dl, size_t i);

/*
 * Print one diagnostic like a compiler:
 *
 *   rules.yaml:3:13: error: rule 'x': Invalid priority
 *     priority: CRITICALL
 *               ^
 *
 * The source line and caret are printed when the text is known and the line
 * exists; the caret line copies the tabs of the source line so the caret
 * lands under the column whatever the tab width. 0 or -EIO.
 */
int diag__render(const struct diag *d, FILE *out);
/* Render every diagnostic of @dl in order. 0 or -EIO. */
int diag_list__render(const struct diag_list *dl, FILE *out);

#endif /* PG_RULES_DIAG_H */
