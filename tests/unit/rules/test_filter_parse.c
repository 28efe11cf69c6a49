/*
 * test_filter_parse.c - the condition parser against real rules and its own
 * invariants: every condition and macro body of the ecosystem's default
 * ruleset parses, print -> parse -> print is stable, precedence and spans are
 * right, and parsing the whole ruleset stays well under 5 ms.
 */
#include <errno.h>
#include <time.h>
#include <yaml.h>

#include "rules/filter.h"
#include "t.h"

/* ---- conditions of falco_rules.yaml, extracted with libyaml ---- */

#define MAX_CONDS 1024

static char *conds[MAX_CONDS];
static char *cond_names[MAX_CONDS];
static int nconds;

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Collect `condition:` of every top-level item (rules and macros). */
static int load_conditions(const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *f = fopen(path, "rb");
	int ret = -1;

	if (!f)
		return -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc))
		goto out_parser;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_SEQUENCE_NODE)
		goto out_doc;
	for (yaml_node_item_t *it = root->data.sequence.items.start;
	     it < root->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(&doc, *it);
		const char *name = NULL, *cond = NULL;

		if (!item || item->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
		     p < item->data.mapping.pairs.top; p++) {
			const char *k = scalar(yaml_document_get_node(&doc, p->key));
			const char *v = scalar(yaml_document_get_node(&doc, p->value));

			if (!k || !v)
				continue;
			if (!strcmp(k, "condition"))
				cond = v;
			else if (!strcmp(k, "rule") || !strcmp(k, "macro"))
				name = v;
		}
		if (cond && nconds < MAX_CONDS) {
			conds[nconds] = strdup(cond);
			cond_names[nconds] = strdup(name ? name : "?");
			nconds++;
		}
	}
	ret = 0;
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	return ret;
}

static char *parse_print(const char *s, struct flt_diag *d)
{
	struct flt_ast *ast = flt_parse(s, strlen(s), d);
	char *out;

	if (!ast)
		return NULL;
	out = flt_node__print(flt_ast__root(ast));
	flt_ast__free(ast);
	return out;
}

T_TEST(test_falco_rules_all_parse)
{
	struct flt_diag d;
	int failures = 0;

	if (load_conditions(t_fixture("rules/falco_rules.yaml")))
		T_FAIL("cannot read %s", t_fixture("rules/falco_rules.yaml"));
	T_CHECK(nconds >= 100);
	for (int i = 0; i < nconds; i++) {
		struct flt_ast *ast = flt_parse(conds[i], strlen(conds[i]), &d);

		if (!ast) {
			printf("  %s: [%u,%u) %s\n", cond_names[i], d.span.start, d.span.end,
			       d.msg);
			failures++;
			continue;
		}
		flt_ast__free(ast);
	}
	T_EQ_INT(failures, 0);
}

T_TEST(test_falco_rules_round_trip)
{
	struct flt_diag d;

	for (int i = 0; i < nconds; i++) {
		char *p1 = parse_print(conds[i], &d), *p2;

		T_CHECK(p1 != NULL);
		p2 = parse_print(p1, &d);
		if (!p2 || strcmp(p1, p2)) {
			printf("  %s:\n    %s\n    %s\n", cond_names[i], p1, p2 ? p2 : d.msg);
			free(p1);
			free(p2);
			T_FAIL("round trip of %s is not stable", cond_names[i]);
		}
		free(p1);
		free(p2);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

T_TEST(test_falco_rules_speed)
{
	const int rounds = 20;
	double t0, per_pass;

	T_CHECK(nconds > 0);
	t0 = now_ms();
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < nconds; i++) {
			struct flt_ast *ast = flt_parse(conds[i], strlen(conds[i]), NULL);

			T_CHECK(ast != NULL);
			flt_ast__free(ast);
		}
	}
	per_pass = (now_ms() - t0) / rounds;
	printf("  parsing %d conditions: %.3f ms per pass\n", nconds, per_pass);
	/* Sanitizer builds are several times slower; hold them to a looser bound. */
	T_CHECK(per_pass < (getenv("SAN") && *getenv("SAN") ? 50.0 : 5.0));
}

/* ---- precedence and structure ---- */

static const struct flt_node *parse_root(struct flt_ast **ast, const char *s)
{
	*ast = flt_parse(s, strlen(s), NULL);
	return *ast ? flt_ast__root(*ast) : NULL;
}

T_TEST(test_precedence_and_over_or)
{
	struct flt_ast *ast;
	const struct flt_node *n = parse_root(&ast, "a or b and c or d");

	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_OR);
	T_EQ_INT(n->kids.n, 3);
	T_EQ_INT(n->kids.v[0]->kind, FLT_IDENT);
	T_EQ_INT(n->kids.v[1]->kind, FLT_AND);
	T_EQ_INT(n->kids.v[1]->kids.n, 2);
	T_EQ_STR(n->kids.v[1]->kids.v[0]->str.s, "b");
	T_EQ_STR(n->kids.v[2]->str.s, "d");
	flt_ast__free(ast);

	n = parse_root(&ast, "a and b or c");
	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_OR);
	T_EQ_INT(n->kids.v[0]->kind, FLT_AND);
	flt_ast__free(ast);
}

T_TEST(test_precedence_not)
{
	struct flt_ast *ast;
	const struct flt_node *n = parse_root(&ast, "not a and b");

	/* not binds tighter than and: (not a) and b */
	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_AND);
	T_EQ_INT(n->kids.v[0]->kind, FLT_NOT);
	T_EQ_STR(n->kids.v[0]->operand->str.s, "a");
	flt_ast__free(ast);

	n = parse_root(&ast, "not(a or b)");
	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_NOT);
	T_EQ_INT(n->operand->kind, FLT_OR);
	flt_ast__free(ast);

	n = parse_root(&ast, "not not a");
	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_NOT);
	T_EQ_INT(n->operand->kind, FLT_NOT);
	flt_ast__free(ast);
}

T_TEST(test_parentheses_keep_shape)
{
	struct flt_ast *ast;
	const struct flt_node *n = parse_root(&ast, "a and (b and c)");

	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_AND);
	T_EQ_INT(n->kids.n, 2);
	T_EQ_INT(n->kids.v[1]->kind, FLT_AND);
	flt_ast__free(ast);
}

T_TEST(test_check_fields)
{
	struct flt_ast *ast;
	const struct flt_node *n =
		parse_root(&ast, "proc.aname[2] startswith anyof (\"/usr/bin\", /bin)");
	const struct flt_check *c;

	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_CHECK);
	c = &n->check;
	T_EQ_INT(c->lhs->kind, FLT_FIELD);
	T_EQ_STR(c->lhs->field.name.s, "proc.aname");
	T_CHECK(c->lhs->field.has_arg);
	T_EQ_STR(c->lhs->field.arg.s, "2");
	T_EQ_INT(c->op, FLT_OP_STARTSWITH);
	T_EQ_INT(c->mod, FLT_MOD_ANYOF);
	T_EQ_INT(c->rhs->kind, FLT_LIST);
	T_EQ_INT(c->rhs->kids.n, 2);
	T_EQ_INT(c->rhs->kids.v[0]->vkind, FLT_V_QUOTED);
	T_EQ_STR(c->rhs->kids.v[0]->str.s, "/usr/bin");
	T_EQ_INT(c->rhs->kids.v[1]->vkind, FLT_V_BARE);
	flt_ast__free(ast);

	n = parse_root(&ast, "tolower(proc.name) in val(proc.pname)");
	T_CHECK(n);
	T_EQ_INT(n->check.lhs->kind, FLT_XFORM);
	T_EQ_INT(n->check.lhs->xform.xf, FLT_XF_TOLOWER);
	T_EQ_INT(n->check.lhs->xform.args.n, 1);
	T_EQ_STR(n->check.lhs->xform.args.v[0]->field.name.s, "proc.name");
	T_EQ_INT(n->check.op, FLT_OP_IN);
	T_EQ_INT(n->check.rhs->kind, FLT_XFORM);
	T_EQ_INT(n->check.rhs->xform.xf, FLT_XF_VAL);
	flt_ast__free(ast);

	n = parse_root(&ast, "proc.name in shell_binaries");
	T_CHECK(n);
	T_EQ_INT(n->check.rhs->kind, FLT_LISTREF);
	T_EQ_STR(n->check.rhs->str.s, "shell_binaries");
	flt_ast__free(ast);

	n = parse_root(&ast, "fd.name exists");
	T_CHECK(n);
	T_EQ_INT(n->check.op, FLT_OP_EXISTS);
	T_CHECK(n->check.rhs == NULL);
	flt_ast__free(ast);

	n = parse_root(&ast, "evt.num >= 0x1F");
	T_CHECK(n);
	T_EQ_INT(n->check.rhs->vkind, FLT_V_NUMBER);
	T_EQ_STR(n->check.rhs->str.s, "0x1F");
	flt_ast__free(ast);
}

T_TEST(test_string_escapes)
{
	struct flt_ast *ast;
	const struct flt_node *n = parse_root(&ast, "a.b = \"x\\x41\\n\\\"\\\\\\x00y\"");

	T_CHECK(n);
	T_EQ_INT(n->check.rhs->str.len, 7);
	T_CHECK(memcmp(n->check.rhs->str.s, "xA\n\"\\\0y", 7) == 0);
	flt_ast__free(ast);

	n = parse_root(&ast, "a.b = 'it\\'s'");
	T_CHECK(n);
	T_EQ_STR(n->check.rhs->str.s, "it's");
	flt_ast__free(ast);
}

/* Every node's span lies inside the source and inside its parent's. */
static int check_spans(const struct flt_node *n, struct flt_span outer)
{
	int bad = n->span.start > n->span.end || n->span.start < outer.start ||
		  n->span.end > outer.end;

	switch (n->kind) {
	case FLT_AND:
	case FLT_OR:
	case FLT_LIST:
		for (uint32_t i = 0; i < n->kids.n; i++)
			bad += check_spans(n->kids.v[i], n->span);
		break;
	case FLT_NOT:
		bad += check_spans(n->operand, n->span);
		break;
	case FLT_CHECK:
		bad += check_spans(n->check.lhs, n->span);
		if (n->check.rhs)
			bad += check_spans(n->check.rhs, n->span);
		break;
	case FLT_XFORM:
		for (uint32_t i = 0; i < n->xform.args.n; i++)
			bad += check_spans(n->xform.args.v[i], n->span);
		break;
	default:
		break;
	}
	return bad;
}

T_TEST(test_spans)
{
	static const char src[] = "  proc.name = bash and\n not fd.name in (a, \"b\")";
	struct flt_ast *ast;
	const struct flt_node *n = parse_root(&ast, src), *chk, *not ;
	uint32_t line, col;

	T_CHECK(n);
	T_EQ_INT(n->kind, FLT_AND);
	T_EQ_INT(n->span.start, 2);
	T_EQ_INT(n->span.end, sizeof(src) - 1);
	chk = n->kids.v[0];
	T_EQ_INT(chk->span.start, 2);
	T_EQ_INT(chk->span.end, 18);
	T_EQ_INT(chk->check.lhs->span.start, 2);
	T_EQ_INT(chk->check.lhs->span.end, 11);
	T_EQ_INT(chk->check.rhs->span.start, 14);
	not = n->kids.v[1];
	T_EQ_INT(not ->kind, FLT_NOT);
	T_EQ_INT(not ->span.start, 24);
	flt_offset__linecol(src, sizeof(src) - 1, not ->span.start, &line, &col);
	T_EQ_INT(line, 2);
	T_EQ_INT(col, 2);
	T_EQ_INT(not ->operand->check.rhs->span.start, 39);
	T_EQ_INT(not ->operand->check.rhs->kids.v[1]->span.start, 43);
	T_EQ_INT(not ->operand->check.rhs->kids.v[1]->span.end, 46);
	T_EQ_INT(check_spans(n, (struct flt_span){0, sizeof(src) - 1}), 0);
	flt_ast__free(ast);

	for (int i = 0; i < nconds; i++) {
		n = parse_root(&ast, conds[i]);
		T_CHECK(n);
		T_EQ_INT(check_spans(n, (struct flt_span){0, (uint32_t)strlen(conds[i])}), 0);
		flt_ast__free(ast);
	}
}

T_TEST(test_depth_limit)
{
	char buf[512], *s;
	struct flt_diag d;

	memset(buf, '(', 300);
	strcpy(buf + 300, "a");
	T_CHECK(flt_parse(buf, strlen(buf), &d) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_CHECK(strstr(d.msg, "nested too deeply") != NULL);

	/* Reasonable nesting still parses. */
	s = parse_print("((((((((((a))))))))))", &d);
	T_CHECK(s != NULL);
	T_EQ_STR(s, "a");
	free(s);
}

T_TEST(test_constructors)
{
	struct flt_ast *ast = flt_ast__new();
	struct flt_node *f, *v, *c, *id, *kids[2], *and;
	char *s;

	T_CHECK(ast);
	f = flt_node__new(ast, FLT_FIELD, (struct flt_span){0, 0});
	v = flt_node__new(ast, FLT_VALUE, (struct flt_span){0, 0});
	c = flt_node__new(ast, FLT_CHECK, (struct flt_span){0, 0});
	id = flt_node__new(ast, FLT_IDENT, (struct flt_span){0, 0});
	and = flt_node__new(ast, FLT_AND, (struct flt_span){0, 0});
	T_CHECK(f && v && c && id && and);
	T_EQ_INT(flt_node__set_str(ast, &f->field.name, "proc.name", 9), 0);
	T_EQ_INT(flt_node__set_str(ast, &v->str, "a b", 3), 0);
	v->vkind = FLT_V_QUOTED;
	T_EQ_INT(flt_node__set_str(ast, &id->str, "spawned_process", 15), 0);
	c->check.lhs = f;
	c->check.op = FLT_OP_CONTAINS;
	c->check.rhs = v;
	kids[0] = id;
	kids[1] = c;
	T_EQ_INT(flt_node__set_kids(ast, &and->kids, kids, 2), 0);
	flt_ast__set_root(ast, and);
	s = flt_node__print(flt_ast__root(ast));
	T_EQ_STR(s, "spawned_process and proc.name contains \"a b\"");
	free(s);
	flt_ast__free(ast);
	flt_ast__free(NULL);
}

T_TEST(test_names)
{
	T_EQ_STR(flt_op__name(FLT_OP_EQ), "=");
	T_EQ_STR(flt_op__name(FLT_OP_PMATCH), "pmatch");
	T_EQ_INT(flt_op__kind(FLT_OP_GE), FLT_OPK_NUM);
	T_EQ_INT(flt_op__kind(FLT_OP_INTERSECTS), FLT_OPK_LIST);
	T_EQ_INT(flt_op__kind(FLT_OP_EXISTS), FLT_OPK_UNARY);
	T_EQ_INT(flt_op__kind(FLT_OP_REGEX), FLT_OPK_STR);
	T_EQ_STR(flt_mod__name(FLT_MOD_ALLOF), "allof");
	T_EQ_STR(flt_xform__name(FLT_XF_BASENAME), "basename");
	T_EQ_STR(flt_kind__name(FLT_LISTREF), "listref");
}

int main(void)
{
	T_RUN(test_falco_rules_all_parse);
	T_RUN(test_falco_rules_round_trip);
	T_RUN(test_falco_rules_speed);
	T_RUN(test_precedence_and_over_or);
	T_RUN(test_precedence_not);
	T_RUN(test_parentheses_keep_shape);
	T_RUN(test_check_fields);
	T_RUN(test_string_escapes);
	T_RUN(test_spans);
	T_RUN(test_depth_limit);
	T_RUN(test_constructors);
	T_RUN(test_names);
	for (int i = 0; i < nconds; i++) {
		free(conds[i]);
		free(cond_names[i]);
	}
	return T_DONE();
}
