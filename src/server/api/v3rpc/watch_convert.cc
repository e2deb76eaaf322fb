#include "server/api/v3rpc/watch_convert.h"

#include <utility>

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

bool IsCreate(const mvccpb::Event& ev) {
  return ev.type() == mvccpb::Event::PUT && ev.kv().create_revision() == ev.kv().mod_revision();
}

}  // namespace

pb::WatchResponse ToWatchResponse(const watch::Response& r, bool prev_kv, const mvcc::KvStore& kv) {
  pb::WatchResponse out;
  out.mutable_header()->set_revision(r.revision);
  out.set_watch_id(r.watch_id);
  out.set_created(r.created);
  out.set_canceled(r.canceled || r.compact_revision != 0);
  out.set_cancel_reason(r.cancel_reason);
  out.set_compact_revision(r.compact_revision);
  for (const watch::EventPtr& ev : r.events) {
    mvccpb::Event* e = out.add_events();
    *e = *ev;
    if (!prev_kv || IsCreate(*ev)) continue;
    mvcc::RangeOptions o;
    o.rev = ev->kv().mod_revision() - 1;
    auto prev = kv.Range(ev->kv().key(), "", o);
    if (prev.ok() && !prev->kvs.empty()) *e->mutable_prev_kv() = std::move(prev->kvs[0]);
  }
  return out;
}

}  // namespace etcdpp::server
