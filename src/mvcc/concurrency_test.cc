// One writer and several readers: readers never see a torn txn, while the backend commits
// batches underneath them and compactions remove old revisions.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mvcc/test_util.h"
#include "mvcc/txn.h"

namespace etcdpp::mvcc {
namespace {

using ConcurrencyTest = StoreTestBase;

constexpr int kKeys = 8;

// Every txn i writes value "i" to all keys k0..k7 and deletes "tmp" it created in the previous
// txn, so a consistent view has all keys at one value and mod revision.
void WriteTxn(KvStore* s, int i) {
  auto tx = s->Write(i + 1);
  for (int k = 0; k < kKeys; ++k) tx->Put(absl::StrCat("k", k), absl::StrCat(i), 0);
  tx->DeleteRange("tmp", "");
  tx->Put("tmp", absl::StrCat(i), 0);
  tx->End();
}

std::string CheckView(const RangeResult& r, int64_t at) {
  if (r.kvs.size() != kKeys) return absl::StrCat("saw ", r.kvs.size(), " keys at ", at);
  for (const auto& kv : r.kvs) {
    if (kv.value() != r.kvs[0].value() || kv.mod_revision() != r.kvs[0].mod_revision()) {
      return absl::StrCat("torn txn at ", at, ": ", kv.key(), "=", kv.value(), "@",
                          kv.mod_revision(), " vs ", r.kvs[0].value(), "@",
                          r.kvs[0].mod_revision());
    }
    if (kv.mod_revision() > at) return absl::StrCat("future value at ", at);
  }
  return "";
}

TEST_F(ConcurrencyTest, ReadersNeverSeeTornTxns) {
  ASSERT_NO_FATAL_FAILURE(Reopen(/*background_commits=*/true));
  WriteTxn(store_.get(), 0);
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0};
  std::vector<std::string> errors(3);
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      uint64_t x = t + 1;
      while (!done.load() && errors[t].empty()) {
        RangeOptions o;
        const int64_t cur = store_->Rev();
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (x >> 63) o.rev = cur - static_cast<int64_t>((x >> 33) % 50);  // sometimes the past
        if (o.rev < 2) o.rev = 0;
        auto r = store_->Range("k", "l", o);
        if (!r.ok()) {
          if (!IsCompacted(r.status())) errors[t] = r.status().ToString();
          continue;
        }
        errors[t] = CheckView(*r, o.rev == 0 ? r->rev : o.rev);
        reads++;
      }
    });
  }
  // Interleave for real: every 100 txns the writer waits (bounded) until the readers have read
  // again, so a loaded machine that starves the readers cannot make the test vacuous.
  auto wait_for_a_read = [&] {
    const int64_t seen = reads.load();
    for (int spins = 0; reads.load() == seen && spins < 10000; ++spins) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  };
  for (int i = 1; i < 2000; ++i) {
    if (i % 100 == 0) wait_for_a_read();
    WriteTxn(store_.get(), i);
    if (i % 300 == 0) {
      ASSERT_TRUE(store_->Compact(store_->Rev() - 20, i + 1).ok());
    }
  }
  done = true;
  for (auto& r : readers) r.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace etcdpp::mvcc
