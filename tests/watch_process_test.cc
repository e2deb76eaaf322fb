// watch_process_test: the Watch service of a real server process.
//
//   ManyWatchersEveryEventInOrder  10,000 watchers on distinct keys plus 1,000 on one prefix, on
//                                  one member, spread over 11 streams: every watcher receives
//                                  exactly its events, in revision order.
//   StalledReaderDoesNotStallOthers a stream that stops reading: puts keep completing, another
//                                  watcher of the same keys receives everything, and the
//                                  server's anonymous memory stays bounded although the stalled
//                                  watcher is owed far more than that; once it reads again it
//                                  receives every revision exactly once, in order.
//   BadInput (etcdpp and etcd)     a range_end below the key, cancel of an unknown id, a start
//                                  revision in the future, a compacted start revision: the
//                                  same answers from both servers.
//   PeriodicProgressNotify (etcdpp and etcd) progress_notify at a short interval: 3.4's answers.
//   ProgressRequest (etcdpp and etcd) a progress request on a stream whose watchers are synced:
//                                  both answer watch id -1 at the current revision. While one
//                                  watcher of the stream is still catching up over 2,000
//                                  revisions: etcdpp answers (etcd 3.5's semantics) only after
//                                  every event that watcher is owed, at a revision no watcher is
//                                  still to pass; etcd 3.4 answers at once, ahead of those events
//                                  (printed, not asserted: docs/compatibility.md).
//
// Every wait is bounded in count and time; figures (put rates, memory) are printed, never
// asserted against a clock.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "harness/binaries.h"
#include "harness/grpc_util.h"
#include "harness/server_process.h"

namespace etcdpp::testing {
namespace {

namespace pb = ::etcdserverpb;
using std::chrono::milliseconds;
using Stream = grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>;

constexpr milliseconds kRpcTimeout{10000};

// One client stream with its context.
struct WatchClient {
  std::unique_ptr<pb::Watch::Stub> stub;
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream;

  explicit WatchClient(const std::shared_ptr<grpc::Channel>& ch) : stub(pb::Watch::NewStub(ch)) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    stream = stub->Watch(&ctx);
  }
  ~WatchClient() {
    ctx.TryCancel();
    pb::WatchResponse r;
    while (stream->Read(&r)) {
    }
    (void)stream->Finish();
  }
  bool Create(const std::string& key, const std::string& end, int64_t start_rev = 0,
              int64_t id = 0) {
    pb::WatchRequest req;
    auto* c = req.mutable_create_request();
    c->set_key(key);
    c->set_range_end(end);
    c->set_start_revision(start_rev);
    c->set_watch_id(id);
    return stream->Write(req);
  }
};

int64_t PutAndRev(pb::KV::Stub& kv, const std::string& k, const std::string& v) {
  pb::PutRequest req;
  req.set_key(k);
  req.set_value(v);
  pb::PutResponse resp;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  grpc::Status st = kv.Put(ctx.get(), req, &resp);
  return st.ok() ? resp.header().revision() : -1;
}

std::unique_ptr<ServerProcess> StartOrFail(const std::string& bin,
                                           std::vector<std::string> flags = {}) {
  MemberConfig cfg;
  cfg.extra_flags = std::move(flags);
  auto s = ServerProcess::Start(bin, cfg);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// The anonymous resident memory of a process in KiB (RssAnon: LMDB's file pages excluded).
int64_t RssAnonKiB(pid_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8));
  }
  return -1;
}

TEST(WatchProcessTest, ManyWatchersEveryEventInOrder) {
  auto server = StartOrFail(BinaryUnderTest());
  ASSERT_NE(server, nullptr);
  auto ch = NewChannel(server->Endpoint());
  ASSERT_TRUE(WaitConnected(*ch, kRpcTimeout));
  auto kv = pb::KV::NewStub(ch);

  constexpr int kKeyStreams = 10, kPerStream = 1000, kPrefixWatchers = 1000, kPrefixPuts = 100;
  auto key_of = [](int i) { return absl::StrCat("k/", 100000 + i); };
  // One stream per 1,000 key watchers (watch id = key index + 1), one for the prefix watchers.
  std::vector<std::unique_ptr<WatchClient>> clients;
  for (int s = 0; s <= kKeyStreams; ++s) clients.push_back(std::make_unique<WatchClient>(ch));
  for (int s = 0; s < kKeyStreams; ++s) {
    for (int j = 0; j < kPerStream; ++j) {
      const int i = s * kPerStream + j;
      ASSERT_TRUE(clients[s]->Create(key_of(i), "", 0, i + 1));
    }
  }
  for (int j = 0; j < kPrefixWatchers; ++j) ASSERT_TRUE(clients[kKeyStreams]->Create("p/", "p0"));

  // Readers: per watcher, the (key, revision) of every event, after its created answer.
  struct Seen {
    int created = 0;
    std::map<int64_t, std::vector<std::pair<std::string, int64_t>>> events;
    int64_t total = 0;
  };
  std::vector<Seen> seen(clients.size());
  std::atomic<int> created_total{0};
  std::atomic<int64_t> events_total{0};
  const int64_t want_events =
      int64_t{kKeyStreams} * kPerStream + int64_t{kPrefixWatchers} * kPrefixPuts;
  std::vector<std::thread> readers;
  for (size_t s = 0; s < clients.size(); ++s) {
    readers.emplace_back([&, s] {
      pb::WatchResponse r;
      const int64_t want = s < kKeyStreams ? kPerStream : int64_t{kPrefixWatchers} * kPrefixPuts;
      while (seen[s].total < want && clients[s]->stream->Read(&r)) {
        if (r.created()) {
          ++seen[s].created;
          ++created_total;
          continue;
        }
        for (const auto& ev : r.events()) {
          seen[s].events[r.watch_id()].emplace_back(ev.kv().key(), ev.kv().mod_revision());
        }
        seen[s].total += r.events_size();
        events_total += r.events_size();
      }
    });
  }
  const int want_created = kKeyStreams * kPerStream + kPrefixWatchers;
  for (int i = 0; i < 600 && created_total.load() < want_created; ++i)
    absl::SleepFor(absl::Milliseconds(100));
  ASSERT_EQ(created_total.load(), want_created);

  // Writes: the distinct keys in txns of 100 puts, then the prefix keys one by one.
  const absl::Time start = absl::Now();
  for (int t = 0; t < kKeyStreams * kPerStream / 100; ++t) {
    pb::TxnRequest txn;
    for (int j = 0; j < 100; ++j) {
      auto* p = txn.add_success()->mutable_request_put();
      p->set_key(key_of(t * 100 + j));
      p->set_value("v");
    }
    pb::TxnResponse resp;
    auto ctx = ContextWithDeadline(kRpcTimeout);
    ASSERT_TRUE(kv->Txn(ctx.get(), txn, &resp).ok());
  }
  std::vector<int64_t> prefix_revs;
  for (int i = 0; i < kPrefixPuts; ++i) {
    prefix_revs.push_back(PutAndRev(*kv, absl::StrCat("p/", 1000 + i), "v"));
    ASSERT_GT(prefix_revs.back(), 0);
  }
  for (int i = 0; i < 1200 && events_total.load() < want_events; ++i)
    absl::SleepFor(absl::Milliseconds(100));
  std::cout << "delivered " << events_total.load() << " events to 11,000 watchers in "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  clients.clear();  // cancels the streams; readers return
  for (auto& t : readers) t.join();

  ASSERT_EQ(events_total.load(), want_events);
  for (int s = 0; s < kKeyStreams; ++s) {
    ASSERT_EQ(seen[s].events.size(), static_cast<size_t>(kPerStream));
    for (const auto& [id, evs] : seen[s].events) {
      ASSERT_EQ(evs.size(), 1u) << "watch " << id;
      ASSERT_EQ(evs[0].first, key_of(static_cast<int>(id) - 1)) << "watch " << id;
    }
  }
  const Seen& p = seen[kKeyStreams];
  ASSERT_EQ(p.events.size(), static_cast<size_t>(kPrefixWatchers));
  for (const auto& [id, evs] : p.events) {
    ASSERT_EQ(evs.size(), static_cast<size_t>(kPrefixPuts)) << "watch " << id;
    for (int i = 0; i < kPrefixPuts; ++i) {
      ASSERT_EQ(evs[i].first, absl::StrCat("p/", 1000 + i));
      ASSERT_EQ(evs[i].second, prefix_revs[i]);
    }
  }
  EXPECT_TRUE(server->Stop().ok());
}

// Puts n values of `size` bytes on distinct keys under `prefix`.
struct PutRun {
  double rate = -1;  // puts per second; -1 if a put failed
  int64_t first_rev = 0, last_rev = 0;
};
PutRun PutMany(pb::KV::Stub& kv, const std::string& prefix, int n, size_t size) {
  const std::string value(size, 'x');
  const absl::Time start = absl::Now();
  PutRun run;
  for (int i = 0; i < n; ++i) {
    const int64_t rev = PutAndRev(kv, absl::StrCat(prefix, i % 50), value);
    if (rev < 0) return PutRun{};
    if (i == 0) run.first_rev = rev;
    run.last_rev = rev;
  }
  run.rate = n / absl::ToDoubleSeconds(absl::Now() - start);
  return run;
}

// True if revs is exactly first, first + 1, ..., last (one put per revision).
::testing::AssertionResult EveryRevisionOnce(const std::vector<int64_t>& revs, int64_t first,
                                             int64_t last) {
  if (static_cast<int64_t>(revs.size()) != last - first + 1) {
    return ::testing::AssertionFailure() << revs.size() << " events for revisions " << first << ".."
                                         << last << " (first " << (revs.empty() ? 0 : revs.front())
                                         << ", last " << (revs.empty() ? 0 : revs.back()) << ")";
  }
  for (size_t i = 0; i < revs.size(); ++i) {
    if (revs[i] != first + static_cast<int64_t>(i)) {
      return ::testing::AssertionFailure() << "event " << i << " has revision " << revs[i]
                                           << ", want " << first + static_cast<int64_t>(i);
    }
  }
  return ::testing::AssertionSuccess();
}

// Until it was fixed, 1 run in ~5 under load failed with 2,999 of 3,000 events: the test wrote
// its first put before the server had handled the watch's create request (the created answer
// was not awaited), so the watch started one revision late. Now every create is awaited, and
// the check is per revision: exactly once, in order, for the reading watcher and for the
// stalled one once it resumes.
TEST(WatchProcessTest, StalledReaderDoesNotStallOthers) {
  auto server = StartOrFail(BinaryUnderTest());
  ASSERT_NE(server, nullptr);
  auto ch = NewChannel(server->Endpoint());
  ASSERT_TRUE(WaitConnected(*ch, kRpcTimeout));
  auto kv = pb::KV::NewStub(ch);
  constexpr int kPuts = 1500;
  constexpr size_t kValue = 64 * 1024;  // the stalled watcher is owed ~96 MiB

  WatchClient fast(ch);
  ASSERT_TRUE(fast.Create("s/", "s0"));
  std::atomic<bool> fast_created{false};
  std::atomic<int64_t> fast_events{0};
  std::vector<int64_t> fast_revs;  // written by the reader; read after join
  std::thread reader([&] {
    pb::WatchResponse resp;
    while (fast_events.load() < 2 * kPuts && fast.stream->Read(&resp)) {
      if (resp.created()) fast_created = true;
      for (const auto& ev : resp.events()) fast_revs.push_back(ev.kv().mod_revision());
      fast_events += resp.events_size();
    }
  });
  for (int i = 0; i < 600 && !fast_created.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_TRUE(fast_created.load());
  // Phase 1, the same load with a reading watcher only: what the server keeps anyway (until
  // Raft snapshots exist, the in-memory Raft log holds every entry).
  const int64_t rss_start = RssAnonKiB(server->pid());
  const PutRun base = PutMany(*kv, "s/", kPuts, kValue);
  ASSERT_GT(base.rate, 0);
  for (int i = 0; i < 600 && fast_events.load() < kPuts; ++i)
    absl::SleepFor(absl::Milliseconds(100));
  const int64_t rss_before = RssAnonKiB(server->pid());

  // Phase 2: a stream on its own connection reads its created answer, then nothing.
  auto stalled_ch = NewChannel(server->Endpoint());
  WatchClient stalled(stalled_ch);
  ASSERT_TRUE(stalled.Create("s/", "s0"));
  pb::WatchResponse r;
  ASSERT_TRUE(stalled.stream->Read(&r));
  ASSERT_TRUE(r.created());
  const PutRun run = PutMany(*kv, "s/", kPuts, kValue);
  ASSERT_GT(run.rate, 0);
  for (int i = 0; i < 600 && fast_events.load() < 2 * kPuts; ++i)
    absl::SleepFor(absl::Milliseconds(100));
  const int64_t rss_after = RssAnonKiB(server->pid());
  const int64_t base_growth = rss_before - rss_start, growth = rss_after - rss_before;
  std::cout << "puts/s with a reading watcher " << base.rate << ", plus a stalled one " << run.rate
            << "; RssAnon growth " << base_growth << " KiB (reading watcher) vs " << growth
            << " KiB (plus the stalled one, owed " << kPuts * kValue / 1024 << " KiB)\n";
  fast.ctx.TryCancel();
  reader.join();
  EXPECT_TRUE(EveryRevisionOnce(fast_revs, base.first_rev, run.last_rev));
  // Bounded: what the stalled watcher adds stays well under what it is owed (its stream
  // buffer of 128 answers, one batch per victim, gRPC's flow-control window).
  EXPECT_LT(growth - base_growth, static_cast<int64_t>(kPuts * kValue / 1024 / 2));

  // Phase 3: the stalled stream resumes (victim -> unsynced -> synced) while puts go on; it
  // receives every revision since its creation exactly once, in order.
  constexpr int kMorePuts = 200;
  std::vector<int64_t> stalled_revs;
  std::thread resumed([&] {
    pb::WatchResponse resp;
    while (stalled_revs.size() < static_cast<size_t>(kPuts + kMorePuts) &&
           stalled.stream->Read(&resp)) {
      for (const auto& ev : resp.events()) stalled_revs.push_back(ev.kv().mod_revision());
    }
  });
  const PutRun more = PutMany(*kv, "s/", kMorePuts, 1024);
  resumed.join();  // bounded by the stream's deadline
  ASSERT_GT(more.rate, 0);
  EXPECT_TRUE(EveryRevisionOnce(stalled_revs, run.first_rev, more.last_rev));
  EXPECT_TRUE(server->Stop().ok());
}

// The first answer on `c` that is not a created answer for a successful create.
pb::WatchResponse ReadOne(WatchClient& c) {
  pb::WatchResponse r;
  if (!c.stream->Read(&r)) r.set_cancel_reason("<stream ended>");
  return r;
}

class WatchBadInputTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WatchBadInputTest, AnswersAsEtcd) {
  ServerFlavor flavor = FlavorByName(GetParam());
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  auto server = StartOrFail(flavor.binary);
  ASSERT_NE(server, nullptr);
  auto ch = NewChannel(server->Endpoint());
  ASSERT_TRUE(WaitConnected(*ch, kRpcTimeout));
  auto kv = pb::KV::NewStub(ch);
  int64_t rev = 0;
  for (int i = 0; i < 5; ++i) rev = PutAndRev(*kv, "a", absl::StrCat(i));  // revisions 2..6
  ASSERT_EQ(rev, 6);

  WatchClient c(ch);
  // range_end below the key: created and canceled at once, with mvcc's reason.
  ASSERT_TRUE(c.Create("b", "a"));
  pb::WatchResponse r = ReadOne(c);
  EXPECT_TRUE(r.created());
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.watch_id(), -1);
  EXPECT_EQ(r.cancel_reason(), "mvcc: watcher range is empty");
  EXPECT_EQ(r.header().revision(), 6);

  // A watcher for the progress request below to report on (etcd 3.5+ answers a progress
  // request only on behalf of watchers: a stream with none gets no answer).
  ASSERT_TRUE(c.Create("z", "", 0, 7));
  r = ReadOne(c);
  EXPECT_TRUE(r.created());
  EXPECT_EQ(r.watch_id(), 7);

  // Cancel of an unknown id: no answer at all (the next answer is the progress one).
  pb::WatchRequest cancel;
  cancel.mutable_cancel_request()->set_watch_id(999);
  ASSERT_TRUE(c.stream->Write(cancel));
  pb::WatchRequest progress;
  progress.mutable_progress_request();
  ASSERT_TRUE(c.stream->Write(progress));
  r = ReadOne(c);
  EXPECT_FALSE(r.canceled());
  EXPECT_FALSE(r.created());
  EXPECT_EQ(r.watch_id(), -1);
  EXPECT_EQ(r.header().revision(), 6);

  // A start revision in the future: created now, events from that revision on.
  ASSERT_TRUE(c.Create("a", "", 9, 5));
  r = ReadOne(c);
  EXPECT_TRUE(r.created());
  EXPECT_EQ(r.watch_id(), 5);
  for (int i = 0; i < 4; ++i) rev = PutAndRev(*kv, "a", "f");  // 7..10
  r = ReadOne(c);
  ASSERT_EQ(r.events_size(), 1);
  EXPECT_EQ(r.events(0).kv().mod_revision(), 9);
  EXPECT_EQ(r.header().revision(), 9);
  r = ReadOne(c);
  ASSERT_EQ(r.events_size(), 1);
  EXPECT_EQ(r.events(0).kv().mod_revision(), 10);

  // A duplicate watch id.
  ASSERT_TRUE(c.Create("x", "", 0, 5));
  r = ReadOne(c);
  EXPECT_TRUE(r.created());
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.watch_id(), -1);
  EXPECT_EQ(r.cancel_reason(), "mvcc: duplicate watch ID provided on the WatchStream");

  // A compacted start revision: compact_revision, canceled, header revision 0.
  pb::CompactionRequest comp;
  comp.set_revision(8);
  pb::CompactionResponse comp_resp;
  auto ctx = ContextWithDeadline(kRpcTimeout);
  ASSERT_TRUE(kv->Compact(ctx.get(), comp, &comp_resp).ok());
  WatchClient c2(ch);
  ASSERT_TRUE(c2.Create("a", "", 3, 0));
  r = ReadOne(c2);
  EXPECT_TRUE(r.created());
  EXPECT_EQ(r.watch_id(), 0);
  r = ReadOne(c2);
  EXPECT_EQ(r.watch_id(), 0);
  EXPECT_EQ(r.compact_revision(), 8);
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.header().revision(), 0);
  EXPECT_EQ(r.events_size(), 0);

  // Cancel of a known id: canceled answer at the current revision.
  cancel.mutable_cancel_request()->set_watch_id(5);
  ASSERT_TRUE(c.stream->Write(cancel));
  r = ReadOne(c);
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.watch_id(), 5);
  EXPECT_EQ(r.header().revision(), 10);
  EXPECT_TRUE(server->Stop().ok());
}

// Periodic progress notifications (etcd 3.4's semantics, docs/compatibility.md): a synced
// watcher that asked for them gets an empty answer with its own id at the current revision;
// a watcher that did not ask gets none.
TEST_P(WatchBadInputTest, PeriodicProgressNotify) {
  ServerFlavor flavor = FlavorByName(GetParam());
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  auto server = StartOrFail(flavor.binary, {"--experimental-watch-progress-notify-interval=300ms"});
  ASSERT_NE(server, nullptr);
  auto ch = NewChannel(server->Endpoint());
  ASSERT_TRUE(WaitConnected(*ch, kRpcTimeout));
  auto kv = pb::KV::NewStub(ch);
  ASSERT_EQ(PutAndRev(*kv, "a", "1"), 2);

  WatchClient notified(ch), plain(ch);
  pb::WatchRequest req;
  req.mutable_create_request()->set_key("a");
  req.mutable_create_request()->set_progress_notify(true);
  req.mutable_create_request()->set_watch_id(7);
  ASSERT_TRUE(notified.stream->Write(req));
  pb::WatchResponse r = ReadOne(notified);
  ASSERT_TRUE(r.created());
  ASSERT_TRUE(plain.Create("a", ""));
  ASSERT_TRUE(ReadOne(plain).created());

  r = ReadOne(notified);  // the next tick
  EXPECT_EQ(r.watch_id(), 7);
  EXPECT_EQ(r.events_size(), 0);
  EXPECT_FALSE(r.canceled());
  EXPECT_EQ(r.header().revision(), 2);

  ASSERT_EQ(PutAndRev(*kv, "a", "2"), 3);
  r = ReadOne(plain);  // no progress answer came first
  ASSERT_EQ(r.events_size(), 1);
  EXPECT_EQ(r.events(0).kv().mod_revision(), 3);
  // The event, then (ticks later) progress at the new revision.
  bool progressed = false;
  for (int i = 0; i < 10 && !progressed; ++i) {
    r = ReadOne(notified);
    progressed = r.events_size() == 0 && r.header().revision() == 3 && r.watch_id() == 7;
  }
  EXPECT_TRUE(progressed);
  EXPECT_TRUE(server->Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, WatchBadInputTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

class WatchProgressRequestTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WatchProgressRequestTest, AnsweredOnceTheStreamsWatchersAreSynced) {
  ServerFlavor flavor = FlavorByName(GetParam());
  if (std::string why = WhyNotRunnable(flavor); !why.empty()) GTEST_SKIP() << why;
  const bool ours = GetParam() == "etcdpp";
  auto server = StartOrFail(flavor.binary);
  ASSERT_NE(server, nullptr);
  auto ch = NewChannel(server->Endpoint());
  ASSERT_TRUE(WaitConnected(*ch, kRpcTimeout));
  auto kv = pb::KV::NewStub(ch);
  constexpr int kHistory = 2000;
  const PutRun history = PutMany(*kv, "h/", kHistory, 1024);
  ASSERT_GT(history.rate, 0);

  // Synced watchers only: the answer comes at once, at the current revision, from both.
  WatchClient c(ch);
  ASSERT_TRUE(c.Create("live", "", 0, 1));
  pb::WatchResponse r = ReadOne(c);
  ASSERT_TRUE(r.created());
  pb::WatchRequest progress;
  progress.mutable_progress_request();
  ASSERT_TRUE(c.stream->Write(progress));
  r = ReadOne(c);
  EXPECT_EQ(r.watch_id(), -1);
  EXPECT_EQ(r.events_size(), 0);
  EXPECT_FALSE(r.created());
  EXPECT_EQ(r.header().revision(), history.last_rev);

  // A second watcher that must catch up over the whole history, then a progress request.
  ASSERT_TRUE(c.Create("h/", "h0", history.first_rev, 2));
  ASSERT_TRUE(c.stream->Write(progress));
  int64_t events_before_answer = -1;
  int64_t answer_rev = 0;
  std::vector<int64_t> revs;
  while (revs.size() < static_cast<size_t>(kHistory) || events_before_answer < 0) {
    r = ReadOne(c);
    if (r.cancel_reason() == "<stream ended>") break;  // the stream's deadline: fail below
    if (r.created()) continue;
    if (r.watch_id() == -1 && r.events_size() == 0) {
      events_before_answer = static_cast<int64_t>(revs.size());
      answer_rev = r.header().revision();
      // Nothing received so far is past the answer.
      if (!revs.empty()) {
        EXPECT_LE(revs.back(), answer_rev);
      }
      continue;
    }
    for (const auto& ev : r.events()) revs.push_back(ev.kv().mod_revision());
  }
  EXPECT_TRUE(EveryRevisionOnce(revs, history.first_rev, history.last_rev));
  ASSERT_GE(events_before_answer, 0) << "no answer to the progress request";
  std::cout << "[ " << GetParam() << " ] progress answer at revision " << answer_rev << " after "
            << events_before_answer << " of the " << kHistory
            << " events the catching-up watcher was owed\n";
  if (ours) {
    EXPECT_EQ(events_before_answer, kHistory);
    EXPECT_EQ(answer_rev, history.last_rev);
  }
  EXPECT_TRUE(server->Stop().ok());
}

INSTANTIATE_TEST_SUITE_P(Servers, WatchProgressRequestTest, ::testing::Values("etcdpp", "etcd"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace etcdpp::testing
