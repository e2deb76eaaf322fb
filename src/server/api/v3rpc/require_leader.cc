#include "server/api/v3rpc/require_leader.h"

#include <string_view>

#include "common/json_text.h"
#include "server/api/v3rpc/views.h"
#include "server/errors.h"

namespace etcdpp::server {

bool RequiresLeader(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("hasleader");  // rpctypes.MetadataRequireLeaderKey
  return it != md.end() && it->second == "true";
}

bool ValidClientApiVersion(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("client-api-version");  // rpctypes.MetadataClientAPIVersionKey
  if (it == md.end()) return true;
  std::string_view v(it->second.data(), it->second.size());
  for (size_t i = 0; i < v.size();) {
    const size_t n = Utf8SequenceLength(v.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

[[nodiscard]] absl::Status CheckRequireLeader(const grpc::CallbackServerContext* ctx,
                                              const MemberView& m) {
  if (!ValidClientApiVersion(ctx)) return ErrInvalidClientAPIVersion();
  if (m.leader() == 0 && RequiresLeader(ctx)) return ErrNoLeader();
  return absl::OkStatus();
}

}  // namespace etcdpp::server

namespace etcdpp::server {

void GuardStreamWithLeader(const grpc::CallbackServerContext* ctx, MemberView* m,
                           const std::shared_ptr<StreamFinisher>& finisher) {
  if (!ValidClientApiVersion(ctx)) {
    finisher->Finish(ToGrpcStatus(ErrInvalidClientAPIVersion()));
    return;
  }
  if (!RequiresLeader(ctx)) return;
  if (m->leader() == 0) {
    finisher->Finish(ToGrpcStatus(ErrNoLeader()));
    return;
  }
  m->leader_streams()->Add(finisher);
}

grpc::ServerUnaryReactor* RejectWithoutLeader(grpc::CallbackServerContext* ctx,
                                              const MemberView& m) {
  absl::Status st = CheckRequireLeader(ctx, m);
  if (st.ok()) return nullptr;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

}  // namespace etcdpp::server

namespace etcdpp::server {

// Every Finish of the reactor goes through here, so the first one wins and OnDone (hence Done)
// can only come after it: calling it outside the lock is safe (gRPC may run OnDone inline).
bool StreamFinisher::Finish(grpc::Status st) {
  std::function<void(grpc::Status)> finish;
  {
    MutexLock l(&mu_);
    if (finished_) return false;
    finished_ = true;
    finish = finish_;
  }
  if (finish) finish(std::move(st));
  return true;
}

void StreamFinisher::Done() {
  MutexLock l(&mu_);
  finished_ = true;
  finish_ = nullptr;
}

RequireLeaderStreams::RequireLeaderStreams(std::function<uint64_t()> leader,
                                           std::chrono::milliseconds election)
    : leader_(std::move(leader)), election_(election) {}

RequireLeaderStreams::~RequireLeaderStreams() { Stop(); }

void RequireLeaderStreams::Start() {
  loop_.Start("etcdpp-leadmon", [this] { Loop(); });
}

void RequireLeaderStreams::Stop() { loop_.Stop(); }

void RequireLeaderStreams::Add(std::weak_ptr<StreamFinisher> stream) {
  MutexLock l(loop_.mu());
  streams_.push_back(std::move(stream));
}

void RequireLeaderStreams::Loop() {
  constexpr int kMaxNoLeaderCount = 3;
  int no_leader = 0;
  for (;;) {
    std::vector<std::weak_ptr<StreamFinisher>> closing;
    {
      MutexLock l(loop_.mu());
      if (!loop_.SleepFor(election_)) return;
      no_leader = leader_() == 0 ? no_leader + 1 : 0;
      std::erase_if(streams_, [](const std::weak_ptr<StreamFinisher>& w) { return w.expired(); });
      if (no_leader >= kMaxNoLeaderCount) closing.swap(streams_);
    }
    for (auto& w : closing) {
      if (auto f = w.lock()) f->Finish(ToGrpcStatus(ErrNoLeader()));
    }
  }
}

}  // namespace etcdpp::server
