#!/usr/bin/env python3
"""Runs etcd 3.4's own end-to-end suite (go.etcd.io/etcd/tests/e2e) against a server binary.

The suite is compiled from Debian's golang-etcd-server-dev source (GOPATH mode, nothing
downloaded) into BUILD/e2e/e2e.test, the first time and whenever that source is newer. Each test
runs as its own `e2e.test -test.run ^Name$` process, in a fresh network and pid namespace when
we are root (the tests use fixed ports: 2379-2380, 10000-10012, 20000-20031, 23790), so nothing
can clash with another process on the machine and every process a test leaves behind dies with
its namespace.

    tests/e2e/run_e2e.py build/bin/etcdpp --list-file tests/e2e/passing.txt --retries 1
    tests/e2e/run_e2e.py build/bin/etcdpp --group kv --group txn
    tests/e2e/run_e2e.py build/bin/etcdpp --run 'TestCtlV3(Put|Get)NoTLS'
    tests/e2e/run_e2e.py --list                       # group<TAB>test for all 243

With --list-file every named test must exist in the suite and pass (a retry absorbs a one-off
flake; a regression fails every attempt). Exit status: 0 when nothing failed, 1 otherwise, 2 on
usage or setup errors. Output: one line per test, a per-group table, then
"N passed, N failed, N skipped".
"""

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GOPATH = "/usr/share/gocode"
ETCD_SRC = os.path.join(GOPATH, "src/go.etcd.io/etcd")
PACKAGE = "go.etcd.io/etcd/tests/e2e"

# Feature group of each test: the first pattern that matches names it.
GROUPS = [
    (r"TestCtlV2Backup", "v2-backup-datadir"),
    (r"TestCtlV2", "v2-etcdctl"),
    (r"TestV2Curl", "v2-curl"),
    (r"TestCtlV3Alarm$", "alarm"),
    (r"TestCtlV3AuthCertCN", "auth-cert-cn"),
    (r"TestCtlV3Auth.*JWT", "auth-jwt"),
    (r"TestCtlV3Auth", "auth"),
    (r"TestCtlV3User", "user"),
    (r"TestCtlV3Role", "role"),
    (r"TestCtlV3Compact", "compaction"),
    (r"TestCtlV3Defrag$", "defrag"),
    (r"TestCtlV3Elect$", "elect"),
    (r"TestCtlV3Lock$", "lock"),
    (r"TestCtlV3Endpoint", "endpoint"),
    (r"TestCtlV3GetRevokedCRL$", "tls-crl"),
    (r"TestCtlV3(Put|Get|Del)", "kv"),
    (r"TestCtlV3Txn", "txn"),
    (r"TestCtlV3Watch", "watch"),
    (r"TestCtlV3Lease", "lease"),
    (r"TestCtlV3Member", "member"),
    (r"TestCtlV3MoveLeader", "move-leader"),
    (r"TestCtlV3MakeMirror", "make-mirror"),
    (r"TestCtlV3Migrate$", "migrate-datadir"),
    (r"TestCtlV3Snapshot|TestIssue6361$", "snapshot"),
    (r"TestCtlV3Version$|TestCtlV3DialWithHTTPScheme$", "ctl-misc"),
    (r"TestEtcd(ExampleConfig|MultiPeer|UnixPeers)$", "server-startup"),
    (r"TestEtcdPeer(CN|Name)Auth$", "peer-tls-auth"),
    (r"TestGrpcproxy", "grpc-proxy"),
    (r"TestGateway$", "gateway"),
    (r"TestEtcdCorruptHash$", "corruption-check"),
    (r"TestReleaseUpgrade", "release-upgrade"),
    (r"TestV3Metrics", "metrics"),
    (r"TestV3CurlCipherSuites", "tls-cipher-suites"),
    (r"TestV3Curl_MaxStreams", "grpc-gateway-maxstreams"),
    (r"TestV3CurlLease", "grpc-gateway-lease"),
    (r"TestV3Curl", "grpc-gateway-curl"),
]

# Upstream, TestCtlV3Migrate passes only because TestCtlV2Set ran before it in the same process
# (it turns v2 on in the shared configuration the migrate test then uses): run the two together.
PRELUDES = {"TestCtlV3Migrate": "TestCtlV2Set"}


def group_of(test):
    for pattern, group in GROUPS:
        if re.match(pattern, test):
            return group
    return "other"


def newest_mtime(tree):
    newest = 0.0
    for dirpath, _, files in os.walk(tree):
        for name in files:
            if name.endswith(".go"):
                newest = max(newest, os.path.getmtime(os.path.join(dirpath, name)))
    return newest


def build_suite(out):
    """Compiles the suite into `out` unless it is already newer than the source."""
    if not os.path.isdir(os.path.join(GOPATH, "src", PACKAGE)):
        sys.exit("run_e2e: %s missing: install golang-etcd-server-dev (scripts/install-deps.sh)"
                 % os.path.join(GOPATH, "src", PACKAGE))
    if shutil.which("go") is None:
        sys.exit("run_e2e: the Go compiler is missing: install golang-go (scripts/install-deps.sh)")
    if os.path.exists(out) and os.path.getmtime(out) >= newest_mtime(ETCD_SRC):
        return
    work = os.path.dirname(out)
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOPROXY="off", GOFLAGS="",
               GOSUMDB="off", GOCACHE=os.path.join(work, "gocache"), CGO_ENABLED="0")
    print("run_e2e: building %s -> %s" % (PACKAGE, out), file=sys.stderr, flush=True)
    # From a directory outside the read-only source tree: in GOPATH mode the import path selects
    # the package.
    subprocess.run(["go", "test", "-c", "-o", out, PACKAGE], cwd=work, env=env, check=True)


def list_suite(test_bin, pattern):
    out = subprocess.run([test_bin, "-test.list", pattern], check=True, capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if line.startswith("Test")]


def can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "--net", "--pid", "--fork", "--kill-child", "true"],
                          capture_output=True).returncode == 0


def make_run_dir(candidate, etcdctl):
    """The layout the tests expect: a bin dir with `etcd` and `etcdctl`, and a working directory
    two levels under a root that holds integration/fixtures and etcd.conf.yml.sample."""
    run = tempfile.mkdtemp(prefix="etcdpp-e2e.")
    os.makedirs(os.path.join(run, "bin"))
    os.makedirs(os.path.join(run, "src/tests/e2e"))
    os.makedirs(os.path.join(run, "src/integration"))
    os.symlink(candidate, os.path.join(run, "bin/etcd"))
    os.symlink(etcdctl, os.path.join(run, "bin/etcdctl"))
    os.symlink(os.path.join(ETCD_SRC, "integration/fixtures"),
               os.path.join(run, "src/integration/fixtures"))
    shutil.copy(os.path.join(HERE, "fixtures/etcd.conf.yml.sample"), os.path.join(run, "src"))
    return run


class Runner:
    def __init__(self, args, test_bin, run_dir, netns):
        self.args = args
        self.test_bin = test_bin
        self.run_dir = run_dir
        self.netns = netns
        self.cwd = os.path.join(run_dir, "src/tests/e2e")
        # Neither the servers nor the clients may see the caller's etcd settings.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("ETCD_", "ETCDCTL_"))}

    def attempt(self, test, attempt, limit):
        """Runs one attempt; returns (status, seconds, reason)."""
        log_path = os.path.join(self.args.logdir,
                                test + (".retry%d" % attempt if attempt else "") + ".log")
        tmp = os.path.join(self.run_dir, "tmp", test)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        prelude = PRELUDES.get(test)
        pattern = "^(%s|%s)$" % (prelude, test) if prelude else "^%s$" % test
        cmd = [self.test_bin, "-test.run", pattern, "-test.v", "-test.count=1",
               "-test.timeout", "%ds" % limit, "-bin-dir", os.path.join(self.run_dir, "bin"),
               "-cert-dir", os.path.join(self.run_dir, "src/integration/fixtures")]
        if self.netns:
            cmd = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--", "sh", "-c",
                   'ip link set lo up || exit 97; exec "$@"', "sh"] + cmd
        env = dict(self.env, TMPDIR=tmp)
        start = time.monotonic()
        with open(log_path, "wb") as log:
            # Its own session, so that a test that outlives its limit is killed with every
            # process it started (outside a namespace too).
            proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc = proc.wait(timeout=limit + 30)
            except subprocess.TimeoutExpired:
                rc = None
            # The tests leave servers behind on failure: end the whole session either way.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if rc is None:
                proc.wait()
        seconds = time.monotonic() - start
        with open(log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        if not self.args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        for leftover in os.listdir(self.cwd):  # data dirs the tests make in their working dir
            path = os.path.join(self.cwd, leftover)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)
        if self.args.verbose:
            sys.stdout.write(text)
        return self.verdict(test, prelude, text, rc, limit) + (seconds,)

    @staticmethod
    def verdict(test, prelude, text, rc, limit):
        results = re.findall(r"^--- (PASS|FAIL|SKIP): %s " % re.escape(test), text, re.M)
        status = results[-1] if results else "FAIL"
        reason = ""
        if not results:
            if rc is None or "panic: test timed out" in text:
                reason = "timeout after %ds" % limit
            elif rc == 97:
                reason = "could not bring up loopback in the network namespace"
            else:
                reason = "no result line (exit %s)" % rc
        if prelude and status != "PASS" and ("--- PASS: %s " % prelude) not in text:
            reason = (reason + "; " if reason else "") + "prelude %s did not pass" % prelude
        if status != "PASS":
            # The first assertion message of the test's own files, as the reason.
            for line in text.splitlines():
                m = re.match(r"^\s+([a-z0-9_]+\.go:\d+: .*)", line)
                if m and "util.go" not in line:
                    reason = (reason + "; " if reason else "") + m.group(1).strip()[:200]
                    break
        elif rc not in (0, None):
            reason = "test passed; binary exit %s" % rc
        return status, reason


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("candidate", nargs="?", default="/usr/bin/etcd",
                        help="the server binary under test (default: the reference etcd)")
    parser.add_argument("--run", default=".*", help="tests matching this Go -test.run regex")
    parser.add_argument("--skip", default="", help="leave out tests matching this regex")
    parser.add_argument("--group", action="append", default=[], help="one feature group")
    parser.add_argument("--list-file", help="exactly the tests named in this file (# comments)")
    parser.add_argument("--timeout", type=int, default=90, help="seconds per test (default 90)")
    parser.add_argument("--total", type=int, default=3600,
                        help="whole-run budget in seconds; tests not started in time fail")
    parser.add_argument("--retries", type=int, default=0, help="more attempts for a failed test")
    parser.add_argument("--logdir", help="per-test logs and results.tsv (default: a temp dir)")
    parser.add_argument("--build-dir", default=os.environ.get("ETCDPP_BUILD_DIR",
                                                              os.path.join(ROOT, "build")),
                        help="where e2e/e2e.test is built (default: build/)")
    parser.add_argument("--etcdctl", default=os.environ.get("ETCDCTL", "/usr/bin/etcdctl"),
                        help="the etcdctl the tests run (default: the stock one)")
    parser.add_argument("--no-netns", action="store_true",
                        help="run in the host's namespaces (the fixed ports must be free)")
    parser.add_argument("--keep", action="store_true", help="keep the tests' temp dirs")
    parser.add_argument("--list", action="store_true", help="print group<TAB>test and exit")
    parser.add_argument("--build-only", action="store_true", help="build the suite and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each test's output")
    args = parser.parse_args()

    test_bin = os.path.join(args.build_dir, "e2e", "e2e.test")
    build_suite(test_bin)
    if args.build_only:
        print(test_bin)
        return 0

    suite = list_suite(test_bin, args.run)
    if args.list_file:
        with open(args.list_file) as f:
            wanted = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        unknown = sorted(set(wanted) - set(list_suite(test_bin, ".*")))
        if unknown:
            print("run_e2e: %s names tests the suite does not have: %s"
                  % (args.list_file, " ".join(unknown)), file=sys.stderr)
            return 2
        suite = [t for t in suite if t in set(wanted)]
    tests = [t for t in suite
             if not (args.skip and re.search(args.skip, t))
             and (not args.group or group_of(t) in args.group)]
    if args.list:
        for t in tests:
            print("%s\t%s" % (group_of(t), t))
        return 0
    if not tests:
        print("run_e2e: no tests match", file=sys.stderr)
        return 2

    candidate = os.path.realpath(args.candidate)
    etcdctl = os.path.realpath(args.etcdctl)
    for path, what in ((candidate, "server"), (etcdctl, "etcdctl")):
        if not os.access(path, os.X_OK):
            print("run_e2e: the %s %s is not executable" % (what, path), file=sys.stderr)
            return 2
    netns = not args.no_netns and can_unshare()
    if not netns and not args.no_netns:
        print("run_e2e: cannot make network namespaces (needs root, unshare and ip): running in "
              "the host's; the tests' fixed ports must be free", file=sys.stderr)
    run_dir = make_run_dir(candidate, etcdctl)
    args.logdir = os.path.abspath(args.logdir or os.path.join(run_dir, "logs"))
    os.makedirs(args.logdir, exist_ok=True)
    runner = Runner(args, test_bin, run_dir, netns)

    print("# etcd 3.4 e2e: candidate=%s etcdctl=%s tests=%d per-test=%ds netns=%s logs=%s"
          % (candidate, etcdctl, len(tests), args.timeout, "yes" if netns else "no",
             args.logdir), flush=True)
    counts = collections.Counter()
    per_group = collections.defaultdict(collections.Counter)
    failed = []
    start = time.monotonic()
    try:
        with open(os.path.join(args.logdir, "results.tsv"), "w") as results:
            results.write("test\tgroup\tstatus\tseconds\treason\n")
            for test in tests:
                attempt = 0
                while True:
                    left = args.total - (time.monotonic() - start)
                    if left < 10:
                        status, reason, seconds = ("FAIL", "not run: the %ds budget is spent"
                                                   % args.total, 0.0)
                        break
                    status, reason, seconds = runner.attempt(test, attempt,
                                                             int(min(args.timeout, left)))
                    if status != "FAIL" or attempt >= args.retries:
                        break
                    attempt += 1
                    first = reason
                    print("      %s failed (%s); retrying" % (test, first[:120]), flush=True)
                if status == "PASS" and attempt:
                    reason = "flaky: passed on attempt %d" % (attempt + 1)
                group = group_of(test)
                counts[status] += 1
                per_group[group][status] += 1
                if status == "FAIL":
                    failed.append(test)
                print("%-4s  %-52s (%6.1fs)%s" % (status, test, seconds,
                                                   "  " + reason if reason else ""), flush=True)
                results.write("%s\t%s\t%s\t%.1f\t%s\n" % (test, group, status, seconds, reason))
    finally:
        if not args.keep:
            shutil.rmtree(os.path.join(run_dir, "tmp"), ignore_errors=True)
            for sub in ("bin", "src"):
                shutil.rmtree(os.path.join(run_dir, sub), ignore_errors=True)

    print("# per group (passed/total):")
    for group in sorted(per_group):
        c = per_group[group]
        total = sum(c.values())
        print("#   %-26s %3d/%-3d%s" % (group, c["PASS"], total,
                                       "  (%d skipped)" % c["SKIP"] if c["SKIP"] else ""))
    print("# wall time %ds; logs and results.tsv in %s" % (time.monotonic() - start, args.logdir))
    if failed:
        print("# failed: " + " ".join(failed))
    print("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
