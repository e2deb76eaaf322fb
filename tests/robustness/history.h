#pragma once
// What a robustness run records (tests/robustness/README.md): every client operation with the
// times it was invoked and returned and what it answered, every watch event each watcher
// received, and every lease's keep-alives. The checker (checker.h) reads only this, so it can be
// tested on histories made by hand.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace etcdpp::robustness {

// Nanoseconds on one monotonic clock shared by every thread of the run.
using Nanos = int64_t;
inline constexpr Nanos kNever = INT64_MAX;  // the return time of an operation with no answer

enum class OpKind {
  kPut,     // put key = value
  kDelete,  // delete key
  kGet,     // linearizable range of one key
  kCas,     // txn: if value(key) == expect (absent when !expect) then put key = value else get key
};

enum class Outcome {
  kOk,       // answered; the fields below are what it said
  kFailed,   // answered with an error that proves nothing was done (a read's error)
  kUnknown,  // no answer, or an error after which it may have been done
};

struct Op {
  int client = 0;
  OpKind kind = OpKind::kPut;
  std::string key;
  std::string value;                  // kPut, kCas: the value written (unique in a run)
  std::optional<std::string> expect;  // kCas: the compared value (nullopt: the key is absent)
  Nanos invoke = 0;
  Nanos ret = kNever;
  Outcome outcome = Outcome::kUnknown;
  // Answered ops: the response header's revision; kGet and a failed kCas: the value read
  // (nullopt: absent) and its mod revision; kCas: whether the compare held; kDelete: how many
  // keys it deleted.
  int64_t revision = 0;
  std::optional<std::string> read_value;
  int64_t read_mod_revision = 0;
  bool succeeded = false;
  int64_t deleted = 0;
};

struct Event {
  int64_t revision = 0;
  bool is_delete = false;
  std::string key;
  std::string value;
  bool operator==(const Event&) const = default;
};

// One watcher: a watch on the whole key space of the run, from revision 1, resumed after every
// break from the revision after the last one it received (on any member).
struct WatchLog {
  int watcher = 0;
  std::vector<Event> events;  // in the order received, across resumptions
  // When each event arrived (same index as events).
  std::vector<Nanos> received;
  // The revision each (re)started stream asked to start from, in order.
  std::vector<int64_t> starts;
};

// A lease the workload granted, attached to one key, kept alive a while, then left to expire.
struct LeaseLog {
  int64_t id = 0;
  int64_t ttl_seconds = 0;
  std::string key;
  // Invoke times of the grant and of every keep-alive that was answered with a TTL > 0: the
  // lease must live at least ttl_seconds after each (the server starts counting later).
  std::vector<Nanos> refreshed;
  Nanos key_put_return = kNever;  // when the put of its key was answered (kNever: not answered)
};

struct History {
  std::vector<Op> ops;
  std::vector<WatchLog> watches;
  std::vector<LeaseLog> leases;
};

}  // namespace etcdpp::robustness
