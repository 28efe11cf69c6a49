/*
 * fuzz_container_rt.c - libFuzzer harness for what the container metadata
 * client reads from outside: a runtime's HTTP reply (scanned as it arrives,
 * every prefix, then with the peer's close; chunked bodies decoded in place)
 * and its JSON body given to the JSON reader and to every Docker API and
 * capture-event reader (their Mounts blocks read whole, then released).
 * Bad input must come back as an error, never a crash, a read past the
 * bytes given, a leak or unbounded memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/ctr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

/* Read every string of a mounts block, which must hold its bounds. */
static void mounts(const struct proc_ctr_info *c)
{
	const struct proc_ctr_mounts *m = c->mounts;
	uint32_t i;

	if (!m)
		return;
	if (m->refs != 1 || m->size > PROC_CTR_MOUNTS_BYTES || m->n > PROC_CTR_MOUNTS_MAX)
		abort();
	for (i = 0; i < m->n; i++)
		sink += strlen(m->m[i].source) + strlen(m->m[i].dest) + strlen(m->m[i].mode) +
			strlen(m->m[i].propagation) + m->m[i].rdwr;
}

static void readers(const char *s, size_t len)
{
	static struct ctr_listed l[16];
	struct proc_ctr_info c;
	struct ctr_json j;
	char ref[80], err[256], str[64];
	size_t n, i;

	if (ctr_json_parse(&j, s, len) == 0) {
		/* walk every token through the accessors */
		for (i = 0; i < j.n; i++) {
			int64_t v;

			sink += (size_t)ctr_json_str(&j, (int)i, str, sizeof(str) - (i & 31));
			sink += (size_t)ctr_json_bool(&j, (int)i) +
				(size_t)ctr_json_i64(&j, (int)i, &v);
			sink += (size_t)ctr_json_get(&j, (int)i, "Id") +
				(size_t)ctr_json_at(&j, (int)i, 1);
		}
	} else if (!j.err[0]) {
		abort(); /* every refusal says why */
	}
	ctr_json_free(&j);
	ctr_docker_list(s, len, l, 16, &n, err, sizeof(err));
	if (ctr_docker_inspect(s, len, &c, ref, err, sizeof(err)) == 0) {
		ctr_docker_image(s, len, &c, err, sizeof(err));
		sink += strlen(c.image_repo) + strlen(c.image_tag) + strlen(ref);
		mounts(&c);
	}
	proc_ctr_info_fini(&c);
	if (ctr_capture_json(s, len, &c, err, sizeof(err)) == 0)
		mounts(&c);
	proc_ctr_info_fini(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctr_http_resp r;
	const char *msg;
	char *buf, *body;
	size_t i;
	int rc;

	if (size > 1u << 20)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* as the client reads it: growing prefixes, then the close */
	for (i = size > 64 ? size - 64 : 0; i < size; i++)
		if (ctr_http_scan(buf, i, false, &r, &msg) == 1 && r.msg_len > i)
			abort();
	rc = ctr_http_scan(buf, size, true, &r, &msg);
	if (rc == 1) {
		if (r.msg_len > size || r.head_len > r.msg_len)
			abort();
		body = ctr_http_body(buf, &r);
		if (body + r.body_len > buf + size)
			abort();
		readers(body, r.body_len);
	} else {
		readers((const char *)data, size);
	}
	free(buf);
	return 0;
}
