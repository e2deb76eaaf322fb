#include "harness/cluster_ops.h"

#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/cluster_grpc.h"
#include "harness/grpc_util.h"
#include "harness/ports.h"

namespace etcdpp::testing {
namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;

std::string EnablePeerFaults() {
#if ETCDPP_TEST_HOOKS
  setenv("ETCDPP_TEST_PEER_FAULTS", "1", 1);
  return "";
#else
  return "the peer fault switch needs a server built with -DETCDPP_TEST_HOOKS=ON "
         "(scripts/test.sh builds so)";
#endif
}

absl::StatusOr<std::unique_ptr<FaultCluster>> FaultCluster::Start(ClusterOptions opts) {
  std::unique_ptr<FaultCluster> c(new FaultCluster(std::move(opts)));
  absl::StatusOr<std::unique_ptr<Cluster>> base =
      Cluster::Start(c->opts_.binary, c->opts_.size, c->opts_.extra_flags, absl::Seconds(30),
                     c->opts_.before_launch);
  if (!base.ok()) return base.status();
  c->base_ = std::move(*base);
  c->ids_.assign(c->base_->size(), 0);
  return c;
}

std::string FaultCluster::InitialCluster() const {
  std::string s;
  auto* self = const_cast<FaultCluster*>(this);  // member() is not const
  for (int i = 0; i < size(); ++i) {
    absl::StrAppend(&s, i ? "," : "", self->member(i).config().name, "=",
                    self->member(i).PeerUrl());
  }
  return s;
}

void FaultCluster::KeepTempDirs() {
  base_->KeepTempDirs();
  for (auto& m : joined_) m->set_keep_temp_dir(true);
}

uint64_t FaultCluster::MemberId(int i) {
  if (ids_.size() < static_cast<size_t>(size())) ids_.resize(size(), 0);
  if (ids_[i] != 0) return ids_[i];
  absl::StatusOr<pb::StatusResponse> st = MemberStatus(member(i).Endpoint(), milliseconds(2000));
  if (st.ok()) ids_[i] = st->header().member_id();
  return ids_[i];
}

int FaultCluster::WaitLeader(absl::Duration timeout) {
  return FindLeader(*base_, absl::ToChronoMilliseconds(timeout));
}

absl::StatusOr<ServerProcess*> FaultCluster::AddJoiningMember(const std::string& name,
                                                              int peer_port,
                                                              const std::string& initial_cluster) {
  MemberConfig cfg;
  cfg.name = name;
  cfg.peer_port = peer_port;
  cfg.initial_cluster = initial_cluster;
  cfg.initial_cluster_state = "existing";
  cfg.extra_flags = opts_.extra_flags;
  absl::StatusOr<std::unique_ptr<ServerProcess>> m = ServerProcess::Create(opts_.binary, cfg);
  if (!m.ok()) return m.status();
  joined_.push_back(std::move(*m));
  ids_.push_back(0);
  return joined_.back().get();
}

absl::Status FaultCluster::CutOff(int i, const std::vector<int>& peers) {
  std::string text;
  for (int p : peers) {
    uint64_t id = MemberId(p);
    if (id == 0) return absl::UnavailableError(absl::StrCat("no member id for member ", p));
    absl::StrAppend(&text, absl::StrFormat("%x\n", id));
  }
  std::string path = member(i).data_dir() + "/peer-faults";
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Dump>> FaultCluster::WaitConverged(absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  std::string why = "no running member";
  while (absl::Now() < end) {
    std::vector<Dump> dumps;
    why.clear();
    for (int i = 0; i < size(); ++i) {
      ServerProcess& m = member(i);
      if (!m.Running()) continue;
      absl::StatusOr<Dump> d = DumpAll(m.Endpoint(), /*serializable=*/true, milliseconds(5000));
      if (!d.ok()) {
        why = absl::StrCat(m.config().name, ": ", d.status().ToString());
        break;
      }
      if (!dumps.empty()) {
        std::string diff = DiffDumps(dumps.front(), *d);
        if (!diff.empty()) {
          why = absl::StrCat("first running member vs ", m.config().name, ": ", diff);
          break;
        }
      }
      dumps.push_back(*std::move(d));
    }
    if (why.empty() && !dumps.empty()) return dumps;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return absl::DeadlineExceededError(absl::StrCat("members did not converge: ", why));
}

bool PollUntil(const std::function<bool()>& done, absl::Duration timeout, milliseconds every) {
  absl::Time end = absl::Now() + timeout;
  for (;;) {
    if (done()) return true;
    if (absl::Now() >= end) return false;
    std::this_thread::sleep_for(every);
  }
}

std::unique_ptr<pb::KV::Stub> KvStub(const std::string& endpoint) {
  return pb::KV::NewStub(NewChannel(endpoint));
}

grpc::Status Put(const std::string& endpoint, const std::string& key, const std::string& value,
                 milliseconds deadline, pb::PutResponse* resp) {
  pb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  pb::PutResponse local;
  auto ctx = ContextWithDeadline(deadline);
  return KvStub(endpoint)->Put(ctx.get(), req, resp ? resp : &local);
}

[[nodiscard]] absl::StatusOr<Dump> DumpAll(const std::string& endpoint, bool serializable,
                                           milliseconds deadline) {
  pb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_range_end(std::string(1, '\0'));
  req.set_serializable(serializable);
  pb::RangeResponse resp;
  auto ctx = ContextWithDeadline(deadline);
  grpc::Status st = KvStub(endpoint)->Range(ctx.get(), req, &resp);
  if (!st.ok()) return absl::UnavailableError(StatusString(st));
  Dump d;
  d.revision = resp.header().revision();
  for (const auto& kv : resp.kvs()) {
    d.kvs.push_back(KvRecord{kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(),
                             kv.version(), kv.lease()});
  }
  return d;
}

[[nodiscard]] absl::StatusOr<pb::StatusResponse> MemberStatus(const std::string& endpoint,
                                                              milliseconds deadline) {
  auto stub = pb::Maintenance::NewStub(NewChannel(endpoint));
  pb::StatusResponse resp;
  auto ctx = ContextWithDeadline(deadline);
  grpc::Status st = stub->Status(ctx.get(), pb::StatusRequest{}, &resp);
  if (!st.ok()) return absl::UnavailableError(StatusString(st));
  return resp;
}

std::string DiffDumps(const Dump& a, const Dump& b) {
  if (a.revision != b.revision) return absl::StrCat("revision ", a.revision, " vs ", b.revision);
  if (a.kvs.size() != b.kvs.size()) return absl::StrCat(a.kvs.size(), " keys vs ", b.kvs.size());
  for (size_t i = 0; i < a.kvs.size(); ++i) {
    const KvRecord& x = a.kvs[i];
    const KvRecord& y = b.kvs[i];
    if (!(x == y)) {
      return absl::StrFormat(
          "key %s: value %s create %d mod %d version %d vs key %s: value %s "
          "create %d mod %d version %d",
          x.key, x.value, x.create_revision, x.mod_revision, x.version, y.key, y.value,
          y.create_revision, y.mod_revision, y.version);
    }
  }
  return "";
}

}  // namespace etcdpp::testing
