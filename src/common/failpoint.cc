#include "common/failpoint.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/mutex.h"
#include "common/status.h"

namespace etcdpp::failpoint {
namespace {

struct Info {
  absl::string_view name;
  bool can_return;
};
constexpr Info kInfo[] = {
#define ETCDPP_FAILPOINT_INFO(name, can_return) {#name, can_return},
    ETCDPP_FAILPOINT_LIST(ETCDPP_FAILPOINT_INFO)
#undef ETCDPP_FAILPOINT_INFO
};
constexpr size_t kCount = sizeof(kInfo) / sizeof(kInfo[0]);

absl::string_view NameOf(Id id) { return kInfo[static_cast<size_t>(id)].name; }

absl::Status Invalid(absl::string_view entry, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("GOFAIL_FAILPOINTS: \"", entry, "\": ", why));
}

// "N*" or "P%" in front of the action, if any; `rest` moves past it.
absl::Status ParseMode(absl::string_view entry, absl::string_view* rest, Term* t) {
  size_t i = 0;
  while (i < rest->size() && (absl::ascii_isdigit((*rest)[i]) || (*rest)[i] == '.')) ++i;
  if (i == 0 || i == rest->size() || ((*rest)[i] != '*' && (*rest)[i] != '%')) {
    return absl::OkStatus();
  }
  const absl::string_view num = rest->substr(0, i);
  if ((*rest)[i] == '*') {
    if (!absl::SimpleAtoi(num, &t->count) || t->count <= 0) {
      return Invalid(entry, absl::StrCat("bad count \"", num, "\""));
    }
  } else if (!absl::SimpleAtod(num, &t->percent) || t->percent < 0 || t->percent > 100) {
    return Invalid(entry, absl::StrCat("bad percentage \"", num, "\""));
  }
  rest->remove_prefix(i + 1);
  return absl::OkStatus();
}

// sleep's value: milliseconds, or a Go duration ("1.5s"), quoted or not.
absl::Status ParseSleep(absl::string_view entry, Term* t) {
  int64_t ms = 0;
  if (absl::SimpleAtoi(t->value, &ms) && ms >= 0) {
    t->sleep = absl::Milliseconds(ms);
    return absl::OkStatus();
  }
  if (absl::ParseDuration(t->value, &t->sleep) && t->sleep >= absl::ZeroDuration()) {
    return absl::OkStatus();
  }
  return Invalid(entry,
                 absl::StrCat("sleep needs milliseconds or a duration, not \"", t->value, "\""));
}

absl::Status ParseAction(absl::string_view entry, absl::string_view action, Term* t) {
  using A = Term::Action;
  if (action == "off") {
    t->action = A::kOff;
  } else if (action == "panic") {
    t->action = A::kPanic;
  } else if (action == "print") {
    t->action = A::kPrint;
  } else if (action == "return") {
    t->action = A::kReturn;
  } else if (action == "sleep") {
    t->action = A::kSleep;
    return ParseSleep(entry, t);
  } else if (action == "break" || action == "pause") {
    return Invalid(entry, absl::StrCat("gofail's ", action, " is not supported by etcdpp"));
  } else {
    return Invalid(entry, absl::StrCat("unknown action \"", action, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<Term> ParseTerm(absl::string_view entry, absl::string_view text) {
  Term t;
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  RETURN_NOT_OK(ParseMode(entry, &rest, &t));
  absl::string_view action = rest;
  if (size_t open = rest.find('('); open != absl::string_view::npos) {
    if (rest.back() != ')') return Invalid(entry, "a value must end with \")\"");
    action = rest.substr(0, open);
    absl::string_view value = rest.substr(open + 1, rest.size() - open - 2);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    t.value = std::string(value);
  }
  RETURN_NOT_OK(ParseAction(entry, action, &t));
  return t;
}

absl::StatusOr<Id> Lookup(absl::string_view entry, absl::string_view name) {
  // gofail once keyed failpoints by package path ("go.etcd.io/etcd/etcdserver/raftBeforeSave").
  if (size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
    name = name.substr(slash + 1);
  }
  for (size_t i = 0; i < kCount; ++i) {
    if (kInfo[i].name == name) return static_cast<Id>(i);
  }
  return Invalid(entry, absl::StrCat("unknown failpoint \"", name, "\""));
}

absl::StatusOr<Entry> ParseEntry(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(text, absl::MaxSplits('=', 1));
  if (kv.second.empty()) return Invalid(text, "want name=terms");
  Entry e;
  ASSIGN_OR_RETURN(e.id, Lookup(text, absl::StripAsciiWhitespace(kv.first)));
  for (absl::string_view term : absl::StrSplit(kv.second, "->")) {
    ASSIGN_OR_RETURN(Term t, ParseTerm(text, term));
    if (t.action == Term::Action::kReturn && !CanReturn(e.id)) {
      return Invalid(text, absl::StrCat("failpoint ", NameOf(e.id),
                                        " cannot return: its site has no error to return"));
    }
    e.terms.push_back(std::move(t));
  }
  return e;
}

// Process-wide armed failpoints. A site reads only its atomic flag unless armed.
class Registry {
 public:
  static Registry& Get() {
    static Registry* r = new Registry();  // never destroyed: sites may run during exit
    return *r;
  }

  void Set(std::vector<Entry> entries) {
    MutexLock l(&mu_);
    for (size_t i = 0; i < kCount; ++i) {
      terms_[i].clear();
      armed_[i].store(false);
    }
    for (Entry& e : entries) {
      const size_t i = static_cast<size_t>(e.id);
      terms_[i] = std::move(e.terms);
      armed_[i].store(true);
    }
  }

  // The term to run now, if any (a copy: it runs outside the lock).
  bool Pick(Id id, Term* out) {
    const size_t i = static_cast<size_t>(id);
    if (!armed_[i].load(std::memory_order_relaxed)) return false;
    MutexLock l(&mu_);
    for (Term& t : terms_[i]) {
      if (t.count == 0) continue;
      if (t.percent >= 0 && std::uniform_real_distribution<double>(0, 100)(rng_) >= t.percent) {
        continue;
      }
      if (t.count > 0) --t.count;
      *out = t;
      return true;
    }
    return false;
  }

 private:
  Registry() : rng_(std::random_device{}()) {}

  std::array<std::atomic<bool>, kCount> armed_{};
  Mutex mu_;
  std::array<std::vector<Term>, kCount> terms_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

void WriteStderr(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Runs `t`; the error of a return term, else OK.
absl::Status Run(Id id, const Term& t) {
  switch (t.action) {
    case Term::Action::kOff:
      return absl::OkStatus();
    case Term::Action::kSleep:
      absl::SleepFor(t.sleep);
      return absl::OkStatus();
    case Term::Action::kPrint:
      WriteStderr(absl::StrCat("failpoint print: ", NameOf(id), " ", t.value, "\n"));
      return absl::OkStatus();
    case Term::Action::kReturn:
      return absl::InternalError(absl::StrCat("failpoint ", NameOf(id), ": return(", t.value, ")"));
    case Term::Action::kPanic:
      WriteStderr(absl::StrCat("failpoint panic: ", NameOf(id),
                               t.value.empty() ? "" : absl::StrCat(": ", t.value), "\n"));
      ::_exit(2);
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<absl::string_view>& Names() {
  static const auto* names = [] {
    auto* v = new std::vector<absl::string_view>();
    for (const Info& i : kInfo) v->push_back(i.name);
    return v;
  }();
  return *names;
}

bool CanReturn(Id id) { return kInfo[static_cast<size_t>(id)].can_return; }

absl::StatusOr<std::vector<Entry>> Parse(absl::string_view spec) {
  std::vector<Entry> out;
  for (absl::string_view text : absl::StrSplit(spec, ';', absl::SkipWhitespace())) {
    ASSIGN_OR_RETURN(Entry e, ParseEntry(absl::StripAsciiWhitespace(text)));
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status Arm(absl::string_view spec) {
  ASSIGN_OR_RETURN(std::vector<Entry> entries, Parse(spec));
  if (!kBuiltIn && !entries.empty()) {
    return absl::FailedPreconditionError(
        "GOFAIL_FAILPOINTS is set, but this etcdpp was built without failpoints (build with "
        "-DETCDPP_FAILPOINTS=ON or -DETCDPP_TEST_HOOKS=ON)");
  }
  Registry::Get().Set(std::move(entries));
  return absl::OkStatus();
}

absl::Status ArmFromEnvironment(const std::vector<std::string>& env) {
  for (const std::string& e : env) {
    if (absl::StartsWith(e, "GOFAIL_HTTP=")) {
      return absl::InvalidArgumentError(
          "GOFAIL_HTTP is not supported: etcdpp arms failpoints only from GOFAIL_FAILPOINTS, at "
          "start-up");
    }
  }
  for (const std::string& e : env) {
    absl::string_view v = e;
    if (absl::ConsumePrefix(&v, "GOFAIL_FAILPOINTS=")) return Arm(v);
  }
  return absl::OkStatus();
}

void DisarmAllForTest() { Registry::Get().Set({}); }

absl::Status Evaluate(Id id) {
  Term t;
  if (!Registry::Get().Pick(id, &t)) return absl::OkStatus();
  return Run(id, t);
}

void Hit(Id id) {
  // Arm refuses return(...) for the sites that call this.
  (void)Evaluate(id);
}

}  // namespace etcdpp::failpoint
