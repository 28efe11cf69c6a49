/*
 * image.c - building the immutable process images (what execve sets).
 *
 * An image is one allocation: the fixed fields, then every string back to
 * back, each bounded and NUL-terminated. It is built completely before it is
 * published and never written afterwards, which is what makes a torn string
 * impossible for a reader in another partition: a change (exec, comm, caps)
 * builds a new image and swaps one pointer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state/state_int.h"

const struct proc_image proc_placeholder_image = {
	.magic = PROC_IMAGE_MAGIC,
	.flags = PROC_IMG_PLACEHOLDER,
	.exe = "",
	.exepath = "",
	.args = "",
	.env = "",
	.cgroups = "",
};

static size_t bounded_len(const char *s, size_t max)
{
	return s ? strnlen(s, max - 1) : 0;
}

/* Bytes of a NUL-separated list to keep so that it fits max bytes with its
 * final NUL: cut at the last whole entry, or inside a single huge one. */
static size_t list_keep(const char *l, size_t len, size_t max)
{
	size_t i;

	if (!l)
		return 0;
	if (len < max)
		return len;
	for (i = max - 1; i > 0; i--)
		if (l[i - 1] == '\0')
			return i;
	return max - 1;
}

void proc_img_src_from_image(struct proc_img_src *src, const struct proc_image *img)
{
	memset(src, 0, sizeof(*src));
	src->comm = img->comm;
	src->comm_len = strnlen(img->comm, PROC_COMM_MAX - 1);
	src->exe = img->exe;
	src->exe_len = img->exe_len;
	src->exepath = img->exepath;
	src->exepath_len = img->exepath_len;
	src->args = img->args;
	src->args_len = img->args_len;
	src->env = img->env;
	src->env_len = img->env_len;
	src->cgroups = img->cgroups;
	src->cgroups_len = img->cgroups_len;
	src->flags = img->flags & (PROC_IMG_EXE_UPPER | PROC_IMG_EXE_MEMFD | PROC_IMG_EXE_WRITABLE);
	src->cap_effective = img->cap_effective;
	src->cap_permitted = img->cap_permitted;
	src->cap_inheritable = img->cap_inheritable;
	src->exe_ino = img->exe_ino;
	src->exe_ctime = img->exe_ctime;
	src->exe_mtime = img->exe_mtime;
}

void proc_img_src_from_spawn(struct proc_img_src *src, const struct proc_spawn *s,
			     const struct proc_image *base)
{
	if (base && !(base->flags & PROC_IMG_PLACEHOLDER))
		proc_img_src_from_image(src, base);
	else
		memset(src, 0, sizeof(*src));
	if (s->comm) {
		src->comm = s->comm;
		src->comm_len = bounded_len(s->comm, PROC_COMM_MAX);
	}
	if (s->exe) {
		src->exe = s->exe;
		src->exe_len = bounded_len(s->exe, PROC_EXE_MAX);
		src->flags = 0;
		if (s->flags & PROC_SPAWN_EXE_UPPER)
			src->flags |= PROC_IMG_EXE_UPPER;
		if (s->flags & PROC_SPAWN_EXE_MEMFD)
			src->flags |= PROC_IMG_EXE_MEMFD;
		if (s->flags & PROC_SPAWN_EXE_WRITABLE)
			src->flags |= PROC_IMG_EXE_WRITABLE;
		src->exe_ino = s->exe_ino;
		src->exe_ctime = s->exe_ctime;
		src->exe_mtime = s->exe_mtime;
	}
	if (s->exepath) {
		src->exepath = s->exepath;
		src->exepath_len = bounded_len(s->exepath, PROC_PATH_MAX);
	}
	if (s->args) {
		src->args = s->args;
		src->args_len = s->args_len;
	}
	if (s->env) {
		src->env = s->env;
		src->env_len = s->env_len;
	}
	if (s->cgroups) {
		src->cgroups = s->cgroups;
		src->cgroups_len = s->cgroups_len;
	}
	if (s->flags & PROC_SPAWN_HAVE_CAPS) {
		src->cap_effective = s->cap_effective;
		src->cap_permitted = s->cap_permitted;
		src->cap_inheritable = s->cap_inheritable;
	}
}

/* Copy a string or list into the blob at *pos; returns where it starts.
 * A list keeps its entries' NULs and always ends with one. */
static const char *blob_put(char *blob, size_t *pos, const char *s, size_t len, int list)
{
	char *dst = blob + *pos;

	if (len)
		memcpy(dst, s, len);
	if (!list || !len || dst[len - 1] != '\0')
		dst[len++] = '\0';
	*pos += len;
	return dst;
}

struct proc_image_box *proc_image_build(const struct proc_img_src *src)
{
	size_t exe_len = src->exe_len < PROC_EXE_MAX ? src->exe_len : PROC_EXE_MAX - 1;
	size_t path_len = src->exepath_len < PROC_PATH_MAX ? src->exepath_len : PROC_PATH_MAX - 1;
	size_t args_len = list_keep(src->args, src->args_len, PROC_ARGS_MAX);
	size_t env_len = list_keep(src->env, src->env_len, PROC_ENV_MAX);
	size_t cg_len = list_keep(src->cgroups, src->cgroups_len, PROC_CGROUPS_MAX);
	size_t comm_len = src->comm_len < PROC_COMM_MAX ? src->comm_len : PROC_COMM_MAX - 1;
	size_t blob = exe_len + path_len + args_len + env_len + cg_len + 5;
	struct proc_image_box *box;
	struct proc_image *img;
	size_t pos = 0;
	int ct;

	box = malloc(sizeof(*box) + blob);
	if (!box)
		return NULL;
	memset(box, 0, sizeof(*box));
	box->size = sizeof(*box) + blob;
	img = &box->img;
	img->magic = PROC_IMAGE_MAGIC;
	if (comm_len)
		memcpy(img->comm, src->comm, comm_len);
	img->exe = blob_put(box->blob, &pos, src->exe, exe_len, 0);
	img->exe_len = (uint32_t)strlen(img->exe);
	img->exepath = blob_put(box->blob, &pos, src->exepath, path_len, 0);
	img->exepath_len = (uint32_t)strlen(img->exepath);
	img->args = blob_put(box->blob, &pos, src->args, args_len, 1);
	img->args_len = args_len ? (uint32_t)(box->blob + pos - img->args) : 0;
	img->env = blob_put(box->blob, &pos, src->env, env_len, 1);
	img->env_len = env_len ? (uint32_t)(box->blob + pos - img->env) : 0;
	img->cgroups = blob_put(box->blob, &pos, src->cgroups, cg_len, 1);
	img->cgroups_len = cg_len ? (uint32_t)(box->blob + pos - img->cgroups) : 0;
	img->cap_effective = src->cap_effective;
	img->cap_permitted = src->cap_permitted;
	img->cap_inheritable = src->cap_inheritable;
	img->exe_ino = src->exe_ino;
	img->exe_ctime = src->exe_ctime;
	img->exe_mtime = src->exe_mtime;
	ct = proc_container_from_cgroups(img->cgroups, img->cgroups_len, img->container_id);
	img->container_type = (uint8_t)ct;
	img->flags = src->flags | proc_shell_flags(img->comm, img->exe, ct);
	return box;
}

void proc_image_free(struct proc_image_box *box)
{
	if (box)
		proc_free_poisoned(box, box->size);
}
