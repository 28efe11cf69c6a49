/*
 * pg_behave.c - perform one suspicious behaviour for real, for the live tests
 * of the default rules (tests/sh/live_behaviours.sh). Each subcommand does the
 * system calls an attacker's tool would, and nothing more, so the test can say
 * exactly which alert it expects from it:
 *
 *   pg_behave spawn-shell            fork, exec /bin/sh -c 'exit 0'
 *   pg_behave listen PORTFILE        accept one TCP connection on 127.0.0.1
 *   pg_behave connect IP PORT        connect out and send a line (also what
 *                                    runs when the binary is called "nc")
 *   pg_behave ptrace                 PTRACE_SEIZE a child of its own
 *   pg_behave memfd-exec             copy /bin/true into a memfd and fexecve it
 *   pg_behave module FILE            finit_module(FILE): fails, the try is logged
 *   pg_behave setuid-root            drop to nobody, then ask for uid 0
 *   pg_behave packet-socket          open and close an AF_PACKET socket
 *
 * Exit status 0 when the behaviour was carried out (a refused finit_module or
 * setuid(0) counts: the attempt is the behaviour), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int bh_spawn_shell(void)
{
	struct timespec ts = {0, 100 * 1000000L};
	int st;
	pid_t pid;

	/* A service runs a while before it spawns a shell (a fork right after
	 * our exec is covered too: tests/unit/state/test_live_parent.c). */
	nanosleep(&ts, NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int bh_listen(const char *portfile)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	char buf[256];
	FILE *f;
	int s, c;

	alarm(30); /* never outlive a failed test */
	s = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0)
		return 1;
	f = fopen(portfile, "w");
	if (!f)
		return 1;
	fprintf(f, "%u\n", ntohs(a.sin_port));
	fclose(f);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			return 1;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static int bh_connect(const char *ip, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	static const char line[] = "peregrine live test\n";
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((uint16_t)atoi(port));
	if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1 ||
	    connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	if (write(s, line, sizeof(line) - 1) < 0)
		return 1;
	close(s);
	return 0;
}

static int bh_ptrace(void)
{
	int rc = 1;
	pid_t child = fork();

	if (child < 0)
		return 1;
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, child, NULL, NULL) == 0) {
		rc = 0;
		ptrace(PTRACE_DETACH, child, NULL, NULL);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

static int bh_memfd_exec(void)
{
	char *argv[] = {"pg_fileless", NULL};
	char buf[65536];
	ssize_t n;
	int in = open("/bin/true", O_RDONLY | O_CLOEXEC);
	int fd = (int)syscall(SYS_memfd_create, "pg_fileless", 0);

	if (in < 0 || fd < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 1;
	close(in);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return 1;
}

static int bh_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long rc;

	if (fd < 0)
		return 1;
	rc = syscall(SYS_finit_module, fd, "", 0);
	if (rc == 0) {
		fprintf(stderr, "pg_behave: finit_module(%s) loaded something?\n", path);
		return 1;
	}
	close(fd);
	return 0;
}

static int bh_setuid_root(void)
{
	if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return 1;
	/* the attempt: refused with EPERM, which is what the rule is about */
	return setuid(0) == 0 ? 1 : 0;
}

static int bh_packet_socket(void)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (s < 0)
		return 1;
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');

	me = me ? me + 1 : argv[0];
	if (strcmp(me, "nc") == 0 && argc == 3)
		return bh_connect(argv[1], argv[2]);
	if (argc == 2 && strcmp(argv[1], "spawn-shell") == 0)
		return bh_spawn_shell();
	if (argc == 3 && strcmp(argv[1], "listen") == 0)
		return bh_listen(argv[2]);
	if (argc == 4 && strcmp(argv[1], "connect") == 0)
		return bh_connect(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "ptrace") == 0)
		return bh_ptrace();
	if (argc == 2 && strcmp(argv[1], "memfd-exec") == 0)
		return bh_memfd_exec();
	if (argc == 3 && strcmp(argv[1], "module") == 0)
		return bh_module(argv[2]);
	if (argc == 2 && strcmp(argv[1], "setuid-root") == 0)
		return bh_setuid_root();
	if (argc == 2 && strcmp(argv[1], "packet-socket") == 0)
		return bh_packet_socket();
	fprintf(stderr, "usage: pg_behave spawn-shell|listen PORTFILE|connect IP PORT|ptrace|"
			"memfd-exec|module FILE|setuid-root|packet-socket\n");
	return 2;
}
