#include "server/grpcproxy/watch_coalescer.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/mutex.h"
#include "server/api/watch_fragment.h"
#include "server/grpcproxy/coalesce_streams.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

constexpr char kMethod[] = "/etcdserverpb.Watch/Watch";
// The member's refusals (watch/watch_stream.cc), given by the proxy where it answers alone.
constexpr char kRangeEmpty[] = "mvcc: watcher range is empty";
constexpr char kDuplicateId[] = "mvcc: duplicate watch ID provided on the WatchStream";

class ClientStream;
class Group;
struct Broadcast;

// One client watch. Owned by its stream's entry in Group::streams_; under Group::mu_.
struct Receiver {
  ClientStream* stream = nullptr;
  int64_t id = 0;
  int64_t start = 0;    // the requested start revision (0: the current one)
  int64_t nextrev = 0;  // events below it were sent (set by the created answer)
  bool prev_kv = false;
  bool progress = false;
  bool fragment = false;
  bool no_put = false;
  bool no_delete = false;
  Broadcast* bcast = nullptr;  // null once its broadcast ended
};

// One member watch shared by client watches of one range. Owned by Group::all_; under
// Group::mu_.
struct Broadcast {
  std::string key;
  std::string end;
  int64_t start = 0;          // the start revision of its create on the current member stream
  int64_t member_id = -1;     // the member's id for it; -1 until its created answer
  bool creating = false;      // in Group::creating_, its created answer awaited
  bool created = false;       // its clients had their created answers
  int64_t nextrev = 0;        // every event below it was delivered (once created)
  pb::ResponseHeader header;  // the last one the member sent for it
  absl::flat_hash_set<Receiver*> receivers;
};

}  // namespace

struct CoalescingWatch::Impl {
  Upstream* up;
  const CallObserver* observer;
  WatchMetrics metrics;
  const KeyNamespace* ns;
  std::shared_ptr<PendingCalls> pending = std::make_shared<PendingCalls>();
  GroupMap<Group> groups;
};

namespace {

using Impl = CoalescingWatch::Impl;

// The client's side of one Watch stream.
class ClientStream final : public ClientBidi<pb::WatchRequest, pb::WatchResponse> {
 public:
  ClientStream(std::shared_ptr<Impl> impl, std::shared_ptr<Group> group)
      : ClientBidi(kMethod, impl->observer, CoalescingWatch::kMaxQueuedBytes),
        impl_(std::move(impl)),
        group_(std::move(group)) {}

 private:
  void OnRequest(const pb::WatchRequest& req) override;
  void OnStreamDone() override;

  const std::shared_ptr<Impl> impl_;
  const std::shared_ptr<Group> group_;
};

// The client streams that send the same metadata up, their watches and broadcasts, and their
// member stream.
class Group final : public MemberLink<pb::WatchRequest, pb::WatchResponse> {
 public:
  Group(std::shared_ptr<Impl> impl, std::string key, Metadata md)
      : MemberLink(impl->up, impl->pending, kMethod, std::move(md)),
        impl_(std::move(impl)),
        key_(std::move(key)) {}
  const std::string& key() const { return key_; }

  void AddStream(ClientStream* s) {
    MutexLock l(&mu_);
    streams_[s];
  }
  // Drops the stream's watches; true when the group has no stream left.
  bool RemoveStream(ClientStream* s);
  void Handle(ClientStream* s, const pb::WatchRequest& req);
  // The group is gone (no client stream left, or the proxy stops).
  Closing Close();

  void MemberRead(Stream* m, const pb::WatchResponse& r) override;
  void MemberDone(Stream* m, const grpc::Status& s) override;

 private:
  struct StreamWatches {
    absl::flat_hash_map<int64_t, std::unique_ptr<Receiver>> by_id;
    int64_t next_id = 0;
  };

  void Resume() override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch(ClientStream* s, const pb::WatchRequest& req) ABSL_LOCKS_EXCLUDED(mu_);
  void Create(ClientStream* s, pb::WatchCreateRequest c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Refuse(ClientStream* s, const char* reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelWatch(ClientStream* s, int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequestProgress(ClientStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendProgressRequest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(Broadcast* b, const pb::WatchResponse& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeMerge(Broadcast* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void Join(Broadcast* b, Receiver* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Leave(Receiver* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends every client watch of `b` (after the member ended its watch) and forgets `b`.
  void DropWithReceivers(Broadcast* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendCreate(Broadcast* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelOnMember(Broadcast* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(Broadcast* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every broadcast, without a word to their clients.
  void ForgetAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An answer for one client watch: the namespace stripped, fragmented if it asked.
  void Post(Receiver* r, pb::WatchResponse resp) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    PostTo(r->stream, std::move(resp), r->fragment);
  }
  void PostTo(ClientStream* s, pb::WatchResponse resp, bool fragment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (impl_->ns != nullptr) impl_->ns->Strip(&resp);
    if (!fragment) return s->Post(std::move(resp));
    for (pb::WatchResponse& part : Fragment(std::move(resp), kDefaultFragmentBytes)) {
      s->Post(std::move(part));
    }
  }

  const std::shared_ptr<Impl> impl_;
  const std::string key_;

  absl::flat_hash_map<ClientStream*, StreamWatches> streams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Broadcast*, std::unique_ptr<Broadcast>> all_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<std::string, std::string>, std::vector<Broadcast*>> by_range_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, Broadcast*> by_member_id_ ABSL_GUARDED_BY(mu_);
  // Broadcasts whose created answers are awaited on the current member stream, in the order of
  // their creates (the member answers creates in order).
  std::deque<Broadcast*> creating_ ABSL_GUARDED_BY(mu_);
  pb::ResponseHeader last_header_ ABSL_GUARDED_BY(mu_);  // the member's latest
  // Progress requests: the streams whose request is on its way to the member, and those that
  // asked after it left (they need an answer sent after their request).
  bool progress_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<ClientStream*> progress_sent_ ABSL_GUARDED_BY(mu_);
  std::vector<ClientStream*> progress_next_ ABSL_GUARDED_BY(mu_);
};

void ClientStream::OnRequest(const pb::WatchRequest& req) { group_->Handle(this, req); }

void ClientStream::OnStreamDone() { impl_->groups.Leave(group_, this); }

bool Group::RemoveStream(ClientStream* s) {
  MutexLock l(&mu_);
  auto it = streams_.find(s);
  if (it != streams_.end()) {
    for (auto& [id, r] : it->second.by_id) Leave(r.get());
    streams_.erase(it);
  }
  std::erase(progress_sent_, s);
  std::erase(progress_next_, s);
  return streams_.empty();
}

Group::Closing Group::Close() {
  MutexLock l(&mu_);
  ForgetAll();
  return CloseLink();
}

void Group::ForgetAll() {
  for (auto& [b, owned] : all_) {
    for (Receiver* rc : b->receivers) rc->bcast = nullptr;
    if (b->receivers.size() > 1 && impl_->metrics.watchers_coalescing) {
      impl_->metrics.watchers_coalescing->Decrement(static_cast<double>(b->receivers.size() - 1));
    }
    if (impl_->metrics.upstream_watchers) impl_->metrics.upstream_watchers->Decrement();
  }
  by_member_id_.clear();
  creating_.clear();
  by_range_.clear();
  all_.clear();
}

void Group::Handle(ClientStream* s, const pb::WatchRequest& req) {
  Dispatch(s, req);
  StartMade();
}

void Group::Dispatch(ClientStream* s, const pb::WatchRequest& req) {
  MutexLock l(&mu_);
  if (closed_ || s->Ended()) return;
  switch (req.request_union_case()) {
    case pb::WatchRequest::kCreateRequest: {
      pb::WatchCreateRequest c = req.create_request();
      if (impl_->ns != nullptr) impl_->ns->Prefix(&c);
      Create(s, std::move(c));
      break;
    }
    case pb::WatchRequest::kCancelRequest:
      CancelWatch(s, req.cancel_request().watch_id());
      break;
    case pb::WatchRequest::kProgressRequest:
      RequestProgress(s);
      break;
    default:
      break;  // the member ignores requests it does not know
  }
}

void Group::Create(ClientStream* s, pb::WatchCreateRequest c) {
  StreamWatches& sw = streams_[s];

  // The member's checks (watch_stream.cc): a non-empty range, an unused id.
  const std::string key = c.key().empty() ? std::string(1, '\0') : c.key();
  const bool from_key = c.range_end() == std::string(1, '\0');
  if (!c.range_end().empty() && !from_key && key >= c.range_end()) return Refuse(s, kRangeEmpty);
  int64_t id = c.watch_id();
  if (id != 0) {
    if (sw.by_id.contains(id)) return Refuse(s, kDuplicateId);
  } else {
    while (sw.by_id.contains(sw.next_id)) ++sw.next_id;
    id = sw.next_id++;
  }
  auto owned = std::make_unique<Receiver>();
  Receiver* r = owned.get();
  r->stream = s;
  r->id = id;
  r->start = c.start_revision();
  r->prev_kv = c.prev_kv();
  r->progress = c.progress_notify();
  r->fragment = c.fragment();
  for (int f : c.filters()) {
    if (f == pb::WatchCreateRequest::NOPUT) r->no_put = true;
    if (f == pb::WatchCreateRequest::NODELETE) r->no_delete = true;
  }
  sw.by_id[id] = std::move(owned);

  std::vector<Broadcast*>& list = by_range_[{c.key(), c.range_end()}];
  for (Broadcast* b : list) {
    if (!b->created) {
      // Its created answer is still to come: it serves both starting at the current revision,
      // or a later start than its own.
      const bool fits = (r->start == 0 && b->start == 0) ||
                        (r->start > 0 && b->start > 0 && r->start >= b->start);
      if (!fits) continue;
      Join(b, r);  // the created answer comes with the broadcast's
      return;
    }
    if (r->start != 0 && r->start < b->nextrev) continue;  // it already went past the start
    r->nextrev = r->start == 0 ? b->header.revision() + 1 : r->start;
    Join(b, r);
    pb::WatchResponse created;
    *created.mutable_header() = b->header;
    created.set_watch_id(id);
    created.set_created(true);
    Post(r, std::move(created));
    return;
  }
  auto nb = std::make_unique<Broadcast>();
  Broadcast* b = nb.get();
  b->key = c.key();
  b->end = c.range_end();
  b->start = c.start_revision();
  all_[b] = std::move(nb);
  list.push_back(b);
  if (impl_->metrics.upstream_watchers) impl_->metrics.upstream_watchers->Increment();
  Join(b, r);
  SendCreate(b);
}

// A create the member would refuse, refused as it would (created and canceled, id -1).
void Group::Refuse(ClientStream* s, const char* reason) {
  pb::WatchResponse r;
  *r.mutable_header() = last_header_;
  r.set_watch_id(-1);
  r.set_created(true);
  r.set_canceled(true);
  r.set_cancel_reason(reason);
  PostTo(s, std::move(r), false);
}

void Group::CancelWatch(ClientStream* s, int64_t id) {
  StreamWatches& sw = streams_[s];
  auto it = sw.by_id.find(id);
  if (it == sw.by_id.end()) return;  // the member answers nothing for an unknown id
  pb::WatchResponse r;
  *r.mutable_header() = it->second->bcast ? it->second->bcast->header : last_header_;
  r.set_watch_id(id);
  r.set_canceled(true);
  Leave(it->second.get());
  sw.by_id.erase(it);
  PostTo(s, std::move(r), false);
}

void Group::RequestProgress(ClientStream* s) {
  if (progress_in_flight_) {
    progress_next_.push_back(s);
    return;
  }
  progress_sent_.push_back(s);
  SendProgressRequest();
}

void Group::SendProgressRequest() {
  Stream* m = Member();
  if (m == nullptr) return;  // sent again once a member stream is open
  progress_in_flight_ = true;
  pb::WatchRequest req;
  req.mutable_progress_request();
  m->Send(std::move(req));
}

void Group::Join(Broadcast* b, Receiver* r) {
  r->bcast = b;
  if (!b->receivers.empty() && impl_->metrics.watchers_coalescing) {
    impl_->metrics.watchers_coalescing->Increment();
  }
  b->receivers.insert(r);
}

void Group::Leave(Receiver* r) {
  Broadcast* b = r->bcast;
  if (b == nullptr) return;
  r->bcast = nullptr;
  b->receivers.erase(r);
  if (!b->receivers.empty()) {
    if (impl_->metrics.watchers_coalescing) impl_->metrics.watchers_coalescing->Decrement();
    return;
  }
  if (b->creating) return;  // cancelled on the member once its created answer names it
  CancelOnMember(b);
  Forget(b);
}

void Group::DropWithReceivers(Broadcast* b) {
  for (Receiver* r : b->receivers) {
    r->bcast = nullptr;
    streams_[r->stream].by_id.erase(r->id);  // deletes r
  }
  if (b->receivers.size() > 1 && impl_->metrics.watchers_coalescing) {
    impl_->metrics.watchers_coalescing->Decrement(static_cast<double>(b->receivers.size() - 1));
  }
  b->receivers.clear();
  by_member_id_.erase(b->member_id);
  b->member_id = -1;
  Forget(b);
}

void Group::SendCreate(Broadcast* b) {
  Stream* m = Member();
  if (m == nullptr) return;  // Reconnect creates every broadcast
  pb::WatchRequest req;
  pb::WatchCreateRequest* c = req.mutable_create_request();
  c->set_key(b->key);
  c->set_range_end(b->end);
  c->set_start_revision(b->start);
  c->set_prev_kv(true);          // for the clients that ask; stripped for the others
  c->set_progress_notify(true);  // likewise
  b->creating = true;
  creating_.push_back(b);
  m->Send(std::move(req));
}

void Group::CancelOnMember(Broadcast* b) {
  if (b->member_id < 0) return;
  by_member_id_.erase(b->member_id);
  if (Stream* m = Member(); m != nullptr) {
    pb::WatchRequest req;
    req.mutable_cancel_request()->set_watch_id(b->member_id);
    m->Send(std::move(req));  // its canceled answer finds no broadcast: ignored
  }
  b->member_id = -1;
}

void Group::Forget(Broadcast* b) {
  auto it = by_range_.find(std::make_pair(b->key, b->end));
  if (it != by_range_.end()) {
    std::erase(it->second, b);
    if (it->second.empty()) by_range_.erase(it);
  }
  if (impl_->metrics.upstream_watchers) impl_->metrics.upstream_watchers->Decrement();
  all_.erase(b);
}

void Group::MemberRead(Stream* m, const pb::WatchResponse& r) {
  MutexLock l(&mu_);
  if (!Current(m)) return;  // a stream this group left
  Healthy();
  if (r.has_header()) last_header_ = r.header();
  if (r.created()) {
    if (creating_.empty()) {
      SPDLOG_WARN("grpc-proxy: a created watch answer nobody asked for (id {})", r.watch_id());
      return;
    }
    Broadcast* b = creating_.front();
    creating_.pop_front();
    b->creating = false;
    if (r.canceled() || r.watch_id() < 0) {  // refused (permission, auth)
      for (Receiver* rc : b->receivers) {
        pb::WatchResponse out;
        *out.mutable_header() = r.header();
        out.set_watch_id(b->created ? rc->id : -1);
        out.set_created(!b->created);
        out.set_canceled(true);
        out.set_cancel_reason(r.cancel_reason());
        Post(rc, std::move(out));
      }
      DropWithReceivers(b);
      return;
    }
    b->member_id = r.watch_id();
    by_member_id_[b->member_id] = b;
    b->header = r.header();
    if (b->receivers.empty()) {  // its clients left while it was being created
      CancelOnMember(b);
      Forget(b);
      return;
    }
    if (b->created) return;  // re-created on a new member stream: its clients know
    b->created = true;
    b->nextrev = b->start == 0 ? r.header().revision() + 1 : b->start;
    for (Receiver* rc : b->receivers) {
      rc->nextrev = rc->start == 0 ? r.header().revision() + 1 : rc->start;
      pb::WatchResponse out;
      *out.mutable_header() = r.header();
      out.set_watch_id(rc->id);
      out.set_created(true);
      Post(rc, std::move(out));
    }
    return;
  }
  if (r.watch_id() < 0 && !r.canceled()) {  // the answer to a progress request
    for (ClientStream* s : progress_sent_) {
      pb::WatchResponse out;
      *out.mutable_header() = r.header();
      out.set_watch_id(-1);
      PostTo(s, std::move(out), false);
    }
    progress_sent_.clear();
    progress_in_flight_ = false;
    if (!progress_next_.empty()) {
      progress_sent_.swap(progress_next_);
      SendProgressRequest();
    }
    return;
  }
  auto it = by_member_id_.find(r.watch_id());
  if (it == by_member_id_.end()) return;  // one this proxy cancelled
  Broadcast* b = it->second;
  if (r.canceled() || r.compact_revision() != 0) {  // compacted, or ended by the member
    for (Receiver* rc : b->receivers) {
      pb::WatchResponse out;
      *out.mutable_header() = r.header();
      out.set_watch_id(rc->id);
      out.set_canceled(true);
      out.set_compact_revision(r.compact_revision());
      out.set_cancel_reason(r.cancel_reason());
      Post(rc, std::move(out));
    }
    DropWithReceivers(b);
    return;
  }
  Deliver(b, r);
  MaybeMerge(b);
}

// etcd's watcher.send, for each client watch of `b`.
void Group::Deliver(Broadcast* b, const pb::WatchResponse& r) {
  b->header = r.header();
  if (r.events_size() == 0) {  // a progress notification: the watch is synced to the revision
    b->nextrev = std::max(b->nextrev, r.header().revision() + 1);
    for (Receiver* rc : b->receivers) {
      if (!rc->progress) continue;
      pb::WatchResponse out;
      *out.mutable_header() = r.header();
      out.set_watch_id(rc->id);
      Post(rc, std::move(out));
    }
    return;
  }
  for (Receiver* rc : b->receivers) {
    pb::WatchResponse out;
    int64_t last = 0;
    for (const mvccpb::Event& ev : r.events()) {
      if (ev.kv().mod_revision() < rc->nextrev) continue;
      // A txn's events share a revision: the next revision moves once all of them are seen.
      last = ev.kv().mod_revision();
      if ((rc->no_put && ev.type() == mvccpb::Event::PUT) ||
          (rc->no_delete && ev.type() == mvccpb::Event::DELETE)) {
        continue;
      }
      mvccpb::Event* e = out.add_events();
      *e = ev;
      if (!rc->prev_kv) e->clear_prev_kv();
    }
    if (last >= rc->nextrev) rc->nextrev = last + 1;
    if (out.events_size() == 0) continue;  // all filtered out
    *out.mutable_header() = r.header();
    out.set_watch_id(rc->id);
    Post(rc, std::move(out));
  }
  if (b->receivers.size() > 1 && impl_->metrics.events_coalescing) {
    impl_->metrics.events_coalescing->Increment(static_cast<double>(b->receivers.size() - 1));
  }
  b->nextrev = std::max(b->nextrev, r.events(r.events_size() - 1).kv().mod_revision() + 1);
}

// Two broadcasts of one range at the same next revision deliver the same events from here on:
// `b` gives its clients to the other and its member watch goes.
void Group::MaybeMerge(Broadcast* b) {
  auto it = by_range_.find(std::make_pair(b->key, b->end));
  if (it == by_range_.end()) return;
  for (Broadcast* o : it->second) {
    if (o == b || !o->created || o->member_id < 0 || o->nextrev != b->nextrev) continue;
    for (Receiver* rc : b->receivers) {
      rc->bcast = o;
      o->receivers.insert(rc);
    }
    // o had at least one client (an empty broadcast is cancelled at once): one more coalesces.
    if (impl_->metrics.watchers_coalescing) impl_->metrics.watchers_coalescing->Increment();
    b->receivers.clear();
    CancelOnMember(b);
    Forget(b);
    return;
  }
}

void Group::MemberDone(Stream* m, const grpc::Status& s) {
  MutexLock l(&mu_);
  if (!Current(m)) return;  // a stream this group already left
  by_member_id_.clear();
  for (Broadcast* b : creating_) b->creating = false;
  creating_.clear();
  std::vector<Broadcast*> empty;
  for (auto& [b, owned] : all_) {
    b->member_id = -1;
    if (b->receivers.empty()) empty.push_back(b);
  }
  for (Broadcast* b : empty) Forget(b);
  progress_next_.insert(progress_next_.begin(), progress_sent_.begin(), progress_sent_.end());
  progress_sent_.clear();
  progress_in_flight_ = false;
  if (RetryableEnd(s)) {
    SPDLOG_INFO("grpc-proxy: watch stream to the member ended (code {}: {}); resuming {} watches",
                static_cast<int>(s.error_code()), s.error_message(), all_.size());
    Down(m, s, /*reopen=*/!all_.empty() || !progress_next_.empty());
    return;
  }
  // The member refused the stream itself: its clients get its answer, as they would directly.
  Down(m, s, /*reopen=*/false);
  ForgetAll();
  progress_next_.clear();
  for (auto& [cs, sw] : streams_) cs->End(s);
}

// Every broadcast again, from where its clients are.
void Group::Resume() {
  for (auto& [b, owned] : all_) {
    if (b->created) b->start = b->nextrev;
    SendCreate(b);
  }
  if (!progress_next_.empty()) {
    progress_sent_.swap(progress_next_);
    SendProgressRequest();
  }
}

}  // namespace

CoalescingWatch::CoalescingWatch(Upstream* up, const CallObserver* observer, WatchMetrics metrics,
                                 const KeyNamespace* ns)
    : impl_(std::make_shared<Impl>()) {
  impl_->up = up;
  impl_->observer = observer;
  impl_->metrics = metrics;
  impl_->ns = ns;
}

CoalescingWatch::~CoalescingWatch() { impl_->groups.CloseAll(impl_->pending.get()); }

grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>*
CoalescingWatch::Watch(grpc::CallbackServerContext* ctx) {
  ClientStream* s = nullptr;
  impl_->groups.Enter(
      ForwardedMetadata(*ctx),
      [&](const std::string& key, Metadata md) {
        return std::make_shared<Group>(impl_, key, std::move(md));
      },
      [&](Group* g) {
        // The stream holds its group: made here, under the map's lock.
        s = new ClientStream(impl_, std::static_pointer_cast<Group>(g->shared_from_this()));
        g->AddStream(s);
      });
  s->Begin();
  return s;
}

}  // namespace etcdpp::server::grpcproxy
