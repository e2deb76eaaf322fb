#include "server/proposer.h"

#include "server/errors.h"
#include "server/metrics/metrics.h"

namespace etcdpp::server {

Proposer::Proposer(Options o, Deps d)
    : opts_(o),
      deps_(std::move(d)),
      timeouts_(o.request_timeout, [this](uint64_t id, RequestTimeouts::Clock::time_point start) {
        Expire(id, start);
      }) {}

Proposer::~Proposer() { Stop(); }

void Proposer::Start() { timeouts_.Start(); }

void Proposer::Stop() { timeouts_.Stop(); }

uint64_t Proposer::NextRequestId() {
  constexpr uint64_t kSuffixMask = (uint64_t{1} << 48) - 1;
  uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  uint64_t id = (opts_.member_id << 48) | (((opts_.start_ms << 8) + n) & kSuffixMask);
  return id == 0 ? 1 : id;
}

void Proposer::Propose(internalpb::InternalRequest req, ApplyWaiter done) {
  if (deps_.admit && !deps_.admit(req, &done)) return;
  const uint64_t id = NextRequestId();
  req.set_id(id);
  std::string data = req.SerializeAsString();
  if (data.size() > opts_.max_request_bytes) {
    done(ApplyResult{ErrRequestTooLarge(), nullptr, nullptr});
    return;
  }
  Metrics::Get().ProposalStarted();
  deps_.register_waiter(id, [done = std::move(done)](ApplyResult r) {
    Metrics::Get().ProposalDone();
    done(std::move(r));
  });
  timeouts_.Track(id);
  deps_.propose(id, std::move(data));
}

void Proposer::ProposeConfChange(raft::ConfChangeType type, Member m, ClusterStore::Waiter done) {
  const uint64_t id = NextRequestId();
  internalpb::MemberRecord rec = ToRecord(m);
  rec.set_request_id(id);
  raft::ConfChange cc{type, m.id, rec.SerializeAsString()};
  deps_.register_member_waiter(id, std::move(done));
  timeouts_.Track(id);
  deps_.propose_conf_change(id, std::move(cc));
}

// A proposal still queued for a leader never reached raft: etcd answers with the context's
// error then. The error is only worked out for a request that still waits.
void Proposer::Expire(uint64_t id, RequestTimeouts::Clock::time_point start) {
  const bool queued = deps_.unqueue(id);
  auto error = [&] { return queued ? ErrContextDeadlineExceeded() : ProposalTimeoutError(start); };
  if (deps_.fail_waiter(id, error)) {  // a KV or lease request
    Metrics::Get().ProposalFailed();
    return;
  }
  if (deps_.member_waiting(id)) deps_.wake_member_waiter(id, error());  // a member change
}

absl::Status Proposer::ProposalTimeoutError(RequestTimeouts::Clock::time_point start) const {
  return server::ProposalTimeoutError(deps_.timeout_facts(), start);
}

}  // namespace etcdpp::server
