#include "server/rafthttp/transport.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/server_builder.h"
#include "internalpb/peer.grpc.pb.h"
#include "server/errors.h"
#include "server/metrics/metrics.h"
#include "server/rafthttp/peer_codec.h"
#include "server/test_hooks.h"
#include "server/tls/peer_tls.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

// Reads one client stream of batches and hands their messages to the transport.
class StreamReader final : public grpc::ServerReadReactor<internalpb::PeerBatch> {
 public:
  explicit StreamReader(Transport* t) : t_(t) { StartRead(&batch_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    if (batch_.cluster_id() != t_->cluster_id()) {
      SPDLOG_WARN("refused peer traffic from member {:x} of cluster {:x} (local cluster {:x})",
                  batch_.from(), batch_.cluster_id(), t_->cluster_id());
      Metrics::Get().PeerReceiveFailed(batch_.from());
      Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "cluster ID mismatch"));
      return;
    }
    Metrics::Get().PeerReceived(batch_.from(), batch_.ByteSizeLong());
    if (t_->IsRemoved(batch_.from())) {
      Finish(ToPeerGrpcStatus(ErrMemberRemoved()));
      return;
    }
    if (!t_->IsCut(batch_.from())) Deliver();
    StartRead(&batch_);
  }
  void OnDone() override { delete this; }

 private:
  void Deliver() {
    for (const internalpb::RaftMessage& pm : batch_.messages()) {
      absl::StatusOr<raft::Message> m = DecodeRaftMessage(pm);
      if (!m.ok()) {
        SPDLOG_WARN("bad raft message from {:x}: {}", batch_.from(), m.status().ToString());
        Metrics::Get().PeerReceiveFailed(batch_.from());
        continue;
      }
      t_->Deliver(*std::move(m));
    }
  }

  Transport* const t_;
  internalpb::PeerBatch batch_;
};

class PeerService final : public internalpb::Peer::CallbackService {
 public:
  explicit PeerService(Transport* t) : t_(t) {}
  grpc::ServerReadReactor<internalpb::PeerBatch>* Stream(grpc::CallbackServerContext*,
                                                         internalpb::PeerAck*) override {
    return new StreamReader(t_);
  }
  grpc::ServerUnaryReactor* Members(grpc::CallbackServerContext* ctx,
                                    const internalpb::MembersRequest*,
                                    internalpb::MembersResponse* resp) override {
    t_->FillMembers(resp);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  Transport* const t_;
};

std::string HostPort(const Url& u) {
  if (u.scheme == "unix") return absl::StrCat("unix:", u.host, ":", u.port);  // the socket file
  bool v6 = u.host.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", u.host, v6 ? "]" : "", ":", u.port);
}

}  // namespace

PeerFaults::PeerFaults(std::string file)
    : file_(std::move(file)), enabled_(GetTestHooks().peer_faults) {}

bool PeerFaults::IsCut(uint64_t peer) {
  if (!enabled_) return false;
  MutexLock l(&mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - loaded_at_ > std::chrono::milliseconds(100)) {
    loaded_at_ = now;
    cut_.clear();
    cut_all_ = false;
    std::ifstream in(file_);
    std::string line;
    while (std::getline(in, line)) {
      absl::string_view s = absl::StripAsciiWhitespace(line);
      uint64_t id = 0;
      if (s == "*") cut_all_ = true;
      if (absl::SimpleHexAtoi(s, &id)) cut_.insert(id);
    }
  }
  return cut_all_ || cut_.contains(peer);
}

Transport::Transport(Options opts, Hooks hooks)
    : opts_(std::move(opts)), hooks_(std::move(hooks)), faults_(opts_.faults_file) {}

Transport::~Transport() { Stop(); }

absl::Status Transport::Start() {
  service_ = std::make_unique<PeerService>(this);
  grpc::ServerBuilder builder;
  for (const Url& u : opts_.listen_urls) {
    std::shared_ptr<grpc::ServerCredentials> creds = tls::PeerServerCredentials(u.scheme);
    if (creds == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("no peer certificate for ", u.ToString()));
    builder.AddListeningPort(HostPort(u), creds);
  }
  builder.SetMaxReceiveMessageSize(INT32_MAX);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.RegisterService(service_.get());
  for (grpc::Service* svc : opts_.extra_services) builder.RegisterService(svc);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    std::string urls;
    for (const Url& u : opts_.listen_urls) urls += u.ToString() + " ";
    return absl::UnavailableError(
        absl::StrCat("cannot listen on peer URLs ", urls, "(address already in use?)"));
  }
  prober_.Start();
  return absl::OkStatus();
}

void Transport::Stop() {
  std::map<uint64_t, std::unique_ptr<PeerSender>> peers;
  {
    MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
    peers.swap(peers_);
  }
  prober_.Stop();
  peers.clear();  // each destructor stops its sender
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_->Wait();
  }
}

void Transport::Send(std::vector<raft::Message> msgs) {
  MutexLock l(&mu_);
  for (raft::Message& m : msgs) {
    auto it = peers_.find(m.to);
    if (it == peers_.end()) continue;  // not (or no longer) a member
    it->second->Send(std::move(m));
  }
}

void Transport::AddPeer(uint64_t id, std::vector<std::string> urls) {
  if (id == opts_.local_id) return;
  MutexLock l(&mu_);
  if (stopped_) return;
  prober_.SetPeer(id, urls);
  auto it = peers_.find(id);
  if (it != peers_.end()) {
    it->second->UpdateUrls(std::move(urls));
    return;
  }
  PeerSender::Options so{opts_.local_id, opts_.cluster_id, id, std::move(urls)};
  PeerSender::Hooks hooks{hooks_.report_unreachable, hooks_.report_snapshot,
                          [this](uint64_t peer) { return faults_.IsCut(peer); },
                          hooks_.removed_self};
  auto sender = std::make_unique<PeerSender>(std::move(so), std::move(hooks));
  sender->Start();
  peers_.emplace(id, std::move(sender));
}

void Transport::RemovePeer(uint64_t id) {
  std::unique_ptr<PeerSender> gone;
  {
    MutexLock l(&mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    prober_.RemovePeer(id);
    gone = std::move(it->second);
    peers_.erase(it);
  }
  gone.reset();  // joins outside the lock
}

bool Transport::IsActive(uint64_t id) const {
  MutexLock l(&mu_);
  auto it = peers_.find(id);
  return it != peers_.end() && it->second->active();
}

std::chrono::steady_clock::time_point Transport::ActiveSince(uint64_t id) const {
  MutexLock l(&mu_);
  auto it = peers_.find(id);
  return it == peers_.end() ? std::chrono::steady_clock::time_point() : it->second->active_since();
}

}  // namespace etcdpp::server
