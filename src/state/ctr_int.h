/*
 * ctr_int.h - internals of the container metadata module (container_rt.c:
 * cache, HTTP client, Docker API parsing, background thread; ctr_json.c: the
 * JSON reader). Shared with its unit test and its fuzz harness; not part of
 * the module's interface, which is the "container metadata" section of
 * state.h.
 *
 * Everything here parses outside input (a container runtime's replies, a
 * capture's container events): sizes are bounded, errors are returned with a
 * message, nothing reads past the bytes it is given.
 */
#ifndef PG_STATE_CTR_INT_H
#define PG_STATE_CTR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"

/* ---- JSON reader (ctr_json.c) ---------------------------------------------
 *
 * One pass over the text builds a flat array of tokens in document order
 * (a value's children follow it; next skips its whole subtree), like jsmn.
 * Strings are not copied: a token points at the raw bytes between the
 * quotes and ctr_json_str decodes escapes on demand. Strict RFC 8259
 * grammar; nesting is bounded by CTR_JSON_MAX_DEPTH and the token array by
 * CTR_JSON_MAX_TOKENS, so hostile input costs at most O(len) memory.
 */
#define CTR_JSON_MAX_DEPTH  64u
#define CTR_JSON_MAX_TOKENS (1u << 20)
#define CTR_JSON_MAX_INPUT  (8u << 20)

enum ctr_jtype { CTR_J_NULL, CTR_J_FALSE, CTR_J_TRUE, CTR_J_NUM, CTR_J_STR, CTR_J_ARR, CTR_J_OBJ };

struct ctr_jtok {
	uint32_t type;	/* enum ctr_jtype */
	uint32_t start; /* byte offset: first byte of the value (strings: after the quote) */
	uint32_t len;	/* bytes (strings: raw, escapes not decoded, without quotes) */
	uint32_t n;	/* arrays: elements; objects: members (keys and values alternate) */
	uint32_t next;	/* index of the token after this value's subtree */
};

struct ctr_json {
	const char *s;
	size_t len;
	struct ctr_jtok *t;
	uint32_t n, cap;
	char err[128]; /* why parsing failed: "offset N: ..." */
};

/* Parse s[0..len). 0, -EINVAL (malformed: err says where), -E2BIG (too big
 * or too many tokens), -ENOMEM. Free with ctr_json_free even on error. The
 * text must outlive j. Any thread. */
int ctr_json_parse(struct ctr_json *j, const char *s, size_t len);
void ctr_json_free(struct ctr_json *j);

/* Token index of member @key of object @obj, or -1 (not an object, absent). */
int ctr_json_get(const struct ctr_json *j, int obj, const char *key);
/* Element @i of array @arr, or -1. */
int ctr_json_at(const struct ctr_json *j, int arr, uint32_t i);
/* The type of token @tok, CTR_J_NULL for -1. */
enum ctr_jtype ctr_json_type(const struct ctr_json *j, int tok);
/* Decode string @tok into out (at most cap-1 bytes, NUL-terminated; cut at
 * a UTF-8 character boundary). Returns the decoded length stored, or -1 when
 * @tok is not a string (out is then ""). */
int ctr_json_str(const struct ctr_json *j, int tok, char *out, size_t cap);
/* The decoded length of string @tok (what ctr_json_str stores given the
 * room), or -1 when @tok is not a string. */
long ctr_json_strlen(const struct ctr_json *j, int tok);
/* 1 / 0 for true / false, -1 otherwise. */
int ctr_json_bool(const struct ctr_json *j, int tok);
/* An integer number; 0 or -EINVAL (not an integer, or out of range). */
int ctr_json_i64(const struct ctr_json *j, int tok, int64_t *out);

/* ---- HTTP/1.1 responses (container_rt.c) ---------------------------------- */

#define CTR_HTTP_MAX_HEAD 65536u
#define CTR_HTTP_MAX_BODY (4u << 20)

struct ctr_http_resp {
	int status;	 /* 200, 404, ... */
	size_t head_len; /* bytes of status line and headers, incl. the blank line */
	size_t body_len; /* Content-Length, or decoded size once ctr_http_body ran */
	size_t msg_len;	 /* bytes of the whole message (head + body as sent) */
	bool chunked;	 /* Transfer-Encoding: chunked */
	bool has_length; /* Content-Length given */
};

/*
 * Is buf[0..len) a complete response? 1 (r filled), 0 (need more bytes;
 * @eof: the peer closed, so a body without length ends here), -EBADMSG
 * (malformed: msg says why), -EFBIG (over the bounds above). Never writes
 * buf. Any thread.
 */
int ctr_http_scan(const char *buf, size_t len, bool eof, struct ctr_http_resp *r, const char **msg);
/* After a scan returned 1: the body, chunked encoding removed in place.
 * Returns its start; r->body_len is its length. */
char *ctr_http_body(char *buf, struct ctr_http_resp *r);

/* ---- Docker Engine API replies (container_rt.c) --------------------------- */

/* One entry of GET /containers/json. */
struct ctr_listed {
	char full_id[72];
	char name[PROC_CTR_STR_MAX];
	char image_id[80]; /* ImageID as given ("sha256:..." on docker) */
};

/* GET /containers/json: up to max entries into out, *n set. 0 / -EINVAL
 * (err says why) / -ENOMEM. Entries without a 64-hex-digit Id are skipped. */
int ctr_docker_list(const char *body, size_t len, struct ctr_listed *out, size_t max, size_t *n,
		    char *err, size_t errlen);
/*
 * GET /containers/<id>/json into c (id, full_id, name, image, image_id,
 * repository/tag/digest split from the image reference, privileged,
 * start_ts, Mounts). *image_ref gets what to ask /images/<ref>/json for when
 * the image's digest or tag is not known yet ("" = nothing to ask). 0 /
 * -EINVAL / -ENOMEM (the mounts block). On 0, c->mounts may hold a
 * reference: proc_ctr_info_fini(c) when done; on error it is NULL.
 */
int ctr_docker_inspect(const char *body, size_t len, struct proc_ctr_info *c, char image_ref[80],
		       char *err, size_t errlen);
/* GET /images/<ref>/json: fills c's empty digest, repository and tag from
 * RepoDigests / RepoTags / Digest as libs does. 0 / -EINVAL. */
int ctr_docker_image(const char *body, size_t len, struct proc_ctr_info *c, char *err,
		     size_t errlen);
/* A capture's container event JSON (libs' container_to_json: {"container":
 * {"id", "name", "image", ..., "Mounts"}}). 0 / -EINVAL / -ENOMEM; c->mounts
 * as for ctr_docker_inspect. */
int ctr_capture_json(const char *s, size_t len, struct proc_ctr_info *c, char *err, size_t errlen);

/*
 * A "Mounts" array (token @arr of j; Docker's inspect reply and libs'
 * container JSON carry the same objects: Source, Destination, Mode, RW,
 * Propagation) as one new block with one reference, in *out; NULL when
 * @arr is not an array or holds no object. Elements that are not objects
 * are skipped; a missing or non-string member is "", a missing or non-bool
 * RW false. The bounds (state.h, PROC_CTR_MOUNTS_*) keep the first mounts
 * and count the rest in dropped. 0 / -ENOMEM (*out NULL). Any thread.
 */
int ctr_mounts_read(const struct ctr_json *j, int arr, struct proc_ctr_mounts **out);

/* Take one more reference to @m (NULL: nothing). Writers only: the
 * reference count is never touched by workers. */
void ctr_mounts_hold(struct proc_ctr_mounts *m);
/* Drop one; the last frees the block (poisoned when proc_config.poison).
 * NULL: nothing. */
void ctr_mounts_drop(struct proc_ctr_mounts *m);

/* enum proc_container_type of libs' sinsp_container_type number (the
 * "type" of capture container events); PROC_CT_HOST for the others. */
uint8_t ctr_type_from_libs(int64_t t);

/* Split an image reference "[host[:port]/]repo[:tag][@digest]" as libs'
 * split_container_image (the repository keeps its host part). */
void ctr_split_image(const char *image, char *repo, size_t repo_cap, char *tag, size_t tag_cap,
		     char *digest, size_t digest_cap);

/* RFC 3339 time ("2024-05-01T10:20:30.123456789Z", offsets allowed) to
 * nanoseconds since the epoch; 0 when malformed or before 1970. */
uint64_t ctr_parse_time(const char *s);

/* The cache key of a short id (12 hex digits); 0 when it is not one. */
uint64_t ctr_key(const char *id);

/* table.c and container_rt.c: the snapshot of the table */
void proc_ctr_free_all(struct proc_table *t);

#endif /* PG_STATE_CTR_INT_H */
