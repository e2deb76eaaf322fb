#include "server/rafthttp/peer_prober.h"

#include <chrono>

#include "absl/time/clock.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server {

void PeerProber::Start() {
  loop_.Start("etcdpp-prober", [this] { Loop(); });
}

void PeerProber::Stop() {
  {
    MutexLock l(loop_.mu());
    loop_.MarkStopping();  // under the same lock as the cancel: no probe starts after it
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }
  loop_.Stop();
}

void PeerProber::SetPeer(uint64_t id, std::vector<std::string> urls) {
  if (urls.empty()) return;
  MutexLock l(loop_.mu());
  urls_[id] = urls.front();
}

void PeerProber::RemovePeer(uint64_t id) {
  MutexLock l(loop_.mu());
  urls_.erase(id);
}

void PeerProber::Loop() {
  for (;;) {
    std::map<uint64_t, std::string> urls;
    {
      MutexLock l(loop_.mu());
      if (!loop_.SleepFor(absl::ToChronoNanoseconds(interval_))) return;
      urls = urls_;
    }
    std::erase_if(targets_, [&](const auto& kv) {
      return !urls.count(kv.first) || urls[kv.first] != kv.second.url;
    });
    for (const auto& [id, url] : urls) {
      Target& t = targets_[id];
      if (!t.stub) {
        t.url = url;
        t.stub = internalpb::Peer::NewStub(channels_(url));
      }
      ProbeOne(id, &t);
    }
  }
}

void PeerProber::ProbeOne(uint64_t id, Target* t) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  {
    MutexLock l(loop_.mu());
    if (loop_.stopping()) return;
    in_flight_ = &ctx;
  }
  internalpb::MembersRequest req;
  internalpb::MembersResponse resp;
  absl::Time start = absl::Now();
  grpc::Status st = t->stub->Members(&ctx, req, &resp);
  absl::Duration rtt = absl::Now() - start;
  {
    MutexLock l(loop_.mu());
    in_flight_ = nullptr;
  }
  if (st.ok()) Metrics::Get().PeerRtt(id, rtt);
}

}  // namespace etcdpp::server
