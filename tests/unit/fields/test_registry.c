/*
 * test_registry.c - the field registry: every field used by the default
 * ruleset resolves, arguments are checked, values render as sysdig prints
 * them, IP parsing and networks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "fields/fields.h"
#include "t.h"

static int resolve(const char *name, const char *arg)
{
	struct fld_ref r;
	const char *msg;

	return fld_resolve(name, strlen(name), arg, arg ? strlen(arg) : 0, arg != NULL, &r, &msg);
}

T_TEST(test_resolve)
{
	static const char *const ok[] = { "proc.name", "evt.arg.flags", "proc.pcmdline",
					  "fd.sip.name", "container.image.repository",
					  "k8s.ns.name", "thread.cap_effective", "user.loginname",
					  "proc.exe_ino.ctime_duration_proc_start" };
	struct fld_ref r;
	const char *msg;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		T_EQ_INT(resolve(ok[i], NULL), 0);
	T_EQ_INT(resolve("proc.aname", "2"), 0);
	T_EQ_INT(resolve("proc.aname", NULL), 0);
	T_EQ_INT(resolve("evt.arg", "0"), 0);
	T_EQ_INT(resolve("proc.env", "HOME"), 0);
	T_EQ_INT(resolve("proc.nme", NULL), -ENOENT);
	T_EQ_INT(resolve("proc.name", "1"), -EINVAL);
	T_EQ_INT(resolve("proc.aname", "x"), -EINVAL);
	T_EQ_INT(resolve("evt.arg", NULL), -EINVAL);
	T_EQ_INT(resolve("evt.arg.nosuchparam", NULL), -EINVAL);
	T_EQ_INT(fld_resolve("evt.arg.flags", 13, NULL, 0, false, &r, &msg), 0);
	T_EQ_STR(r.def->name, "evt.arg");
	T_EQ_INT(r.key_len, 5);
}

/* container.mount*: a required [number] or [glob], no .name form. */
T_TEST(test_resolve_mounts)
{
	static const char *const fields[] = { "container.mount", "container.mount.source",
					      "container.mount.dest", "container.mount.mode",
					      "container.mount.rdwr", "container.mount.propagation" };
	struct fld_ref r;
	const char *msg;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *f = fields[i];

		T_EQ_INT(fld_resolve(f, strlen(f), "2", 1, true, &r, &msg), 0);
		T_EQ_STR(r.def->name, f);
		T_EQ_INT(r.idx, 2);
		T_CHECK(!r.key);
		T_EQ_INT(fld_resolve(f, strlen(f), "/proc*", 6, true, &r, &msg), 0);
		T_EQ_INT(r.idx, -1);
		T_EQ_INT(r.key_len, 6);
		T_CHECK(!memcmp(r.key, "/proc*", 6));
		T_EQ_INT(resolve(f, NULL), -EINVAL);
		T_EQ_INT(resolve(f, ""), -EINVAL);
	}
	T_EQ_INT(fld_resolve("container.mount", 15, NULL, 0, false, &r, &msg), -EINVAL);
	T_CHECK(strstr(msg, "[/proc*]"));
	T_EQ_INT(resolve("container.mounts", NULL), 0);
	T_EQ_INT(resolve("container.mounts", "0"), -EINVAL);
	/* not a keyed field: a dotted suffix is not its argument */
	T_EQ_INT(resolve("container.mount.bogus", NULL), -ENOENT);
	T_EQ_INT(resolve("container.mount.dest.x", NULL), -ENOENT);
}

T_TEST(test_render)
{
	struct fld_value v[2];
	struct fld_vals vals = { 1, FLD_T_S64, v };
	char buf[64];

	fld_vals__render(&(struct fld_vals){ 0, FLD_T_STR, NULL }, buf, sizeof(buf));
	T_EQ_STR(buf, "<NA>");
	v[0].i = -1;
	fld_vals__render(&vals, buf, sizeof(buf));
	T_EQ_STR(buf, "-1");
	vals.type = FLD_T_BOOL;
	v[0].b = true;
	fld_vals__render(&vals, buf, sizeof(buf));
	T_EQ_STR(buf, "true");
	vals.type = FLD_T_IPADDR;
	T_EQ_INT(fld_ip_parse("10.1.2.3", 8, false, &v[0].ip), 0);
	fld_vals__render(&vals, buf, sizeof(buf));
	T_EQ_STR(buf, "10.1.2.3");
	T_EQ_INT(fld_ip_parse("2001:db8::3", 11, false, &v[1].ip), 0);
	vals.n = 2;
	fld_vals__render(&vals, buf, sizeof(buf));
	T_EQ_STR(buf, "10.1.2.3 2001:db8::3");
	/* truncation reports the length wanted */
	T_EQ_INT(fld_vals__render(&vals, buf, 4), 20);
	T_EQ_STR(buf, "10.");
	/* a string cannot break the line it is printed on: control characters
	 * escaped, every other byte kept */
	vals.type = FLD_T_STR;
	vals.n = 1;
	v[0].str.s = "a\nb\r\tc\x01\x7f\xff)";
	T_EQ_INT(fld_vals__render(&vals, buf, sizeof(buf)), 19);
	T_EQ_STR(buf, "a\\nb\\r\\tc\\x01\\x7f\xff)");
	v[0].str.s = "/etc/passwd";
	fld_vals__render(&vals, buf, sizeof(buf));
	T_EQ_STR(buf, "/etc/passwd");
}

T_TEST(test_nets)
{
	struct fld_ip ip, net;

	T_EQ_INT(fld_ip_parse("192.168.1.7", 11, false, &ip), 0);
	T_EQ_INT(fld_ip_parse("192.168.0.0/16", 14, true, &net), 0);
	T_CHECK(fld_ip_in_net(&ip, &net));
	T_EQ_INT(fld_ip_parse("10.0.0.0/8", 10, true, &net), 0);
	T_CHECK(!fld_ip_in_net(&ip, &net));
	T_EQ_INT(fld_ip_parse("10.0.0.0/33", 11, true, &net), -EINVAL);
	T_EQ_INT(fld_ip_parse("10.0.0.0/8", 10, false, &net), -EINVAL);
	T_EQ_INT(fld_ip_parse("fe80::/10", 9, true, &net), 0);
	T_EQ_INT(net.family, AF_INET6);
}

T_TEST(test_registry_unique)
{
	size_t i, j;

	for (i = 0; i < FLD__COUNT; i++) {
		T_EQ_INT(fld_registry[i].id, i);
		T_CHECK(fld_registry[i].desc[0]);
		for (j = i + 1; j < FLD__COUNT; j++)
			T_CHECK(strcmp(fld_registry[i].name, fld_registry[j].name) != 0);
	}
	T_CHECK(FLD__COUNT >= 120);
}

int main(void)
{
	T_RUN(test_resolve);
	T_RUN(test_resolve_mounts);
	T_RUN(test_render);
	T_RUN(test_nets);
	T_RUN(test_registry_unique);
	return T_DONE();
}
