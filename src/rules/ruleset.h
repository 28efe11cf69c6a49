/*
 * ruleset.h - the compiled ruleset and its evaluator: what workers run.
 *
 * rule_compile() turns a loaded struct rule_set (rules.h) into a struct
 * rule_ruleset built for speed: macros expanded, list names resolved into
 * hash sets and prefix tables, every check type-checked against the field
 * registry (fields/fields.h) with errors located at FILE:LINE:COL inside the
 * condition, exceptions appended as `and not (...)` as the reference engine
 * does, each rule's output string compiled into literal pieces and field
 * references, and rules indexed by event type so an event only meets the
 * rules that can match it.
 *
 * A compiled ruleset is immutable and may be shared by any number of worker
 * threads; all mutable evaluation state (the per-event field cache and
 * scratch) lives in a struct rule_worker, one per thread. rule_eval() takes no
 * lock and allocates nothing.
 *
 * Formats (`-p` strings, rule outputs) use Falco's / sysdig's `%field`
 * syntax: `%proc.name`, `%proc.aname[2]`, `%evt.arg.flags`, `%(proc.name)`;
 * a `%` not followed by a field name is kept as it is.
 */
#ifndef PG_RULES_RULESET_H
#define PG_RULES_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields/fields.h"
#include "rules/diag.h"
#include "rules/rules.h"

struct rule_ruleset;
struct rule_worker;
struct rule_format;

/* Compile options; zero-initialised means the defaults. */
struct rule_compile_opts {
	/* Rules less severe than this are left out (default: Debug, i.e. none). */
	enum rule_priority min_priority;
	bool min_priority_set;
	/* Do not emit the unused list/macro warnings. */
	bool no_unused_warnings;
};

/*
 * Compile @rs. Marks the lists and macros the enabled rules use on @rs (and
 * emits the unused warnings unless told not to). Every problem goes to @dl
 * as a located diagnostic; compilation goes on after an error so all of them
 * are reported. Returns the ruleset when no error was found (warnings may
 * have been), else NULL with errno EINVAL (ENOMEM on allocation failure).
 * Loading thread only; @rs must stay alive only during the call.
 */
struct rule_ruleset *rule_compile(struct rule_set *rs, const struct rule_compile_opts *opts,
				  struct diag_list *dl);

/* Free a ruleset no worker uses any more. Accepts NULL. */
void rule_ruleset_free(struct rule_ruleset *r);

/* Compiled (enabled, above the threshold) rules; lists and macros defined. */
size_t rule_ruleset__nrules(const struct rule_ruleset *r);
size_t rule_ruleset__nmacros(const struct rule_ruleset *r);
size_t rule_ruleset__nlists(const struct rule_ruleset *r);
/* Number of rules an event of @type meets (the index). */
size_t rule_ruleset__nrules_for_type(const struct rule_ruleset *r, uint16_t type);

/* What a match callback learns about the rule. Owned by the ruleset. */
struct rule_info {
	const char *name;
	const char *desc;
	const char *source;
	enum rule_priority priority;
	const char *const *tags;
	size_t ntags;
	uint32_t index; /* position among the compiled rules */
};

/* Compiled rule @i (0 <= i < nrules), NULL past the end. */
const struct rule_info *rule_ruleset__rule(const struct rule_ruleset *r, size_t i);

/* ---- per-worker state ---- */

/* Per-thread evaluation state for @r. NULL + errno. Owned by one thread. */
struct rule_worker *rule_worker_new(const struct rule_ruleset *r);
void rule_worker_free(struct rule_worker *w);

/* ---- evaluation ---- */

/* One match, valid during the callback only. */
struct rule_match {
	const struct rule_info *rule;
	const struct rule_ruleset *rs;
	struct rule_worker *w;
	const struct fld_ctx *ctx;
};

/* Return non-zero to stop evaluating this event. */
typedef int (*rule_match_fn)(void *arg, const struct rule_match *m);

/*
 * Evaluate the rules indexed for @ctx->ev's type, in definition order, and
 * call @fn for each that matches (all of them, or only the first when
 * @first_only: Falco's rule_matching first/all). Returns the number of
 * matches. Worker thread; no lock, no allocation; reads the state through
 * @ctx (the caller is online in the state's RCU sense).
 */
int rule_eval(const struct rule_ruleset *r, struct rule_worker *w, const struct fld_ctx *ctx,
	      bool first_only, rule_match_fn fn, void *arg);

/*
 * Render the matched rule's output string now (the state may change a
 * microsecond later). Returns the length wanted (like snprintf).
 */
size_t rule_match__output(const struct rule_match *m, char *buf, size_t cap);

/*
 * Call @fn for each distinct field the rule's output names, in order, with
 * its values (for the JSON output_fields). Stops when @fn returns non-zero.
 */
int rule_match__foreach_field(const struct rule_match *m,
			      int (*fn)(void *arg, const char *name, const struct fld_vals *v),
			      void *arg);

/* ---- standalone formats (capture cat -p) ---- */

/*
 * Compile a format string. NULL + errno (EINVAL: *err points to a static
 * message naming the problem, *err_off to its byte offset).
 */
struct rule_format *rule_format_new(const char *fmt, const char **err, size_t *err_off);
void rule_format_free(struct rule_format *f);
/* A worker for a format's fields (one per thread). */
struct fld_worker *rule_format__worker(const struct rule_format *f);
/* true when every field of @f has a value on this event (sysdig -p's rule
 * for printing an event). The caller has called fld_worker__begin(). */
bool rule_format__all_present(const struct rule_format *f, struct fld_worker *fw,
			      const struct fld_ctx *ctx);
/* Render: the caller has called fld_worker__begin() for this event. */
size_t rule_format__render(const struct rule_format *f, struct fld_worker *fw,
			   const struct fld_ctx *ctx, char *buf, size_t cap);

/* ---- standalone conditions (capture cat FILTER) ---- */

/*
 * Compile one condition without lists or macros (sysdig's filter). Problems
 * go to @dl located at line 1 of a source named @name holding the condition.
 * NULL + errno.
 */
struct rule_ruleset *rule_compile_condition(const char *name, const char *cond,
					    struct diag_list *dl);

#endif /* PG_RULES_RULESET_H */
