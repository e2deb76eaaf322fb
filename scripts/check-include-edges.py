#!/usr/bin/env python3
"""Checks that every #include in src/ follows an edge the CMake link lists allow.

The libraries under src/ share one include root, so a header of a library that is not linked
can still be included: the linker only notices when a symbol is missing, and not at all for
inline code. This check closes that gap. It reads the CMakeLists.txt files under <root>/src:

  etcdpp_library(NAME SOURCES files... DEPS libs...)   NAME owns these files (headers listed
                                            too) and links libs
  add_library(NAME STATIC files...), add_executable(NAME files...)   likewise, owns files
  etcdpp_test(NAME SOURCES files... DEPS libs...)
  set(VAR files...)                         expanded where ${VAR} is used
  target_link_libraries(NAME ... libs...)   NAME may include headers of these (and of what
                                            they link, transitively)

Generated protobuf headers ("x/y.pb.h", "x/y.grpc.pb.h") belong to etcdpp_proto and
etcdpp_grpc. It fails (exit 1) when
  - a file includes a project header owned by a library its target does not link, or
  - a .h/.cc file under src/ is in no target's list (every file is owned explicitly).

Usage: check-include-edges.py [ROOT]   (ROOT: the checkout; default: this script's parent)
"""

import os
import re
import sys
from collections import defaultdict

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMAND = re.compile(r'\b(add_library|add_executable|etcdpp_library|etcdpp_test|set|target_link_libraries)\s*\(([^)]*)\)',
                     re.S)


def strip_comments(text):
    return re.sub(r'#[^\n]*', '', text)


def parse(root):
    """Returns (owner: path -> target, deps: target -> set of linked targets)."""
    owner, deps = {}, defaultdict(set)
    src = os.path.join(root, 'src')
    for dirpath, _, names in os.walk(src):
        if 'CMakeLists.txt' not in names:
            continue
        text = strip_comments(open(os.path.join(dirpath, 'CMakeLists.txt')).read())
        variables = {}
        for cmd, body in COMMAND.findall(text):
            words = body.split()
            for i, w in enumerate(words):  # ${VAR} -> its list
                m = re.fullmatch(r'\$\{(\w+)\}', w)
                if m and m.group(1) in variables:
                    words[i:i + 1] = variables[m.group(1)]
            if not words:
                continue
            name, rest = words[0], words[1:]
            if cmd == 'set':
                variables[name] = rest
                continue
            if cmd == 'target_link_libraries':
                deps[name].update(w for w in rest if w.startswith('etcdpp_'))
                continue
            files = rest
            if cmd in ('etcdpp_library', 'etcdpp_test'):
                files, linked, mode = [], [], None
                for w in rest:
                    if w in ('SOURCES', 'DEPS'):
                        mode = w
                    elif mode == 'SOURCES':
                        files.append(w)
                    elif mode == 'DEPS':
                        linked.append(w)
                deps[name].update(w for w in linked if w.startswith('etcdpp_'))
            for f in files:
                if f in ('STATIC', 'SHARED', 'OBJECT') or f.startswith('$'):
                    continue
                path = os.path.normpath(os.path.join(dirpath, f))
                if path in owner and owner[path] != name:
                    # A test may list a test-only helper of another target; the first owner wins.
                    continue
                owner[path] = name
    deps['etcdpp_grpc'].add('etcdpp_proto')
    return owner, deps


def closure(target, deps):
    seen, todo = set(), [target]
    while todo:
        t = todo.pop()
        for d in deps.get(t, ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def header_owner(inc, src, owner):
    if inc.endswith('.grpc.pb.h'):
        return 'etcdpp_grpc'
    if inc.endswith('.pb.h'):
        return 'etcdpp_proto'
    path = os.path.normpath(os.path.join(src, inc))
    if os.path.exists(path):
        return owner.get(path, '<no target>')
    return None  # not a project header (third-party, or relative to the including file)


def check(root):
    src = os.path.join(root, 'src')
    owner, deps = parse(root)
    problems = []
    for dirpath, _, names in os.walk(src):
        for n in sorted(names):
            if not n.endswith(('.h', '.cc')):
                continue
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, src)
            me = owner.get(path)
            if me is None:
                problems.append(f'{rel}: in no target\'s source list (CMakeLists.txt)')
                continue
            allowed = closure(me, deps) | {me}
            for inc in INCLUDE.findall(open(path, errors='replace').read()):
                them = header_owner(inc, src, owner)
                if them is None or them in allowed:
                    continue
                problems.append(f'{rel} ({me}): forbidden include "{inc}" of {them}, '
                                f'which {me} does not link')
    return problems


def main():
    root = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f'check-include-edges: {len(problems)} problem(s)')
        return 1
    print('check-include-edges: every include follows a link edge')
    return 0


if __name__ == '__main__':
    sys.exit(main())
