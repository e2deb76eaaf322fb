#include "server/api/v3election/local_client.h"

#include <utility>

#include "server/api/v3election/recipes.h"
#include "server/api/v3rpc/watch_service.h"
#include "server/apply/kv_apply.h"
#include "watch/watchable_store.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

absl::StatusOr<std::shared_ptr<KeyWatch>> KeyWatch::Start(watch::WatchableStore* store,
                                                          WatchDispatcher* d, watch::KeyRange range,
                                                          int64_t start_rev, Handler handler) {
  std::shared_ptr<KeyWatch> w(new KeyWatch(d, std::move(handler)));
  std::weak_ptr<KeyWatch> weak = w;
  // The store wakes the stream under its own lock: only a post happens there.
  w->stream_ = std::make_unique<watch::WatchStream>(store, [weak] {
    if (auto self = weak.lock()) self->Post();
  });
  watch::WatchOptions o;
  o.range = std::move(range);
  o.start_rev = start_rev;
  o.header_rev = store->kv().Rev();
  absl::StatusOr<watch::WatchId> id = w->stream_->Watch(o);
  if (!id.ok()) return id.status();
  return w;
}

KeyWatch::~KeyWatch() {
  if (stream_) stream_->Close();
}

void KeyWatch::Post() {
  std::weak_ptr<KeyWatch> weak = weak_from_this();
  dispatcher_->Post([weak] {
    if (auto self = weak.lock()) self->Drain();
  });
}

void KeyWatch::Resume() {
  {
    MutexLock l(&mu_);
    if (stopped_ || !paused_) return;
    paused_ = false;
  }
  Post();
}

void KeyWatch::Stop() {
  {
    MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stream_->Close();
}

void KeyWatch::Drain() {
  for (;;) {
    {
      MutexLock l(&mu_);
      if (stopped_ || paused_) return;
    }
    std::optional<watch::Response> r = stream_->Next();
    if (!r.has_value()) return;  // idle: the next answer queued posts again
    if (r->control) continue;    // the created answer
    if (!handler_(*r)) {
      MutexLock l(&mu_);
      paused_ = true;
      return;
    }
  }
}

template <typename Resp>
void LocalClient::Propose(internalpb::InternalRequest ir, Done<Resp> done) {
  MemberView* member = v_.member;
  v_.proposals->Propose(std::move(ir), [member, done = std::move(done)](ApplyResult r) {
    if (!r.status.ok()) {
      done(r.status);
      return;
    }
    Resp* applied = ResponseAs<Resp>(r);
    if (applied == nullptr) {
      done(absl::InternalError("unexpected response type"));
      return;
    }
    Resp out;
    out.Swap(applied);
    member->FillHeader(out.mutable_header());
    done(std::move(out));
  });
}

void LocalClient::Txn(pb::TxnRequest r, Done<pb::TxnResponse> done) {
  if (absl::Status st = CheckTxnRequest(r, static_cast<int64_t>(v_.member->config().max_txn_ops));
      !st.ok()) {
    done(st);
    return;
  }
  internalpb::InternalRequest ir;
  *ir.mutable_txn() = std::move(r);
  Propose<pb::TxnResponse>(std::move(ir), std::move(done));
}

void LocalClient::Delete(pb::DeleteRangeRequest r, Done<pb::DeleteRangeResponse> done) {
  if (absl::Status st = CheckDeleteRequest(r); !st.ok()) {
    done(st);
    return;
  }
  internalpb::InternalRequest ir;
  *ir.mutable_delete_range() = std::move(r);
  Propose<pb::DeleteRangeResponse>(std::move(ir), std::move(done));
}

void LocalClient::Grant(int64_t ttl, Done<int64_t> done) {
  internalpb::InternalRequest ir;
  ir.mutable_lease_grant()->set_ttl(ttl);
  ir.mutable_lease_grant()->set_id(v_.lease->NextLeaseId());
  Propose<pb::LeaseGrantResponse>(
      std::move(ir), [done = std::move(done)](absl::StatusOr<pb::LeaseGrantResponse> r) {
        if (!r.ok()) {
          done(r.status());
        } else {
          done(r->id());
        }
      });
}

void LocalClient::SessionLease(int64_t lease, Done<int64_t> done) {
  if (lease != 0) {
    done(lease);
    return;
  }
  Grant(recipes::kDefaultSessionTtl, std::move(done));
}

void LocalClient::Get(pb::RangeRequest r, Done<pb::RangeResponse> done) {
  if (absl::Status st = CheckRangeRequest(r); !st.ok()) {
    done(st);
    return;
  }
  Views v = v_;
  v_.kv->LinearizableRead([v, r = std::move(r), done = std::move(done)](absl::Status st) {
    pb::RangeResponse resp;
    if (st.ok()) st = v.kv->kv().Range(r, &resp);
    if (!st.ok()) {
      done(st);
      return;
    }
    v.member->FillHeader(resp.mutable_header());
    done(std::move(resp));
  });
}

absl::StatusOr<std::shared_ptr<KeyWatch>> LocalClient::Watch(watch::KeyRange range,
                                                             int64_t start_rev,
                                                             KeyWatch::Handler handler) {
  return KeyWatch::Start(v_.kv->watchable(), dispatcher_, std::move(range), start_rev,
                         std::move(handler));
}

pb::ResponseHeader LocalClient::Header(int64_t revision) const {
  pb::ResponseHeader h;
  v_.member->FillHeader(&h);
  h.set_revision(revision);
  return h;
}

}  // namespace etcdpp::server
