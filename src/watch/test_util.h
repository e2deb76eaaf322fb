#pragma once
// Test fixture for the watch tests: an mvcc store in a temp dir with a WatchableStore on top
// (options from StoreOptionsForTest) and streams without a consumer wake-up.

#include <memory>
#include <vector>

#include "mvcc/test_util.h"
#include "watch/watch_stream.h"
#include "watch/watchable_store.h"

namespace etcdpp::watch {

class WatchStoreTestBase : public mvcc::StoreTestBase {
 protected:
  void SetUp() override {
    mvcc::StoreTestBase::SetUp();
    ws_ = std::make_unique<WatchableStore>(store_.get(), StoreOptionsForTest());
  }
  void TearDown() override {
    streams_.clear();
    ws_.reset();
    mvcc::StoreTestBase::TearDown();
  }
  // Fast sync and victim rounds by default.
  virtual StoreOptions StoreOptionsForTest() const {
    StoreOptions o;
    o.sync_interval = absl::Milliseconds(5);
    o.victim_interval = absl::Milliseconds(1);
    return o;
  }
  WatchStream* NewStream() {
    streams_.push_back(std::make_unique<WatchStream>(ws_.get(), nullptr));
    return streams_.back().get();
  }

  std::unique_ptr<WatchableStore> ws_;
  std::vector<std::unique_ptr<WatchStream>> streams_;
};

}  // namespace etcdpp::watch
