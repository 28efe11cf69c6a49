/*
 * convert.c - bring events from older captures to the current layout.
 *
 * libs changed event layouts over the years: parameters were appended, enter
 * events lost their parameters to the exit events, some events got new type
 * numbers (execve alone has six). Old captures still hold every one of those
 * layouts. Rather than teach every consumer every layout, the capture reader
 * converts each event once, here, following libs' conversion rules
 * (conv_table.c, one rule per old (type, nparams)) so that a converted event
 * is byte for byte what libs' reader would produce.
 *
 * HOW IT WORKS: the event being converted is held as a list of parameter
 * references (pointer + length) into the input, the thread's stored enter
 * event, a static default value or a small local buffer. Each rule maps one
 * list to the next without copying bytes; rules are applied until the event
 * needs no more conversion, and only then are the bytes written to @out, once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert_int.h"

#define CONV_MAX_STEPS 16   /* libs' longest chain is 3; this only stops loops */
#define CONV_SLOTS 4096	    /* enter events remembered (direct-mapped by tid) */
#define CONV_JSON_MAX 4096  /* container JSON built from old container events */

struct pref {
	const uint8_t *p;
	uint32_t len;
};

/* An event as a list of parameter references. */
struct cevt {
	uint64_t ts;
	uint64_t tid;
	uint16_t type;
	uint32_t n;
	struct pref prm[EVT_MAX_PARAMS];
};

struct conv_slot {
	uint64_t tid;
	bool used;
	bool held;	     /* ref is the caller's until the next evt_conv__pin() */
	bool listed;	     /* in evt_conv.held */
	uint32_t len;
	uint32_t cap;
	uint8_t *buf;	     /* a current-layout V2 event (owned copy) */
	const uint8_t *ref;  /* or the caller's bytes; NULL when in buf */
};

struct evt_conv {
	struct conv_slot slot[CONV_SLOTS];
	/* the slots remembered by reference to held bytes since the last pin,
	 * each once: what evt_conv__pin() copies */
	uint16_t held[CONV_SLOTS];
	uint32_t nheld;
};

enum conv_verdict { CV_PASS, CV_DROP, CV_CONTINUE, CV_ERROR };

static const uint8_t zeros[16];
static const uint8_t ones[4] = { 0xff, 0xff, 0xff, 0xff };


static inline bool is_large(uint16_t type)
{
	return evt_table[type].flags & EVT_FLAG_LARGE_PAYLOAD;
}

static enum evt_ptype param_type(uint16_t type, uint32_t i)
{
	const struct evt_info *e = &evt_table[type];

	return i < e->nparams ? e->params[i].type : EPT_BYTEBUF;
}

/* libs caps a copied parameter to what its new slot can hold: a fixed-size
 * type keeps its low bytes (little-endian), a variable one the length limit. */
static uint32_t cap_len(uint16_t type, uint32_t i, uint32_t len)
{
	uint32_t max = evt_ptype_size(param_type(type, i));

	if (!max)
		max = is_large(type) ? UINT32_MAX : UINT16_MAX;
	return len < max ? len : max;
}

static struct pref default_param(uint16_t type, uint32_t i)
{
	enum evt_ptype t = param_type(type, i);
	struct pref r = { zeros, evt_ptype_size(t) };

	if (t == EPT_UID || t == EPT_GID)
		r.p = ones; /* libs' "no such id" */
	return r;
}

/* Parse a V2 event (as stored in a capture or a slot) into references. */
static int parse_v2(const uint8_t *p, size_t avail, struct cevt *e)
{
	uint32_t len, n, i, lsz;
	size_t off;

	if (avail < EVT_HDR_LEN)
		return -EINVAL;
	len = evt_ld32(p + offsetof(struct evt_hdr, len));
	if (len < EVT_HDR_LEN || len > avail || len > EVT_MAX_LEN)
		return -EINVAL;
	e->type = evt_ld16(p + offsetof(struct evt_hdr, type));
	if (e->type >= EVT_TYPE_MAX)
		return -ENOTSUP;
	n = evt_ld32(p + offsetof(struct evt_hdr, nparams));
	if (n > EVT_MAX_PARAMS)
		return -EINVAL;
	lsz = is_large(e->type) ? 4 : 2;
	off = EVT_HDR_LEN + (size_t)n * lsz;
	if (off > len)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		const uint8_t *lp = p + EVT_HDR_LEN + i * lsz;
		uint32_t l = lsz == 4 ? evt_ld32(lp) : evt_ld16(lp);

		if (l > len - off)
			return -EINVAL;
		e->prm[i].p = p + off;
		e->prm[i].len = l;
		off += l;
	}
	memcpy(&e->ts, p + offsetof(struct evt_hdr, ts), 8);
	memcpy(&e->tid, p + offsetof(struct evt_hdr, tid), 8);
	e->n = n;
	return 0;
}

/*
 * Parse a scap V1 event (22-byte header, no nparams). As libs' reader does,
 * the count is the largest one, starting from the table's, whose u16 lengths
 * add up to exactly the event length.
 */
static int parse_v1(const uint8_t *p, size_t avail, struct cevt *e)
{
	uint32_t len, n, i;

	if (avail < EVT_HDR_V1_LEN)
		return -EINVAL;
	len = evt_ld32(p + 16);
	e->type = evt_ld16(p + 20);
	if (len < EVT_HDR_V1_LEN || len > avail || len > EVT_MAX_LEN)
		return -EINVAL;
	if (e->type >= EVT_TYPE_MAX)
		return -ENOTSUP;
	/* Old captures wrote these two 3 bytes too long. */
	if ((e->type == EVT_NOTIFICATION_E || e->type == EVT_INFRASTRUCTURE_EVENT_E) &&
	    len >= EVT_HDR_V1_LEN + 3)
		len -= 3;
	memcpy(&e->ts, p, 8);
	memcpy(&e->tid, p + 8, 8);
	for (n = evt_table[e->type].nparams + 1; n-- > 0;) {
		size_t off = EVT_HDR_V1_LEN + (size_t)n * 2;

		if (off > len)
			continue;
		for (i = 0; i < n; i++) {
			e->prm[i].p = p + off;
			e->prm[i].len = evt_ld16(p + EVT_HDR_V1_LEN + i * 2);
			off += e->prm[i].len;
		}
		if (off < len)
			return -EINVAL; /* libs: corrupted, cannot tell nparams */
		if (off == len) {
			e->n = n;
			return 0;
		}
	}
	return -EINVAL;
}

/* libs' test_event_convertibility, except that an exit event with more
 * parameters than the table knows passes (a newer producer appended them). */
static enum conv_verdict verdict(const struct cevt *e)
{
	const struct evt_info *info = &evt_table[e->type];

	if (info->flags & EVT_FLAG_UNUSED)
		return CV_DROP;
	if (!(info->flags & EVT_FLAG_CONVERTER_MANAGED)) {
		if (!(info->flags & EVT_FLAG_OLD))
			return CV_PASS;
		return evt_type_is_enter(e->type) ? CV_DROP : CV_ERROR;
	}
	if (evt_type_is_enter(e->type))
		return CV_CONTINUE;
	if (info->flags & EVT_FLAG_OLD)
		return CV_CONTINUE;
	return e->n < info->nparams ? CV_CONTINUE : CV_PASS;
}

static const struct evt_conv_rule *find_rule(uint16_t type, uint32_t n)
{
	size_t lo = 0, hi = evt_conv_nrules;

	if (n > UINT8_MAX)
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct evt_conv_rule *r = &evt_conv_rules[mid];

		if (r->type == type && r->nparams == n)
			return r;
		if (r->type < type || (r->type == type && r->nparams < n))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Bytes @e takes as a V2 event, or 0 when it cannot be one. */
static size_t emit_size(const struct cevt *e)
{
	size_t sz = EVT_HDR_LEN + (size_t)e->n * (is_large(e->type) ? 4 : 2);
	uint32_t i;

	for (i = 0; i < e->n; i++)
		sz += e->prm[i].len;
	return sz;
}

/* Write @e as a V2 event to @out (the caller checked emit_size() fits). */
static void emit(const struct cevt *e, uint8_t *out, size_t sz)
{
	struct evt_hdr h = { e->ts, e->tid, (uint32_t)sz, e->type, e->n };
	bool large = is_large(e->type);
	size_t off = EVT_HDR_LEN + (size_t)e->n * (large ? 4 : 2);
	uint32_t i;

	memcpy(out, &h, EVT_HDR_LEN);
	for (i = 0; i < e->n; i++) {
		uint32_t l = e->prm[i].len;

		if (large) {
			memcpy(out + EVT_HDR_LEN + i * 4, &l, 4);
		} else {
			uint16_t l16 = (uint16_t)l;

			memcpy(out + EVT_HDR_LEN + i * 2, &l16, 2);
		}
		if (l)
			memcpy(out + off, e->prm[i].p, l);
		off += l;
	}
}

static inline size_t slot_of(uint64_t tid)
{
	return (size_t)((tid * 0x9E3779B97F4A7C15ull) >> 52) & (CONV_SLOTS - 1);
}

/* Remember @e as @tid's enter event. Memory grows to the largest enter
 * event seen and is then reused; failing to grow only loses the memory. */
static void store(struct evt_conv *cv, const struct cevt *e)
{
	struct conv_slot *s;
	size_t sz;

	if (!cv)
		return;
	s = &cv->slot[slot_of(e->tid)];
	sz = emit_size(e);
	s->used = false;
	if (sz > EVT_MAX_LEN)
		return;
	if (sz > s->cap) {
		uint8_t *nb = realloc(s->buf, sz);

		if (!nb)
			return;
		s->buf = nb;
		s->cap = (uint32_t)sz;
	}
	emit(e, s->buf, sz);
	s->ref = NULL;
	s->held = false;
	s->tid = e->tid;
	s->len = (uint32_t)sz;
	s->used = true;
}

/* Copy @len bytes at @ev into @s's own buffer. false when out of memory
 * (then @s is left unused). Out of line: evt_conv__remember()'s common case
 * keeps a pointer and stays a leaf. */
static __attribute__((noinline)) bool slot_copy(struct conv_slot *s, const void *ev, size_t len)
{
	if (len > s->cap) {
		uint8_t *nb = realloc(s->buf, len);

		if (!nb) {
			s->used = false;
			return false;
		}
		s->buf = nb;
		s->cap = (uint32_t)len;
	}
	memcpy(s->buf, ev, len);
	s->ref = NULL;
	s->held = false;
	return true;
}

void evt_conv__remember(struct evt_conv *cv, const void *ev, size_t len, enum evt_conv_mem mem)
{
	struct conv_slot *s;
	uint64_t tid;

	if (!cv || len < EVT_HDR_LEN || len > EVT_MAX_LEN)
		return;
	memcpy(&tid, (const uint8_t *)ev + offsetof(struct evt_hdr, tid), 8);
	s = &cv->slot[slot_of(tid)];
	s->used = false;
	if (mem == EVT_CONV_COPY) {
		if (!slot_copy(s, ev, len))
			return;
	} else {
		s->ref = ev;
		s->held = mem == EVT_CONV_HELD;
		if (s->held && !s->listed) {
			s->listed = true;
			cv->held[cv->nheld++] = (uint16_t)(s - cv->slot);
		}
	}
	s->tid = tid;
	s->len = (uint32_t)len;
	s->used = true;
}

void evt_conv__pin(struct evt_conv *cv)
{
	if (!cv)
		return;
	for (uint32_t i = 0; i < cv->nheld; i++) {
		struct conv_slot *s = &cv->slot[cv->held[i]];

		s->listed = false;
		if (s->used && s->held)
			slot_copy(s, s->ref, s->len);
	}
	cv->nheld = 0;
}

/* The enter event stored for @exit's thread, if it is @exit's own. */
static bool retrieve(struct evt_conv *cv, const struct cevt *exit, struct cevt *enter,
		     struct conv_slot **sp)
{
	struct conv_slot *s;

	if (!cv)
		return false;
	s = &cv->slot[slot_of(exit->tid)];
	if (!s->used || s->tid != exit->tid)
		return false;
	if (parse_v2(s->ref ? s->ref : s->buf, s->len, enter) != 0)
		return false;
	/* libs fails the conversion on a mismatch; a fallback loses less. */
	if (enter->type + 1 != exit->type)
		return false;
	*sp = s;
	return true;
}

/* libs' extract_ppme_container_json_e_json_param: {"id","type","name","image"}
 * of an old container event as one JSON string. */
static bool container_json(const struct cevt *old, char *buf, size_t cap, struct pref *out)
{
	const struct pref *id = &old->prm[0], *ty = &old->prm[1];
	const struct pref *name = &old->prm[2], *image = &old->prm[3];
	uint32_t t;
	int n;

	if (old->n < 4 || id->len < 1 || ty->len != 4 || name->len < 1 || image->len < 1)
		return false;
	t = evt_ld32(ty->p);
	n = snprintf(buf, cap, "{\"id\":\"%.*s\",\"type\":%u,\"name\":\"%.*s\",\"image\":\"%.*s\"}",
		     (int)(id->len - 1), (const char *)id->p, t, (int)(name->len - 1),
		     (const char *)name->p, (int)(image->len - 1), (const char *)image->p);
	if (n < 0 || (size_t)n >= cap)
		return false;
	out->p = (const uint8_t *)buf;
	out->len = (uint32_t)n + 1;
	return true;
}

/* Apply rule @r to @e (result in @e). Returns a verdict for the new event. */
static int apply(struct evt_conv *cv, const struct evt_conv_rule *r, struct cevt *e, char *json)
{
	struct cevt old = *e, enter;
	struct conv_slot *used = NULL;
	bool have_enter = false, tried_enter = false;
	uint32_t i, base;

	switch (r->action) {
	case EVT_CA_PASS:
		return CV_PASS;
	case EVT_CA_STORE:
		store(cv, e);
		return CV_DROP;
	case EVT_CA_STORE_AND_PASS:
		store(cv, e);
		return CV_PASS;
	case EVT_CA_ADD_PARAMS:
		base = e->n;
		break;
	case EVT_CA_CHANGE_TYPE:
		if (r->new_type >= EVT_TYPE_MAX)
			return CV_ERROR;
		e->type = r->new_type;
		base = 0;
		break;
	default:
		return CV_ERROR;
	}
	if (base + r->ninstr > EVT_MAX_PARAMS)
		return CV_ERROR;
	for (i = 0; i < r->ninstr; i++) {
		const struct evt_conv_instr *in = &r->instr[i];
		uint32_t k = base + i;
		struct pref *dst = &e->prm[k];
		const struct cevt *from = NULL;

		switch (in->src) {
		case EVT_CI_FROM_EMPTY:
			dst->p = zeros;
			dst->len = 0;
			continue;
		case EVT_CI_FROM_DEFAULT:
			*dst = default_param(e->type, k);
			continue;
		case EVT_CI_FROM_OLD:
			if (in->param >= old.n)
				return CV_ERROR; /* as libs */
			from = &old;
			break;
		case EVT_CI_FROM_ENTER:
			if (!tried_enter) {
				have_enter = retrieve(cv, &old, &enter, &used);
				tried_enter = true;
			}
			if (have_enter && in->param < enter.n)
				from = &enter;
			break;
		case EVT_CI_FROM_CONTAINER_JSON:
			if (container_json(&old, json, CONV_JSON_MAX, dst))
				continue;
			break;
		default:
			return CV_ERROR;
		}
		if (!from) {
			if (in->flags & EVT_CIF_FALLBACK_TO_EMPTY) {
				dst->p = zeros;
				dst->len = 0;
			} else {
				*dst = default_param(e->type, k);
			}
			continue;
		}
		dst->p = from->prm[in->param].p;
		dst->len = cap_len(e->type, k, from->prm[in->param].len);
	}
	e->n = base + r->ninstr;
	/* The bytes stay readable until the next store(); only forget them. */
	if (used)
		used->used = false;
	return verdict(e);
}

long evt_conv__convert(struct evt_conv *cv, const void *in, size_t inlen, unsigned hdr_len,
		       void *out, size_t outcap)
{
	char json[CONV_JSON_MAX];
	struct cevt e;
	bool changed;
	int v, step, rc;
	size_t sz;

	if (!in || (hdr_len != EVT_HDR_LEN && hdr_len != EVT_HDR_V1_LEN))
		return -EINVAL;
	changed = hdr_len == EVT_HDR_V1_LEN;
	rc = changed ? parse_v1(in, inlen, &e) : parse_v2(in, inlen, &e);
	if (rc)
		return rc;

	v = verdict(&e);
	for (step = 0; v == CV_CONTINUE && step < CONV_MAX_STEPS; step++) {
		const struct evt_conv_rule *r = find_rule(e.type, e.n);

		if (!r)
			return -ENOTSUP;
		if (r->action == EVT_CA_ADD_PARAMS || r->action == EVT_CA_CHANGE_TYPE)
			changed = true;
		v = apply(cv, r, &e, json);
	}
	switch (v) {
	case CV_PASS:
		break;
	case CV_DROP:
		return -ENOENT;
	default:
		return -ENOTSUP;
	}
	/* libs passes events it has no rule for (procexit with only its status,
	 * setsockopt with none) as they are; consumers here are promised the
	 * whole current layout, so the missing tail is added empty. */
	while (e.n < evt_table[e.type].nparams) {
		e.prm[e.n].p = zeros;
		e.prm[e.n++].len = 0;
		changed = true;
	}
	if (!changed)
		return 0;
	sz = emit_size(&e);
	if (sz > EVT_MAX_LEN)
		return -EINVAL;
	if (!out || sz > outcap)
		return -ENOSPC;
	emit(&e, out, sz);
	return (long)sz;
}

long evt_convert(const void *in, size_t inlen, unsigned hdr_len, void *out, size_t outcap)
{
	return evt_conv__convert(NULL, in, inlen, hdr_len, out, outcap);
}

struct evt_conv *evt_conv__new(void)
{
	return calloc(1, sizeof(struct evt_conv));
}

void evt_conv__free(struct evt_conv *cv)
{
	size_t i;

	if (!cv)
		return;
	for (i = 0; i < CONV_SLOTS; i++)
		free(cv->slot[i].buf);
	free(cv);
}
