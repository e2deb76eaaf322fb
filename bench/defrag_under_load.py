#!/usr/bin/env python3
"""bench/defrag_under_load.py: defragmenting a member under load, etcdpp against the reference etcd.

For each system, alternating over --rounds rounds (a fresh single-member server each time):

  1. fill: --keys keys of --val-size bytes, written twice (so the first versions become garbage),
     then a physical compaction at the last revision: about half of the file is free pages;
  2. load: `etcdpp-bench put` (10 connections, 100 clients, 256 B values on other keys) and
     `etcdpp-bench range` of one key (serializable, 10/100), each paced at --rate requests/s,
     for --load-seconds, side by side;
  3. --defrag-after seconds into the load, `Maintenance.Defragment` through the stock etcdctl,
     timed; file sizes (Status dbSize, dbSizeInUse) before and after.

Prints, per system and round: the defragmentation's duration, the file sizes, and the put and
range latencies (p99 and max over the whole load, which contains the defragmentation), plus
the same load without a defragmentation as a baseline. With the defaults the file is about
1 GiB before the defragmentation (500,000 keys x 1 KiB, twice). The machine's cores are
shared by the load and the server: compare systems within one run only.

  bench/defrag_under_load.py                       # 1 GiB, 1 round (~10 minutes)
  bench/defrag_under_load.py --keys 50000 --rounds 1   # a quick look
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bin", "etcdpp-bench")
ETCDCTL = "/usr/bin/etcdctl"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Server:
    def __init__(self, binary, base):
        self.dir = tempfile.mkdtemp(prefix="defrag-", dir=base)
        cp, pp = free_port(), free_port()
        self.endpoint = f"127.0.0.1:{cp}"
        args = [binary, "--name", "m", "--data-dir", os.path.join(self.dir, "data"),
                "--listen-client-urls", f"http://127.0.0.1:{cp}",
                "--advertise-client-urls", f"http://127.0.0.1:{cp}",
                "--listen-peer-urls", f"http://127.0.0.1:{pp}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{pp}",
                "--initial-cluster", f"m=http://127.0.0.1:{pp}",
                "--quota-backend-bytes", str(8 << 30)]
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.ctl(["put", "warm", "1"], check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{binary} did not start; see {self.dir}/log")

    def ctl(self, args, check=True, timeout=600):
        env = dict(os.environ, ETCDCTL_API="3")
        return subprocess.run([ETCDCTL, "--endpoints", self.endpoint,
                               "--command-timeout=600s"] + args,
                              env=env, capture_output=True, text=True, check=check,
                              timeout=timeout)

    def status(self):
        out = json.loads(self.ctl(["endpoint", "status", "-w", "json"]).stdout)[0]["Status"]
        return out

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def bench(endpoint, args):
    out = subprocess.run([BENCH, "--endpoints", endpoint, "--conns", "10", "--clients", "100",
                          "--json"] + args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fill(srv, keys, val_size):
    for _ in range(2):
        bench(srv.endpoint, ["put", "--total", str(keys), "--key-size", "8", "--val-size",
                             str(val_size), "--key-space-size", str(keys), "--sequential-keys"])
    rev = int(srv.status()["header"]["revision"])
    srv.ctl(["compact", str(rev), "--physical"])
    # etcd's compaction deletes in batches after answering; let both settle.
    time.sleep(2)


def load(srv, seconds, defrag_after, rate):
    """Runs the put and range loads; defragments `defrag_after` s in (None: not)."""
    results = {}

    def run(name, args):
        results[name] = bench(srv.endpoint, args)

    threads = [
        threading.Thread(target=run, args=("put", [
            "put", "--duration", str(seconds), "--rate", str(rate), "--key-size", "8",
            "--val-size", "256", "--key-space-size", "100000", "--key-prefix", "load/"])),
        threading.Thread(target=run, args=("range", [
            "range", "warm", "--consistency", "s", "--duration", str(seconds), "--rate",
            str(rate)])),
    ]
    for t in threads:
        t.start()
    defrag = None
    if defrag_after is not None:
        time.sleep(defrag_after)
        before = srv.status()
        start = time.time()
        srv.ctl(["defrag"])
        took = time.time() - start
        after = srv.status()
        defrag = {"seconds": round(took, 3), "db_size_before": before["dbSize"],
                  "db_size_after": after["dbSize"],
                  "in_use_before": before.get("dbSizeInUse"),
                  "in_use_after": after.get("dbSizeInUse")}
    for t in threads:
        t.join()
    return results, defrag


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--etcdpp", default=os.path.join(ROOT, "build", "bin", "etcdpp"))
    ap.add_argument("--etcd", default="/usr/bin/etcd")
    ap.add_argument("--keys", type=int, default=500000)
    ap.add_argument("--val-size", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--load-seconds", type=int, default=20)
    ap.add_argument("--defrag-after", type=float, default=3.0)
    ap.add_argument("--rate", type=int, default=2000,
                    help="puts/s and ranges/s of the load (each); below saturation, so the "
                         "latencies show the defragmentation, not queueing")
    ap.add_argument("--base-dir", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    rows = []
    for r in range(args.rounds):
        for name, binary in (("etcdpp", args.etcdpp), ("etcd", args.etcd)):
            srv = Server(binary, args.base_dir)
            try:
                log(f"round {r + 1} {name}: filling {args.keys} keys x {args.val_size} B twice")
                fill(srv, args.keys, args.val_size)
                log(f"round {r + 1} {name}: baseline load")
                base, _ = load(srv, args.load_seconds, None, args.rate)
                log(f"round {r + 1} {name}: load with a defragmentation")
                res, defrag = load(srv, args.load_seconds, args.defrag_after, args.rate)
            finally:
                srv.stop()
            row = {"system": name, "round": r + 1, "defrag": defrag,
                   "put": {k: res["put"][k] for k in ("rps", "p99_ms", "max_ms", "errors")},
                   "range": {k: res["range"][k] for k in ("rps", "p99_ms", "max_ms", "errors")},
                   "baseline_put": {k: base["put"][k] for k in ("rps", "p99_ms", "max_ms")},
                   "baseline_range": {k: base["range"][k] for k in ("rps", "p99_ms", "max_ms")}}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'system':8} {'defrag s':>9} {'size before':>12} {'size after':>11} "
          f"{'put max ms':>11} {'range max ms':>13} {'put p99':>8} {'range p99':>10} "
          f"{'(baseline put/range max)':>26}")
    for row in rows:
        d = row["defrag"]
        print(f"{row['system']:8} {d['seconds']:9.2f} {int(d['db_size_before']):12d} "
              f"{int(d['db_size_after']):11d} {row['put']['max_ms']:11.1f} "
              f"{row['range']['max_ms']:13.1f} {row['put']['p99_ms']:8.1f} "
              f"{row['range']['p99_ms']:10.1f} "
              f"{row['baseline_put']['max_ms']:12.1f}/{row['baseline_range']['max_ms']:.1f}")


if __name__ == "__main__":
    main()
