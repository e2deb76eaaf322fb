#include "server/api/v3election/recipes.h"

#include "absl/strings/str_format.h"
#include "common/error_id.h"
#include "server/errors.h"

namespace etcdpp::server::recipes {
namespace pb = ::etcdserverpb;

namespace {

pb::Compare CreateRevisionIs(const std::string& key, int64_t rev) {
  pb::Compare c;
  c.set_result(pb::Compare::EQUAL);
  c.set_target(pb::Compare::CREATE);
  c.set_key(key);
  c.set_create_revision(rev);
  return c;
}

void AddPut(google::protobuf::RepeatedPtrField<pb::RequestOp>* ops, const std::string& key,
            const std::string& value, int64_t lease) {
  pb::PutRequest* p = ops->Add()->mutable_request_put();
  p->set_key(key);
  p->set_value(value);
  p->set_lease(lease);
}

void AddGet(google::protobuf::RepeatedPtrField<pb::RequestOp>* ops, pb::RangeRequest r) {
  *ops->Add()->mutable_request_range() = std::move(r);
}

pb::RangeRequest Get(const std::string& key) {
  pb::RangeRequest r;
  r.set_key(key);
  return r;
}

// One key of `prefix`, by create revision in `order` (clientv3's withTop).
pb::RangeRequest TopByCreate(const std::string& prefix, pb::RangeRequest::SortOrder order) {
  pb::RangeRequest r;
  r.set_key(prefix);
  r.set_range_end(PrefixEnd(prefix));
  r.set_sort_target(pb::RangeRequest::CREATE);
  r.set_sort_order(order);
  r.set_limit(1);
  return r;
}

const pb::RangeResponse* RangeAt(const pb::TxnResponse& r, int i) {
  if (r.responses_size() <= i || !r.responses(i).has_response_range()) return nullptr;
  return &r.responses(i).response_range();
}

absl::Status Own(absl::Status st, absl::string_view id) {
  return WithErrorId(std::move(st), id);  // a "server:" id: ToGrpcStatus keeps the text
}

}  // namespace

std::string OwnKey(const std::string& prefix, int64_t lease) {
  if (lease < 0) {
    return absl::StrFormat("%s-%x", prefix,
                           static_cast<uint64_t>(0) - static_cast<uint64_t>(lease));
  }
  return absl::StrFormat("%s%x", prefix, lease);
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  for (size_t i = end.size(); i > 0; --i) {
    if (static_cast<unsigned char>(end[i - 1]) < 0xff) {
      end[i - 1] = static_cast<char>(static_cast<unsigned char>(end[i - 1]) + 1);
      end.resize(i);
      return end;
    }
  }
  return std::string(1, '\0');  // every byte 0xff: all keys from the prefix on
}

pb::TxnRequest CampaignTxn(const std::string& key, const std::string& value, int64_t lease) {
  pb::TxnRequest t;
  *t.add_compare() = CreateRevisionIs(key, 0);
  AddPut(t.mutable_success(), key, value, lease);
  AddGet(t.mutable_failure(), Get(key));
  return t;
}

pb::TxnRequest ProclaimTxn(const std::string& key, int64_t rev, const std::string& value,
                           int64_t lease) {
  pb::TxnRequest t;
  *t.add_compare() = CreateRevisionIs(key, rev);
  AddPut(t.mutable_success(), key, value, lease);
  return t;
}

pb::TxnRequest ResignTxn(const std::string& key, int64_t rev) {
  pb::TxnRequest t;
  *t.add_compare() = CreateRevisionIs(key, rev);
  t.add_success()->mutable_request_delete_range()->set_key(key);
  return t;
}

pb::TxnRequest LockTxn(const std::string& key, const std::string& prefix, int64_t lease) {
  pb::TxnRequest t;
  *t.add_compare() = CreateRevisionIs(key, 0);
  AddPut(t.mutable_success(), key, "", lease);
  AddGet(t.mutable_success(), FirstCreated(prefix));
  AddGet(t.mutable_failure(), Get(key));
  AddGet(t.mutable_failure(), FirstCreated(prefix));
  return t;
}

pb::RangeRequest FirstCreated(const std::string& prefix) {
  return TopByCreate(prefix, pb::RangeRequest::ASCEND);
}

pb::RangeRequest LastCreatedUpTo(const std::string& prefix, int64_t max_create_rev) {
  pb::RangeRequest r = TopByCreate(prefix, pb::RangeRequest::DESCEND);
  r.set_max_create_revision(max_create_rev);
  return r;
}

absl::Status OwnRevision(const pb::TxnResponse& r, int64_t* rev) {
  if (r.succeeded()) {
    *rev = r.header().revision();
    return absl::OkStatus();
  }
  const pb::RangeResponse* own = RangeAt(r, 0);
  if (own == nullptr || own->kvs_size() == 0) {
    return absl::InternalError("recipe txn: the key it compared is missing");
  }
  *rev = own->kvs(0).create_revision();
  return absl::OkStatus();
}

std::string FoundValue(const pb::TxnResponse& r) {
  const pb::RangeResponse* own = r.succeeded() ? nullptr : RangeAt(r, 0);
  return own == nullptr || own->kvs_size() == 0 ? std::string() : own->kvs(0).value();
}

bool LockHeld(const pb::TxnResponse& r, int64_t own_rev) {
  const pb::RangeResponse* owner = RangeAt(r, 1);
  return owner == nullptr || owner->kvs_size() == 0 || owner->kvs(0).create_revision() == own_rev;
}

absl::Status ErrNotLeader() {
  return Own(absl::UnknownError("election: not leader"), "server:election-not-leader");
}

absl::Status ErrNoLeader() {
  return Own(absl::UnknownError("election: no leader"), "server:election-no-leader");
}

absl::Status ErrMissingLeaderKey() {
  return Own(absl::UnknownError("\"leader\" field must be provided"),
             "server:election-missing-leader");
}

grpc::Status ToRecipeGrpcStatus(const absl::Status& st) {
  if (st.ok()) return grpc::Status::OK;
  if (absl::IsCancelled(st)) return grpc::Status(grpc::StatusCode::CANCELLED, "context canceled");
  grpc::Status g = ToGrpcStatus(st);
  return grpc::Status(grpc::StatusCode::UNKNOWN, g.error_message());
}

}  // namespace etcdpp::server::recipes
