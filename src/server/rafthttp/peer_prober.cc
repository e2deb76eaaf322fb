#include "server/rafthttp/peer_prober.h"

#include <chrono>

#include "absl/time/clock.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server {

void PeerProber::Start() {
  MutexLock l(&mu_);
  if (stopping_ || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void PeerProber::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void PeerProber::SetPeer(uint64_t id, std::vector<std::string> urls) {
  if (urls.empty()) return;
  MutexLock l(&mu_);
  urls_[id] = urls.front();
}

void PeerProber::RemovePeer(uint64_t id) {
  MutexLock l(&mu_);
  urls_.erase(id);
}

void PeerProber::Loop() {
  for (;;) {
    std::map<uint64_t, std::string> urls;
    {
      MutexLock l(&mu_);
      absl::Time until = absl::Now() + interval_;
      while (!stopping_ && absl::Now() < until)
        cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(until - absl::Now()));
      if (stopping_) return;
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
    MutexLock l(&mu_);
    if (stopping_) return;
    in_flight_ = &ctx;
  }
  internalpb::MembersRequest req;
  internalpb::MembersResponse resp;
  absl::Time start = absl::Now();
  grpc::Status st = t->stub->Members(&ctx, req, &resp);
  absl::Duration rtt = absl::Now() - start;
  {
    MutexLock l(&mu_);
    in_flight_ = nullptr;
  }
  if (st.ok()) Metrics::Get().PeerRtt(id, rtt);
}

}  // namespace etcdpp::server
