#include "server/v2_frontend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/go_text.h"
#include "common/json_text.h"
#include "common/version.h"
#include "server/v2store/event.h"

namespace etcdpp::server {
namespace {

constexpr auto kSyncInterval = std::chrono::milliseconds(500);  // etcd's SyncTicker
// How soon a new leader writes the cluster version (etcd's forceVersionC acts at once).
constexpr auto kTick = std::chrono::milliseconds(50);

}  // namespace

V2Frontend::V2Frontend(Deps d) : d_(std::move(d)), start_time_(absl::Now()) {
  v2http::V2View v;
  v.store = d_.stores->v2.get();
  v.propose = [this](internalpb::V2Request r, v2http::V2View::ProposeDone done) {
    Propose(std::move(r), std::move(done));
  };
  v.commit_index = [node = d_.node] { return node->commit_index(); };
  v.term = [node = d_.node] { return node->term(); };
  v.leader = [node = d_.node] { return node->leader(); };
  v.members = [cluster = d_.stores->cluster.get()] { return cluster->Members(); };
  v.self_stats = [this] { return SelfStats(); };
  v.leader_stats = [this] { return LeaderStats(); };
  v.cluster_id = d_.cluster_id;
  v.auth_executor = &auth_workers_;
  v.client_cert_auth = d_.cfg->client_tls.client_cert_auth;
  http_ = std::make_unique<v2http::V2Http>(std::move(v));
  leader_since_ = start_time_;
}

V2Frontend::~V2Frontend() { Stop(); }

void V2Frontend::Start() {
  auth_workers_.Start();
  loop_.Start("etcdpp-v2sync", [this] { SyncLoop(); });
}

void V2Frontend::Stop() {
  loop_.Stop();
  auth_workers_.Stop();
}

void V2Frontend::Propose(internalpb::V2Request r, v2http::V2View::ProposeDone done) {
  internalpb::InternalRequest req;
  *req.mutable_v2() = std::move(r);
  d_.proposer->Propose(std::move(req), [done = std::move(done)](ApplyResult res) {
    if (!res.status.ok()) {
      done(res.status);
      return;
    }
    const internalpb::V2Response* resp = ResponseAs<internalpb::V2Response>(res);
    if (resp == nullptr) {
      done(absl::InternalError("the v2 request applied without an answer"));
      return;
    }
    done(*resp);
  });
}

void V2Frontend::SyncLoop() {
  auto next_sync = LoopThread::Clock::now() + kSyncInterval;
  for (;;) {
    bool set_version = false;
    {
      MutexLock l(loop_.mu());
      const auto deadline = LoopThread::Clock::now() + kTick;
      while (!loop_.stopping() && loop_.WaitUntil(deadline)) {
      }
      if (loop_.stopping()) return;
      if (const uint64_t leader = d_.node->leader(); leader != seen_leader_) {
        seen_leader_ = leader;
        leader_since_ = absl::Now();
        version_checked_ = false;
      }
      if (d_.node->is_leader() && !version_checked_) {
        version_checked_ = true;
        set_version = true;
      }
    }
    if (set_version) MaybeSetClusterVersion();
    if (LoopThread::Clock::now() < next_sync) continue;
    next_sync = LoopThread::Clock::now() + kSyncInterval;
    d_.stores->v2->Poll();  // watches past their timeout end
    if (!d_.node->is_leader() || !d_.stores->v2->HasTtlKeys()) continue;
    internalpb::InternalRequest req;
    req.mutable_auth_header()->set_system(true);
    req.mutable_v2()->set_method("SYNC");
    req.mutable_v2()->set_time(absl::ToUnixNanos(absl::Now()));
    // Fire and forget, as etcd's sync: a SYNC lost to a leader change is proposed again by the
    // next leader.
    d_.proposer->Propose(std::move(req), [](ApplyResult) {});
  }
}

void V2Frontend::MaybeSetClusterVersion() {
  if (d_.stores->v2->With([](v2store::Store* s) { return s->Exists("/0/version"); })) return;
  internalpb::InternalRequest req;
  req.mutable_auth_header()->set_system(true);
  req.mutable_v2()->set_method("PUT");
  req.mutable_v2()->set_path("/0/version");
  req.mutable_v2()->set_val(kApiVersion);
  d_.proposer->Propose(std::move(req), [this](ApplyResult r) {
    if (r.status.ok()) return;
    MutexLock l(loop_.mu());
    version_checked_ = false;  // try again at the next tick
  });
}

// etcd's ServerStats JSON. The append counters and rates are not kept (docs/compatibility.md).
std::string V2Frontend::SelfStats() {
  const uint64_t leader = d_.node->leader();
  absl::Time since;
  {
    MutexLock l(loop_.mu());
    since = leader == seen_leader_ ? leader_since_ : absl::Now();
  }
  std::string out = "{\"name\":";
  AppendGoJsonQuote(d_.cfg->name, &out);
  absl::StrAppend(&out, ",\"id\":\"", absl::Hex(d_.member_id), "\",\"state\":\"",
                  d_.node->is_leader() ? "StateLeader" : "StateFollower", "\",\"startTime\":\"",
                  v2store::GoRfc3339Nano(start_time_), "\",\"leaderInfo\":{\"leader\":\"",
                  absl::Hex(leader), "\",\"uptime\":\"", GoDurationString(absl::Now() - since),
                  "\",\"startTime\":\"", v2store::GoRfc3339Nano(since),
                  "\"},\"recvAppendRequestCnt\":0,\"sendAppendRequestCnt\":0}");
  return out;
}

// etcd's LeaderStats JSON on the leader ("" elsewhere): its followers, without latencies.
std::string V2Frontend::LeaderStats() const {
  if (!d_.node->is_leader()) return "";
  std::string out = absl::StrCat("{\"leader\":\"", absl::Hex(d_.member_id), "\",\"followers\":{");
  bool first = true;
  for (const Member& m : d_.stores->cluster->Members()) {
    if (m.id == d_.member_id) continue;
    absl::StrAppend(&out, first ? "" : ",", "\"", absl::Hex(m.id),
                    "\":{\"latency\":{\"current\":0,\"average\":0,\"standardDeviation\":0,"
                    "\"minimum\":0,\"maximum\":0},\"counts\":{\"fail\":0,\"success\":0}}");
    first = false;
  }
  return out + "}}";
}

}  // namespace etcdpp::server
