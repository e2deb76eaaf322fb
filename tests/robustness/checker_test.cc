// The checker's self-test: a good history passes, and each kind of anomaly put into it by
// mutation is caught by the check made for it.

#include "robustness/checker.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etcdpp::robustness {
namespace {

// Builds a history of operations that run one after another (each returns before the next is
// invoked), with the events two watchers receive for them.
class Builder {
 public:
  Op& Put(int client, const std::string& key, const std::string& value) {
    Op& op = Begin(client, OpKind::kPut, key);
    op.value = value;
    op.revision = Write(Event{0, false, key, value});
    return op;
  }
  Op& Delete(int client, const std::string& key) {
    Op& op = Begin(client, OpKind::kDelete, key);
    op.deleted = state_.count(key) ? 1 : 0;
    op.revision = op.deleted ? Write(Event{0, true, key, ""}) : rev_;
    return op;
  }
  Op& Get(int client, const std::string& key) {
    Op& op = Begin(client, OpKind::kGet, key);
    op.revision = rev_;
    FillRead(&op);
    return op;
  }
  Op& Cas(int client, const std::string& key, std::optional<std::string> expect,
          const std::string& value) {
    Op& op = Begin(client, OpKind::kCas, key);
    op.expect = expect;
    op.value = value;
    auto it = state_.find(key);
    op.succeeded = (it == state_.end() ? std::nullopt : std::optional(it->second.first)) == expect;
    if (op.succeeded) {
      op.revision = Write(Event{0, false, key, value});
    } else {
      op.revision = rev_;
      FillRead(&op);
    }
    return op;
  }
  // A lease on `key` with `ttl` seconds, granted now; its key is put now and deleted (expired)
  // `expire_after_ms` later.
  void LeaseExpiring(const std::string& key, int64_t ttl, int64_t expire_after_ms) {
    LeaseLog l;
    l.id = static_cast<int64_t>(h_.leases.size()) + 1;
    l.ttl_seconds = ttl;
    l.key = key;
    l.refreshed.push_back(now_);
    Put(99, key, absl::StrCat("lease-", l.id));
    l.key_put_return = now_;
    now_ += expire_after_ms * 1'000'000;
    Write(Event{0, true, key, ""});
    h_.leases.push_back(l);
  }

  History Finish() {
    for (int w = 0; w < 2; ++w) {
      WatchLog log;
      log.watcher = w;
      log.starts.push_back(1);
      for (size_t i = 0; i < events_.size(); ++i) {
        log.events.push_back(events_[i]);
        log.received.push_back(received_[i] + w);
      }
      h_.watches.push_back(log);
    }
    return h_;
  }

 private:
  Op& Begin(int client, OpKind kind, const std::string& key) {
    Op op;
    op.client = client;
    op.kind = kind;
    op.key = key;
    op.invoke = now_;
    op.ret = now_ + 10;
    op.outcome = Outcome::kOk;
    now_ += 20;
    h_.ops.push_back(op);
    return h_.ops.back();
  }
  int64_t Write(Event e) {
    e.revision = ++rev_;
    if (e.is_delete) {
      state_.erase(e.key);
    } else {
      state_[e.key] = {e.value, e.revision};
    }
    events_.push_back(e);
    received_.push_back(now_);
    return e.revision;
  }
  void FillRead(Op* op) {
    auto it = state_.find(op->key);
    if (it != state_.end()) {
      op->read_value = it->second.first;
      op->read_mod_revision = it->second.second;
    }
  }

  History h_;
  int64_t rev_ = 1;
  Nanos now_ = 1'000'000;
  std::map<std::string, std::pair<std::string, int64_t>> state_;
  std::vector<Event> events_;
  std::vector<Nanos> received_;
};

History Good() {
  Builder b;
  b.Put(0, "a", "a1");
  b.Put(1, "b", "b1");
  b.Get(2, "a");
  b.Cas(0, "a", "a1", "a2");
  b.Cas(1, "a", "a1", "a3");  // fails: a is a2
  b.Delete(2, "b");
  b.Get(0, "b");
  b.Delete(1, "b");  // deletes nothing
  b.Put(2, "b", "b2");
  b.Get(1, "a");
  b.LeaseExpiring("lease", 2, 2500);
  b.Get(0, "b");
  return b.Finish();
}

Op* Find(History& h, OpKind kind, const std::string& key, int nth = 0) {
  for (Op& op : h.ops) {
    if (op.kind == kind && op.key == key && nth-- == 0) return &op;
  }
  return nullptr;
}

TEST(CheckerTest, GoodHistoryPasses) {
  const Report r = Check(Good());
  EXPECT_TRUE(r.violations.empty()) << r.Summary() << "\n" << r.violations[0].detail;
  EXPECT_EQ(r.keys, 3);
  EXPECT_EQ(r.keys_inconclusive, 0);
  EXPECT_EQ(r.max_revision, 8);
}

TEST(CheckerTest, ConcurrentOperationsMayTakeEffectInEitherOrder) {
  History h = Good();
  // A read that overlaps the first put of "a" may see it absent or present.
  const Op put = *Find(h, OpKind::kPut, "a");  // a copy: push_back below moves the ops
  Op read;
  read.client = 5;
  read.kind = OpKind::kGet;
  read.key = "a";
  read.invoke = put.invoke + 1;
  read.ret = put.ret + 1;
  read.outcome = Outcome::kOk;
  read.revision = 1;  // served before the put
  h.ops.push_back(read);
  Report r = Check(h);
  EXPECT_TRUE(r.violations.empty()) << r.Summary();
  h.ops.back().revision = put.revision;  // or after it
  h.ops.back().read_value = "a1";
  h.ops.back().read_mod_revision = put.revision;
  r = Check(h);
  EXPECT_TRUE(r.violations.empty()) << r.Summary();
}

TEST(CheckerTest, UnansweredWritesAreResolvedWithTheEvents) {
  History h = Good();
  // No answer for the put of b2, which the events show took effect...
  Op* put = Find(h, OpKind::kPut, "b", 1);
  put->outcome = Outcome::kUnknown;
  put->ret = kNever;
  // ... and a put no event shows, and a delete that may or may not have happened.
  Op lost;
  lost.kind = OpKind::kPut;
  lost.key = "a";
  lost.value = "never-applied";
  lost.invoke = 10;
  h.ops.push_back(lost);
  Op del;
  del.kind = OpKind::kDelete;
  del.key = "a";
  del.invoke = h.ops.back().invoke + 1'000'000'000'000;  // after everything: it did not happen
  h.ops.push_back(del);
  const Report r = Check(h);
  EXPECT_TRUE(r.violations.empty()) << r.Summary() << "\n" << r.violations[0].detail;
  EXPECT_EQ(r.unknown_writes_applied, 1);
  EXPECT_EQ(r.unknown_writes_dropped, 1);
}

TEST(CheckerTest, CatchesStaleRead) {
  History h = Good();
  Op* read = Find(h, OpKind::kGet, "a", 1);  // after a2 was written, it answers a1
  read->read_value = "a1";
  read->read_mod_revision = 2;
  const Report r = Check(h);
  EXPECT_GT(r.Count("stale-read"), 0) << r.Summary();
  EXPECT_GT(r.Count("linearizability"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesNonLinearizableHistoryTheEventsCannotSee) {
  History h = Good();
  // Two sequential reads of "b" (absent after the delete), the second answering a value that
  // was never written: no revision check sees it (its revision and mod revision are absent),
  // only the per-key search.
  Op* read = Find(h, OpKind::kGet, "b");
  read->read_value = "b1";
  read->read_mod_revision = 0;
  read->revision = 100;  // beyond the events: the replay check leaves it to the search
  Report r = Check(h);
  EXPECT_GT(r.Count("linearizability"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesLostWrite) {
  History h = Good();
  Find(h, OpKind::kPut, "b", 1)->revision = 3;  // acknowledged at a revision that is another's
  const Report r = Check(h);
  EXPECT_GT(r.Count("lost-write"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesWatchGap) {
  History h = Good();
  h.watches[1].events.erase(h.watches[1].events.begin() + 3);
  h.watches[1].received.erase(h.watches[1].received.begin() + 3);
  const Report r = Check(h);
  EXPECT_GT(r.Count("watch-gap"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesWatchOrder) {
  History h = Good();
  std::swap(h.watches[0].events[2], h.watches[0].events[3]);
  const Report r = Check(h);
  EXPECT_GT(r.Count("watch-order"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesDuplicatedEventAfterResumption) {
  History h = Good();
  WatchLog& w = h.watches[0];
  w.starts.push_back(w.events[3].revision);  // resumed from a revision it already had
  w.events.insert(w.events.begin() + 4, w.events[3]);
  w.received.insert(w.received.begin() + 4, w.received[3]);
  const Report r = Check(h);
  EXPECT_GT(r.Count("watch-order"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesWatchersThatDisagree) {
  History h = Good();
  h.watches[1].events[0].value = "other";
  const Report r = Check(h);
  EXPECT_GT(r.Count("watch-mismatch"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesRevisionGoingBack) {
  History h = Good();
  Find(h, OpKind::kGet, "a", 1)->revision = 2;  // older than what returned before it
  const Report r = Check(h);
  EXPECT_GT(r.Count("revision-regression"), 0) << r.Summary();
}

TEST(CheckerTest, CatchesLeaseExpiringEarly) {
  History h = Good();
  LeaseLog& l = h.leases[0];
  l.ttl_seconds = 10;  // its key was deleted 2.5 s after the grant
  const Report r = Check(h);
  EXPECT_EQ(r.Count("lease-early"), 1) << r.Summary();
}

TEST(CheckerTest, ReportsBudgetExhaustionAsInconclusive) {
  CheckOptions o;
  o.steps_per_key = 1;
  const Report r = Check(Good(), o);
  EXPECT_GT(r.keys_inconclusive, 0);
  EXPECT_EQ(r.Count("linearizability"), 0);
}

}  // namespace
}  // namespace etcdpp::robustness
