/*
 * test_tables.c - every version of the table blocks (PL V1..V9 and the _INT
 * numbers, FDL V1/V2, UL V1/V2, IL V1/V2), built byte by byte here in the
 * layouts of libs' writer of each era and read back field by field.
 */
#include <errno.h>

#include "capture/capture.h"
#include "cap_test.h"

struct bb {
	uint8_t b[8192];
	size_t n;
};

static void put(struct bb *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void u8(struct bb *b, uint8_t v) { put(b, &v, 1); }
static void u16(struct bb *b, uint16_t v) { put(b, &v, 2); }
static void u32(struct bb *b, uint32_t v) { put(b, &v, 4); }
static void u64(struct bb *b, uint64_t v) { put(b, &v, 8); }
static void str(struct bb *b, const char *s)
{
	u16(b, (uint16_t)strlen(s));
	put(b, s, strlen(s));
}

/* A block of @type around @body (padded), appended to @f. */
static void block(struct bb *f, uint32_t type, const struct bb *body)
{
	size_t pad = (4 - body->n % 4) % 4;
	uint32_t total = (uint32_t)(body->n + pad + 12);
	static const uint8_t z[4];

	u32(f, type);
	u32(f, total);
	put(f, body->b, body->n);
	put(f, z, pad);
	u32(f, total);
}

static void shb(struct bb *f)
{
	struct bb s = { .n = 0 };

	u32(&s, 0x1A2B3C4D);
	u16(&s, 1);
	u16(&s, 0);
	u64(&s, UINT64_MAX);
	f->n = 0;
	block(f, 0x0A0D0D0A, &s);
}

/* One process entry of PL version @v (1..9), in that version's layout. */
static void pl_entry(struct bb *b, int v, uint64_t tid)
{
	size_t at = b->n;

	if (v == 9)
		u32(b, 0);
	u64(b, tid);
	u64(b, 100);
	u64(b, 1);
	if (v >= 6)
		u64(b, 7); /* sid */
	if (v >= 8)
		u64(b, 8); /* vpgid */
	str(b, "comm");
	str(b, "/bin/exe");
	if (v >= 7)
		str(b, "/usr/bin/exe");
	u16(b, 6);
	put(b, "a\0bcd\0", 6); /* args */
	str(b, "/cwd");
	u64(b, 1024);
	u32(b, 0x10);
	u32(b, 1000);
	u32(b, 1001);
	if (v >= 2) {
		u32(b, 11);
		u32(b, 12);
		u32(b, 13);
		u64(b, 14);
		u64(b, 15);
	}
	if (v >= 3) {
		u16(b, 4);
		put(b, "A=1\0", 4);
	}
	if (v >= 4) {
		u64(b, 21);
		u64(b, 22);
		u16(b, 9);
		put(b, "cpu=/x\0\0\0", 9);
	}
	if (v >= 5)
		str(b, "/root");
	if (v == 9) {
		u64(b, 31); /* pidns_init_start_ts */
		u32(b, 34816); /* tty */
		u32(b, 500); /* loginuid */
		u8(b, 1);
		u64(b, 41);
		u64(b, 42);
		u64(b, 43);
		u8(b, 1); /* upper layer */
		u64(b, 51);
		u64(b, 52);
		u64(b, 53);
		u8(b, 1); /* memfd */
		u8(b, 0);
		u64(b, 99); /* pgid */
		u32(b, 0xdeadbeef); /* a field from the future: skipped */
		uint32_t len = (uint32_t)(b->n - at);
		memcpy(b->b + at, &len, 4);
	}
}

static struct cap_reader *open_bb(const struct bb *f)
{
	struct cap_error err = { 0 };
	struct cap_reader *r = cap_reader_open_mem(f->b, f->n, &err);

	if (!r)
		printf("    open: %s\n", err.msg);
	return r;
}

T_TEST(proclist_all_versions)
{
	static const struct {
		uint32_t type;
		int v;
	} pl[] = {
		{ 0x202, 1 }, { 0x8000ABCD, 1 }, { 0x207, 2 }, { 0x8013ABCD, 2 }, { 0x209, 3 },
		{ 0x8014ABCD, 3 }, { 0x210, 4 }, { 0x211, 5 }, { 0x212, 6 }, { 0x213, 7 },
		{ 0x214, 8 }, { 0x215, 9 },
	};
	size_t i;

	for (i = 0; i < sizeof(pl) / sizeof(pl[0]); i++) {
		static struct bb f, body;
		struct cap_reader *r;
		const struct cap_proc *p;
		int v = pl[i].v;

		shb(&f);
		body.n = 0;
		pl_entry(&body, v, 10);
		pl_entry(&body, v, 11);
		block(&f, pl[i].type, &body);
		r = open_bb(&f);
		if (!r)
			T_FAIL("PL type 0x%x does not load", pl[i].type);
		T_EQ_INT(cap_reader_tables(r)->nprocs, 2);
		p = &cap_reader_tables(r)->procs[1];
		T_EQ_INT(p->tid, 11);
		T_EQ_INT(p->pid, 100);
		T_EQ_INT(p->ptid, 1);
		T_EQ_STR(p->comm, "comm");
		T_EQ_STR(p->exe, "/bin/exe");
		T_EQ_INT(p->args_len, 6);
		T_CHECK(memcmp(p->args, "a\0bcd\0", 6) == 0);
		T_EQ_STR(p->cwd, "/cwd");
		T_EQ_INT(p->fdlimit, 1024);
		T_EQ_INT(p->flags, 0x10);
		T_EQ_INT(p->uid, 1000);
		T_EQ_INT(p->gid, 1001);
		T_EQ_INT(p->sid, v >= 6 ? 7 : -1);
		T_EQ_INT(p->vpgid, v >= 8 ? 8 : -1);
		T_EQ_STR(p->exepath, v >= 7 ? "/usr/bin/exe" : "");
		T_EQ_INT(p->vmrss_kb, v >= 2 ? 12 : 0);
		T_EQ_INT(p->pfminor, v >= 2 ? 15 : 0);
		T_EQ_INT(p->env_len, v >= 3 ? 4 : 0);
		T_EQ_INT(p->vtid, v >= 4 ? 21 : -1);
		T_EQ_INT(p->vpid, v >= 4 ? 22 : -1);
		T_EQ_INT(p->cgroups_len, v >= 4 ? 9 : 0);
		T_EQ_STR(p->root, v >= 5 ? "/root" : "");
		T_EQ_INT(p->loginuid, v == 9 ? 500 : UINT32_MAX);
		T_EQ_INT(p->tty, v == 9 ? 34816 : 0);
		T_EQ_INT(p->pidns_init_start_ts, v == 9 ? 31 : 0);
		T_EQ_INT(p->cap_permitted, v == 9 ? 42 : 0);
		T_EQ_INT(p->exe_ino, v == 9 ? 51 : 0);
		T_EQ_INT(p->exe_ino_mtime, v == 9 ? 53 : 0);
		T_EQ_INT(p->exe_writable, v == 9);
		T_EQ_INT(p->exe_upper_layer, v == 9);
		T_EQ_INT(p->exe_from_memfd, v == 9);
		T_EQ_INT(p->pgid, v == 9 ? 99 : -1);
		T_EQ_INT(p->clone_ts, 0);
		cap_reader_close(r);
	}
}

/* A V9 entry written by libs before 0.10: loginuid, exe_writable and the
 * capabilities right after root (29 bytes). */
T_TEST(proclist_v9_pre_0_10)
{
	static struct bb f, body;
	struct cap_reader *r;
	const struct cap_proc *p;
	size_t at;
	uint32_t len;

	shb(&f);
	body.n = 0;
	at = body.n;
	u32(&body, 0);
	u64(&body, 5);
	u64(&body, 5);
	u64(&body, 1);
	u64(&body, 5);
	u64(&body, 5);
	str(&body, "sh");
	str(&body, "sh");
	str(&body, "/bin/sh");
	str(&body, "");
	str(&body, "/");
	u64(&body, 1);
	u32(&body, 0);
	u32(&body, 0);
	u32(&body, 0);
	u32(&body, 0);
	u32(&body, 0);
	u32(&body, 0);
	u64(&body, 0);
	u64(&body, 0);
	str(&body, "");
	u64(&body, 5);
	u64(&body, 5);
	str(&body, "");
	str(&body, "/");
	u32(&body, 1234); /* loginuid */
	u8(&body, 1);
	u64(&body, 7);
	u64(&body, 8);
	u64(&body, 9);
	len = (uint32_t)(body.n - at);
	memcpy(body.b + at, &len, 4);
	block(&f, 0x215, &body);
	r = open_bb(&f);
	T_CHECK(r != NULL);
	p = &cap_reader_tables(r)->procs[0];
	T_EQ_INT(p->loginuid, 1234);
	T_EQ_INT(p->cap_inheritable, 7);
	T_EQ_INT(p->cap_effective, 9);
	T_EQ_INT(p->tty, 0);
	T_CHECK(!(p->has & CAP_PROC_HAS_TTY));
	cap_reader_close(r);
}

static void fd_entries(struct bb *b, int v2)
{
	size_t at;
	uint32_t len;
	int k;

	u64(b, 42); /* tid */
	for (k = 0; k < 5; k++) {
		at = b->n;
		if (v2)
			u32(b, 0);
		u64(b, (uint64_t)k + 3);
		u64(b, 1000 + (uint64_t)k);
		switch (k) {
		case 0:
			u8(b, 3); /* IPv4 socket */
			u32(b, 0x0100007f);
			u32(b, 0x0200007f);
			u16(b, 1234);
			u16(b, 80);
			u8(b, 2);
			break;
		case 1:
			u8(b, 6); /* IPv6 server socket */
			put(b, "0123456789abcdef", 16);
			u16(b, 443);
			u8(b, 2);
			break;
		case 2:
			u8(b, 8); /* unix */
			u64(b, 0xaa);
			u64(b, 0xbb);
			str(b, "/run/sock");
			break;
		case 3:
			u8(b, 16); /* FILE_V2 */
			u32(b, 0x8002);
			str(b, "/etc/passwd");
			if (v2)
				u32(b, 0x803);
			break;
		case 4:
			u8(b, v2 ? 99 : 1); /* unknown type in V2: skipped by length */
			str(b, "/tmp/f");
			break;
		}
		if (v2) {
			len = (uint32_t)(b->n - at);
			memcpy(b->b + at, &len, 4);
		}
	}
}

T_TEST(fdlist_v1_v2)
{
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		static struct bb f, body;
		struct cap_reader *r;
		const struct cap_fd *fd;

		shb(&f);
		body.n = 0;
		fd_entries(&body, v2);
		block(&f, v2 ? 0x218 : 0x203, &body);
		r = open_bb(&f);
		T_CHECK(r != NULL);
		T_EQ_INT(cap_reader_tables(r)->nfds, 5);
		fd = cap_reader_tables(r)->fds;
		T_EQ_INT(fd[0].tid, 42);
		T_EQ_INT(fd[0].fd, 3);
		T_EQ_INT(fd[0].ino, 1000);
		T_EQ_INT(fd[0].type, CAP_FD_IPV4_SOCK);
		T_EQ_INT(fd[0].dip4, 0x0200007f);
		T_EQ_INT(fd[0].dport, 80);
		T_EQ_INT(fd[0].l4proto, 2);
		T_EQ_STR(fd[0].name, "");
		T_EQ_INT(fd[1].type, CAP_FD_IPV6_SERVSOCK);
		T_CHECK(memcmp(fd[1].sip6, "0123456789abcdef", 16) == 0);
		T_EQ_INT(fd[1].sport, 443);
		T_EQ_INT(fd[2].unix_dst, 0xbb);
		T_EQ_STR(fd[2].name, "/run/sock");
		T_EQ_INT(fd[3].type, CAP_FD_FILE_V2);
		T_EQ_INT(fd[3].open_flags, 0x8002);
		T_EQ_STR(fd[3].name, "/etc/passwd");
		T_EQ_INT(fd[3].has_dev, v2);
		T_EQ_INT(fd[3].dev, v2 ? 0x803 : 0);
		if (v2) {
			T_EQ_INT(fd[4].type, CAP_FD_UNSUPPORTED);
			T_EQ_STR(fd[4].name, "unknown-type:[99]");
		} else {
			T_EQ_INT(fd[4].type, CAP_FD_FILE);
			T_EQ_STR(fd[4].name, "/tmp/f");
		}
		cap_reader_close(r);
	}
}

T_TEST(userlist_v1_v2)
{
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		static struct bb f, body;
		struct cap_reader *r;
		const struct cap_tables *t;
		size_t at;
		uint32_t len;

		shb(&f);
		body.n = 0;
		at = body.n;
		if (v2)
			u32(&body, 0);
		u8(&body, 0);
		u32(&body, 1000);
		u32(&body, 100);
		str(&body, "alice");
		str(&body, "/home/alice");
		str(&body, "/bin/zsh");
		if (v2) {
			len = (uint32_t)(body.n - at);
			memcpy(body.b + at, &len, 4);
		}
		at = body.n;
		if (v2)
			u32(&body, 0);
		u8(&body, 1);
		u32(&body, 100);
		str(&body, "staff");
		if (v2) {
			u16(&body, 7); /* a field from the future */
			len = (uint32_t)(body.n - at);
			memcpy(body.b + at, &len, 4);
		}
		block(&f, v2 ? 0x220 : 0x206, &body);
		r = open_bb(&f);
		T_CHECK(r != NULL);
		t = cap_reader_tables(r);
		T_EQ_INT(t->nusers, 1);
		T_EQ_INT(t->ngroups, 1);
		T_EQ_INT(t->users[0].uid, 1000);
		T_EQ_INT(t->users[0].gid, 100);
		T_EQ_STR(t->users[0].name, "alice");
		T_EQ_STR(t->users[0].home, "/home/alice");
		T_EQ_STR(t->users[0].shell, "/bin/zsh");
		T_EQ_INT(t->groups[0].gid, 100);
		T_EQ_STR(t->groups[0].name, "staff");
		cap_reader_close(r);
	}
}

T_TEST(iflist_v1_v2)
{
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		static struct bb f, body;
		struct cap_reader *r;
		const struct cap_tables *t;

		shb(&f);
		body.n = 0;
		if (v2)
			u32(&body, 24 + 2);
		u16(&body, 1);
		u16(&body, 2);
		u32(&body, 0x0100007f);
		u32(&body, 0xff);
		u32(&body, 0);
		u64(&body, 1000);
		put(&body, "lo", 2);
		if (v2)
			u32(&body, 52 + 4);
		u16(&body, 4); /* IPv6 without link speed */
		u16(&body, 4);
		put(&body, "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbcccccccccccccccc", 48);
		put(&body, "eth0", 4);
		block(&f, v2 ? 0x219 : 0x205, &body);
		r = open_bb(&f);
		T_CHECK(r != NULL);
		t = cap_reader_tables(r);
		T_EQ_INT(t->nifaces, 2);
		T_EQ_INT(t->ifaces[0].type, CAP_IF_IPV4);
		T_EQ_STR(t->ifaces[0].name, "lo");
		T_EQ_INT(t->ifaces[0].addr4, 0x0100007f);
		T_EQ_INT(t->ifaces[0].linkspeed, 1000);
		T_EQ_INT(t->ifaces[1].type, CAP_IF_IPV6);
		T_EQ_STR(t->ifaces[1].name, "eth0");
		T_CHECK(memcmp(t->ifaces[1].netmask6, "bbbbbbbbbbbbbbbb", 16) == 0);
		T_EQ_INT(t->ifaces[1].linkspeed, 0);
		cap_reader_close(r);
	}
}

T_TEST(short_entries_rejected)
{
	static struct bb f, body;
	struct cap_error err = { 0 };

	shb(&f);
	body.n = 0;
	pl_entry(&body, 8, 1);
	body.b[40] = 0xff; /* comm length (after 5 u64s) now runs past the block */
	block(&f, 0x214, &body);
	T_CHECK(cap_reader_open_mem(f.b, f.n, &err) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(err.offset, 28 + 8);
	T_CHECK(strstr(err.msg, "process entry") != NULL);

	shb(&f);
	body.n = 0;
	u64(&body, 1);
	u64(&body, 3);
	u64(&body, 0);
	u8(&body, 77); /* unknown fd type in a V1 block: cannot be sized */
	u32(&body, 0);
	block(&f, 0x203, &body);
	T_CHECK(cap_reader_open_mem(f.b, f.n, &err) == NULL);
	T_CHECK(strstr(err.msg, "unknown type 77") != NULL);
}

int main(void)
{
	T_RUN(proclist_all_versions);
	T_RUN(proclist_v9_pre_0_10);
	T_RUN(fdlist_v1_v2);
	T_RUN(userlist_v1_v2);
	T_RUN(iflist_v1_v2);
	T_RUN(short_entries_rejected);
	return T_DONE();
}
