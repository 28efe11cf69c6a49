/*
 * test_synth.c - the synthetic generator emits exactly the events asked for,
 * each one valid against the event table (every parameter of the current
 * layout present), deterministic per seed, and skewed as asked.
 */
#include <errno.h>

#include "abi/event_table.h"
#include "source/synth.h"
#include "t.h"

struct sink_state {
	uint64_t n, bad, nprocs, max_tid_events;
	uint64_t last_ts, ts_backwards;
	uint64_t hash;
	uint64_t per_type[1024];
	uint64_t tid_events[65536];
	struct evt_stats st;
};

static int on_proc(void *ctx, const struct synth_proc *p)
{
	struct sink_state *s = ctx;

	s->nprocs++;
	return p->tid == 1 ? 0 : -EINVAL;
}

static int on_event(void *ctx, uint16_t cpu, const void *ev, uint32_t len)
{
	struct sink_state *s = ctx;
	struct evt e;
	const uint8_t *b = ev;

	(void)cpu;
	if (evt_decode(ev, len, &e, &s->st) != EVT_OK || e.hdr->len != len ||
	    e.nparams != e.info->nparams)
		s->bad++;
	else
		s->per_type[e.hdr->type]++;
	if (e.hdr->ts < s->last_ts)
		s->ts_backwards++;
	s->last_ts = e.hdr->ts;
	s->tid_events[e.hdr->tid & 65535]++;
	for (uint32_t i = 0; i < len; i++)
		s->hash = (s->hash ^ b[i]) * 0x100000001b3ULL;
	s->n++;
	return 0;
}

static int run(struct sink_state *s, const struct synth_opts *o)
{
	struct synth_sink sink = {on_proc, on_event, s};

	memset(s, 0, sizeof(*s));
	s->hash = 0xcbf29ce484222325ULL;
	return synth_run(o, &sink);
}

T_TEST(test_synth_valid_and_exact)
{
	static struct sink_state s;
	struct synth_opts o;

	synth_opts_default(&o);
	o.events = 200000;
	o.procs = 50;
	o.threads_per_proc = 3;
	T_EQ_INT(run(&s, &o), 0);
	T_EQ_INT(s.n, o.events);
	T_EQ_INT(s.bad, 0);
	T_EQ_INT(s.ts_backwards, 0);
	T_EQ_INT(s.nprocs, 1);
	/* the mix: reads and writes dominate, every kind of action occurs */
	T_CHECK(s.per_type[EVT_SYSCALL_READ_X] + s.per_type[EVT_SYSCALL_WRITE_X] > s.n / 8);
	T_CHECK(s.per_type[EVT_SYSCALL_OPENAT_2_X] > 0);
	T_CHECK(s.per_type[EVT_SYSCALL_CLOSE_X] > 0);
	T_CHECK(s.per_type[EVT_SOCKET_CONNECT_X] > 0);
	T_CHECK(s.per_type[EVT_SOCKET_ACCEPT_5_X] > 0);
	T_CHECK(s.per_type[EVT_SOCKET_SENDTO_X] + s.per_type[EVT_SOCKET_RECVFROM_X] > 0);
	T_CHECK(s.per_type[EVT_SYSCALL_EXECVE_19_X] > 20);
	T_CHECK(s.per_type[EVT_SYSCALL_CLONE_20_X] > 100);
	T_CHECK(s.per_type[EVT_PROCEXIT_1_E] > 0);
	T_CHECK(s.per_type[EVT_SYSCALL_READ_X] > s.per_type[EVT_SYSCALL_EXECVE_19_X] * 20);
}

T_TEST(test_synth_deterministic)
{
	static struct sink_state a, b, c;
	struct synth_opts o;

	synth_opts_default(&o);
	o.events = 20000;
	T_EQ_INT(run(&a, &o), 0);
	T_EQ_INT(run(&b, &o), 0);
	o.seed = 2;
	T_EQ_INT(run(&c, &o), 0);
	T_EQ_INT(a.hash, b.hash);
	T_CHECK(a.hash != c.hash);
}

/* Skew 0 spreads events evenly; a high skew gives one process most of them. */
T_TEST(test_synth_skew)
{
	static struct sink_state s;
	struct synth_opts o;
	uint64_t max0, max3;

	synth_opts_default(&o);
	o.events = 100000;
	o.procs = 32;
	T_EQ_INT(run(&s, &o), 0);
	max0 = 0;
	for (int i = 0; i < 65536; i++)
		max0 = s.tid_events[i] > max0 ? s.tid_events[i] : max0;
	o.skew = 3;
	T_EQ_INT(run(&s, &o), 0);
	max3 = 0;
	for (int i = 0; i < 65536; i++)
		max3 = s.tid_events[i] > max3 ? s.tid_events[i] : max3;
	T_CHECK(max0 < o.events / 10);
	T_CHECK(max3 > o.events / 4);
	T_CHECK(max3 > 8 * max0);
}

T_TEST(test_synth_bad_opts)
{
	static struct sink_state s;
	struct synth_sink sink = {on_proc, on_event, &s};
	struct synth_opts o;

	synth_opts_default(&o);
	o.procs = 0;
	T_EQ_INT(synth_run(&o, &sink), -EINVAL);
	synth_opts_default(&o);
	o.skew = -1;
	T_EQ_INT(synth_run(&o, &sink), -EINVAL);
	synth_opts_default(&o);
	o.threads_per_proc = 1000;
	T_EQ_INT(synth_run(&o, &sink), -EINVAL);
}

int main(void)
{
	T_RUN(test_synth_valid_and_exact);
	T_RUN(test_synth_deterministic);
	T_RUN(test_synth_skew);
	T_RUN(test_synth_bad_opts);
	return T_DONE();
}
