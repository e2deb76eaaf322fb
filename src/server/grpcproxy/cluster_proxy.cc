#include "server/grpcproxy/cluster_proxy.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/grpcproxy/unary_forward.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

// A JSON string literal (the characters Go's encoding/json escapes).
std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          snprintf(hex, sizeof(hex), "\\u%04x", c);
          out += hex;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

// etcd's endpoints manager's value: internal.Update{Op: Add, Addr, Metadata} with the proxy's
// meta{Name: hostname} as a JSON string.
std::string RegistrationValue(const std::string& addr, const std::string& host) {
  const std::string meta = "{\"name\":" + JsonQuote(host) + "}";
  return "{\"Op\":0,\"Addr\":" + JsonQuote(addr) + ",\"Metadata\":" + JsonQuote(meta) + "}";
}

// The name and address of a registration value; false if it is not one.
bool ParseRegistration(const std::string& value, std::string* name, std::string* addr) {
  google::protobuf::Struct up;
  if (!google::protobuf::util::JsonStringToMessage(value, &up).ok()) return false;
  auto f = up.fields().find("Addr");
  if (f == up.fields().end() || !f->second.has_string_value()) return false;
  *addr = f->second.string_value();
  name->clear();
  auto m = up.fields().find("Metadata");
  if (m != up.fields().end() && m->second.has_string_value()) {
    google::protobuf::Struct meta;
    if (google::protobuf::util::JsonStringToMessage(m->second.string_value(), &meta).ok()) {
      auto n = meta.fields().find("name");
      if (n != meta.fields().end() && n->second.has_string_value()) {
        *name = n->second.string_value();
      }
    }
  }
  return true;
}

// The end of the prefix range of `key` (clientv3.GetPrefixRangeEnd).
std::string PrefixEnd(std::string key) {
  while (!key.empty()) {
    if (static_cast<unsigned char>(key.back()) < 0xff) {
      key.back() = static_cast<char>(static_cast<unsigned char>(key.back()) + 1);
      return key;
    }
    key.pop_back();
  }
  return std::string(1, '\0');
}

}  // namespace

ProxyCluster::ProxyCluster(Upstream* up, const CallObserver* observer, Options opts)
    : up_(up), observer_(observer), opts_(std::move(opts)), hostname_(HostName()) {
  if (opts_.prefix.empty()) return;
  register_thread_ = std::thread([this] { RegisterLoop(); });
  watch_thread_ = std::thread([this] { WatchLoop(); });
}

void ProxyCluster::Stop() {
  int64_t lease = 0;
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
    if (reg_call_) reg_call_->TryCancel();
    if (watch_call_) watch_call_->TryCancel();
    lease = lease_;
    cv_.SignalAll();
  }
  if (register_thread_.joinable()) register_thread_.join();
  if (watch_thread_.joinable()) watch_thread_.join();
  if (lease == 0) return;
  // As etcd's session Close: the registration goes with the proxy.
  auto stub = pb::Lease::NewStub(up_->Pick());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  pb::LeaseRevokeRequest req;
  req.set_id(lease);
  pb::LeaseRevokeResponse resp;
  (void)stub->LeaseRevoke(&ctx, req, &resp);
}

bool ProxyCluster::Sleep(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  MutexLock l(&mu_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    cv_.WaitFor(&mu_, until - now);
  }
  return !stopping_;
}

std::shared_ptr<grpc::ClientContext> ProxyCluster::NewCall(
    std::shared_ptr<grpc::ClientContext>* slot, std::chrono::seconds deadline) {
  auto ctx = std::make_shared<grpc::ClientContext>();
  if (deadline.count() > 0) ctx->set_deadline(std::chrono::system_clock::now() + deadline);
  MutexLock l(&mu_);
  if (stopping_) return nullptr;
  *slot = ctx;
  return ctx;
}

void ProxyCluster::RegisterLoop() {
  const std::string key = opts_.prefix + "/" + opts_.advertise;
  bool first = true;
  // etcd's rate limit: at most one attempt a second.
  while (first || Sleep(std::chrono::seconds(1))) {
    first = false;
    std::shared_ptr<grpc::Channel> ch = up_->Pick();
    auto lease_stub = pb::Lease::NewStub(ch);
    auto kv = pb::KV::NewStub(ch);
    pb::LeaseGrantRequest grant;
    grant.set_ttl(opts_.ttl);
    pb::LeaseGrantResponse granted;
    auto ctx = NewCall(&reg_call_, std::chrono::seconds(5));
    if (!ctx) return;
    grpc::Status s = lease_stub->LeaseGrant(ctx.get(), grant, &granted);
    if (!s.ok()) {
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up_->Failed(ch);
      SPDLOG_WARN("grpc-proxy: failed to create a session {}", s.error_message());
      continue;
    }
    pb::PutRequest put;
    put.set_key(key);
    put.set_value(RegistrationValue(opts_.advertise, hostname_));
    put.set_lease(granted.id());
    pb::PutResponse put_resp;
    ctx = NewCall(&reg_call_, std::chrono::seconds(5));
    if (!ctx) return;
    if (s = kv->Put(ctx.get(), put, &put_resp); !s.ok()) {
      SPDLOG_WARN("grpc-proxy: failed to register {}: {}", key, s.error_message());
      continue;  // the lease expires by itself
    }
    {
      MutexLock l(&mu_);
      lease_ = granted.id();
    }
    SPDLOG_INFO("grpc-proxy: registered \"{}\" with {}-second lease", opts_.advertise, opts_.ttl);
    // Keep it alive at a third of its TTL until it is lost or the proxy stops.
    ctx = NewCall(&reg_call_, std::chrono::seconds(0));
    if (!ctx) return;
    auto stream = lease_stub->LeaseKeepAlive(ctx.get());
    pb::LeaseKeepAliveRequest ka;
    ka.set_id(granted.id());
    const auto every = std::chrono::milliseconds(std::max(1, opts_.ttl) * 1000 / 3);
    while (true) {
      pb::LeaseKeepAliveResponse r;
      if (!stream->Write(ka) || !stream->Read(&r) || r.ttl() <= 0) break;
      if (!Sleep(every)) break;
    }
    ctx->TryCancel();
    (void)stream->Finish();
    {
      MutexLock l(&mu_);
      if (stopping_) return;
      lease_ = 0;
    }
    SPDLOG_WARN(
        "grpc-proxy: session expired; possible network partition or server restart; "
        "creating a new session to rejoin");
  }
}

void ProxyCluster::WatchLoop() {
  const std::string from = opts_.prefix + "/";
  const std::string end = PrefixEnd(from);
  bool first = true;
  while (first || Sleep(std::chrono::seconds(1))) {
    first = false;
    std::shared_ptr<grpc::Channel> ch = up_->Pick();
    auto kv = pb::KV::NewStub(ch);
    pb::RangeRequest range;
    range.set_key(from);
    range.set_range_end(end);
    pb::RangeResponse listed;
    auto ctx = NewCall(&watch_call_, std::chrono::seconds(5));
    if (!ctx) return;
    if (grpc::Status s = kv->Range(ctx.get(), range, &listed); !s.ok()) {
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE) up_->Failed(ch);
      continue;
    }
    {
      MutexLock l(&mu_);
      registered_.clear();
      for (const auto& kvp : listed.kvs()) {
        std::string name, addr;
        if (ParseRegistration(kvp.value(), &name, &addr)) registered_[kvp.key()] = {name, addr};
      }
    }
    auto watch = pb::Watch::NewStub(ch);
    ctx = NewCall(&watch_call_, std::chrono::seconds(0));
    if (!ctx) return;
    auto stream = watch->Watch(ctx.get());
    pb::WatchRequest req;
    req.mutable_create_request()->set_key(from);
    req.mutable_create_request()->set_range_end(end);
    req.mutable_create_request()->set_start_revision(listed.header().revision() + 1);
    if (!stream->Write(req)) {
      (void)stream->Finish();
      continue;
    }
    pb::WatchResponse r;
    while (stream->Read(&r)) {
      if (r.canceled()) break;
      MutexLock l(&mu_);
      for (const auto& ev : r.events()) {
        std::string name, addr;
        if (ev.type() == mvccpb::Event::DELETE) {
          registered_.erase(ev.kv().key());
        } else if (ParseRegistration(ev.kv().value(), &name, &addr)) {
          registered_[ev.kv().key()] = {name, addr};
        }
      }
    }
    ctx->TryCancel();
    (void)stream->Finish();
  }
}

grpc::ServerUnaryReactor* ProxyCluster::MemberList(grpc::CallbackServerContext* ctx,
                                                   const pb::MemberListRequest* req,
                                                   pb::MemberListResponse* resp) {
  static const std::string kMethod = "/etcdserverpb.Cluster/MemberList";
  if (opts_.advertise.empty()) {
    return ForwardUnary<pb::MemberListRequest, pb::MemberListResponse>(up_, observer_, ctx, kMethod,
                                                                       *req, resp);
  }
  {
    MutexLock l(&mu_);
    for (const auto& [key, member] : registered_) {
      pb::Member* m = resp->add_members();
      m->set_name(member.first);
      m->add_clienturls(member.second);
    }
  }
  if (resp->members_size() == 0) {
    pb::Member* m = resp->add_members();
    m->set_name(hostname_);
    m->add_clienturls(opts_.advertise);
  }
  return AnswerLocally(observer_, ctx, kMethod, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ProxyCluster::MemberAdd(grpc::CallbackServerContext* ctx,
                                                  const pb::MemberAddRequest* req,
                                                  pb::MemberAddResponse* resp) {
  return ForwardUnary<pb::MemberAddRequest, pb::MemberAddResponse>(
      up_, observer_, ctx, "/etcdserverpb.Cluster/MemberAdd", *req, resp);
}

grpc::ServerUnaryReactor* ProxyCluster::MemberRemove(grpc::CallbackServerContext* ctx,
                                                     const pb::MemberRemoveRequest* req,
                                                     pb::MemberRemoveResponse* resp) {
  return ForwardUnary<pb::MemberRemoveRequest, pb::MemberRemoveResponse>(
      up_, observer_, ctx, "/etcdserverpb.Cluster/MemberRemove", *req, resp);
}

grpc::ServerUnaryReactor* ProxyCluster::MemberUpdate(grpc::CallbackServerContext* ctx,
                                                     const pb::MemberUpdateRequest* req,
                                                     pb::MemberUpdateResponse* resp) {
  return ForwardUnary<pb::MemberUpdateRequest, pb::MemberUpdateResponse>(
      up_, observer_, ctx, "/etcdserverpb.Cluster/MemberUpdate", *req, resp);
}

grpc::ServerUnaryReactor* ProxyCluster::MemberPromote(grpc::CallbackServerContext* ctx,
                                                      const pb::MemberPromoteRequest* req,
                                                      pb::MemberPromoteResponse* resp) {
  return ForwardUnary<pb::MemberPromoteRequest, pb::MemberPromoteResponse>(
      up_, observer_, ctx, "/etcdserverpb.Cluster/MemberPromote", *req, resp);
}

}  // namespace etcdpp::server::grpcproxy
