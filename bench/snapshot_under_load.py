#!/usr/bin/env python3
"""bench/snapshot_under_load.py: `etcdctl snapshot save` of a large member under load, etcdpp
against the reference etcd (issue 15's benchmark).

For each system, alternating over --rounds rounds (a fresh single-member server each time):

  1. fill: --keys keys of --val-size bytes (1,000,000 x 1 KiB by default: about 1 GiB of live
     data);
  2. load: `etcdpp-bench put` (10 connections, 100 clients, 256 B values on other keys) paced at
     --rate puts/s for --load-seconds, once as a baseline and once with a snapshot;
  3. --save-after seconds into the second load, stock `etcdctl snapshot save`, timed, while the
     server's RSS (total and anonymous) is sampled every 20 ms.

Prints per system and round: the save's duration and file size, the server's extra RSS during
the save (the peak above the level just before it; anonymous memory is the heap, the rest is
the mapped database file, which the kernel may drop at will), and the put latencies (p99 and max
over the load that contains the save) beside the baseline's. Compare systems within one run.

  bench/snapshot_under_load.py                        # 1 GiB, 1 round
  bench/snapshot_under_load.py --keys 100000          # a quick look
"""

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import defrag_under_load as du  # noqa: E402  (Server, bench: the same harness)


def rss_kib(pid):
    total = anon = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                total = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1])
    return total, anon


def fill(srv, keys, val_size):
    du.bench(srv.endpoint, ["put", "--total", str(keys), "--key-size", "8", "--val-size",
                            str(val_size), "--key-space-size", str(keys), "--sequential-keys"])


def load(srv, seconds, save_after, rate, snap_path):
    results = {}

    def run():
        results["put"] = du.bench(srv.endpoint, [
            "put", "--duration", str(seconds), "--rate", str(rate), "--key-size", "8",
            "--val-size", "256", "--key-space-size", "100000", "--key-prefix", "load/"])

    t = threading.Thread(target=run)
    t.start()
    save = None
    if save_after is not None:
        time.sleep(save_after)
        base_total, base_anon = rss_kib(srv.proc.pid)
        peak = [base_total, base_anon]
        done = threading.Event()

        def sample():
            while not done.is_set():
                tot, an = rss_kib(srv.proc.pid)
                peak[0] = max(peak[0], tot)
                peak[1] = max(peak[1], an)
                time.sleep(0.02)

        s = threading.Thread(target=sample)
        s.start()
        start = time.time()
        srv.ctl(["snapshot", "save", snap_path])
        took = time.time() - start
        done.set()
        s.join()
        save = {"seconds": round(took, 3), "bytes": os.path.getsize(snap_path),
                "extra_rss_mib": round((peak[0] - base_total) / 1024, 1),
                "extra_anon_mib": round((peak[1] - base_anon) / 1024, 1),
                "rss_before_mib": round(base_total / 1024, 1)}
        os.remove(snap_path)
    t.join()
    return results["put"], save


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--etcdpp", default=os.path.join(du.ROOT, "build", "bin", "etcdpp"))
    ap.add_argument("--etcd", default="/usr/bin/etcd")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--val-size", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--load-seconds", type=int, default=30)
    ap.add_argument("--save-after", type=float, default=3.0)
    ap.add_argument("--rate", type=int, default=2000, help="puts/s of the load")
    ap.add_argument("--base-dir", default=os.path.join(du.ROOT, "build"))
    args = ap.parse_args()
    rows = []
    for r in range(args.rounds):
        for name, binary in (("etcdpp", args.etcdpp), ("etcd", args.etcd)):
            srv = du.Server(binary, args.base_dir)
            try:
                du.log(f"round {r + 1} {name}: filling {args.keys} keys x {args.val_size} B")
                fill(srv, args.keys, args.val_size)
                db_size = int(srv.status()["dbSize"])
                du.log(f"round {r + 1} {name}: baseline load")
                base, _ = load(srv, args.load_seconds, None, args.rate, None)
                du.log(f"round {r + 1} {name}: load with a snapshot save")
                res, save = load(srv, args.load_seconds, args.save_after, args.rate,
                                 os.path.join(srv.dir, "snap.db"))
            finally:
                srv.stop()
            row = {"system": name, "round": r + 1, "db_size": db_size, "save": save,
                   "put": {k: res[k] for k in ("rps", "p99_ms", "max_ms", "errors")},
                   "baseline_put": {k: base[k] for k in ("rps", "p99_ms", "max_ms")}}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'system':8} {'db MiB':>7} {'save s':>7} {'snap MiB':>9} {'+RSS MiB':>9} "
          f"{'+anon MiB':>10} {'put p99':>8} {'put max':>8} {'(baseline p99/max)':>19}")
    for row in rows:
        s = row["save"]
        print(f"{row['system']:8} {row['db_size'] / 2**20:7.0f} {s['seconds']:7.2f} "
              f"{s['bytes'] / 2**20:9.0f} {s['extra_rss_mib']:9.1f} {s['extra_anon_mib']:10.1f} "
              f"{row['put']['p99_ms']:8.1f} {row['put']['max_ms']:8.1f} "
              f"{row['baseline_put']['p99_ms']:9.1f}/{row['baseline_put']['max_ms']:.1f}")


if __name__ == "__main__":
    main()
