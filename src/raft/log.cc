#include "raft/log.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "raft/util.h"

namespace etcdpp::raft {

absl::StatusOr<std::unique_ptr<RaftLog>> RaftLog::Open(Storage* storage,
                                                       uint64_t max_next_ents_size) {
  if (storage == nullptr) return absl::InvalidArgumentError("raft: storage must not be nil");
  std::unique_ptr<RaftLog> log(new RaftLog(storage, max_next_ents_size));
  ASSIGN_OR_RETURN(uint64_t first, storage->FirstIndex());
  ASSIGN_OR_RETURN(uint64_t last, storage->LastIndex());
  log->unstable_.set_offset(last + 1);
  log->committed_ = first - 1;
  log->applied_ = first - 1;
  return log;
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                             const std::vector<Entry>& ents) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  uint64_t last_new = index + ents.size();
  uint64_t ci = FindConflict(ents);
  if (ci != 0) {
    RAFT_CHECK(ci > committed_,
               absl::StrCat("entry ", ci, " conflicts with committed entry [committed(", committed_,
                            ")]"));
    std::vector<Entry> tail(ents.begin() + (ci - index - 1), ents.end());
    Append(tail);
  }
  CommitTo(std::min(committed, last_new));
  return last_new;
}

uint64_t RaftLog::Append(const std::vector<Entry>& ents) {
  if (ents.empty()) return LastIndex();
  uint64_t after = ents.front().index - 1;
  RAFT_CHECK(after >= committed_,
             absl::StrCat("after(", after, ") is out of range [committed(", committed_, ")]"));
  unstable_.TruncateAndAppend(ents);
  return LastIndex();
}

uint64_t RaftLog::FindConflict(const std::vector<Entry>& ents) const {
  for (const Entry& e : ents) {
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return 0;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  for (; index > 0; --index) {
    absl::StatusOr<uint64_t> t = Term(index);
    if (!t.ok()) return {index, 0};  // compacted: the probe will trigger a snapshot
    if (*t <= term) return {index, *t};
  }
  return {0, 0};
}

std::vector<Entry> RaftLog::NextEnts() const {
  uint64_t off = std::max(applied_ + 1, FirstIndex());
  if (committed_ + 1 <= off) return {};
  absl::StatusOr<std::vector<Entry>> ents = Slice(off, committed_ + 1, max_next_ents_size_);
  RAFT_CHECK(ents.ok(), absl::StrCat("unexpected error when getting unapplied entries: ",
                                     ents.status().ToString()));
  return *std::move(ents);
}

bool RaftLog::HasNextEnts() const { return committed_ + 1 > std::max(applied_ + 1, FirstIndex()); }

absl::StatusOr<Snapshot> RaftLog::GetSnapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_->GetSnapshot();
}

uint64_t RaftLog::FirstIndex() const {
  if (std::optional<uint64_t> i = unstable_.MaybeFirstIndex()) return *i;
  absl::StatusOr<uint64_t> i = storage_->FirstIndex();
  RAFT_CHECK(i.ok(), i.status().ToString());
  return *i;
}

uint64_t RaftLog::LastIndex() const {
  if (std::optional<uint64_t> i = unstable_.MaybeLastIndex()) return *i;
  absl::StatusOr<uint64_t> i = storage_->LastIndex();
  RAFT_CHECK(i.ok(), i.status().ToString());
  return *i;
}

uint64_t RaftLog::LastTerm() const {
  absl::StatusOr<uint64_t> t = Term(LastIndex());
  RAFT_CHECK(t.ok(),
             absl::StrCat("unexpected error when getting the last term: ", t.status().ToString()));
  return *t;
}

absl::StatusOr<uint64_t> RaftLog::Term(uint64_t i) const {
  uint64_t dummy = FirstIndex() - 1;
  if (i < dummy || i > LastIndex()) return 0;
  if (std::optional<uint64_t> t = unstable_.MaybeTerm(i)) return *t;
  absl::StatusOr<uint64_t> t = storage_->Term(i);
  if (t.ok() || IsCompacted(t.status()) || raft::IsUnavailable(t.status())) return t;
  Fatal(t.status().ToString());
}

uint64_t RaftLog::TermOrZero(uint64_t i) const {
  absl::StatusOr<uint64_t> t = Term(i);
  return t.ok() ? *t : 0;
}

bool RaftLog::MatchTerm(uint64_t i, uint64_t term) const {
  absl::StatusOr<uint64_t> t = Term(i);
  return t.ok() && *t == term;
}

absl::StatusOr<std::vector<Entry>> RaftLog::EntriesFrom(uint64_t i, uint64_t max_size) const {
  if (i > LastIndex()) return std::vector<Entry>{};
  return Slice(i, LastIndex() + 1, max_size);
}

absl::StatusOr<std::vector<Entry>> RaftLog::Slice(uint64_t lo, uint64_t hi,
                                                  uint64_t max_size) const {
  RETURN_NOT_OK(MustCheckOutOfBounds(lo, hi));
  std::vector<Entry> ents;
  if (lo == hi) return ents;
  uint64_t off = unstable_.offset();
  if (lo < off) {
    absl::StatusOr<std::vector<Entry>> stored = storage_->Entries(lo, std::min(hi, off), max_size);
    if (!stored.ok()) {
      if (IsCompacted(stored.status())) return stored.status();
      Fatal(absl::StrCat("entries[", lo, ":", std::min(hi, off),
                         ") is unavailable from storage: ", stored.status().ToString()));
    }
    ents = *std::move(stored);
    // Storage limited the size: do not add unstable entries.
    if (ents.size() < std::min(hi, off) - lo) return ents;
  }
  if (hi > off) {
    std::vector<Entry> tail = unstable_.Slice(std::max(lo, off), hi);
    ents.insert(ents.end(), tail.begin(), tail.end());
  }
  LimitSize(&ents, max_size);
  return ents;
}

std::vector<Entry> RaftLog::AllEntries() const {
  absl::StatusOr<std::vector<Entry>> ents =
      EntriesFrom(FirstIndex(), std::numeric_limits<uint64_t>::max());
  if (ents.ok()) return *std::move(ents);
  if (IsCompacted(ents.status())) return AllEntries();  // racing compaction: retry
  Fatal(ents.status().ToString());
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t term) const {
  uint64_t our_term = LastTerm();
  return term > our_term || (term == our_term && last_index >= LastIndex());
}

void RaftLog::CommitTo(uint64_t to_commit) {
  if (committed_ >= to_commit) return;  // never decrease
  RAFT_CHECK(LastIndex() >= to_commit,
             absl::StrCat("tocommit(", to_commit, ") is out of range [lastIndex(", LastIndex(),
                          ")]. Was the raft log corrupted, truncated, or lost?"));
  committed_ = to_commit;
}

bool RaftLog::MaybeCommit(uint64_t max_index, uint64_t term) {
  if (max_index > committed_ && TermOrZero(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t i) {
  if (i == 0) return;
  RAFT_CHECK(committed_ >= i && i >= applied_,
             absl::StrCat("applied(", i, ") is out of range [prevApplied(", applied_,
                          "), committed(", committed_, ")]"));
  applied_ = i;
}

void RaftLog::Restore(const Snapshot& snap) {
  committed_ = snap.metadata.index;
  unstable_.Restore(snap);
}

absl::Status RaftLog::MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  RAFT_CHECK(lo <= hi, absl::StrCat("invalid slice ", lo, " > ", hi));
  uint64_t fi = FirstIndex();
  if (lo < fi) return CompactedError();
  uint64_t length = LastIndex() + 1 - fi;
  RAFT_CHECK(hi <= fi + length,
             absl::StrCat("slice[", lo, ",", hi, ") out of bound [", fi, ",", LastIndex(), "]"));
  return absl::OkStatus();
}

}  // namespace etcdpp::raft
