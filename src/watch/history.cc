#include "watch/history.h"

#include <string>

#include "backend/schema.h"
#include "mvcc/revision.h"

namespace etcdpp::watch {

[[nodiscard]] absl::StatusOr<std::vector<EventPtr>> ReadHistory(const mvcc::KvStore& kv,
                                                                int64_t from, int64_t to,
                                                                int max_revs, int64_t* last) {
  std::vector<EventPtr> out;
  *last = to;
  if (from > to) return out;
  const std::string lo = mvcc::RevBytes(mvcc::Revision{from, 0});
  const std::string hi = mvcc::RevBytes(mvcc::Revision{to + 1, 0});
  absl::Status bad;
  int revs = 0;
  int64_t prev_main = 0;
  absl::Status st = kv.backend()->Range(
      backend::Bucket::kKey, lo, hi, [&](std::string_view k, std::string_view v) {
        if (k.size() < mvcc::kRevBytesLen) return true;
        const mvcc::Revision rev = mvcc::RevFromBytes(k);
        if (rev.main != prev_main) {
          if (max_revs > 0 && revs >= max_revs) {
            *last = prev_main;
            return false;
          }
          ++revs;
          prev_main = rev.main;
        }
        auto ev = std::make_shared<mvccpb::Event>();
        if (!ev->mutable_kv()->ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = absl::DataLossError("watch: corrupt value in key bucket");
          return false;
        }
        if (mvcc::IsTombstoneKey(k)) {
          ev->set_type(mvccpb::Event::DELETE);
          ev->mutable_kv()->set_mod_revision(rev.main);
        } else {
          ev->set_type(mvccpb::Event::PUT);
        }
        out.push_back(std::move(ev));
        return true;
      });
  if (!st.ok()) return st;
  if (!bad.ok()) return bad;
  return out;
}

}  // namespace etcdpp::watch
