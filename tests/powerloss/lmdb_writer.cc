// lmdb_writer PATH [--count N] [--no-dir-sync] [--nosync]: opens the LMDB environment at PATH the
// way src/backend/backend.cc does (MDB_NOSUBDIR | MDB_NOTLS, 1 GiB map, named databases), then
// commits numbered write transactions, continuing after the last one the environment holds.
// After each commit returns it prints the transaction's number on a line of its own (flushed),
// so a test that SIGKILLs it knows which commits were acknowledged. Without --count it never
// stops on its own; with it, it stops after N commits and prints "elapsed <seconds>".
//
// Transaction i (see lmdb_schema.h): kv[Key(i)] = Value(i); when i % 3 == 0, kv[Key(i - 50)]
// deleted (so LMDB reuses freed pages: overwrites in place); idx[be64(i)] = Key(i);
// meta["last"] = i.
//
// On a fresh environment it fsyncs PATH's directory once the environment exists (the entry of
// the new file; LMDB never does), unless --no-dir-sync. --nosync opens with MDB_NOSYNC (no
// fdatasync, meta page through the ordinary descriptor): the control case that must lose data.

#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "lmdb_schema.h"

namespace {

using etcdpp::powerloss::lmdb_schema::BigEndian;
using etcdpp::powerloss::lmdb_schema::Key;
using etcdpp::powerloss::lmdb_schema::Value;

void Check(int rc, const char* what) {
  if (rc == 0) return;
  std::fprintf(stderr, "lmdb_writer: %s: %s\n", what, mdb_strerror(rc));
  std::exit(3);
}

MDB_val Val(const std::string& s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

void SyncParent(const std::string& path) {
  std::string dir = path.substr(0, path.rfind('/'));
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0 || close(fd) != 0) {
    std::perror("lmdb_writer: sync dir");
    std::exit(3);
  }
}

struct Env {
  MDB_env* env = nullptr;
  MDB_dbi kv = 0, idx = 0, meta = 0;
};

uint64_t Last(const Env& e) {
  MDB_txn* txn;
  Check(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn), "begin read");
  std::string key = "last";
  MDB_val k = Val(key), v;
  uint64_t last = 0;
  if (mdb_get(txn, e.meta, &k, &v) == 0)
    last =
        std::strtoull(std::string(static_cast<char*>(v.mv_data), v.mv_size).c_str(), nullptr, 10);
  mdb_txn_abort(txn);
  return last;
}

void Commit(const Env& e, uint64_t i) {
  MDB_txn* txn;
  Check(mdb_txn_begin(e.env, nullptr, 0, &txn), "begin");
  std::string key = Key(i), value = Value(i), be = BigEndian(i), last = std::to_string(i);
  MDB_val k = Val(key), v = Val(value);
  Check(mdb_put(txn, e.kv, &k, &v, 0), "put kv");
  if (i % 3 == 0 && i > 50) {
    std::string old = Key(i - 50);
    MDB_val ok = Val(old);
    int rc = mdb_del(txn, e.kv, &ok, nullptr);
    if (rc != MDB_NOTFOUND) Check(rc, "del kv");
  }
  MDB_val ik = Val(be), iv = Val(key);
  Check(mdb_put(txn, e.idx, &ik, &iv, 0), "put idx");
  std::string last_key = "last";
  MDB_val lk = Val(last_key), lv = Val(last);
  Check(mdb_put(txn, e.meta, &lk, &lv, 0), "put meta");
  Check(mdb_txn_commit(txn), "commit");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string path = argv[1];
  long count = -1;
  bool dir_sync = true;
  unsigned env_flags = MDB_NOSUBDIR | MDB_NOTLS;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc)
      count = std::atol(argv[++i]);
    else if (std::strcmp(argv[i], "--no-dir-sync") == 0)
      dir_sync = false;
    else if (std::strcmp(argv[i], "--nosync") == 0)
      env_flags |= MDB_NOSYNC;
    else
      return 2;
  }
  bool fresh = access(path.c_str(), F_OK) != 0;
  Env e;
  Check(mdb_env_create(&e.env), "create");
  Check(mdb_env_set_mapsize(e.env, size_t{1} << 30), "map size");
  Check(mdb_env_set_maxdbs(e.env, 8), "max dbs");
  Check(mdb_env_open(e.env, path.c_str(), env_flags, 0644), "open");
  MDB_txn* txn;
  Check(mdb_txn_begin(e.env, nullptr, 0, &txn), "begin dbs");
  Check(mdb_dbi_open(txn, "kv", MDB_CREATE, &e.kv), "open kv");
  Check(mdb_dbi_open(txn, "idx", MDB_CREATE, &e.idx), "open idx");
  Check(mdb_dbi_open(txn, "meta", MDB_CREATE, &e.meta), "open meta");
  Check(mdb_txn_commit(txn), "commit dbs");
  if (fresh && dir_sync) SyncParent(path);

  auto start = std::chrono::steady_clock::now();
  uint64_t first = Last(e) + 1;
  for (uint64_t i = first; count < 0 || i < first + static_cast<uint64_t>(count); ++i) {
    Commit(e, i);
    std::printf("%llu\n", static_cast<unsigned long long>(i));
    std::fflush(stdout);
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("elapsed %.6f\n", elapsed.count());
  mdb_env_close(e.env);
  return 0;
}
