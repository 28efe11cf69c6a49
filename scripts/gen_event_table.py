#!/usr/bin/env python3
"""gen_event_table.py - transcribe the libs event table facts into peregrine's format.

peregrine shares libs' event numbering, parameter layouts, flag values and legacy
conversion rules so that captures interoperate. Those facts are hundreds of
entries long; copying them by hand invites typos, so this script reads them from
a falcosecurity/libs checkout and writes peregrine's own tables:

  src/abi/event_types.h   enum evt_type (EVT_<NAME> = PPME_<NAME>)
  src/abi/event_table.c   the event table (struct evt_info / evt_param_info)
  src/abi/flags.c         the flag-name tables (struct evt_flag_name)
  src/abi/conv_table.c    the legacy conversion rules (struct evt_conv_rule)

Only numbers, names and rules are taken; the output format is ours. Numeric
values of libs' macros are obtained by compiling a tiny C program against the
libs headers, so no expression is ever re-evaluated by hand.

Usage: scripts/gen_event_table.py [LIBS_GIT_DIR]
  (default /work/.mirror/falcosecurity+libs/repo; a bare repo is fine, files
  are read with `git show HEAD:<path>`).
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/falcosecurity+libs/repo"

FILES = {
    "driver/ppm_events_public.h": None,
    "driver/feature_gates.h": None,
    "driver/ppm_fillers.h": None,
    "driver/event_table.c": None,
    "driver/flags_table.c": None,
    "driver/dynamic_params_table.c": None,
    "userspace/libscap/engine/savefile/converter/table.cpp": None,
}


def git_show(path):
    return subprocess.run(["git", "-C", LIBS, "show", "HEAD:" + path], check=True,
                          capture_output=True, text=True).stdout


def strip_comments(s):
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return re.sub(r"//[^\n]*", "", s)


def split_top(s, sep=","):
    """Split @s at top-level separators (outside braces, parens, strings)."""
    out, depth, cur, instr = [], 0, "", False
    for ch in s:
        if instr:
            cur += ch
            if ch == '"':
                instr = False
            continue
        if ch == '"':
            instr = True
        elif ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def braced(s, start):
    """Return (content, end) of the brace group opening at s[start] == '{'."""
    depth, i, instr = 0, start, False
    while True:
        ch = s[i]
        if instr:
            if ch == '"':
                instr = False
        elif ch == '"':
            instr = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return s[start + 1:i], i + 1
        i += 1


def unbrace(s):
    s = s.strip()
    assert s[0] == "{" and s[-1] == "}", s
    return s[1:-1]


# ---------------------------------------------------------------- read libs
src = {p: git_show(p) for p in FILES}
hdr = src["driver/ppm_events_public.h"]

ppme = {}  # number -> name without PPME_
m = re.search(r"typedef enum \{(.*?)\} ppm_event_code;", hdr, re.S)
for name, num in re.findall(r"PPME_(\w+)\s*=\s*(\d+)", m.group(1)):
    ppme[int(num)] = name
EVENT_MAX = int(re.search(r"PPM_EVENT_MAX\s*=\s*(\d+)", hdr).group(1))
ppme_num = {v: k for k, v in ppme.items()}

# flag tables: name -> [(flag name, value expression)]
ftab_src = strip_comments(src["driver/flags_table.c"])
flag_tables = {}
for name, body in re.findall(r"const struct ppm_name_value (\w+)\[\]\s*=\s*\{(.*?)\{\s*0\s*,\s*0\s*\}\s*,?\s*\};", ftab_src,
                             re.S):
    ents = []
    for e in re.findall(r"\{\s*\"([^\"]*)\"\s*,\s*([^}]*?)\s*\}", body):
        ents.append(e)
    flag_tables[name] = ents

# dynamic param tables: name -> [(index expr, type, fmt)]
dyn_src = strip_comments(src["driver/dynamic_params_table.c"])
dyn_tables = {}
for name, body in re.findall(r"const struct ppm_param_info (\w+)\[\w+\]\s*=\s*\{(.*?)\n\};", dyn_src,
                             re.S):
    dyn_tables[name] = re.findall(r"\[(\w+)\]\s*=\s*\{\{0\},\s*PT_(\w+),\s*PF_(\w+)", body)

# event table entries
et = strip_comments(src["driver/event_table.c"])
et = et[et.index("g_event_info[] = {"):]
events = {}
for m in re.finditer(r"\[PPME_(\w+)\]\s*=\s*\{", et):
    body, _ = braced(et, m.end() - 1)
    f = split_top(body)
    name = f[0].strip('"')
    cat, flags, nparams = f[1], f[2], int(f[3])
    params = []
    if len(f) > 4:
        for p in split_top(unbrace(f[4])):
            pf = split_top(unbrace(p))
            pinfo = {"name": pf[0].strip('"'), "type": pf[1][3:], "fmt": pf[2][3:],
                     "flags": None, "dirfd": 0, "dyn": None}
            if len(pf) > 3:
                extra = pf[3]
                dm = re.match(r"DIRFD_PARAM\((\d+)\)", extra)
                if dm:
                    pinfo["dirfd"] = int(dm.group(1))
                elif extra in dyn_tables:
                    pinfo["dyn"] = extra
                elif extra in flag_tables:
                    pinfo["flags"] = extra
                else:
                    raise SystemExit("unknown param info " + extra)
            params.append(pinfo)
    assert len(params) == nparams, (m.group(1), nparams, len(params))
    events[ppme_num[m.group(1)]] = {"name": name, "cat": cat, "flags": flags, "params": params}
assert sorted(events) == list(range(EVENT_MAX)), "event table has holes"

# conversion table
ct = strip_comments(src["userspace/libscap/engine/savefile/converter/table.cpp"])
ct = ct[ct.index("g_conversion_table = {"):]
conv = []
for m in re.finditer(r"conversion_key\{PPME_(\w+),\s*(\d+)\}\s*,", ct):
    rest = ct[m.end():]
    # the rule runs to the end of this conversion_info() chain
    depth, i = 0, 0
    while True:
        ch = rest[i]
        if ch in "({":
            depth += 1
        elif ch in ")}":
            if depth == 0:
                break
            depth -= 1
        i += 1
    chain = rest[:i]
    action = re.search(r"\.action\(C_ACTION_(\w+)\)", chain).group(1)
    dt = re.search(r"\.desired_type\(PPME_(\w+)\)", chain)
    instrs = []
    im = re.search(r"\.instrs\(\{(.*)\}\)", chain, re.S)
    if im:
        for ins in split_top(im.group(1)):
            parts = split_top(unbrace(ins))
            code = parts[0].replace("C_INSTR_", "")
            pnum = int(parts[1]) if len(parts) > 1 else 0
            flag = "FALLBACK_TO_EMPTY" if len(parts) > 2 and "FALLBACK" in parts[2] else ""
            cb = parts[3] if len(parts) > 3 else None
            instrs.append((code, pnum, flag, cb))
    conv.append({"type": ppme_num[m.group(1)], "nparams": int(m.group(2)), "action": action,
                 "new_type": ppme_num[dt.group(1)] if dt else None, "instrs": instrs})

# convert.c's fast path assumes a current managed enter event at its full
# parameter count is kept as it is; check that libs' rules agree.
_rules = {(c["type"], c["nparams"]): c for c in conv}
for n, ev in events.items():
    fl = ev["flags"]
    if n % 2 == 0 and "EF_CONVERTER_MANAGED" in fl and "EF_OLD_VERSION" not in fl:
        r = _rules.get((n, len(ev["params"])))
        assert r and r["action"] in ("PASS", "STORE_AND_PASS"), ppme[n]

# ------------------------------------------------- numeric values via the C compiler
exprs = set()
for ents in flag_tables.values():
    for _, e in ents:
        exprs.add(e)
for name, ents in dyn_tables.items():
    for idx, _, _ in ents:
        exprs.add(idx)
cat_flag_exprs = set()
for ev in events.values():
    cat_flag_exprs.add(ev["cat"])
    cat_flag_exprs.add(ev["flags"])
exprs |= cat_flag_exprs
exprs = sorted(exprs)
with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(tmp, "driver"))
    for p in ("driver/ppm_events_public.h", "driver/feature_gates.h", "driver/ppm_fillers.h"):
        with open(os.path.join(tmp, p), "w") as fh:
            fh.write(src[p])
    prog = ['#include <stdio.h>', '#include <stdint.h>', '#include "driver/ppm_events_public.h"',
            "int main(void) {"]
    for i, e in enumerate(exprs):
        prog.append('printf("%%llu\\n", (unsigned long long)(uint32_t)(%s));' % e)
    prog.append("return 0; }")
    with open(os.path.join(tmp, "v.c"), "w") as fh:
        fh.write("\n".join(prog))
    subprocess.run(["cc", "-w", "-I", tmp, "-I", os.path.join(tmp, "driver"), "-o", os.path.join(tmp, "v"), os.path.join(tmp, "v.c")],
                   check=True)
    vals = subprocess.run([os.path.join(tmp, "v")], check=True, capture_output=True,
                          text=True).stdout.split()
value = {e: int(v) for e, v in zip(exprs, vals)}

# ------------------------------------------------------------------ mapping
EC = {"EC_UNKNOWN": 0, "EC_OTHER": 1, "EC_FILE": 2, "EC_NET": 3, "EC_IPC": 4, "EC_MEMORY": 5,
      "EC_PROCESS": 6, "EC_SLEEP": 7, "EC_SYSTEM": 8, "EC_SIGNAL": 9, "EC_USER": 10,
      "EC_TIME": 11, "EC_PROCESSING": 12, "EC_IO_READ": 32, "EC_IO_WRITE": 33,
      "EC_IO_OTHER": 34, "EC_WAIT": 64, "EC_SCHEDULER": 128, "EC_INTERNAL": 256}
CAT_NAME = {0: "ECAT_UNKNOWN", 1: "ECAT_OTHER", 2: "ECAT_FILE", 3: "ECAT_NET", 4: "ECAT_IPC",
            5: "ECAT_MEMORY", 6: "ECAT_PROCESS", 7: "ECAT_SLEEP", 8: "ECAT_SYSTEM",
            9: "ECAT_SIGNAL", 10: "ECAT_USER", 11: "ECAT_TIME", 12: "ECAT_PROCESSING",
            32: "ECAT_IO_READ", 33: "ECAT_IO_WRITE", 34: "ECAT_IO_OTHER", 64: "ECAT_WAIT",
            128: "ECAT_SCHEDULER", 256: "ECAT_INTERNAL"}
ORIGIN = [(1 << 9, "ECAT_SYSCALL"), (1 << 10, "ECAT_TRACEPOINT"), (1 << 11, "ECAT_PLUGIN"),
          (1 << 12, "ECAT_METAEVENT"), (1 << 13, "ECAT_INTERNAL")]  # EC_ITER: engine-internal
EF = [(1 << 0, "CREATES_FD"), (1 << 1, "DESTROYS_FD"), (1 << 2, "USES_FD"),
      (1 << 3, "READS_FROM_FD"), (1 << 4, "WRITES_TO_FD"), (1 << 5, "MODIFIES_STATE"),
      (1 << 6, "UNUSED"), (1 << 7, "WAITS"), (1 << 8, "SKIPPARSERESET"), (1 << 9, "OLD"),
      (1 << 11, "LARGE_PAYLOAD"), (1 << 12, "CONVERTER_MANAGED")]


def cat_of(expr):
    v = value[expr]
    low = v & 0x1ff
    origin = "ECAT_UNKNOWN"
    for bit, n in ORIGIN:
        if v & bit:
            origin = n
    return CAT_NAME[low], origin


def flags_of(ev):
    v = value[ev["flags"]]
    names = [n for bit, n in EF if v & bit]
    known = sum(bit for bit, _ in EF)
    assert v & ~known == 0, ev
    if value[ev["cat"]] & (1 << 12):
        names.append("METAEVENT")
    return " | ".join("EVT_FLAG_" + n for n in names) if names else "0"


def cid(name):
    return name.lower()


# ---------------------------------------------------------------- emit
HEAD = "/* Generated by scripts/gen_event_table.py from falcosecurity/libs facts; do not edit. */\n"

# event_types.h
lines = [HEAD.rstrip(), "/*",
         " * event_types.h - event type numbers, one per libs PPME_* constant.",
         " *",
         " * EVT_<NAME> equals libs' PPME_<NAME> so that peregrine's captures and",
         " * rules interoperate with the libs ecosystem. Enter events are even, exit",
         " * events odd. A plain enum with no includes: the BPF probe includes it too.",
         " */", "#ifndef PG_ABI_EVENT_TYPES_H", "#define PG_ABI_EVENT_TYPES_H", "",
         "enum evt_type {"]
for n in range(EVENT_MAX):
    lines.append("\tEVT_%s = %d," % (ppme[n], n))
lines += ["\tEVT_TYPE_MAX = %d" % EVENT_MAX, "};", "", "#endif /* PG_ABI_EVENT_TYPES_H */", ""]
with open(os.path.join(ROOT, "src/abi/event_types.h"), "w") as fh:
    fh.write("\n".join(lines))

# flags.c
used_flag_tables = sorted({p["flags"] for ev in events.values() for p in ev["params"] if p["flags"]})
lines = [HEAD.rstrip(), "/*",
         " * flags.c - names of the values of flags and enum parameters (open flags,",
         " * clone flags, socket families, fcntl commands, ...), as the printer and the",
         " * field extractors show them. Values are libs' PPM_* encodings, which the",
         " * probe writes instead of the raw kernel values so that a capture reads the",
         " * same on every architecture. Each table ends with a NULL name.",
         " */", '#include "flags.h"', ""]
for t in used_flag_tables:
    lines.append("const struct evt_flag_name evt_flags_%s[] = {" % t)
    for fname, e in flag_tables[t]:
        lines.append('\t{ "%s", 0x%x },' % (fname, value[e]))
    lines += ["\t{ NULL, 0 },", "};", ""]
with open(os.path.join(ROOT, "src/abi/flags.c"), "w") as fh:
    fh.write("\n".join(lines))
lines = [HEAD.rstrip(), "/*", " * flags.h - the flag-name tables of flags.c (internal to src/abi/).",
         " */", "#ifndef PG_ABI_FLAGS_H", "#define PG_ABI_FLAGS_H", "",
         '#include "event_table.h"', ""]
for t in used_flag_tables:
    lines.append("extern const struct evt_flag_name evt_flags_%s[];" % t)
lines += ["", "#endif /* PG_ABI_FLAGS_H */", ""]
with open(os.path.join(ROOT, "src/abi/flags.h"), "w") as fh:
    fh.write("\n".join(lines))

# event_table.c
lines = [HEAD.rstrip(), "/*",
         " * event_table.c - every event type libs defines, with its parameters.",
         " *",
         " * The single place where event names, categories, flags and parameter",
         " * layouts are written down (see event_table.h). Slots libs reserves but",
         " * never produces are EVT_FLAG_UNUSED with no name; old layouts, still found",
         " * in older captures, are EVT_FLAG_OLD and converted on read (convert.c).",
         " */", '#include "event_table.h"', '#include "flags.h"', ""]
# dynamic parameter tables
for d in sorted(dyn_tables):
    ents = sorted(dyn_tables[d], key=lambda x: value[x[0]])
    lines.append("static const struct evt_param_info dyn_%s[] = {" % d.replace("_dynamic_param", ""))
    for idx, pt, pf in ents:
        lines.append('\t[%d] = { .name = "%s", .type = EPT_%s, .fmt = EPF_%s },' %
                     (value[idx], idx, pt, pf))
    lines += ["};", ""]
for n in range(EVENT_MAX):
    ev = events[n]
    if not ev["params"] or value[ev["flags"]] & (1 << 6):
        continue
    lines.append("static const struct evt_param_info p_%s[] = {" % cid(ppme[n]))
    for p in ev["params"]:
        extra = ""
        if p["flags"]:
            extra = ", .flags = evt_flags_%s" % p["flags"]
        elif p["type"] == "FSRELPATH":
            extra = ", .dirfd_param = %d" % p["dirfd"]
        elif p["dyn"]:
            d = p["dyn"]
            extra = ", .dyn = dyn_%s, .ndyn = %d" % (d.replace("_dynamic_param", ""),
                                                     len(dyn_tables[d]))
        lines.append('\t{ .name = "%s", .type = EPT_%s, .fmt = EPF_%s%s },' %
                     (p["name"], p["type"], p["fmt"], extra))
    lines += ["};", ""]
lines.append("const struct evt_info evt_table[EVT_TYPE_MAX] = {")
for n in range(EVENT_MAX):
    ev = events[n]
    cat, origin = cat_of(ev["cat"])
    fl = flags_of(ev)
    if value[ev["flags"]] & (1 << 6):
        assert ev["name"] == "NA"
        lines.append("\t[EVT_%s] = { .flags = EVT_FLAG_UNUSED }," % ppme[n])
        continue
    assert ev["name"] != "NA", ppme[n]
    params = "p_%s" % cid(ppme[n]) if ev["params"] else "NULL"
    lines.append('\t[EVT_%s] = { .name = "%s", .category = %s, .origin = %s,\n'
                 '\t\t.flags = %s,\n\t\t.nparams = %d, .params = %s },' %
                 (ppme[n], ev["name"], cat, origin, fl, len(ev["params"]), params))
lines += ["};", "", "const uint32_t evt_table_size = EVT_TYPE_MAX;", ""]
with open(os.path.join(ROOT, "src/abi/event_table.c"), "w") as fh:
    fh.write("\n".join(lines))

# conv_table.c
conv.sort(key=lambda c: (c["type"], c["nparams"]))
for a, b in zip(conv, conv[1:]):
    assert (a["type"], a["nparams"]) != (b["type"], b["nparams"]), a
lines = [HEAD.rstrip(), "/*",
         " * conv_table.c - how each old event layout reaches the current one.",
         " *",
         " * One rule per (event type, parameter count) found in older captures, from",
         " * libs' scap converter: keep the event, drop it after remembering it (an enter",
         " * event whose facts the exit event now carries), append parameters, or",
         " * rebuild it as another type. Sorted by (type, nparams) for bsearch.",
         " */", '#include "convert_int.h"', ""]
lines.append("const struct evt_conv_rule evt_conv_rules[] = {")
for c in conv:
    nt = "EVT_%s" % ppme[c["new_type"]] if c["new_type"] is not None else "0"
    ins = []
    for code, pnum, flag, cb in c["instrs"]:
        fl = "EVT_CIF_FALLBACK_TO_EMPTY" if flag else "0"
        if code == "FROM_CALLBACK":
            assert "container_json" in cb, cb
            code = "FROM_CONTAINER_JSON"
        ins.append("{ EVT_CI_%s, %d, %s }" % (code, pnum, fl))
    assert len(ins) <= 32
    arr = "(const struct evt_conv_instr[]){ %s }" % ", ".join(ins) if ins else "NULL"
    lines.append("\t{ EVT_%s, %d, EVT_CA_%s, %s, %d, %s }," %
                 (ppme[c["type"]], c["nparams"], c["action"], nt, len(ins), arr))
lines += ["};", "", "const size_t evt_conv_nrules = sizeof(evt_conv_rules) / sizeof(evt_conv_rules[0]);",
          ""]
with open(os.path.join(ROOT, "src/abi/conv_table.c"), "w") as fh:
    fh.write("\n".join(lines))

print("events: %d, flag tables: %d, conversion rules: %d" %
      (EVENT_MAX, len(used_flag_tables), len(conv)))
