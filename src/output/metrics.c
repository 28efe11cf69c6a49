/*
 * metrics.c - the Prometheus endpoint: GET /metrics served by libmicrohttpd
 * on its own internal thread. The page is produced by a callback that only
 * reads counters (per-worker blocks summed at scrape time), so scrapes never
 * slow the workers down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"

#define METRICS_PAGE_MAX (1u << 20)

struct out_metrics {
	struct MHD_Daemon *d;
	out_metrics_fn fn;
	void *ctx;
};

static enum MHD_Result metrics_handler(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version,
				       const char *upload, size_t *upload_len, void **con_cls)
{
	struct out_metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	char *page;
	size_t n;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return MHD_NO;
	if (strcmp(url, "/metrics") == 0) {
		page = malloc(METRICS_PAGE_MAX);
		if (!page)
			return MHD_NO;
		n = m->fn(m->ctx, page, METRICS_PAGE_MAX);
		if (n >= METRICS_PAGE_MAX)
			n = METRICS_PAGE_MAX - 1;
	} else {
		page = strdup("not found: try /metrics\n");
		if (!page)
			return MHD_NO;
		n = strlen(page);
		status = MHD_HTTP_NOT_FOUND;
	}
	r = MHD_create_response_from_buffer(n, page, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct out_metrics *out_metrics_start(const char *addr, uint16_t port, out_metrics_fn fn,
				      void *ctx, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct out_metrics *m;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "metrics: listen_address %s is not an IPv4 address", addr);
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->fn = fn;
	m->ctx = ctx;
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL,
				NULL, metrics_handler, m, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errlen, "metrics: can not listen on %s:%u (port in use?)", addr,
			 (unsigned)port);
		free(m);
		errno = EADDRINUSE;
		return NULL;
	}
	return m;
}

void out_metrics_stop(struct out_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
