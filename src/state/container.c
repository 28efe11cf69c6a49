/*
 * container.c - the container id from a process's cgroup paths, and the
 * shell markers of an image.
 *
 * Container runtimes put each container in a cgroup whose path carries the
 * container's 64-hex-digit id in a recognisable component. Falco reports the
 * first 12 digits as container.id, "host" processes have none. Matching is a
 * scan of path components from the deepest up, so nested layouts (podman's
 * ".../libpod-<id>.scope/container", kubelet's pod slices) work without one
 * pattern per layout.
 */
#include <string.h>

#include "state/state_int.h"
#include "lib/ascii.h"

#define CT_HEX_LEN 64

/* Prefixed components: "<prefix><64 hex>" optionally followed by ".scope". */
static const struct {
	const char *prefix;
	int type;
} ct_prefixes[] = {
	{"docker-", PROC_CT_DOCKER},
	{"cri-containerd-", PROC_CT_CRI},
	{"crio-", PROC_CT_CRIO},
	{"libpod-", PROC_CT_PODMAN},
};

/* Bare "<64 hex>" components: the runtime is told by an ancestor component. */
static const struct {
	const char *component;
	int type;
} ct_parents[] = {
	{"docker", PROC_CT_DOCKER},
	{"actions_job", PROC_CT_DOCKER},
	{"libpod_parent", PROC_CT_PODMAN},
	{"kubepods", PROC_CT_CRI},
	{"kubepods.slice", PROC_CT_CRI},
};

static int is_hex64(const char *s, size_t len)
{
	return len >= CT_HEX_LEN && ascii_is_lower_hex(s, CT_HEX_LEN);
}

/* The id part of a prefixed component: exactly 64 hex digits, then nothing
 * or ".scope". */
static int id_tail_ok(const char *s, size_t len)
{
	if (!is_hex64(s, len))
		return 0;
	return len == CT_HEX_LEN || (len == CT_HEX_LEN + 6 && !memcmp(s + CT_HEX_LEN, ".scope", 6));
}

static int component_is(const char *c, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(c, name, len);
}

/* Is any component of path[0..end) one of the ct_parents? */
static int parent_type(const char *path, size_t end)
{
	size_t i = 0, j, k;

	while (i < end) {
		while (i < end && path[i] == '/')
			i++;
		j = i;
		while (j < end && path[j] != '/')
			j++;
		for (k = 0; k < sizeof(ct_parents) / sizeof(ct_parents[0]); k++)
			if (component_is(path + i, j - i, ct_parents[k].component))
				return ct_parents[k].type;
		i = j;
	}
	return PROC_CT_HOST;
}

/* One path; fills id and returns the type when it names a container. */
static int match_path(const char *path, size_t len, char *id)
{
	size_t end = len, start, k;

	while (end > 0) {
		while (end > 0 && path[end - 1] == '/')
			end--;
		start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		if (start == end)
			break;
		for (k = 0; k < sizeof(ct_prefixes) / sizeof(ct_prefixes[0]); k++) {
			size_t pl = strlen(ct_prefixes[k].prefix);

			if (end - start > pl && !memcmp(path + start, ct_prefixes[k].prefix, pl) &&
			    id_tail_ok(path + start + pl, end - start - pl)) {
				memcpy(id, path + start + pl, PROC_CONTAINER_ID_LEN);
				return ct_prefixes[k].type;
			}
		}
		if (end - start == CT_HEX_LEN && is_hex64(path + start, CT_HEX_LEN)) {
			int type = parent_type(path, start);

			if (type != PROC_CT_HOST) {
				memcpy(id, path + start, PROC_CONTAINER_ID_LEN);
				return type;
			}
		}
		end = start;
	}
	return PROC_CT_HOST;
}

int proc_container_from_cgroups(const char *cgroups, size_t len,
				char id[PROC_CONTAINER_ID_LEN + 1])
{
	size_t i = 0;

	memset(id, 0, PROC_CONTAINER_ID_LEN + 1);
	if (!cgroups)
		return PROC_CT_HOST;
	while (i < len) {
		const char *e = cgroups + i;
		size_t elen = strnlen(e, len - i);
		const char *eq = memchr(e, '=', elen);
		const char *path = eq ? eq + 1 : e;
		int type = match_path(path, elen - (size_t)(path - e), id);

		if (type != PROC_CT_HOST)
			return type;
		i += elen + 1;
	}
	return PROC_CT_HOST;
}

const char *proc_container_type_name(int type)
{
	switch (type) {
	case PROC_CT_DOCKER:
		return "docker";
	case PROC_CT_CRI:
		return "containerd";
	case PROC_CT_CRIO:
		return "cri-o";
	case PROC_CT_PODMAN:
		return "podman";
	default:
		return "host";
	}
}

static const char *const shells[] = {
	"ash", "bash", "csh", "dash", "fish", "ksh", "mksh", "sh", "tcsh", "zsh", "busybox",
};

uint32_t proc_shell_flags(const char *comm, const char *exe, int in_container)
{
	uint32_t f = 0;
	size_t i;

	for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (!strcmp(comm, shells[i]))
			f |= PROC_IMG_SHELL;
	if (!f)
		return 0;
	if (exe[0] == '-')
		f |= PROC_IMG_LOGIN_SHELL;
	if (in_container)
		f |= PROC_IMG_CONTAINER_SHELL;
	return f;
}
