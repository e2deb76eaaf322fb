// Fuzzes the apply path of committed requests (src/server/apply/): the input is a sequence of
// length-delimited internalpb.InternalRequest messages, the data of consecutive raft entries.
// Each is decoded as Applier::Execute decodes it and applied, at the next index, through the
// server's own chain (auth check, alarm gate, backend applier; etcd_server.cc BuildApplier) to a
// real backend, mvcc store, lessor, auth store, alarm store and v2 store, fresh for every input
// (so an input reproduces alone). A transaction is also judged by CheckTxnRequest, as the KV
// service does before proposing. The applier must answer every request with a status, never
// crash: a committed entry may come from a member of another version.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "auth/store.h"
#include "backend/backend.h"
#include "common/env.h"
#include "common/no_sync_env.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "internalpb/internal.pb.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"
#include "server/apply/alarm_apply.h"
#include "server/apply/applier_v3.h"
#include "server/apply/auth_apply.h"
#include "server/apply/kv_apply.h"
#include "server/apply/lease_apply.h"
#include "server/apply/v2_apply.h"

namespace etcdpp::server {
namespace {

constexpr int64_t kMaxTxnOps = 128;  // etcd's --max-txn-ops default
constexpr int kMaxRequests = 64;     // per input: keeps one run short

// The stores of one member and its applier chain, in a fresh directory.
struct Member {
  std::unique_ptr<backend::Backend> be;
  std::unique_ptr<mvcc::KvStore> kv;
  std::unique_ptr<KvApplier> kv_applier;
  std::unique_ptr<lease::Lessor> lessor;
  std::unique_ptr<LeaseApplier> lease_applier;
  std::unique_ptr<auth::AuthStore> auth;
  std::unique_ptr<AuthApplier> auth_applier;
  std::unique_ptr<AlarmStore> alarms;
  std::unique_ptr<AlarmApplier> alarm_applier;
  std::unique_ptr<V2Store> v2;
  std::unique_ptr<BackendApplier> backend_applier;
  std::unique_ptr<AlarmGateApplier> alarm_gate;
  std::unique_ptr<AuthCheckApplier> top;
};

// Aborts on a set-up failure: that is the harness's fault, not the input's.
void Must(const absl::Status& st) {
  if (!st.ok()) {
    std::fprintf(stderr, "internal_request_fuzzer: set-up failed: %s\n", st.ToString().c_str());
    std::abort();
  }
}
template <typename T>
T Must(absl::StatusOr<T> v) {
  Must(v.status());
  return *std::move(v);
}

// Nothing is fsynced: durability is not what this target checks, and a run is I/O-bound
// otherwise.
Env* FuzzEnv() {
  static NoSyncEnv* const env = new NoSyncEnv(Env::Default());
  return env;
}

std::unique_ptr<Member> OpenMember(const std::string& dir) {
  auto m = std::make_unique<Member>();
  backend::Options bo;
  bo.dir = dir;
  bo.env = FuzzEnv();
  bo.no_sync = true;
  bo.background_commits = false;
  bo.map_size = size_t{256} << 20;
  m->be = Must(backend::Backend::Open(bo));
  m->kv = Must(mvcc::KvStore::Open(m->be.get()));
  m->kv_applier = std::make_unique<KvApplier>(m->kv.get());
  m->lessor = Must(lease::Lessor::Open(m->be.get(), lease::Options{}));
  m->lease_applier = std::make_unique<LeaseApplier>(m->kv.get(), m->lessor.get());
  m->kv_applier->SetLessor(m->lessor.get());
  m->auth = Must(auth::AuthStore::Open(m->be.get(), absl::Minutes(5)));
  m->auth_applier = std::make_unique<AuthApplier>(m->kv.get(), m->auth.get());
  m->alarms = std::make_unique<AlarmStore>(m->be.get());
  Must(m->alarms->Load());
  m->alarm_applier = std::make_unique<AlarmApplier>(m->kv.get(), m->alarms.get());
  m->v2 = std::make_unique<V2Store>(m->be.get());
  Must(m->v2->Load());
  m->backend_applier = std::make_unique<BackendApplier>(
      m->kv_applier.get(), m->lease_applier.get(), m->auth_applier.get(), m->alarm_applier.get(),
      [](const internalpb::MemberAttributes&) {}, m->kv.get(), m->v2.get());
  m->alarm_gate = std::make_unique<AlarmGateApplier>(m->backend_applier.get(), m->alarms.get());
  m->top = std::make_unique<AuthCheckApplier>(m->alarm_gate.get(), m->auth.get(), m->lessor.get());
  return m;
}

// Closes in reverse order of opening.
void CloseMember(std::unique_ptr<Member> m) {
  m->top.reset();
  m->alarm_gate.reset();
  m->backend_applier.reset();
  m->v2.reset();
  m->alarm_applier.reset();
  m->alarms.reset();
  m->auth_applier.reset();
  m->auth.reset();
  m->lease_applier.reset();
  m->lessor.reset();
  m->kv_applier.reset();
  m->kv.reset();
  m->be.reset();
}

const std::string& ScratchDir() {
  static const std::string dir = [] {
    // In memory where there is a tmpfs: the stores are made afresh for every input.
    const char* base = std::getenv("TMPDIR");
    if (base == nullptr) base = Env::Default()->IsDirectory("/dev/shm") ? "/dev/shm" : "/tmp";
    return JoinPath(base, absl::StrCat("etcdpp_internal_request_fuzzer_", ::getpid()));
  }();
  return dir;
}

}  // namespace
}  // namespace etcdpp::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace etcdpp::server;  // NOLINT(build/namespaces): a fuzz entry point
  const std::string& dir = ScratchDir();
  Must(FuzzEnv()->RemoveAll(dir));
  std::unique_ptr<Member> m = OpenMember(dir);
  google::protobuf::io::CodedInputStream in(data, static_cast<int>(size));
  uint64_t index = 0;
  for (int i = 0; i < kMaxRequests; ++i) {
    etcdpp::internalpb::InternalRequest req;
    bool clean_eof = false;
    if (!google::protobuf::util::ParseDelimitedFromCodedStream(&req, &in, &clean_eof)) break;
    ++index;
    if (req.has_txn()) (void)CheckTxnRequest(req.txn(), kMaxTxnOps);
    ApplyResult r = ApplyRequest(m->top.get(), req, index);
    if (r.wait_physical) r.wait_physical();  // a compaction finishes before the stores close
  }
  CloseMember(std::move(m));
  return 0;
}
