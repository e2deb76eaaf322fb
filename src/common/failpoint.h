#pragma once
// Named failpoints, as etcd's gofail ones (docs/design/failpoints.md): a place in the server
// where a test can make the process panic, sleep, print, or make the enclosing function fail.
//
//   ETCDPP_FAILPOINT(raftBeforeLeaderSend);          // a site that cannot fail its function
//   ETCDPP_FAILPOINT_OR_RETURN(walBeforeSync);       // return(...) makes it return an error
//
// The name is an identifier of ETCDPP_FAILPOINT_LIST, checked by the compiler in every build.
// A release build compiles both macros to nothing. A failpoint build (-DETCDPP_FAILPOINTS=ON,
// or -DETCDPP_TEST_HOOKS=ON as scripts/test.sh builds) evaluates them; they are armed once, at
// start-up, from the environment in gofail's syntax:
//
//   GOFAIL_FAILPOINTS='raftBeforeSave=panic;walAfterSync=2*sleep(100)->1*panic'
//
//   entries  = entry { ";" entry }            entry = name "=" terms   (a "pkg/path/" before
//   terms    = term { "->" term }                                        the name is ignored)
//   term     = [ int "*" | float "%" ] action [ "(" [ value ] ")" ]
//   action   = "off" | "panic" | "sleep" | "print" | "return"
//   value    = int | "\"" text "\"" | bare text
//
// Each evaluation runs the first term of the chain that is still allowed: "N*" terms run N
// times, "P%" terms with probability P/100, plain terms always. panic writes "failpoint panic:
// <name>" to stderr and exits at once with status 2 (as a Go panic: no destructor, no flush,
// nothing synced that was not), sleep(N) sleeps N ms (or a Go duration: sleep("1.5s"), sleep(1s)),
// print writes a line to stderr, off does nothing, and return(v) makes an
// ETCDPP_FAILPOINT_OR_RETURN site return absl::InternalError("failpoint <name>: return(v)").
// Unknown names, unknown actions, return at a site that cannot fail, gofail's break and pause,
// and GOFAIL_HTTP are refused at start-up, by name.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etcdpp_failpoint_build.h"  // generated: ETCDPP_FAILPOINTS_BUILT (src/common/CMakeLists.txt)

namespace etcdpp::failpoint {

// X(name, can_return): every failpoint, with etcd's name; can_return: its site is an
// ETCDPP_FAILPOINT_OR_RETURN. Where each sits: docs/design/failpoints.md.
#define ETCDPP_FAILPOINT_LIST(X)               \
  X(raftBeforeLeaderSend, false)               \
  X(raftBeforeSaveSnap, true)                  \
  X(raftAfterSaveSnap, true)                   \
  X(raftBeforeSave, true)                      \
  X(raftAfterSave, true)                       \
  X(raftBeforeApplySnap, true)                 \
  X(raftAfterApplySnap, true)                  \
  X(raftBeforeFollowerSend, false)             \
  X(raftBeforeAdvance, false)                  \
  X(raftAfterWALRelease, false)                \
  X(walBeforeSync, true)                       \
  X(walAfterSync, true)                        \
  X(beforeCommit, false)                       \
  X(afterCommit, false)                        \
  X(beforeStartDBTxn, false)                   \
  X(afterStartDBTxn, false)                    \
  X(beforeApplyOneEntryNormal, false)          \
  X(beforeApplyOneConfChange, false)           \
  X(applyBeforeOpenSnapshot, false)            \
  X(applyAfterOpenSnapshot, false)             \
  X(compactBeforeCommitScheduledCompact, true) \
  X(compactAfterCommitScheduledCompact, true)  \
  X(compactBeforeCommitBatch, false)           \
  X(compactAfterCommitBatch, false)            \
  X(compactBeforeSetFinishedCompact, false)    \
  X(compactAfterSetFinishedCompact, false)     \
  X(defragBeforeCopy, true)                    \
  X(defragBeforeRename, true)                  \
  X(beforeSendWatchResponse, false)

enum class Id {
#define ETCDPP_FAILPOINT_ENUM(name, can_return) name,
  ETCDPP_FAILPOINT_LIST(ETCDPP_FAILPOINT_ENUM)
#undef ETCDPP_FAILPOINT_ENUM
};

// True in a failpoint build.
inline constexpr bool kBuiltIn = ETCDPP_FAILPOINTS_BUILT != 0;

// Every failpoint's name, in ETCDPP_FAILPOINT_LIST order (Id's values index it).
const std::vector<absl::string_view>& Names();
bool CanReturn(Id id);

// One term of a chain, as parsed.
struct Term {
  enum class Action { kOff, kPanic, kSleep, kPrint, kReturn };
  Action action = Action::kOff;
  int64_t count = -1;    // "N*": runs N times; -1: no count
  double percent = -1;   // "P%": runs with probability P/100; -1: always
  absl::Duration sleep;  // kSleep
  std::string value;     // the text between the parentheses, quotes removed
};
struct Entry {
  Id id;
  std::vector<Term> terms;
};

// Parses a GOFAIL_FAILPOINTS value. Errors name the entry and what is wrong with it.
[[nodiscard]] absl::StatusOr<std::vector<Entry>> Parse(absl::string_view spec);

// Arms the failpoints of `spec` (replacing any armed before). In a release build any
// non-empty spec is refused: nothing could honour it.
[[nodiscard]] absl::Status Arm(absl::string_view spec);

// Reads GOFAIL_FAILPOINTS (and refuses GOFAIL_HTTP) from `env` ("NAME=VALUE" entries); called
// once by main() before any thread starts.
[[nodiscard]] absl::Status ArmFromEnvironment(const std::vector<std::string>& env);

void DisarmAllForTest();

// The failpoint sites; use the macros. Evaluate returns the error of a return(...) term (only
// a can_return failpoint can be armed so) and never returns after a panic.
[[nodiscard]] absl::Status Evaluate(Id id);
void Hit(Id id);

}  // namespace etcdpp::failpoint

#if ETCDPP_FAILPOINTS_BUILT
#define ETCDPP_FAILPOINT(name) ::etcdpp::failpoint::Hit(::etcdpp::failpoint::Id::name)
#define ETCDPP_FAILPOINT_OR_RETURN(name)                                                       \
  do {                                                                                         \
    if (absl::Status fp_status = ::etcdpp::failpoint::Evaluate(::etcdpp::failpoint::Id::name); \
        !fp_status.ok())                                                                       \
      return fp_status;                                                                        \
  } while (0)
#else
#define ETCDPP_FAILPOINT(name) static_cast<void>(::etcdpp::failpoint::Id::name)
#define ETCDPP_FAILPOINT_OR_RETURN(name) static_cast<void>(::etcdpp::failpoint::Id::name)
#endif
