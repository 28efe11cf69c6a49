/*
 * test_container.c - container ids from cgroup paths, as data: each case is
 * a cgroup list and the runtime and short id it must give.
 */
#include "t.h"
#include "state/state.h"

#define ID64 "3c2fd1ba09e7e2c5f1d0a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7"

static const struct {
	const char *cgroups;
	int type;
	const char *id;
} cases[] = {
	/* docker, cgroup v1 and systemd driver */
	{"cpu,cpuacct=/docker/" ID64, PROC_CT_DOCKER, "3c2fd1ba09e7"},
	{"0::/system.slice/docker-" ID64 ".scope", PROC_CT_DOCKER, "3c2fd1ba09e7"},
	{"/actions_job/" ID64, PROC_CT_DOCKER, "3c2fd1ba09e7"},
	/* kubernetes with containerd */
	{"cpu=/kubepods/besteffort/pod0d6c5a1e-8f2b-4c1a-9d3e-7b6a5c4d3e2f/" ID64, PROC_CT_CRI,
	 "3c2fd1ba09e7"},
	{"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0d6c5a1e.slice/"
	 "cri-containerd-" ID64 ".scope",
	 PROC_CT_CRI, "3c2fd1ba09e7"},
	/* cri-o */
	{"0::/kubepods.slice/kubepods-pod1.slice/crio-" ID64 ".scope", PROC_CT_CRIO, "3c2fd1ba09e7"},
	/* podman, root and rootless */
	{"0::/machine.slice/libpod-" ID64 ".scope", PROC_CT_PODMAN, "3c2fd1ba09e7"},
	{"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64
	 ".scope/container",
	 PROC_CT_PODMAN, "3c2fd1ba09e7"},
	{"cpu=/libpod_parent/libpod-" ID64, PROC_CT_PODMAN, "3c2fd1ba09e7"},
	/* host */
	{"0::/user.slice/user-1000.slice/session-3.scope", PROC_CT_HOST, ""},
	{"0::/system.slice/sshd.service", PROC_CT_HOST, ""},
	{"0::/", PROC_CT_HOST, ""},
	{"", PROC_CT_HOST, ""},
	/* near misses stay on the host */
	{"0::/system.slice/docker-" "3c2fd1ba09e7.scope", PROC_CT_HOST, ""},
	{"0::/system.slice/crio-conmon-" ID64 ".scope", PROC_CT_HOST, ""},
	{"0::/random/" ID64, PROC_CT_HOST, ""},
	{"0::/system.slice/docker-" ID64 ".scopeX", PROC_CT_HOST, ""},
	{"0::/docker/3C2FD1BA09E7E2C5F1D0A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C8D7", PROC_CT_HOST,
	 ""},
};

T_TEST(t_container_cases)
{
	char id[PROC_CONTAINER_ID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int type = proc_container_from_cgroups(cases[i].cgroups, strlen(cases[i].cgroups),
						       id);

		if (type != cases[i].type || strcmp(id, cases[i].id))
			T_FAIL("case %zu (%s): got %s \"%s\", expected %s \"%s\"", i,
			       cases[i].cgroups, proc_container_type_name(type), id,
			       proc_container_type_name(cases[i].type), cases[i].id);
	}
}

/* A NUL-separated list: the first entry naming a container wins. */
T_TEST(t_container_list)
{
	static const char list[] = "cpuset=/\0memory=/\0pids=/docker/" ID64 "\0";
	char id[PROC_CONTAINER_ID_LEN + 1];

	T_EQ_INT(proc_container_from_cgroups(list, sizeof(list) - 1, id), PROC_CT_DOCKER);
	T_EQ_STR(id, "3c2fd1ba09e7");
	T_EQ_INT(proc_container_from_cgroups(list, 18, id), PROC_CT_HOST);
	T_EQ_STR(id, "");
	T_EQ_INT(proc_container_from_cgroups(NULL, 0, id), PROC_CT_HOST);
	/* a list cut inside an entry never reads past len */
	T_EQ_INT(proc_container_from_cgroups(list, 40, id), PROC_CT_HOST);
}

int main(void)
{
	T_RUN(t_container_cases);
	T_RUN(t_container_list);
	return T_DONE();
}
