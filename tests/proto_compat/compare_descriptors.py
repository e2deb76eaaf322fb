#!/usr/bin/python3
"""Wire-compatibility check: our proto/ against etcd's own .proto files.

Compiles both sets with protoc into descriptor sets and compares, item by item:
  - packages of the files,
  - messages (with nesting), fields (name, number, type, type name, label, oneof, json name),
  - enums and their values,
  - services and RPCs (input, output, client/server streaming).
etcd's files carry gogoproto options and google.api.http annotations; a cleaned copy with
those stripped (and imports rewritten to our layout) is compiled instead.

Every reference item must exist in ours, unchanged. Items only in ours are listed and must
be in EXPECTED_EXTRAS (the 3.5/3.6 additions on top of the 3.4 reference); anything else is
reported. Exit status 0 only when there is nothing missing, changed or unexpected.

Needs: protoc, python3-protobuf. Not part of the build or ctest; run by hand:
  /usr/bin/python3 tests/proto_compat/compare_descriptors.py [--ours proto] [--etcd /usr/share/gocode/src/go.etcd.io/etcd]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

# Our path (relative to proto/) -> etcd 3.4 path (relative to the etcd source root).
FILES = {
    "mvccpb/kv.proto": "mvcc/mvccpb/kv.proto",
    "authpb/auth.proto": "auth/authpb/auth.proto",
    "etcdserverpb/rpc.proto": "etcdserver/etcdserverpb/rpc.proto",
    "v3electionpb/v3election.proto": "etcdserver/api/v3election/v3electionpb/v3election.proto",
    "v3lockpb/v3lock.proto": "etcdserver/api/v3lock/v3lockpb/v3lock.proto",
}

IMPORT_REWRITES = {
    "etcd/mvcc/mvccpb/kv.proto": "mvccpb/kv.proto",
    "etcd/auth/authpb/auth.proto": "authpb/auth.proto",
    "etcd/etcdserver/etcdserverpb/rpc.proto": "etcdserverpb/rpc.proto",
}

# What etcd 3.5 and 3.6 added to the API after 3.4 (checked against etcd's
# api/etcdserverpb/rpc.proto with its etcd_version_* annotations).
EXPECTED_EXTRAS = {
    # 3.5
    ("rpc", "etcdserverpb.Maintenance", "Downgrade"),
    ("rpc", "etcdserverpb.Auth", "AuthStatus"),
    ("message", "etcdserverpb.DowngradeRequest"),
    ("field", "etcdserverpb.DowngradeRequest", "action"),
    ("field", "etcdserverpb.DowngradeRequest", "version"),
    ("enum", "etcdserverpb.DowngradeRequest.DowngradeAction"),
    ("enumvalue", "etcdserverpb.DowngradeRequest.DowngradeAction", "VALIDATE"),
    ("enumvalue", "etcdserverpb.DowngradeRequest.DowngradeAction", "ENABLE"),
    ("enumvalue", "etcdserverpb.DowngradeRequest.DowngradeAction", "CANCEL"),
    ("message", "etcdserverpb.DowngradeResponse"),
    ("field", "etcdserverpb.DowngradeResponse", "header"),
    ("field", "etcdserverpb.DowngradeResponse", "version"),
    ("message", "etcdserverpb.AuthStatusRequest"),
    ("message", "etcdserverpb.AuthStatusResponse"),
    ("field", "etcdserverpb.AuthStatusResponse", "header"),
    ("field", "etcdserverpb.AuthStatusResponse", "enabled"),
    ("field", "etcdserverpb.AuthStatusResponse", "authRevision"),
    ("field", "etcdserverpb.MemberListRequest", "linearizable"),
    ("field", "etcdserverpb.AuthUserAddRequest", "hashedPassword"),
    ("field", "etcdserverpb.AuthUserChangePasswordRequest", "hashedPassword"),
    # 3.6
    ("field", "etcdserverpb.StatusResponse", "storageVersion"),
    ("field", "etcdserverpb.StatusResponse", "dbSizeQuota"),
    ("field", "etcdserverpb.StatusResponse", "downgradeInfo"),
    ("message", "etcdserverpb.DowngradeInfo"),
    ("field", "etcdserverpb.DowngradeInfo", "enabled"),
    ("field", "etcdserverpb.DowngradeInfo", "targetVersion"),
    ("field", "etcdserverpb.HashKVResponse", "hash_revision"),
    ("field", "etcdserverpb.SnapshotResponse", "version"),
    ("message", "etcdserverpb.DowngradeVersionTestRequest"),
    ("field", "etcdserverpb.DowngradeVersionTestRequest", "ver"),
}


def strip_annotations(text):
    """Removes gogoproto/google imports and options, and google.api.http blocks."""
    out = []
    i = 0
    marker = "option (google.api.http)"
    while True:
        j = text.find(marker, i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        k = text.index("{", j)
        depth = 0
        while True:
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        k += 1
        while k < len(text) and text[k] in " \t":
            k += 1
        if k < len(text) and text[k] == ";":
            k += 1
        i = k
    text = "".join(out)
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if re.match(r'import\s+"(gogoproto|google)/', s):
            continue
        if re.match(r"option\s+\(gogoproto\.", s):
            continue
        if "[(gogoproto." in s:
            line = re.sub(r"\s*\[\(gogoproto\.[^\]]*\]", "", line)
        m = re.match(r'(\s*import\s+")([^"]+)(".*)', line)
        if m and m.group(2) in IMPORT_REWRITES:
            line = m.group(1) + IMPORT_REWRITES[m.group(2)] + m.group(3)
        lines.append(line)
    return "\n".join(lines) + "\n"


def compile_set(root, rels, out):
    subprocess.run(["protoc", "-I" + root, "--include_imports", "--descriptor_set_out=" + out]
                   + rels, check=True)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    return fds


LABELS = {1: "optional", 2: "required", 3: "repeated"}


def type_name(t):
    return descriptor_pb2.FieldDescriptorProto.Type.Name(t)


def flatten(fds, only_files):
    """Returns {key: description} for every API item of the given files."""
    items = {}

    def enum_items(e, scope):
        full = scope + "." + e.name
        items[("enum", full)] = ""
        for v in e.value:
            items[("enumvalue", full, v.name)] = "number=%d" % v.number

    def msg_items(m, scope):
        full = scope + "." + m.name
        items[("message", full)] = ""
        for f in m.field:
            oneof = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else ""
            items[("field", full, f.name)] = (
                "number=%d type=%s type_name=%s label=%s oneof=%s json=%s"
                % (f.number, type_name(f.type), f.type_name.lstrip("."), LABELS[f.label],
                   oneof, f.json_name))
        for nested in m.nested_type:
            msg_items(nested, full)
        for e in m.enum_type:
            enum_items(e, full)

    for fd in fds.file:
        if fd.name not in only_files:
            continue
        items[("file", fd.name)] = "package=%s syntax=%s" % (fd.package, fd.syntax or "proto2")
        for m in fd.message_type:
            msg_items(m, fd.package)
        for e in fd.enum_type:
            enum_items(e, fd.package)
        for s in fd.service:
            full = fd.package + "." + s.name
            items[("service", full)] = ""
            for r in s.method:
                items[("rpc", full, r.name)] = (
                    "input=%s output=%s client_streaming=%s server_streaming=%s"
                    % (r.input_type.lstrip("."), r.output_type.lstrip("."),
                       r.client_streaming, r.server_streaming))
    return items


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "..", "proto"))
    ap.add_argument("--etcd", default="/usr/share/gocode/src/go.etcd.io/etcd")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list identical items")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="proto_compat.")
    try:
        ref_root = os.path.join(tmp, "ref")
        for ours_rel, etcd_rel in FILES.items():
            dst = os.path.join(ref_root, ours_rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(os.path.join(args.etcd, etcd_rel)) as f:
                text = f.read()
            with open(dst, "w") as f:
                f.write(strip_annotations(text))
        rels = list(FILES)
        ref = flatten(compile_set(ref_root, rels, os.path.join(tmp, "ref.pb")), rels)
        ours = flatten(compile_set(os.path.abspath(args.ours), rels,
                                   os.path.join(tmp, "ours.pb")), rels)
    finally:
        shutil.rmtree(tmp)

    missing = sorted(k for k in ref if k not in ours)
    changed = sorted(k for k in ref if k in ours and ref[k] != ours[k])
    extra = sorted(k for k in ours if k not in ref)
    unexpected = [k for k in extra if k not in EXPECTED_EXTRAS]
    not_found = sorted(k for k in EXPECTED_EXTRAS if k not in ours)

    def show(k, d):
        return "  " + " ".join(k) + ("  [" + d + "]" if d else "")

    print("reference items: %d, ours: %d" % (len(ref), len(ours)))
    if args.verbose:
        print("IDENTICAL:")
        for k in sorted(k for k in ref if k in ours and ref[k] == ours[k]):
            print(show(k, ref[k]))
    print("MISSING from ours (%d):" % len(missing))
    for k in missing:
        print(show(k, ref[k]))
    print("CHANGED (%d):" % len(changed))
    for k in changed:
        print(show(k, "ref: " + ref[k] + " | ours: " + ours[k]))
    print("EXTRA in ours, expected 3.5/3.6 additions (%d):" % (len(extra) - len(unexpected)))
    for k in extra:
        if k in EXPECTED_EXTRAS:
            print(show(k, ours[k]))
    print("EXTRA in ours, UNEXPECTED (%d):" % len(unexpected))
    for k in unexpected:
        print(show(k, ours[k]))
    print("EXPECTED additions not found in ours (%d):" % len(not_found))
    for k in not_found:
        print(show(k, ""))
    ok = not (missing or changed or unexpected or not_found)
    print("RESULT:", "OK" if ok else "DIFFERENCES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
