// The readers of etcd's WAL and snap files, and the import of an etcd backend, against
// well-formed and damaged inputs: every damage is an error naming the file (and, in a WAL, the
// byte offset), a torn final record of the last segment is dropped, nothing crashes (a byte
// flipping sweep), and a refused import leaves nothing behind.

#include "server/etcdfmt/etcd_wal.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backend/bbolt/bbolt_test_util.h"
#include "common/crc32c.h"
#include "gtest/gtest.h"
#include "server/etcdfmt/etcd_import.h"

namespace etcdpp::server::etcdfmt {
namespace {

using backend::bbolt::testing::Model;
using backend::bbolt::testing::TempDir;
using backend::bbolt::testing::WriteModel;

constexpr uint64_t kNode = 0x8e9e05c52164694d;
constexpr uint64_t kCluster = 0xcdf818194e3a8c32;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Builds segments the way etcd's encoder does: records chained by crc.
class WalBuilder {
 public:
  void Record(int64_t type, const std::string& data) {
    if (type == 4) {
      out_ += EncodeEtcdWalRecord(4, crc_, "");
      return;
    }
    crc_ = crc32c::Extend(crc_, data);
    offsets_.push_back(out_.size());
    out_ += EncodeEtcdWalRecord(type, crc_, data);
  }
  void Segment() {  // the first records of a segment
    Record(4, "");
    Record(1, EncodeEtcdMetadata(kNode, kCluster));
  }
  void Entry(uint64_t term, uint64_t index, const std::string& data) {
    Record(2, EncodeEtcdEntry(raft::Entry{term, index, raft::EntryType::kNormal, data}));
  }
  std::string Take() { return std::exchange(out_, ""); }
  const std::vector<size_t>& offsets() const { return offsets_; }

 private:
  std::string out_;
  uint32_t crc_ = 0;
  std::vector<size_t> offsets_;
};

class EtcdWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wal_dir_ = tmp_.path() + "/wal";
    std::filesystem::create_directories(wal_dir_);
  }
  std::string Seg(int seq, uint64_t index) {
    char name[64];
    snprintf(name, sizeof(name), "%016x-%016llx.wal", seq, static_cast<unsigned long long>(index));
    return wal_dir_ + "/" + name;
  }
  // One segment: snapshot marker 0, entries 1..3, a hard state; zero padding after.
  std::string OneSegment() {
    b_.Segment();
    b_.Record(5, EncodeEtcdWalSnapshot(0, 0));
    for (uint64_t i = 1; i <= 3; ++i) b_.Entry(1, i, absl::StrCat("data", i));
    b_.Record(3, EncodeEtcdHardState({2, kNode, 3}));
    return b_.Take();
  }
  absl::StatusOr<EtcdWal> Read(uint64_t index = 0, uint64_t term = 0) {
    return ReadEtcdWal(Env::Default(), wal_dir_, index, term);
  }

  TempDir tmp_;
  std::string wal_dir_;
  WalBuilder b_;
};

TEST_F(EtcdWalTest, ReadsWhatEtcdWrites) {
  WriteFile(Seg(0, 0), OneSegment() + std::string(4096, '\0'));
  absl::StatusOr<EtcdWal> w = Read();
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->node_id, kNode);
  EXPECT_EQ(w->cluster_id, kCluster);
  EXPECT_EQ(w->state, (raft::HardState{2, kNode, 3}));
  ASSERT_EQ(w->entries.size(), 3u);
  EXPECT_EQ(w->entries[2].index, 3u);
  EXPECT_EQ(w->entries[2].data, "data3");
  EXPECT_TRUE(w->torn_tail.empty());
}

TEST_F(EtcdWalTest, EntriesFromTheSnapshotOnAcrossSegments) {
  std::string first = OneSegment();
  b_.Record(5, EncodeEtcdWalSnapshot(3, 1));
  first += b_.Take();
  WriteFile(Seg(0, 0), first);
  b_.Segment();
  b_.Entry(2, 4, "four");
  b_.Entry(2, 3, "three again");  // a new leader's entry replaces the suffix
  WriteFile(Seg(1, 4), b_.Take());
  absl::StatusOr<EtcdWal> w = Read(2, 1);
  EXPECT_TRUE(absl::IsNotFound(w.status())) << w.status() << ": no record of snapshot 2";
  w = Read(3, 1);
  ASSERT_TRUE(w.ok()) << w.status();
  // As etcd's ReadAll: entries at or below the snapshot are skipped, not truncating.
  ASSERT_EQ(w->entries.size(), 1u);
  EXPECT_EQ(w->entries[0].index, 4u);
  w = Read(0, 0);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->entries.size(), 3u);
  EXPECT_EQ(w->entries[2].data, "three again");
  w = Read(3, 7);
  EXPECT_TRUE(absl::IsDataLoss(w.status())) << w.status() << ": the marker's term differs";
}

TEST_F(EtcdWalTest, TornFinalRecordIsDroppedDamageElsewhereIsNamed) {
  const std::string seg = OneSegment();
  const std::vector<size_t> offs = b_.offsets();
  // Cut inside the last record: a torn write of the last segment.
  WriteFile(Seg(0, 0), seg.substr(0, offs.back() + 11));
  absl::StatusOr<EtcdWal> w = Read();
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(absl::StrContains(w->torn_tail, "0000000000000000-0000000000000000.wal"))
      << w->torn_tail;
  EXPECT_EQ(w->state, raft::HardState{}) << "the torn hard state is not used";

  // A flipped byte in an entry in the middle: corruption, with file and offset.
  std::string bad = seg;
  const size_t at = offs[3];  // entry 1
  bad[at + 12] ^= 0x5a;
  WriteFile(Seg(0, 0), bad);
  w = Read();
  ASSERT_TRUE(absl::IsDataLoss(w.status())) << w.status();
  EXPECT_TRUE(absl::StrContains(w.status().message(), absl::StrCat("at offset ", at)))
      << w.status();
  EXPECT_TRUE(absl::StrContains(w.status().message(), Seg(0, 0))) << w.status();

  // Torn in a segment that is not the last: corruption.
  WriteFile(Seg(0, 0), seg.substr(0, offs.back() + 11));
  b_.Segment();
  WriteFile(Seg(1, 4), b_.Take());
  w = Read();
  EXPECT_TRUE(absl::IsDataLoss(w.status())) << w.status();
}

TEST_F(EtcdWalTest, UnknownRecordTypeGapsAndMissingMetadataAreRefused) {
  b_.Segment();
  b_.Record(9, "x");
  WriteFile(Seg(0, 0), b_.Take() + std::string(64, '\0'));
  absl::StatusOr<EtcdWal> w = Read();
  ASSERT_TRUE(absl::IsDataLoss(w.status())) << w.status();
  EXPECT_TRUE(absl::StrContains(w.status().message(), "unknown record type 9")) << w.status();

  b_.Segment();
  b_.Entry(1, 1, "a");
  b_.Entry(1, 3, "c");
  WriteFile(Seg(0, 0), b_.Take());
  w = Read();
  ASSERT_TRUE(absl::IsDataLoss(w.status())) << w.status();
  EXPECT_TRUE(absl::StrContains(w.status().message(), "a gap")) << w.status();

  b_.Record(4, "");
  b_.Entry(1, 1, "a");
  WriteFile(Seg(0, 0), b_.Take());
  w = Read();
  EXPECT_TRUE(absl::IsDataLoss(w.status())) << w.status();

  std::filesystem::remove(Seg(0, 0));
  WriteFile(Seg(0, 5), OneSegment());
  w = Read(2, 1);
  EXPECT_TRUE(absl::IsNotFound(w.status())) << w.status();
}

TEST_F(EtcdWalTest, EveryFlippedByteIsAnErrorOrIgnoredNeverACrash) {
  const std::string seg = OneSegment();
  int errors = 0;
  for (size_t i = 0; i < seg.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = seg;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      WriteFile(Seg(0, 0), bad);
      absl::StatusOr<EtcdWal> w = Read();
      if (!w.ok()) {
        ++errors;
        EXPECT_TRUE(absl::IsDataLoss(w.status()) || absl::IsNotFound(w.status())) << w.status();
        EXPECT_TRUE(absl::StrContains(w.status().message(), wal_dir_)) << w.status();
      } else {
        // Only damage the reader can take for a torn tail (the last record) or padding.
        EXPECT_LE(w->entries.size(), 3u);
      }
    }
  }
  EXPECT_GT(errors, static_cast<int>(seg.size()));
}

TEST_F(EtcdWalTest, SnapFilesRoundTripAndDamageIsNamed) {
  raft::Snapshot s;
  s.data = R"({"Root":{}})";
  s.metadata.index = 7;
  s.metadata.term = 2;
  s.metadata.conf_state.voters = {kNode, 5};
  s.metadata.conf_state.learners = {9};
  const std::string path = tmp_.path() + "/0000000000000002-0000000000000007.snap";
  const std::string bytes = EncodeEtcdSnapFile(s);
  WriteFile(path, bytes);
  absl::StatusOr<raft::Snapshot> got = LoadEtcdSnap(Env::Default(), path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, s);
  WriteFile(tmp_.path() + "/0000000000000003-0000000000000001.snap", bytes);
  WriteFile(tmp_.path() + "/not-a.snap", bytes);
  absl::StatusOr<std::vector<std::string>> names = ListEtcdSnaps(Env::Default(), tmp_.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"0000000000000003-0000000000000001.snap",
                                              "0000000000000002-0000000000000007.snap"}));
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 0x20;
    WriteFile(path, bad);
    got = LoadEtcdSnap(Env::Default(), path);
    if (!got.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
      EXPECT_TRUE(absl::StrContains(got.status().message(), path)) << got.status();
    }
  }
  for (const std::string& bad : {std::string(), std::string("garbage"), bytes.substr(0, 10)}) {
    WriteFile(path, bad);
    got = LoadEtcdSnap(Env::Default(), path);
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  }
}

TEST(EtcdPayloadTest, ConfChangesAndV2Requests) {
  EtcdConfChange cc{7, 3, kNode, R"({"id":1,"peerURLs":["http://a:2380"],"isLearner":true})"};
  absl::StatusOr<EtcdConfChange> got = DecodeEtcdConfChange(EncodeEtcdConfChange(cc));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->node_id, kNode);
  EXPECT_EQ(got->type, 3);
  EXPECT_EQ(got->context, cc.context);
  cc.type = 9;
  EXPECT_FALSE(DecodeEtcdConfChange(EncodeEtcdConfChange(cc)).ok());
  EXPECT_FALSE(DecodeEtcdHardState("\x08").ok());
  // InternalRaftRequest{ID: 5, V2: Request{Method: "PUT", Path: ..., Val: "{}"}}
  auto field = [](int n, const std::string& v) {
    return absl::StrCat(std::string(1, static_cast<char>(n << 3 | 2)),
                        std::string(1, static_cast<char>(v.size())), v);
  };
  const std::string req =
      field(2, "PUT") + field(3, "/0/members/8e9e05c52164694d/attributes") + field(4, "{}");
  const std::string wrapped = std::string("\x08\x05", 2) + field(2, req);
  std::optional<EtcdV2Request> v2 = DecodeEtcdV2Request(wrapped);
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->method, "PUT");
  EXPECT_EQ(v2->path, "/0/members/8e9e05c52164694d/attributes");
  EXPECT_EQ(v2->val, "{}");
  // A v3 request (InternalRaftRequest.put, field 4) is not a v2 one.
  EXPECT_FALSE(
      DecodeEtcdV2Request(std::string("\x08\x05", 2) + field(4, field(1, "k"))).has_value());
}

class EtcdImportTest : public ::testing::Test {
 protected:
  ImportSpec Spec(const std::string& bbolt) {
    ImportSpec spec;
    spec.bbolt_path = bbolt;
    spec.member_dir = tmp_.path() + "/member";
    spec.member_id = kNode;
    spec.cluster_id = kCluster;
    spec.members = {Member{kNode, "m", {"http://127.0.0.1:2380"}, {}, false}};
    spec.index = 1;
    spec.term = 1;
    spec.state = {1, kNode, 1};
    return spec;
  }
  TempDir tmp_;
};

TEST_F(EtcdImportTest, UnknownBucketsMetaKeysAndNonBboltFilesAreRefusedLeavingNothing) {
  struct Case {
    Model model;
    std::string want;
  };
  std::vector<Case> cases = {
      {Model{{"key", {}}, {"meta", {}}, {"newBucket", {{"k", "v"}}}}, "bucket \"newBucket\""},
      {Model{{"meta", {{"mystery", "1"}}}}, "meta key \"mystery\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> db = WriteModel(c.model);
    ASSERT_TRUE(db.ok()) << db.status();
    const std::string path = tmp_.path() + "/db";
    WriteFile(path, *db);
    absl::StatusOr<ImportStats> st = ImportEtcdMember(Env::Default(), Spec(path));
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(absl::StrContains(st.status().message(), c.want)) << st.status();
    EXPECT_TRUE(absl::StrContains(st.status().message(), path)) << st.status();
    EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/member"));
    EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/member.importing"));
  }
  const std::string junk = tmp_.path() + "/junk";
  WriteFile(junk, std::string(8192, 'j'));
  absl::StatusOr<ImportStats> st = ImportEtcdMember(Env::Default(), Spec(junk));
  EXPECT_TRUE(absl::IsInvalidArgument(st.status())) << st.status();
  EXPECT_TRUE(absl::StrContains(st.status().message(), junk)) << st.status();
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/member"));
  EXPECT_FALSE(IsBboltFile(Env::Default(), junk));
}

TEST_F(EtcdImportTest, KnownBucketsAreImportedAndNewerMetaKeysLeftOut) {
  Model model = {
      {"key", {{std::string("\0\0\0\0\0\0\0\2_\0\0\0\0\0\0\0\0", 17), "kv"}}},
      {"lease", {{std::string("\0\0\0\0\0\0\0\1", 8), "lease"}}},
      {"members", {{"1234", "{\"id\":4660}"}}},  // the old cluster's: replaced
      {"meta",
       {{"consistent_index", std::string("\0\0\0\0\0\0\0\x09", 8)},
        {"term", std::string("\0\0\0\0\0\0\0\x02", 8)},
        {"storageVersion", "3.6.0"}}},
  };
  absl::StatusOr<std::string> db = WriteModel(model);
  ASSERT_TRUE(db.ok()) << db.status();
  const std::string path = tmp_.path() + "/db";
  WriteFile(path, *db);
  EXPECT_TRUE(IsBboltFile(Env::Default(), path));
  absl::StatusOr<uint64_t> ci = EtcdConsistentIndex(Env::Default(), path);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_EQ(*ci, 9u);
  absl::StatusOr<ImportStats> st = ImportEtcdMember(Env::Default(), Spec(path));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->keys, 1u);
  EXPECT_EQ(st->leases, 1u);
  EXPECT_EQ(st->etcd_consistent_index, 9u);
  EXPECT_TRUE(std::filesystem::exists(tmp_.path() + "/member/snap/db"));
  EXPECT_TRUE(
      std::filesystem::exists(tmp_.path() + "/member/snap/0000000000000001-0000000000000001.snap"));
  EXPECT_TRUE(std::filesystem::is_directory(tmp_.path() + "/member/wal"));
  st = ImportEtcdMember(Env::Default(), Spec(path));
  EXPECT_TRUE(absl::IsAlreadyExists(st.status())) << st.status();
}

}  // namespace
}  // namespace etcdpp::server::etcdfmt
