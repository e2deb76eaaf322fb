#!/usr/bin/env python3
"""Normalizes an election_lock_compat.sh transcript (stdin -> stdout).

The gateway's base64 keys, names and values are shown decoded ("=text"), so that the lease ids
inside keys can be seen; ids the server chose (leases granted without an ID, by the service for
a request without a lease or by etcdctl's sessions) become <LEASE_n> in order of first
appearance, in hex (keys, etcdctl output) and decimal (JSON "lease" / "ID") form alike. The
leases the script grants itself (0x1234..0x1236) stay as they are. Cluster and member ids and
raft terms become placeholders; revisions, values, errors and codes are compared exactly.
"""
import base64
import re
import sys

FIXED = {0x1234, 0x1235, 0x1236}
tokens = {}


def token(value):
    if value in FIXED or value < 0x10000:
        return None
    if value not in tokens:
        tokens[value] = "<LEASE_%d>" % (len(tokens) + 1)
    return tokens[value]


def b64_text(b64):
    """The text a base64 string holds, or None if it is not printable text."""
    try:
        text = base64.b64decode(b64, validate=True).decode("utf-8")
    except Exception:
        return None
    return text if text.isprintable() else None


def decode_b64(m):
    text = b64_text(m.group(2))
    return m.group(0) if text is None else '"%s":"=%s"' % (m.group(1), text)


def decode_list(m):
    def one(i):
        text = b64_text(i.group(1))
        return i.group(0) if text is None else '"=%s"' % text
    return '"%s":[%s]' % (m.group(1), re.sub(r'"([A-Za-z0-9+/=]+)"', one, m.group(2)))


def hex_id(m):
    return token(int(m.group(0), 16)) or m.group(0)


def dec_id(m):
    return '"%s":"%s"' % (m.group(1), token(int(m.group(2))) or m.group(2))


for line in sys.stdin:
    line = re.sub(r'"(key|value|name)":"([A-Za-z0-9+/=]+)"', decode_b64, line)
    line = re.sub(r'"(keys)":\[([^\]]*)\]', decode_list, line)
    line = re.sub(r'"(cluster_id|member_id)":"[0-9]+"', r'"\1":"<id>"', line)
    line = re.sub(r'"raft_term":"[0-9]+"', '"raft_term":"<term>"', line)
    line = re.sub(r'"TTL":"(59|60)"', '"TTL":"<ttl>"', line)
    line = re.sub(r'"(lease|ID)":"([0-9]+)"', dec_id, line)
    line = re.sub(r"(?<![0-9a-f])[0-9a-f]{10,16}(?![0-9a-f])", hex_id, line)
    sys.stdout.write(line)
