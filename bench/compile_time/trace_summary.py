#!/usr/bin/env python3
"""Summarise a clang -ftime-trace JSON file: where a translation unit's compile time goes.

Usage: trace_summary.py TRACE.json [--top N]

Prints the frontend/backend split, the headers by parse time (inclusive, and self time grouped by
library), template instantiations by inclusive time (each one, and grouped by the template's name
without its arguments), and functions by code generation + optimisation time (grouped the same way).
Durations in the trace are wall-clock microseconds of the compiler's main thread.
"""
import collections
import json
import re
import sys


def strip_args(name):
    """'std::vector<int>::push_back' -> 'std::vector<>::push_back' (nested brackets removed)."""
    out, depth = [], 0
    for ch in name:
        if ch == '<':
            if depth == 0:
                out.append('<>')
            depth += 1
        elif ch == '>':
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    s = ''.join(out)
    s = re.sub(r'\(.*\)', '()', s)  # parameter lists
    return s


def library_of(path):
    if '/asio/' in path or path.endswith('asio.hpp'):
        return 'asio'
    if '/openssl/' in path:
        return 'openssl'
    if '/range/v3/' in path or '/meta/' in path or '/concepts/concepts.hpp' in path:
        return 'range-v3'
    m = re.search(r'/include/(kafka/.*)$', path) or re.search(r'/(kafka/.*)$', path)
    if m:
        return m.group(1)
    if '/c++/' in path:
        return 'libstdc++'
    return 'other system (' + path.split('/')[-1] + ')'


def self_times(events):
    """Self time of each complete event: its duration minus that of the events nested directly in it."""
    evs = sorted(events, key=lambda e: (e['ts'], -e['dur']))
    selfs = [e['dur'] for e in evs]
    stack = []
    for i, e in enumerate(evs):
        while stack and evs[stack[-1]]['ts'] + evs[stack[-1]]['dur'] <= e['ts']:
            stack.pop()
        if stack:
            selfs[stack[-1]] -= e['dur']
        stack.append(i)
    return list(zip(evs, selfs))


def main():
    path = sys.argv[1]
    top = int(sys.argv[sys.argv.index('--top') + 1]) if '--top' in sys.argv else 20
    ev = [e for e in json.load(open(path))['traceEvents'] if e.get('ph') == 'X']
    totals = {e['name']: e['dur'] for e in ev if e['name'] in ('ExecuteCompiler', 'Frontend', 'Backend')}
    s = lambda us: f'{us / 1e6:7.2f} s'
    print(f'== {path}')
    for k in ('ExecuteCompiler', 'Frontend', 'Backend'):
        if k in totals:
            print(f'  {k:<16}{s(totals[k])}')
    # Frontend phases at the outermost level.
    by = collections.defaultdict(list)
    for e in ev:
        by[e['name']].append(e)

    def outermost(name):
        xs = sorted(by[name], key=lambda e: e['ts'])
        tot, end = 0, -1
        for e in xs:
            if e['ts'] >= end:
                tot += e['dur']
                end = e['ts'] + e['dur']
        return tot

    for k in ('Source', 'ParseClass', 'InstantiateClass', 'InstantiateFunction', 'PerformPendingInstantiations',
              'CodeGen Function', 'DebugType', 'OptFunction', 'CodeGenPasses', 'OptModule'):
        if k in by:
            print(f'  {k:<30}{s(outermost(k))} (outermost, {len(by[k])} events)')

    # Headers: inclusive time of each Source event (first inclusion), and self time per library.
    src = [e for e in ev if e['name'] == 'Source']
    print(f'\n-- headers by inclusive parse time (top {top})')
    incl = collections.Counter()
    for e in src:
        incl[e['args']['detail']] += e['dur']
    for f, d in incl.most_common(top):
        print(f'  {s(d)}  {f}')
    print('\n-- parse self time by library (Source events, nested includes subtracted)')
    lib = collections.Counter()
    for e, st in self_times(src):
        lib[library_of(e['args']['detail'])] += st
    for f, d in lib.most_common(top):
        print(f'  {s(d)}  {f}')

    for kind in ('InstantiateFunction', 'InstantiateClass'):
        xs = by.get(kind, [])
        print(f'\n-- {kind}: top {top} single instantiations (inclusive)')
        for e in sorted(xs, key=lambda e: -e['dur'])[:top]:
            print(f'  {s(e["dur"])}  {e["args"]["detail"][:200]}')
        print(f'\n-- {kind}: grouped by template (self time, count)')
        g, n = collections.Counter(), collections.Counter()
        for e, st in self_times(xs):
            k = strip_args(e['args']['detail'])
            g[k] += st
            n[k] += 1
        for k, d in g.most_common(top):
            print(f'  {s(d)}  {n[k]:5d}x  {k[:160]}')

    for kind in ('CodeGen Function', 'OptFunction'):
        xs = by.get(kind, [])
        if not xs:
            continue
        print(f'\n-- {kind}: grouped by function name without template arguments (time, count)')
        g, n = collections.Counter(), collections.Counter()
        for e in xs:
            k = strip_args(e['args'].get('detail', '?'))
            g[k] += e['dur']
            n[k] += 1
        for k, d in g.most_common(top):
            print(f'  {s(d)}  {n[k]:5d}x  {k[:160]}')
        print(f'\n-- {kind}: grouped by namespace/class prefix')
        g2, n2 = collections.Counter(), collections.Counter()
        for e in xs:
            k = strip_args(e['args'].get('detail', '?'))
            k = re.sub(r'^(\w+ )?', '', k)
            parts = k.split('::')
            pre = '::'.join(parts[:3]) if parts[0] == 'kafka' else '::'.join(parts[:2])
            g2[pre] += e['dur']
            n2[pre] += 1
        for k, d in g2.most_common(top):
            print(f'  {s(d)}  {n2[k]:5d}x  {k[:160]}')


if __name__ == '__main__':
    main()
