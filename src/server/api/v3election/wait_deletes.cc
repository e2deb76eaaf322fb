#include "server/api/v3election/wait_deletes.h"

#include <utility>

#include "mvcc/kvstore.h"
#include "server/api/v3election/recipes.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

std::shared_ptr<WaitDeletes> WaitDeletes::Start(LocalClient* client, std::string prefix,
                                                int64_t max_create_rev, Done done) {
  std::shared_ptr<WaitDeletes> w(
      new WaitDeletes(client, std::move(prefix), max_create_rev, std::move(done)));
  w->Read();
  return w;
}

void WaitDeletes::Read() {
  client_->Get(recipes::LastCreatedUpTo(prefix_, max_rev_),
               [self = shared_from_this()](absl::StatusOr<pb::RangeResponse> r) {
                 self->OnRead(std::move(r));
               });
}

void WaitDeletes::OnRead(absl::StatusOr<pb::RangeResponse> r) {
  if (!r.ok()) {
    Complete(r.status());
    return;
  }
  if (r->kvs_size() == 0) {
    Complete(r->header());
    return;
  }
  watch::KeyRange key;
  key.key = r->kvs(0).key();
  std::weak_ptr<WaitDeletes> weak = weak_from_this();
  // From the read's revision: a delete after the read cannot be missed.
  absl::StatusOr<std::shared_ptr<KeyWatch>> w =
      client_->Watch(std::move(key), r->header().revision(), [weak](const watch::Response& r) {
        auto self = weak.lock();
        return self != nullptr && self->OnWatch(r);
      });
  if (!w.ok()) {
    Complete(w.status());
    return;
  }
  MutexLock l(&mu_);
  if (!done_) {  // cancelled meanwhile
    (*w)->Stop();
    return;
  }
  watch_ = std::move(*w);
}

bool WaitDeletes::OnWatch(const watch::Response& r) {
  if (r.compact_revision != 0) {
    Complete(mvcc::CompactedError());
    return false;
  }
  for (const watch::EventPtr& ev : r.events) {
    if (ev->type() != mvccpb::Event::DELETE) continue;
    std::shared_ptr<KeyWatch> w;
    {
      MutexLock l(&mu_);
      w = std::move(watch_);
    }
    if (w) w->Stop();
    Read();
    return false;
  }
  return true;
}

void WaitDeletes::Complete(absl::StatusOr<pb::ResponseHeader> r) {
  Done done;
  std::shared_ptr<KeyWatch> w;
  {
    MutexLock l(&mu_);
    done = std::move(done_);
    done_ = nullptr;
    w = std::move(watch_);
  }
  if (w) w->Stop();
  if (done) done(std::move(r));
}

void WaitDeletes::Cancel() { Complete(absl::CancelledError("context canceled")); }

}  // namespace etcdpp::server
