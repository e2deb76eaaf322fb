// Writes the binary seed corpora of the fuzz targets with the project's own encoders, so that
// every seed is a valid input the decoders accept (the text seeds, HTTP requests, JSON bodies and
// forms, are written by hand in tests/fuzz/<target>/seeds/). Run by `scripts/fuzz.sh
// --make-seeds`; the output is committed.
//
//   fuzz_make_seeds <tests/fuzz dir>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backend/bbolt/sink.h"
#include "backend/bbolt/writer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "internalpb/internal.pb.h"
#include "internalpb/peer.pb.h"
#include "raft/confchange.h"
#include "raft/types.h"
#include "server/rafthttp/peer_codec.h"
#include "server/snap/snap_files.h"
#include "server/v2store/snapshot_codec.h"
#include "server/v2store/store.h"
#include "wal/codec.h"
#include "wal/record.h"

namespace etcdpp {
namespace {

std::string g_root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const std::string path = absl::StrCat(g_root, "/", target, "/seeds/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

void Must(const absl::Status& st) {
  if (!st.ok()) {
    std::fprintf(stderr, "make_seeds: %s\n", st.ToString().c_str());
    std::exit(1);
  }
}

raft::Entry Normal(uint64_t term, uint64_t index, std::string data) {
  return raft::Entry{term, index, raft::EntryType::kNormal, std::move(data)};
}

raft::Entry ConfChangeEntry(uint64_t term, uint64_t index) {
  raft::ConfChange cc;
  cc.type = raft::ConfChangeType::kAddNode;
  cc.node_id = 0x2a;
  cc.context = "{\"name\":\"m2\"}";
  return raft::Entry{term, index, raft::EntryType::kConfChange, raft::EncodeConfChange(cc)};
}

// WAL segments: the first segment of a new log, one with entries and states, and a torn tail.
void WalSeeds() {
  internalpb::WalMetadata md;
  md.set_node_id(1);
  md.set_cluster_id(0xabc);
  std::string seg;
  uint32_t crc = 0;
  wal::AppendRecord(wal::RecordType::kCrc, "", &crc, &seg);
  wal::AppendRecord(wal::RecordType::kMetadata, md.SerializeAsString(), &crc, &seg);
  wal::AppendRecord(wal::RecordType::kSnapshot, wal::EncodeSnapshot({}), &crc, &seg);
  Write("wal_record", "first_segment", seg);
  wal::AppendRecord(wal::RecordType::kEntry, wal::EncodeEntry(Normal(1, 1, "")), &crc, &seg);
  wal::AppendRecord(wal::RecordType::kEntry, wal::EncodeEntry(ConfChangeEntry(1, 2)), &crc, &seg);
  wal::AppendRecord(wal::RecordType::kState, wal::EncodeHardState({1, 1, 2}), &crc, &seg);
  wal::AppendRecord(wal::RecordType::kEntry, wal::EncodeEntry(Normal(2, 3, "put foo bar")), &crc,
                    &seg);
  wal::AppendRecord(wal::RecordType::kSnapshot, wal::EncodeSnapshot({3, 2}), &crc, &seg);
  wal::AppendRecord(wal::RecordType::kState, wal::EncodeHardState({2, 1, 3}), &crc, &seg);
  Write("wal_record", "entries", seg);
  std::string zeroes = seg + std::string(1024, '\0');
  Write("wal_record", "preallocated", zeroes);
  Write("wal_record", "torn", seg.substr(0, seg.size() - 5));
}

void SnapSeeds() {
  raft::Snapshot s;
  s.metadata.index = 10;
  s.metadata.term = 2;
  s.metadata.conf_state.voters = {1, 2, 3};
  s.metadata.conf_state.learners = {4};
  s.data = "member list";
  Write("snap_file", "three_voters", server::EncodeSnapshotFile(s));
  s.data.clear();
  s.metadata.conf_state.learners.clear();
  Write("snap_file", "no_data", server::EncodeSnapshotFile(s));
}

void PeerSeeds() {
  internalpb::PeerBatch batch;
  batch.set_cluster_id(0xabc);
  batch.set_from(1);
  raft::Message app;
  app.type = raft::MessageType::kApp;
  app.to = 2;
  app.from = 1;
  app.term = 2;
  app.log_term = 1;
  app.index = 1;
  app.commit = 2;
  app.entries = {ConfChangeEntry(2, 2), Normal(2, 3, "data")};
  server::EncodeRaftMessage(app, batch.add_messages());
  raft::Message hb;
  hb.type = raft::MessageType::kHeartbeat;
  hb.to = 2;
  hb.from = 1;
  hb.term = 2;
  hb.context = "ctx";
  server::EncodeRaftMessage(hb, batch.add_messages());
  Write("peer_message", "app_and_heartbeat", batch.SerializeAsString());
  internalpb::PeerBatch snap_batch;
  snap_batch.set_cluster_id(0xabc);
  raft::Message snap;
  snap.type = raft::MessageType::kSnap;
  snap.to = 3;
  snap.from = 1;
  snap.term = 3;
  snap.snapshot.metadata.index = 100;
  snap.snapshot.metadata.term = 3;
  snap.snapshot.metadata.conf_state.voters = {1, 2, 3};
  snap.snapshot.data = "members";
  server::EncodeRaftMessage(snap, snap_batch.add_messages());
  Write("peer_message", "snapshot", snap_batch.SerializeAsString());
}

// Each seed is a sequence of requests in protobuf text format.
void InternalRequestSeeds() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> seeds = {
      {"puts_and_txn",
       {R"(id: 1 put { key: "foo" value: "bar" })",
        R"(id: 2 put { key: "foo" value: "baz" prev_kv: true })",
        R"(id: 3 txn { compare { key: "foo" target: VALUE result: EQUAL value: "baz" }
                       success { request_put { key: "k2" value: "v2" } }
                       success { request_range { key: "a" range_end: "z" } }
                       failure { request_delete_range { key: "foo" } } })",
        R"(id: 4 delete_range { key: "a" range_end: "\000" prev_kv: true })",
        R"(id: 5 compaction { revision: 2 physical: true })"}},
      {"leases",
       {R"(id: 1 lease_grant { TTL: 60 ID: 7 })", R"(id: 2 put { key: "l" value: "v" lease: 7 })",
        R"(id: 3 lease_checkpoint { checkpoints { ID: 7 remaining_TTL: 30 } })",
        R"(id: 4 lease_revoke { ID: 7 })"}},
      {"auth",
       {R"(id: 1 auth { user_add { name: "root" options { no_password: true } } })",
        R"(id: 2 auth { role_add { name: "root" } })",
        R"(id: 3 auth { user_grant_role { user: "root" role: "root" } })",
        R"(id: 4 auth { role_add { name: "r" } })",
        R"(id: 5 auth { role_grant_permission { name: "r" perm { permType: READWRITE key: "a" range_end: "b" } } })",
        R"(id: 6 auth { enable {} })",
        R"(id: 7 auth_header { username: "root" auth_revision: 6 } put { key: "a1" value: "x" })",
        R"(id: 8 auth { authenticate { name: "root" simple_token_prefix: "tok" checked_revision: 6 } })",
        R"(id: 9 auth_header { username: "root" auth_revision: 6 } auth { disable {} })"}},
      {"alarm_and_members",
       {R"(id: 1 alarm { action: ACTIVATE memberID: 1 alarm: NOSPACE })",
        R"(id: 2 put { key: "x" value: "y" })", R"(id: 3 alarm { action: GET })",
        R"(id: 4 alarm { action: DEACTIVATE memberID: 1 alarm: NOSPACE })",
        R"(id: 5 member_attributes { id: 1 name: "m1" client_urls: "http://127.0.0.1:2379" })"}},
      {"v2",
       {R"(id: 1 v2 { method: "PUT" path: "/1/a" val: "1" })",
        R"(id: 2 v2 { method: "POST" path: "/1/q" val: "in order" })",
        R"(id: 3 v2 { method: "PUT" path: "/1/d" dir: true })",
        R"(id: 4 v2 { method: "DELETE" path: "/1/a" prev_value: "1" })",
        R"(id: 5 v2 { method: "QGET" path: "/1" })"}},
  };
  for (const auto& [name, texts] : seeds) {
    std::string bytes;
    google::protobuf::io::StringOutputStream out(&bytes);
    for (const std::string& text : texts) {
      internalpb::InternalRequest req;
      if (!google::protobuf::TextFormat::ParseFromString(text, &req)) {
        std::fprintf(stderr, "make_seeds: bad request text: %s\n", text.c_str());
        std::exit(1);
      }
      if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(req, &out)) std::exit(1);
    }
    Write("internal_request", name, bytes);
  }
}

void V2SnapshotSeeds() {
  using server::v2store::Store;
  Store store({"/0", "/1"});
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  Write("v2_snapshot", "empty", server::v2store::SnapshotCodec::Encode(store));
  (void)store.Set("/1/a", false, "1", {}, now);
  (void)store.Set("/1/dir/b", false, "2", {}, now);
  server::v2store::TtlOptions ttl;
  ttl.expire_time = now + absl::Seconds(60);
  (void)store.Set("/1/ttl", false, "3", ttl, now);
  (void)store.Create("/1/queue", false, "job", true, {}, now);
  (void)store.Delete("/1/a", false, false, now);
  Write("v2_snapshot", "keys_and_history", server::v2store::SnapshotCodec::Encode(store));
}

void BboltSeeds() {
  auto write = [](const std::string& name, uint32_t page_size, int keys) {
    backend::bbolt::StringSink sink;
    backend::bbolt::WriteOptions o;
    o.page_size = page_size;
    absl::StatusOr<backend::bbolt::WriteResult> r = backend::bbolt::WriteDatabase(
        &sink,
        [&](backend::bbolt::Writer& w) -> absl::Status {
          Must(w.BeginBucket("key"));
          for (int i = 0; i < keys; ++i) {
            Must(w.Put(absl::StrCat("k", 1000 + i), std::string(static_cast<size_t>(i % 40), 'v')));
          }
          Must(w.EndBucket());
          Must(w.BeginBucket("meta"));
          Must(w.Put("consistent_index", std::string(8, '\1')));
          Must(w.EndBucket());
          return absl::OkStatus();
        },
        o);
    Must(r.status());
    Write("bbolt_reader", name, sink.data());
  };
  write("small_pages", 1024, 60);  // a branch page over several leaves, and an inline bucket
  write("default_pages", 4096, 3);
}

}  // namespace
}  // namespace etcdpp

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <tests/fuzz dir>\n", argv[0]);
    return 2;
  }
  etcdpp::g_root = argv[1];
  etcdpp::WalSeeds();
  etcdpp::SnapSeeds();
  etcdpp::PeerSeeds();
  etcdpp::InternalRequestSeeds();
  etcdpp::V2SnapshotSeeds();
  etcdpp::BboltSeeds();
  return 0;
}
