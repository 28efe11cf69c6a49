/*
 * config.h - peregrine's configuration file (YAML) and -o overrides.
 *
 * Keys follow the reference engine's falco.yaml where they overlap
 * (rules_files, json_output, outputs_queue.capacity, http_output.url, ...),
 * plus peregrine's own engine.* keys. Every key is written down once, in
 * CFG_KEYS below: the parser, the -o override and the error messages all
 * read that list. An unknown key is an error naming its dotted path and
 * file:line, so a typo never silently leaves a default in place.
 *
 * Thread safety: built and read by the controlling thread; the engine gets
 * copies of what it needs.
 */
#ifndef PG_CLI_CONFIG_H
#define PG_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_DEFAULT_PATH "/etc/peregrine/peregrine.yaml"

/* A list of strings (rules_files, syscall_event_drops.actions). */
struct cfg_strs {
	char **v;
	size_t n;
};

/*
 * X(path, type, field, default): every key. Types: BOOL, U32, U64, DBL, STR,
 * STRS (a sequence, or a comma-separated -o value).
 */
#define CFG_KEYS(X)                                                                   \
	X("rules_files", STRS, rules_files, "/etc/peregrine/falco_rules.yaml")       \
	X("rules_file", STRS, rules_files, NULL) /* older name, same list */         \
	X("json_output", BOOL, json_output, "false")                                  \
	X("json_include_output_property", BOOL, json_output_prop, "true")            \
	X("json_include_tags_property", BOOL, json_tags_prop, "true")                \
	X("time_format_iso_8601", BOOL, time_iso8601, "false")                        \
	X("priority", STR, priority, "debug")                                         \
	X("rule_matching", STR, rule_matching, "first")                               \
	X("output_timeout", U32, output_timeout, "2000")                              \
	X("outputs_queue.capacity", U32, queue_capacity, "4096")                      \
	X("stdout_output.enabled", BOOL, stdout_enabled, "true")                      \
	X("file_output.enabled", BOOL, file_enabled, "false")                         \
	X("file_output.keep_alive", BOOL, file_keep_alive, "false")                   \
	X("file_output.filename", STR, file_name, "./events.txt")                     \
	X("syslog_output.enabled", BOOL, syslog_enabled, "false")                     \
	X("syslog_output.socket", STR, syslog_socket, "/dev/log")                     \
	X("program_output.enabled", BOOL, program_enabled, "false")                   \
	X("program_output.keep_alive", BOOL, program_keep_alive, "false")             \
	X("program_output.program", STR, program, "")                                 \
	X("http_output.enabled", BOOL, http_enabled, "false")                         \
	X("http_output.url", STR, http_url, "")                                       \
	X("http_output.user_agent", STR, http_user_agent, "peregrine")                \
	X("http_output.insecure", BOOL, http_insecure, "false")                       \
	X("http_output.ca_cert", STR, http_ca_cert, "")                               \
	X("http_output.ca_path", STR, http_ca_path, "")                               \
	X("http_output.keep_alive", BOOL, http_keep_alive, "true")                    \
	X("http_output.echo", BOOL, http_echo, "false")                               \
	X("http_output.retries", U32, http_retries, "2")                              \
	X("syscall_event_drops.threshold", DBL, sed_threshold, "0.1")                 \
	X("syscall_event_drops.actions", STRS, sed_actions, "log,alert")              \
	X("syscall_event_drops.rate", DBL, sed_rate, "0.03333")                       \
	X("syscall_event_drops.max_burst", U32, sed_max_burst, "1")                   \
	X("syscall_event_drops.simulate_drops", BOOL, sed_simulate, "false")          \
	X("metrics.enabled", BOOL, metrics_enabled, "false")                          \
	X("metrics.listen_address", STR, metrics_addr, "127.0.0.1")                   \
	X("metrics.listen_port", U32, metrics_port, "8765")                           \
	X("metrics.interval", U32, stats_interval, "0")                               \
	X("engine.workers", U32, workers, "0")                                        \
	X("engine.partition", STR, partition, "tgid")                                 \
	X("engine.ring_buffer_bytes", U64, ring_bytes, "8388608")                    \
	X("engine.probe_hook", STR, probe_hook, "raw")                                \
	X("container_engines.docker.enabled", BOOL, ctr_docker, "true")               \
	X("container_engines.docker.sockets", STRS, ctr_docker_sockets, "/var/run/docker.sock") \
	X("container_engines.podman.enabled", BOOL, ctr_podman, "true")               \
	X("container_engines.podman.sockets", STRS, ctr_podman_sockets, "/run/podman/podman.sock") \
	X("container_engines.timeout_ms", U32, ctr_timeout_ms, "1000")

struct cfg {
	struct cfg_strs rules_files, sed_actions;
	bool json_output, json_output_prop, json_tags_prop, time_iso8601;
	bool stdout_enabled, file_enabled, file_keep_alive, syslog_enabled;
	bool program_enabled, program_keep_alive;
	bool http_enabled, http_insecure, http_keep_alive, http_echo;
	bool sed_simulate, metrics_enabled;
	char *priority, *rule_matching, *file_name, *syslog_socket, *program;
	char *http_url, *http_user_agent, *http_ca_cert, *http_ca_path;
	char *metrics_addr, *partition, *probe_hook;
	uint32_t output_timeout, queue_capacity, http_retries, sed_max_burst;
	uint32_t metrics_port, stats_interval, workers;
	uint64_t ring_bytes;
	double sed_threshold, sed_rate;
	/* container runtimes asked for container.name/image (live mode) */
	bool ctr_docker, ctr_podman;
	struct cfg_strs ctr_docker_sockets, ctr_podman_sockets;
	uint32_t ctr_timeout_ms;
	/* derived by cfg_check */
	int min_priority; /* enum rule_priority */
	bool match_all;	  /* rule_matching: all */
	bool rules_from_cli; /* -r given: the file's rules_files are replaced */
};

/* Defaults (the list above). 0 / -ENOMEM. */
int cfg_init(struct cfg *c);
void cfg_free(struct cfg *c);

/*
 * Read @path on top of @c. -ENOENT when the file does not exist (the caller
 * decides whether that is fine: the default path may be absent); -EINVAL with
 * "FILE:LINE: unknown key 'a.b'" (or a bad value) in @err.
 */
int cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen);
/* The same from memory; @name is used in messages. */
int cfg_load_string(struct cfg *c, const char *name, const char *text, size_t len, char *err,
		    size_t errlen);

/* -o key=value (dotted path). -EINVAL with the reason in @err. */
int cfg_set(struct cfg *c, const char *kv, char *err, size_t errlen);

/* Every key and its value in @c as YAML that cfg_load_file() reads back
 * to the same values (aliases such as rules_file once, by their first name),
 * in CFG_KEYS order: `peregrine --print-config`. */
void cfg_print(const struct cfg *c, FILE *f);

/* Check values that depend on each other and derive min_priority and
 * match_all. -EINVAL with the reason in @err. */
int cfg_check(struct cfg *c, char *err, size_t errlen);

#endif /* PG_CLI_CONFIG_H */
