#include "raft/invariants.h"

#include "absl/strings/str_cat.h"
#include "raft/raft.h"
#include "raft/util.h"

namespace etcdpp::raft {

std::unique_ptr<InvariantChecker> MakeInvariantChecker(const Raft& r) {
#ifdef NDEBUG
  return nullptr;
#else
  auto c = std::make_unique<InvariantChecker>();
  c->Check(r);
  return c;
#endif
}

void InvariantChecker::Check(const Raft& r) {
  std::string who = absl::StrCat("invariant violated on ", r.id(), ": ");
  uint64_t commit = r.log().committed();
  if (initialized_) {
    RAFT_CHECK(r.term() >= term_,
               absl::StrCat(who, "term went back from ", term_, " to ", r.term()));
    RAFT_CHECK(commit >= commit_,
               absl::StrCat(who, "commit went back from ", commit_, " to ", commit));
    if (r.term() == term_) {
      RAFT_CHECK(vote_ == 0 || r.vote() == vote_,
                 absl::StrCat(who, "two votes in term ", term_, ": ", vote_, " and ", r.vote()));
      RAFT_CHECK(lead_ == 0 || r.lead() == 0 || r.lead() == lead_,
                 absl::StrCat(who, "two leaders in term ", term_, ": ", lead_, " and ", r.lead()));
    }
  }
  RAFT_CHECK(commit <= r.log().LastIndex(),
             absl::StrCat(who, "commit ", commit, " beyond last index ", r.log().LastIndex()));
  RAFT_CHECK(r.log().applied() <= commit,
             absl::StrCat(who, "applied ", r.log().applied(), " beyond commit ", commit));
  if (!initialized_ || r.term() != term_) {
    lead_ = 0;
    vote_ = 0;
  }
  initialized_ = true;
  term_ = r.term();
  commit_ = commit;
  if (r.vote() != 0) vote_ = r.vote();
  if (r.lead() != 0) lead_ = r.lead();
}

}  // namespace etcdpp::raft
