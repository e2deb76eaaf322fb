#include "server/apply/alarm_apply.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "server/errors.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

bool Less(const pb::AlarmMember& a, const pb::AlarmMember& b) {
  return std::make_tuple(a.memberid(), static_cast<int>(a.alarm())) <
         std::make_tuple(b.memberid(), static_cast<int>(b.alarm()));
}

bool Same(const pb::AlarmMember& a, uint64_t member, pb::AlarmType type) {
  return a.memberid() == member && a.alarm() == type;
}

uint32_t Bit(pb::AlarmType t) { return uint32_t{1} << (static_cast<uint32_t>(t) & 31); }

int64_t CostOfOps(const google::protobuf::RepeatedPtrField<pb::RequestOp>& ops);

int64_t CostOfTxn(const pb::TxnRequest& r) {
  return std::max(CostOfOps(r.success()), CostOfOps(r.failure()));
}

int64_t CostOfPut(const pb::PutRequest& r) {
  constexpr int64_t kKvOverhead = 256;
  return kKvOverhead + static_cast<int64_t>(r.key().size() + r.value().size());
}

int64_t CostOfOps(const google::protobuf::RepeatedPtrField<pb::RequestOp>& ops) {
  int64_t n = 0;
  for (const pb::RequestOp& op : ops) {
    if (op.has_request_put()) n += CostOfPut(op.request_put());
    if (op.has_request_txn()) n += CostOfTxn(op.request_txn());
  }
  return n;
}

}  // namespace

absl::Status AlarmStore::Load() {
  std::vector<pb::AlarmMember> loaded;
  absl::Status st =
      be_->Range(backend::Bucket::kAlarm, "", "", [&](std::string_view k, std::string_view) {
        pb::AlarmMember m;
        if (m.ParseFromArray(k.data(), static_cast<int>(k.size()))) {
          loaded.push_back(m);
        }
        return true;
      });
  if (!st.ok()) return st;
  std::sort(loaded.begin(), loaded.end(), Less);
  MutexLock l(&mu_);
  alarms_ = std::move(loaded);
  Publish();
  return absl::OkStatus();
}

void AlarmStore::Publish() {
  uint32_t mask = 0;
  for (const pb::AlarmMember& m : alarms_) mask |= Bit(m.alarm());
  raised_mask_.store(mask, std::memory_order_release);
}

pb::AlarmMember AlarmStore::Activate(uint64_t member, pb::AlarmType type, backend::BatchTx* tx) {
  MutexLock l(&mu_);
  for (const pb::AlarmMember& m : alarms_) {
    if (Same(m, member, type)) return m;
  }
  pb::AlarmMember m;
  m.set_memberid(member);
  m.set_alarm(type);
  tx->Put(backend::Bucket::kAlarm, m.SerializeAsString(), "");
  alarms_.insert(std::upper_bound(alarms_.begin(), alarms_.end(), m, Less), m);
  Publish();
  return m;
}

std::optional<pb::AlarmMember> AlarmStore::Deactivate(uint64_t member, pb::AlarmType type,
                                                      backend::BatchTx* tx) {
  MutexLock l(&mu_);
  auto it = std::find_if(alarms_.begin(), alarms_.end(),
                         [&](const pb::AlarmMember& m) { return Same(m, member, type); });
  if (it == alarms_.end()) return std::nullopt;
  pb::AlarmMember m = *it;
  tx->Delete(backend::Bucket::kAlarm, m.SerializeAsString());
  alarms_.erase(it);
  Publish();
  return m;
}

std::vector<pb::AlarmMember> AlarmStore::Get(pb::AlarmType type) const {
  MutexLock l(&mu_);
  if (type == pb::NONE) return alarms_;
  std::vector<pb::AlarmMember> out;
  for (const pb::AlarmMember& m : alarms_) {
    if (m.alarm() == type) out.push_back(m);
  }
  return out;
}

bool AlarmStore::Raised(pb::AlarmType type) const {
  return (raised_mask_.load(std::memory_order_acquire) & Bit(type)) != 0;
}

std::string AlarmStore::Describe(const pb::AlarmMember& m) {
  return absl::StrCat("memberID:", m.memberid(), " alarm:", pb::AlarmType_Name(m.alarm()), " ");
}

ApplyResult AlarmApplier::Apply(const pb::AlarmRequest& r, uint64_t index) {
  auto resp = std::make_unique<pb::AlarmResponse>();
  std::unique_ptr<mvcc::TxnWrite> txn = kv_->Write(index);
  const size_t before = store_->Get(r.alarm()).size();
  switch (r.action()) {
    case pb::AlarmRequest::GET:
      for (const pb::AlarmMember& m : store_->Get(r.alarm())) *resp->add_alarms() = m;
      break;
    case pb::AlarmRequest::ACTIVATE: {
      if (r.alarm() == pb::NONE) break;  // etcd stores it but no gate acts on it; we store none
      pb::AlarmMember m = store_->Activate(r.memberid(), r.alarm(), txn->batch());
      *resp->add_alarms() = m;
      if (before == 0 && store_->Get(r.alarm()).size() == 1) {
        SPDLOG_WARN("alarm raised: alarm {} from {:x}", pb::AlarmType_Name(m.alarm()),
                     m.memberid());
      }
      break;
    }
    case pb::AlarmRequest::DEACTIVATE: {
      std::optional<pb::AlarmMember> m = store_->Deactivate(r.memberid(), r.alarm(), txn->batch());
      if (!m.has_value()) break;
      *resp->add_alarms() = *m;
      if (before > 0 && store_->Get(r.alarm()).empty()) {
        SPDLOG_WARN("alarm disarmed: alarm {} from {:x}", pb::AlarmType_Name(m->alarm()),
                     m->memberid());
      }
      break;
    }
    default:
      break;
  }
  txn->End();
  return ApplyResult{absl::OkStatus(), std::move(resp), nullptr};
}

absl::Status AlarmGateApplier::Put(const pb::PutRequest& r, uint64_t index, pb::PutResponse* resp) {
  if (corrupt()) return ErrCorrupt();
  if (nospace()) return ErrNoSpace();
  return next()->Put(r, index, resp);
}

absl::Status AlarmGateApplier::DeleteRange(const pb::DeleteRangeRequest& r, uint64_t index,
                                           pb::DeleteRangeResponse* resp) {
  if (corrupt()) return ErrCorrupt();
  return next()->DeleteRange(r, index, resp);
}

absl::Status AlarmGateApplier::Txn(const pb::TxnRequest& r, uint64_t index, pb::TxnResponse* resp) {
  if (corrupt()) return ErrCorrupt();
  if (nospace() && TxnHasPut(r)) return ErrNoSpace();
  return next()->Txn(r, index, resp);
}

absl::Status AlarmGateApplier::Compaction(const pb::CompactionRequest& r, uint64_t index,
                                          pb::CompactionResponse* resp,
                                          std::function<void()>* wait_physical) {
  if (corrupt()) return ErrCorrupt();
  return next()->Compaction(r, index, resp, wait_physical);
}

absl::Status AlarmGateApplier::LeaseGrant(const pb::LeaseGrantRequest& r, uint64_t index,
                                          pb::LeaseGrantResponse* resp) {
  if (corrupt()) return ErrCorrupt();
  if (nospace()) return ErrNoSpace();
  return next()->LeaseGrant(r, index, resp);
}

absl::Status AlarmGateApplier::LeaseRevoke(const pb::LeaseRevokeRequest& r, uint64_t index,
                                           pb::LeaseRevokeResponse* resp) {
  if (corrupt()) return ErrCorrupt();
  return next()->LeaseRevoke(r, index, resp);
}

int64_t QuotaCost(const internalpb::InternalRequest& req) {
  constexpr int64_t kLeaseOverhead = 64;
  switch (req.request_case()) {
    case internalpb::InternalRequest::kPut:
      return CostOfPut(req.put());
    case internalpb::InternalRequest::kTxn:
      return CostOfTxn(req.txn());
    case internalpb::InternalRequest::kLeaseGrant:
      return kLeaseOverhead;
    default:
      return 0;
  }
}

bool TxnHasPut(const pb::TxnRequest& r) { return CostOfTxn(r) > 0; }

}  // namespace etcdpp::server
