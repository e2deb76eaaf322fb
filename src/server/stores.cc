#include "server/stores.h"

#include <cmath>

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/status.h"
#include "server/metrics/metrics.h"
#include "server/test_hooks.h"

namespace etcdpp::server {
namespace {

// etcd: leases live at least 1.5 election timeouts (in heartbeat ticks), rounded up to seconds.
int64_t MinLeaseTtl(const Config& cfg) {
  const uint64_t hb = std::max<uint64_t>(1, cfg.heartbeat_interval_ms);
  const uint64_t election_ticks = cfg.election_timeout_ms / hb;
  const double min_ms = static_cast<double>((3 * election_ticks) / 2 * hb);
  return static_cast<int64_t>(std::ceil(min_ms / 1000.0));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Stores>> OpenStores(const Config& cfg, Env* env,
                                                   std::string member_dir) {
  auto s = std::make_unique<Stores>();
  s->env = env;
  s->member_dir = std::move(member_dir);
  s->dedicated_wal_dir = cfg.wal_dir;
  // Each directory made here is durable in its parent before anything is written inside.
  RETURN_NOT_OK(env->CreateDirsSynced(s->snap_dir()));
  backend::Options bo;
  bo.dir = s->snap_dir();
  bo.env = env;
  bo.no_sync = cfg.unsafe_no_fsync;
  bo.batch_interval = absl::Milliseconds(cfg.backend_batch_interval_ms);
  bo.batch_limit = static_cast<size_t>(cfg.backend_batch_limit);
  bo.on_commit = [](absl::Duration d) { Metrics::Get().BackendCommit(d); };
  if (const std::string& at = GetTestHooks().defrag_pause; !at.empty()) {
    bo.on_defrag_point = [at](backend::DefragPoint p) {
      static const char* const kNames[] = {"copied", "synced", "renamed"};
      const char* name = kNames[static_cast<int>(p)];
      if (at != name) return;
      std::fprintf(stderr, "defrag paused at %s\n", name);
      std::fflush(stderr);
      std::this_thread::sleep_for(std::chrono::seconds(60));
    };
  }
  ASSIGN_OR_RETURN(s->backend, backend::Backend::Open(bo));
  mvcc::CompactionReport report;
  report.index_pause = [](absl::Duration d) { Metrics::Get().IndexCompactionPause(d); };
  report.db_pause = [](absl::Duration d) { Metrics::Get().DbCompactionPause(d); };
  report.db_done = [](absl::Duration d, size_t keys) { Metrics::Get().DbCompactionDone(d, keys); };
  ASSIGN_OR_RETURN(s->kv, mvcc::KvStore::Open(s->backend.get(), std::move(report)));
  s->kv_applier = std::make_unique<KvApplier>(s->kv.get());
  s->cluster = std::make_unique<ClusterStore>(s->backend.get());
  watch::StoreOptions wo;
  wo.progress_interval = absl::Milliseconds(cfg.watch_progress_notify_interval_ms);
  s->watch = std::make_unique<watch::WatchableStore>(s->kv.get(), wo);
  lease::Options lo;
  lo.min_ttl = MinLeaseTtl(cfg);
  ASSIGN_OR_RETURN(s->lessor, lease::Lessor::Open(s->backend.get(), lo));
  s->lease_applier = std::make_unique<LeaseApplier>(s->kv.get(), s->lessor.get());
  RETURN_NOT_OK(s->lease_applier->RestoreAttachments());
  s->kv_applier->SetLessor(s->lessor.get());
  ASSIGN_OR_RETURN(
      s->auth, auth::AuthStore::Open(s->backend.get(), absl::Seconds(cfg.auth_token_ttl_seconds)));
  s->auth_applier = std::make_unique<AuthApplier>(s->kv.get(), s->auth.get());
  s->alarms = std::make_unique<AlarmStore>(s->backend.get());
  RETURN_NOT_OK(s->alarms->Load());
  s->alarm_applier = std::make_unique<AlarmApplier>(s->kv.get(), s->alarms.get());
  s->v2 = std::make_unique<V2Store>(s->backend.get());
  RETURN_NOT_OK_PREPEND(s->v2->Load(), "load the v2 store");
  s->raft_storage = std::make_unique<raft::MemoryStorage>();
  s->snap_files = std::make_unique<SnapFiles>(env, s->snap_dir());
  RETURN_NOT_OK(s->snap_files->RemoveTempFiles());  // an interrupted save or receive
  return s;
}

absl::Status Stores::SwapInBackend(const std::string& db_file) {
  RETURN_NOT_OK_PREPEND(backend->ReplaceWith(db_file), "swap in the received database");
  RETURN_NOT_OK(kv->Reload());
  RETURN_NOT_OK(lessor->Reload());
  RETURN_NOT_OK(lease_applier->RestoreAttachments());
  RETURN_NOT_OK(auth->Reload());
  RETURN_NOT_OK(alarms->Load());
  RETURN_NOT_OK_PREPEND(v2->Load(), "load the v2 store");
  cluster->Reload();
  watch->Resync();
  return absl::OkStatus();
}

}  // namespace etcdpp::server
