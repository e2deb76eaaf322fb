#include "raft/sim/checker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace etcdpp::raft::sim {
namespace {

std::string Describe(const Entry& e) {
  return absl::StrCat("{", e.index, "@", e.term, (e.type == EntryType::kConfChange ? " cc" : ""),
                      " '", e.data, "'}");
}

}  // namespace

std::optional<uint64_t> TermAt(const RaftLog& log, uint64_t i) {
  // RaftLog::Term answers 0 below the snapshot; only [snapshot index, last index] is known.
  if (i + 1 < log.FirstIndex() || i > log.LastIndex()) return std::nullopt;
  absl::StatusOr<uint64_t> t = log.Term(i);
  if (!t.ok()) return std::nullopt;
  return *t;
}

void Checker::Fail(const std::string& what) {
  if (status_.ok()) status_ = absl::InternalError(what);
}

void Checker::OnReady(uint64_t id, const Raft& r, const Ready& rd) {
  if (!rd.hard_state.IsEmpty()) CheckHardState(id, rd.hard_state);
  if (!rd.entries.empty()) CheckEntries(id, r, rd.entries);
  for (const ReadState& rs : rd.read_states) OnReadState(id, rs);
}

// §5.3 Log Matching: "If two entries in different logs have the same index and term, then
// they store the same command" and "the logs are identical in all preceding entries". The
// second half follows from the first by induction once each entry also fixes the term of its
// predecessor.
void Checker::CheckEntries(uint64_t id, const Raft& r, const std::vector<Entry>& ents) {
  // UINT64_MAX: compacted, unknown.
  uint64_t prev_term = TermAt(r.log(), ents.front().index - 1).value_or(UINT64_MAX);
  for (const Entry& e : ents) {
    std::pair<uint64_t, uint64_t> v{HashEntry(0, e), prev_term};
    auto [it, inserted] = entries_.try_emplace({e.index, e.term}, v);
    if (!inserted) {
      if (it->second.first != v.first) {
        Fail(absl::StrCat("log matching: member ", id, " persists ", Describe(e),
                          " but another entry with that index and term exists"));
      } else if (prev_term != UINT64_MAX && it->second.second != UINT64_MAX &&
                 it->second.second != prev_term) {
        Fail(absl::StrCat("log matching: member ", id, " has ", Describe(e), " after term ",
                          prev_term, ", another member after term ", it->second.second));
      } else if (it->second.second == UINT64_MAX) {
        it->second.second = prev_term;
      }
    }
    prev_term = e.term;
  }
}

void Checker::CheckHardState(uint64_t id, const HardState& hs) {
  auto [it, inserted] = persisted_.try_emplace(id, hs);
  if (inserted) return;
  const HardState& old = it->second;
  if (hs.term < old.term) {
    Fail(absl::StrCat("member ", id, " persists term ", hs.term, " after ", old.term));
  } else if (hs.term == old.term && old.vote != 0 && hs.vote != old.vote) {
    Fail(absl::StrCat("member ", id, " votes for ", hs.vote, " and ", old.vote, " in term ",
                      hs.term));
  } else if (hs.commit < old.commit) {
    Fail(absl::StrCat("member ", id, " persists commit ", hs.commit, " after ", old.commit));
  }
  it->second = hs;
}

// §5.4.3 State Machine Safety: "if a server has applied a log entry at a given index to its
// state machine, no other server will ever apply a different log entry for the same index."
void Checker::OnApplied(uint64_t id, const StateMachine& sm) {
  if (sm.index < applied_hash_.size()) {
    if (applied_hash_[sm.index] != sm.hash) {
      Fail(absl::StrCat("state machine safety: member ", id, " applied a different entry at ",
                        sm.index, " than another member"));
    }
  } else if (sm.index == applied_hash_.size()) {
    applied_hash_.push_back(sm.hash);
  } else {
    Fail(absl::StrCat("member ", id, " applied ", sm.index, " but nobody applied ",
                      applied_hash_.size()));
  }
}

void Checker::AfterStep(uint64_t id, const Raft& r) {
  RecordCommit(id, r);
  if (r.state() == StateType::kLeader) CheckLeader(id, r);
}

void Checker::RecordCommit(uint64_t id, const Raft& r) {
  const RaftLog& log = r.log();
  uint64_t c = log.committed();
  if (c > max_commit_) {
    committed_term_.resize(c + 1, 0);
    for (uint64_t i = max_commit_ + 1; i <= c; ++i) {
      committed_term_[i] = TermAt(log, i).value_or(0);
    }
    commit_growth_.push_back({r.term(), c});
    max_commit_ = c;
  }
  // "No committed entry is lost": the member's committed prefix is the committed log.
  std::optional<uint64_t> t = TermAt(log, c);
  if (t && committed_term_[c] != 0 && *t != committed_term_[c]) {
    Fail(absl::StrCat("member ", id, " has committed entry ", c, " of term ", *t,
                      " but the committed entry there has term ", committed_term_[c]));
  }
}

// §5.2 Election Safety: "at most one leader can be elected in a given term."
// §5.4 Leader Completeness: "If a log entry is committed in a given term, then that entry will
// be present in the logs of the leaders for all higher-numbered terms."
void Checker::CheckLeader(uint64_t id, const Raft& r) {
  auto [it, inserted] = leader_of_term_.try_emplace(r.term(), id);
  if (!inserted && it->second != id) {
    Fail(absl::StrCat("election safety: members ", it->second, " and ", id, " both lead term ",
                      r.term()));
    return;
  }
  // The highest index committed in an earlier term (commit_growth_ is in time order).
  uint64_t need = 0;
  for (auto g = commit_growth_.rbegin(); g != commit_growth_.rend(); ++g) {
    if (g->first < r.term()) {
      need = g->second;
      break;
    }
  }
  const RaftLog& log = r.log();
  if (log.LastIndex() < need) {
    Fail(absl::StrCat("leader completeness: leader ", id, " of term ", r.term(),
                      " lacks committed entry ", need, " (its last index is ", log.LastIndex(),
                      ")"));
    return;
  }
  std::optional<uint64_t> t = TermAt(log, need);
  if (t && committed_term_[need] != 0 && *t != committed_term_[need]) {
    Fail(absl::StrCat("leader completeness: leader ", id, " of term ", r.term(), " has term ", *t,
                      " at committed index ", need, " instead of ", committed_term_[need]));
  }
}

void Checker::OnReadState(uint64_t id, const ReadState& rs) {
  auto it = reads_.find(rs.request_ctx);
  if (it == reads_.end()) {
    Fail(absl::StrCat("member ", id, " got an answer to unknown read '", rs.request_ctx, "'"));
  } else if (rs.index < it->second) {
    Fail(absl::StrCat("linearizability: read '", rs.request_ctx, "' answered at index ", rs.index,
                      " on member ", id, ", but ", it->second, " was committed before it began"));
  }
}

void Checker::CheckLogMatching(const std::vector<std::pair<uint64_t, const Raft*>>& members) {
  for (size_t a = 0; a < members.size(); ++a) {
    for (size_t b = a + 1; b < members.size(); ++b) {
      const RaftLog& x = members[a].second->log();
      const RaftLog& y = members[b].second->log();
      uint64_t lo = std::max(x.FirstIndex(), y.FirstIndex());
      uint64_t hi = std::min(x.LastIndex(), y.LastIndex());
      if (lo > hi) continue;
      // The highest index where the terms agree; everything from lo up to it must be equal.
      uint64_t top = 0;
      for (uint64_t i = hi; i >= lo; --i) {
        if (x.TermOrZero(i) == y.TermOrZero(i)) {
          top = i;
          break;
        }
      }
      if (top == 0) continue;
      absl::StatusOr<std::vector<Entry>> ex = x.Slice(lo, top + 1, UINT64_MAX);
      absl::StatusOr<std::vector<Entry>> ey = y.Slice(lo, top + 1, UINT64_MAX);
      if (!ex.ok() || !ey.ok()) continue;
      for (size_t i = 0; i < ex->size(); ++i) {
        if (!((*ex)[i] == (*ey)[i])) {
          Fail(absl::StrCat("log matching: members ", members[a].first, " and ", members[b].first,
                            " agree at index ", top, " but differ at ", Describe((*ex)[i]), " vs ",
                            Describe((*ey)[i])));
          return;
        }
      }
    }
  }
}

}  // namespace etcdpp::raft::sim
