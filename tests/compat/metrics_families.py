#!/usr/bin/python3
"""metrics_families.py OURS_DIR REFERENCE_DIR

Compares the metric families that /metrics scrapes of two clusters expose (issue 22,
acceptance 4). Each directory holds one `<member>.metrics` file per member, scraped after the
same workload. Both sides are parsed with Prometheus' own text-format parser
(python3-prometheus-client); a side it cannot parse fails the check.

Per family, over the union of a side's members: the type, the label names of its samples
(without `le`) and, for histograms, the bucket bounds. Fails (exit 1) if a family of the
reference is missing from ours or differs, unless LEFT_OUT names it; if ours exports a family
LEFT_OUT says it leaves out; if a counter or histogram etcd moved during the workload stayed at
zero in ours (TIMING lists the ones that depend on load); if a family the alert rules and
dashboard read is missing (REQUIRED); or if ours exports a family under `etcd_` (or one of the
other prefixes etcd's process exports) that etcd 3.4 does not have.
"""

import glob
import os
import sys

from prometheus_client.parser import text_string_to_metric_families

# The families of etcd 3.4's /metrics that have no meaning in etcdpp, each with the reason.
# docs/compatibility.md ("/metrics") repeats this list.
LEFT_OUT_PREFIXES = {
    # Go runtime statistics (client_golang's Go collector): etcdpp is not a Go program.
    "go_": "Go runtime statistics; etcdpp is not a Go program",
}
LEFT_OUT = {
    "etcd_server_go_version": "the Go version the server was built with; no Go here",
    # etcd's v2 store (package init registers them; they count v2 API requests and TTL expiry
    # of v2 keys). etcdpp serves no v2 API and has no v2 store.
    "etcd_debugging_store_expires_total": "v2 store; etcdpp has no v2 API",
    "etcd_debugging_store_reads_total": "v2 store; etcdpp has no v2 API",
    "etcd_debugging_store_watch_requests_total": "v2 store; etcdpp has no v2 API",
    "etcd_debugging_store_watchers": "v2 store; etcdpp has no v2 API",
    "etcd_debugging_store_writes_total": "v2 store; etcdpp has no v2 API",
    # bbolt's commit phases: LMDB's commit has no rebalance or spill phase and writes its pages
    # inside one mdb_txn_commit, so only the whole commit is timed
    # (etcd_disk_backend_commit_duration_seconds).
    "etcd_debugging_disk_backend_commit_rebalance_duration_seconds": "bbolt commit phase",
    "etcd_debugging_disk_backend_commit_spill_duration_seconds": "bbolt commit phase",
    "etcd_debugging_disk_backend_commit_write_duration_seconds": "bbolt commit phase",
    # The grpc-proxy's cache and watch coalescing: etcd's member exports them (Go package
    # init) but only `etcd grpc-proxy` moves them; an etcdpp member has no proxy cache.
    "etcd_grpc_proxy_cache_hits_total": "grpc-proxy cache; a member has none",
    "etcd_grpc_proxy_cache_keys_total": "grpc-proxy cache; a member has none",
    "etcd_grpc_proxy_cache_misses_total": "grpc-proxy cache; a member has none",
    "etcd_grpc_proxy_events_coalescing_total": "grpc-proxy watch coalescing; a member has none",
    "etcd_grpc_proxy_watchers_coalescing_total": "grpc-proxy watch coalescing; a member has none",
}

# Families etcd 3.4 registers that appear only after an event (a labelled vector gets its first
# series then: a failure, a snapshot transfer, a learner promotion, a v2 request): either side
# may show one the other does not (when both do, they are compared).
CONDITIONAL = {
    "etcd_server_learner_promote_failures",
    "etcd_network_peer_sent_failures_total",
    "etcd_network_peer_received_failures_total",
    "etcd_network_server_stream_failures_total",
    "etcd_network_disconnected_peers_total",
    "etcd_network_snapshot_send_success",
    "etcd_network_snapshot_send_failures",
    "etcd_network_snapshot_send_inflights_total",
    "etcd_network_snapshot_send_total_duration_seconds",
    "etcd_network_snapshot_receive_success",
    "etcd_network_snapshot_receive_failures",
    "etcd_network_snapshot_receive_inflights_total",
    "etcd_network_snapshot_receive_total_duration_seconds",
    "etcd_network_peer_round_trip_time_seconds",  # etcd's prober reports every 30 s
    "grpc_server_handling_seconds",  # --metrics=extensive
}

# Families that etcd's published alert rules and Grafana dashboard (Documentation/op-guide)
# read and that must exist in ours after the workload, whatever etcd showed: the send failures
# appear once a member is stopped (the script stops one and scrapes the others again). (The v2
# API's etcd_http_* of the alert rules are left out above: no v2 API. Receive failures,
# etcd_network_peer_received_failures_total, count undecodable or dropped incoming messages,
# which this workload does not make.)
REQUIRED = {
    "etcd_server_has_leader",
    "etcd_server_leader_changes_seen_total",
    "etcd_server_proposals_failed_total",
    "etcd_server_proposals_pending",
    "etcd_server_proposals_committed_total",
    "etcd_server_proposals_applied_total",
    "etcd_server_quota_backend_bytes",
    "etcd_disk_wal_fsync_duration_seconds",
    "etcd_disk_backend_commit_duration_seconds",
    "etcd_mvcc_db_total_size_in_bytes",
    "etcd_mvcc_db_total_size_in_use_in_bytes",
    "etcd_network_peer_round_trip_time_seconds",
    "etcd_network_peer_sent_bytes_total",
    "etcd_network_peer_received_bytes_total",
    "etcd_network_peer_sent_failures_total",
    "etcd_network_disconnected_peers_total",
    "etcd_network_client_grpc_sent_bytes_total",
    "etcd_network_client_grpc_received_bytes_total",
    "grpc_server_started_total",
    "grpc_server_handled_total",
    "process_resident_memory_bytes",
}

# Counters and histograms whose movement depends on timing or load (a late heartbeat, a slow
# apply, a read index retried, a proposal or health check that failed): whether they moved in
# one run says nothing about the other side.
TIMING = {
    "etcd_server_heartbeat_send_failures_total",
    "etcd_server_slow_apply_total",
    "etcd_server_slow_read_indexes_total",
    "etcd_server_read_indexes_failed_total",
    "etcd_server_proposals_failed_total",
    "etcd_server_health_failures",
    "etcd_network_peer_received_failures_total",
    "etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds",
    "promhttp_metric_handler_requests_total",
}

# Prefixes of names etcd's process owns; a family of ours under one of them must be etcd's.
ETCD_PREFIXES = ("etcd_", "grpc_", "process_", "os_", "promhttp_", "go_")


def left_out(name):
    if name in LEFT_OUT:
        return LEFT_OUT[name]
    for prefix, why in LEFT_OUT_PREFIXES.items():
        if name.startswith(prefix):
            return why
    return None


def load(directory):
    """{family: (type, label names, bucket bounds, moved)} over the members' scrapes of one
    side; moved: a counter or histogram that counted something on some member."""
    out = {}
    files = sorted(glob.glob(os.path.join(directory, "*.metrics")))
    if not files:
        raise SystemExit(f"metrics_families: no scrapes in {directory}")
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # The parser names a counter family without its "_total" (go_memstats_alloc_bytes_total
        # would meet the gauge go_memstats_alloc_bytes): key families by their TYPE lines.
        exposed = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, n, t = line.split(None, 3)
                exposed[(n[:-6] if t == "counter" and n.endswith("_total") else n, t)] = n
        try:
            families = list(text_string_to_metric_families(text))
        except Exception as e:  # the parser raises ValueError and others on bad input
            raise SystemExit(f"metrics_families: Prometheus' parser rejects {path}: {e}")
        for fam in families:
            name = exposed.get((fam.name, fam.type), fam.name)
            typ, labels, buckets, moved = out.get(name, (fam.type, set(), set(), False))
            if typ != fam.type:
                raise SystemExit(f"metrics_families: {path}: {name} is {fam.type}, "
                                 f"another member says {typ}")
            for s in fam.samples:
                labels |= set(s.labels) - {"le"}
                if fam.type == "histogram" and s.name.endswith("_bucket"):
                    buckets.add(float(s.labels["le"]))
                if s.value > 0 and (fam.type == "counter" and not s.name.endswith("_created")
                                    or fam.type == "histogram" and s.name.endswith("_count")):
                    moved = True
            out[name] = (typ, labels, buckets, moved)
    return out


def main():
    ours, ref = load(sys.argv[1]), load(sys.argv[2])
    problems = []
    compared = skipped = 0
    for name in sorted(ref):
        why = left_out(name)
        if why is not None:
            skipped += 1
            if name in ours:
                problems.append(f"{name}: left out ({why}) but ours exports it")
            continue
        if name not in ours and name in CONDITIONAL and name not in REQUIRED:
            continue  # its event happened on etcd's side only (e.g. a read cut by the stop)
        if name not in ours:
            problems.append(f"{name}: missing ({ref[name][0]}, labels {sorted(ref[name][1])})")
            continue
        compared += 1
        (rt, rl, rb, rm), (ot, ol, ob, om) = ref[name], ours[name]
        if rt != ot:
            problems.append(f"{name}: type {ot}, etcd's is {rt}")
        # A family without samples on one side (a vector nothing has touched yet) shows no
        # label names there; compare where both sides have samples.
        if rl and ol and rl != ol:
            problems.append(f"{name}: labels {sorted(ol)}, etcd's are {sorted(rl)}")
        if rb and ob and rb != ob:
            problems.append(f"{name}: buckets {sorted(ob)}, etcd's are {sorted(rb)}")
        # The same workload: what etcd counted, ours counts too (its code path is fed).
        if rm and not om and name not in TIMING:
            problems.append(f"{name}: counted nothing; etcd's counted the same workload")
    for name in sorted(REQUIRED - set(ours)):
        problems.append(f"{name}: missing (read by etcd's alert rules or dashboard)")
    for name in sorted(ours):
        if name.startswith(ETCD_PREFIXES) and name not in ref and name not in CONDITIONAL:
            problems.append(f"{name}: ours only, under a prefix of etcd's (use etcdpp_)")
    print(f"metrics_families: {len(ref)} families in etcd's scrapes, {compared} compared, "
          f"{skipped} left out, {len(ours)} in ours")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
