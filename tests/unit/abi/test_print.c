/*
 * test_print.c - evt_print_param for a handful of parameter types: numbers,
 * errnos, flags by name, socket tuples, escaped byte buffers, truncation.
 */
#include "t.h"
#include "abi_test.h"

static char out[512];

static const char *pr(const struct evt *ev, uint32_t i)
{
	evt_print_param(ev, i, out, sizeof(out));
	return out;
}

T_TEST(open_exit)
{
	int64_t fd = -2;
	uint32_t flags = 0x1 | 0x1000 | 0x4, mode = 0644, dev = 0x803;
	uint64_t ino = 99;
	struct tparam ps[] = { TP_VAL(fd), TP_STR("/etc/shadow"), TP_VAL(flags),
			       TP_VAL(mode), TP_VAL(dev), TP_VAL(ino) };
	struct tevt t;
	struct evt ev;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 1, 2, ps, 6);
	T_EQ_INT(evt_decode(t.buf, t.len, &ev, NULL), EVT_OK);
	T_EQ_STR(pr(&ev, 0), "-2");
	T_EQ_STR(pr(&ev, 1), "/etc/shadow");
	T_EQ_STR(pr(&ev, 2), "O_CREAT|O_RDONLY|O_CLOEXEC");
	T_EQ_STR(pr(&ev, 3), "0644");
	T_EQ_STR(pr(&ev, 4), "0x803");
	T_EQ_STR(pr(&ev, 5), "99");
	T_EQ_STR(pr(&ev, 6), ""); /* absent */
}

T_TEST(errno_and_rdwr)
{
	int64_t res = -2;
	uint32_t flags = 0x3, mode = 0;
	struct tparam ps[] = { TP_VAL(res), TP_STR("/x"), TP_VAL(flags), TP_VAL(mode) };
	struct tevt t;
	struct evt ev;

	/* creat exit: res is an fd here; use close exit for a real errno. */
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 1, 2, ps, 4);
	T_EQ_INT(evt_decode(t.buf, t.len, &ev, NULL), EVT_OK);
	T_EQ_STR(pr(&ev, 2), "O_RDWR");
	{
		int64_t fd = 4;
		struct tparam pc[] = { TP_VAL(res), TP_VAL(fd) };

		tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, pc, 2);
		T_EQ_INT(evt_decode(t.buf, t.len, &ev, NULL), EVT_OK);
		T_EQ_STR(pr(&ev, 0), "-2(ENOENT)");
		T_EQ_STR(pr(&ev, 1), "4");
	}
}

T_TEST(socktuple_and_bytes)
{
	const struct evt_info *e = evt_info(EVT_SYSCALL_WRITE_X);
	uint8_t tuple[13] = { 2, 10, 0, 0, 1, 0x39, 0x30, 93, 184, 216, 34, 80, 0 };
	int64_t res = 5, fd = 3;
	uint32_t size = 5;
	struct tparam ps[] = { TP_VAL(res), { "ab\n\x01\\", 5 }, TP_VAL(fd), TP_VAL(size) };
	struct tevt t;
	struct evt ev;
	int ct;

	T_CHECK(e);
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_WRITE_X, 1, 2, ps, 4);
	T_EQ_INT(evt_decode(t.buf, t.len, &ev, NULL), EVT_OK);
	T_EQ_STR(pr(&ev, 1), "ab\\x0a\\x01\\\\");
	/* truncation keeps snprintf's contract */
	T_EQ_INT(evt_print_param(&ev, 1, out, 4), 12);
	T_EQ_STR(out, "ab\\");
	/* connect exit: res, tuple, fd */
	ct = evt_type_by_name("connect", false);
	T_CHECK(ct > 0);
	T_EQ_INT(evt_info((uint16_t)ct)->params[1].type, EPT_SOCKTUPLE);
	{
		int64_t r0 = 0;
		struct tparam pc[] = { TP_VAL(r0), { tuple, sizeof(tuple) }, TP_VAL(fd) };

		tevt_build(&t, EVT_HDR_LEN, (uint16_t)ct, 1, 2, pc, 3);
		T_EQ_INT(evt_decode(t.buf, t.len, &ev, NULL), EVT_OK);
		T_EQ_STR(pr(&ev, 1), "10.0.0.1:12345->93.184.216.34:80");
		/* a tuple cut short prints its family, never reads further */
		pc[1].len = 6;
		tevt_build(&t, EVT_HDR_LEN, (uint16_t)ct, 1, 2, pc, 3);
		T_EQ_INT(evt_decode(t.buf, t.len, &ev, NULL), EVT_OK);
		T_EQ_STR(pr(&ev, 1), "family 2");
	}
}

T_TEST(clone_flags_and_short_values)
{
	int t = evt_type_by_name("clone", false);
	const struct evt_info *e;
	uint32_t i, fl = 0;
	struct tparam ps[EVT_MAX_PARAMS];
	uint8_t zero[16] = { 0 };
	struct tevt tv;
	struct evt ev;

	T_CHECK(t > 0);
	e = evt_info((uint16_t)t);
	for (i = 0; i < e->nparams; i++) {
		ps[i].p = zero;
		ps[i].len = 8;
		if (strcmp(e->params[i].name, "flags") == 0) {
			fl = i;
			ps[i].len = 4;
		}
	}
	T_CHECK(fl > 0);
	ps[0].len = 3; /* an int64 of 3 bytes */
	tevt_build(&tv, EVT_HDR_LEN, (uint16_t)t, 1, 2, ps, e->nparams);
	T_EQ_INT(evt_decode(tv.buf, tv.len, &ev, NULL), EVT_OK);
	T_EQ_STR(pr(&ev, 0), "<NA>");
	T_EQ_STR(pr(&ev, fl), "0");
}

int main(void)
{
	T_RUN(open_exit);
	T_RUN(errno_and_rdwr);
	T_RUN(socktuple_and_bytes);
	T_RUN(clone_flags_and_short_values);
	return T_DONE();
}
