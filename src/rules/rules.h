/*
 * rules.h - the rules module: Falco-compatible rules files in, a ruleset out.
 *
 * Loading happens in two stages. This header's first half is the loader: it
 * reads one or more rules files (YAML) in order into a struct rule_set, a
 * faithful in-memory description of what the files say - lists with their
 * items (names of earlier lists expanded in place), macros and rules with all
 * their keys, in definition order, after every `append`, `override`,
 * redefinition and `enabled` toggle of later files has been applied. Condition
 * and output strings are kept as text; the compiler parses them later.
 *
 * Every list, macro and rule remembers where it came from, and every
 * condition/output/desc remembers which YAML scalar(s) its bytes came from
 * (several, after appends), so a compile error at byte N of a condition can be
 * reported at the right file:line:col inside the rules file:
 * rule_text__locate().
 *
 * Semantics follow the reference engine's rule loader (rule_loader_reader.cpp
 * and rule_loader_collector.cpp); messages use its wording so users can search
 * for them. Where peregrine differs it says so at the function.
 *
 * Thread safety: a rule_set is built and read by one thread (the loading
 * thread). The compiler turns it into the immutable compiled ruleset that
 * workers share; workers never see a rule_set.
 */
#ifndef PG_RULES_RULES_H
#define PG_RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/diag.h"

/*
 * The rules engine version peregrine implements; rules files that require a
 * newer one (required_engine_version) are refused. Same major, minor and
 * patch semantics as the reference engine.
 */
#define RULE_ENGINE_VERSION_MAJOR 0
#define RULE_ENGINE_VERSION_MINOR 57
#define RULE_ENGINE_VERSION_PATCH 0

/* ---- priorities ---- */

#define RULE_PRIORITIES(X)                \
	X(EMERGENCY, "Emergency")         \
	X(ALERT, "Alert")                 \
	X(CRITICAL, "Critical")           \
	X(ERROR, "Error")                 \
	X(WARNING, "Warning")             \
	X(NOTICE, "Notice")               \
	X(INFORMATIONAL, "Informational") \
	X(DEBUG, "Debug")

/* Most severe first, as syslog orders them. */
enum rule_priority {
#define RULE_X_PRIO(name, str) RULE_PRIO_##name,
	RULE_PRIORITIES(RULE_X_PRIO)
#undef RULE_X_PRIO
		RULE_PRIO_COUNT
};

/* "Critical", ... ; "" for an out-of-range value. */
const char *rule_priority_name(enum rule_priority prio);
/*
 * Parse a priority name, case-insensitively; "info" is accepted for
 * Informational, as the reference engine does. 0 or -EINVAL.
 */
int rule_priority_parse(const char *s, enum rule_priority *out);

/* ---- texts with source positions ---- */

/* How a YAML scalar was written; decides how its bytes map back to the file. */
enum rule_scalar_style {
	RULE_STYLE_PLAIN,
	RULE_STYLE_SINGLE_QUOTED,
	RULE_STYLE_DOUBLE_QUOTED,
	RULE_STYLE_LITERAL, /* | */
	RULE_STYLE_FOLDED,  /* > */
};

/* Where one YAML scalar sits in its file. */
struct rule_scalar_pos {
	struct diag_src *src; /* the file (owned by the rule_set) */
	uint32_t line;	      /* 1-based, of the scalar's first character: */
	uint32_t col;	      /*   the quote or the | > indicator included */
	uint32_t start;	      /* byte offsets of the scalar in the file, */
	uint32_t end;	      /*   [start, end) as libyaml marks them */
	uint32_t indent;      /* 0-based column of the enclosing block mapping */
	enum rule_scalar_style style;
};

/* One piece of a text that came from one scalar. */
struct rule_text_seg {
	size_t off;  /* where the piece starts in the text */
	size_t len;  /* its length */
	size_t skip; /* bytes of the scalar's value dropped before the piece (trimming) */
	struct rule_scalar_pos pos;
};

/*
 * A string value together with where its bytes came from. Appending to it
 * (`append: true`, `override: append`) adds " " and a new segment.
 */
struct rule_text {
	char *str; /* NUL-terminated; "" when absent */
	size_t len;
	struct rule_text_seg *segs;
	size_t nsegs;
};

/*
 * File, line and column of byte @off of @t's string (off == len is allowed:
 * the position just after the last byte, for "unexpected end" errors). A byte
 * of a " " joiner maps to the end of the piece before it. Bytes produced by
 * YAML escapes or line folding map to the escape or line break that produced
 * them. 0, or -ERANGE when @off is past the end or @t has no segments.
 */
int rule_text__locate(const struct rule_text *t, size_t off, struct diag_loc *loc);

/*
 * The same for one scalar: @value/@vlen is the scalar's value as libyaml gave
 * it; byte @off of it is mapped back into the file by decoding the scalar's
 * source text again (plain, quoted with escapes, literal, folded). Should the
 * decoding disagree with @value (an exotic construct), the scalar's own
 * position is returned. 0 or -ERANGE.
 */
int rule_scalar__locate(const struct rule_scalar_pos *pos, const char *value, size_t vlen,
			size_t off, struct diag_loc *loc);

/* ---- lists, macros, rules ---- */

struct rule_list_def {
	char *name;
	struct diag_loc pos;	  /* the item (its first key) */
	char **raw_items;	  /* items as written (after appends) */
	struct diag_loc *raw_pos; /* where each raw item was written */
	size_t nraw;
	const char **items; /* raw items with names of earlier lists expanded in place */
	size_t nitems;
	uint32_t index;	     /* definition sequence number (first definition) */
	uint32_t visibility; /* sequence number of its last definition or append */
	bool used;	     /* referred to by a list, or marked by the compiler */
};

struct rule_macro_def {
	char *name;
	struct diag_loc pos;
	struct rule_text cond;
	uint32_t index;
	uint32_t visibility;
	bool used; /* marked by the compiler */
};

/* One value of an exception's fields, comps or values: a scalar or a list of them. */
struct rule_xval {
	bool is_list;
	char *str;		 /* when !is_list */
	struct rule_xval *items; /* when is_list */
	size_t nitems;
	struct diag_loc pos;
};

struct rule_exception_def {
	char *name;
	struct diag_loc pos;
	struct rule_xval fields;  /* a field, or a list of fields */
	struct rule_xval comps;	  /* same shape as fields; defaults filled in ("=" / "in") */
	struct rule_xval *values; /* each a scalar or a tuple matching fields */
	size_t nvalues;
};

struct rule_def {
	char *name;
	struct diag_loc pos;
	struct rule_text cond;
	struct rule_text output; /* leading/trailing blanks trimmed */
	struct rule_text desc;
	enum rule_priority priority;
	struct diag_loc priority_pos;
	char **tags; /* in order, without duplicates */
	size_t ntags;
	bool enabled;		     /* default true */
	char *source;		     /* default "syscall" */
	bool warn_evttypes;	     /* default true */
	bool skip_if_unknown_filter; /* default false */
	bool capture;		     /* default false */
	uint32_t capture_duration;   /* ms, 0 when not given */
	struct rule_exception_def *exceptions;
	size_t nexceptions;
	uint32_t index;
	uint32_t visibility;
};

/* One requirement of required_plugin_versions: a plugin and its alternatives. */
struct rule_plugin_req {
	char *name;
	char *version;
	struct rule_plugin_req *alternatives;
	size_t nalternatives;
	struct diag_loc pos;
};

/* ---- the rule set ---- */

struct rule_set;

/* An empty rule set. NULL + errno on failure. */
struct rule_set *rule_set_new(void);
/* Free it and everything it holds. Accepts NULL. */
void rule_set_free(struct rule_set *rs);

/*
 * Load one rules file on top of what @rs already holds: items are applied in
 * order; later items (and later files) amend earlier ones. Problems go to @dl
 * (required) as located diagnostics; loading goes on after an error with the
 * next item so all problems are reported, an item with an error is not
 * applied. Returns 0 when no error was found (warnings may have been), -EINVAL
 * when some were, -errno when the file can not be read, -ENOMEM.
 */
int rule_set_load_file(struct rule_set *rs, const char *path, struct diag_list *dl);
/* The same from memory; @name is the file name diagnostics use. */
int rule_set_load_string(struct rule_set *rs, const char *name, const char *text, size_t len,
			 struct diag_list *dl);

size_t rule_set__nlists(const struct rule_set *rs);
size_t rule_set__nmacros(const struct rule_set *rs);
size_t rule_set__nrules(const struct rule_set *rs);
/* Entry @i in definition order; NULL past the end. */
const struct rule_list_def *rule_set__list(const struct rule_set *rs, size_t i);
const struct rule_macro_def *rule_set__macro(const struct rule_set *rs, size_t i);
const struct rule_def *rule_set__rule(const struct rule_set *rs, size_t i);
/* By name; NULL when not defined. */
const struct rule_list_def *rule_set__find_list(const struct rule_set *rs, const char *name);
const struct rule_macro_def *rule_set__find_macro(const struct rule_set *rs, const char *name);
const struct rule_def *rule_set__find_rule(const struct rule_set *rs, const char *name);

/* Highest required_engine_version seen ("0.57.0"), NULL when none was. */
const char *rule_set__engine_version(const struct rule_set *rs);

/*
 * The default ruleset (rules/peregrine_rules.yaml) embedded in the binary:
 * NUL-terminated YAML, its length without the NUL in *@len (may be NULL).
 * Load it with rule_set_load_string() under RULES_DEFAULT_NAME.
 */
#define RULES_DEFAULT_NAME "<embedded>/peregrine_rules.yaml"
const char *rules_default_yaml(size_t *len);

size_t rule_set__nplugin_reqs(const struct rule_set *rs);
const struct rule_plugin_req *rule_set__plugin_req(const struct rule_set *rs, size_t i);

/*
 * Usage, for the "not referred to" warnings only the compiler can compute:
 * the compiler marks each list and macro a condition uses, then asks for the
 * warnings. Marking an unknown name is a no-op. Each load recomputes list
 * expansion and with it the marks, so mark after the last load.
 */
void rule_set__mark_list_used(struct rule_set *rs, const char *name);
void rule_set__mark_macro_used(struct rule_set *rs, const char *name);
/* One warning per unused list and macro, at its definition, as the reference engine words it. */
void rule_set__warn_unused(const struct rule_set *rs, struct diag_list *dl);

#endif /* PG_RULES_RULES_H */
