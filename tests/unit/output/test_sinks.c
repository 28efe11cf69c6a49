/*
 * test_sinks.c - a sink's health is said once per change: a real file sink
 * whose directory disappears says why at its first failed alert, counts the
 * next failures without a word, and says it works again, with how many
 * alerts it lost meanwhile, once the directory is back. The alerts go
 * through the real queue and output thread; the log callback runs on that
 * thread (clean under SAN=thread: the messages are read under a mutex).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/output.h"
#include "t.h"

struct tlog {
	pthread_mutex_t mu;
	char msg[8][512];
	unsigned n;
};

static void tlog_cb(void *ctx, const char *msg)
{
	struct tlog *l = ctx;

	pthread_mutex_lock(&l->mu);
	if (l->n < 8)
		snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s", msg);
	l->n++;
	pthread_mutex_unlock(&l->mu);
}

/* Queue one alert from the control producer and wait until the output
 * thread has handled it (written counts every alert it took). */
static int push_and_wait(struct out *o, uint64_t *handled)
{
	struct out_alert *a = out_alert_reserve_mp(o, out_control_producer(o));
	struct out_stats st;

	if (!a)
		return -1;
	out_alert_init(a, 1700000000000000000ull, 4, "r", "syscall");
	out_alert_set_output(a, "alert", 5);
	out_alert_commit_mp(o, a);
	(*handled)++;
	for (int i = 0; i < 20000; i++) {
		out_stats(o, &st);
		if (st.written >= *handled)
			return 0;
		usleep(100);
	}
	return -1;
}

static unsigned tlog_count(struct tlog *l, char *copy, size_t cap, unsigned i)
{
	unsigned n;

	pthread_mutex_lock(&l->mu);
	n = l->n;
	if (copy && i < n && i < 8)
		snprintf(copy, cap, "%s", l->msg[i]);
	pthread_mutex_unlock(&l->mu);
	return n;
}

T_TEST(file_sink_down_and_up_said_once_each)
{
	char dir[] = "/tmp/sink_test_XXXXXX", sub[64], path[96], m[512], err[256];
	struct tlog l = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct out_config c;
	struct out_stats st;
	uint64_t handled = 0;
	struct out *o;

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	snprintf(path, sizeof(path), "%s/alerts.txt", sub);
	T_EQ_INT(mkdir(sub, 0700), 0);
	out_config_default(&c);
	c.stdout_enabled = false;
	c.file_enabled = true;
	c.file_keep_alive = false; /* opened for each alert: sees the directory go */
	c.file_name = path;
	c.log = tlog_cb;
	c.log_ctx = &l;
	o = out_new(&c, 1, err, sizeof(err));
	T_CHECK(o != NULL);
	T_EQ_INT(out_start(o), 0);

	T_EQ_INT(push_and_wait(o, &handled), 0);
	T_EQ_INT(tlog_count(&l, NULL, 0, 0), 0);
	T_EQ_INT(unlink(path), 0);
	T_EQ_INT(rmdir(sub), 0);
	for (int i = 0; i < 3; i++)
		T_EQ_INT(push_and_wait(o, &handled), 0);
	T_EQ_INT(tlog_count(&l, m, sizeof(m), 0), 1); /* said once, not three times */
	T_CHECK(strstr(m, "file output: cannot open ") && strstr(m, path) &&
		strstr(m, strerror(ENOENT)));
	T_EQ_INT(mkdir(sub, 0700), 0);
	T_EQ_INT(push_and_wait(o, &handled), 0);
	T_EQ_INT(push_and_wait(o, &handled), 0);
	T_EQ_INT(tlog_count(&l, m, sizeof(m), 1), 2);
	T_EQ_STR(m, "file output works again (3 alerts failed meanwhile)");
	out_stats(o, &st);
	T_EQ_INT(st.sink_ok[OUT_SINK_FILE], 3);
	T_EQ_INT(st.sink_fail[OUT_SINK_FILE], 3);
	out_free(o);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	T_RUN(file_sink_down_and_up_said_once_each);
	return T_DONE();
}
