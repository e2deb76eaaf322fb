// KvStore::HashByRev (etcd's HashKV), kept apart from the read/write paths.
#include <string>

#include "backend/schema.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "mvcc/kvstore.h"

namespace etcdpp::mvcc {

absl::StatusOr<HashResult> KvStore::HashByRev(int64_t rev) const {
  HashResult r;
  r.compact_revision = CompactRev();
  r.revision = Rev();
  if (rev > 0 && rev <= r.compact_revision) return CompactedError();
  if (rev > 0 && rev > r.revision) return FutureRevError();
  if (rev == 0) rev = r.revision;
  const RevisionSet keep = index_.Keep(rev);
  const Revision lower{r.compact_revision + 1, 0};
  uint32_t h = crc32c::Extend(0, backend::BucketName(backend::Bucket::kKey));
  RETURN_NOT_OK(be_->Range(backend::Bucket::kKey, "", RevBytes(Revision{rev + 1, 0}),
                           [&](std::string_view k, std::string_view v) {
                             // Revisions at or below the compact revision count only if a
                             // compaction at rev keeps them (they may be awaiting deletion).
                             Revision kr = RevFromBytes(k);
                             if (kr < lower && !keep.empty() && !keep.contains(kr)) return true;
                             h = crc32c::Extend(h, k);
                             h = crc32c::Extend(h, v);
                             return true;
                           }));
  r.hash = h;
  return r;
}

}  // namespace etcdpp::mvcc
