#include "robustness/checker.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace etcdpp::robustness {
namespace {

// Caps how many violations of one kind are reported in detail (the count stays exact).
constexpr int kDetailsPerKind = 10;

class Reporter {
 public:
  explicit Reporter(Report* r) : r_(r) {}
  void Add(const std::string& kind, std::string detail) {
    if (++counts_[kind] <= kDetailsPerKind) {
      r_->violations.push_back({kind, std::move(detail)});
    } else {
      r_->violations.push_back({kind, ""});
    }
  }

 private:
  Report* r_;
  std::map<std::string, int> counts_;
};

std::string Show(const std::optional<std::string>& v) {
  return v ? absl::StrCat("\"", *v, "\"") : std::string("(absent)");
}

std::string Show(const Event& e) {
  return absl::StrCat("rev ", e.revision, " ", e.is_delete ? "DELETE " : "PUT ", e.key,
                      e.is_delete ? "" : absl::StrCat("=", e.value));
}

// ---- watches -------------------------------------------------------------------------------

// Merges every watcher's events into one event per revision, checking each log's order and
// completeness and that all logs agree.
std::map<int64_t, Event> MergeWatches(const History& h, Reporter& rep) {
  std::map<int64_t, Event> merged;
  for (const WatchLog& w : h.watches) {
    int64_t prev = 0;
    for (const Event& e : w.events) {
      if (e.revision <= prev) {
        rep.Add("watch-order", absl::StrCat("watcher ", w.watcher, " received ", Show(e),
                                            " after revision ", prev));
      } else if (e.revision != prev + 1 && !(prev == 0 && e.revision == 2)) {
        // Revision 1 is the empty store's: the first event of a run is revision 2.
        rep.Add("watch-gap", absl::StrCat("watcher ", w.watcher, " jumped from revision ", prev,
                                          " to ", e.revision));
      }
      prev = std::max(prev, e.revision);
      auto [it, inserted] = merged.emplace(e.revision, e);
      if (!inserted && !(it->second == e)) {
        rep.Add("watch-mismatch", absl::StrCat("watcher ", w.watcher, " received ", Show(e),
                                               " where another received ", Show(it->second)));
      }
    }
  }
  return merged;
}

// ---- per-key linearizability (Wing-Gong-Lowe search) ------------------------------------------

struct KeyOp {
  const Op* op;
  Nanos invoke;
  Nanos ret;
  bool required;  // must be linearized (answered, or an unanswered write the events show)
  int64_t order;  // preferred position: its revision, when known
};

using Value = std::optional<std::string>;

// Applies `o` to `state`; false if the answer it gave is impossible from `state`.
bool Step(const KeyOp& o, const Value& state, Value* next) {
  const Op& op = *o.op;
  *next = state;
  const bool answered = op.outcome == Outcome::kOk;
  switch (op.kind) {
    case OpKind::kPut:
      *next = op.value;
      return true;
    case OpKind::kDelete:
      if (answered && (op.deleted > 0) != state.has_value()) return false;
      next->reset();
      return true;
    case OpKind::kGet:
      return state == op.read_value;
    case OpKind::kCas: {
      const bool holds = state == op.expect;
      if (!answered) {  // an unanswered txn the events show wrote its value
        if (!holds) return false;
        *next = op.value;
        return true;
      }
      if (op.succeeded != holds) return false;
      if (holds) {
        *next = op.value;
        return true;
      }
      return state == op.read_value;
    }
  }
  return false;
}

enum class Verdict { kLinearizable, kViolation, kInconclusive };

class KeySearch {
 public:
  KeySearch(std::vector<KeyOp> ops, int64_t budget) : ops_(std::move(ops)), budget_(budget) {
    std::sort(ops_.begin(), ops_.end(),
              [](const KeyOp& a, const KeyOp& b) { return a.invoke < b.invoke; });
    done_.assign(ops_.size(), false);
    for (const KeyOp& o : ops_) required_left_ += o.required ? 1 : 0;
  }

  Verdict Run() {
    const bool ok = Search(Value());
    if (ok) return Verdict::kLinearizable;
    return exhausted_ ? Verdict::kInconclusive : Verdict::kViolation;
  }

  // The op the search could not get past (for the report): the earliest required op left.
  const Op* Stuck() const { return stuck_; }

 private:
  bool Search(const Value& state) {
    if (required_left_ == 0) return true;
    if (--budget_ < 0) {
      exhausted_ = true;
      return false;
    }
    // Candidates: the ops not done yet that no other op not done yet must precede, i.e. those
    // invoked before the earliest return among the ops left.
    while (first_ < ops_.size() && done_[first_]) ++first_;
    std::vector<size_t> candidates;
    Nanos min_ret = kNever;
    for (size_t i = first_; i < ops_.size() && ops_[i].invoke <= min_ret; ++i) {
      if (done_[i]) continue;
      candidates.push_back(i);
      if (ops_[i].required) min_ret = std::min(min_ret, ops_[i].ret);
    }
    std::erase_if(candidates, [&](size_t i) { return ops_[i].invoke > min_ret; });
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](size_t a, size_t b) { return ops_[a].order < ops_[b].order; });
    const size_t first_before = first_;
    for (size_t i : candidates) {
      Value next;
      if (!Step(ops_[i], state, &next)) continue;
      done_[i] = true;
      if (ops_[i].required) --required_left_;
      if (seen_.insert(MemoKey(next)).second && Search(next)) return true;
      done_[i] = false;
      if (ops_[i].required) ++required_left_;
      first_ = first_before;
      if (exhausted_) return false;
    }
    if (!stuck_ || (!candidates.empty() && ops_[candidates.front()].invoke > stuck_invoke_)) {
      for (size_t i : candidates) {
        if (ops_[i].required) {
          stuck_ = ops_[i].op;
          stuck_invoke_ = ops_[i].invoke;
          break;
        }
      }
    }
    return false;
  }

  std::string MemoKey(const Value& v) const {
    std::string k;
    k.reserve(ops_.size() / 8 + 2 + (v ? v->size() : 0));
    uint8_t byte = 0;
    for (size_t i = 0; i < done_.size(); ++i) {
      if (done_[i]) byte |= static_cast<uint8_t>(1u << (i % 8));
      if (i % 8 == 7) {
        k.push_back(static_cast<char>(byte));
        byte = 0;
      }
    }
    k.push_back(static_cast<char>(byte));
    if (v) {
      k.push_back('=');
      k.append(*v);
    } else {
      k.push_back('-');
    }
    return k;
  }

  std::vector<KeyOp> ops_;
  std::vector<bool> done_;
  size_t first_ = 0;
  int required_left_ = 0;
  int64_t budget_;
  bool exhausted_ = false;
  std::unordered_set<std::string> seen_;
  const Op* stuck_ = nullptr;
  Nanos stuck_invoke_ = 0;
};

std::string ShowOp(const Op& op) {
  std::string s = absl::StrCat("client ", op.client, " ");
  switch (op.kind) {
    case OpKind::kPut:
      absl::StrAppend(&s, "put ", op.key, "=", op.value);
      break;
    case OpKind::kDelete:
      absl::StrAppend(&s, "delete ", op.key);
      break;
    case OpKind::kGet:
      absl::StrAppend(&s, "get ", op.key, " -> ", Show(op.read_value));
      break;
    case OpKind::kCas:
      absl::StrAppend(
          &s, "txn if ", op.key, "==", Show(op.expect), " then put ", op.value,
          op.outcome == Outcome::kOk ? (op.succeeded ? " -> succeeded" : " -> failed") : "");
      break;
  }
  if (op.outcome == Outcome::kOk) absl::StrAppend(&s, " @rev ", op.revision);
  if (op.outcome == Outcome::kUnknown) absl::StrAppend(&s, " (no answer)");
  return s;
}

bool Writes(const Op& op) { return op.kind != OpKind::kGet; }

}  // namespace

int Report::Count(const std::string& kind) const {
  return static_cast<int>(std::count_if(violations.begin(), violations.end(),
                                        [&](const Violation& v) { return v.kind == kind; }));
}

std::string Report::Summary() const {
  std::map<std::string, int> by_kind;
  for (const Violation& v : violations) ++by_kind[v.kind];
  std::string s = absl::StrCat(keys, " keys (", keys_inconclusive, " inconclusive), ", events,
                               " events to revision ", max_revision,
                               ", unanswered writes: ", unknown_writes_applied, " took effect, ",
                               unknown_writes_dropped, " did not; violations: ", violations.size());
  for (const auto& [kind, n] : by_kind) absl::StrAppend(&s, " ", kind, "=", n);
  return s;
}

Report Check(const History& h, const CheckOptions& options) {
  Report report;
  Reporter rep(&report);
  const std::map<int64_t, Event> events = MergeWatches(h, rep);
  report.events = static_cast<int64_t>(events.size());
  report.max_revision = events.empty() ? 0 : events.rbegin()->first;

  // The revision at which each (key, value) was written: values are unique in a run.
  std::unordered_map<std::string, int64_t> written_at;
  for (const auto& [rev, e] : events) {
    if (!e.is_delete) written_at.emplace(absl::StrCat(e.key, "\n", e.value), rev);
  }

  // Acknowledged writes are in the events at their revision.
  for (const Op& op : h.ops) {
    if (op.outcome != Outcome::kOk || !Writes(op)) continue;
    std::optional<Event> want;
    if (op.kind == OpKind::kPut || (op.kind == OpKind::kCas && op.succeeded)) {
      want = Event{op.revision, false, op.key, op.value};
    } else if (op.kind == OpKind::kDelete && op.deleted > 0) {
      want = Event{op.revision, true, op.key, ""};
    }
    if (!want) continue;
    auto it = events.find(op.revision);
    if (it == events.end() || !(it->second == *want)) {
      rep.Add("lost-write",
              absl::StrCat(ShowOp(op), ": the events have ",
                           it == events.end() ? std::string("nothing") : Show(it->second),
                           " at that revision"));
    }
  }

  // Revisions never go back in real time: an op invoked after another returned answers a
  // revision at least as new.
  {
    std::vector<const Op*> answered;
    for (const Op& op : h.ops) {
      if (op.outcome == Outcome::kOk) answered.push_back(&op);
    }
    std::vector<const Op*> by_ret = answered;
    std::sort(by_ret.begin(), by_ret.end(),
              [](const Op* a, const Op* b) { return a->ret < b->ret; });
    std::sort(answered.begin(), answered.end(),
              [](const Op* a, const Op* b) { return a->invoke < b->invoke; });
    size_t j = 0;
    const Op* newest = nullptr;
    for (const Op* b : answered) {
      while (j < by_ret.size() && by_ret[j]->ret < b->invoke) {
        if (!newest || by_ret[j]->revision > newest->revision) newest = by_ret[j];
        ++j;
      }
      if (newest && b->revision < newest->revision) {
        rep.Add("revision-regression",
                absl::StrCat(ShowOp(*b), " was invoked after ", ShowOp(*newest), " returned"));
      }
    }
  }

  // Reads answer the state the events give at their revision.
  {
    std::map<std::string, std::vector<const Event*>> by_key;
    for (const auto& [rev, e] : events) by_key[e.key].push_back(&e);
    for (const Op& op : h.ops) {
      const bool reads = op.kind == OpKind::kGet || (op.kind == OpKind::kCas && !op.succeeded);
      if (op.outcome != Outcome::kOk || !reads) continue;
      if (op.revision > report.max_revision) continue;  // watch-gap is reported for this
      Value want;
      int64_t want_mod = 0;
      auto it = by_key.find(op.key);
      if (it != by_key.end()) {
        for (const Event* e : it->second) {
          if (e->revision > op.revision) break;
          want = e->is_delete ? Value() : Value(e->value);
          want_mod = e->is_delete ? 0 : e->revision;
        }
      }
      if (want != op.read_value || (op.read_value && want_mod != op.read_mod_revision)) {
        rep.Add("stale-read",
                absl::StrCat(ShowOp(op), " (mod rev ", op.read_mod_revision, "): the events give ",
                             Show(want), " (mod rev ", want_mod, ")"));
      }
    }
  }

  // Per key: resolve unanswered writes with the events, then search for a linearization.
  std::map<std::string, std::vector<KeyOp>> per_key;
  for (const Op& op : h.ops) {
    KeyOp k{&op, op.invoke, op.ret, true, INT64_MAX};
    if (op.outcome == Outcome::kFailed) continue;
    if (op.outcome == Outcome::kOk) {
      k.order = op.revision;
    } else if (op.kind == OpKind::kGet) {
      continue;  // a read with no answer says nothing
    } else if (op.kind == OpKind::kDelete) {
      k.required = false;  // may or may not have happened
      k.ret = kNever;
    } else {
      auto it = written_at.find(absl::StrCat(op.key, "\n", op.value));
      if (it == written_at.end()) {
        ++report.unknown_writes_dropped;
        continue;
      }
      ++report.unknown_writes_applied;
      k.ret = kNever;
      k.order = it->second;
    }
    per_key[op.key].push_back(k);
  }
  for (auto& [key, ops] : per_key) {
    ++report.keys;
    KeySearch search(std::move(ops), options.steps_per_key);
    switch (search.Run()) {
      case Verdict::kLinearizable:
        break;
      case Verdict::kInconclusive:
        ++report.keys_inconclusive;
        break;
      case Verdict::kViolation:
        rep.Add("linearizability",
                absl::StrCat("key ", key, ": no linearization gets past ",
                             search.Stuck() ? ShowOp(*search.Stuck()) : std::string("the start")));
        break;
    }
  }

  // Leases live at least their TTL after each answered keep-alive was sent.
  {
    std::map<int64_t, Nanos> first_received;  // revision -> when the first watcher got it
    for (const WatchLog& w : h.watches) {
      for (size_t i = 0; i < w.events.size() && i < w.received.size(); ++i) {
        auto [it, inserted] = first_received.emplace(w.events[i].revision, w.received[i]);
        if (!inserted) it->second = std::min(it->second, w.received[i]);
      }
    }
    for (const LeaseLog& l : h.leases) {
      if (l.refreshed.empty()) continue;
      const Nanos alive_until =
          *std::max_element(l.refreshed.begin(), l.refreshed.end()) + l.ttl_seconds * 1'000'000'000;
      bool put_seen = false;
      for (const auto& [rev, e] : events) {
        if (e.key != l.key) continue;
        if (!e.is_delete) {
          put_seen = true;
          continue;
        }
        if (!put_seen) continue;
        auto it = first_received.find(rev);
        if (it != first_received.end() && it->second < alive_until) {
          rep.Add("lease-early",
                  absl::StrCat("lease ", l.id, " (TTL ", l.ttl_seconds, " s): its key ", l.key,
                               " was deleted at revision ", rev, ", received ",
                               (alive_until - it->second) / 1'000'000,
                               " ms before the TTL since its last keep-alive had passed"));
        }
        break;
      }
    }
  }
  return report;
}

}  // namespace etcdpp::robustness
