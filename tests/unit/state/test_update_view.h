/*
 * test_update_view.h - helpers of the update/procfs tests: replaying a capture
 * through the state with one or more workers, and rendering what the
 * state says about an event the way sysdig prints it (proc.name,
 * proc.pname, proc.cmdline, proc.cwd, fd.name, ...).
 */
#ifndef PG_TESTS_UPD_TEST_H
#define PG_TESTS_UPD_TEST_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "state/state.h"

/* proc.cmdline as sysdig prints it: comm then each argument. */
static inline void upd_cmdline(const struct proc_image *img, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s", img->comm), off = 0;

	while (off < img->args_len && n < cap) {
		const char *a = img->args + off;
		size_t l = strnlen(a, img->args_len - off);

		n += (size_t)snprintf(out + n, cap - n, " %.*s", (int)l, a);
		off += l + 1;
	}
}

/* What the tests compare, for one event. */
struct upd_view {
	char name[32], pname[32], cmdline[512], cwd[512], exe[256], fdname[512];
	int64_t fdnum;
	uint64_t pid, ppid;
	uint32_t uid;
	char sip[64], dip[64];
	unsigned sport, dport;
	uint8_t l4;
};

static inline void upd_view_of(struct proc_worker *w, const struct proc_evt_ref *ref,
			       struct upd_view *v)
{
	struct proc_process *p = ref->proc, *pp;

	memset(v, 0, sizeof(*v));
	v->fdnum = ref->fdnum;
	if (p) {
		const struct proc_image *img = proc_process_image(p);

		snprintf(v->name, sizeof(v->name), "%s", img->comm);
		snprintf(v->exe, sizeof(v->exe), "%s", img->exe);
		upd_cmdline(img, v->cmdline, sizeof(v->cmdline));
		snprintf(v->cwd, sizeof(v->cwd), "%s", proc_process_cwd(p));
		v->pid = proc_process_tgid(p);
		v->uid = proc_process_euid(p);
		pp = proc_process_parent(w, p);
		if (pp) {
			snprintf(v->pname, sizeof(v->pname), "%s", proc_process_image(pp)->comm);
			v->ppid = proc_process_tgid(pp);
		}
	}
	if (ref->fd) {
		const struct proc_sock *s = &ref->fd->sock;

		snprintf(v->fdname, sizeof(v->fdname), "%s", ref->fd->name);
		if (s->family == AF_INET || s->family == AF_INET6) {
			inet_ntop(s->family, s->sip, v->sip, sizeof(v->sip));
			inet_ntop(s->family, s->dip, v->dip, sizeof(v->dip));
			v->sport = s->sport;
			v->dport = s->dport;
			v->l4 = s->l4proto;
		}
	}
}

#endif /* PG_TESTS_UPD_TEST_H */
