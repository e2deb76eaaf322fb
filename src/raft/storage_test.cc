// MemoryStorage, RaftLog, quorum arithmetic, flow control and the conf change codec.

#include "raft/storage.h"

#include "gtest/gtest.h"
#include "raft/confchange.h"
#include "raft/log.h"
#include "raft/progress.h"
#include "raft/quorum.h"

namespace etcdpp::raft {
namespace {

std::vector<Entry> Ents(std::vector<std::pair<uint64_t, uint64_t>> index_term) {
  std::vector<Entry> out;
  for (auto [i, t] : index_term) out.push_back({.term = t, .index = i});
  return out;
}

TEST(MemoryStorageTest, AppendTruncatesConflictingSuffixAndCompacts) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 1}, {3, 2}})).ok());
  ASSERT_TRUE(s.Append(Ents({{3, 3}, {4, 3}})).ok());
  EXPECT_EQ(*s.LastIndex(), 4u);
  EXPECT_EQ(*s.Term(3), 3u);
  EXPECT_FALSE(s.Append(Ents({{7, 3}})).ok());  // a gap
  ASSERT_TRUE(s.Compact(2).ok());
  EXPECT_EQ(*s.FirstIndex(), 3u);
  EXPECT_EQ(*s.Term(2), 1u);  // the dummy entry keeps the term of the compaction point
  EXPECT_TRUE(IsCompacted(s.Term(1).status()));
  EXPECT_TRUE(IsCompacted(s.Entries(2, 4, UINT64_MAX).status()));
  EXPECT_TRUE(raft::IsUnavailable(s.Entries(3, 6, UINT64_MAX).status()));
  EXPECT_EQ(s.Entries(3, 5, 0)->size(), 1u);  // at least one entry whatever the size limit
  EXPECT_TRUE(IsCompacted(s.Compact(2)));
}

TEST(MemoryStorageTest, EntriesStopAtTheSizeLimit) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 1}, {3, 1}, {4, 1}})).ok());
  const uint64_t one = EntrySize(s.Entries(1, 2, UINT64_MAX)->at(0));
  EXPECT_EQ(s.Entries(1, 5, UINT64_MAX)->size(), 4u);
  EXPECT_EQ(s.Entries(1, 5, 2 * one)->size(), 2u);      // exactly two fit
  EXPECT_EQ(s.Entries(1, 5, 3 * one - 1)->size(), 2u);  // the third does not
  EXPECT_EQ(s.Entries(2, 5, 3 * one)->back().index, 4u);
}

TEST(MemoryStorageTest, SnapshotsReplaceTheLog) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 1}, {3, 2}})).ok());
  ConfState cs{.voters = {1, 2}};
  auto snap = s.CreateSnapshot(2, &cs, "data");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata.term, 1u);
  EXPECT_FALSE(s.CreateSnapshot(9, &cs, "").ok());
  EXPECT_TRUE(IsSnapOutOfDate(s.CreateSnapshot(1, &cs, "").status()));
  MemoryStorage other;
  ASSERT_TRUE(other.ApplySnapshot(*snap).ok());
  EXPECT_EQ(*other.FirstIndex(), 3u);
  EXPECT_EQ(*other.LastIndex(), 2u);
  HardState hs;
  ConfState got;
  ASSERT_TRUE(other.InitialState(&hs, &got).ok());
  EXPECT_EQ(got, cs);
  EXPECT_TRUE(IsSnapOutOfDate(other.ApplySnapshot(*snap)));
}

TEST(RaftLogTest, MaybeAppendRejectsMismatchAndTruncatesConflicts) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 2}, {3, 3}})).ok());
  auto log = *RaftLog::Open(&s, UINT64_MAX);
  EXPECT_FALSE(log->MaybeAppend(3, 2, 3, Ents({{4, 3}})).has_value());
  auto last = log->MaybeAppend(1, 1, 2, Ents({{2, 4}, {3, 4}}));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 3u);
  EXPECT_EQ(log->committed(), 2u);
  EXPECT_EQ(*log->Term(3), 4u);
  EXPECT_EQ(log->UnstableEntries().size(), 2u);
  // Already present entries are not appended again.
  EXPECT_EQ(*log->MaybeAppend(1, 1, 2, Ents({{2, 4}})), 2u);
  EXPECT_EQ(log->LastIndex(), 3u);
}

TEST(RaftLogTest, FindConflictByTermSkipsWholeTerms) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 2}, {3, 2}, {4, 5}, {5, 5}, {6, 5}})).ok());
  auto log = *RaftLog::Open(&s, UINT64_MAX);
  EXPECT_EQ(log->FindConflictByTerm(6, 4), (std::pair<uint64_t, uint64_t>{3, 2}));
  EXPECT_EQ(log->FindConflictByTerm(6, 5), (std::pair<uint64_t, uint64_t>{6, 5}));
  EXPECT_EQ(log->FindConflictByTerm(6, 1), (std::pair<uint64_t, uint64_t>{1, 1}));
  EXPECT_EQ(log->FindConflictByTerm(6, 0), (std::pair<uint64_t, uint64_t>{0, 0}));
}

TEST(RaftLogTest, IsUpToDateComparesLastTermThenIndex) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 2}, {3, 2}})).ok());
  auto log = *RaftLog::Open(&s, UINT64_MAX);
  EXPECT_TRUE(log->IsUpToDate(1, 3));
  EXPECT_TRUE(log->IsUpToDate(3, 2));
  EXPECT_FALSE(log->IsUpToDate(2, 2));
  EXPECT_FALSE(log->IsUpToDate(9, 1));
}

TEST(RaftLogTest, CommitOnlyCurrentTermEntries) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 2}})).ok());
  auto log = *RaftLog::Open(&s, UINT64_MAX);
  EXPECT_FALSE(log->MaybeCommit(2, 3));  // §5.4.2: an older term's entry is not committed
  EXPECT_TRUE(log->MaybeCommit(2, 2));
  EXPECT_EQ(log->NextEnts().size(), 2u);
  log->AppliedTo(2);
  EXPECT_FALSE(log->HasNextEnts());
}

TEST(QuorumTest, CommittedIndexIsTheMajorityAck) {
  MajorityConfig c({1, 2, 3, 4, 5});
  std::map<uint64_t, uint64_t> acked{{1, 5}, {2, 4}, {3, 3}, {4, 1}};
  auto f = [&](uint64_t id) -> std::optional<uint64_t> {
    auto it = acked.find(id);
    if (it == acked.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(c.CommittedIndex(f), 3u);
  EXPECT_EQ(MajorityConfig({1}).CommittedIndex(f), 5u);
  EXPECT_EQ(MajorityConfig({4, 9}).CommittedIndex(f), 0u);
}

TEST(QuorumTest, VoteResult) {
  MajorityConfig c({1, 2, 3});
  EXPECT_EQ(c.Vote({{1, true}}), VoteResult::kPending);
  EXPECT_EQ(c.Vote({{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(c.Vote({{1, true}, {2, false}, {3, false}}), VoteResult::kLost);
  EXPECT_EQ(MajorityConfig({1}).Vote({{1, true}}), VoteResult::kWon);
}

TEST(ProgressTest, InflightsWindowPausesReplication) {
  Progress pr(5, 2, false);
  pr.BecomeReplicate();
  pr.inflights.Add(5);
  EXPECT_FALSE(pr.IsPaused());
  pr.inflights.Add(6);
  EXPECT_TRUE(pr.IsPaused());
  pr.inflights.FreeLE(5);
  EXPECT_FALSE(pr.IsPaused());
}

TEST(ProgressTest, ProbeBacksOffToHint) {
  Progress pr(10, 4, false);
  pr.BecomeProbe();
  pr.next = 10;
  EXPECT_FALSE(pr.MaybeDecrTo(5, 3));  // stale: not the last probe
  EXPECT_TRUE(pr.MaybeDecrTo(9, 3));
  EXPECT_EQ(pr.next, 4u);
}

TEST(ConfChangeCodecTest, RoundTripsAndRejectsGarbage) {
  ConfChange cc{.type = ConfChangeType::kAddLearnerNode,
                .node_id = 0x0102030405060708,
                .context = std::string("peer\0urls", 9)};
  std::string enc = EncodeConfChange(cc);
  EXPECT_EQ(enc.size(), 14u + 9u);
  auto dec = DecodeConfChange(enc);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, cc);
  EXPECT_FALSE(DecodeConfChange("").ok());
  EXPECT_FALSE(DecodeConfChange(enc.substr(0, enc.size() - 1)).ok());
  std::string bad = enc;
  bad[1] = 9;
  EXPECT_FALSE(DecodeConfChange(bad).ok());
  bad = enc;
  bad[0] = 2;
  EXPECT_FALSE(DecodeConfChange(bad).ok());
}

}  // namespace
}  // namespace etcdpp::raft
