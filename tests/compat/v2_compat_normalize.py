#!/usr/bin/env python3
"""v2_compat_normalize.py: stdin -> stdout, the v2 parts of a v2_compat.sh transcript.

Store indexes become offsets from the first X-Etcd-Index of the transcript (the index before
the first write): "<I+3>". etcd's own membership writes under /0 move the index a fresh etcd
starts at; the offsets are what clients see change. Applied to the index fields of the JSON
("modifiedIndex", "createdIndex", "index"), the X-Etcd-Index header, in-order key names (20
digits), compare-failed causes ("[a != 5]"), etcdctl's error suffix (" [5]") and watch
--after-index arguments. Expiration times, TTLs left, X-Raft-Index and X-Raft-Term are
replaced by placeholders (they depend on the clock and on the raft log, not on the store), as
are the milliseconds of curl's timeout message (the stream watch ends on curl's -m).
"""
import re
import sys

text = sys.stdin.read()
m = re.search(r'^x-etcd-index: (\d+)$', text, re.M)
base = int(m.group(1)) if m else 0


def rel(n):
    return '<I%+d>' % (int(n) - base)


text = re.sub(r'"(modifiedIndex|createdIndex|index)":(\d+)',
              lambda m: '"%s":%s' % (m.group(1), rel(m.group(2))), text)
text = re.sub(r'^x-etcd-index: (\d+)$', lambda m: 'x-etcd-index: ' + rel(m.group(1)), text,
              flags=re.M)
text = re.sub(r'/(\d{20})\b', lambda m: '/' + rel(m.group(1)), text)
text = re.sub(r'!= (\d+)\]', lambda m: '!= %s]' % rel(m.group(1)), text)
text = re.sub(r' \[(\d+)\]$', lambda m: ' [%s]' % rel(m.group(1)), text, flags=re.M)
text = re.sub(r'(--after-index|waitIndex=)(\s?)(\d+)', lambda m: m.group(1) + m.group(2) + rel(m.group(3)), text)
text = re.sub(r'"expiration":"[^"]*"', '"expiration":"<EXPIRATION>"', text)
text = re.sub(r'"ttl":-?\d+', '"ttl":<TTL>', text)
text = re.sub(r'^x-raft-(index|term): \d+$', r'x-raft-\1: <N>', text, flags=re.M)
text = re.sub(r'(Operation timed out after )\d+( milliseconds)', r'\1<MS>\2', text)
sys.stdout.write(text)
