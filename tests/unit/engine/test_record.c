/*
 * test_record.c - the live recorder (engine/record.h): two producer threads
 * whose streams interleave in time come out of the file in time order, none
 * lost; a full producer ring drops and counts; an event behind the window is
 * written and counted late; a file that cannot be created is a clear error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "abi/event.h"
#include "abi/event_types.h"
#include "capture/capture.h"
#include "engine/record.h"

/* A close exit event (one int64 parameter) of @tid at @ts. */
struct cev {
	uint8_t b[EVT_HDR_LEN + 2 + 8];
};

static void cev_make(struct cev *e, uint64_t ts, uint64_t tid, int64_t res)
{
	struct evt_hdr h = {.ts = ts, .tid = tid, .len = sizeof(e->b),
			    .type = EVT_SYSCALL_CLOSE_X, .nparams = 1};
	uint16_t l = 8;

	memcpy(e->b, &h, EVT_HDR_LEN);
	memcpy(e->b + EVT_HDR_LEN, &l, 2);
	memcpy(e->b + EVT_HDR_LEN + 2, &res, 8);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

#define NEV 20000u

struct prod {
	struct rec *r;
	unsigned id;
	unsigned refused;
};

/* Producer id stamps its events with the wall clock as the probe does (the
 * two streams interleave in time), publishing every 64. */
static void *prod_main(void *arg)
{
	struct prod *p = arg;
	struct cev e;

	for (unsigned k = 0; k < NEV; k++) {
		cev_make(&e, now_ns(), 100 + p->id, k);
		while (rec_put_sp(p->r, p->id, e.b, sizeof(e.b), (uint16_t)p->id) == -ENOBUFS) {
			p->refused++; /* the test's ring is big: should not happen */
			rec_publish_sp(p->r, p->id);
			sleep_ms(1);
		}
		if (k % 64 == 63)
			rec_publish_sp(p->r, p->id);
	}
	rec_done_sp(p->r, p->id);
	return NULL;
}

static char path[128];

T_TEST(test_merge_two_producers)
{
	/* a window far above any publish lag, even under a sanitizer */
	struct rec_opts o = {.path = path, .nprod = 2, .ring_bytes = 1u << 20,
			     .window_ns = 1000000000ull};
	struct cap_machine mi = {.num_cpus = 2, .hostname = "rec-test"};
	struct cap_tables tb = {0};
	struct prod p[2];
	pthread_t th[2];
	struct rec_stats st;
	struct cap_reader *rd;
	struct cap_event ev;
	char err[256];
	uint64_t last = 0, n = 0, per[2] = {0, 0};
	int rc;

	struct rec *r = rec_open(&o, &mi, &tb, err, sizeof(err));

	T_CHECK(r != NULL);
	if (!r)
		return;
	for (unsigned i = 0; i < 2; i++) {
		p[i] = (struct prod){r, i, 0};
		pthread_create(&th[i], NULL, prod_main, &p[i]);
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	T_EQ_INT(rec_close(r, 1000, &st, err, sizeof(err)), 0);
	T_EQ_INT(st.written, 2 * NEV);
	T_EQ_INT(st.dropped, 0);
	T_EQ_INT(p[0].refused + p[1].refused, 0);
	rd = cap_reader_open(path, NULL);
	T_CHECK(rd != NULL);
	if (!rd)
		return;
	T_EQ_STR(cap_reader_machine(rd)->hostname, "rec-test");
	while ((rc = cap_reader_next(rd, &ev)) == 1) {
		T_CHECK(ev.hdr->ts >= last);
		last = ev.hdr->ts;
		T_EQ_INT(ev.cpu, ev.hdr->tid - 100);
		per[ev.hdr->tid - 100]++;
		n++;
	}
	T_EQ_INT(rc, 0);
	T_EQ_INT(n, 2 * NEV);
	T_EQ_INT(per[0], NEV);
	T_EQ_INT(per[1], NEV);
	T_EQ_INT(st.late, 0);
	cap_reader_close(rd);
}

T_TEST(test_full_ring_drops_counted)
{
	struct rec_opts o = {.path = path, .nprod = 1, .ring_bytes = 4096};
	struct cap_machine mi = {.num_cpus = 1};
	struct rec_stats st;
	struct cev e;
	char err[256];
	unsigned ok = 0, refused = 0;
	struct rec *r = rec_open(&o, &mi, NULL, err, sizeof(err));

	T_CHECK(r != NULL);
	if (!r)
		return;
	/* nothing published: the ring fills and refuses the rest */
	for (unsigned k = 0; k < 1000; k++) {
		cev_make(&e, now_ns(), 7, k);
		if (rec_put_sp(r, 0, e.b, sizeof(e.b), 0) == 0)
			ok++;
		else
			refused++;
	}
	T_CHECK(ok > 0 && refused > 0);
	rec_done_sp(r, 0);
	T_EQ_INT(rec_close(r, 1000, &st, err, sizeof(err)), 0);
	T_EQ_INT(st.written, ok);
	T_EQ_INT(st.dropped, refused);
}

T_TEST(test_late_event_counted)
{
	struct rec_opts o = {.path = path, .nprod = 2, .window_ns = 1000000ull};
	struct cap_machine mi = {.num_cpus = 2};
	struct rec_stats st;
	struct cev e;
	char err[256];
	uint64_t t0 = now_ns() - 1000000000ull; /* a second ago: past the window */
	struct rec *r = rec_open(&o, &mi, NULL, err, sizeof(err));

	T_CHECK(r != NULL);
	if (!r)
		return;
	cev_make(&e, t0 + 500, 1, 0);
	rec_put_sp(r, 0, e.b, sizeof(e.b), 0);
	rec_publish_sp(r, 0);
	sleep_ms(100); /* the recorder writes it */
	cev_make(&e, t0 + 100, 2, 0); /* older, from a lagging producer */
	rec_put_sp(r, 1, e.b, sizeof(e.b), 1);
	rec_done_sp(r, 0);
	rec_done_sp(r, 1);
	T_EQ_INT(rec_close(r, 1000, &st, err, sizeof(err)), 0);
	T_EQ_INT(st.written, 2);
	T_EQ_INT(st.late, 1);
}

T_TEST(test_open_error)
{
	struct rec_opts o = {.path = "/nonexistent-dir/x.scap", .nprod = 1};
	char err[256] = "";

	T_CHECK(rec_open(&o, NULL, NULL, err, sizeof(err)) == NULL);
	T_CHECK(strstr(err, "/nonexistent-dir/x.scap") != NULL);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/pg_rec_%d.scap", getpid());
	T_RUN(test_merge_two_producers);
	T_RUN(test_full_ring_drops_counted);
	T_RUN(test_late_event_counted);
	T_RUN(test_open_error);
	unlink(path);
	return T_DONE();
}
