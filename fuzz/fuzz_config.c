/*
 * fuzz_config.c - libFuzzer harness for the configuration file and -o.
 *
 * Loads the input as a peregrine.yaml on top of the defaults, then gives
 * every line of it to cfg_set() as a -o key=value override, then runs
 * cfg_check(). Each step must end in 0 or an error message (NUL-terminated,
 * within its buffer); the cfg is freed whatever state it was left in.
 * Then --print-config's printer: what it prints must load (whatever bytes
 * the values hold) and, printed again, be the same text; when the input is
 * UTF-8 (so every value is) the first print already is that fixed point.
 * Seeds: fuzz/corpus/config/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error must be a terminated string inside its buffer. */
static void fuzz_err_ok(int rc, const char *err, size_t cap)
{
	if (rc && !memchr(err, '\0', cap))
		abort();
}

/* Whether @s holds only whole, valid UTF-8 sequences. */
static bool fuzz_utf8(const uint8_t *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, l; i < n; i += l)
		if (!(l = utf8_seq(s + i, n - i, &cp)))
			return false;
	return true;
}

/* cfg_print() into a malloc'd string (*len bytes); aborts when out of
 * memory, which a fuzz run does not expect. */
static char *fuzz_print(const struct cfg *c, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	if (!m)
		abort();
	cfg_print(c, m);
	if (fclose(m))
		abort();
	return buf;
}

/* Load @text into a fresh cfg and print that: the next print. Aborts when
 * the text does not load. */
static char *fuzz_reprint(const char *text, size_t len, size_t *outlen)
{
	struct cfg d;
	char err[512], *out;

	if (cfg_init(&d))
		abort();
	if (cfg_load_string(&d, "printed.yaml", text, len, err, sizeof(err))) {
		fprintf(stderr, "printed config does not load: %s\n%.*s", err, (int)len, text);
		abort();
	}
	out = fuzz_print(&d, outlen);
	cfg_free(&d);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p1, *p2, *p3;
	size_t n1, n2, n3;
	struct cfg c;
	char err[512], *line;
	size_t i, start;
	int rc;

	if (cfg_init(&c))
		return 0;
	err[0] = '\0';
	rc = cfg_load_string(&c, "fuzz.yaml", (const char *)data, size, err, sizeof(err));
	fuzz_err_ok(rc, err, sizeof(err));
	for (start = 0, i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		line = malloc(i - start + 1);
		if (!line)
			break;
		memcpy(line, data + start, i - start);
		line[i - start] = '\0';
		err[0] = '\0';
		rc = cfg_set(&c, line, err, sizeof(err));
		fuzz_err_ok(rc, err, sizeof(err));
		free(line);
		start = i + 1;
	}
	err[0] = '\0';
	rc = cfg_check(&c, err, sizeof(err));
	fuzz_err_ok(rc, err, sizeof(err));
	p1 = fuzz_print(&c, &n1);
	p2 = fuzz_reprint(p1, n1, &n2);
	p3 = fuzz_reprint(p2, n2, &n3);
	if (n2 != n3 || memcmp(p2, p3, n2) || (fuzz_utf8(data, size) && (n1 != n2 || memcmp(p1, p2, n1))))
		abort(); /* printing is not a fixed point */
	free(p1);
	free(p2);
	free(p3);
	cfg_free(&c);
	return 0;
}
