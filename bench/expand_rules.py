#!/usr/bin/env python3
"""expand_rules.py - the baseline condition for sysdig: every rule's condition
with macros and lists expanded textually (as the reference engine's loader
did before it parsed conditions), keeping only the rules Debian's sysdig
0.29.3 accepts, OR-ed into one filter.

    bench/expand_rules.py RULES.yaml CAPTURE > cond.txt   (stderr: kept/total)

Each expanded rule is tried alone with `sysdig -r CAPTURE COND` (on a small
capture) and dropped when sysdig rejects it (fields its older libs lacks).
Used by bench/section_rules.sh; not part of the engine.
"""
import re
import subprocess
import sys

import yaml

TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[A-Za-z_][A-Za-z0-9_.\-]*|\S')


def main():
    rules_path, capture = sys.argv[1], sys.argv[2]
    docs = yaml.safe_load(open(rules_path)) or []
    lists, macros, rules = {}, {}, []
    for item in docs:
        if not isinstance(item, dict):
            continue
        if 'list' in item:
            lists[item['list']] = [str(x) for x in item.get('items') or []]
        elif 'macro' in item:
            macros[item['macro']] = item['condition']
        elif 'rule' in item and 'condition' in item and item.get('enabled', True):
            rules.append((item['rule'], item['condition']))

    def items(name, seen=()):
        out = []
        for x in lists[name]:
            out += items(x, seen + (name,)) if x in lists and x not in seen else [x]
        return out

    def quote(x):
        return x if re.fullmatch(r'[A-Za-z0-9_./:\-*]+', x) else '"%s"' % x.replace('"', '\\"')

    def expand(cond, depth=0):
        # replace macro and list names, keep every other byte as written
        out, pos, prev = [], 0, ''
        for m in TOKEN.finditer(cond):
            tok = m.group(0)
            if tok in macros and depth < 32:
                rep = '(' + expand(macros[tok], depth + 1) + ')'
            elif tok in lists:
                vals = ', '.join(quote(x) for x in items(tok))
                rep = vals if prev in ('(', ',') else '(' + vals + ')'
            else:
                rep = tok
            out.append(cond[pos:m.start()] + rep)
            pos = m.end()
            prev = tok
        return ''.join(out) + cond[pos:]

    kept = []
    for name, cond in rules:
        e = expand(cond)
        r = subprocess.run(['sysdig', '-r', capture, e], capture_output=True, text=True)
        if r.returncode == 0:
            kept.append(e)
    print(' or '.join('(%s)' % c for c in kept))
    print('%d of %d rules' % (len(kept), len(rules)), file=sys.stderr)


main()
