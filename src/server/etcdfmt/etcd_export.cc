#include "server/etcdfmt/etcd_export.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "common/status.h"
#include "server/membership/membership.h"

namespace etcdpp::server::etcdfmt {
namespace {

using backend::Bucket;
using backend::ReadSnapshot;
using backend::bbolt::Writer;

const std::string kInitialAuthRevision("\0\0\0\0\0\0\0\1", 8);

void AppendJsonArray(std::string* out, const std::vector<std::string>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendGoJsonQuote(v[i], out);
  }
  out->push_back(']');
}

// Calls put_one for each pair of bucket `b`, in order; it puts what it makes of the pair.
absl::Status PutEach(
    const ReadSnapshot& snap, Bucket b, Writer& w,
    absl::FunctionRef<absl::Status(Writer&, std::string_view, std::string_view)> put_one) {
  absl::Status st;
  RETURN_NOT_OK(snap.ForEach(b, [&](std::string_view k, std::string_view v) {
    st = put_one(w, k, v);
    return st.ok();
  }));
  return st;
}

absl::Status Copy(Writer& w, std::string_view k, std::string_view v) { return w.Put(k, v); }

// The meta keys etcd 3.4 knows.
absl::Status PutMeta(Writer& w, std::string_view k, std::string_view v) {
  if (k == backend::kConsistentIndexKey || k == backend::kFinishedCompactKey ||
      k == backend::kScheduledCompactKey) {
    return w.Put(k, v);
  }
  return absl::OkStatus();
}

absl::Status PutMember(Writer& w, std::string_view k, std::string_view v) {
  ASSIGN_OR_RETURN(std::string json, MemberToEtcdJson(v));
  return w.Put(k, json);
}

// The auth buckets as src/auth writes them (etcd's encodings), except that a store whose auth
// never changed has no authRevision yet where etcd, creating its store, writes 1.
absl::Status ExportAuth(const ReadSnapshot& snap, Bucket b, Writer& w) {
  if (b != Bucket::kAuth) return PutEach(snap, b, w, Copy);
  constexpr std::string_view kRevisionKey = "authRevision";
  bool have_revision = false;
  RETURN_NOT_OK(PutEach(snap, b, w, [&](Writer& w, std::string_view k, std::string_view v) {
    if (!have_revision && k >= kRevisionKey) {
      have_revision = true;
      if (k != kRevisionKey) RETURN_NOT_OK(w.Put(kRevisionKey, kInitialAuthRevision));
    }
    return w.Put(k, v);
  }));
  return have_revision ? absl::OkStatus() : w.Put(kRevisionKey, kInitialAuthRevision);
}

absl::Status ExportBucket(const ReadSnapshot& snap, Bucket b, const ExportOptions& options,
                          Writer& w) {
  switch (b) {
    case Bucket::kAuth:
    case Bucket::kAuthRoles:
    case Bucket::kAuthUsers:
      if (options.auth == nullptr) return ExportAuth(snap, b, w);
      return options.auth->Export(
          snap, b, [&](std::string_view k, std::string_view v) { return w.Put(k, v); });
    case Bucket::kCluster:
      return w.Put("clusterVersion", kClusterVersion);
    case Bucket::kMembers:
      return PutEach(snap, b, w, PutMember);
    case Bucket::kMeta:
      return PutEach(snap, b, w, PutMeta);
    case Bucket::kAlarm:
    case Bucket::kKey:
    case Bucket::kLease:
    case Bucket::kMembersRemoved:
      return PutEach(snap, b, w, Copy);
  }
  return absl::InternalError("snapshot: unknown bucket");
}

// etcd's buckets in bbolt's (byte-wise) order.
constexpr std::array<Bucket, backend::kNumBuckets> kEtcdOrder = {
    Bucket::kAlarm, Bucket::kAuth,  Bucket::kAuthRoles, Bucket::kAuthUsers,      Bucket::kCluster,
    Bucket::kKey,   Bucket::kLease, Bucket::kMembers,   Bucket::kMembersRemoved, Bucket::kMeta,
};

}  // namespace

absl::StatusOr<std::string> MemberToEtcdJson(std::string_view record) {
  ASSIGN_OR_RETURN(Member m, DecodeMember(record));
  std::string out = absl::StrCat("{\"id\":", m.id, ",\"peerURLs\":");
  if (m.peer_urls.empty()) {
    out += "null";
  } else {
    AppendJsonArray(&out, m.peer_urls);
  }
  if (m.is_learner) out += ",\"isLearner\":true";
  if (!m.name.empty()) {
    out += ",\"name\":";
    AppendGoJsonQuote(m.name, &out);
  }
  if (!m.client_urls.empty()) {
    out += ",\"clientURLs\":";
    AppendJsonArray(&out, m.client_urls);
  }
  out += "}";
  return out;
}

absl::StatusOr<backend::bbolt::WriteResult> ExportEtcdBackend(const ReadSnapshot& snap,
                                                              backend::bbolt::Sink* sink,
                                                              const ExportOptions& options) {
  auto produce = [&](Writer& w) -> absl::Status {
    for (Bucket b : kEtcdOrder) {
      RETURN_NOT_OK(w.BeginBucket(backend::BucketName(b)));
      RETURN_NOT_OK_PREPEND(ExportBucket(snap, b, options, w),
                            absl::StrCat("exporting bucket ", std::string(backend::BucketName(b))));
      RETURN_NOT_OK(w.EndBucket());
    }
    return absl::OkStatus();
  };
  backend::bbolt::WriteOptions wo;
  wo.on_planned = options.on_size;
  return backend::bbolt::WriteDatabase(sink, produce, wo);
}

}  // namespace etcdpp::server::etcdfmt
