#!/usr/bin/env python3
"""Where an object file's code comes from: text bytes of its functions grouped by what they serve.

Usage: objsize.py FILE.o [--top N]
At -O0 every instantiated function is emitted, so the bytes (and the function count) per group
are a fair proxy for the backend's share of the compile time.
"""
import collections
import re
import subprocess
import sys

path = sys.argv[1]
top = int(sys.argv[sys.argv.index('--top') + 1]) if '--top' in sys.argv else 30
nm = subprocess.run(['nm', '-S', '--defined-only', path], capture_output=True, text=True, check=True).stdout
rows = [l.split() for l in nm.splitlines()]
rows = [(int(r[1], 16), r[3]) for r in rows if len(r) == 4 and r[2] in 'TtWw']
names = subprocess.run(['c++filt'], input='\n'.join(r[1] for r in rows), capture_output=True, text=True).stdout.split('\n')


def group(nm):
    m = re.search(r'kafka::(?:\w+::)*?([A-Z]\w+?)(?:Request|Response)\b', nm)
    if m:
        return 'message ' + m.group(1)
    if 'asio::' in nm:
        return 'asio'
    m = re.search(r'kafka::((?:\w+::)*?[a-z_]+)(?:<|::|\b)', nm)
    if m:
        return 'kafka::' + m.group(1)
    return 'std/other'


tot, cnt = 0, 0
by, n = collections.Counter(), collections.Counter()
cross = collections.Counter()
for (size, _), name in zip(rows, names):
    tot += size
    cnt += 1
    g = group(name)
    by[g] += size
    n[g] += 1
    if re.search(r'std::function|_Function_handler|_Function_base', name):
        cross['std::function machinery'] += size
    if 'lambda' in name:
        cross['lambda bodies and what they instantiate'] += size
    if re.search(r'protocol::detail|field_desc|field_list|std::apply|__apply_impl', name):
        cross['message codec (describe.hpp)'] += size
    if 'request_future' in name:
        cross['request_future'] += size
print(f'{path}: {cnt} functions, {tot} bytes of code')
for g, s in by.most_common(top):
    print(f'  {s:9d} B {n[g]:6d} fn  {g}')
print('cross-cutting (overlapping):')
for g, s in cross.most_common():
    print(f'  {s:9d} B  {g}')
