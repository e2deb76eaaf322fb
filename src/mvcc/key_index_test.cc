#include "mvcc/key_index.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace etcdpp::mvcc {
namespace {

std::string Rev(Revision r) {
  return r.sub == 0 ? absl::StrCat(r.main) : absl::StrCat(r.main, ".", r.sub);
}

// "c2 v3: 2 4 6 | c8 v3: 8 10 12 | E": created, version and revisions of each generation.
std::string Describe(const KeyIndex& ki) {
  std::vector<std::string> gens;
  for (const Generation& g : ki.generations()) {
    if (g.IsEmpty()) {
      gens.push_back("E");
      continue;
    }
    std::vector<std::string> revs;
    for (Revision r : g.revs) revs.push_back(Rev(r));
    gens.push_back(absl::StrCat("c", Rev(g.created), " v", g.ver, ": ", absl::StrJoin(revs, " ")));
  }
  return absl::StrJoin(gens, " | ");
}

std::string Describe(const RevisionSet& s) {
  std::set<Revision> sorted(s.begin(), s.end());
  std::vector<std::string> out;
  for (Revision r : sorted) out.push_back(Rev(r));
  return absl::StrJoin(out, " ");
}

// etcd's test key "foo" (key_index_test.go newTestKeyIndex):
//    {empty}
//    {{14, 0}[1], {14, 1}[2], {16, 0}(t)[3]}
//    {{8, 0}[1], {10, 0}[2], {12, 0}(t)[3]}
//    {{2, 0}[1], {4, 0}[2], {6, 0}(t)[3]}
KeyIndex NewTestKeyIndex() {
  KeyIndex ki;
  ki.Put({2, 0});
  ki.Put({4, 0});
  EXPECT_TRUE(ki.Tombstone({6, 0}));
  ki.Put({8, 0});
  ki.Put({10, 0});
  EXPECT_TRUE(ki.Tombstone({12, 0}));
  ki.Put({14, 0});
  ki.Put({14, 1});
  EXPECT_TRUE(ki.Tombstone({16, 0}));
  return ki;
}

TEST(KeyIndexTest, Get) {
  KeyIndex ki = NewTestKeyIndex();
  RevisionSet am;
  ki.Compact(4, &am);
  struct Case {
    int64_t rev;
    bool found;
    Revision mod, created;
    int64_t ver;
  };
  const Case cases[] = {
      {17, false, {}, {}, 0},          {16, false, {}, {}, 0},
      {15, true, {14, 1}, {14, 0}, 2}, {14, true, {14, 1}, {14, 0}, 2},
      {13, false, {}, {}, 0},          {12, false, {}, {}, 0},
      {11, true, {10, 0}, {8, 0}, 2},  {10, true, {10, 0}, {8, 0}, 2},
      {9, true, {8, 0}, {8, 0}, 1},    {8, true, {8, 0}, {8, 0}, 1},
      {7, false, {}, {}, 0},           {6, false, {}, {}, 0},
      {5, true, {4, 0}, {2, 0}, 2},    {4, true, {4, 0}, {2, 0}, 2},
      {3, false, {}, {}, 0},           {2, false, {}, {}, 0},
      {1, false, {}, {}, 0},           {0, false, {}, {}, 0},
  };
  for (const Case& c : cases) {
    auto f = ki.Get(c.rev);
    ASSERT_EQ(f.has_value(), c.found) << "rev " << c.rev;
    if (!f) continue;
    EXPECT_EQ(f->modified, c.mod) << "rev " << c.rev;
    EXPECT_EQ(f->created, c.created) << "rev " << c.rev;
    EXPECT_EQ(f->version, c.ver) << "rev " << c.rev;
  }
}

TEST(KeyIndexTest, Since) {
  KeyIndex ki = NewTestKeyIndex();
  RevisionSet am;
  ki.Compact(4, &am);
  const std::vector<Revision> all = {{4, 0}, {6, 0}, {8, 0}, {10, 0}, {12, 0}, {14, 1}, {16, 0}};
  auto from = [&](size_t i) { return std::vector<Revision>(all.begin() + i, all.end()); };
  EXPECT_EQ(ki.Since(17), std::vector<Revision>());
  EXPECT_EQ(ki.Since(16), from(6));
  EXPECT_EQ(ki.Since(15), from(6));
  EXPECT_EQ(ki.Since(14), from(5));
  EXPECT_EQ(ki.Since(13), from(5));
  EXPECT_EQ(ki.Since(12), from(4));
  EXPECT_EQ(ki.Since(9), from(3));
  EXPECT_EQ(ki.Since(7), from(2));
  EXPECT_EQ(ki.Since(5), from(1));
  for (int64_t r : {4, 3, 0}) EXPECT_EQ(ki.Since(r), all) << r;
}

TEST(KeyIndexTest, PutTombstoneRestore) {
  KeyIndex ki;
  ki.Put({5, 0});
  EXPECT_EQ(Describe(ki), "c5 v1: 5");
  ki.Put({7, 0});
  EXPECT_EQ(Describe(ki), "c5 v2: 5 7");
  EXPECT_TRUE(ki.Tombstone({9, 0}));
  EXPECT_EQ(Describe(ki), "c5 v3: 5 7 9 | E");
  EXPECT_FALSE(ki.Tombstone({11, 0}));  // not live: etcd's ErrRevisionNotFound
  ki.Put({15, 0});
  EXPECT_EQ(Describe(ki), "c5 v3: 5 7 9 | c15 v1: 15");
  EXPECT_EQ(ki.modified(), (Revision{15, 0}));

  KeyIndex restored;
  restored.Restore({5, 0}, {7, 0}, 2);
  EXPECT_EQ(Describe(restored), "c5 v2: 7");
  auto f = restored.Get(7);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version, 2);
  EXPECT_EQ(f->created, (Revision{5, 0}));
}

TEST(KeyIndexTest, IsEmpty) {
  KeyIndex ki;
  EXPECT_TRUE(ki.IsEmpty());
  ki.Put({2, 0});
  EXPECT_FALSE(ki.IsEmpty());
  EXPECT_TRUE(ki.Tombstone({3, 0}));
  RevisionSet am;
  ki.Compact(3, &am);
  EXPECT_TRUE(ki.IsEmpty());
  EXPECT_TRUE(am.empty());
}

// etcd's TestKeyIndexCompactAndKeep table: for each compact revision, the generations left
// and the revisions kept in the backend.
struct CompactCase {
  int64_t rev;
  const char* generations;
  const char* available;
};
const CompactCase kCompactCases[] = {
    {1, "c2 v3: 2 4 6 | c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", ""},
    {2, "c2 v3: 2 4 6 | c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", "2"},
    {3, "c2 v3: 2 4 6 | c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", "2"},
    {4, "c2 v3: 4 6 | c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", "4"},
    {5, "c2 v3: 4 6 | c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", "4"},
    {6, "c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", ""},
    {7, "c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", ""},
    {8, "c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", "8"},
    {9, "c8 v3: 8 10 12 | c14 v3: 14 14.1 16 | E", "8"},
    {10, "c8 v3: 10 12 | c14 v3: 14 14.1 16 | E", "10"},
    {11, "c8 v3: 10 12 | c14 v3: 14 14.1 16 | E", "10"},
    {12, "c14 v3: 14 14.1 16 | E", ""},
    {13, "c14 v3: 14 14.1 16 | E", ""},
    {14, "c14 v3: 14.1 16 | E", "14.1"},
    {15, "c14 v3: 14.1 16 | E", "14.1"},
    {16, "E", ""},
};

void CheckKeepThenCompact(KeyIndex* ki, const CompactCase& c) {
  const std::string before = Describe(*ki);
  RevisionSet keep;
  ki->Keep(c.rev, &keep);
  EXPECT_EQ(Describe(*ki), before) << "keep must not change the index, rev " << c.rev;
  EXPECT_EQ(Describe(keep), c.available) << "keep at " << c.rev;
  RevisionSet am;
  ki->Compact(c.rev, &am);
  EXPECT_EQ(Describe(*ki), c.generations) << "compact at " << c.rev;
  EXPECT_EQ(Describe(am), c.available) << "compact at " << c.rev;
}

TEST(KeyIndexTest, CompactAndKeepContinuous) {
  KeyIndex ki = NewTestKeyIndex();
  for (const CompactCase& c : kCompactCases) CheckKeepThenCompact(&ki, c);
}

TEST(KeyIndexTest, CompactAndKeepJumping) {
  KeyIndex ki = NewTestKeyIndex();
  for (size_t i = 0; i < std::size(kCompactCases); ++i) {
    if ((i % 2 == 0 && i < 6) || (i % 2 == 1 && i > 6)) CheckKeepThenCompact(&ki, kCompactCases[i]);
  }
}

TEST(KeyIndexTest, CompactAndKeepOnce) {
  for (const CompactCase& c : kCompactCases) {
    KeyIndex ki = NewTestKeyIndex();
    CheckKeepThenCompact(&ki, c);
  }
}

TEST(KeyIndexTest, CompactOnFurtherRev) {
  KeyIndex ki;
  ki.Put({1, 0});
  ki.Put({2, 0});
  RevisionSet am;
  ki.Compact(3, &am);
  EXPECT_EQ(Describe(ki), "c1 v2: 2");
  EXPECT_EQ(Describe(am), "2");
}

}  // namespace
}  // namespace etcdpp::mvcc
