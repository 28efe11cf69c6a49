/*
 * fuzz_scap.c - libFuzzer harness for the capture reader: any bytes, raw or
 * gzip, opened from memory; every event read and decoded, every table entry
 * touched. Every other input is read through a filter that keeps a third
 * of the events, as the replay workers' shared scan does (its fast skip
 * path); every other pair of inputs is read from a memfd, through the
 * file reader's pread() window, rather than in place. The reader must
 * reject bad input with an error, never read out of bounds, leak or crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void touch_tables(const struct cap_tables *t)
{
	uint32_t i;

	for (i = 0; i < t->nprocs; i++)
		sink += strlen(t->procs[i].comm) + strlen(t->procs[i].exepath) +
			t->procs[i].args_len + (uint8_t)t->procs[i].cgroups[t->procs[i].cgroups_len];
	for (i = 0; i < t->nfds; i++)
		sink += strlen(t->fds[i].name);
	for (i = 0; i < t->nusers; i++)
		sink += strlen(t->users[i].name) + strlen(t->users[i].shell);
	for (i = 0; i < t->ngroups; i++)
		sink += strlen(t->groups[i].name);
	for (i = 0; i < t->nifaces; i++)
		sink += strlen(t->ifaces[i].name);
}

static bool keep_some(void *ctx, uint64_t ts, uint64_t tid, uint16_t type, uint16_t cpu)
{
	(void)ctx;
	return (ts ^ tid ^ type ^ cpu) % 3 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_reader *r = NULL;
	struct cap_event ev;
	struct evt e;
	char buf[256];
	uint32_t i, n = 0;

	if (size & 2) {
		int fd = memfd_create("fuzz_scap", MFD_CLOEXEC);

		if (fd >= 0 && write(fd, data, size) == (ssize_t)size)
			r = cap_reader_open_fd(fd, NULL);
		if (fd >= 0)
			close(fd);
	} else {
		r = cap_reader_open_mem(data, size, NULL);
	}
	if (!r)
		return 0;
	touch_tables(cap_reader_tables(r));
	if (size & 1)
		cap_reader_set_filter(r, keep_some, NULL);
	while (cap_reader_next(r, &ev) > 0 && n++ < 100000) {
		if (evt_decode(ev.hdr, ev.len, &e, NULL) != EVT_OK)
			continue;
		for (i = 0; i < e.nparams; i++)
			sink += evt_print_param(&e, i, buf, sizeof(buf));
	}
	cap_reader_close(r);
	return 0;
}
