#include "server/rafthttp/peer_codec.h"

#include "gtest/gtest.h"

namespace etcdpp::server {
namespace {

TEST(PeerCodecTest, RoundTripsEveryField) {
  raft::Message m;
  m.type = raft::MessageType::kSnap;
  m.to = 2;
  m.from = 3;
  m.term = 7;
  m.log_term = 6;
  m.index = 42;
  m.entries = {raft::Entry{6, 43, raft::EntryType::kNormal, "a"},
               raft::Entry{7, 44, raft::EntryType::kConfChange, "cc"}};
  m.commit = 41;
  m.snapshot.data = "db";
  m.snapshot.metadata = raft::SnapshotMetadata{raft::ConfState{{1, 2}, {9}}, 40, 5};
  m.reject = true;
  m.reject_hint = 11;
  m.context = "ctx";
  internalpb::RaftMessage pm;
  EncodeRaftMessage(m, &pm);
  absl::StatusOr<raft::Message> back = DecodeRaftMessage(pm);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
}

TEST(PeerCodecTest, RefusesUnknownTypes) {
  internalpb::RaftMessage pm;
  pm.set_type(99);
  EXPECT_FALSE(DecodeRaftMessage(pm).ok());
  pm.set_type(0);
  pm.add_entries()->set_type(7);
  EXPECT_FALSE(DecodeRaftMessage(pm).ok());
}

// Found by the peer_message fuzzer: a snapshot at index 0 with voters and data decoded to a
// non-empty snapshot that re-encoded to none.
TEST(PeerCodecTest, SnapshotAtIndexZeroIsNoSnapshot) {
  internalpb::RaftMessage pm;
  pm.set_type(static_cast<uint32_t>(raft::MessageType::kApp));
  pm.mutable_snapshot()->add_voters(1);
  pm.mutable_snapshot()->set_term(3);
  pm.set_snapshot_data("db");
  absl::StatusOr<raft::Message> m = DecodeRaftMessage(pm);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->snapshot, raft::Snapshot{});
  internalpb::RaftMessage again;
  EncodeRaftMessage(*m, &again);
  absl::StatusOr<raft::Message> back = DecodeRaftMessage(again);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *m);
}

}  // namespace
}  // namespace etcdpp::server
