/*
 * capture_tables.c - parse the table blocks of a capture (process list PL
 * V1..V9 and the _INT variants, fd list V1/V2, user list V1/V2, interface
 * list V1/V2) into struct cap_tables.
 *
 * Layouts follow libs' reader (scap_savefile.c). Versions before scap 1.2
 * grew by inserting fields, so each version is parsed field by field; from
 * PL V9 / FDL V2 / UL V2 / IL V2 on, each entry starts with its length and
 * later fields are appended, so we read what fits and skip the rest. Every
 * read goes through a bounds-checked cursor: a short entry is an error that
 * names its offset, never a read past the block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "capture_int.h"

/* Grow @arr (n elements of @size) so element n can be written; the array
 * doubles whenever n reaches a power of two, so no capacity is stored. */
static void *grow(void *arr, uint32_t n, size_t size)
{
	if (n == 0)
		return realloc(arr, 16 * size);
	if (n < 16 || (n & (n - 1)) != 0)
		return arr;
	return realloc(arr, (size_t)n * 2 * size);
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A u16-length-prefixed string; returns a pointer into the block or NULL
 * when it does not fit (cursor marked bad). */
static const uint8_t *get_str(struct cap_cur *c, uint16_t *len)
{
	const uint8_t *p;

	*len = cap_get_u16(c);
	if (c->bad || cap_cur_left(c) < *len) {
		c->bad = 1;
		*len = 0;
		return NULL;
	}
	p = c->p;
	c->p += *len;
	return p;
}

/* Read a string into a fresh allocation; -ENOMEM, or 0 (cursor may be bad). */
static int take_str(struct cap_cur *c, char **dst, uint32_t *lenp)
{
	uint16_t len;
	const uint8_t *p = get_str(c, &len);

	if (c->bad)
		return 0;
	*dst = dup_bytes(p, len);
	if (!*dst)
		return -ENOMEM;
	if (lenp)
		*lenp = len;
	return 0;
}

static int pl_version(uint32_t type)
{
	switch (type) {
	case CAP_PL_V1:
	case CAP_PL_V1_INT:
		return 1;
	case CAP_PL_V2:
	case CAP_PL_V2_INT:
		return 2;
	case CAP_PL_V3:
	case CAP_PL_V3_INT:
		return 3;
	case CAP_PL_V4:
		return 4;
	case CAP_PL_V5:
		return 5;
	case CAP_PL_V6:
		return 6;
	case CAP_PL_V7:
		return 7;
	case CAP_PL_V8:
		return 8;
	case CAP_PL_V9:
		return 9;
	}
	return 0;
}

static void free_proc(struct cap_proc *p)
{
	free(p->comm);
	free(p->exe);
	free(p->exepath);
	free(p->cwd);
	free(p->root);
	free(p->args);
	free(p->env);
	free(p->cgroups);
}

/*
 * The fields libs 0.10 appended to PL V9 entries. Before 0.10 the tail after
 * root was loginuid, exe_writable and three capability sets (29 bytes); 0.10
 * inserted pidns_init_start_ts and tty in front of them. Like libs, a tail of
 * at most 29 bytes is taken as the old layout.
 */
static void parse_pl_v9_tail(struct cap_cur *c, struct cap_proc *p)
{
	if (cap_cur_left(c) > 29) {
		if (cap_cur_left(c) >= 8)
			p->pidns_init_start_ts = cap_get_u64(c);
		if (cap_cur_left(c) >= 4) {
			p->tty = cap_get_u32(c);
			p->has |= CAP_PROC_HAS_TTY;
		}
	}
	if (cap_cur_left(c) >= 4) {
		p->loginuid = cap_get_u32(c);
		p->has |= CAP_PROC_HAS_LOGINUID;
	}
	if (cap_cur_left(c) >= 1)
		p->exe_writable = cap_get_u8(c) != 0;
	if (cap_cur_left(c) >= 24) {
		p->cap_inheritable = cap_get_u64(c);
		p->cap_permitted = cap_get_u64(c);
		p->cap_effective = cap_get_u64(c);
		p->has |= CAP_PROC_HAS_CAPS;
	}
	if (cap_cur_left(c) >= 1)
		p->exe_upper_layer = cap_get_u8(c) != 0;
	if (cap_cur_left(c) >= 24) {
		p->exe_ino = cap_get_u64(c);
		p->exe_ino_ctime = cap_get_u64(c);
		p->exe_ino_mtime = cap_get_u64(c);
		p->has |= CAP_PROC_HAS_EXE_INO;
	}
	if (cap_cur_left(c) >= 1)
		p->exe_from_memfd = cap_get_u8(c) != 0;
	if (cap_cur_left(c) >= 1)
		p->exe_lower_layer = cap_get_u8(c) != 0;
	if (cap_cur_left(c) >= 8) {
		p->pgid = (int64_t)cap_get_u64(c);
		p->has |= CAP_PROC_HAS_PGID;
	}
}

/* Strings and fixed fields common to all versions, in file order. */
static int parse_proc_body(struct cap_cur *c, int ver, struct cap_proc *p)
{
	p->tid = cap_get_u64(c);
	p->pid = cap_get_u64(c);
	p->ptid = cap_get_u64(c);
	if (ver >= 6) {
		p->sid = (int64_t)cap_get_u64(c);
		p->has |= CAP_PROC_HAS_SID;
	}
	if (ver >= 8) {
		p->vpgid = (int64_t)cap_get_u64(c);
		p->has |= CAP_PROC_HAS_VPGID;
	}
	if (take_str(c, &p->comm, NULL) || take_str(c, &p->exe, NULL))
		return -ENOMEM;
	if (ver >= 7) {
		if (take_str(c, &p->exepath, NULL))
			return -ENOMEM;
		p->has |= CAP_PROC_HAS_EXEPATH;
	}
	if (take_str(c, &p->args, &p->args_len) || take_str(c, &p->cwd, NULL))
		return -ENOMEM;
	p->fdlimit = cap_get_u64(c);
	p->flags = cap_get_u32(c);
	p->uid = cap_get_u32(c);
	p->gid = cap_get_u32(c);
	if (ver >= 2) {
		p->vmsize_kb = cap_get_u32(c);
		p->vmrss_kb = cap_get_u32(c);
		p->vmswap_kb = cap_get_u32(c);
		p->pfmajor = cap_get_u64(c);
		p->pfminor = cap_get_u64(c);
		p->has |= CAP_PROC_HAS_MEM;
	}
	if (ver >= 3) {
		if (take_str(c, &p->env, &p->env_len))
			return -ENOMEM;
		p->has |= CAP_PROC_HAS_ENV;
	}
	if (ver >= 4) {
		p->vtid = (int64_t)cap_get_u64(c);
		p->vpid = (int64_t)cap_get_u64(c);
		if (take_str(c, &p->cgroups, &p->cgroups_len))
			return -ENOMEM;
		p->has |= CAP_PROC_HAS_NS;
	}
	if (ver >= 5) {
		if (take_str(c, &p->root, NULL))
			return -ENOMEM;
		p->has |= CAP_PROC_HAS_ROOT;
	}
	if (ver == 9)
		parse_pl_v9_tail(c, p);
	return 0;
}

/* Give every string field a value so users never meet NULL. */
static int fill_empty_strings(struct cap_proc *p)
{
	char **fields[] = { &p->comm, &p->exe,	&p->exepath, &p->cwd,
			    &p->root, &p->args, &p->env,     &p->cgroups };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!*fields[i]) {
			*fields[i] = calloc(1, 1);
			if (!*fields[i])
				return -ENOMEM;
		}
	}
	return 0;
}

int cap_parse_proclist(struct cap_tables *t, uint32_t type, struct cap_cur *c,
		       struct cap_error *e)
{
	int ver = pl_version(type);

	while (cap_cur_left(c) >= 4) {
		uint64_t off = cap_cur_off(c);
		struct cap_cur ec = *c;
		struct cap_proc *arr, p;
		uint32_t sub_len = 0;
		int rc;

		if (ver == 9) {
			sub_len = cap_get_u32(&ec);
			if (sub_len < 4 || sub_len > cap_cur_left(c)) {
				cap_set_error(e, -EINVAL, off,
					      "process entry length %u does not fit in the %zu bytes "
					      "left in its block",
					      sub_len, cap_cur_left(c));
				return -EINVAL;
			}
			ec.end = c->p + sub_len;
		}
		memset(&p, 0, sizeof(p));
		p.sid = p.vpgid = p.pgid = p.vtid = p.vpid = -1;
		p.loginuid = UINT32_MAX;
		rc = parse_proc_body(&ec, ver, &p);
		if (!rc)
			rc = ec.bad ? -EINVAL : fill_empty_strings(&p);
		if (rc) {
			free_proc(&p);
			if (rc == -EINVAL)
				cap_set_error(e, rc, off,
					      "process entry (PL version %d) runs past the end of its "
					      "%s",
					      ver, ver == 9 ? "entry length" : "block");
			else
				cap_set_error(e, rc, off, "out of memory reading the process list");
			return rc;
		}
		arr = grow(t->procs, t->nprocs, sizeof(*arr));
		if (!arr) {
			free_proc(&p);
			cap_set_error(e, -ENOMEM, off, "out of memory reading the process list");
			return -ENOMEM;
		}
		t->procs = arr;
		t->procs[t->nprocs++] = p;
		c->p = ver == 9 ? ec.end : ec.p;
	}
	return 0;
}

/* The name-only fd types (libs: fname read from disk, nothing else). */
static bool fd_type_has_name_only(uint8_t type)
{
	switch (type) {
	case CAP_FD_FIFO:
	case CAP_FD_FILE:
	case CAP_FD_DIRECTORY:
	case CAP_FD_UNSUPPORTED:
	case CAP_FD_EVENT:
	case CAP_FD_SIGNALFD:
	case CAP_FD_EVENTPOLL:
	case CAP_FD_INOTIFY:
	case CAP_FD_TIMERFD:
	case CAP_FD_NETLINK:
	case CAP_FD_BPF:
	case CAP_FD_USERFAULTFD:
	case CAP_FD_IOURING:
	case CAP_FD_MEMFD:
	case CAP_FD_PIDFD:
		return true;
	}
	return false;
}

/* Parse one fd entry body (after the V2 length); 0, -ENOMEM, or -ENOTSUP
 * for an fd type we cannot size. */
static int parse_fd_body(struct cap_cur *c, struct cap_fd *f, bool v2)
{
	f->fd = (int64_t)cap_get_u64(c);
	f->ino = cap_get_u64(c);
	f->type = cap_get_u8(c);
	switch (f->type) {
	case CAP_FD_IPV4_SOCK:
		f->sip4 = cap_get_u32(c);
		f->dip4 = cap_get_u32(c);
		f->sport = cap_get_u16(c);
		f->dport = cap_get_u16(c);
		f->l4proto = cap_get_u8(c);
		break;
	case CAP_FD_IPV4_SERVSOCK:
		f->sip4 = cap_get_u32(c);
		f->sport = cap_get_u16(c);
		f->l4proto = cap_get_u8(c);
		break;
	case CAP_FD_IPV6_SOCK:
		cap_cur_take(c, f->sip6, 16);
		cap_cur_take(c, f->dip6, 16);
		f->sport = cap_get_u16(c);
		f->dport = cap_get_u16(c);
		f->l4proto = cap_get_u8(c);
		break;
	case CAP_FD_IPV6_SERVSOCK:
		cap_cur_take(c, f->sip6, 16);
		f->sport = cap_get_u16(c);
		f->l4proto = cap_get_u8(c);
		break;
	case CAP_FD_UNIX_SOCK:
		f->unix_src = cap_get_u64(c);
		f->unix_dst = cap_get_u64(c);
		return take_str(c, &f->name, NULL);
	case CAP_FD_FILE_V2:
		f->open_flags = cap_get_u32(c);
		if (take_str(c, &f->name, NULL))
			return -ENOMEM;
		if (v2 && cap_cur_left(c) >= 4) {
			f->dev = cap_get_u32(c);
			f->has_dev = true;
		}
		return 0;
	case CAP_FD_UNKNOWN:
		break;
	default:
		if (fd_type_has_name_only(f->type))
			return take_str(c, &f->name, NULL);
		return -ENOTSUP;
	}
	return 0;
}

int cap_parse_fdlist(struct cap_tables *t, uint32_t type, struct cap_cur *c, struct cap_error *e)
{
	bool v2 = type == CAP_FDL_V2;
	uint64_t tid;

	tid = cap_get_u64(c);
	if (c->bad) {
		cap_set_error(e, -EINVAL, c->base_off, "fd list block too short for its tid");
		return -EINVAL;
	}
	while (cap_cur_left(c) >= 4) {
		uint64_t off = cap_cur_off(c);
		struct cap_cur ec = *c;
		struct cap_fd f, *arr;
		uint32_t sub_len = 0;
		int rc;

		if (v2) {
			sub_len = cap_get_u32(&ec);
			if (sub_len < 4 || sub_len > cap_cur_left(c)) {
				cap_set_error(e, -EINVAL, off,
					      "fd entry length %u does not fit in the %zu bytes left "
					      "in its block",
					      sub_len, cap_cur_left(c));
				return -EINVAL;
			}
			ec.end = c->p + sub_len;
		}
		memset(&f, 0, sizeof(f));
		f.tid = tid;
		rc = parse_fd_body(&ec, &f, v2);
		if (rc == -ENOTSUP && v2) {
			/* A newer libs' fd type: its entry length lets us skip it. */
			char buf[32];

			snprintf(buf, sizeof(buf), "unknown-type:[%u]", f.type);
			f.type = CAP_FD_UNSUPPORTED;
			f.name = dup_bytes((const uint8_t *)buf, strlen(buf));
			rc = f.name ? 0 : -ENOMEM;
		}
		if (!rc && !f.name) {
			f.name = calloc(1, 1);
			rc = f.name ? 0 : -ENOMEM;
		}
		if (!rc && ec.bad)
			rc = -EINVAL;
		if (rc) {
			free(f.name);
			if (rc == -ENOTSUP)
				cap_set_error(e, -EINVAL, off, "fd entry has unknown type %u", f.type);
			else if (rc == -EINVAL)
				cap_set_error(e, rc, off,
					      "fd entry (type %u) runs past the end of its %s", f.type,
					      v2 ? "entry length" : "block");
			else
				cap_set_error(e, rc, off, "out of memory reading the fd list");
			return rc == -ENOTSUP ? -EINVAL : rc;
		}
		arr = grow(t->fds, t->nfds, sizeof(*arr));
		if (!arr) {
			free(f.name);
			cap_set_error(e, -ENOMEM, off, "out of memory reading the fd list");
			return -ENOMEM;
		}
		t->fds = arr;
		t->fds[t->nfds++] = f;
		c->p = v2 ? ec.end : ec.p;
	}
	return 0;
}

static int parse_user(struct cap_tables *t, struct cap_cur *c)
{
	struct cap_user u = { 0 }, *arr;

	u.uid = cap_get_u32(c);
	u.gid = cap_get_u32(c);
	if (take_str(c, &u.name, NULL) || take_str(c, &u.home, NULL) ||
	    take_str(c, &u.shell, NULL))
		goto out_free;
	if (c->bad) {
		free(u.name);
		free(u.home);
		free(u.shell);
		return -EINVAL;
	}
	arr = grow(t->users, t->nusers, sizeof(*arr));
	if (!arr)
		goto out_free;
	t->users = arr;
	t->users[t->nusers++] = u;
	return 0;

out_free:
	free(u.name);
	free(u.home);
	free(u.shell);
	return -ENOMEM;
}

static int parse_group(struct cap_tables *t, struct cap_cur *c)
{
	struct cap_group g = { 0 }, *arr;

	g.gid = cap_get_u32(c);
	if (take_str(c, &g.name, NULL))
		return -ENOMEM;
	if (c->bad) {
		free(g.name);
		return -EINVAL;
	}
	arr = grow(t->groups, t->ngroups, sizeof(*arr));
	if (!arr) {
		free(g.name);
		return -ENOMEM;
	}
	t->groups = arr;
	t->groups[t->ngroups++] = g;
	return 0;
}

int cap_parse_userlist(struct cap_tables *t, uint32_t type, struct cap_cur *c,
		       struct cap_error *e)
{
	bool v2 = type == CAP_UL_V2;

	while (cap_cur_left(c) >= 4) {
		uint64_t off = cap_cur_off(c);
		struct cap_cur ec = *c;
		uint32_t sub_len;
		uint8_t kind;
		int rc;

		if (v2) {
			sub_len = cap_get_u32(&ec);
			if (sub_len < 5 || sub_len > cap_cur_left(c)) {
				cap_set_error(e, -EINVAL, off,
					      "user entry length %u does not fit in the %zu bytes "
					      "left in its block",
					      sub_len, cap_cur_left(c));
				return -EINVAL;
			}
			ec.end = c->p + sub_len;
		}
		kind = cap_get_u8(&ec);
		rc = kind == 0 ? parse_user(t, &ec) : parse_group(t, &ec);
		if (rc) {
			if (rc == -EINVAL)
				cap_set_error(e, rc, off, "%s entry runs past the end of its %s",
					      kind == 0 ? "user" : "group",
					      v2 ? "entry length" : "block");
			else
				cap_set_error(e, rc, off, "out of memory reading the user list");
			return rc;
		}
		c->p = v2 ? ec.end : ec.p;
	}
	return 0;
}

int cap_parse_iflist(struct cap_tables *t, uint32_t type, struct cap_cur *c, struct cap_error *e)
{
	bool v2 = type == CAP_IL_V2;

	while (cap_cur_left(c) >= 4) {
		uint64_t off = cap_cur_off(c);
		struct cap_cur ec = *c;
		struct cap_iface f = { 0 }, *arr;
		uint16_t iftype, namelen;
		const uint8_t *name;

		if (v2) {
			uint32_t size = cap_get_u32(&ec);

			if (size > cap_cur_left(c) - 4) {
				cap_set_error(e, -EINVAL, off,
					      "interface entry length %u does not fit in the %zu "
					      "bytes left in its block",
					      size, cap_cur_left(c) - 4);
				return -EINVAL;
			}
			ec.end = c->p + 4 + size;
		}
		iftype = cap_get_u16(&ec);
		namelen = cap_get_u16(&ec);
		if (iftype == 1 || iftype == 3) { /* IPV4, IPV4_NOLINKSPEED */
			f.type = CAP_IF_IPV4;
			f.addr4 = cap_get_u32(&ec);
			f.netmask4 = cap_get_u32(&ec);
			f.bcast4 = cap_get_u32(&ec);
			if (iftype == 1)
				f.linkspeed = cap_get_u64(&ec);
		} else if (iftype == 2 || iftype == 4) { /* IPV6, IPV6_NOLINKSPEED */
			f.type = CAP_IF_IPV6;
			cap_cur_take(&ec, f.addr6, 16);
			cap_cur_take(&ec, f.netmask6, 16);
			cap_cur_take(&ec, f.bcast6, 16);
			if (iftype == 2)
				f.linkspeed = cap_get_u64(&ec);
		} else {
			cap_set_error(e, -EINVAL, off, "interface entry has unknown type %u", iftype);
			return -EINVAL;
		}
		name = ec.p;
		if (ec.bad || cap_cur_left(&ec) < namelen) {
			cap_set_error(e, -EINVAL, off,
				      "interface entry runs past the end of its %s",
				      v2 ? "entry length" : "block");
			return -EINVAL;
		}
		ec.p += namelen;
		f.name = dup_bytes(name, namelen);
		arr = f.name ? grow(t->ifaces, t->nifaces, sizeof(*arr)) : NULL;
		if (!arr) {
			free(f.name);
			cap_set_error(e, -ENOMEM, off, "out of memory reading the interface list");
			return -ENOMEM;
		}
		t->ifaces = arr;
		t->ifaces[t->nifaces++] = f;
		c->p = v2 ? ec.end : ec.p;
	}
	return 0;
}

void cap_tables_release(struct cap_tables *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->nprocs; i++)
		free_proc(&t->procs[i]);
	for (i = 0; i < t->nfds; i++)
		free(t->fds[i].name);
	for (i = 0; i < t->nusers; i++) {
		free(t->users[i].name);
		free(t->users[i].home);
		free(t->users[i].shell);
	}
	for (i = 0; i < t->ngroups; i++)
		free(t->groups[i].name);
	for (i = 0; i < t->nifaces; i++)
		free(t->ifaces[i].name);
	free(t->procs);
	free(t->fds);
	free(t->users);
	free(t->groups);
	free(t->ifaces);
	memset(t, 0, sizeof(*t));
}
