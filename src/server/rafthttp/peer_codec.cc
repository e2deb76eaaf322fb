#include "server/rafthttp/peer_codec.h"

#include "absl/strings/str_cat.h"

namespace etcdpp::server {
namespace {

constexpr uint32_t kMaxMessageType = static_cast<uint32_t>(raft::MessageType::kPreVoteResp);
constexpr uint32_t kMaxEntryType = static_cast<uint32_t>(raft::EntryType::kConfChange);

void EncodeSnapshot(const raft::Snapshot& s, internalpb::RaftMessage* out) {
  if (s.IsEmpty()) return;
  internalpb::RaftSnapshotMeta* md = out->mutable_snapshot();
  for (uint64_t v : s.metadata.conf_state.voters) md->add_voters(v);
  for (uint64_t l : s.metadata.conf_state.learners) md->add_learners(l);
  md->set_index(s.metadata.index);
  md->set_term(s.metadata.term);
  out->set_snapshot_data(s.data);
}

// A snapshot at index 0 is no snapshot (raft::Snapshot::IsEmpty), as EncodeSnapshot sends it:
// whatever else a peer put beside it is dropped, so decoding and encoding agree.
void DecodeSnapshot(const internalpb::RaftMessage& in, raft::Snapshot* s) {
  if (!in.has_snapshot() || in.snapshot().index() == 0) return;
  const internalpb::RaftSnapshotMeta& md = in.snapshot();
  s->metadata.conf_state.voters.assign(md.voters().begin(), md.voters().end());
  s->metadata.conf_state.learners.assign(md.learners().begin(), md.learners().end());
  s->metadata.index = md.index();
  s->metadata.term = md.term();
  s->data = in.snapshot_data();
}

}  // namespace

void EncodeRaftMessage(const raft::Message& m, internalpb::RaftMessage* out) {
  out->set_type(static_cast<uint32_t>(m.type));
  out->set_to(m.to);
  out->set_from(m.from);
  out->set_term(m.term);
  out->set_log_term(m.log_term);
  out->set_index(m.index);
  for (const raft::Entry& e : m.entries) {
    internalpb::RaftEntry* pe = out->add_entries();
    pe->set_term(e.term);
    pe->set_index(e.index);
    pe->set_type(static_cast<uint32_t>(e.type));
    pe->set_data(e.data);
  }
  out->set_commit(m.commit);
  EncodeSnapshot(m.snapshot, out);
  out->set_reject(m.reject);
  out->set_reject_hint(m.reject_hint);
  out->set_context(m.context);
}

[[nodiscard]] absl::StatusOr<raft::Message> DecodeRaftMessage(const internalpb::RaftMessage& in) {
  if (in.type() > kMaxMessageType) {
    return absl::InvalidArgumentError(absl::StrCat("unknown raft message type ", in.type()));
  }
  raft::Message m;
  m.type = static_cast<raft::MessageType>(in.type());
  m.to = in.to();
  m.from = in.from();
  m.term = in.term();
  m.log_term = in.log_term();
  m.index = in.index();
  m.entries.reserve(in.entries_size());
  for (const internalpb::RaftEntry& pe : in.entries()) {
    if (pe.type() > kMaxEntryType) {
      return absl::InvalidArgumentError(absl::StrCat("unknown raft entry type ", pe.type()));
    }
    m.entries.push_back(
        raft::Entry{pe.term(), pe.index(), static_cast<raft::EntryType>(pe.type()), pe.data()});
  }
  m.commit = in.commit();
  DecodeSnapshot(in, &m.snapshot);
  m.reject = in.reject();
  m.reject_hint = in.reject_hint();
  m.context = in.context();
  return m;
}

}  // namespace etcdpp::server
