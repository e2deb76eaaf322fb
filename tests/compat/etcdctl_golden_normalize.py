#!/usr/bin/env python3
"""Normalizes an etcdctl_golden.sh transcript (stdin -> stdout) before the generic etcdctl
normalization: drops the log lines stock etcdctl's Go libraries print on stderr
({"level":...} from zap and gRPC) except clientv3's retry warn line, and replaces server-chosen lease IDs by <LEASE_n> in order of
first appearance, in hex (etcdctl's simple output, lock/election keys) and decimal (JSON, fields)
form alike, and drops etcd 3.5's "Deprecated: Use `etcdutl snapshot ...` instead." notice (and
its blank line) that our etcdctl prints before `snapshot status/restore` and 3.4 does not, and
the usage lines of get's etcd 3.6 flags (--count-only, --min/max-create/mod-rev). Lease
IDs are found where etcdctl prints a granted or listed lease. The binary
stdout of `-w protobuf` commands is decoded into protoc --decode_raw's shape first, so that the
ids inside it can be normalized like the others."""
import re
import sys


def varint(data, i):
    value, shift = 0, 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        value |= (b & 0x7F) << shift
        i += 1
        shift += 7
        if b < 0x80:
            return value, i


def decode(data, indent=""):
    """protoc --decode_raw of data (bytes), or raise ValueError when it is not a message."""
    out, i = [], 0
    while i < len(data):
        key, i = varint(data, i)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ValueError("field 0")
        if wire == 0:
            v, i = varint(data, i)
            out.append("%s%d: %d" % (indent, field, v))
        elif wire == 2:
            n, i = varint(data, i)
            if i + n > len(data):
                raise ValueError("truncated bytes")
            chunk = data[i:i + n]
            i += n
            try:
                inner = decode(chunk, indent + "  ") if chunk else None
            except ValueError:
                inner = None
            if inner is not None and chunk:
                out.append("%s%d {\n%s\n%s}" % (indent, field, inner, indent))
            else:
                out.append("%s%d: %r" % (indent, field, chunk))
        elif wire == 5:
            out.append("%s%d: 0x%08x" % (indent, field, int.from_bytes(data[i:i + 4], "little")))
            i += 4
        elif wire == 1:
            out.append("%s%d: 0x%016x" % (indent, field, int.from_bytes(data[i:i + 8], "little")))
            i += 8
        else:
            raise ValueError("wire type %d" % wire)
    return "\n".join(out)


def decode_protobuf_blocks(text):
    def repl(m):
        raw = m.group(2).encode("latin-1")
        try:
            body = decode(raw) + "\n"
        except ValueError:
            body = "<undecodable %d bytes>\n" % len(raw)
        return m.group(1) + body + "--- stderr\n"
    return re.sub(r"(### [^\n]*protobuf[^\n]*\n--- stdout\n)(.*?)--- stderr\n", repl, text,
                  flags=re.S)


text = decode_protobuf_blocks(sys.stdin.buffer.read().decode("latin-1"))
RETRY_LINE = '"msg":"retrying of unary invoker failed"'


def keep_log_line(line):
    """clientv3's retry warn line is compared (time and client UUID normalized), except for an
    unreachable endpoint, where Go's and C++'s gRPC word the error differently
    (docs/compatibility.md); every other zap or gRPC log line is dropped."""
    return RETRY_LINE in line and "code = Unavailable" not in line


def normalize_log_line(line):
    line = re.sub(r'"ts":"[^"]*"', '"ts":"<TS>"', line)
    return re.sub(r"client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                  "client-<UUID>", line)


text = "\n".join(normalize_log_line(l) if keep_log_line(l) else l
                 for l in text.split("\n")
                 if not l.startswith('{"level":') or keep_log_line(l))
# etcd 3.6's get flags and `auth status` in usage texts (3.4 has none; etcdctl_36.sh tests them).
text = re.sub(r"^      --(count-only\[=false\]|(min|max)-(create|mod)-rev=0)\t+[^\n]*\n", "", text,
              flags=re.M)
text = re.sub(r"^      --(count-only|(min|max)-(create|mod)-rev int) +[^\n]*\n", "", text,
              flags=re.M)  # the same in cobra's default usage (txn's get lines)
text = re.sub(r"^\t(auth )?status\t+Returns authentication status\n", "", text, flags=re.M)
# etcd 3.5's notice before the offline snapshot commands (issue 16 asks for it; 3.4 has none).
text = re.sub(r"^Deprecated: Use `etcdutl snapshot (status|restore)` instead\.\n\n", "", text,
              flags=re.M)

ids = []


def remember(value):
    if value >= 0x10000 and value not in ids:
        ids.append(value)


for m in re.finditer(r"lease ([0-9a-f]{16}) (?:granted|keepalived|revoked)", text):
    remember(int(m.group(1), 16))
for m in re.finditer(r'"ID" ?: ?(\d+),?\n?"TTL"|"id":(\d+)', text):
    remember(int(m.group(1) or m.group(2)))
for m in re.finditer(r'^"ID" : (\d+)\n"TTL"', text, re.M):
    remember(int(m.group(1)))
for m in re.finditer(r"^([0-9a-f]{16})$", text, re.M):
    remember(int(m.group(1), 16))
for m in re.finditer(r"/([0-9a-f]{5,16})\b", text):
    remember(int(m.group(1), 16))

for n, value in enumerate(ids, 1):
    text = re.sub(r"(?<![0-9a-f])%016x(?![0-9a-f])" % value, "<LEASE_%d>" % n, text)
    text = re.sub(r"(?<![0-9a-f])%x(?![0-9a-f])" % value, "<LEASE_%d>" % n, text)
    text = re.sub(r"(?<![0-9])%d(?![0-9])" % value, "<LEASE_%d>" % n, text)
sys.stdout.buffer.write(text.encode("latin-1"))
