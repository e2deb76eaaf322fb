#include "bench/tool/auth_token.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace etcdpp::bench {

absl::Status ConnToken::Login() {
  MutexLock lock(&mu_);
  return LoginLocked();
}

absl::Status ConnToken::Refresh(uint64_t used_generation) {
  MutexLock lock(&mu_);
  if (generation() != used_generation) return absl::OkStatus();  // another client did it
  return LoginLocked();
}

absl::Status ConnToken::LoginLocked() {
  auto stub = etcdserverpb::Auth::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  etcdserverpb::AuthenticateRequest req;
  req.set_name(user_);
  req.set_password(password_);
  etcdserverpb::AuthenticateResponse resp;
  grpc::Status st = stub->Authenticate(&ctx, req, &resp);
  if (!st.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("authenticate as ", user_, ": ", st.error_message()));
  }
  token_ = resp.token();
  generation_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

void ConnToken::Get(std::string* token, uint64_t* generation) const {
  MutexLock lock(&mu_);
  *token = token_;
  *generation = generation_.load(std::memory_order_relaxed);
}

bool TokenCopy::RefreshOn(const grpc::Status& st) {
  if (conn_ == nullptr || !IsTokenError(st)) return false;
  return conn_->Refresh(generation_).ok();
}

absl::StatusOr<std::vector<std::unique_ptr<ConnToken>>> LoginAll(
    const Options& opts, const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  std::vector<std::unique_ptr<ConnToken>> tokens;
  if (opts.user.empty()) return tokens;
  for (const auto& ch : channels) {
    tokens.push_back(std::make_unique<ConnToken>(ch, opts.user, opts.password));
    if (absl::Status st = tokens.back()->Login(); !st.ok()) return st;
  }
  return tokens;
}

bool IsTokenError(const grpc::Status& st) {
  const std::string& m = st.error_message();
  return m == "etcdserver: invalid auth token" || m == "etcdserver: revision of auth store is old";
}

}  // namespace etcdpp::bench
