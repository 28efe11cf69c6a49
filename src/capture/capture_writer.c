/*
 * capture_writer.c - write scap 1.2 captures: SHB, MI, IL V2, UL V2, PL V9,
 * FDL V2, then one EV_V2/EVF_V2 (or _LARGE) block per event.
 *
 * These are the block versions libs has written since 2021, so both current
 * libs and Debian's sysdig 0.29.3 read them. Table blocks are assembled in
 * memory first (each carries its total length up front), then written with
 * zlib's gzwrite, in transparent mode for raw files. Strings are clamped to
 * the limits libs' reader enforces, since a longer one makes libs reject the
 * whole file.
 */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "abi/event_table.h"
#include "capture_int.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

struct cap_writer {
	gzFile gz;
	unsigned flags;
	uint64_t off; /* bytes written so far (uncompressed) */
	struct cap_error err;
	int failed;
};

static void put(struct wbuf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u8(struct wbuf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_u16(struct wbuf *b, uint16_t v)
{
	put(b, &v, 2);
}

static void put_u32(struct wbuf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put_u64(struct wbuf *b, uint64_t v)
{
	put(b, &v, 8);
}

/* u16 length + bytes, at most @max bytes of @s (NULL counts as ""). */
static void put_str(struct wbuf *b, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;

	put_u16(b, (uint16_t)n);
	put(b, s, n);
}

/* u16 length + a byte list (args, env, cgroups) of @len bytes. */
static void put_bytes(struct wbuf *b, const char *s, uint32_t len, size_t max)
{
	size_t n = s ? (len > max ? max : len) : 0;

	put_u16(b, (uint16_t)n);
	put(b, s, n);
}

/* Patch the u32 at @at with the bytes written since @at. */
static void patch_len(struct wbuf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at);

	if (!b->oom)
		memcpy(b->p + at, &n, 4);
}

static int wfail(struct cap_writer *w, int err, const char *what)
{
	int zerr = 0;
	const char *zmsg = w->gz ? gzerror(w->gz, &zerr) : "";

	cap_set_error(&w->err, err, w->off, "%s: %s", what,
		      zerr == Z_ERRNO ? strerror(errno) : zmsg);
	w->failed = err;
	return err;
}

static int wwrite(struct cap_writer *w, const void *p, size_t n)
{
	if (n && gzwrite(w->gz, p, (unsigned)n) != (int)n)
		return wfail(w, -EIO, "write failed");
	w->off += n;
	return 0;
}

/* Write a block with body @body (padded to 4 bytes). */
static int put_block(struct cap_writer *w, uint32_t type, const struct wbuf *body)
{
	static const uint8_t zero[4];
	uint32_t pad = (uint32_t)((4 - body->len % 4) % 4);
	uint32_t total = (uint32_t)(body->len + pad + CAP_BLOCK_OVERHEAD);
	uint32_t hdr[2] = { type, total };

	if (body->oom)
		return wfail(w, -ENOMEM, "out of memory");
	if (body->len + pad + CAP_BLOCK_OVERHEAD > UINT32_MAX)
		return wfail(w, -EFBIG, "table block too large");
	if (wwrite(w, hdr, sizeof(hdr)) || wwrite(w, body->p, body->len) ||
	    wwrite(w, zero, pad) || wwrite(w, &total, 4))
		return w->failed;
	return 0;
}

static int write_shb(struct cap_writer *w)
{
	struct wbuf b = { 0 };
	int rc;

	put_u32(&b, CAP_SHB_MAGIC);
	put_u16(&b, CAP_MAJOR);
	put_u16(&b, CAP_MINOR);
	put_u64(&b, UINT64_MAX);
	rc = put_block(w, CAP_SHB_TYPE, &b);
	free(b.p);
	return rc;
}

static int write_machine(struct cap_writer *w, const struct cap_machine *m)
{
	struct wbuf b = { 0 };
	char host[128] = { 0 };
	int rc;

	memcpy(host, m->hostname, strnlen(m->hostname, sizeof(host) - 1));
	put_u32(&b, m->num_cpus);
	put_u64(&b, m->memory_bytes);
	put_u64(&b, m->max_pid);
	put(&b, host, sizeof(host));
	put_u64(&b, m->boot_ts);
	put_u64(&b, m->flags);
	put_u64(&b, 0);
	put_u64(&b, 0);
	rc = put_block(w, CAP_MI, &b);
	free(b.p);
	return rc;
}

static int write_iflist(struct cap_writer *w, const struct cap_tables *t)
{
	struct wbuf b = { 0 };
	uint32_t i;
	int rc;

	for (i = 0; i < t->nifaces; i++) {
		const struct cap_iface *f = &t->ifaces[i];
		size_t n = f->name ? strnlen(f->name, CAP_MAX_PATH - 1) : 0;
		bool v4 = f->type == CAP_IF_IPV4;

		put_u32(&b, (uint32_t)((v4 ? 24 : 60) + n));
		put_u16(&b, v4 ? CAP_IF_IPV4 : CAP_IF_IPV6);
		put_u16(&b, (uint16_t)n);
		if (v4) {
			put_u32(&b, f->addr4);
			put_u32(&b, f->netmask4);
			put_u32(&b, f->bcast4);
		} else {
			put(&b, f->addr6, 16);
			put(&b, f->netmask6, 16);
			put(&b, f->bcast6, 16);
		}
		put_u64(&b, f->linkspeed);
		put(&b, f->name, n);
	}
	rc = put_block(w, CAP_IL_V2, &b);
	free(b.p);
	return rc;
}

static int write_userlist(struct cap_writer *w, const struct cap_tables *t)
{
	struct wbuf b = { 0 };
	uint32_t i;
	size_t at;
	int rc;

	for (i = 0; i < t->nusers; i++) {
		const struct cap_user *u = &t->users[i];

		at = b.len;
		put_u32(&b, 0);
		put_u8(&b, 0);
		put_u32(&b, u->uid);
		put_u32(&b, u->gid);
		put_str(&b, u->name, CAP_MAX_CRED);
		put_str(&b, u->home, CAP_MAX_CRED);
		put_str(&b, u->shell, CAP_MAX_CRED);
		patch_len(&b, at);
	}
	for (i = 0; i < t->ngroups; i++) {
		const struct cap_group *g = &t->groups[i];

		at = b.len;
		put_u32(&b, 0);
		put_u8(&b, 1);
		put_u32(&b, g->gid);
		put_str(&b, g->name, CAP_MAX_CRED);
		patch_len(&b, at);
	}
	rc = put_block(w, CAP_UL_V2, &b);
	free(b.p);
	return rc;
}

static void put_proc(struct wbuf *b, const struct cap_proc *p, bool compat)
{
	size_t at = b->len;

	put_u32(b, 0);
	put_u64(b, p->tid);
	put_u64(b, p->pid);
	put_u64(b, p->ptid);
	put_u64(b, (uint64_t)p->sid);
	put_u64(b, (uint64_t)p->vpgid);
	put_str(b, p->comm, CAP_MAX_PATH);
	put_str(b, p->exe, CAP_MAX_PATH);
	put_str(b, p->exepath, CAP_MAX_PATH);
	put_bytes(b, p->args, p->args_len, CAP_MAX_ARGS);
	put_str(b, p->cwd, CAP_MAX_PATH);
	put_u64(b, p->fdlimit);
	put_u32(b, p->flags);
	put_u32(b, p->uid);
	put_u32(b, p->gid);
	put_u32(b, p->vmsize_kb);
	put_u32(b, p->vmrss_kb);
	put_u32(b, p->vmswap_kb);
	put_u64(b, p->pfmajor);
	put_u64(b, p->pfminor);
	put_bytes(b, p->env, p->env_len, CAP_MAX_ARGS);
	put_u64(b, (uint64_t)p->vtid);
	put_u64(b, (uint64_t)p->vpid);
	put_bytes(b, p->cgroups, p->cgroups_len, CAP_MAX_ARGS);
	put_str(b, p->root, CAP_MAX_PATH);
	if (!compat) {
		put_u64(b, p->pidns_init_start_ts);
		put_u32(b, p->tty);
	}
	put_u32(b, p->loginuid);
	put_u8(b, p->exe_writable);
	put_u64(b, p->cap_inheritable);
	put_u64(b, p->cap_permitted);
	put_u64(b, p->cap_effective);
	if (!compat) {
		put_u8(b, p->exe_upper_layer);
		put_u64(b, p->exe_ino);
		put_u64(b, p->exe_ino_ctime);
		put_u64(b, p->exe_ino_mtime);
		put_u8(b, p->exe_from_memfd);
		put_u8(b, p->exe_lower_layer);
		put_u64(b, (uint64_t)p->pgid);
	}
	patch_len(b, at);
}

static int write_proclist(struct cap_writer *w, const struct cap_tables *t)
{
	struct wbuf b = { 0 };
	uint32_t i;
	int rc;

	if (!t->nprocs)
		return 0;
	for (i = 0; i < t->nprocs; i++)
		put_proc(&b, &t->procs[i], w->flags & CAP_WRITE_COMPAT_2022);
	rc = put_block(w, CAP_PL_V9, &b);
	free(b.p);
	return rc;
}

static void put_fd(struct wbuf *b, const struct cap_fd *f, bool compat)
{
	size_t at = b->len;
	uint8_t type = f->type;

	if (compat && type > CAP_FD_FILE_V2)
		type = CAP_FD_UNSUPPORTED;
	put_u32(b, 0);
	put_u64(b, (uint64_t)f->fd);
	put_u64(b, f->ino);
	put_u8(b, type);
	switch (type) {
	case CAP_FD_IPV4_SOCK:
		put_u32(b, f->sip4);
		put_u32(b, f->dip4);
		put_u16(b, f->sport);
		put_u16(b, f->dport);
		put_u8(b, f->l4proto);
		break;
	case CAP_FD_IPV4_SERVSOCK:
		put_u32(b, f->sip4);
		put_u16(b, f->sport);
		put_u8(b, f->l4proto);
		break;
	case CAP_FD_IPV6_SOCK:
		put(b, f->sip6, 16);
		put(b, f->dip6, 16);
		put_u16(b, f->sport);
		put_u16(b, f->dport);
		put_u8(b, f->l4proto);
		break;
	case CAP_FD_IPV6_SERVSOCK:
		put(b, f->sip6, 16);
		put_u16(b, f->sport);
		put_u8(b, f->l4proto);
		break;
	case CAP_FD_UNIX_SOCK:
		put_u64(b, f->unix_src);
		put_u64(b, f->unix_dst);
		put_str(b, f->name, CAP_MAX_PATH - 1);
		break;
	case CAP_FD_FILE_V2:
		put_u32(b, f->open_flags);
		put_str(b, f->name, CAP_MAX_PATH - 1);
		put_u32(b, f->dev);
		break;
	default:
		put_str(b, f->name, CAP_MAX_PATH - 1);
		break;
	}
	patch_len(b, at);
}

/* One FDL block per run of fds with the same tid, in table order. */
static int write_fdlists(struct cap_writer *w, const struct cap_tables *t)
{
	struct wbuf b = { 0 };
	uint32_t i = 0, j;
	int rc = 0;

	while (i < t->nfds && !rc) {
		b.len = 0;
		put_u64(&b, t->fds[i].tid);
		for (j = i; j < t->nfds && t->fds[j].tid == t->fds[i].tid; j++) {
			if (t->fds[j].type != CAP_FD_UNKNOWN)
				put_fd(&b, &t->fds[j], w->flags & CAP_WRITE_COMPAT_2022);
		}
		rc = put_block(w, CAP_FDL_V2, &b);
		i = j;
	}
	free(b.p);
	return rc;
}

static int write_tables(struct cap_writer *w, const struct cap_machine *m,
			const struct cap_tables *t)
{
	if (write_shb(w))
		return w->failed;
	if (m && write_machine(w, m))
		return w->failed;
	if (!t)
		return 0;
	if (t->nifaces && write_iflist(w, t))
		return w->failed;
	if ((t->nusers || t->ngroups) && write_userlist(w, t))
		return w->failed;
	if (write_proclist(w, t) || write_fdlists(w, t))
		return w->failed;
	return 0;
}

struct cap_writer *cap_writer_open(const char *path, unsigned flags,
				   const struct cap_machine *machine,
				   const struct cap_tables *tables, struct cap_error *err)
{
	struct cap_writer *w = calloc(1, sizeof(*w));

	if (!w) {
		cap_set_error(err, -ENOMEM, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->flags = flags;
	w->gz = gzopen(path, (flags & CAP_WRITE_GZIP) ? "wb6" : "wbT");
	if (!w->gz) {
		int e = errno ? errno : ENOMEM;

		cap_set_error(err, -e, 0, "cannot create %s: %s", path, strerror(e));
		free(w);
		errno = e;
		return NULL;
	}
	gzbuffer(w->gz, 1u << 20);
	if (write_tables(w, machine, tables)) {
		int e = -w->failed;

		if (err)
			*err = w->err;
		gzclose(w->gz);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int cap_writer_event(struct cap_writer *w, uint16_t cpu, const void *ev, uint32_t flags)
{
	static const uint8_t zero[4];
	const struct evt_info *info;
	struct evt_hdr h;
	uint32_t pre = flags ? 6 : 2, type, total, pad;
	uint8_t head[14];

	if (w->failed)
		return w->failed;
	memcpy(&h, ev, sizeof(h));
	if (h.len < EVT_HDR_LEN || h.len > EVT_MAX_LEN) {
		cap_set_error(&w->err, -EINVAL, w->off, "event length %u is not in %u..%u", h.len,
			      EVT_HDR_LEN, EVT_MAX_LEN);
		return -EINVAL;
	}
	info = evt_info(h.type);
	if (info && (info->flags & EVT_FLAG_LARGE_PAYLOAD))
		type = flags ? CAP_EVF_V2_LARGE : CAP_EV_V2_LARGE;
	else
		type = flags ? CAP_EVF_V2 : CAP_EV_V2;
	pad = (4 - (pre + h.len) % 4) % 4;
	total = 8 + pre + h.len + pad + 4;
	memcpy(head, &type, 4);
	memcpy(head + 4, &total, 4);
	memcpy(head + 8, &cpu, 2);
	memcpy(head + 10, &flags, 4);
	if (wwrite(w, head, 8 + pre) || wwrite(w, ev, h.len) || wwrite(w, zero, pad) ||
	    wwrite(w, &total, 4))
		return w->failed;
	return 0;
}

const struct cap_error *cap_writer_error(const struct cap_writer *w)
{
	return &w->err;
}

int cap_writer_close(struct cap_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = w->failed;
	if (gzclose(w->gz) != Z_OK && !rc) {
		cap_set_error(&w->err, -EIO, w->off, "closing the capture failed");
		rc = -EIO;
	}
	free(w);
	return rc;
}
