/*
 * fuzz_decode.c - libFuzzer harness for the event decoder, the parameter
 * printer and the legacy converter: the three places where bytes from a
 * capture file or a ring buffer are first trusted. The first input byte
 * picks the header flavour (V2 or V1) and whether the stateful converter is
 * used, so that enter events stored by one run meet exit events of the next.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/event_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[1 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct evt_conv *cv;
	struct evt_stats st = { 0 };
	unsigned hdr_len;
	struct evt ev;
	char buf[256];
	uint8_t *copy;
	uint32_t i;
	long n;

	if (size < 1)
		return 0;
	if (!cv)
		cv = evt_conv__new();
	hdr_len = (data[0] & 1) ? EVT_HDR_V1_LEN : EVT_HDR_LEN;
	data++;
	size--;
	/* An exact-size heap copy: one byte too far is an ASan report. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);

	if (evt_decode(copy, size, &ev, &st) == EVT_OK) {
		for (i = 0; i < ev.nparams; i++) {
			evt_print_param(&ev, i, buf, sizeof(buf));
			evt_print_param(&ev, i, buf, 3);
			(void)evt_param_str(&ev, i);
			(void)evt_param_s64(&ev, i, 0);
		}
	}
	n = evt_conv__convert((data[-1] & 2) ? cv : NULL, copy, size, hdr_len, out, sizeof(out));
	if (n > 0) {
		/* A converted event must always decode. */
		if (evt_decode(out, (size_t)n, &ev, NULL) != EVT_OK)
			abort();
		for (i = 0; i < ev.nparams; i++)
			evt_print_param(&ev, i, buf, sizeof(buf));
	}
	free(copy);
	return 0;
}
