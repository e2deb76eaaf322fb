// Randomized test of KvStore against a simple in-memory model: the full key -> value state at
// every revision. Seeded op sequences of puts, delete ranges, multi-op txns, compactions,
// ranges at random past revisions and reopens; the seed is printed on failure.

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mvcc/test_util.h"
#include "mvcc/txn.h"

namespace etcdpp::mvcc {
namespace {

struct ModelKv {
  std::string value;
  int64_t create = 0, mod = 0, version = 0, lease = 0;
};
using State = std::map<std::string, ModelKv>;

bool InRange(const std::string& k, const std::string& key, const std::string& end) {
  if (end.empty()) return k == key;
  if (end == std::string(1, '\0')) return k >= key;
  return k >= key && k < end;
}

class Model {
 public:
  Model() : states_(2) {}  // states_[1]: the empty store at revision 1
  int64_t rev() const { return static_cast<int64_t>(states_.size()) - 1; }
  const State& At(int64_t rev) const { return states_[rev]; }

  // A txn in progress: `cur` is the state it sees.
  struct Txn {
    State cur;
    int64_t rev;
    bool changed = false;
  };
  Txn Begin() const { return Txn{states_.back(), rev() + 1}; }
  static void Put(Txn* t, const std::string& k, const std::string& v, int64_t lease) {
    auto it = t->cur.find(k);
    ModelKv kv{v, t->rev, t->rev, 1, lease};
    if (it != t->cur.end()) {
      kv.create = it->second.create;
      kv.version = it->second.version + 1;
    }
    t->cur[k] = kv;
    t->changed = true;
  }
  static int64_t Delete(Txn* t, const std::string& key, const std::string& end) {
    int64_t n = 0;
    for (auto it = t->cur.begin(); it != t->cur.end();) {
      if (InRange(it->first, key, end)) {
        it = t->cur.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    if (n > 0) t->changed = true;
    return n;
  }
  void Commit(Txn t) {
    if (t.changed) states_.push_back(std::move(t.cur));
  }

 private:
  std::vector<State> states_;
};

class ModelTest : public StoreTestBase {
 protected:
  std::string RandKey() { return std::string(1, static_cast<char>('a' + Rand(16))); }
  int64_t Rand(int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(rng_); }
  // A random range: single key, [a, b) or from-key.
  std::pair<std::string, std::string> RandRange() {
    switch (Rand(3)) {
      case 0:
        return {RandKey(), ""};
      case 1: {
        std::string a = RandKey(), b = RandKey();
        if (b < a) std::swap(a, b);
        return {a, b + "x"};
      }
      default:
        return {RandKey(), std::string(1, '\0')};
    }
  }

  void CheckRange(const std::string& key, const std::string& end, int64_t rev, int64_t limit,
                  const State& want, const RangeResult& got, int step) {
    std::vector<const std::pair<const std::string, ModelKv>*> expect;
    for (const auto& e : want) {
      if (InRange(e.first, key, end)) expect.push_back(&e);
    }
    ASSERT_EQ(got.count, static_cast<int64_t>(expect.size()))
        << "step " << step << " range [" << key << "," << end << ") at " << rev;
    size_t n = limit > 0 ? std::min<size_t>(limit, expect.size()) : expect.size();
    ASSERT_EQ(got.kvs.size(), n) << "step " << step;
    for (size_t i = 0; i < n; ++i) {
      const auto& kv = got.kvs[i];
      const auto& [k, m] = *expect[i];
      ASSERT_EQ(kv.key(), k) << "step " << step;
      ASSERT_EQ(kv.value(), m.value) << "step " << step << " key " << k << " at " << rev;
      ASSERT_EQ(kv.create_revision(), m.create) << "step " << step << " key " << k;
      ASSERT_EQ(kv.mod_revision(), m.mod) << "step " << step << " key " << k;
      ASSERT_EQ(kv.version(), m.version) << "step " << step << " key " << k;
      ASSERT_EQ(kv.lease(), m.lease) << "step " << step << " key " << k;
    }
  }

  void RunOps(int steps) {
    Model model;
    int64_t compact = -1;
    uint64_t index = 0;
    for (int step = 0; step < steps; ++step) {
      ASSERT_EQ(store_->Rev(), model.rev()) << "step " << step;
      const int64_t op = Rand(100);
      if (op < 30) {  // put
        auto t = model.Begin();
        std::string k = RandKey(), v = absl::StrCat("v", step);
        int64_t lease = Rand(3);
        Model::Put(&t, k, v, lease);
        auto tx = store_->Write(++index);
        tx->Put(k, v, lease);
        tx->End();
        model.Commit(std::move(t));
      } else if (op < 40) {  // delete range
        auto t = model.Begin();
        auto [k, e] = RandRange();
        int64_t want = Model::Delete(&t, k, e);
        auto tx = store_->Write(++index);
        ASSERT_EQ(tx->DeleteRange(k, e), want) << "step " << step;
        tx->End();
        model.Commit(std::move(t));
      } else if (op < 55) {  // txn with several ops
        auto t = model.Begin();
        auto tx = store_->Write(++index);
        for (int64_t i = 0, n = 1 + Rand(5); i < n; ++i) {
          const int64_t sub = Rand(10);
          if (sub < 5) {
            std::string k = RandKey(), v = absl::StrCat("t", step, "_", i);
            Model::Put(&t, k, v, 0);
            tx->Put(k, v, 0);
          } else if (sub < 8) {
            auto [k, e] = RandRange();
            ASSERT_EQ(tx->DeleteRange(k, e), Model::Delete(&t, k, e)) << "step " << step;
          } else {
            auto [k, e] = RandRange();
            auto r = tx->Range(k, e, {});
            ASSERT_TRUE(r.ok()) << r.status();
            ASSERT_NO_FATAL_FAILURE(CheckRange(k, e, tx->Rev(), 0, t.cur, *r, step));
          }
        }
        tx->End();
        model.Commit(std::move(t));
      } else if (op < 60) {  // compaction, sometimes invalid
        int64_t rev = 1 + Rand(model.rev() + 1);
        auto w = store_->Compact(rev, ++index);
        if (rev <= compact) {
          ASSERT_TRUE(IsCompacted(w.status())) << "step " << step << " " << w.status();
        } else if (rev > model.rev()) {
          ASSERT_TRUE(IsFutureRev(w.status())) << "step " << step << " " << w.status();
        } else {
          ASSERT_TRUE(w.ok()) << "step " << step << " " << w.status();
          compact = rev;
          if (Rand(2) == 0) (*w)();
        }
        ASSERT_EQ(store_->CompactRev(), compact);
      } else if (op < 98) {  // range at a random revision
        auto [k, e] = RandRange();
        RangeOptions o;
        o.rev = Rand(model.rev() + 2);
        o.limit = Rand(3) == 0 ? Rand(4) : 0;
        o.count_only = Rand(10) == 0;
        auto r = store_->Range(k, e, o);
        if (o.rev > model.rev()) {
          ASSERT_TRUE(IsFutureRev(r.status())) << "step " << step;
        } else if (o.rev != 0 && o.rev < compact) {
          ASSERT_TRUE(IsCompacted(r.status())) << "step " << step;
        } else {
          ASSERT_TRUE(r.ok()) << "step " << step << " " << r.status();
          int64_t at = o.rev == 0 ? model.rev() : o.rev;
          ASSERT_EQ(r->rev, model.rev());
          if (o.count_only) {
            ASSERT_TRUE(r->kvs.empty()) << "step " << step;
            RangeResult all = *store_->Range(k, e, RangeOptions{0, o.rev, false});
            ASSERT_EQ(r->count, all.count) << "step " << step;
          }
          ASSERT_NO_FATAL_FAILURE(
              CheckRange(k, e, at, o.limit, model.At(at),
                         o.count_only ? *store_->Range(k, e, {o.limit, o.rev}) : *r, step))
              << "limit " << o.limit;
        }
      } else {  // restart
        ASSERT_NO_FATAL_FAILURE(Reopen(Rand(2) == 0));
        ASSERT_EQ(store_->Rev(), model.rev()) << "step " << step;
        ASSERT_EQ(store_->CompactRev(), compact) << "step " << step;
        ASSERT_EQ(store_->ConsistentIndex(), index) << "step " << step;
      }
    }
  }

  std::mt19937_64 rng_;
};

TEST_F(ModelTest, RandomOpsMatchModel) {
  for (uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    rng_.seed(seed);
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    ASSERT_NO_FATAL_FAILURE(RunOps(3000)) << "seed " << seed;
    ASSERT_NO_FATAL_FAILURE(Reopen());
    // Start the next seed from an empty store.
    store_.reset();
    be_.reset();
    std::filesystem::remove_all(dir_);
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }
}

}  // namespace
}  // namespace etcdpp::mvcc
