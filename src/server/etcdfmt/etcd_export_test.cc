#include "server/etcdfmt/etcd_export.h"

#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "auth/store.h"
#include "backend/bbolt/reader.h"
#include "gtest/gtest.h"
#include "mvccpb/kv.pb.h"
#include "server/membership/membership.h"

namespace etcdpp::server::etcdfmt {
namespace {

using backend::Bucket;
using Buckets = std::map<std::string, std::map<std::string, std::string>>;

std::string Rev(int64_t main, bool tombstone = false) {
  std::string k(17, '\0');
  for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(main >> (56 - 8 * i));
  k[8] = '_';
  if (tombstone) k += 't';
  return k;
}

std::string U64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (56 - 8 * i));
  return s;
}

class EtcdExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcd_export_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    backend::Options o;
    o.dir = dir_;
    o.background_commits = false;
    o.map_size = size_t{1} << 30;
    auto be = backend::Backend::Open(o);
    ASSERT_TRUE(be.ok()) << be.status();
    be_ = std::move(*be);
  }
  void TearDown() override {
    be_.reset();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  void Put(Bucket b, const std::string& k, const std::string& v) {
    backend::BatchTx tx(be_.get());
    tx.Put(b, k, v);
    tx.End();
  }
  // Exports and reads the file back with the bbolt reader (after bbolt's integrity check).
  Buckets ExportAndRead(const backend::ReadSnapshot& snap, uint64_t* size = nullptr) {
    backend::bbolt::StringSink sink;
    ExportOptions opts;
    uint64_t planned = 0;
    opts.on_size = [&](uint64_t n) { planned = n; };
    auto res = ExportEtcdBackend(snap, &sink, opts);
    EXPECT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(planned, sink.data().size());
    if (size != nullptr) *size = planned;
    const std::string path = dir_ + "/export.db";
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(sink.data().data(), 1, sink.data().size(), f);
    std::fclose(f);
    auto r = backend::bbolt::Reader::Open(path);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_TRUE((*r)->Check().ok());
    Buckets out;
    std::vector<std::string> names;
    EXPECT_TRUE((*r)->ForEach((*r)->root(),
                              [&](std::string_view k, std::string_view, bool) {
                                names.emplace_back(k);
                                return true;
                              })
                    .ok());
    for (const std::string& n : names) {
      auto b = (*r)->Bucket((*r)->root(), n);
      EXPECT_TRUE(b.ok());
      auto& kvs = out[n];
      EXPECT_TRUE((*r)->ForEach(*b,
                                [&](std::string_view k, std::string_view v, bool) {
                                  kvs.emplace(k, v);
                                  return true;
                                })
                      .ok());
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<backend::Backend> be_;
};

TEST_F(EtcdExportTest, EmptyBackendHasEtcdsBucketsAndAuthDefaults) {
  ASSERT_TRUE(be_->ForceCommit().ok());
  auto snap = be_->OpenReadSnapshot();
  ASSERT_TRUE(snap.ok());
  Buckets got = ExportAndRead(**snap);
  std::vector<std::string> names;
  for (const auto& [n, _] : got) names.push_back(n);
  EXPECT_EQ(names,
            (std::vector<std::string>{"alarm", "auth", "authRoles", "authUsers", "cluster", "key",
                                      "lease", "members", "members_removed", "meta"}));
  EXPECT_EQ(got["auth"], (std::map<std::string, std::string>{{"authRevision", U64(1)}}));
  EXPECT_TRUE(got["authUsers"].empty());
  EXPECT_TRUE(got["authRoles"].empty());
  EXPECT_EQ(got["cluster"]["clusterVersion"], "3.4.0");
}

TEST_F(EtcdExportTest, CopiesKeysLeasesAndMetaConvertsMembers) {
  mvccpb::KeyValue kv;
  kv.set_key("foo");
  kv.set_value("bar");
  kv.set_create_revision(2);
  kv.set_mod_revision(2);
  kv.set_version(1);
  Put(Bucket::kKey, Rev(2), kv.SerializeAsString());
  mvccpb::KeyValue tomb;
  tomb.set_key("foo");
  Put(Bucket::kKey, Rev(3, true), tomb.SerializeAsString());
  Put(Bucket::kMeta, std::string(backend::kConsistentIndexKey), U64(42));
  Put(Bucket::kMeta, std::string(backend::kTermKey), U64(7));
  Put(Bucket::kMeta, std::string(backend::kFinishedCompactKey), Rev(2));
  Put(Bucket::kLease, U64(0x1234), "lease-record");
  Member m;
  m.id = 0x8e9e05c52164694d;
  m.name = "default<1>";
  m.peer_urls = {"http://localhost:2380"};
  m.client_urls = {"http://localhost:2379"};
  Put(Bucket::kMembers, "8e9e05c52164694d", EncodeMember(m));
  Put(Bucket::kMembersRemoved, "1234", "removed");
  ASSERT_TRUE(be_->ForceCommit().ok());

  auto snap = be_->OpenReadSnapshot();
  ASSERT_TRUE(snap.ok());
  // A write committed while the view lives, by another thread (the view's holder must not
  // commit: Backend::OpenReadSnapshot).
  absl::Status later;
  std::thread([&] {
    Put(Bucket::kKey, Rev(4), "after the snapshot");
    later = be_->ForceCommit();
  }).join();
  ASSERT_TRUE(later.ok()) << later;

  Buckets got = ExportAndRead(**snap);
  EXPECT_EQ(got["key"],
            (std::map<std::string, std::string>{{Rev(2), kv.SerializeAsString()},
                                                {Rev(3, true), tomb.SerializeAsString()}}));
  EXPECT_EQ(got["meta"], (std::map<std::string, std::string>{{"consistent_index", U64(42)},
                                                             {"finishedCompactRev", Rev(2)}}))
      << "etcd 3.4's meta keys only (no term)";
  EXPECT_EQ(got["lease"][U64(0x1234)], "lease-record");
  EXPECT_EQ(got["members"]["8e9e05c52164694d"],
            "{\"id\":10276657743932975437,\"peerURLs\":[\"http://localhost:2380\"],"
            "\"name\":\"default\\u003c1\\u003e\",\"clientURLs\":[\"http://localhost:2379\"]}");
  EXPECT_EQ(got["members_removed"]["1234"], "removed");
}

TEST_F(EtcdExportTest, LearnerWithoutNameOrClientUrls) {
  Member m;
  m.id = 5;
  m.peer_urls = {"http://a:1", "http://b:2"};
  m.is_learner = true;
  auto json = MemberToEtcdJson(EncodeMember(m));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, "{\"id\":5,\"peerURLs\":[\"http://a:1\",\"http://b:2\"],\"isLearner\":true}");
  EXPECT_FALSE(MemberToEtcdJson("\xff\xff not a record").ok());
}

TEST_F(EtcdExportTest, AuthBucketsAreCopiedAsTheAuthStoreWritesThem) {
  auto store = auth::AuthStore::Open(be_.get(), absl::Minutes(5));
  ASSERT_TRUE(store.ok()) << store.status();
  {
    backend::BatchTx tx(be_.get());
    ASSERT_TRUE((*store)->RoleAdd("root", &tx).ok());
    ASSERT_TRUE((*store)->UserAdd("root", "$2a$10$hash", authpb::UserAddOptions(), &tx).ok());
    ASSERT_TRUE((*store)->UserGrantRole("root", "root", &tx).ok());
    ASSERT_TRUE((*store)->Enable(&tx).ok());
    tx.End();
  }
  ASSERT_TRUE(be_->ForceCommit().ok());
  auto snap = be_->OpenReadSnapshot();
  ASSERT_TRUE(snap.ok());
  Buckets got = ExportAndRead(**snap);
  for (Bucket b : {Bucket::kAuth, Bucket::kAuthUsers, Bucket::kAuthRoles}) {
    std::map<std::string, std::string> ours;
    ASSERT_TRUE((*snap)
                    ->ForEach(b,
                              [&](std::string_view k, std::string_view v) {
                                ours.emplace(k, v);
                                return true;
                              })
                    .ok());
    EXPECT_EQ(got[std::string(backend::BucketName(b))], ours) << backend::BucketName(b);
  }
  EXPECT_EQ(got["auth"]["authEnabled"], std::string(1, '\1'));
  EXPECT_EQ(got["auth"]["authRevision"], U64((*store)->revision()));
  authpb::User root;
  ASSERT_TRUE(root.ParseFromString(got["authUsers"]["root"]));
  EXPECT_EQ(root.roles_size(), 1);
}

class FakeAuth : public AuthExporter {
 public:
  absl::Status Export(
      const backend::ReadSnapshot&, Bucket b,
      absl::FunctionRef<absl::Status(std::string_view, std::string_view)> put) override {
    calls.push_back(std::string(backend::BucketName(b)));
    if (b == Bucket::kAuth) return put("authEnabled", std::string(1, '\1'));
    if (b == Bucket::kAuthUsers) return put("root", "user-proto");
    return absl::OkStatus();
  }
  std::vector<std::string> calls;
};

TEST_F(EtcdExportTest, AuthHookFillsTheAuthBuckets) {
  ASSERT_TRUE(be_->ForceCommit().ok());
  auto snap = be_->OpenReadSnapshot();
  ASSERT_TRUE(snap.ok());
  FakeAuth auth;
  backend::bbolt::StringSink sink;
  ExportOptions opts;
  opts.auth = &auth;
  ASSERT_TRUE(ExportEtcdBackend(**snap, &sink, opts).ok());
  // Called in both passes, in bbolt's order.
  EXPECT_EQ(auth.calls, (std::vector<std::string>{"auth", "authRoles", "authUsers", "auth",
                                                  "authRoles", "authUsers"}));
}

}  // namespace
}  // namespace etcdpp::server::etcdfmt
