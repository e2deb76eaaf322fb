#!/usr/bin/env python3
"""Normalizes a member_compat.sh transcript (stdin -> stdout).

argv[1]: a map file with lines "id <hex> <name>", "port <port> <name>", "cluster <decimal>".
Ids and ports become <ID:name> / <PORT:name>; versions, terms, indexes, db sizes, durations,
timestamps and client uuids become placeholders; within each command's output, table rows and
"endpoint health" lines are sorted (their order follows the port-derived member ids), and so are
the members of an ETCD_INITIAL_CLUSTER line.
"""
import re
import sys


def load_map(path):
    subs = []
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "id" and parts[1] != "none":
            subs.append((re.compile(r"(?<![0-9a-f])%s(?![0-9a-f])" % parts[1]), "<ID:%s>" % parts[2]))
            subs.append((re.compile(r"(?<![0-9])%d(?![0-9])" % int(parts[1], 16)), "<ID:%s>" % parts[2]))
        elif parts[0] == "port":
            subs.append((re.compile(r"(?<![0-9])%s(?![0-9])" % parts[1]), "<PORT:%s>" % parts[2]))
        elif parts[0] == "cluster" and parts[1]:
            c = int(parts[1])
            subs.append((re.compile(r"(?<![0-9a-f])%x(?![0-9a-f])" % c), "<CLUSTER>"))
            subs.append((re.compile(r"(?<![0-9])%d(?![0-9])" % c), "<CLUSTER>"))
    return subs


def normalize_line(line, subs):
    for pat, rep in subs:
        line = pat.sub(rep, line)
    line = re.sub(r'"ts":"[^"]*"', '"ts":"<TS>"', line)
    line = re.sub(r"endpoint://client-[0-9a-f-]+/", "endpoint://client-<UUID>/", line)
    line = re.sub(r"(took = )[0-9.]+[a-zµ]+", r"\1<DURATION>", line)
    # etcd's %16x pads an id shorter than 16 hex digits with spaces.
    line = re.sub(r"(Member|cluster) +<", r"\1 <", line)
    if line.startswith("ETCD_INITIAL_CLUSTER="):
        # etcdctl quotes it oddly ("a,b",c); the order follows the ids.
        key, _, value = line.rstrip("\n").partition("=")
        line = key + "=" + ",".join(sorted(value.replace('"', "").split(","))) + "\n"
    if line.startswith("|"):
        cells = [c.strip() for c in line.rstrip("\n").split("|")]
        if len(cells) >= 12 and re.match(r"^(http://)?127\.0\.0\.1:", cells[1]):  # endpoint status row
            cells[3] = "<VERSION>"
            cells[4] = "<DB_SIZE>"
            cells[7] = "<TERM>"
            cells[8] = "<INDEX>"
            cells[9] = "<INDEX>"
        line = "|".join(cells) + "\n"
    elif re.match(r"^\+[-+]+\+$", line.strip()):
        line = "+-+\n"
    return line


def sortable(line):
    if ", started, " in line or ", unstarted, " in line:  # member list, simple format
        return True
    return (line.startswith("|") and not re.match(r"^\|\s*(ID|ENDPOINT)\s*\|", line)) or " is healthy" in line or " is unhealthy" in line


def main():
    subs = load_map(sys.argv[1])
    out, run = [], []

    def flush():
        out.extend(sorted(run))
        run.clear()

    for raw in sys.stdin:
        line = normalize_line(raw, subs)
        if sortable(line):
            run.append(line)
            continue
        flush()
        out.append(line)
    flush()
    sys.stdout.write("".join(out))


main()
