/*
 * test_table.c - sanity of the event table: every slot libs defines is
 * present and well-formed, and the syscalls peregrine's rules rely on are
 * there with their current layouts.
 */
#include "t.h"
#include "abi/event_table.h"

T_TEST(sanity)
{
	uint32_t t, i, u;

	T_EQ_INT(evt_table_size, EVT_TYPE_MAX);
	T_EQ_INT(EVT_SYSCALL_OPEN_E, 2);
	T_EQ_INT(EVT_SYSCALL_OPEN_X, 3);
	for (t = 0; t < EVT_TYPE_MAX; t++) {
		const struct evt_info *e = &evt_table[t];

		if (e->flags & EVT_FLAG_UNUSED) {
			T_CHECK(evt_info((uint16_t)t) == NULL);
			continue;
		}
		if (!e->name || !e->name[0])
			T_FAIL("type %u has no name", t);
		if (e->nparams > EVT_MAX_PARAMS)
			T_FAIL("type %u (%s) has %u params", t, e->name, e->nparams);
		T_CHECK(evt_info((uint16_t)t) == e);
		T_CHECK(e->nparams == 0 || e->params);
		for (i = 0; i < e->nparams; i++) {
			const struct evt_param_info *p = &e->params[i];

			if (!p->name || p->type <= EPT_NONE || p->type >= EPT_MAX)
				T_FAIL("type %u (%s) param %u malformed", t, e->name, i);
			if (p->type == EPT_FSRELPATH &&
			    (p->dirfd_param >= e->nparams || (e->params[p->dirfd_param].type != EPT_FD &&
							      e->params[p->dirfd_param].type != EPT_FD32)))
				T_FAIL("type %u (%s) param %s: bad dirfd %u", t, e->name, p->name,
				       p->dirfd_param);
			if (p->type == EPT_DYN && (!p->dyn || !p->ndyn))
				T_FAIL("type %u (%s) param %s: no dyn table", t, e->name, p->name);
		}
		/* Current layouts: one per name and direction. */
		if (e->flags & EVT_FLAG_OLD)
			continue;
		for (u = t + 2; u < EVT_TYPE_MAX; u += 2) {
			const struct evt_info *f = &evt_table[u];

			if (f->name && !(f->flags & (EVT_FLAG_OLD | EVT_FLAG_UNUSED)) &&
			    strcmp(f->name, e->name) == 0)
				T_FAIL("%s: types %u and %u both current", e->name, t, u);
		}
		T_EQ_INT(evt_type_by_name(e->name, evt_type_is_enter((uint16_t)t)), t);
	}
	T_EQ_INT(evt_type_by_name("no_such_syscall", false), -1);
	T_CHECK(evt_info(EVT_TYPE_MAX) == NULL);
	T_CHECK(evt_info(0xffff) == NULL);
}

/* The exit event of each syscall the issue lists is present and current. */
T_TEST(issue_syscalls)
{
	static const char *const names[] = {
		"open", "openat", "openat2", "creat", "close", "read", "write", "pread", "pwrite",
		"readv", "writev", "socket", "bind", "listen", "connect", "accept", "accept4",
		"sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "dup", "dup2", "dup3",
		"pipe", "pipe2", "fcntl", "eventfd", "signalfd", "timerfd_create", "inotify_init",
		"clone", "fork", "vfork", "clone3", "execve", "execveat", "procexit", "chdir",
		"fchdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir",
		"mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod",
		"fchmodat", "chown", "lchown", "fchown", "fchownat", "mount", "umount", "umount2",
		"setuid", "setgid", "setresuid", "setresgid", "setns", "unshare", "ptrace", "mmap",
		"mprotect", "memfd_create", "bpf", "init_module", "finit_module", "kill", "tkill",
		"tgkill", "prctl", "capset", "userfaultfd", "io_uring_setup",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* procexit is an enter-only tracepoint event. */
		bool enter = strcmp(names[i], "procexit") == 0;
		int t = evt_type_by_name(names[i], enter);
		const struct evt_info *e;

		if (t < 0)
			T_FAIL("%s missing", names[i]);
		e = evt_info((uint16_t)t);
		T_CHECK(e && !(e->flags & EVT_FLAG_OLD));
		if (!enter && (e->nparams < 1 || (e->params[0].type != EPT_ERRNO &&
						  e->params[0].type != EPT_FD &&
						  e->params[0].type != EPT_PID &&
						  e->params[0].type != EPT_UINT64)))
			T_FAIL("%s exit: first param %s is not a result", names[i],
			       e->nparams ? e->params[0].name : "-");
	}
	/* A few layouts checked parameter by parameter. */
	{
		const struct evt_info *e = evt_info(EVT_SYSCALL_OPENAT_2_X);

		T_CHECK(e);
		T_EQ_STR(e->params[2].name, "name");
		T_EQ_INT(e->params[2].type, EPT_FSRELPATH);
		T_EQ_INT(e->params[2].dirfd_param, 1);
		T_CHECK(e->params[3].flags != NULL);
		T_EQ_INT(evt_type_by_name("execve", false), EVT_SYSCALL_EXECVE_19_X);
	}
}

int main(void)
{
	T_RUN(sanity);
	T_RUN(issue_syscalls);
	return T_DONE();
}
