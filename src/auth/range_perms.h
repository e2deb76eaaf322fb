#pragma once
// One user's key permissions merged from all of its roles (etcd's unifiedRangePermissions):
// for reading and for writing, a sorted list of disjoint half-open key intervals. A check is a
// binary search, with no allocation.
//
// Intervals follow etcd's key ranges: a permission on a single key covers [key, key+"\0");
// range_end "\0" means every key >= key (an interval without an upper bound).

#include <string>
#include <string_view>
#include <vector>

#include "authpb/auth.pb.h"

namespace etcdpp::auth {

class IntervalSet {
 public:
  // Adds [begin, end); end_unbounded: no upper bound (end is ignored).
  void Add(std::string begin, std::string end, bool end_unbounded);
  // Sorts and merges overlapping and adjacent intervals; call once after the last Add.
  void Seal();

  // True if `key` lies in an interval.
  bool ContainsKey(std::string_view key) const;
  // True if the intervals cover all of [begin, end) (end_unbounded: every key >= begin).
  bool CoversRange(std::string_view begin, std::string_view end, bool end_unbounded) const;
  bool empty() const { return ivls_.empty(); }

 private:
  struct Interval {
    std::string begin;
    std::string end;
    bool unbounded = false;
  };
  // The last interval whose begin <= key, or null.
  const Interval* Floor(std::string_view key) const;
  std::vector<Interval> ivls_;
};

class RangePerms {
 public:
  // Merges the permissions of `roles` (read, write, readwrite).
  static RangePerms FromRoles(const std::vector<const authpb::Role*>& roles);

  // etcd's request key ranges: range_end "" = the single key; "\0" = every key >= key;
  // otherwise [key, range_end).
  bool CanRead(std::string_view key, std::string_view range_end) const {
    return Check(read_, key, range_end);
  }
  bool CanWrite(std::string_view key, std::string_view range_end) const {
    return Check(write_, key, range_end);
  }

 private:
  static bool Check(const IntervalSet& s, std::string_view key, std::string_view range_end);
  IntervalSet read_;
  IntervalSet write_;
};

}  // namespace etcdpp::auth
