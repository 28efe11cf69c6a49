/*
 * fields.h - the field registry and its extractors: what `proc.name`,
 * `fd.sip` or `evt.arg.flags` mean and how to read them from an event.
 *
 * Conditions, output strings and `capture cat -p` all name fields. The
 * registry below is the one place where every field is written down: its
 * name, value type, what argument it takes (`proc.aname[2]`,
 * `evt.arg.flags`, `proc.env[HOME]`), flags and description. Names, types,
 * descriptions and semantics are facts of the libs filter checks
 * (userspace/libsinsp/sinsp_filtercheck_*.cpp), so rules written for the
 * reference engine mean the same thing here.
 *
 * Extraction reads the decoded event (struct evt) and the process state
 * (src/state) through a struct fld_ctx the caller fills per event. Each
 * referenced field is extracted at most once per event: callers resolve a
 * field name once into a struct fld_ref that carries a cache slot, and a
 * per-worker struct fld_worker keeps the values of the current event in
 * those slots (the slot numbers are handed out by whoever compiles field
 * names: the rules compiler, the format compiler). Strings built on extraction (proc.cmdline, fd.name of a
 * socket, thread.cap_effective) go into the worker's scratch arena, reset at
 * each event: nothing is malloc'ed on the extraction path.
 *
 * Container fields: container.id and container.type come from the cgroups
 * in the process image ("host" outside a container). container.full_id,
 * name, image, image.id, image.repository, image.tag, image.digest,
 * privileged, start_ts, mounts and mount*[N|GLOB] come from the container
 * metadata cache
 * (src/state, proc_ctr_lookup), which the live engine's background client
 * fills from the Docker Engine API (docker or podman, see README's
 * container_engines.* keys) and replay fills from a capture's container
 * events. They are absent ("<NA>") while the runtime is unreachable or does
 * not know the container (CRI containers), and, as in libs, on the host
 * except container.name and container.full_id, which are "host" there. A
 * mount field is also absent when no mount has the number or matches the
 * glob (fnmatch(3) without flags, as libs: on the mount's source, except
 * container.mount.source, which matches the destination).
 * Kubernetes fields (k8s.*) have no source: accepted, always absent.
 *
 * Thread safety: the registry is immutable data; a struct fld_worker belongs
 * to one thread (the worker evaluating the event), values it hands out are
 * valid until that worker's next fld_worker__begin().
 */
#ifndef PG_FIELDS_FIELDS_H
#define PG_FIELDS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/event_table.h"
#include "state/state.h" /* the state records a field reads, struct proc_evt_ref */

/*
 * Value types, X(id, libs name). The libs name is what --list-fields shows.
 * Comparisons group them: strings (STR, BYTES), numbers (the integers, PORT,
 * RELTIME, ABSTIME, DOUBLE), BOOL, IPADDR, IPNET.
 */
#define FLD_TYPES(X)              \
	X(STR, "CHARBUF")         \
	X(BYTES, "BYTEBUF")       \
	X(S16, "INT16")           \
	X(S32, "INT32")           \
	X(S64, "INT64")           \
	X(U32, "UINT32")          \
	X(U64, "UINT64")          \
	X(PORT, "PORT")           \
	X(RELTIME, "RELTIME")     \
	X(ABSTIME, "ABSTIME")     \
	X(BOOL, "BOOL")           \
	X(IPADDR, "IPADDR")       \
	X(IPNET, "IPNET")         \
	X(DOUBLE, "DOUBLE")

enum fld_type {
#define FLD_X_(id, libs) FLD_T_##id,
	FLD_TYPES(FLD_X_)
#undef FLD_X_
		FLD_T__COUNT
};

/* How a field takes an argument. */
enum fld_argk {
	FLD_ARG_NONE,	   /* proc.name */
	FLD_ARG_INDEX,	   /* required number: proc.aname[2] is not optional for aexe */
	FLD_ARG_INDEX_OPT, /* optional number: proc.aname[2], or proc.aname = any ancestor */
	FLD_ARG_KEY,	   /* required name or [N]: evt.arg.flags, evt.arg[0] */
	FLD_ARG_KEY_OPT,   /* optional name: proc.env, proc.env[HOME] */
	/* required [number] or [glob]: container.mount[0], container.mount[/proc*]
	 * (idx >= 0, or key the glob; no .name form) */
	FLD_ARG_INDEX_OR_GLOB,
};

/* Field flags, one bit each. */
#define FLD_F_FILTER_ONLY (1u << 0) /* only in conditions (fd.ip: either end) */
#define FLD_F_NO_SOURCE	  (1u << 1) /* needs a runtime peregrine does not reach: always absent */
#define FLD_F_DEPRECATED  (1u << 2) /* kept for old rules */
#define FLD_F_MULTI	  (1u << 3) /* may give several values (proc.aname without [N]) */
#define FLD_F_NEEDS_FD	  (1u << 4) /* reads the event's fd */
#define FLD_F_NEEDS_PROC  (1u << 5) /* reads the process state */
/* The event's type alone decides the value (evt.type, evt.dir), but for
 * generic events, whose evt.type is a parameter's: the rules compiler turns
 * a check on it into a bit test per type (ruleset_int.h, CN_TYPES). */
#define FLD_F_BY_TYPE (1u << 6)

/*
 * The registry, X(id, name, type, argk, flags, description), grouped by
 * class in the order --list-fields prints them. Classes are the name's
 * prefix up to the first dot, described in FLD_CLASSES.
 */
#define FLD_P FLD_F_NEEDS_PROC
#define FLD_D FLD_F_NEEDS_FD
#define FLD_REGISTRY(X)                                                                              \
	X(EVT_NUM, "evt.num", U64, NONE, 0, "event number.")                                         \
	X(EVT_TIME, "evt.time", STR, NONE, 0,                                                         \
	  "event timestamp as a time string that includes the nanosecond part.")                     \
	X(EVT_TIME_S, "evt.time.s", STR, NONE, 0,                                                     \
	  "event timestamp as a time string with no nanoseconds.")                                   \
	X(EVT_TIME_ISO, "evt.time.iso8601", STR, NONE, 0,                                             \
	  "event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC).") \
	X(EVT_DATETIME, "evt.datetime", STR, NONE, 0,                                                 \
	  "event timestamp as a time string that includes the date.")                                \
	X(EVT_DATETIME_S, "evt.datetime.s", STR, NONE, 0,                                             \
	  "event timestamp as a datetime string with no nanoseconds.")                               \
	X(EVT_RAWTIME, "evt.rawtime", ABSTIME, NONE, 0,                                               \
	  "absolute event timestamp, i.e. nanoseconds from epoch.")                                  \
	X(EVT_RAWTIME_S, "evt.rawtime.s", ABSTIME, NONE, 0,                                           \
	  "integer part of the event timestamp (e.g. seconds since epoch).")                         \
	X(EVT_RAWTIME_NS, "evt.rawtime.ns", ABSTIME, NONE, 0,                                         \
	  "fractional part of the absolute event timestamp.")                                        \
	X(EVT_RELTIME, "evt.reltime", RELTIME, NONE, 0,                                               \
	  "number of nanoseconds from the beginning of the capture.")                                \
	X(EVT_DIR, "evt.dir", STR, NONE, FLD_F_BY_TYPE,                                               \
	  "event direction can be either '>' for enter events or '<' for exit events.")              \
	X(EVT_TYPE, "evt.type", STR, NONE, FLD_F_BY_TYPE, "The name of the event (e.g. 'open').")    \
	X(SYSCALL_TYPE, "syscall.type", STR, NONE, FLD_F_BY_TYPE,                                     \
	  "For system call events, the name of the system call (e.g. 'open'). Unset for other "      \
	  "events.")                                                                                 \
	X(EVT_CATEGORY, "evt.category", STR, NONE, 0,                                                 \
	  "The event category. Example values are 'file' (for file operations like open and "        \
	  "close), 'net' (for network operations like socket and bind), memory (for things like "    \
	  "brk or mmap), and so on.")                                                                \
	X(EVT_CPU, "evt.cpu", S16, NONE, 0, "number of the CPU where this event happened.")          \
	X(EVT_ARGS, "evt.args", STR, NONE, 0,                                                         \
	  "all the event arguments, aggregated into a single string.")                               \
	X(EVT_ARG, "evt.arg", STR, KEY, 0,                                                            \
	  "one of the event arguments specified by name or by number. Some events (e.g. return "     \
	  "codes or FDs) will be converted into a text representation when possible. E.g. "          \
	  "'evt.arg.fd' or 'evt.arg[0]'.")                                                           \
	X(EVT_RAWARG, "evt.rawarg", STR, KEY, 0,                                                      \
	  "one of the event arguments specified by name. E.g. 'evt.rawarg.fd'.")                     \
	X(EVT_INFO, "evt.info", STR, NONE, 0,                                                         \
	  "for most events, this field returns the same value as evt.args.")                         \
	X(EVT_BUFFER, "evt.buffer", BYTES, NONE, 0,                                                   \
	  "the binary data buffer for events that have one, like read(), recvfrom(), etc.")          \
	X(EVT_BUFLEN, "evt.buflen", U64, NONE, 0,                                                     \
	  "the length of the binary data buffer for events that have one, like read(), "            \
	  "recvfrom(), etc.")                                                                        \
	X(EVT_RES, "evt.res", STR, NONE, 0,                                                           \
	  "event return value, as a string. If the event failed, the result is an error code "       \
	  "string (e.g. 'ENOENT'), otherwise the result is the string 'SUCCESS'.")                   \
	X(EVT_RAWRES, "evt.rawres", S64, NONE, 0,                                                     \
	  "event return value, as a number (e.g. -2). Useful for range comparisons.")               \
	X(EVT_FAILED, "evt.failed", BOOL, NONE, 0, "'true' for events that returned an error status.") \
	X(EVT_IS_IO, "evt.is_io", BOOL, NONE, 0,                                                      \
	  "'true' for events that read or write to FDs, like read(), send, recvfrom(), etc.")        \
	X(EVT_IS_IO_READ, "evt.is_io_read", BOOL, NONE, 0,                                            \
	  "'true' for events that read from FDs, like read(), recv(), recvfrom(), etc.")             \
	X(EVT_IS_IO_WRITE, "evt.is_io_write", BOOL, NONE, 0,                                          \
	  "'true' for events that write to FDs, like write(), send(), etc.")                         \
	X(EVT_IO_DIR, "evt.io_dir", STR, NONE, 0,                                                     \
	  "'r' for events that read from FDs, like read(); 'w' for events that write to FDs, like "  \
	  "write().")                                                                                \
	X(EVT_IS_WAIT, "evt.is_wait", BOOL, NONE, 0,                                                  \
	  "'true' for events that make the thread wait, e.g. sleep(), select(), poll().")            \
	X(EVT_COUNT, "evt.count", U32, NONE, 0, "This filter field always returns 1.")               \
	X(EVT_COUNT_ERROR, "evt.count.error", U32, NONE, 0,                                           \
	  "This filter field returns 1 for events that returned with an error.")                     \
	X(EVT_COUNT_EXIT, "evt.count.exit", U32, NONE, 0,                                             \
	  "This filter field returns 1 for exit events.")                                            \
	X(EVT_IS_OPEN_READ, "evt.is_open_read", BOOL, NONE, 0,                                        \
	  "'true' for open/openat/openat2/open_by_handle_at events where the path was opened for "   \
	  "reading")                                                                                 \
	X(EVT_IS_OPEN_WRITE, "evt.is_open_write", BOOL, NONE, 0,                                      \
	  "'true' for open/openat/openat2/open_by_handle_at events where the path was opened for "   \
	  "writing")                                                                                 \
	X(EVT_IS_OPEN_EXEC, "evt.is_open_exec", BOOL, NONE, 0,                                        \
	  "'true' for open/openat/openat2/open_by_handle_at or creat events where a file is "        \
	  "created with execute permissions")                                                        \
	X(EVT_IS_OPEN_CREATE, "evt.is_open_create", BOOL, NONE, 0,                                    \
	  "'true' for open/openat/openat2/open_by_handle_at events where a file is created.")        \
	X(EVT_HOSTNAME, "evt.hostname", STR, NONE, 0,                                                 \
	  "The hostname of the underlying host (from the capture's machine info on replay).")       \
	X(PROC_EXE, "proc.exe", STR, NONE, FLD_P,                                                     \
	  "The first command-line argument (i.e., argv[0]), typically the executable name or a "     \
	  "custom string as specified by the user.")                                                 \
	X(PROC_PEXE, "proc.pexe", STR, NONE, FLD_P,                                                   \
	  "The proc.exe (first command line argument argv[0]) of the parent process.")               \
	X(PROC_AEXE, "proc.aexe", STR, INDEX_OPT, FLD_P | FLD_F_MULTI,                                \
	  "The proc.exe (first command line argument argv[0]) for a specific process ancestor. "     \
	  "proc.aexe[1] is the parent, proc.aexe[2] the grandparent; without argument it matches "   \
	  "any ancestor (filters only).")                                                            \
	X(PROC_EXEPATH, "proc.exepath", STR, NONE, FLD_P,                                             \
	  "The full executable path of the process (the resolved /proc/pid/exe symlink).")           \
	X(PROC_PEXEPATH, "proc.pexepath", STR, NONE, FLD_P,                                           \
	  "The proc.exepath (full executable path) of the parent process.")                          \
	X(PROC_AEXEPATH, "proc.aexepath", STR, INDEX_OPT, FLD_P | FLD_F_MULTI,                        \
	  "The proc.exepath (full executable path) for a specific process ancestor.")               \
	X(PROC_NAME, "proc.name", STR, NONE, FLD_P,                                                   \
	  "The process name (truncated after 16 characters) generating the event (task->comm).")    \
	X(PROC_PNAME, "proc.pname", STR, NONE, FLD_P,                                                 \
	  "The proc.name (truncated after 16 characters) of the parent process.")                    \
	X(PROC_ANAME, "proc.aname", STR, INDEX_OPT, FLD_P | FLD_F_MULTI,                              \
	  "The proc.name (truncated after 16 characters) for a specific process ancestor. "          \
	  "proc.aname[0] is the process itself, proc.aname[1] its parent; without argument it "      \
	  "matches any ancestor (filters only).")                                                    \
	X(PROC_ARGS, "proc.args", STR, NONE, FLD_P,                                                   \
	  "The arguments passed on the command line when starting the process generating the "      \
	  "event excluding argv[0].")                                                                \
	X(PROC_CMDLINE, "proc.cmdline", STR, NONE, FLD_P,                                             \
	  "The concatenation of proc.name + proc.args.")                                             \
	X(PROC_PCMDLINE, "proc.pcmdline", STR, NONE, FLD_P,                                           \
	  "The proc.cmdline (full command line (proc.name + proc.args)) of the parent process.")     \
	X(PROC_ACMDLINE, "proc.acmdline", STR, INDEX_OPT, FLD_P | FLD_F_MULTI,                        \
	  "The full command line (proc.name + proc.args) for a specific process ancestor.")          \
	X(PROC_EXELINE, "proc.exeline", STR, NONE, FLD_P,                                             \
	  "The full command line, with exe as first argument (proc.exe + proc.args).")              \
	X(PROC_CMDNARGS, "proc.cmdnargs", U64, NONE, FLD_P,                                           \
	  "The number of command line args (proc.args).")                                            \
	X(PROC_ENV, "proc.env", STR, KEY_OPT, FLD_P,                                                  \
	  "The environment variables of the process generating the event as concatenated string "    \
	  "'ENV_NAME=value ENV_NAME1=value1'. Can also be used to extract the value of a known env " \
	  "variable, e.g. proc.env[ENV_NAME].")                                                      \
	X(PROC_CWD, "proc.cwd", STR, NONE, FLD_P,                                                     \
	  "The current working directory of the event.")                                             \
	X(PROC_LOGINSHELLID, "proc.loginshellid", S64, NONE, FLD_P,                                   \
	  "The pid of the oldest shell among the ancestors of the current process, if there is one.") \
	X(PROC_TTY, "proc.tty", U32, NONE, FLD_P,                                                     \
	  "The controlling terminal of the process. 0 for processes without a terminal.")            \
	X(PROC_PID, "proc.pid", S64, NONE, FLD_P,                                                     \
	  "The id of the process generating the event.")                                             \
	X(PROC_PPID, "proc.ppid", S64, NONE, FLD_P,                                                   \
	  "The pid of the parent of the process generating the event.")                              \
	X(PROC_APID, "proc.apid", S64, INDEX_OPT, FLD_P | FLD_F_MULTI,                                \
	  "The pid for a specific process ancestor. proc.apid[1] is the parent pid; without "        \
	  "argument it matches any ancestor (filters only).")                                        \
	X(PROC_VPID, "proc.vpid", S64, NONE, FLD_P,                                                   \
	  "The id of the process generating the event as seen from its current PID namespace.")     \
	X(PROC_PVPID, "proc.pvpid", S64, NONE, FLD_P,                                                 \
	  "The id of the parent process generating the event as seen from its current PID "          \
	  "namespace.")                                                                              \
	X(PROC_SID, "proc.sid", S64, NONE, FLD_P,                                                     \
	  "The session id of the process generating the event.")                                     \
	X(PROC_SNAME, "proc.sname", STR, NONE, FLD_P,                                                 \
	  "The name of the current process's session leader.")                                       \
	X(PROC_SID_EXE, "proc.sid.exe", STR, NONE, FLD_P,                                             \
	  "The first command line argument argv[0] of the current process's session leader.")       \
	X(PROC_SID_EXEPATH, "proc.sid.exepath", STR, NONE, FLD_P,                                     \
	  "The full executable path of the current process's session leader.")                      \
	X(PROC_VPGID, "proc.vpgid", S64, NONE, FLD_P,                                                 \
	  "The process group id of the process generating the event, as seen from its current PID "  \
	  "namespace.")                                                                              \
	X(PROC_VPGID_NAME, "proc.vpgid.name", STR, NONE, FLD_P,                                       \
	  "The name of the current process's process group leader.")                                 \
	X(PROC_VPGID_EXE, "proc.vpgid.exe", STR, NONE, FLD_P,                                         \
	  "The first command line argument argv[0] of the current process's group leader.")         \
	X(PROC_VPGID_EXEPATH, "proc.vpgid.exepath", STR, NONE, FLD_P,                                 \
	  "The full executable path of the current process's group leader.")                        \
	X(PROC_DURATION, "proc.duration", RELTIME, NONE, FLD_P,                                       \
	  "Number of nanoseconds since the process started.")                                        \
	X(PROC_PPID_DURATION, "proc.ppid.duration", RELTIME, NONE, FLD_P,                             \
	  "Number of nanoseconds since the parent process started.")                                 \
	X(PROC_PID_TS, "proc.pid.ts", RELTIME, NONE, FLD_P,                                           \
	  "Start of process as epoch timestamp in nanoseconds.")                                     \
	X(PROC_PPID_TS, "proc.ppid.ts", RELTIME, NONE, FLD_P,                                         \
	  "Start of parent process as epoch timestamp in nanoseconds.")                              \
	X(PROC_IS_EXE_WRITABLE, "proc.is_exe_writable", BOOL, NONE, FLD_P,                            \
	  "'true' if this process' executable file is writable by the same user that spawned the "   \
	  "process.")                                                                                \
	X(PROC_IS_EXE_UPPER_LAYER, "proc.is_exe_upper_layer", BOOL, NONE, FLD_P,                      \
	  "'true' if this process' executable file is in upper layer in overlayfs.")                 \
	X(PROC_IS_EXE_FROM_MEMFD, "proc.is_exe_from_memfd", BOOL, NONE, FLD_P,                        \
	  "'true' if the executable file of the current process is an anonymous file created using " \
	  "memfd_create()")                                                                          \
	X(PROC_IS_SID_LEADER, "proc.is_sid_leader", BOOL, NONE, FLD_P,                                \
	  "'true' if this process is the leader of the process session, proc.sid == proc.vpid.")     \
	X(PROC_IS_VPGID_LEADER, "proc.is_vpgid_leader", BOOL, NONE, FLD_P,                            \
	  "'true' if this process is the leader of the virtual process group, proc.vpgid == "        \
	  "proc.vpid.")                                                                              \
	X(PROC_EXE_INO, "proc.exe_ino", S64, NONE, FLD_P,                                             \
	  "The inode number of the executable file on disk.")                                        \
	X(PROC_EXE_INO_CTIME, "proc.exe_ino.ctime", ABSTIME, NONE, FLD_P,                             \
	  "Last status change time of executable file (inode->ctime) as epoch timestamp in "         \
	  "nanoseconds.")                                                                            \
	X(PROC_EXE_INO_MTIME, "proc.exe_ino.mtime", ABSTIME, NONE, FLD_P,                             \
	  "Last modification time of executable file (inode->mtime) as epoch timestamp in "          \
	  "nanoseconds.")                                                                            \
	X(PROC_EXE_INO_CTIME_DPS, "proc.exe_ino.ctime_duration_proc_start", ABSTIME, NONE, FLD_P,     \
	  "Number of nanoseconds between modifying status of executable image and spawning a new "   \
	  "process using the changed executable image.")                                             \
	X(PROC_FDOPENCOUNT, "proc.fdopencount", U64, NONE, FLD_P,                                     \
	  "Number of open FDs for the process")                                                      \
	X(PROC_IS_CONTAINER_HEALTHCHECK, "proc.is_container_healthcheck", BOOL, NONE,                 \
	  FLD_P | FLD_F_NO_SOURCE,                                                                   \
	  "'true' if this process is running as a part of the container's health check (needs a "   \
	  "container runtime; always absent here).")                                                 \
	X(THREAD_CAP_PERMITTED, "thread.cap_permitted", STR, NONE, FLD_P,                             \
	  "The permitted capabilities set")                                                          \
	X(THREAD_CAP_INHERITABLE, "thread.cap_inheritable", STR, NONE, FLD_P,                         \
	  "The inheritable capabilities set")                                                        \
	X(THREAD_CAP_EFFECTIVE, "thread.cap_effective", STR, NONE, FLD_P,                             \
	  "The effective capabilities set")                                                          \
	X(THREAD_TID, "thread.tid", S64, NONE, 0, "The id of the thread generating the event.")      \
	X(THREAD_ISMAIN, "thread.ismain", BOOL, NONE, FLD_P,                                          \
	  "'true' if the thread generating the event is the main one in the process.")               \
	X(THREAD_VTID, "thread.vtid", S64, NONE, FLD_P,                                               \
	  "The id of the thread generating the event as seen from its current PID namespace.")      \
	X(THREAD_CGROUPS, "thread.cgroups", STR, NONE, FLD_P,                                         \
	  "All cgroups the thread belongs to, aggregated into a single string.")                    \
	X(FD_NUM, "fd.num", S64, NONE, FLD_D, "the unique number identifying the file descriptor.")  \
	X(FD_TYPE, "fd.type", STR, NONE, FLD_D,                                                       \
	  "type of FD. Can be 'file', 'directory', 'ipv4', 'ipv6', 'unix', 'pipe', 'event', "        \
	  "'signalfd', 'eventpoll', 'inotify' 'signalfd' or 'memfd'.")                               \
	X(FD_TYPECHAR, "fd.typechar", STR, NONE, FLD_D,                                               \
	  "type of FD as a single character. Can be 'f' for file, 4 for IPv4 socket, 6 for IPv6 "    \
	  "socket, 'u' for unix socket, p for pipe, 'e' for eventfd, 's' for signalfd, 'l' for "     \
	  "eventpoll, 'i' for inotify, 'b' for bpf, 'u' for userfaultd, 'r' for io_uring, 'm' for "  \
	  "memfd ,'o' for unknown.")                                                                 \
	X(FD_NAME, "fd.name", STR, NONE, FLD_D,                                                       \
	  "FD full name. If the fd is a file, this field contains the full path. If the FD is a "    \
	  "socket, this field contain the connection tuple.")                                        \
	X(FD_DIRECTORY, "fd.directory", STR, NONE, FLD_D,                                             \
	  "If the fd is a file, the directory that contains it.")                                    \
	X(FD_FILENAME, "fd.filename", STR, NONE, FLD_D,                                               \
	  "If the fd is a file, the filename without the path.")                                     \
	X(FD_IP, "fd.ip", IPADDR, NONE, FLD_D | FLD_F_FILTER_ONLY,                                    \
	  "matches the ip address (client or server) of the fd.")                                    \
	X(FD_CIP, "fd.cip", IPADDR, NONE, FLD_D, "client IP address.")                               \
	X(FD_SIP, "fd.sip", IPADDR, NONE, FLD_D, "server IP address.")                               \
	X(FD_LIP, "fd.lip", IPADDR, NONE, FLD_D, "local IP address.")                                \
	X(FD_RIP, "fd.rip", IPADDR, NONE, FLD_D, "remote IP address.")                               \
	X(FD_PORT, "fd.port", PORT, NONE, FLD_D | FLD_F_FILTER_ONLY,                                  \
	  "matches the port (either client or server) of the fd.")                                   \
	X(FD_CPORT, "fd.cport", PORT, NONE, FLD_D, "for TCP/UDP FDs, the client port.")              \
	X(FD_SPORT, "fd.sport", PORT, NONE, FLD_D, "for TCP/UDP FDs, server port.")                  \
	X(FD_LPORT, "fd.lport", PORT, NONE, FLD_D, "for TCP/UDP FDs, the local port.")               \
	X(FD_RPORT, "fd.rport", PORT, NONE, FLD_D, "for TCP/UDP FDs, the remote port.")              \
	X(FD_L4PROTO, "fd.l4proto", STR, NONE, FLD_D,                                                 \
	  "the IP protocol of a socket. Can be 'tcp', 'udp', 'icmp' or 'raw'.")                      \
	X(FD_SOCKFAMILY, "fd.sockfamily", STR, NONE, FLD_D,                                           \
	  "the socket family for socket events. Can be 'ip' or 'unix'.")                             \
	X(FD_IS_SERVER, "fd.is_server", BOOL, NONE, FLD_D,                                            \
	  "'true' if the process owning this FD is the server endpoint in the connection.")          \
	X(FD_CONTAINERNAME, "fd.containername", STR, NONE, FLD_D,                                     \
	  "chaining of the container ID and the FD name. Useful when trying to identify which "      \
	  "container an FD belongs to.")                                                             \
	X(FD_CONTAINERDIRECTORY, "fd.containerdirectory", STR, NONE, FLD_D,                           \
	  "chaining of the container ID and the directory name. Useful when trying to identify "     \
	  "which container a directory belongs to.")                                                 \
	X(FD_NET, "fd.net", IPNET, NONE, FLD_D | FLD_F_FILTER_ONLY,                                   \
	  "matches the IP network (client or server) of the fd.")                                    \
	X(FD_CNET, "fd.cnet", IPNET, NONE, FLD_D | FLD_F_FILTER_ONLY,                                 \
	  "matches the client IP network of the fd.")                                                \
	X(FD_SNET, "fd.snet", IPNET, NONE, FLD_D | FLD_F_FILTER_ONLY,                                 \
	  "matches the server IP network of the fd.")                                                \
	X(FD_LNET, "fd.lnet", IPNET, NONE, FLD_D | FLD_F_FILTER_ONLY,                                 \
	  "matches the local IP network of the fd.")                                                 \
	X(FD_RNET, "fd.rnet", IPNET, NONE, FLD_D | FLD_F_FILTER_ONLY,                                 \
	  "matches the remote IP network of the fd.")                                                \
	X(FD_CONNECTED, "fd.connected", BOOL, NONE, FLD_D | FLD_F_NO_SOURCE,                          \
	  "for TCP/UDP FDs, 'true' if the socket is connected (not tracked: always absent).")       \
	X(FD_NAME_CHANGED, "fd.name_changed", BOOL, NONE, FLD_D | FLD_F_NO_SOURCE,                    \
	  "True when an event changes the name of an fd used by this event (not tracked: always "    \
	  "absent).")                                                                                \
	X(FD_CIP_NAME, "fd.cip.name", STR, NONE, FLD_D | FLD_F_NO_SOURCE,                             \
	  "Domain name associated with the client IP address (needs DNS tracking: always absent).")  \
	X(FD_SIP_NAME, "fd.sip.name", STR, NONE, FLD_D | FLD_F_NO_SOURCE,                             \
	  "Domain name associated with the server IP address (needs DNS tracking: always absent).")  \
	X(FD_LIP_NAME, "fd.lip.name", STR, NONE, FLD_D | FLD_F_NO_SOURCE,                             \
	  "Domain name associated with the local IP address (needs DNS tracking: always absent).")   \
	X(FD_RIP_NAME, "fd.rip.name", STR, NONE, FLD_D | FLD_F_NO_SOURCE,                             \
	  "Domain name associated with the remote IP address (needs DNS tracking: always absent).")  \
	X(FD_INO, "fd.ino", S64, NONE, FLD_D, "inode number of the referenced file")                 \
	X(FD_NAMERAW, "fd.nameraw", STR, NONE, FLD_D,                                                 \
	  "FD full name raw. Just like fd.name, but only used if fd is a file path. File path is "   \
	  "kept raw with limited sanitization and without deriving the absolute path.")              \
	X(FD_TYPES, "fd.types", STR, INDEX, FLD_D | FLD_P,                                            \
	  "List of FD types in use. Takes an fd number, e.g. fd.types[0] gives the type of stdin "   \
	  "(the whole-table form needs fd iteration and is not supported).")                        \
	X(USER_UID, "user.uid", U32, NONE, FLD_P, "user ID.")                                        \
	X(USER_NAME, "user.name", STR, NONE, FLD_P, "user name.")                                    \
	X(USER_HOMEDIR, "user.homedir", STR, NONE, FLD_P, "home directory of the user.")             \
	X(USER_SHELL, "user.shell", STR, NONE, FLD_P, "user's shell.")                               \
	X(USER_LOGINUID, "user.loginuid", S64, NONE, FLD_P,                                           \
	  "audit user id (auid), internally the loginuid is of type uint32_t. However, if an "       \
	  "invalid uid corresponding to UINT32_MAX is encountered, it is returned as -1.")           \
	X(USER_LOGINNAME, "user.loginname", STR, NONE, FLD_P,                                         \
	  "audit user name (auid).")                                                                 \
	X(GROUP_GID, "group.gid", U32, NONE, FLD_P, "group ID.")                                     \
	X(GROUP_NAME, "group.name", STR, NONE, FLD_P, "group name.")                                 \
	X(CONTAINER_ID, "container.id", STR, NONE, FLD_P,                                             \
	  "the container id, from the process's cgroups ('host' when not in a container).")          \
	X(CONTAINER_FULL_ID, "container.full_id", STR, NONE, FLD_P,                                   \
	  "the full container id (from the container runtime; 'host' when not in a container).")   \
	X(CONTAINER_NAME, "container.name", STR, NONE, FLD_P,                                         \
	  "the container name, from the container runtime ('host' when not in a container).")        \
	X(CONTAINER_IMAGE, "container.image", STR, NONE, FLD_P,                                       \
	  "the container image name (e.g. falcosecurity/falco:latest for docker), from the "         \
	  "container runtime.")                                                                      \
	X(CONTAINER_IMAGE_ID, "container.image.id", STR, NONE, FLD_P,                                 \
	  "the container image id (e.g. 6f7e2741b66b), from the container runtime.")                \
	X(CONTAINER_IMAGE_REPOSITORY, "container.image.repository", STR, NONE, FLD_P,                 \
	  "the container image repository (e.g. falcosecurity/falco), from the container runtime.") \
	X(CONTAINER_IMAGE_TAG, "container.image.tag", STR, NONE, FLD_P,                               \
	  "the container image tag (e.g. stable, latest), from the container runtime.")             \
	X(CONTAINER_IMAGE_DIGEST, "container.image.digest", STR, NONE, FLD_P,                         \
	  "the container image registry digest (e.g. sha256:d977378f...), from the container "      \
	  "runtime.")                                                                                \
	X(CONTAINER_TYPE, "container.type", STR, NONE, FLD_P,                                         \
	  "the container type, e.g. docker, cri-o, containerd, podman; 'host' outside containers.")  \
	X(CONTAINER_PRIVILEGED, "container.privileged", BOOL, NONE, FLD_P,                            \
	  "'true' for containers running as privileged, 'false' otherwise (docker and podman, "    \
	  "from the container runtime).")                                                            \
	X(CONTAINER_MOUNTS, "container.mounts", STR, NONE, FLD_P,                                     \
	  "every mount of the container, each written 'source:dest:mode:rdwr:propagation', "       \
	  "joined with ','; from the container runtime.")                                           \
	X(CONTAINER_MOUNT, "container.mount", STR, INDEX_OR_GLOB, FLD_P,                              \
	  "one mount, written 'source:dest:mode:rdwr:propagation': container.mount[0] is the "     \
	  "first, container.mount[/var/run/*] the first whose source matches the glob.")             \
	X(CONTAINER_MOUNT_SOURCE, "container.mount.source", STR, INDEX_OR_GLOB, FLD_P,                \
	  "the source (host side) of a mount given by number or by a glob on its destination, "    \
	  "e.g. container.mount.source[/host/proc].")                                                \
	X(CONTAINER_MOUNT_DEST, "container.mount.dest", STR, INDEX_OR_GLOB, FLD_P,                    \
	  "the destination (container side) of a mount given by number or by a glob on its "       \
	  "source, e.g. container.mount.dest[/proc*].")                                              \
	X(CONTAINER_MOUNT_MODE, "container.mount.mode", STR, INDEX_OR_GLOB, FLD_P,                    \
	  "the mode of a mount given by number or by a glob on its source, as the runtime says "   \
	  "it (e.g. ro, z, or empty).")                                                              \
	X(CONTAINER_MOUNT_RDWR, "container.mount.rdwr", STR, INDEX_OR_GLOB, FLD_P,                    \
	  "'true' when a mount given by number or by a glob on its source is writable, 'false' "   \
	  "otherwise.")                                                                              \
	X(CONTAINER_MOUNT_PROPAGATION, "container.mount.propagation", STR, INDEX_OR_GLOB, FLD_P,      \
	  "the propagation of a mount given by number or by a glob on its source (e.g. "           \
	  "rprivate).")                                                                              \
	X(CONTAINER_START_TS, "container.start_ts", ABSTIME, NONE, FLD_P,                             \
	  "Container start as epoch timestamp in nanoseconds (the runtime's State.StartedAt; libs "  \
	  "uses the pid namespace init's start time).")                                             \
	X(K8S_POD_NAME, "k8s.pod.name", STR, NONE, FLD_F_NO_SOURCE,                                   \
	  "The Kubernetes pod name (needs Kubernetes metadata: always absent).")                     \
	X(K8S_POD_UID, "k8s.pod.uid", STR, NONE, FLD_F_NO_SOURCE,                                     \
	  "The Kubernetes pod UID (needs Kubernetes metadata: always absent).")                      \
	X(K8S_NS_NAME, "k8s.ns.name", STR, NONE, FLD_F_NO_SOURCE,                                     \
	  "The Kubernetes namespace name (needs Kubernetes metadata: always absent).")

enum fld_id {
#define FLD_X_(id, name, type, argk, flags, desc) FLD_##id,
	FLD_REGISTRY(FLD_X_)
#undef FLD_X_
		FLD__COUNT
};

/* Field classes, X(prefix, title, description), in --list-fields order. */
#define FLD_CLASSES(X)                                                                  \
	X("evt", "evt", "Event fields applicable to syscall events.")                    \
	X("syscall", "evt", "Event fields applicable to syscall events.")                \
	X("proc", "process", "Additional information about the process and thread "      \
				  "executing the syscall event.")                            \
	X("thread", "process", "Additional information about the process and thread "    \
				    "executing the syscall event.")                          \
	X("fd", "fd", "Every syscall that has a file descriptor in its arguments has "   \
		      "these fields set with information related to the file.")          \
	X("user", "user", "Information about the user executing the specific event.")    \
	X("group", "group", "Information about the user group.")                         \
	X("container", "container", "Container information. Names and images come from " \
				    "the container runtime (docker or podman).")              \
	X("k8s", "k8s", "Kubernetes metadata; not available: always absent.")

/* One registry entry. */
struct fld_def {
	enum fld_id id;
	const char *name;
	enum fld_type type;
	enum fld_argk argk;
	uint32_t flags;
	const char *desc;
};

/* The registry, indexed by enum fld_id. */
extern const struct fld_def fld_registry[FLD__COUNT];

/* libs type name ("CHARBUF") of a type. */
const char *fld_type__name(enum fld_type t);

/* Comparison families of the types. */
static inline bool fld_type__is_string(enum fld_type t)
{
	return t == FLD_T_STR || t == FLD_T_BYTES;
}

static inline bool fld_type__is_number(enum fld_type t)
{
	return t >= FLD_T_S16 && t <= FLD_T_ABSTIME;
}

/*
 * A field as written in a condition or format, resolved against the
 * registry. idx: the [N] argument, or for evt.arg the parameter index once
 * known (-1: by name, see key). key: the name argument (evt.arg.NAME,
 * proc.env[NAME]); points into the owner's memory (the compiled ruleset or
 * format). slot: the cache slot assigned by a struct fld_slots.
 */
struct fld_ref {
	const struct fld_def *def;
	bool has_arg;
	int64_t idx;
	const char *key;
	uint32_t key_len;
	uint32_t slot;
};

/*
 * Resolve "name" with an optional argument: @arg (has_arg: written as
 * [arg]) or a dotted suffix ("evt.arg.flags" is evt.arg with key "flags").
 * Returns 0 and fills @out (slot 0; key points into @name or @arg, which must
 * outlive @out), or -ENOENT (no such field: *msg "unknown field"), -EINVAL
 * (bad argument, *msg says why). Thread-safe.
 */
int fld_resolve(const char *name, size_t name_len, const char *arg, size_t arg_len, bool has_arg,
		struct fld_ref *out, const char **msg);

/* Is @name a libs system call name (generic "syscall" events carry one)? */
bool fld_sc_known(const char *name, size_t len);

/* Longest registry field name that is a prefix of @s ending at a name
 * boundary; for parsing "%evt.arg.name" and friends. NULL when none. */
const struct fld_def *fld_lookup(const char *name, size_t len);

/* ---- values ------------------------------------------------------------ */

/* An IP address or network: family AF_INET (4 bytes in a) or AF_INET6. */
struct fld_ip {
	uint8_t family;
	uint8_t prefix; /* networks: prefix length */
	uint8_t a[16];
};

struct fld_value {
	union {
		struct {
			const char *s; /* NUL-terminated; may hold NULs for BYTES */
			uint32_t len;
		} str;
		uint64_t u;
		int64_t i;
		double d;
		bool b;
		struct fld_ip ip;
	};
};

/*
 * What an extraction gave: n == 0 when the field is absent on this event
 * (no process, no fd, not this kind of event), 1 usually, more for
 * FLD_F_MULTI fields asked without an argument.
 */
struct fld_vals {
	uint32_t n;
	enum fld_type type;
	const struct fld_value *v;
};

/* ---- extraction --------------------------------------------------------- */

/*
 * What an extraction may read about one event, filled by the caller (the
 * worker that evaluates it). thr/proc/fd may be NULL (unknown thread, no fd);
 * they come from the state layer's proc_event_apply().
 */
struct fld_ctx {
	const struct evt *ev;
	uint16_t cpu;
	uint64_t num;	     /* event number, 1-based */
	uint64_t first_ts;   /* ts of the capture's first event (evt.reltime), 0 = unknown */
	const char *hostname; /* NULL = unknown */
	struct proc_worker *pw;
	struct proc_thread *thr;
	struct proc_process *proc;
	const struct proc_fd *fd;
	int64_t fdnum;
};

/* Point @c at event @ev (number @num, from @cpu) of worker @pw and at what
 * proc_event_apply() found for it (@ref); first_ts and hostname are left
 * as they are. */
static inline void fld_ctx_set_event(struct fld_ctx *c, struct proc_worker *pw,
				     const struct evt *ev, uint16_t cpu, uint64_t num,
				     const struct proc_evt_ref *ref)
{
	c->ev = ev;
	c->cpu = cpu;
	c->num = num;
	c->pw = pw;
	c->thr = ref->thr;
	c->proc = ref->proc;
	c->fd = ref->fd;
	c->fdnum = ref->fdnum;
}

/* Per-worker cache and scratch. Opaque. */
struct fld_worker;

/* Scratch bytes per event by default: strings built on extraction. */
#define FLD_SCRATCH_DEFAULT (256u * 1024u)

/*
 * A worker's extraction state for @nslots cache slots (the number a
 * struct fld_slots handed out); scratch of @scratch bytes (0 = default).
 * NULL + errno. Free with fld_worker_free (accepts NULL). Owned by one thread.
 */
struct fld_worker *fld_worker_new(uint32_t nslots, size_t scratch);
void fld_worker_free(struct fld_worker *fw);

/* Start a new event: forgets cached values and resets scratch. O(1). */
void fld_worker__begin(struct fld_worker *fw);

/* @n bytes of the worker's per-event scratch (rewound by fld_worker__begin),
 * for values derived from extracted ones (transformers). NULL when exhausted. */
void *fld_worker__scratch(struct fld_worker *fw, size_t n);

/*
 * The values of @ref on the event of @c, extracted at most once per event
 * (cached in @ref->slot). Never allocates; a string that does not fit the
 * remaining scratch is truncated. Worker thread only; reads @c's process
 * state lock-free (the caller is online in the state's RCU sense).
 */
const struct fld_vals *fld_extract(struct fld_worker *fw, const struct fld_ctx *c,
				   const struct fld_ref *ref);

/*
 * Render one value the way sysdig -p and Falco's outputs print it (numbers
 * in decimal, bools "true"/"false", IPs dotted or RFC 5952, BYTES with
 * non-printable bytes as '.'), except that control characters in strings
 * are escaped (\n \r \t \xNN: a value cannot start a new output line).
 * Several values are joined with ' ', none is "<NA>". Writes at most @cap
 * bytes with the NUL; returns the length wanted.
 */
size_t fld_vals__render(const struct fld_vals *vals, char *buf, size_t cap);

/* Parse an IPv4/IPv6 address, or a network "a.b.c.d/n" (@net). 0 / -EINVAL. */
int fld_ip_parse(const char *s, size_t len, bool net, struct fld_ip *out);
/* true when @ip is inside network @net. */
bool fld_ip_in_net(const struct fld_ip *ip, const struct fld_ip *net);

/*
 * Print every field grouped by class like the reference engine's --list:
 * a class header then "name  description" lines (wrapped at 100 columns,
 * with the type when @verbose). Any thread.
 */
void fld_list_print(void *file, bool verbose);

#endif /* PG_FIELDS_FIELDS_H */
