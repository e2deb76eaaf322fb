#include "server/v2store/snapshot_codec.h"

#include <string>

#include "common/crc32c.h"
#include "gtest/gtest.h"
#include "server/v2store/store.h"
#include "server/v2store/test_util.h"

namespace etcdpp::server::v2store {
namespace {

class SnapshotTest : public ::testing::Test {
 protected:
  SnapshotTest() : a_({"/0", "/1"}), b_({"/0", "/1"}) {
    EXPECT_TRUE(a_.Set("/1/d/x", false, "1", {}, t0_).ok());
    EXPECT_TRUE(
        a_.Set("/1/d/_h", false, "hidden", {.expire_time = t0_ + absl::Seconds(30)}, t0_).ok());
    EXPECT_TRUE(a_.Set("/1/e", true, "", {.expire_time = t0_ + absl::Seconds(10)}, t0_).ok());
    EXPECT_TRUE(
        a_.Set("/1/d/x", false, "2", {.expire_time = t0_ + absl::Seconds(20), .refresh = true}, t0_)
            .ok());
    EXPECT_FALSE(a_.Get("/nope", false, false, t0_).ok());
  }
  absl::Time t0_ = At("2026-12-07T04:00:00.123456789Z");
  Store a_;
  Store b_;
};

TEST_F(SnapshotTest, RecoverGivesTheSameStore) {
  std::string snap = a_.Save();
  ASSERT_TRUE(b_.Recover(snap).ok());
  EXPECT_EQ(b_.index(), a_.index());
  EXPECT_EQ(b_.stats(), a_.stats());
  EXPECT_EQ(b_.Save(), snap);
  EXPECT_EQ(Json(b_.Get("/", true, true, t0_)), Json(a_.Get("/", true, true, t0_)));
  EXPECT_EQ(Json(b_.Get("/1/d/_h", false, false, t0_)), Json(a_.Get("/1/d/_h", false, false, t0_)));
  // Expiry times came along: the same keys expire at the same indexes.
  a_.DeleteExpiredKeys(t0_ + absl::Seconds(25));
  b_.DeleteExpiredKeys(t0_ + absl::Seconds(25));
  EXPECT_EQ(b_.index(), 6u);
  EXPECT_EQ(b_.Save(), a_.Save());
  EXPECT_TRUE(b_.HasTtlKeys());
  // Read-only namespaces are the recovering store's own.
  EXPECT_EQ(b_.Delete("/1", true, true, t0_).error().code, kEcodeRootROnly);
}

TEST_F(SnapshotTest, TheHistoryComesAlongForWatchesWithAWaitIndex) {
  ASSERT_TRUE(b_.Recover(a_.Save()).ok());
  Result<std::unique_ptr<Watcher>> w = b_.Watch("/1/d/x", false, false, 1);
  ASSERT_TRUE(w.ok());
  std::optional<Event> e = w.value()->Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->index(), 1u);  // index 4 is a refresh, which watchers skip
  EXPECT_EQ(e->etcd_index, 4u);
}

TEST_F(SnapshotTest, WatchersOfTheRecoveringStoreStay) {
  Result<std::unique_ptr<Watcher>> w = b_.Watch("/1/k", false, false, 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(b_.Recover(a_.Save()).ok());
  ASSERT_TRUE(b_.Set("/1/k", false, "v", {}, t0_).ok());
  EXPECT_TRUE(w.value()->has_events());
}

TEST_F(SnapshotTest, DamagedSnapshotsAreRefusedAndChangeNothing) {
  std::string snap = a_.Save();
  std::string before = b_.Save();
  EXPECT_FALSE(b_.Recover("").ok());
  EXPECT_FALSE(b_.Recover("{\"Root\":{}}").ok());
  for (size_t cut : {size_t{8}, size_t{12}, snap.size() / 2, snap.size() - 1}) {
    EXPECT_FALSE(b_.Recover(snap.substr(0, cut)).ok()) << cut;
  }
  for (size_t i = 0; i < snap.size(); i += 7) {
    std::string bad = snap;
    bad[i] ^= 0x40;
    EXPECT_FALSE(b_.Recover(bad).ok()) << i;
  }
  EXPECT_EQ(b_.Save(), before);
}

// Snapshots that pass the checksum but say impossible things (made by hand here).
TEST_F(SnapshotTest, ImpossibleContentIsRefused) {
  auto with_crc = [](std::string body) {
    uint32_t crc = crc32c::Value(body);
    for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
    return body;
  };
  std::string snap = a_.Save();
  std::string body = snap.substr(0, snap.size() - 4);
  std::string v2 = body;
  v2[8] = 2;  // version 2
  absl::Status st = b_.Recover(with_crc(v2));
  EXPECT_EQ(st.message(), "v2store snapshot: unknown version 2");
  std::string bad_path = body;
  size_t at = bad_path.find("/1/d/x");
  ASSERT_NE(at, std::string::npos);
  bad_path[at + 3] = 'q';  // "/1/q/x" under "/1/d"
  EXPECT_FALSE(b_.Recover(with_crc(bad_path)).ok());
  EXPECT_FALSE(b_.Recover(with_crc(body + "x")).ok());
}

}  // namespace
}  // namespace etcdpp::server::v2store
